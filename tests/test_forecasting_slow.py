"""Chapter 5's ranking, rerun from other random initial weights.

The chapter (chapters/05_forecasting.md) trains each model once, from the seed of
``book.runtime.setup``. Here the three recurrent models of its results table (a two-layer
``SimpleRNN`` and LSTM of 20 units, and the control: a ``SimpleRNN`` with about as many
parameters as the LSTM) train again on the chapter's data with the chapter's settings (a fixed
budget of 15 epochs, batch 64, learning rate 1e-2, final weights), from seeds other than the
chapter's. For each seed the chapter's claim must hold: the LSTM's test MSE is below half of
either ``SimpleRNN``'s; and every recurrent model beats the naive forecast. (Not by a fixed
factor: from seed 2 the control trained badly at this learning rate, 0.080 against the naive
forecast's 0.136 and the small ``SimpleRNN``'s 0.035.)
About a minute of CPU time per model and seed.
"""

from __future__ import annotations

import numpy as np
import pytest

from book.runtime import import_tensorflow, setup

import_tensorflow()

from book.data import forecasting_split  # noqa: E402
from book.metrics import mse  # noqa: E402
from book.models import recurrent_forecaster, train  # noqa: E402

# The chapter's settings (data cell, training cell and control cell of chapter 5).
N_STEPS, HORIZON = 50, 10
N_TRAIN, N_VALID, N_TEST = 4000, 1000, 1000
EPOCHS, BATCH, LEARNING_RATE = 15, 64, 1e-2
UNITS = 20
CHAPTER_SEED = 0


def simple_rnn_params(u):
    return u * (1 + u) + u + u * (u + u) + u + HORIZON * u + HORIZON


def lstm_params(u):
    return 4 * (simple_rnn_params(u) - HORIZON * u - HORIZON) + HORIZON * u + HORIZON


@pytest.fixture(scope="module")
def chapter_data():
    return tuple(
        forecasting_split(n, N_STEPS, HORIZON, seed=seed)
        for n, seed in [(N_TRAIN, 1), (N_VALID, 2), (N_TEST, 3)]
    )


def test_parameter_formulas_match_keras():
    setup(CHAPTER_SEED)
    assert recurrent_forecaster("SimpleRNN", 7, horizon=HORIZON).count_params() == (simple_rnn_params(7))
    assert recurrent_forecaster("LSTM", 7, horizon=HORIZON).count_params() == lstm_params(7)


@pytest.mark.slow
@pytest.mark.claims
@pytest.mark.parametrize("seed", [1, 2])
def test_lstm_wins_from_other_initial_weights(chapter_data, seed):
    train_set, valid_set, test_set = chapter_data
    matched_units = min(range(1, 200), key=lambda u: abs(simple_rnn_params(u) - lstm_params(UNITS)))
    data = (train_set.x, train_set.y, (valid_set.x, valid_set.y))
    settings = dict(epochs=EPOCHS, batch_size=BATCH, learning_rate=LEARNING_RATE, patience=None)
    naive = mse(np.repeat(test_set.x[:, -1, :], HORIZON, axis=1), test_set.y)
    test_mse = {}
    for name, kind, units in [
        ("SimpleRNN", "SimpleRNN", UNITS),
        ("LSTM", "LSTM", UNITS),
        ("matched", "SimpleRNN", matched_units),
    ]:
        setup(seed)  # each model starts from a freshly seeded state
        run = train(recurrent_forecaster(kind, units, horizon=HORIZON), *data, **settings)
        assert run.epochs == EPOCHS
        test_mse[name] = mse(run.model.predict(test_set.x, verbose=0), test_set.y)
    assert test_mse["LSTM"] < test_mse["SimpleRNN"] / 2, test_mse
    assert test_mse["LSTM"] < test_mse["matched"] / 2, test_mse
    assert max(test_mse.values()) < naive, (test_mse, naive)
