"""book.sidebyside: copies trained side by side follow the path each would follow alone.

The reference is Keras' own training: each model compiled by :func:`book.models.compile_model`
(Adam, ``global_clipnorm``) and fitted one epoch at a time on the training set in the order the
side-by-side copy draws from its seed (``shuffle=False``), so both see the same batches.
"""

from __future__ import annotations

import numpy as np
import pytest

from book.runtime import import_tensorflow, seed_everything

tf, keras = import_tensorflow()

from book.data import adding_problem, forecasting_split  # noqa: E402
from book.models import adding_model, compile_model, linear_forecaster, recurrent_forecaster  # noqa: E402
from book.sidebyside import train_side_by_side  # noqa: E402

EPOCHS, BATCH = 2, 32


def _reference(model, x, y, validation, learning_rate, seed):
    """Train ``model`` with Keras' fit on the batches the side-by-side copy with ``seed`` sees."""
    compile_model(model, learning_rate, 1.0)
    order = np.random.default_rng(seed)
    history = {"loss": [], "val_loss": []}
    for _ in range(EPOCHS):
        p = order.permutation(len(x))
        fit = model.fit(
            x[p], y[p], batch_size=BATCH, epochs=1, shuffle=False, verbose=0, validation_data=validation
        )
        for key in history:
            history[key].append(fit.history[key][0])
    return history


BUILDERS = {
    "LSTM, 2 layers": lambda: recurrent_forecaster("LSTM", 6, n_layers=2, horizon=3),
    "SimpleRNN, 2 layers": lambda: recurrent_forecaster("SimpleRNN", 6, n_layers=2, horizon=3),
    "linear": lambda: linear_forecaster(12, 3),
}


# The trainings that compare with Keras fitted alone (about 35 s in all) are in the claims
# tier: the chapters' several seeds and learning rates are trained this way, so that they
# match training alone is part of what makes those claims hold. The quick checks below
# (large cell states, snapshots, refused arguments) stay in `make test`.
@pytest.mark.slow
@pytest.mark.claims
@pytest.mark.parametrize("name", list(BUILDERS))
def test_copies_match_keras_trained_alone(name):
    """Three copies, two learning rates, three seeds (including a last batch that is not full):
    every weight and every loss of every copy agrees with its own Keras training."""
    build = BUILDERS[name]
    train, valid = forecasting_split(210, 12, 3, seed=1), forecasting_split(50, 12, 3, seed=2)
    rates, seeds = [1e-2, 3e-3, 1e-2], [0, 1, 2]
    copies, references = [], []
    for seed in seeds:
        seed_everything(seed)
        copies.append(build())
        references.append(build())
        references[-1].set_weights(copies[-1].get_weights())
    runs = train_side_by_side(
        copies, train.x, train.y, (valid.x, valid.y), learning_rates=rates, seeds=seeds, epochs=EPOCHS,
        batch_size=BATCH,
    )  # fmt: skip
    for run, reference, rate, seed in zip(runs, references, rates, seeds, strict=True):
        expected = _reference(reference, train.x, train.y, (valid.x, valid.y), rate, seed)
        assert run.epochs == EPOCHS
        for key in ("loss", "val_loss"):
            np.testing.assert_allclose(run.history[key], expected[key], rtol=1e-4)
        for got, want in zip(run.model.get_weights(), reference.get_weights(), strict=True):
            np.testing.assert_allclose(got, want, atol=2e-6)
    # the copies really differ (different rates and seeds): not a comparison of one run with itself
    assert not np.allclose(runs[0].model.get_weights()[0], runs[2].model.get_weights()[0])


def test_lstm_layer_matches_keras_with_large_cell_states():
    """The fused kernel computes Keras' LSTM exactly, with no clipping of large cell states
    (BlockLSTM clips at 3 by default), on the adding problem's model."""
    from book.sidebyside import _forward, _stack_layers

    seed_everything(0)
    model = adding_model("LSTM", units=5)
    kernel, recurrent, bias = model.layers[0].get_weights()
    model.layers[0].set_weights([kernel * 8, recurrent, bias + 2.0])  # cell states far above 3
    x, _ = adding_problem(4, 30, seed=0)
    x = x * 5
    keras_out = np.asarray(model(x))
    ours = _forward(_stack_layers([model]), tf.constant(x[None].astype("float32")))[0].numpy()[0]
    np.testing.assert_allclose(ours, keras_out, rtol=1e-5, atol=1e-5)
    states = keras.layers.LSTM(5, return_sequences=True, return_state=True)
    states.build((None, None, 2))
    states.set_weights(model.layers[0].get_weights())
    _, _, cell = states(x)
    assert np.abs(np.asarray(cell)).max() > 3  # the case a clipped kernel would get wrong


def test_snapshots_see_the_weights_of_the_moment():
    train, valid = forecasting_split(64, 12, 3, seed=1), forecasting_split(16, 12, 3, seed=2)
    seed_everything(0)
    model = linear_forecaster(12, 3)
    seen = []
    train_side_by_side(
        [model], train.x, train.y, (valid.x, valid.y), learning_rates=1e-2, seeds=[0], epochs=3,
        batch_size=16, every=5, on_snapshot=lambda batches: seen.append((batches, model.get_weights()[1].copy())),
    )  # fmt: skip
    assert [b for b, _ in seen] == [0, 5, 10]  # 4 batches per epoch, 12 in all
    assert not np.allclose(seen[0][1], seen[1][1]) and not np.allclose(seen[1][1], seen[2][1])


def test_bad_arguments_are_refused():
    train = forecasting_split(20, 12, 3, seed=1)
    data = (train.x, train.y, (train.x, train.y))
    with pytest.raises(ValueError, match="2 models need 2 seeds"):
        train_side_by_side(
            [linear_forecaster(12, 3), linear_forecaster(12, 3)], *data, learning_rates=1e-2, seeds=[0]
        )
    with pytest.raises(ValueError, match="learning rates must be positive"):
        train_side_by_side([linear_forecaster(12, 3)], *data, learning_rates=0.0, seeds=[0])
    with pytest.raises(ValueError, match="same shape"):
        train_side_by_side(
            [recurrent_forecaster("LSTM", 4, 1, 3), recurrent_forecaster("LSTM", 5, 1, 3)], *data,
            learning_rates=1e-2, seeds=[0, 1],
        )  # fmt: skip
    conv = keras.Sequential(
        [keras.Input((12, 1)), keras.layers.Conv1D(2, 3), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    with pytest.raises(ValueError, match="Conv1D.*not supported"):
        train_side_by_side([conv], *data, learning_rates=1e-2, seeds=[0])
    cho = keras.Sequential(
        [keras.Input((None, 1)), keras.layers.GRU(3, reset_after=False), keras.layers.Dense(3)]
    )
    with pytest.raises(ValueError, match="reset_after=False is not supported"):
        train_side_by_side([cho], *data, learning_rates=1e-2, seeds=[0])
    relu = keras.Sequential(
        [keras.Input((None, 1)), keras.layers.SimpleRNN(3, activation="relu"), keras.layers.Dense(3)]
    )
    with pytest.raises(ValueError, match="activation='relu' is not supported"):
        train_side_by_side([relu], *data, learning_rates=1e-2, seeds=[0])


@pytest.mark.slow
@pytest.mark.claims
@pytest.mark.parametrize(("kind", "carry_state"), [("LSTM", True), ("GRU", True), ("SimpleRNN", False)])
def test_language_models_match_keras_trained_alone(kind, carry_state):
    """Chapter 7's stateful character models: two copies (two seeds, two learning rates), two
    epochs of truncated BPTT with the state carried or reset, against book.text.fit_language_model
    (Keras' own fit, one model at a time): losses, validation perplexities and weights agree."""
    from book.sidebyside import language_losses, train_language_models
    from book.text import char_log_loss, char_model, encode, fit_language_model, stream_windows, vocabulary

    text = "the quick brown fox jumps over the lazy dog; " * 30
    vocab = vocabulary(text)
    ids = encode(text, vocab)
    batch, window = 4, 7
    train_windows = stream_windows(ids[:1000], window, batch)
    valid_windows = stream_windows(ids[1000:], window, batch)
    rates, copies, references = [1e-2, 3e-3], [], []
    for seed in (0, 1):
        seed_everything(seed)
        copies.append(char_model(kind, 6, len(vocab), batch, embedding_dim=5))
        references.append(char_model(kind, 6, len(vocab), batch, embedding_dim=5))
        references[-1].set_weights(copies[-1].get_weights())
    runs = train_language_models(
        copies, train_windows, valid_windows, batch, learning_rates=rates, epochs=2, carry_state=carry_state
    )
    for run, reference, rate in zip(runs, references, rates, strict=True):
        expected = fit_language_model(
            reference,
            train_windows,
            valid_windows,
            batch,
            epochs=2,
            learning_rate=rate,
            carry_state=carry_state,
        )
        np.testing.assert_allclose(run.loss, expected.loss, rtol=2e-4)
        np.testing.assert_allclose(run.val_perplexity, expected.val_perplexity, rtol=2e-4)
        for got, want in zip(run.model.get_weights(), reference.get_weights(), strict=True):
            np.testing.assert_allclose(got, want, atol=2e-5)  # Adam amplifies rounding on rare characters
    losses = language_losses([r.model for r in runs], *valid_windows, batch, carry_state=carry_state)
    for copy, run in enumerate(runs):
        expected = char_log_loss(run.model, *valid_windows, batch, carry_state=carry_state)
        np.testing.assert_allclose(losses[copy], expected, rtol=1e-4, atol=1e-5)
    assert not np.allclose(runs[0].model.get_weights()[0], runs[1].model.get_weights()[0])
