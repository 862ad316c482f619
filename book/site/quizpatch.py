"""The course's one patch to jupyterquiz's JavaScript, applied when the site's quiz script is built.

Used by :mod:`book.site.quiz` (every chapter's quiz, chapters 1-9), which serves jupyterquiz's
own ``js/*.js`` from the installed package (pinned in ``requirements.txt``) inside
``_static/quiz/quiz.js``. :func:`apply` rewrites one block of ``multiple_choice.js`` before it is
served; :data:`PATCHES` holds the exact text replaced and its replacement, and the build fails
(:class:`PatchError`) if the pinned jupyterquiz no longer contains that text exactly once, so an
upgrade cannot silently drop or misapply the fix. ``docs/jupyterquiz-patch.md`` holds the note
offered upstream and the patch as a diff.

**Questions with several correct answers** (jupyterquiz's ``many_choice``; in 2.9.6.4 its
``check_mc``): a wrong click resets every answer already found, clearing their marks and the
count (``[1/3]`` becomes ``[0/3]``), so a reader must find all the correct answers again
without a single miss. The course's introduction promises instead that "the feedback counts how
many you have found". The replacement keeps every correct answer found marked and counted; a
wrong click marks only that answer (until the next click) and the feedback gives the count
found so far, e.g. ``Incorrect -- try again. [1/3]``. Single-answer questions are untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PATCHES", "Patch", "PatchError", "apply"]


class PatchError(RuntimeError):
    """The installed jupyterquiz does not contain the text a patch replaces (exactly once)."""


@dataclass(frozen=True)
class Patch:
    """Replace ``old`` (which must occur exactly once) by ``new`` in jupyterquiz's ``js/<file>``."""

    file: str
    old: str
    new: str
    why: str


_MANY_CHOICE_OLD = """\
        var reset = false;
        var feedback;
         if (label.dataset.correct == "true") {
            if ("feedback" in label.dataset) {
                feedback = jaxify(label.dataset.feedback);
            } else {
                feedback = "Correct!";
            }
            if (label.dataset.answered <= 0) {
                if (fb.dataset.answeredcorrect < 0) {
                    fb.dataset.answeredcorrect = 1;
                    reset = true;
                } else {
                    fb.dataset.answeredcorrect++;
                }
                if (reset) {
                    for (var i = 0; i < answers.length; i++) {
                        var child = answers[i];
                        child.className = "MCButton";
                        child.dataset.answered = 0;
                    }
                }
                label.classList.add("correctButton");
                label.dataset.answered = 1;
                fb.className = "Feedback";
                fb.classList.add("correct");

            }
        } else {
            if ("feedback" in label.dataset) {
                feedback = jaxify(label.dataset.feedback);
            } else {
                feedback = "Incorrect -- try again.";
            }
            if (fb.dataset.answeredcorrect > 0) {
                fb.dataset.answeredcorrect = -1;
                reset = true;
            } else {
                fb.dataset.answeredcorrect--;
            }

            if (reset) {
                for (var i = 0; i < answers.length; i++) {
                    var child = answers[i];
                    child.className = "MCButton";
                    child.dataset.answered = 0;
                }
            }
            label.classList.add("incorrectButton");
            fb.className = "Feedback";
            fb.classList.add("incorrect");
        }
"""

_MANY_CHOICE_NEW = """\
        // Patched by the LSTM course (book/site/quizpatch.py): a wrong click no longer
        // resets the correct answers already found; they stay marked and counted.
        var feedback;
        // Only the latest wrong click stays marked as wrong.
        for (var i = 0; i < answers.length; i++) {
            answers[i].classList.remove("incorrectButton");
        }
        if (label.dataset.correct == "true") {
            if ("feedback" in label.dataset) {
                feedback = jaxify(label.dataset.feedback);
            } else {
                feedback = "Correct!";
            }
            label.classList.add("correctButton");
            label.dataset.answered = 1;
            fb.className = "Feedback";
            fb.classList.add("correct");
        } else {
            if ("feedback" in label.dataset) {
                feedback = jaxify(label.dataset.feedback);
            } else {
                feedback = "Incorrect -- try again.";
            }
            label.classList.add("incorrectButton");
            fb.className = "Feedback";
            fb.classList.add("incorrect");
        }
        // The count is the number of distinct correct answers found so far (a click can
        // run this twice: on the label, then on its radio input; counting makes it idempotent).
        var found = 0;
        for (var i = 0; i < answers.length; i++) {
            if (answers[i].dataset.correct == "true" && answers[i].dataset.answered > 0) {
                found++;
            }
        }
        fb.dataset.answeredcorrect = found;
"""

#: The patches, in the order they are applied.
PATCHES: tuple[Patch, ...] = (
    Patch(
        file="multiple_choice.js",
        old=_MANY_CHOICE_OLD,
        new=_MANY_CHOICE_NEW,
        why="a wrong click in a question with several correct answers cleared the answers already found",
    ),
)


def apply(
    file: str, text: str, patches: tuple[Patch, ...] | None = None
) -> str:
    """``text`` of jupyterquiz's ``js/<file>`` with the course's patches for that file applied
    (``patches``: :data:`PATCHES` by default)."""
    for patch in PATCHES if patches is None else patches:
        if patch.file != file:
            continue
        count = text.count(patch.old)
        if count != 1:
            raise PatchError(
                f"jupyterquiz's js/{file} contains the text patched by book/site/quizpatch.py {count} times"
                f" (expected once; {patch.why}): check the fix against the installed jupyterquiz"
            )
        text = text.replace(patch.old, patch.new)
    return text


def unified_diff() -> str:
    """The patches as a unified diff against the installed jupyterquiz (for the upstream note)."""
    import difflib
    import importlib.resources

    folder = importlib.resources.files("jupyterquiz").joinpath("js")
    out = []
    for file in sorted({p.file for p in PATCHES}):
        original = folder.joinpath(file).read_text(encoding="utf-8")
        out += difflib.unified_diff(
            original.splitlines(keepends=True),
            apply(file, original).splitlines(keepends=True),
            f"a/jupyterquiz/js/{file}",
            f"b/jupyterquiz/js/{file}",
        )
    return "".join(out)


if __name__ == "__main__":
    print(unified_diff(), end="")
