"""Keras models of the experiments, and the one training loop they share.

- chapter 5 (:ref:`ch-forecasting`): :func:`linear_forecaster` and
  :func:`recurrent_forecaster` (stacked ``SimpleRNN`` or ``LSTM`` layers with
  a dense head);
- chapter 6 (:ref:`ch-long_term_memory`): :func:`adding_model` (one recurrent
  layer and a dense head);
- both: :func:`train`, which compiles (Adam, mean squared error, gradient
  clipping), fits with optional early stopping and returns the losses and the
  wall time;
- what a trained model uses: :func:`sensitivity_by_lag` (chapter 5) and
  :func:`marker_sensitivity` (chapter 6), gradients of its outputs with
  respect to its inputs.

Call :func:`book.runtime.setup` (every chapter does) before building a model:
it seeds Keras, so the initial weights are the same in every run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

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
    """Compile for regression: Adam, mean squared error, and the whole
    gradient (all weights together) clipped to norm ``clipnorm``
    (``global_clipnorm``, the rule of chapter 2, which keeps its direction)."""
    keras = _keras()
    optimizer = keras.optimizers.Adam(learning_rate, global_clipnorm=clipnorm)
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


def train(
    model,
    x,
    y,
    validation,
    *,
    epochs=20,
    batch_size=64,
    learning_rate=1e-3,
    clipnorm=1.0,
    patience=3,
    callbacks=(),
):
    """Compile ``model``, fit it on ``(x, y)`` and watch the loss on
    ``validation = (x_val, y_val)``.

    With ``patience`` set, training stops once the validation loss has not
    improved for ``patience`` epochs, and the best epoch's weights are
    restored; with ``patience=None`` it runs all ``epochs``. ``callbacks``
    are extra Keras callbacks (chapter 6 records the gates with one).
    """
    keras = _keras()
    compile_model(model, learning_rate, clipnorm)
    callbacks = list(callbacks)
    if patience is not None:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                patience=patience, restore_best_weights=True
            )
        )
    start = time.perf_counter()
    fit = model.fit(
        x,
        y,
        validation_data=validation,
        epochs=epochs,
        batch_size=batch_size,
        callbacks=callbacks,
        verbose=0,
    )
    seconds = time.perf_counter() - start
    history = {k: [float(v) for v in vs] for k, vs in fit.history.items()}
    return TrainingRun(model, history, seconds)


def _input_gradient(outputs_of, x, chunk=250):
    """Gradient of ``sum(outputs_of(x))`` with respect to ``x``, as NumPy.

    The sequences of a batch do not interact, so row ``i`` of the result is
    the gradient of sequence ``i``'s own output. The sequences go through in
    chunks of ``chunk``, so that the tape (every activation of every step)
    stays small: a Binder kernel has about 1 GB.
    """
    tf = import_tensorflow()[0]
    parts = []
    for start in range(0, len(x), chunk):
        part = tf.constant(x[start : start + chunk])
        with tf.GradientTape() as tape:
            tape.watch(part)
            outputs = outputs_of(part)
        parts.append(tape.gradient(outputs, part).numpy())
    return np.concatenate(parts)


def sensitivity_by_lag(model, x):
    """Mean |d(last forecast) / d(input)| at each step of the history.

    Used in chapter 5. Index ``k`` of the result is the step ``k`` steps
    before the end of the history; the mean is over the sequences of ``x``.
    """
    gradient = _input_gradient(lambda x: model(x)[:, -1], x)[:, :, 0]
    return np.abs(gradient).mean(axis=0)[::-1]


def marker_sensitivity(model, inputs):
    """The marked steps of each adding-problem sequence, and the derivative
    of the model's answer with respect to the value at each of them.

    Used in chapter 6. Returns two arrays of shape ``(n_sequences, 2)``:
    the steps of the first and second marker, and the two derivatives.
    """
    d_value = _input_gradient(model, inputs)[:, :, 0]
    steps = np.nonzero(inputs[:, :, 1])[1].reshape(-1, 2)
    rows = np.arange(len(inputs))[:, None]
    return steps, d_value[rows, steps]
