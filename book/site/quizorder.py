"""The order in which the site shows a question's answers: shuffled at build time, the same on every build.

Used by :mod:`book.site.quiz` for every chapter's quiz (chapters 1-9). The quiz files
(``quizzes/*.json``) list the correct answer first in most questions, and tests and chapters
refer to answers by their index in the file, so the files keep their order and only what a
page shows is permuted: each choice question's answers are shuffled by a generator seeded with
the quiz's name and the question's text (SHA-512 of the string, :class:`random.Random`), so a
build shows the same order every time, on every machine, and editing one question reorders
only that one. A permutation that leaves the file's order unchanged is drawn again (the file's
order is the one that gives the answer away).

jupyterquiz's own ``shuffle_answers`` is not used: it shuffles with ``Math.random`` in the
reader's browser, a new order on every visit.

Each shown answer carries ``"source"``: its index in the file (jupyterquiz ignores the key; the
course's loader, ``quiz_loader.js``, writes it on the answer's button as ``data-answer``, which
the browser tests use). :func:`in_file_order` undoes the permutation.
"""

from __future__ import annotations

import random

__all__ = [
    "CHOICE_TYPES",
    "SOURCE",
    "displayed",
    "in_file_order",
    "permutation",
]

#: Question types whose answers are buttons (numeric questions have no shown answers).
CHOICE_TYPES = frozenset({"multiple_choice", "many_choice"})
#: The key, on each shown answer, of its index in the quiz file.
SOURCE = "source"


def permutation(quiz: str, question: dict) -> list[int]:
    """The file indices of ``question``'s answers in the order the site shows them."""
    n = len(question.get("answers", []))
    identity = list(range(n))
    if question.get("type") not in CHOICE_TYPES or n < 2:
        return identity
    for attempt in range(100):
        order = identity[:]
        random.Random(
            f"{quiz}\n{question.get('question', '')}\n{attempt}"
        ).shuffle(order)
        if order != identity:
            return order
    raise AssertionError(
        "unreachable: 100 shuffles of two or more answers all gave the identity"
    )


def displayed(quiz: str, questions: list[dict]) -> list[dict]:
    """A copy of ``questions`` with every choice question's answers in their shown order,
    each answer marked with its index in the file (``"source"``). The input is not changed."""
    shown = []
    for question in questions:
        copy = dict(question)
        if "answers" in question:
            copy["answers"] = [
                {**question["answers"][i], SOURCE: i}
                for i in permutation(quiz, question)
            ]
        shown.append(copy)
    return shown


def in_file_order(questions: list[dict]) -> list[dict]:
    """The inverse of :func:`displayed`: answers back in the file's order, without ``"source"``."""
    restored = []
    for question in questions:
        copy = dict(question)
        if "answers" in question:
            answers = sorted(
                question["answers"], key=lambda a: a.get(SOURCE, 0)
            )
            copy["answers"] = [
                {k: v for k, v in a.items() if k != SOURCE} for a in answers
            ]
        restored.append(copy)
    return restored
