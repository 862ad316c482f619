"""Chapter 6's claims, rerun (``claims`` tier): the chapter's seed is not a lucky one for the
LSTM, the shape of its learning and the order in which it learns hold for other seeds, and the
``SimpleRNN``'s failure is not a matter of its learning rate or its seed.

The chapter (``chapters/06_long_term_memory.md``) trains each model once, from ``SEED`` (0), with
``book.models.train`` (Keras' ``fit``). Here the same models, on the same data with the same
settings (read from the chapter's code cells by :mod:`chapter_settings`: ``T``, the units, epochs,
batch and learning rates), are trained side by side with :func:`book.sidebyside.train_side_by_side`,
which follows Keras' ``fit`` copy by copy (``tests/test_sidebyside.py``): each copy has the initial
weights of its seed and its own order of batches drawn from that seed (not the same order Keras
would draw, so seed 0 here is not the chapter's run, only one more run from its initial weights).

``test_the_lstm_solves_the_task_from_other_seeds`` checks, for three seeds other than the
chapter's, what the chapter says of its LSTM:

- "trains this exact LSTM ... from three other seeds, and fails unless every run gets below 0.01
  within the same epochs";
- "a plateau, then a cliff. For the first epochs the LSTM does no better than the mean guess;
  then, within one epoch, its validation error drops below 0.01 ... and stays far below it"
  (with the chapter's own thresholds: the first epoch above 80% of the baseline, the epoch
  before the drop above half of it, every later epoch below 0.01);
- "The LSTM learns to write before it learns to keep", "Then the forget gate opens, and the
  cliff follows": measured as the chapter measures it (``book.gates.gate_statistics`` every 25
  batches on the first 100 validation sequences; the memory unit is the one whose forget gate
  keeps most at the end), its input gate's selectivity passes 0.5 before its forget gate passes
  0.9, and the probe error leaves the baseline (below half of it) no earlier than that.

``test_simple_rnn_stays_on_the_baseline`` trains the chapter's ``SimpleRNN`` at its rate and at the
two others the chapter names (0.001, 0.003 and 0.01), from the chapter's seed and from another one,
as the chapter says the test suite does: no epoch of any run may get below 80% of the validation
baseline (the MSE of always answering the training mean), the chapter's own test of "stays on
the baseline".

Duration: 2 min 40 s for the module (the LSTM's test 49 s, the SimpleRNN's 107 s), measured once
on 4 December 2026 on the 2-core machine under load (other books building beside it); on an idle
machine it remains to be measured.
"""

from __future__ import annotations

import numpy as np
import pytest

from book.runtime import import_tensorflow, seed_everything

import_tensorflow()

from book.data import adding_problem  # noqa: E402
from book.gates import gate_statistics  # noqa: E402
from book.models import adding_model  # noqa: E402
from book.sidebyside import train_side_by_side  # noqa: E402
from chapter_settings import chapter_settings  # noqa: E402

SETTINGS = chapter_settings(
    "06_long_term_memory", "T", "RNN_UNITS", "LSTM_UNITS", "EPOCHS", "BATCH", "SEED", "RNN_LR", "LSTM_LR"
)
T, EPOCHS, BATCH, CHAPTER_SEED = SETTINGS["T"], SETTINGS["EPOCHS"], SETTINGS["BATCH"], SETTINGS["SEED"]
N_TRAIN, N_VALID = 10_000, 1_000  # the chapter's data cell (training seed 1, validation seed 2)
RNN_LEARNING_RATES = (1e-3, 3e-3, 1e-2)  # the rates the chapter says the test suite tries
LSTM_SEEDS = [1, 2, 3]  # "from three other seeds"
RNN_SEEDS = [CHAPTER_SEED, 1]  # "at 0.003 and 0.01, and at all three rates from another seed"
LSTM_TARGET = 0.01  # the validation MSE every LSTM run must get below
EVERY, PROBES = 25, 100  # the chapter's recorder: every 25 batches, on 100 validation sequences


@pytest.fixture(scope="module")
def chapter_data():
    (x_train, y_train), (x_valid, y_valid) = (
        adding_problem(N_TRAIN, T, seed=1),
        adding_problem(N_VALID, T, seed=2),
    )
    baseline = float(np.mean((y_train.mean() - y_valid) ** 2))  # the chapter's valid_baseline
    return (x_train, y_train, (x_valid, y_valid)), baseline


def seeded_model(kind, units, seed):
    seed_everything(seed)
    return adding_model(kind, units=units)


def test_the_chapter_settings_are_the_ones_this_file_names():
    assert SETTINGS["RNN_LR"] in RNN_LEARNING_RATES
    assert CHAPTER_SEED not in LSTM_SEEDS and len(LSTM_SEEDS) == 3
    assert RNN_SEEDS[0] == CHAPTER_SEED and RNN_SEEDS[1] != CHAPTER_SEED


def first_batch(batches, condition):
    """Batches seen at the first snapshot where ``condition`` holds, or None."""
    return int(batches[np.argmax(condition)]) if condition.any() else None


@pytest.mark.slow
@pytest.mark.claims
def test_the_lstm_solves_the_task_from_other_seeds(chapter_data):
    data, baseline = chapter_data
    x_probe, y_probe = data[2][0][:PROBES], data[2][1][:PROBES]
    models = [seeded_model("LSTM", SETTINGS["LSTM_UNITS"], seed) for seed in LSTM_SEEDS]
    batches, snapshots = [], []

    def record(seen):
        batches.append(seen)
        snapshots.append([gate_statistics(model, x_probe, y_probe) for model in models])

    runs = train_side_by_side(
        models, *data, learning_rates=SETTINGS["LSTM_LR"], seeds=LSTM_SEEDS, epochs=EPOCHS,
        batch_size=BATCH, every=EVERY, on_snapshot=record,
    )  # fmt: skip
    batches = np.array(batches)
    failures = []
    for copy, (seed, run) in enumerate(zip(LSTM_SEEDS, runs, strict=True)):
        val = run.history["val_loss"]
        report = f"seed {seed}: validation MSE by epoch {np.round(val, 4)}, baseline {baseline:.4f}"
        # below 0.01 within the chapter's epochs
        if min(val) >= LSTM_TARGET:
            failures.append(report + ": never below 0.01")
            continue
        # a plateau, then a cliff within one epoch, and it stays below
        breakthrough = next(e for e, v in enumerate(val, 1) if v < LSTM_TARGET)
        if not (
            val[0] > 0.8 * baseline
            and breakthrough > 1
            and val[breakthrough - 2] > 0.5 * baseline
            and all(v < LSTM_TARGET for v in val[breakthrough - 1 :])
        ):
            failures.append(report + ": not a plateau, then a cliff, then below 0.01")
        # the order of events, measured as the chapter measures it
        probe_mse = np.array([s[copy].mse for s in snapshots])
        forget = np.array([s[copy].forget_between for s in snapshots])
        selectivity = np.array([s[copy].input_at_markers - s[copy].input_elsewhere for s in snapshots])
        unit = int(np.argmax(forget[-1]))
        writes = first_batch(batches, selectivity[:, unit] > 0.5)
        keeps = first_batch(batches, forget[:, unit] > 0.9)
        drop = first_batch(batches, probe_mse < 0.5 * baseline)
        events = (
            f"memory unit {unit}: writes at batch {writes}, keeps at {keeps}, the probe error drops at {drop}"
        )
        if None in (writes, keeps, drop) or not writes < keeps <= drop:
            failures.append(f"seed {seed}: {events}: not 'write, then keep, then the cliff'")
    assert not failures, "\n".join(failures)


@pytest.mark.slow
@pytest.mark.claims
def test_simple_rnn_stays_on_the_baseline(chapter_data):
    data, baseline = chapter_data
    copies = [(seed, rate) for seed in RNN_SEEDS for rate in RNN_LEARNING_RATES]
    runs = train_side_by_side(
        [seeded_model("SimpleRNN", SETTINGS["RNN_UNITS"], seed) for seed, _ in copies], *data,
        learning_rates=[rate for _, rate in copies], seeds=[seed for seed, _ in copies],
        epochs=EPOCHS, batch_size=BATCH,
    )  # fmt: skip
    left = {
        f"seed {seed}, rate {rate:g}": np.round(run.history["val_loss"], 4)
        for (seed, rate), run in zip(copies, runs, strict=True)
        if min(run.history["val_loss"]) <= 0.8 * baseline
    }
    assert all(len(run.history["val_loss"]) == EPOCHS for run in runs)
    assert not left, f"the SimpleRNN left the baseline ({baseline:.4f}): {left}"
