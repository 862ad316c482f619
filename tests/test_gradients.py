"""Unit tests of book.gradients (the measurements of chapter 2)."""

from __future__ import annotations

import numpy as np
import pytest

from book.gradients import (
    gradient_norms_by_lag,
    per_step_factor,
    set_forget_bias,
    set_spectral_radius,
    spectral_radius,
)
from book.runtime import import_tensorflow

tf, keras = import_tensorflow()

T, FEATURES, UNITS = 30, 3, 16


def _inputs(batch=4, steps=T, seed=0):
    return np.random.default_rng(seed).normal(size=(batch, steps, FEATURES)).astype("float32")


def _rnn(radius=None, seed=0, **kwargs):
    keras.utils.set_random_seed(seed)
    layer = keras.layers.SimpleRNN(UNITS, **kwargs)
    layer.build((None, T, FEATURES))
    if radius is not None:
        set_spectral_radius(layer, radius)
    return layer


def _lstm(forget_bias=None, seed=0):
    keras.utils.set_random_seed(seed)
    layer = keras.layers.LSTM(UNITS)
    layer.build((None, T, FEATURES))
    if forget_bias is not None:
        set_forget_bias(layer, forget_bias)
    return layer


def test_spectral_radius_of_known_matrices():
    assert spectral_radius(np.diag([0.5, -2.0, 1.0])) == pytest.approx(2.0)
    # a rotation by 90 degrees has eigenvalues +-i: radius 1 although no real eigenvalue
    assert spectral_radius([[0.0, -1.0], [1.0, 0.0]]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        spectral_radius(np.ones((2, 3)))


@pytest.mark.parametrize("radius", [0.5, 1.0, 2.5])
def test_set_spectral_radius_sets_radius_and_keeps_direction(radius):
    layer = _rnn()
    before_weights = layer.cell.recurrent_kernel.numpy().copy()
    before = set_spectral_radius(layer, radius)
    after_weights = layer.cell.recurrent_kernel.numpy()
    # Keras initialises the recurrent kernel as an orthogonal matrix: radius 1
    assert before == pytest.approx(1.0, rel=1e-5)
    assert spectral_radius(after_weights) == pytest.approx(radius, rel=1e-5)
    np.testing.assert_allclose(after_weights, before_weights * radius / before, rtol=1e-5, atol=1e-7)


def test_set_forget_bias_touches_only_the_forget_block():
    layer = _lstm()
    before = layer.cell.bias.numpy().copy()
    set_forget_bias(layer, 3.0)
    after = layer.cell.bias.numpy()
    np.testing.assert_array_equal(after[UNITS : 2 * UNITS], 3.0)
    np.testing.assert_array_equal(after[:UNITS], before[:UNITS])
    np.testing.assert_array_equal(after[2 * UNITS :], before[2 * UNITS :])


def test_norms_have_one_entry_per_lag_and_are_positive():
    norms = gradient_norms_by_lag(_rnn(1.0), _inputs())
    assert norms.shape == (T,)
    assert norms.dtype == np.float64
    assert np.all(np.isfinite(norms)) and np.all(norms > 0)


def test_lag_zero_is_the_last_input():
    """norms[0] belongs to the last input and norms[T-1] to the first (checked against a direct tape)."""
    layer = _rnn(1.0)
    x = _inputs()
    norms = gradient_norms_by_lag(layer, x)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        total = tf.reduce_sum(layer(xt))
    g = tape.gradient(total, xt).numpy().astype(np.float64)
    assert norms[0] == pytest.approx(np.linalg.norm(g[:, -1, :], axis=1).mean(), rel=1e-6)
    assert norms[-1] == pytest.approx(np.linalg.norm(g[:, 0, :], axis=1).mean(), rel=1e-6)


def test_small_radius_vanishes():
    norms = gradient_norms_by_lag(_rnn(0.5), _inputs())
    assert norms[-1] < 1e-6 * norms[0]
    # mostly monotone: every 5 lags the norm is smaller than 5 lags earlier
    assert np.all(np.diff(norms[::5]) < 0)
    assert per_step_factor(norms, T - 1) < 0.7


def test_large_radius_explodes():
    norms = gradient_norms_by_lag(_rnn(2.5), _inputs())
    assert norms[-1] > 20 * norms[0]
    assert per_step_factor(norms, T - 1) > 1.1


def test_lstm_with_open_forget_gate_keeps_its_gradient():
    closed = gradient_norms_by_lag(_lstm(), _inputs())
    opened = gradient_norms_by_lag(_lstm(forget_bias=4.0), _inputs())
    # at lag T-1 the open gate keeps the norm within a factor 10 of lag 0 ...
    assert 0.1 < opened[-1] / opened[0] < 10
    # ... and far above what Keras' default initialisation (forget bias 1) keeps
    assert opened[-1] > 100 * closed[-1]


def test_sequence_output_uses_the_last_step():
    full = gradient_norms_by_lag(_rnn(1.0, return_sequences=True), _inputs())
    last = gradient_norms_by_lag(_rnn(1.0), _inputs())
    np.testing.assert_allclose(full, last, rtol=1e-6)


def test_deterministic():
    first = gradient_norms_by_lag(_rnn(0.8, seed=3), _inputs(seed=1))
    second = gradient_norms_by_lag(_rnn(0.8, seed=3), _inputs(seed=1))
    np.testing.assert_array_equal(first, second)


def test_rejects_wrong_shapes_and_lags():
    with pytest.raises(ValueError):
        gradient_norms_by_lag(_rnn(1.0), np.zeros((T, FEATURES)))
    with pytest.raises(ValueError):
        per_step_factor(np.ones(5), 5)
    with pytest.raises(ValueError):
        set_spectral_radius(_rnn(), -1.0)


def test_per_step_factor_inverts_a_geometric_sequence():
    norms = 3.0 * 0.8 ** np.arange(20)
    assert per_step_factor(norms, 19) == pytest.approx(0.8)


@pytest.mark.parametrize(
    "value, text",
    [(1.4e-5, "1.4 × 10⁻⁵"), (3.7e6, "3.7 × 10⁶"), (0.731, "0.73"), (552.0, "550"),
     (9.99e-9, "1.0 × 10⁻⁸"), (-2.5e-4, "-2.5 × 10⁻⁴"), (1.0, "1.0"), (0.0, "0.0")],
)
def test_scientific(value, text):
    from book.gradients import scientific

    assert scientific(value) == text
