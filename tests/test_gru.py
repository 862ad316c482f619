"""Unit tests of book.gru: the NumPy GRU of chapter 7 against keras.layers.GRU."""

from __future__ import annotations

import numpy as np
import pytest

from book.gru import (
    GATE_ORDER,
    check_shapes,
    gru_forward,
    gru_param_count,
    gru_step,
    keras_gru_forward,
    split_keras_weights,
)
from book.lstm import sigmoid

TOLERANCE = 1e-5


def keras_layer(keras, n_x, n_h, steps, seed=0):
    """A built keras.layers.GRU with Keras' defaults and random weights (gates in their working range)."""
    layer = keras.layers.GRU(n_h, return_sequences=True)
    layer.build((None, steps, n_x))
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0.0, 0.5, size=w.shape).astype("float32") for w in layer.get_weights()]
    layer.set_weights(weights)
    return layer, weights


@pytest.mark.parametrize(
    "batch, steps, n_x, n_h",
    [
        (1, 7, 3, 4),  # batch of one
        (5, 9, 2, 1),  # one unit
        (3, 12, 10, 3),  # input wider than the state
        (2, 12, 2, 9),  # input narrower than the state
        (1, 1, 1, 1),  # one step, one feature, one unit
        (4, 400, 3, 6),  # a long sequence: errors must not accumulate
    ],
)
def test_forward_matches_keras(keras_modules, batch, steps, n_x, n_h):
    _, keras = keras_modules
    layer, weights = keras_layer(keras, n_x, n_h, steps, seed=batch * 100 + n_h)
    assert [w.shape for w in weights] == [(n_x, 3 * n_h), (n_h, 3 * n_h), (2, 3 * n_h)]
    x = np.random.default_rng(steps).normal(size=(batch, steps, n_x)).astype("float32")
    expected = np.asarray(layer(x))
    got = keras_gru_forward(x, *weights)
    assert got.shape == (batch, steps, n_h)
    assert got.dtype == np.float64
    assert np.abs(got - expected).max() < TOLERANCE
    # the states move: the comparison is not between two arrays of zeros
    assert np.abs(expected).max() > 0.05


def test_keras_default_weights_match(keras_modules):
    """Keras' own initialisation (zero biases, orthogonal recurrent kernel), not only ours."""
    _, keras = keras_modules
    keras.utils.set_random_seed(3)
    layer = keras.layers.GRU(5, return_sequences=True)
    x = np.random.default_rng(0).normal(size=(2, 30, 4)).astype("float32")
    expected = np.asarray(layer(x))
    assert np.abs(keras_gru_forward(x, *layer.get_weights()) - expected).max() < TOLERANCE


def test_reset_gate_acts_after_the_matrix_product():
    """With reset_after, r scales h_{t-1} U_h + c_h, recurrent bias included: r = 0 removes the bias too."""
    n_h = 1
    kernel = np.zeros((1, 3))
    recurrent = np.zeros((1, 3))
    bias = np.zeros((2, 3))
    bias[0, 1] = -50.0  # reset gate closed: r = sigmoid(-50)
    bias[1, 2] = 3.0  # recurrent bias of the candidate
    trace = gru_forward(np.zeros((1, 1, 1)), kernel, recurrent, bias)
    assert trace.r[0, 0, 0] < 1e-20
    assert abs(trace.h_tilde[0, 0, 0]) < 1e-15  # the recurrent bias was reset away
    bias[0, 1] = 50.0  # reset gate open
    trace = gru_forward(np.zeros((1, 1, 1)), kernel, recurrent, bias)
    assert trace.h_tilde[0, 0, 0] == pytest.approx(np.tanh(3.0))
    assert n_h == trace.h.shape[-1]


def test_update_gate_near_one_keeps_the_state():
    """Keras' convention: h_t = z h_{t-1} + (1 - z) h~_t, so z near 1 keeps the old state."""
    rng = np.random.default_rng(1)
    kernel, recurrent = rng.normal(size=(2, 9)), rng.normal(size=(3, 9))
    bias = np.zeros((2, 9))
    bias[0, :3] = 40.0  # z = sigmoid(40 + ...) ~ 1
    h0 = rng.uniform(-1, 1, size=(4, 3))
    trace = gru_forward(rng.normal(size=(4, 6, 2)), kernel, recurrent, bias, h0=h0)
    np.testing.assert_allclose(trace.h[:, -1], h0, atol=1e-9)


def test_trace_is_consistent_with_the_equations():
    rng = np.random.default_rng(3)
    kernel, recurrent, bias = rng.normal(size=(2, 6)), rng.normal(size=(2, 6)), rng.normal(size=(2, 6))
    x = rng.normal(size=(3, 5, 2))
    trace = gru_forward(x, kernel, recurrent, bias)
    assert np.all((trace.z > 0) & (trace.z < 1)) and np.all((trace.r > 0) & (trace.r < 1))
    assert np.all(np.abs(trace.h_tilde) < 1)
    h_prev = np.concatenate([np.zeros((3, 1, 2)), trace.h[:, :-1]], axis=1)
    np.testing.assert_allclose(trace.h, trace.z * h_prev + (1 - trace.z) * trace.h_tilde)
    w = split_keras_weights(kernel, recurrent, bias)
    z_by_hand = sigmoid(x @ w.W["z"] + w.b["z"] + h_prev @ w.U["z"] + w.c["z"])
    np.testing.assert_allclose(trace.z, z_by_hand)


def test_the_other_convention_is_the_same_model_with_the_update_gate_negated():
    """h = (1 - z') h_prev + z' h~ with z' = sigmoid(-a) is Keras' h = z h_prev + (1 - z) h~, z = sigmoid(a)."""
    rng = np.random.default_rng(4)
    kernel, recurrent, bias = rng.normal(size=(2, 6)), rng.normal(size=(2, 6)), rng.normal(size=(2, 6))
    x = rng.normal(size=(2, 8, 2))
    trace = gru_forward(x, kernel, recurrent, bias)
    flipped = [a.copy() for a in (kernel, recurrent, bias)]
    for a in flipped:
        a[..., :2] *= -1  # negate the update gate's block
    w = split_keras_weights(*flipped)
    h = np.zeros((2, 2))
    for t in range(x.shape[1]):
        _, act = gru_step(x[:, t], h, w)  # gates of the flipped weights at the other model's state
        h = (1 - act["z"]) * h + act["z"] * act["h_tilde"]  # the other convention's update
        np.testing.assert_allclose(act["z"], 1 - trace.z[:, t])
        np.testing.assert_allclose(h, trace.h[:, t])


GOOD = dict(
    x=np.zeros((2, 5, 3)), kernel=np.zeros((3, 6)), recurrent_kernel=np.zeros((2, 6)), bias=np.zeros((2, 6))
)


@pytest.mark.parametrize(
    "name, shape, message",
    [
        ("x", (5, 3), "x has shape (5, 3); expected a 3-D array"),
        ("kernel", (4, 6), "kernel has shape (4, 6); expected (features, 3 * units) = (3, 6)"),
        ("kernel", (3, 8), "kernel has shape (3, 8)"),
        ("recurrent_kernel", (2, 8), "recurrent_kernel has shape (2, 8); expected (units, 3 * units)"),
        ("recurrent_kernel", (6,), "recurrent_kernel has shape (6,)"),
        ("bias", (6,), "bias has shape (6,); expected (2, 3 * units) = (2, 6)"),
        ("bias", (2, 8), "bias has shape (2, 8)"),
        ("bias", (1, 6), "bias has shape (1, 6)"),
    ],
)
def test_wrong_shapes_raise_value_error_naming_the_array(name, shape, message):
    args = dict(GOOD, **{name: np.zeros(shape)})
    with pytest.raises(ValueError) as info:
        keras_gru_forward(**args)
    assert message in str(info.value)


def test_lstm_weights_are_refused():
    """An LSTM's arrays (four blocks, one bias vector) are not silently accepted."""
    with pytest.raises(ValueError, match="recurrent_kernel has shape"):
        keras_gru_forward(np.zeros((1, 2, 3)), np.zeros((3, 8)), np.zeros((2, 8)), np.zeros(8))


def test_good_shapes_pass():
    assert check_shapes(**GOOD) == (3, 2)


def test_wrong_initial_state_raises():
    with pytest.raises(ValueError, match=r"h0 has shape \(1, 2\)"):
        gru_forward(**GOOD, h0=np.zeros((1, 2)))


def test_gate_order_is_keras_order():
    assert GATE_ORDER == ("z", "r", "h")


def test_param_count_matches_keras(keras_modules):
    _, keras = keras_modules
    for n_x, n_h in [(1, 1), (3, 5), (10, 32), (64, 16)]:
        layer = keras.layers.GRU(n_h)
        layer.build((None, None, n_x))
        assert layer.count_params() == gru_param_count(n_x, n_h)
