"""The shown order of quiz answers (book/site/quizorder.py): a permutation of the file's answers,
never the file's own order, the same on every build, and one that no longer gives the answer away
(the quiz files list the correct answer first in most questions). The files keep their order."""

from __future__ import annotations

import copy
import functools
import json
import os
import subprocess
import sys

from book import quizzes
from book.site import quizorder


@functools.cache
def _load(name: str) -> list[dict]:
    return quizzes.load(name)


def all_questions():
    return [(name, q) for name in quizzes.names() for q in _load(name)]


def choice_questions():
    return [(name, q) for name, q in all_questions() if q["type"] in quizorder.CHOICE_TYPES]


def test_every_choice_question_is_permuted_and_never_left_in_file_order():
    for name, question in choice_questions():
        order = quizorder.permutation(name, question)
        assert sorted(order) == list(range(len(question["answers"])))
        assert order != list(range(len(question["answers"]))), (name, question["question"][:40])


def test_numeric_questions_keep_their_answers():
    for name, question in all_questions():
        if question["type"] == "numeric":
            assert quizorder.permutation(name, question) == list(range(len(question["answers"])))


def test_displayed_marks_sources_and_in_file_order_undoes_it_without_touching_the_input():
    for name in quizzes.names():
        questions = copy.deepcopy(_load(name))
        before = copy.deepcopy(questions)
        shown = quizorder.displayed(name, questions)
        assert questions == before
        for question, s in zip(questions, shown, strict=True):
            assert [a["source"] for a in s["answers"]] == quizorder.permutation(name, question)
            for a in s["answers"]:
                assert {k: v for k, v in a.items() if k != "source"} == question["answers"][a["source"]]
        assert quizorder.in_file_order(shown) == questions


def test_the_order_is_the_same_in_another_process_whatever_its_hash_seed():
    questions = {f"{name}/{i}": q for name in quizzes.names() for i, q in enumerate(_load(name))}
    here = {key: quizorder.permutation(key.split("/")[0], q) for key, q in questions.items()}
    code = (
        "import json, sys; from book.site import quizorder; qs = json.load(sys.stdin); "
        "print(json.dumps({k: quizorder.permutation(k.split('/')[0], q) for k, q in qs.items()}))"
    )
    for seed in ("0", "12345"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            input=json.dumps(questions),
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        assert json.loads(out) == here


def test_the_position_of_the_correct_answer_gives_nothing_away():
    """In the files the first answer is correct in most choice questions; as shown, it is not."""
    first_in_file = sum(q["answers"][0]["correct"] for _, q in choice_questions())
    first_shown = sum(
        q["answers"][quizorder.permutation(name, q)[0]]["correct"] for name, q in choice_questions()
    )
    n = len(choice_questions())
    assert first_in_file / n > 0.8  # the problem the shuffle solves (if this fails, the files changed)
    # Uniform positions would put a correct answer first in about 30% of these questions
    # (most have 4 answers, a few several correct ones); allow up to half.
    assert first_shown / n <= 0.5, (first_shown, n)
    # and the correct answers are spread over the positions, not all moved to another one
    positions = [
        quizorder.permutation(name, q).index(next(j for j, a in enumerate(q["answers"]) if a["correct"]))
        for name, q in choice_questions()
    ]
    assert len(set(positions)) >= 4
    assert max(positions.count(p) for p in set(positions)) / n <= 0.5
