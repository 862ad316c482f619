"""The course's patch to jupyterquiz's JavaScript (book/site/quizpatch.py): it applies to the
pinned jupyterquiz exactly once, the served quiz script carries it, a jupyterquiz that changed
the patched text fails the build, and docs/jupyterquiz-patch.md shows the current diff.

The behaviour it fixes is tested in Chromium by tests/test_quiz_browser.py
(test_several_answers_stay_found_after_a_wrong_click).
"""

from __future__ import annotations

import importlib.resources
import re
from pathlib import Path

import pytest

from book.site import quiz, quizpatch

ROOT = Path(__file__).resolve().parents[1]


def upstream(file: str) -> str:
    return importlib.resources.files("jupyterquiz").joinpath("js", file).read_text(encoding="utf-8")


def test_every_patch_applies_once_to_the_pinned_jupyterquiz():
    for patch in quizpatch.PATCHES:
        original = upstream(patch.file)
        assert original.count(patch.old) == 1
        patched = quizpatch.apply(patch.file, original)
        assert patch.new in patched and patch.old not in patched


def test_served_script_has_the_patch_and_no_reset_on_a_wrong_click():
    script = quiz.script()
    assert "Patched by the LSTM course" in script
    # upstream's reset of the many-choice count on a wrong click is gone
    assert "fb.dataset.answeredcorrect = -1;" not in script
    # the other modules are served unchanged
    for file in ("helpers.js", "numeric.js", "show_questions.js", "string.js"):
        assert upstream(file) in script


def test_a_changed_jupyterquiz_fails_loudly():
    original = upstream("multiple_choice.js")
    changed = original.replace("var reset = false;", "let reset = false;")
    with pytest.raises(quizpatch.PatchError, match="multiple_choice.js.*0 times"):
        quizpatch.apply("multiple_choice.js", changed)
    doubled = original + original
    with pytest.raises(quizpatch.PatchError, match="2 times"):
        quizpatch.apply("multiple_choice.js", doubled)
    # files without a patch pass through
    assert quizpatch.apply("numeric.js", "anything") == "anything"


def test_the_documented_diff_is_the_current_one():
    doc = (ROOT / "docs" / "jupyterquiz-patch.md").read_text(encoding="utf-8")
    (diff,) = re.findall(r"```diff\n(.*?)```", doc, re.S)
    assert diff == quizpatch.unified_diff()
