"""Chapter 8's claims, rerun (``claims``: too slow for ``make test``'s budget, about 2.5 minutes on a calm machine).

The chapter (``chapters/08_seq2seq.md``) trains each encoder-decoder once, from seed 0, and
scopes its numbers to that run. These tests retrain them with the chapter's data and settings:

- from three other seeds, both models: the claims of the chapter hold in each run (the model
  without attention is right on short strings and falls with length, greedy decoding below
  teacher forcing; a beam fixes more than it breaks and most errors are model errors; with
  attention, near-perfect digits at every training length, exact match on strings of 10 to 12
  digits far above the model without attention, weights that point at the copied digit, and a
  failure on strings longer than in training);
- the model without attention trained four times longer or with twice the units: it still falls
  with length (the chapter says so);
- each model's learning rate is the best of the grid the chapter names, on a validation set.
"""

from __future__ import annotations

import numpy as np
import pytest

from book.runtime import import_tensorflow, setup

import_tensorflow()

from book.seq2seq import (  # noqa: E402
    NumpySeq2Seq,
    alignment_hits,
    beam_search,
    by_length,
    decode,
    fit_seq2seq,
    reversal_data,
    score_outputs,
    search_errors,
    seq2seq_model,
)

pytestmark = [pytest.mark.slow, pytest.mark.claims]

# The chapter's settings (data cell and training cells of chapters/08_seq2seq.md).
N_DIGITS, TRAIN_LENGTHS, TEST_LENGTHS = 10, range(2, 13), range(2, 16)
UNITS, EPOCHS, BATCH = 32, 10, 128
LEARNING_RATE = {"plain": 3e-2, "attention": 1e-2}
GRID = (3e-3, 1e-2, 3e-2, 1e-1)
SHORT, LONG, HELD = (2, 3, 4), (10, 11, 12), (13, 14, 15)
CHAPTER_SEED = 0


@pytest.fixture(scope="module")
def data():
    return reversal_data(4000, TRAIN_LENGTHS, N_DIGITS, seed=1), reversal_data(
        1500, TEST_LENGTHS, N_DIGITS, seed=2
    )


def trained(data, *, attention, seed, units=UNITS, epochs=EPOCHS, learning_rate=None):
    train, test = data
    if learning_rate is None:
        learning_rate = LEARNING_RATE["attention" if attention else "plain"]
    setup(seed)
    model = seq2seq_model(N_DIGITS, units, attention=attention)
    fit_seq2seq(model, train, epochs=epochs, batch_size=BATCH, learning_rate=learning_rate)
    numpy_model = NumpySeq2Seq(model, N_DIGITS)
    return numpy_model, decode(numpy_model, test, extra=3)


def mean_over(table, lengths):
    return float(np.mean([table[n] for n in lengths]))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_chapter_claims_hold_for_other_seeds(data, seed):
    assert seed != CHAPTER_SEED
    _, test = data
    seen = test.lengths <= max(TRAIN_LENGTHS)
    plain_np, plain = trained(data, attention=False, seed=seed)
    forced = by_length(plain.teacher_forced, test.lengths)
    free = by_length(plain.per_symbol, test.lengths)
    exact = by_length(plain.exact, test.lengths)
    report = f"seed {seed}: forced {forced}, greedy {free}, exact {exact}"
    assert mean_over(free, SHORT) > 0.95 and mean_over(free, SHORT) - mean_over(free, LONG) > 0.2, report
    assert all(forced[n] >= free[n] for n in TRAIN_LENGTHS), report
    gap_short = mean_over(forced, SHORT) - mean_over(free, SHORT)
    assert mean_over(forced, LONG) - mean_over(free, LONG) > gap_short + 0.15, report
    assert mean_over(forced, SHORT) > 0.95 and mean_over(forced, SHORT) - mean_over(forced, LONG) > 0.1, (
        report
    )

    # a beam of width 4 on the strings of training lengths
    rows = np.flatnonzero(seen)
    outputs = []
    for row in rows:
        n = test.lengths[row]
        log_probs = plain_np.log_probs_function(test.source[row, :n])
        outputs.append(beam_search(log_probs, plain_np.start, plain_np.end, 4, n + 3)[0][0])
    beam_exact, _ = score_outputs(outputs, test.subset(rows))
    greedy_exact = plain.exact[rows]
    fixed, broken = (beam_exact & ~greedy_exact).sum(), (greedy_exact & ~beam_exact).sum()
    assert fixed > broken and beam_exact.mean() > greedy_exact.mean(), (fixed, broken)
    search, model = search_errors(plain.output_scores[rows], plain.truth_scores[rows], greedy_exact)
    assert model.sum() > 3 * search.sum(), (model.sum(), search.sum())

    _, attentive = trained(data, attention=True, seed=seed)
    att_free = by_length(attentive.per_symbol, test.lengths)
    att_exact = by_length(attentive.exact, test.lengths)
    report = f"seed {seed}: attention greedy {att_free}, exact {att_exact}; without {exact}"
    assert min(att_free[n] for n in TRAIN_LENGTHS) > 0.9, report
    assert mean_over(att_exact, LONG) > 0.8 and mean_over(exact, LONG) < 0.3, report
    assert mean_over(att_exact, LONG) > 3 * mean_over(exact, LONG), report
    hits = np.concatenate([alignment_hits(attentive.weights[r], test.lengths[r]) for r in rows])
    assert hits.mean() > 0.9, hits.mean()
    assert att_exact[15] < 0.5 * mean_over(att_exact, LONG), report


@pytest.mark.parametrize(
    "change", [{"epochs": 4 * EPOCHS}, {"units": 2 * UNITS}], ids=["four-times-longer", "twice-the-units"]
)
def test_without_attention_accuracy_still_falls_with_length(data, change):
    _, test = data
    _, plain = trained(data, attention=False, seed=CHAPTER_SEED, **change)
    free = by_length(plain.per_symbol, test.lengths)
    exact = by_length(plain.exact, test.lengths)
    report = f"{change}: greedy {free}, exact {exact}"
    assert mean_over(free, SHORT) > 0.9, report  # it learned the task on short strings
    assert mean_over(free, LONG) < mean_over(free, SHORT) - 0.15, report
    assert mean_over(exact, LONG) < 0.5 * mean_over(exact, SHORT), report


@pytest.mark.parametrize("attention", [False, True], ids=["without-attention", "with-attention"])
def test_each_learning_rate_is_the_best_of_the_grid(data, attention):
    """Each model's rate in the chapter is the best of the grid, by exact match on a validation
    set (strings of training lengths from another seed), averaged over two seeds."""
    train, _ = data
    valid = reversal_data(1000, TRAIN_LENGTHS, N_DIGITS, seed=3)
    scores = {}
    for learning_rate in GRID:
        runs = []
        for seed in (0, 1):
            setup(seed)
            model = seq2seq_model(N_DIGITS, UNITS, attention=attention)
            fit_seq2seq(model, train, epochs=EPOCHS, batch_size=BATCH, learning_rate=learning_rate)
            runs.append(decode(NumpySeq2Seq(model, N_DIGITS), valid, extra=3).exact.mean())
        scores[learning_rate] = float(np.mean(runs))
    chosen = LEARNING_RATE["attention" if attention else "plain"]
    assert max(scores, key=scores.get) == chosen, scores
