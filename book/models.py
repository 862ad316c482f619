"""Keras models of the experiments, and the one training loop they share.

- chapter 5 (:ref:`ch-forecasting`): :func:`linear_forecaster` and
  :func:`recurrent_forecaster` (stacked ``SimpleRNN`` or ``LSTM`` layers with
  a dense head);
- chapter 6 (:ref:`ch-long_term_memory`): :func:`adding_model` (one recurrent
  layer and a dense head);
- both: :func:`train`, which compiles (Adam, mean squared error, gradient
  clipping), fits with optional early stopping and returns the losses and the
  wall time.

Call :func:`book.runtime.setup` (every chapter does) before building a model:
it seeds Keras, so the initial weights are the same in every run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from book.runtime import import_tensorflow

#: The recurrent layer classes a builder accepts, by name.
RECURRENT_KINDS = ("SimpleRNN", "LSTM")


def _keras():
    return import_tensorflow()[1]


def _recurrent_layer(kind: str):
    if kind not in RECURRENT_KINDS:
        raise ValueError(f"kind must be one of {RECURRENT_KINDS}: {kind!r}")
    return getattr(_keras().layers, kind)


def linear_forecaster(n_steps, horizon=10, *, name="linear"):
    """A linear model of the window: each forecast is a weighted sum of
    the ``n_steps`` inputs plus a bias."""
    keras = _keras()
    return keras.Sequential(
        [
            keras.Input(shape=(n_steps, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(horizon),
        ],
        name=name,
    )


def recurrent_forecaster(kind, units=20, n_layers=2, horizon=10, name=None):
    """``n_layers`` recurrent layers of ``units`` units, then a dense layer
    with ``horizon`` outputs.

    Every recurrent layer but the last returns its whole output sequence
    (the next layer reads it step by step); the last returns only its final
    output, from which the dense layer forecasts all ``horizon`` values.
    Sequences of any length are accepted.
    """
    keras = _keras()
    layer = _recurrent_layer(kind)
    stack = [keras.Input(shape=(None, 1))]
    for i in range(n_layers):
        stack.append(layer(units, return_sequences=i < n_layers - 1))
    stack.append(keras.layers.Dense(horizon))
    return keras.Sequential(stack, name=name or kind.lower())


def adding_model(kind, units=32, *, name=None):
    """One recurrent layer reading (value, marker) pairs, and a dense layer
    that turns its last output into the answer."""
    keras = _keras()
    layer = _recurrent_layer(kind)
    return keras.Sequential(
        [keras.Input(shape=(None, 2)), layer(units), keras.layers.Dense(1)],
        name=name or kind.lower(),
    )


def compile_model(model, learning_rate=1e-3, clipnorm=1.0):
    """Compile for regression: Adam, gradients clipped to norm ``clipnorm``,
    mean squared error."""
    keras = _keras()
    optimizer = keras.optimizers.Adam(learning_rate, clipnorm=clipnorm)
    model.compile(optimizer=optimizer, loss="mse")
    return model


@dataclass
class TrainingRun:
    """What :func:`train` returns."""

    model: object
    #: ``{"loss": [...], "val_loss": [...]}``, one value per epoch
    history: dict = field(repr=False)
    seconds: float  #: wall time of the fit

    @property
    def epochs(self) -> int:
        return len(self.history["loss"])

    @property
    def best_val_loss(self) -> float:
        return min(self.history["val_loss"])


def train(model, x, y, validation, *, epochs=20, batch_size=64,
          learning_rate=1e-3, clipnorm=1.0, patience=3):
    """Compile ``model``, fit it on ``(x, y)`` and watch the loss on
    ``validation = (x_val, y_val)``.

    With ``patience`` set, training stops once the validation loss has not
    improved for ``patience`` epochs, and the best epoch's weights are
    restored; with ``patience=None`` it runs all ``epochs``.
    """
    keras = _keras()
    compile_model(model, learning_rate, clipnorm)
    callbacks = []
    if patience is not None:
        callbacks.append(keras.callbacks.EarlyStopping(
            patience=patience, restore_best_weights=True))
    start = time.perf_counter()
    fit = model.fit(x, y, validation_data=validation, epochs=epochs,
                    batch_size=batch_size, callbacks=callbacks, verbose=0)
    seconds = time.perf_counter() - start
    history = {k: [float(v) for v in vs] for k, vs in fit.history.items()}
    return TrainingRun(model, history, seconds)
