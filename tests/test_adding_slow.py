"""Chapter 6's claim, at reduced size: an LSTM learns the adding problem, far below the mean baseline.

Shorter sequences (T = 50) and fewer of them than the chapter, so that it runs in well under a
minute on two cores; the settings (Adam at 2e-2, clipping, batch 64) are the chapter's.
"""

from __future__ import annotations

import numpy as np
import pytest

from book.runtime import import_tensorflow, setup

import_tensorflow()

from book.data import adding_problem  # noqa: E402
from book.models import adding_model, train  # noqa: E402


@pytest.mark.slow
def test_lstm_learns_the_adding_problem():
    setup(0)
    length = 50
    x_train, y_train = adding_problem(6000, length, seed=11)
    x_valid, y_valid = adding_problem(500, length, seed=12)
    x_test, y_test = adding_problem(1000, length, seed=13)
    baseline = float(np.mean((y_train.mean() - y_test) ** 2))
    assert baseline == pytest.approx(1 / 6, abs=0.02)

    run = train(
        adding_model("LSTM", units=32),
        x_train,
        y_train,
        (x_valid, y_valid),
        epochs=8,
        batch_size=64,
        learning_rate=2e-2,
        patience=None,
    )
    prediction = run.model.predict(x_test, verbose=0)
    test_mse = float(np.mean((prediction - y_test) ** 2))
    assert test_mse < baseline / 10, (test_mse, run.history["val_loss"])
