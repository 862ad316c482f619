"""tests/chapter_settings.py: a chapter's literal settings, read from its code cells."""

from __future__ import annotations

import pytest

from chapter_settings import chapter_settings, literal_assignments

PAGE = """
Some prose with `CODE = 1` that is not a cell.

```{code-cell} ipython3
:tags: [remove-cell]
EPOCHS, BATCH = 15, 64
GRID = [3e-3, 1e-2]  # a comment
computed = EPOCHS * 2
```

```python
NOT_A_CELL = 5
```

```{code-cell} ipython3
---
tags: [hide-input]
mystnb:
  figure:
    name: fig-x
---
BATCH = 32
GRID = sorted(GRID)
for k in range(3):
    INSIDE = k
```
"""


def test_reads_the_literal_top_level_assignments_of_code_cells():
    assert literal_assignments(PAGE) == {"EPOCHS": 15, "BATCH": 32}


def test_a_name_reassigned_to_a_computed_value_is_dropped():
    assert "GRID" not in literal_assignments(PAGE)  # GRID = sorted(GRID): not a literal any more


def test_reads_a_chapter_and_names_what_is_missing():
    settings = chapter_settings("06_long_term_memory", "T", "EPOCHS")
    assert isinstance(settings["T"], int) and isinstance(settings["EPOCHS"], int)
    with pytest.raises(KeyError, match="NO_SUCH_SETTING"):
        chapter_settings("06_long_term_memory", "NO_SUCH_SETTING")
