"""The course's quizzes: load and validate a quiz file, and show it in a notebook.

A quiz is a JSON file in ``quizzes/`` in jupyterquiz's format (a list of
questions), checked against the stricter schema ``book/quiz_schema.json`` plus
two checks JSON Schema cannot express (``lo < hi`` in a numeric range, balanced
``$...$`` math). Used by every chapter through the ``{quiz}`` directive
(:mod:`book.site.quiz`, at build time), by the tests, and by :func:`show` in a
plain Jupyter notebook.

Problems are reported as ``quizzes/03_lstm_cell.json: question 2, field
'answers[1].feedback': must be a non-empty string``: questions are counted from
1, as a reader sees them; the field is a path inside that question, with list
indices from 0, as in the JSON file.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from book.paths import QUIZZES, ROOT

#: The schema file (JSON Schema 2020-12).
SCHEMA_PATH = Path(__file__).with_name("quiz_schema.json")

#: Colours of the quizzes, as jupyterquiz's CSS variables. jupyterquiz's own
#: palette fails WCAG AA (white on orange, green feedback on white); each pair
#: below has a contrast ratio of at least 4.5:1 (checked in tests/test_quizzes.py):
#: question text (``--jq-text-color``) on the three question backgrounds and on
#: the correct/incorrect answer buttons; answer text (#1a1a1a) on the answer
#: buttons; feedback text (correct/incorrect colour) and links on white.
COLORS: dict[str, str] = {
    "--jq-multiple-choice-bg": "#392061",
    "--jq-many-choice-bg": "#7a2e00",
    "--jq-numeric-bg": "#1f4266",
    "--jq-mc-button-bg": "#f7f7f7",
    "--jq-mc-button-border": "#767676",
    "--jq-mc-button-inset-shadow": "#555555",
    "--jq-numeric-input-bg": "#ffffff",
    "--jq-numeric-input-label": "#1a1a1a",
    "--jq-numeric-input-shadow": "#999999",
    "--jq-string-bg": "#4c1a57",
    "--jq-incorrect-color": "#b00020",
    "--jq-correct-color": "#1b6e20",
    "--jq-text-color": "#ffffff",
    "--jq-link-color": "#cfe0ff",
}

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
# jupyterquiz turns $...$ into \(...\) and $$...$$ into \[...\]; \$ is a literal dollar.
_DOUBLE_DOLLAR = re.compile(r"(?<!\\)\$\$")
_DOLLAR = re.compile(r"(?<!\\)\$")

# Markup. jupyterquiz puts question, answer, feedback and code text into the page
# with innerHTML, so any tag in a quiz file would reach every reader's browser:
# quiz text is plain text. After `<`, a letter, `/`, `!` or `?` opens a tag, an end
# tag or a comment in HTML; `x < 1`, `a <= b` and `i<5` stay text.
_TAG = re.compile(r"<[A-Za-z/!?]")
# An event-handler attribute (onerror=, onclick = ...; every HTML event name has at
# least three letters after "on"), refused anywhere in the text, except English words.
_EVENT_ATTRIBUTE = re.compile(r"\bon([a-z]{3,})\s*=", re.IGNORECASE)
_NOT_EVENTS = {"once", "ones", "only", "onset", "onto", "onward", "onwards"}
# `code` spans: the course's quiz loader escapes their content (book/site/quiz_loader.js).
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
# jupyterquiz's own link syntax (helpers.js, jaxify): [text](target) and <http...>.
_MARKDOWN_LINK = re.compile(r"\[(.*?)\]\((.*?)\)")
_AUTOLINK = re.compile(r"<https?://[^\s\"'<>`]+>")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_SAFE_SCHEMES = {"http", "https", "mailto"}
_UNSAFE_IN_URL = re.compile(r"[\s\x00-\x1f\x7f\"'<>`\\]")
# Markdown emphasis (**word**, *word*, _word_): jupyterquiz does not render Markdown, so the
# marks would show. Looked for outside `code` and $math$, where * and _ are literal.
_EMPHASIS = re.compile(
    r"\*\*(?=\S)[^*\n]+?(?<=\S)\*\*"  # **strong**
    r"|(?<![\w*\\])\*(?=[^\s*])[^*\n]+?(?<=[^\s*])\*(?![\w*])"  # *emphasis*, not 2*n or a * b
    r"|(?<![\w\\])_(?=[^\s_])[^_\n]+?(?<=[^\s_])_(?!\w)"  # _emphasis_, not n_h
)
_MATH = re.compile(r"(?<!\\)\$\$.+?(?<!\\)\$\$|(?<!\\)\$.+?(?<!\\)\$", re.S)
# MathJax's TeX links (\href{javascript:...}{x}) would bypass the link check.
_TEX_LINK = re.compile(r"\\(?:href|url)(?![A-Za-z])")
#: The text fields of a quiz: jupyterquiz inserts all of them as HTML.
TEXT_FIELDS = ("question", "answer", "feedback", "code")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a quiz file."""

    question: int | None  # counted from 1; None for the file as a whole
    field: str  # path inside the question ('answers[1].feedback'); '' for the question itself
    message: str

    def describe(self, file: str) -> str:
        where = file
        if self.question is not None:
            where += f": question {self.question}"
            if self.field:
                where += f", field {self.field!r}"
        return f"{where}: {self.message}"


class QuizError(ValueError):
    """A quiz file that is missing, not JSON, or does not follow the quiz schema."""

    def __init__(self, file: str, problems: Sequence[Problem]):
        self.file = file
        self.problems = list(problems)
        super().__init__("\n".join(p.describe(file) for p in self.problems))


@lru_cache(maxsize=1)
def schema() -> dict:
    """The quiz schema (``book/quiz_schema.json``)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _validator():
    import jsonschema

    cls = jsonschema.validators.validator_for(schema())
    cls.check_schema(schema())
    return cls(schema())


def _field(path: Sequence[Any]) -> str:
    """['answers', 1, 'feedback'] -> 'answers[1].feedback'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _count(items: Any, ref: str) -> int:
    """How many answers match the schema's ``#/$defs/correct`` or ``#/$defs/default_answer``."""
    if not isinstance(items, list):
        return 0
    if ref.endswith("/correct"):
        return sum(1 for a in items if isinstance(a, dict) and a.get("correct") is True)
    return sum(1 for a in items if isinstance(a, dict) and a.get("type") == "default")


def _problems_of(error) -> list[Problem]:
    """Turn one jsonschema error into problems with a question number, a field and a plain message."""
    path = list(error.absolute_path)
    question = path[0] + 1 if path and isinstance(path[0], int) else None
    field = _field(path[1:] if question is not None else path)
    keyword = error.validator
    if keyword in ("minContains", "maxContains"):
        keyword = "contains"
    sub = error.schema if isinstance(error.schema, dict) else {}
    message = sub.get("x-errors", {}).get(keyword) or sub.get("x-error")
    instance = error.instance

    if keyword == "required":
        missing = [
            name for name in error.validator_value if isinstance(instance, dict) and name not in instance
        ]
        prefix = [*path[1:]] if question is not None else path
        return [Problem(question, _field([*prefix, name]), "is required but missing") for name in missing]
    if keyword == "additionalProperties":
        allowed = sorted(sub.get("properties", {}))
        prefix = [*path[1:]] if question is not None else path
        return [
            Problem(question, _field([*prefix, name]), f"unknown field (allowed here: {', '.join(allowed)})")
            for name in instance
            if name not in allowed
        ]
    if keyword == "contains" and message:
        found = _count(instance, sub["contains"].get("$ref", ""))
        return [Problem(question, field, f"{message} (found {found})")]
    if keyword == "minItems" and message and isinstance(instance, list):
        return [Problem(question, field, f"{message} (found {len(instance)})")]
    if keyword == "enum":
        return [
            Problem(
                question,
                field,
                f"{message or 'must be one of ' + repr(error.validator_value)} (got {instance!r})",
            )
        ]
    if keyword == "type" and not message:
        message = f"must be of type {error.validator_value} (got {instance!r})"
    return [Problem(question, field, message or error.message)]


def markup_problem(text: str, *, code: bool = False) -> str | None:
    """Why ``text`` (one text field of a quiz) is not plain text, or None if it is.

    Refused: an HTML tag, end tag or comment (``<img``, ``</b``, ``<!--``), an event
    attribute (``onerror=``), a link (``[text](target)``, ``<http...>``) whose target is
    not a plain http(s) or mailto address, TeX's ``\\href``/``\\url``, and Markdown emphasis
    (``**and**``, ``*added*``: jupyterquiz shows the marks). Allowed:
    ``x < 1``, ``a <= b``, `` `code` `` (the loader escapes it), ``$math$`` and HTML
    entities such as ``&lt;``. ``code=True`` is for the ``code`` fields, which
    jupyterquiz inserts as they are (no backticks, no links).
    """
    plain = text if code else _CODE_SPAN.sub("", text)
    if not code:
        plain = _AUTOLINK.sub("", plain)
    tag = _TAG.search(plain)
    if tag:
        snippet = re.match(r"<[^\s>]{0,12}", plain[tag.start() :]).group(0)
        return (
            f"contains HTML markup ({snippet!r}): quiz text is plain text, put into the page as HTML; "
            "write code in backticks, and a literal '<' before a letter as '&lt;'"
        )
    event = next(
        (m for m in _EVENT_ATTRIBUTE.finditer(plain) if f"on{m.group(1).lower()}" not in _NOT_EVENTS), None
    )
    if event:
        return f"contains an HTML event attribute ({event.group(0)!r}): quiz text is plain text"
    if code:
        return None
    for match in _MARKDOWN_LINK.finditer(text):
        target = html.unescape(match.group(2))
        scheme = _SCHEME.match(target)
        if _UNSAFE_IN_URL.search(target) or (scheme and scheme.group(1).lower() not in _SAFE_SCHEMES):
            return (
                f"has a link to {match.group(2)!r}: a link in a quiz goes to an http(s) or mailto address "
                "or a relative path, without spaces or quotes"
            )
    if _TEX_LINK.search(text):
        return "uses \\href or \\url in math: a quiz links with [text](https://...) instead"
    emphasis = _EMPHASIS.search(_MATH.sub("", plain))
    if emphasis:
        return (
            f"uses Markdown emphasis ({emphasis.group(0)!r}): quiz text is shown as plain text, so the "
            "marks would appear on the page; write the words without them"
        )
    return None


def _extra_checks(questions: list) -> list[Problem]:
    """What JSON Schema cannot say: lo < hi in ranges, balanced $ math and no markup in every text."""
    problems = []
    for q_index, question in enumerate(questions, start=1):
        texts = [("question", question.get("question"))]
        codes = [("code", question.get("code"))]
        for a_index, answer in enumerate(question.get("answers", [])):
            if not isinstance(answer, dict):
                continue
            texts += [
                (f"answers[{a_index}].answer", answer.get("answer")),
                (f"answers[{a_index}].feedback", answer.get("feedback")),
            ]
            codes.append((f"answers[{a_index}].code", answer.get("code")))
            rng = answer.get("range")
            if answer.get("type") == "range" and isinstance(rng, list) and len(rng) == 2 and rng[0] >= rng[1]:
                problems.append(
                    Problem(
                        q_index, f"answers[{a_index}].range", f"must be [lo, hi] with lo < hi (got {rng!r})"
                    )
                )
        for field, text in texts:
            if not isinstance(text, str):
                continue
            singles = _DOLLAR.findall(_DOUBLE_DOLLAR.sub("", text))
            if len(_DOUBLE_DOLLAR.findall(text)) % 2 or len(singles) % 2:
                problems.append(
                    Problem(
                        q_index, field, "has an unbalanced $ (math is written $...$; a dollar sign is \\$)"
                    )
                )
        for field, text, code in [*((f, t, False) for f, t in texts), *((f, t, True) for f, t in codes)]:
            why = markup_problem(text, code=code) if isinstance(text, str) else None
            if why:
                problems.append(Problem(q_index, field, why))
    return problems


def validate(questions: Any, file: str = "<quiz>") -> list[dict]:
    """Check already-parsed quiz data; return it, or raise :class:`QuizError` listing every problem."""
    problems: list[Problem] = []
    for error in _validator().iter_errors(questions):
        for problem in _problems_of(error):
            # one message per field: the first (the most basic) is the one to fix first
            if not any((p.question, p.field) == (problem.question, problem.field) for p in problems):
                problems.append(problem)
    if not problems:
        problems = _extra_checks(questions)
    if problems:
        # the file as a whole first, then question by question, each in the order of its fields
        problems.sort(key=lambda p: (p.question or 0, p.field))
        raise QuizError(file, problems)
    return questions


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def quiz_path(name: str, quizzes: Path = QUIZZES) -> Path:
    """The file of quiz ``name`` (``'03_lstm_cell'`` -> ``quizzes/03_lstm_cell.json``)."""
    return quizzes / f"{name}.json"


def display_name(path: Path, root: Path = ROOT) -> str:
    """``quizzes/03_lstm_cell.json`` when ``path`` is inside ``root``, else the path as given."""
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)


def load(quiz: str | Path, *, quizzes: Path | None = None, root: Path | None = None) -> list[dict]:
    """Read and validate one quiz; raise :class:`QuizError` naming the file, question and field.

    ``quiz`` is a quiz name (``'03_lstm_cell'``, looked up in ``quizzes``, the
    book's ``quizzes/`` by default) or a
    path to a ``.json`` file. File names in messages are relative to ``root``
    (the book's root by default: ``quizzes/03_lstm_cell.json``).
    """
    if isinstance(quiz, str) and not quiz.endswith(".json"):
        if not _NAME.match(quiz):
            raise QuizError(
                quiz,
                [Problem(None, "", "is not a quiz name (letters, digits, '_' and '-', as in 03_lstm_cell)")],
            )
        quiz = quiz_path(quiz, Path(quizzes) if quizzes else QUIZZES)
    path = Path(quiz)
    file = display_name(path, root or ROOT)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QuizError(file, [Problem(None, "", "no such quiz file")]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise QuizError(file, [Problem(None, "", f"cannot be read ({err})")]) from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as err:
        raise QuizError(
            file, [Problem(None, "", f"is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})")]
        ) from None
    except ValueError as err:
        raise QuizError(file, [Problem(None, "", f"is not valid JSON ({err})")]) from None
    return validate(data, file)


def names(quizzes: Path = QUIZZES) -> list[str]:
    """The quizzes of the book, by name (file name without ``.json``), sorted."""
    return sorted(p.stem for p in Path(quizzes).glob("*.json"))


def show(name: str, **kwargs):
    """Show quiz ``name`` in a Jupyter notebook, validated and in the course's accessible colours.

    ``show("03_lstm_cell")`` is what the ``{quiz} 03_lstm_cell`` slot shows on the
    site; keyword arguments go to :func:`jupyterquiz.display_quiz` (e.g.
    ``shuffle_answers=True``).
    """
    from jupyterquiz import display_quiz

    kwargs.setdefault("colors", COLORS)
    kwargs.setdefault("shuffle_answers", False)
    display_quiz(load(name), **kwargs)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m book.quizzes [FILE-OR-NAME ...]``: check quizzes (all of ``quizzes/`` by default)."""
    import sys

    targets = list(sys.argv[1:] if argv is None else argv) or names()
    failed = 0
    for target in targets:
        try:
            questions = load(target)
        except QuizError as err:
            failed += 1
            print(err, file=sys.stderr)
        else:
            print(
                f"{display_name(Path(target)) if target.endswith('.json') else target}: {len(questions)} questions, valid"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
