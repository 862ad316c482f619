"""The course's quizzes: load and validate a quiz file, and show it in a notebook.

A quiz is a JSON file in ``quizzes/`` in jupyterquiz's format (a list of
questions), checked against the stricter schema ``book/quiz_schema.json`` plus
what JSON Schema cannot express: ``lo < hi`` in a numeric range, finite numbers, valid
Unicode, a nesting depth, and the text of every question, answer and feedback, split by
the one tokenizer the build's renderer uses too (:mod:`book.quiztext`: code spans, maths
whose TeX commands are on an allowlist, links, no markup). Used by every chapter through
the ``{quiz}`` directive (:mod:`book.site.quiz`, at build time), by the tests, and by
:func:`show` in a plain Jupyter notebook.

Validation is linear in the size of the file: a depth limit is checked before the JSON
parser (which is recursive) runs, and no check uses a backtracking regular expression.

Problems are reported as ``quizzes/03_lstm_cell.json: question 2, field
'answers[1].feedback': must be a non-empty string``: questions are counted from
1, as a reader sees them; the field is a path inside that question, with list
indices from 0, as in the JSON file.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from book import quiztext
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
#: Nesting of a quiz file's JSON (a question's numeric range is 4 levels deep).
MAX_DEPTH = 8
#: Size of a quiz file (the course's are 5-15 KB).
MAX_BYTES = 1_000_000
#: The largest integer a browser's JavaScript holds exactly (2**53): quiz numbers are
#: read by jupyterquiz in the page.
MAX_SAFE_INTEGER = 2**53
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
        return sum(
            1
            for a in items
            if isinstance(a, dict) and a.get("correct") is True
        )
    return sum(
        1 for a in items if isinstance(a, dict) and a.get("type") == "default"
    )


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
            name
            for name in error.validator_value
            if isinstance(instance, dict) and name not in instance
        ]
        prefix = [*path[1:]] if question is not None else path
        return [
            Problem(
                question, _field([*prefix, name]), "is required but missing"
            )
            for name in missing
        ]
    if keyword == "additionalProperties":
        allowed = sorted(sub.get("properties", {}))
        prefix = [*path[1:]] if question is not None else path
        return [
            Problem(
                question,
                _field([*prefix, name]),
                f"unknown field (allowed here: {', '.join(allowed)})",
            )
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
    """The first reason ``text`` (one text field of a quiz) is refused, or None.

    See :func:`book.quiztext.text_problems`: an unclosed code span or formula, an HTML
    tag, end tag or comment, an event attribute (``onerror=``), a link whose target is not
    a plain http(s) or mailto address or a relative path, a TeX command outside the
    allowlist. Allowed: ``x < 1``, ``a <= b``, `` `code` ``, ``$math$``, HTML entities such
    as ``&lt;``. ``code=True`` is for the ``code`` fields (no backticks, links or maths).
    """
    problems = quiztext.text_problems(text, code=code)
    return problems[0] if problems else None


def _extra_checks(questions: list) -> list[Problem]:
    """What JSON Schema cannot say: lo < hi in ranges, and every text field as :mod:`book.quiztext` reads it."""
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
            if (
                answer.get("type") == "range"
                and isinstance(rng, list)
                and len(rng) == 2
                and rng[0] >= rng[1]
            ):
                problems.append(
                    Problem(
                        q_index,
                        f"answers[{a_index}].range",
                        f"must be [lo, hi] with lo < hi (got {rng!r})",
                    )
                )
        for field, text, code in [
            *((f, t, False) for f, t in texts),
            *((f, t, True) for f, t in codes),
        ]:
            # one message per field, the first: the one to fix first
            why = (
                markup_problem(text, code=code)
                if isinstance(text, str)
                else None
            )
            if why:
                problems.append(Problem(q_index, field, why))
    return problems


class _Unreadable(float):
    """A number of the file that a browser could not read back as it is written (``1e999``,
    ``NaN``): kept, with its text, until :func:`_value_problems` names its question and field."""

    def __new__(cls, text: str, value: float):
        number = super().__new__(cls, value)
        number.text = text
        return number


class _BigInteger(int):
    """An integer beyond :data:`MAX_SAFE_INTEGER` (or too long to read), with its text."""

    def __new__(cls, text: str, value: int):
        number = super().__new__(cls, value)
        number.text = text
        return number


def _parse_float(text: str) -> float:
    value = float(text)
    return value if math.isfinite(value) else _Unreadable(text, value)


def _parse_int(text: str) -> int:
    if (
        len(text) > 20
    ):  # also spares int() its quadratic conversion of a huge literal
        return _BigInteger(text[:20] + "...", 0)
    value = int(text)
    return (
        value if abs(value) <= MAX_SAFE_INTEGER else _BigInteger(text, value)
    )


def _parse_constant(name: str) -> float:
    return _Unreadable(name, math.nan)


def _value_problems(data: Any) -> list[Problem]:
    """Every string valid Unicode for a page, every number finite and exact in a browser,
    nesting at most :data:`MAX_DEPTH` deep (one pass, no recursion)."""
    problems: list[Problem] = []
    stack: list[tuple[Any, list, int]] = [(data, [], 0)]
    while stack:
        value, path, depth = stack.pop()
        question = path[0] + 1 if path and isinstance(path[0], int) else None
        field = _field(path[1:] if question is not None else path)
        if depth > MAX_DEPTH:
            problems.append(
                Problem(
                    question,
                    field,
                    f"is nested more than {MAX_DEPTH} levels deep",
                )
            )
            continue
        if isinstance(value, str):
            why = quiztext.string_problem(value)
            if why:
                problems.append(Problem(question, field, why))
        elif isinstance(value, bool) or value is None:
            pass
        elif isinstance(value, float):
            text = getattr(value, "text", repr(value))
            if not math.isfinite(value):
                problems.append(
                    Problem(
                        question,
                        field,
                        f"is {text}, which is not a finite number (the page's quiz data could not hold it)",
                    )
                )
        elif isinstance(value, int):
            if abs(value) > MAX_SAFE_INTEGER or isinstance(value, _BigInteger):
                text = getattr(value, "text", str(value))
                problems.append(
                    Problem(
                        question,
                        field,
                        f"is {text}, larger than 2**53: a browser cannot hold this integer exactly",
                    )
                )
        elif isinstance(value, dict):
            for key, item in value.items():
                why = (
                    quiztext.string_problem(key)
                    if isinstance(key, str)
                    else None
                )
                if why:
                    problems.append(
                        Problem(
                            question, field, f"has a field name that {why}"
                        )
                    )
                    continue
                stack.append((item, [*path, key], depth + 1))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append((item, [*path, index], depth + 1))
    return problems


def validate(questions: Any, file: str = "<quiz>") -> list[dict]:
    """Check already-parsed quiz data; return it, or raise :class:`QuizError` listing every problem."""
    problems = _value_problems(questions)
    if not problems:
        for error in _validator().iter_errors(questions):
            for problem in _problems_of(error):
                # one message per field: the first (the most basic) is the one to fix first
                if not any(
                    (p.question, p.field) == (problem.question, problem.field)
                    for p in problems
                ):
                    problems.append(problem)
    if not problems:
        problems = _extra_checks(questions)
    if problems:
        # the file as a whole first, then question by question, each in the order of its fields
        problems.sort(key=lambda p: (p.question or 0, p.field))
        raise QuizError(file, problems)
    return questions


def depth_problem(text: str) -> str | None:
    """Why the JSON ``text`` is nested too deep to parse safely, or None (one linear pass).

    Python's JSON parser recurses once per level: a file nested thousands deep would
    crash it (``RecursionError``) before any message could name the file.
    """
    depth, in_string, escaped, line, line_start = 0, False, False, 1, 0
    for i, c in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return (
                    f"is nested more than {MAX_DEPTH} levels deep (line {line}, column {i - line_start + 1}): "
                    "a quiz is a list of questions, each with a list of answers"
                )
        elif c in "]}":
            depth -= 1
        if c == "\n":
            line, line_start = line + 1, i + 1
    return None


def quiz_path(name: str, quizzes: Path = QUIZZES) -> Path:
    """The file of quiz ``name`` (``'03_lstm_cell'`` -> ``quizzes/03_lstm_cell.json``)."""
    return quizzes / f"{name}.json"


def display_name(path: Path, root: Path = ROOT) -> str:
    """``quizzes/03_lstm_cell.json`` when ``path`` is inside ``root``, else the path as given."""
    try:
        return (
            Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
        )
    except ValueError:
        return str(path)


def load(
    quiz: str | Path, *, quizzes: Path | None = None, root: Path | None = None
) -> list[dict]:
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
                [
                    Problem(
                        None,
                        "",
                        "is not a quiz name (letters, digits, '_' and '-', as in 03_lstm_cell)",
                    )
                ],
            )
        quiz = quiz_path(quiz, Path(quizzes) if quizzes else QUIZZES)
    path = Path(quiz)
    file = display_name(path, root or ROOT)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise QuizError(
                file,
                [
                    Problem(
                        None,
                        "",
                        f"is {size:,} bytes: a quiz file is at most {MAX_BYTES:,} bytes",
                    )
                ],
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise QuizError(
            file, [Problem(None, "", "no such quiz file")]
        ) from None
    except OSError as err:
        raise QuizError(
            file, [Problem(None, "", f"cannot be read ({err})")]
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise QuizError(
            file,
            [
                Problem(
                    None,
                    "",
                    f"is not valid UTF-8 (byte {err.start}: {err.reason}); save it as UTF-8",
                )
            ],
        ) from None
    deep = depth_problem(text)
    if deep:
        raise QuizError(file, [Problem(None, "", deep)])
    try:
        data = json.loads(
            text,
            parse_constant=_parse_constant,
            parse_float=_parse_float,
            parse_int=_parse_int,
        )
    except json.JSONDecodeError as err:
        raise QuizError(
            file,
            [
                Problem(
                    None,
                    "",
                    f"is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})",
                )
            ],
        ) from None
    except (ValueError, RecursionError) as err:
        raise QuizError(
            file, [Problem(None, "", f"is not valid JSON ({err})")]
        ) from None
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
    # the same HTML as on the site (book.quiztext), with the maths left to the notebook's MathJax
    display_quiz(
        quiztext.render_questions(load(name), quiztext.notebook_typeset),
        **kwargs,
    )


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
