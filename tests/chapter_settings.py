"""A chapter's settings, read from its code cells (the claims tests of chapters 5 and 6).

A claims test retrains a chapter's models from other seeds, so it must use the chapter's own
settings; copied by hand they would drift when the chapter changes. :func:`chapter_settings`
reads them where they live: the top-level assignments of literal values (``EPOCHS, BATCH = 15, 64``,
``GRID = [3e-3, 1e-2]``) in the ``{code-cell}`` blocks of the chapter's MyST source. Nothing is
executed: the values are parsed with :func:`ast.literal_eval`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _cell_source(cell: str) -> str:
    """A cell's code without its options (``:tags: ...`` lines or a ``---`` YAML block)."""
    lines = cell.splitlines()
    if lines and lines[0].strip() == "---":
        end = lines.index("---", 1)
        lines = lines[end + 1 :]
    while lines and lines[0].startswith(":"):
        lines = lines[1:]
    return "\n".join(lines)


def literal_assignments(markdown: str) -> dict[str, object]:
    """Every ``NAME = literal`` and ``A, B = literal, literal`` at the top level of the code cells.

    A name assigned twice keeps its last value, as it would when the notebook runs."""
    found: dict[str, object] = {}
    for match in _CELL.finditer(markdown):
        tree = ast.parse(_cell_source(match.group(1)))
        for node in tree.body:
            if not isinstance(node, ast.Assign):
                continue
            for target in node.targets:
                if isinstance(target, ast.Name):
                    pairs = [(target, node.value)]
                elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    pairs = list(zip(target.elts, node.value.elts, strict=True))
                else:
                    continue
                for name, value in pairs:
                    try:
                        found[name.id] = ast.literal_eval(value)
                    except (ValueError, TypeError, SyntaxError, AttributeError):
                        found.pop(getattr(name, "id", None), None)  # reassigned to something computed
    return found


def chapter_settings(chapter: str, *names: str) -> dict[str, object]:
    """The literal values of ``names`` in ``chapters/<chapter>.md``; a missing name raises ``KeyError``."""
    values = literal_assignments((ROOT / "chapters" / f"{chapter}.md").read_text(encoding="utf-8"))
    missing = [name for name in names if name not in values]
    if missing:
        raise KeyError(f"chapters/{chapter}.md assigns no literal value to {', '.join(missing)}")
    return {name: values[name] for name in names}
