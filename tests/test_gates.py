"""book.gates: gate statistics of a Keras LSTM, computed with the course's NumPy LSTM (chapter 6)."""

from __future__ import annotations

import numpy as np
import pytest

from book.runtime import import_tensorflow, setup

tf, keras = import_tensorflow()

from book.data import adding_problem  # noqa: E402
from book.gates import gate_recorder, gate_statistics, marker_steps  # noqa: E402
from book.models import adding_model, train  # noqa: E402
from book.runtime import seed_everything  # noqa: E402


@pytest.fixture(scope="module")
def model():
    setup(0)
    m = adding_model("LSTM", units=5)
    m.build((None, None, 2))
    return m


def test_marker_steps():
    x, _ = adding_problem(7, 12, seed=0)
    steps = marker_steps(x)
    assert steps.shape == (7, 2)
    assert np.all(steps[:, 0] < 6) and np.all(steps[:, 1] >= 6)
    bad = x.copy()
    bad[0, :, 1] = 0
    with pytest.raises(ValueError, match="exactly two markers"):
        marker_steps(bad)


def test_gradient_and_mse_match_tensorflow(model):
    x, y = adding_problem(16, 20, seed=3)
    stats = gate_statistics(model, x, y)
    prediction = model.predict(x, verbose=0)
    assert stats.mse == pytest.approx(float(np.mean((prediction - y) ** 2)), rel=1e-4)

    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        out = model(xt)
    grad = tape.gradient(out, xt).numpy()[:, :, 0]
    steps = marker_steps(x)
    rows = np.arange(len(x))
    assert stats.grad_first == pytest.approx(np.abs(grad[rows, steps[:, 0]]).mean(), rel=1e-3, abs=1e-7)
    assert stats.grad_second == pytest.approx(np.abs(grad[rows, steps[:, 1]]).mean(), rel=1e-3, abs=1e-7)


def test_gates_of_hand_set_weights(model):
    """Forget gate fixed by its bias; input gate opened by the marker only."""
    units = 5
    kernel = np.zeros((2, 4 * units), dtype="float32")
    kernel[1, :units] = 20.0  # marker -> input gate (block i, Keras order i, f, c, o)
    bias = np.zeros(4 * units, dtype="float32")
    bias[:units] = -10.0  # input gate shut unless the marker is on
    bias[units : 2 * units] = 2.0  # forget gate sigmoid(2)
    lstm = model.layers[0]
    saved = lstm.get_weights()
    try:
        lstm.set_weights([kernel, np.zeros((units, 4 * units), "float32"), bias])
        x, y = adding_problem(8, 30, seed=4)
        stats = gate_statistics(model, x, y)
    finally:
        lstm.set_weights(saved)
    assert stats.forget_between.shape == (units,)
    assert np.allclose(stats.forget_between, 1 / (1 + np.exp(-2.0)), atol=1e-6)
    assert np.all(stats.input_at_markers > 0.99) and np.all(stats.input_elsewhere < 1e-4)


def test_recorder_snapshots_every_few_batches():
    x, y = adding_problem(64, 10, seed=5)
    seed_everything(0)
    recorder = gate_recorder(x[:8], y[:8], every=3)
    train(
        adding_model("LSTM", units=3),
        x,
        y,
        (x[:8], y[:8]),
        epochs=2,
        batch_size=8,
        patience=None,
        callbacks=[recorder],
    )
    batches = 2 * 64 // 8
    assert recorder.batches == [0, *range(3, batches + 1, 3)]
    assert len(recorder.snapshots) == len(recorder.batches)
    assert recorder.series("forget_between").shape == (len(recorder.batches), 3)
    assert recorder.series("mse").shape == (len(recorder.batches),)
