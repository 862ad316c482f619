"""Unit tests of book.lstm: the NumPy LSTM of chapter 4 against Keras, finite differences and tf.GradientTape."""

from __future__ import annotations

import numpy as np
import pytest

from book.lstm import (
    GATE_ORDER,
    check_shapes,
    keras_lstm_forward,
    latch_inputs,
    latch_weights,
    lstm_backward,
    lstm_forward,
    lstm_param_count,
    sigmoid,
)

TOLERANCE = 1e-5


def keras_layer(keras, n_x, n_h, steps, weights=None, seed=0):
    """A built keras.layers.LSTM; random weights (all gates in their working range) unless given."""
    layer = keras.layers.LSTM(n_h, return_sequences=True)
    layer.build((None, steps, n_x))
    if weights is None:
        rng = np.random.default_rng(seed)
        weights = [rng.normal(0.0, 0.5, size=w.shape) for w in layer.get_weights()]
    layer.set_weights([np.asarray(w, dtype="float32") for w in weights])
    return layer, [np.asarray(w, dtype="float32") for w in weights]


@pytest.mark.parametrize(
    "batch, steps, n_x, n_h",
    [
        (1, 7, 3, 4),  # batch of one
        (5, 9, 2, 1),  # one unit
        (3, 12, 10, 3),  # input wider than the state
        (2, 12, 2, 9),  # input narrower than the state
        (4, 400, 3, 6),  # a long sequence: errors must not accumulate
    ],
)
def test_forward_matches_keras(keras_modules, batch, steps, n_x, n_h):
    _, keras = keras_modules
    layer, weights = keras_layer(keras, n_x, n_h, steps, seed=batch * 100 + n_h)
    x = np.random.default_rng(steps).normal(size=(batch, steps, n_x)).astype("float32")
    expected = np.asarray(layer(x))
    got = keras_lstm_forward(x, *weights)
    assert got.shape == (batch, steps, n_h)
    assert got.dtype == np.float64
    assert np.abs(got - expected).max() < TOLERANCE


def test_trace_is_consistent_with_the_equations():
    rng = np.random.default_rng(3)
    kernel, recurrent, bias = rng.normal(size=(2, 12)), rng.normal(size=(3, 12)), rng.normal(size=12)
    trace = lstm_forward(rng.normal(size=(2, 5, 2)), kernel, recurrent, bias)
    for gate in (trace.f, trace.i, trace.o):
        assert np.all((gate > 0) & (gate < 1))
    assert np.all(np.abs(trace.c_tilde) < 1)
    c_prev = np.concatenate([trace.c0[:, None], trace.c[:, :-1]], axis=1)
    np.testing.assert_allclose(trace.c, trace.f * c_prev + trace.i * trace.c_tilde)
    np.testing.assert_allclose(trace.h, trace.o * np.tanh(trace.c))


def test_sigmoid_is_stable_and_correct():
    z = np.array([-1000.0, -3.0, 0.0, 2.0, 1000.0])
    with np.errstate(all="raise"):
        s = sigmoid(z)
    np.testing.assert_allclose(s, [0.0, 1 / (1 + np.exp(3)), 0.5, 1 / (1 + np.exp(-2)), 1.0])


GOOD = dict(
    x=np.zeros((2, 5, 3)), kernel=np.zeros((3, 8)), recurrent_kernel=np.zeros((2, 8)), bias=np.zeros(8)
)


@pytest.mark.parametrize(
    "name, shape, message",
    [
        ("x", (5, 3), "x has shape (5, 3)"),
        ("kernel", (4, 8), r"kernel has shape (4, 8); expected (features, 4 * units) = (3, 8)"),
        ("kernel", (3, 6), "kernel has shape (3, 6)"),
        ("recurrent_kernel", (2, 6), "recurrent_kernel has shape (2, 6); expected (units, 4 * units)"),
        ("recurrent_kernel", (8,), "recurrent_kernel has shape (8,)"),
        ("bias", (6,), "bias has shape (6,); expected (4 * units,) = (8,)"),
        ("bias", (1, 8), "bias has shape (1, 8)"),
    ],
)
def test_wrong_shapes_raise_value_error_naming_the_array(name, shape, message):
    args = dict(GOOD, **{name: np.zeros(shape)})
    with pytest.raises(ValueError) as info:
        keras_lstm_forward(**args)
    assert message in str(info.value)


def test_good_shapes_pass():
    assert check_shapes(**GOOD) == (3, 2)


def test_wrong_initial_state_raises():
    with pytest.raises(ValueError, match=r"h0 has shape \(1, 2\)"):
        lstm_forward(**GOOD, h0=np.zeros((1, 2)))


def test_gate_order_is_keras_order():
    assert GATE_ORDER == ("i", "f", "c", "o")


def test_param_count_matches_keras(keras_modules):
    _, keras = keras_modules
    for n_x, n_h in [(1, 1), (3, 5), (10, 32), (64, 16)]:
        layer = keras.layers.LSTM(n_h)
        layer.build((None, None, n_x))
        assert layer.count_params() == lstm_param_count(n_x, n_h)


def test_latch_stores_and_shows_on_request():
    kernel, recurrent, bias = latch_weights()
    x = latch_inputs(steps=24, writes=((2, 0.9), (13, -0.7)), reads=(8, 19))
    trace = lstm_forward(x, kernel, recurrent, bias)
    h = trace.h[0, :, 0]
    assert abs(h[8] - np.tanh(np.tanh(0.9))) < 0.05
    assert abs(h[19] - np.tanh(np.tanh(-0.7))) < 0.05
    quiet = np.ones(24, bool)
    quiet[[8, 19]] = False
    assert np.abs(h[quiet]).max() < 0.01


def _loss_and_grads(seed=1, batch=2, steps=6, n_x=3, n_h=4):
    rng = np.random.default_rng(seed)
    kernel = rng.normal(0, 0.5, (n_x, 4 * n_h))
    recurrent = rng.normal(0, 0.5, (n_h, 4 * n_h))
    bias = rng.normal(0, 0.5, 4 * n_h)
    x = rng.normal(size=(batch, steps, n_x))
    weights_of_outputs = rng.normal(size=(batch, steps, n_h))  # loss = sum(h * R)

    def loss(x, kernel, recurrent, bias):
        return np.sum(keras_lstm_forward(x, kernel, recurrent, bias) * weights_of_outputs)

    trace = lstm_forward(x, kernel, recurrent, bias)
    grads = lstm_backward(trace, kernel, recurrent, weights_of_outputs)
    return loss, [x, kernel, recurrent, bias], grads, weights_of_outputs


def test_backward_matches_finite_differences():
    loss, arrays, grads, _ = _loss_and_grads()
    eps = 1e-6
    for index, name in enumerate(["x", "kernel", "recurrent_kernel", "bias"]):
        numeric = np.zeros_like(arrays[index])
        for j in np.ndindex(arrays[index].shape):
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[index][j] += eps
            minus[index][j] -= eps
            numeric[j] = (loss(*plus) - loss(*minus)) / (2 * eps)
        assert np.abs(numeric - getattr(grads, name)).max() < 1e-7, name


def test_backward_matches_gradient_tape(keras_modules):
    tf, keras = keras_modules
    _, (x, kernel, recurrent, bias), grads, R = _loss_and_grads(seed=4, batch=3, steps=8, n_x=2, n_h=5)
    layer, _ = keras_layer(keras, 2, 5, 8, weights=[kernel, recurrent, bias])
    x_tf = tf.constant(x, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        loss = tf.reduce_sum(layer(x_tf) * tf.constant(R, tf.float32))
    by_tape = tape.gradient(loss, [x_tf, *layer.trainable_weights])
    for name, expected in zip(["x", "kernel", "recurrent_kernel", "bias"], by_tape, strict=True):
        assert np.abs(np.asarray(expected) - getattr(grads, name)).max() < TOLERANCE, name


def test_backward_rejects_wrong_dh():
    rng = np.random.default_rng(0)
    trace = lstm_forward(rng.normal(size=(1, 3, 2)), np.zeros((2, 4)), np.zeros((1, 4)), np.zeros(4))
    with pytest.raises(ValueError, match=r"dh has shape \(1, 2, 1\); expected \(1, 3, 1\)"):
        lstm_backward(trace, np.zeros((2, 4)), np.zeros((1, 4)), np.zeros((1, 2, 1)))


def _numeric_answer(quiz_name, fragment):
    import json

    from book.paths import QUIZZES

    quiz = json.loads((QUIZZES / f"{quiz_name}.json").read_text())
    (question,) = [q for q in quiz if fragment in q["question"]]
    (value,) = [a["value"] for a in question["answers"] if a.get("correct") and "value" in a]
    return value


def test_quiz_parameter_counts_agree_with_keras(keras_modules):
    """The numeric quiz answers of chapters 4 and 7 are what Keras counts."""
    _, keras = keras_modules

    def count(layer, n_x=4):
        model = keras.Sequential([keras.Input((None, n_x)), layer])
        return model.count_params()

    assert _numeric_answer("04_lstm_equations", "LSTM(16) layer") == count(keras.layers.LSTM(16))
    assert _numeric_answer("04_lstm_equations", "LSTM(16) layer") == lstm_param_count(4, 16)
    assert _numeric_answer("09_where_next", "parameters does a `Bidirectional`") == count(
        keras.layers.Bidirectional(keras.layers.LSTM(16))
    )
    assert _numeric_answer("09_where_next", "GRU(16) layer") == count(keras.layers.GRU(16))


def test_where_next_quiz_numbers():
    """Chapter 9's quiz: the scan's rounds, the KV cache and the composed step, from the course's code."""
    import json

    from book.minlstm import combine, recurrence_cost
    from book.paths import QUIZZES
    from book.transformer import kv_cache_numbers

    # the doubling scan's combining rounds (its last round applies the result to h0)
    assert (
        _numeric_answer("09_where_next", "How many combining rounds")
        == recurrence_cost(1000, "scan").rounds - 1
    )
    assert _numeric_answer("09_where_next", "KV cache hold") == kv_cache_numbers(2000, 1024)
    quiz = json.loads((QUIZZES / "09_where_next.json").read_text())
    (question,) = [q for q in quiz if "Which single step" in q["question"]]
    (key,) = [a["answer"] for a in question["answers"] if a["correct"]]
    a, b = combine((0.5, 2.0), (0.4, 1.0))
    assert key == f"a = {a:g}, b = {b:g}"


def test_quiz_cell_state_arithmetic():
    assert _numeric_answer("04_lstm_equations", "What is $c_t$") == 0.5 * 2 + 1 * (-0.5)
    assert round(0.95**10, 2) == _numeric_answer("03_lstm_cell", "0.95")
