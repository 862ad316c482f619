"""Find the numbers of a quiz file, as ``tests/test_quiz_numbers.py`` registers them.

A *number* is a run of digits in a text field of a quiz (question, answer, feedback, code),
with its decimals and its thousands commas (``4,353`` is one number), or a power of ten
written in TeX (``10^4``, ``1.6 \\times 10^{15}``: one number each). Not numbers: digits inside
a word or identifier (``LSTM2``, ``x_1``) and the subscripts of math (``h_{40}``, ``c_{t-1}``),
which are always indices. A minus sign is not part of a number (``-0.6`` is found as
``0.6``): the registry says what each number is, and the check of a result compares sizes.

The numeric fields of an answer (``value``, ``range``) are not scanned here: each numeric
answer is checked as a whole (its value, or that its range holds the computed value).
``precision`` is the number of significant digits the answer box compares, a setting of
the question, never a result.

Run it to list the numbers of a quiz with where they occur (a new quiz's registry starts
from this list): ``.venv/bin/python tests/quiz_numbers_scan.py 06_long_term_memory``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUIZZES = ROOT / "quizzes"

# TeX subscripts: _{...} and _x (indices, never results)
_SUBSCRIPT = re.compile(r"_\{[^{}]*\}|_\d+")
# m \times 10^{e} and 10^{e} (also 10^e): one number each
_TIMES_TEN = re.compile(r"(\d+(?:\.\d+)?)\s*\\times\s*10\^\{?(-?\d+)\}?")
_TEN_POWER = re.compile(r"(?<![\w.])10\^\{?(-?\d+)\}?")
# a plain number: digits, optional thousands commas, optional decimals; not inside a word
_PLAIN = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w])|(?<![\w.])\d+(?:\.\d+)?(?![\w])")


def numbers_in(text: str) -> list[str]:
    """The numbers of one quiz text, as strings: ``'0.0115'``, ``'4353'``, ``'1.6e15'``, ``'1e4'``."""
    text = _SUBSCRIPT.sub(" ", text)
    found: list[str] = []

    def times_ten(match):
        found.append(f"{match.group(1)}e{int(match.group(2))}")
        return " "

    def ten_power(match):
        found.append(f"1e{int(match.group(1))}")
        return " "

    text = _TIMES_TEN.sub(times_ten, text)
    text = _TEN_POWER.sub(ten_power, text)
    found += [m.group(0).replace(",", "") for m in _PLAIN.finditer(text)]
    return found


def text_fields(question: dict):
    """``(field, text)`` for every text of a question (as in the quiz file; answers from 0)."""
    yield "question", question["question"]
    if "code" in question:
        yield "code", question["code"]
    for index, answer in enumerate(question["answers"]):
        for key in ("answer", "feedback", "code"):
            if key in answer:
                yield f"answers[{index}].{key}", answer[key]


def quiz_numbers(name: str) -> dict[str, list[str]]:
    """Each number of quiz ``name`` -> where it occurs (``'Q2 answers[0].feedback'``, questions from 1)."""
    questions = json.loads((QUIZZES / f"{name}.json").read_text(encoding="utf-8"))
    where: dict[str, list[str]] = {}
    for number, question in enumerate(questions, start=1):
        for field, text in text_fields(question):
            for found in numbers_in(text):
                where.setdefault(found, []).append(f"Q{number} {field}")
    return where


if __name__ == "__main__":
    for quiz in sys.argv[1:] or sorted(p.stem for p in QUIZZES.glob("*.json")):
        print(f"== {quiz}")
        for number, places in sorted(quiz_numbers(quiz).items(), key=lambda item: float(item[0])):
            print(f"  {number:>10s}  {', '.join(places)}")
