"""Unit tests of book.models: layer types, output shapes and parameter counts (chapters 5 and 6)."""

from __future__ import annotations

import numpy as np
import pytest

from book.runtime import import_tensorflow, setup

tf, keras = import_tensorflow()

from book.models import (  # noqa: E402 - TensorFlow must be imported quietly first
    adding_model,
    compile_model,
    linear_forecaster,
    marker_sensitivity,
    recurrent_forecaster,
    sensitivity_by_lag,
    train,
)


@pytest.fixture(autouse=True)
def _seeded():
    setup(0)


def layer_types(model):
    return [type(layer).__name__ for layer in model.layers]


def test_linear_forecaster():
    model = linear_forecaster(50, horizon=10)
    assert layer_types(model) == ["Flatten", "Dense"]
    assert model.output_shape == (None, 10)
    assert model.count_params() == 50 * 10 + 10


@pytest.mark.parametrize(
    "kind, units, expected",
    [
        # SimpleRNN(u) on d inputs: u*(d + u) + u; LSTM: 4 times that; dense head u*h + h
        ("SimpleRNN", 20, (20 * 21 + 20) + (20 * 40 + 20) + (20 * 10 + 10)),
        ("LSTM", 20, 4 * (20 * 21 + 20) + 4 * (20 * 40 + 20) + (20 * 10 + 10)),
    ],
)
def test_recurrent_forecaster(kind, units, expected):
    model = recurrent_forecaster(kind, units=units, n_layers=2, horizon=10)
    assert layer_types(model) == [kind, kind, "Dense"]
    assert model.layers[0].return_sequences and not model.layers[1].return_sequences
    assert model.output_shape == (None, 10)
    assert model.count_params() == expected
    # any sequence length goes in, `horizon` values come out
    for length in (5, 50):
        out = model(np.zeros((3, length, 1), dtype="float32"))
        assert tuple(out.shape) == (3, 10)


def test_recurrent_forecaster_single_layer():
    model = recurrent_forecaster("LSTM", units=8, n_layers=1, horizon=1)
    assert layer_types(model) == ["LSTM", "Dense"]
    assert model.output_shape == (None, 1)


@pytest.mark.parametrize(
    "kind, recurrent_params",
    [("SimpleRNN", 32 * (2 + 32) + 32), ("LSTM", 4 * (32 * (2 + 32) + 32))],
)
def test_adding_model(kind, recurrent_params):
    model = adding_model(kind, units=32)
    assert layer_types(model) == [kind, "Dense"]
    assert model.output_shape == (None, 1)
    assert model.count_params() == recurrent_params + 33
    out = model(np.zeros((4, 100, 2), dtype="float32"))
    assert tuple(out.shape) == (4, 1)


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError):
        adding_model("GRU")
    with pytest.raises(ValueError):
        recurrent_forecaster("Transformer")


def test_compile_settings():
    model = compile_model(adding_model("LSTM", units=4), learning_rate=0.01, clipnorm=1.0)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.01)
    assert model.optimizer.global_clipnorm == 1.0 and model.optimizer.clipnorm is None
    assert model.loss == "mse"


def test_train_returns_history_and_time():
    rng = np.random.default_rng(0)
    x = rng.random((64, 6, 1)).astype("float32")
    y = x[:, -3:, 0]  # a task a linear model can learn
    run = train(
        linear_forecaster(6, horizon=3),
        x,
        y,
        (x, y),
        epochs=3,
        batch_size=16,
        learning_rate=0.01,
        patience=None,
    )
    assert run.epochs == 3
    assert set(run.history) == {"loss", "val_loss"}
    assert all(isinstance(v, float) for v in run.history["loss"])
    assert run.history["loss"][-1] < run.history["loss"][0]
    assert run.seconds > 0
    assert run.best_val_loss == min(run.history["val_loss"])


def test_train_is_deterministic():
    rng = np.random.default_rng(1)
    x = rng.random((32, 8, 1)).astype("float32")
    y = rng.random((32, 2)).astype("float32")

    def once():
        setup(0)
        return train(
            recurrent_forecaster("SimpleRNN", units=4, horizon=2),
            x,
            y,
            (x, y),
            epochs=2,
            batch_size=8,
            patience=None,
        ).history

    assert once() == once()


def test_sensitivity_by_lag_of_a_linear_model_is_its_weights():
    n_steps, horizon = 7, 3
    model = linear_forecaster(n_steps, horizon)
    weights = np.arange(n_steps * horizon, dtype="float32").reshape(n_steps, horizon) - 5
    model.layers[-1].set_weights([weights, np.zeros(horizon, dtype="float32")])
    x = np.random.default_rng(0).random((4, n_steps, 1)).astype("float32")
    # the last forecast's gradient is the last column; index k is k steps back
    expected = np.abs(weights[:, -1])[::-1]
    np.testing.assert_allclose(sensitivity_by_lag(model, x), expected, rtol=1e-6)


def test_sensitivity_by_lag_shape_for_a_recurrent_model():
    model = recurrent_forecaster("LSTM", units=4, horizon=2)
    x = np.random.default_rng(1).random((5, 9, 1)).astype("float32")
    result = sensitivity_by_lag(model, x)
    assert result.shape == (9,)
    assert (result >= 0).all()


def test_marker_sensitivity_reads_the_derivative_at_the_markers():
    from book.data import adding_problem

    length = 6
    inputs, _ = adding_problem(5, length, seed=0)
    # a linear model of (value, marker) pairs: answer = sum_t w_t * value_t
    model = keras.Sequential([keras.Input((length, 2)), keras.layers.Flatten(), keras.layers.Dense(1)])
    per_step = np.arange(1, length + 1, dtype="float32")
    kernel = np.zeros((2 * length, 1), dtype="float32")
    kernel[0::2, 0] = per_step  # weights of the values; markers get 0
    model.layers[-1].set_weights([kernel, np.zeros(1, dtype="float32")])
    steps, derivatives = marker_sensitivity(model, inputs)
    assert steps.shape == derivatives.shape == (5, 2)
    assert (steps[:, 0] < length // 2).all() and (steps[:, 1] >= length // 2).all()
    np.testing.assert_allclose(derivatives, per_step[steps], rtol=1e-6)


def test_quiz_6_weight_counts_are_the_models():
    """Quiz 6 quotes the weight counts of chapter 6's two models; they must be these models' counts."""
    import json

    from book.paths import QUIZZES

    text = json.dumps(json.loads((QUIZZES / "06_long_term_memory.json").read_text()))
    for kind, units in [("SimpleRNN", 64), ("LSTM", 32)]:
        assert f"{adding_model(kind, units=units).count_params():,}" in text, (kind, units)


def test_input_gradient_in_chunks_equals_one_pass():
    """The chunked gradient (kept small for Binder's memory) is the gradient of the whole batch."""
    from book.models import _input_gradient

    setup(0)
    model = adding_model("LSTM", units=3)
    x = np.random.default_rng(1).random((7, 5, 2)).astype("float32")
    whole = _input_gradient(model, x, chunk=len(x))
    assert np.allclose(_input_gradient(model, x, chunk=3), whole, rtol=1e-6, atol=1e-8)
