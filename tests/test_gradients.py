"""Unit tests of book.gradients (the measurements of chapter 2)."""

from __future__ import annotations

import numpy as np
import pytest

from book.gradients import (
    adam_step_lengths,
    gradient_norms_by_lag,
    jacobian_product_norms,
    lstm_gradient_paths,
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
    [
        (1.4e-5, "1.4 × 10⁻⁵"),
        (3.7e6, "3.7 × 10⁶"),
        (0.731, "0.73"),
        (552.0, "550"),
        (9.99e-9, "1.0 × 10⁻⁸"),
        (-2.5e-4, "-2.5 × 10⁻⁴"),
        (1.0, "1.0"),
        (0.0, "0.0"),
    ],
)
def test_scientific(value, text):
    from book.gradients import scientific

    assert scientific(value) == text


def test_lstm_gradient_paths_reproduce_keras_and_cut_the_h_path():
    inputs = _inputs()
    layer = _lstm(forget_bias=3.0)
    every, forget = lstm_gradient_paths(layer, inputs)
    belt, forget_again = lstm_gradient_paths(layer, inputs, belt_only=True)
    np.testing.assert_allclose(every, gradient_norms_by_lag(layer, inputs), rtol=1e-4)
    assert forget.shape == (4, T, UNITS)
    np.testing.assert_array_equal(forget, forget_again)  # the forward pass is the same
    assert np.all((forget > 0) & (forget < 1))
    assert abs(forget.mean() - 1 / (1 + np.exp(-3.0))) < 0.02
    assert np.isclose(belt[0], every[0], rtol=1e-6)  # lag 0 has no path through h
    assert belt[20] < every[20]  # cutting paths removes gradient
    # along the cell state alone the gradient shrinks about like the mean forget gate
    assert abs(per_step_factor(belt, 20) - forget.mean()) < 0.05


def test_lstm_gradient_paths_rejects_2d_inputs():
    with pytest.raises(ValueError, match="batch, T, features"):
        lstm_gradient_paths(_lstm(), np.zeros((T, FEATURES)))


def test_jacobian_product_of_a_linear_unit_is_a_power():
    W = np.array([[0.5]])
    norms = jacobian_product_norms(W, np.zeros((10, 1)))  # slope 1 at h = 0
    np.testing.assert_allclose(norms, 0.5 ** np.arange(1, 11))


def test_jacobian_product_explodes_with_spectral_radius_zero():
    W = 2.0 * np.array([[1.0, 1.0], [-1.0, -1.0]])
    assert spectral_radius(W) < 1e-12
    states = np.tile([0.0, np.tanh(8.0)], (50, 1))
    norms = jacobian_product_norms(W, states)
    assert norms[-1] > 1e15
    with pytest.raises(ValueError, match="square"):
        jacobian_product_norms(W, np.zeros((3, 3)))


def test_adam_step_lengths_match_keras():
    rng = np.random.default_rng(0)
    gradients = [rng.normal(size=7) for _ in range(5)] + [1e4 * rng.normal(size=7)]
    for clip in (None, 1.0):
        variable = keras.Variable(np.zeros(7, dtype="float32"))
        kwargs = {} if clip is None else {"global_clipnorm": clip}
        optimizer = keras.optimizers.Adam(learning_rate=0.01, **kwargs)
        expected = []
        for g in gradients:
            before = variable.numpy().astype(np.float64)
            optimizer.apply_gradients([(g.astype("float32"), variable)])
            expected.append(np.linalg.norm(variable.numpy() - before))
        lengths = adam_step_lengths(gradients, 0.01, global_clipnorm=clip)
        np.testing.assert_allclose(lengths, expected, rtol=1e-3)


def test_adam_steps_ignore_the_scale_of_the_gradient_but_remember_a_spike():
    g = np.ones(4)
    steady = adam_step_lengths([g] * 20)
    np.testing.assert_allclose(adam_step_lengths([1000 * g] * 20), steady, rtol=1e-4)
    spiked = adam_step_lengths([g] * 10 + [1000 * g] + [g] * 20)
    clipped = adam_step_lengths([g] * 10 + [1000 * g] + [g] * 20, global_clipnorm=2.0)
    assert spiked[-1] < steady[-1] / 10
    np.testing.assert_allclose(clipped, adam_step_lengths([g] * 31), rtol=1e-6)
