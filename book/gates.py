"""What a Keras LSTM's gates do on the adding problem, while it learns: chapter 6 (``ch-long_term_memory``).

Keras trains the model; :class:`GateRecorder`, a Keras callback, reads the current
weights every few batches and runs the course's own NumPy LSTM (:mod:`book.lstm`,
chapter 4) forward and backward on a fixed set of probe sequences. That gives, at
each snapshot, quantities Keras does not expose:

- the **forget gate** between the two markers (how much of the memory each unit
  keeps per step while the irrelevant values stream past);
- the **input gate** at the two marker steps and at the other steps (whether the
  units write when a marked value arrives, and only then);
- the **gradient that reaches the first marker**: the derivative of the model's
  answer with respect to the first marked value, through backpropagation through
  time (:func:`book.lstm.lstm_backward`);
- the probe sequences' mean squared error, so that all of it can be laid under the
  learning curve at the same resolution.

:func:`gate_statistics` computes one snapshot; it works on any model made by
:func:`book.models.adding_model` with ``kind="LSTM"`` (an LSTM layer, then a
``Dense(1)`` head).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from book.lstm import lstm_backward, lstm_forward


@dataclass(frozen=True)
class GateStatistics:
    """One snapshot of :func:`gate_statistics`; per-unit arrays have shape ``(units,)``."""

    mse: float  #: mean squared error of the answers on the probe sequences
    forget_between: np.ndarray  #: mean forget gate at the steps after the first marker, up to the second
    input_at_markers: np.ndarray  #: mean input gate at the two marker steps
    input_elsewhere: np.ndarray  #: mean input gate at every other step
    grad_first: float  #: mean |d answer / d first marked value|
    grad_second: float  #: mean |d answer / d second marked value|


def marker_steps(x) -> np.ndarray:
    """The steps of the two markers of each adding-problem sequence, shape ``(n, 2)``."""
    steps = np.nonzero(np.asarray(x)[:, :, 1])[1]
    if steps.size != 2 * len(x):
        raise ValueError(
            "every sequence must have exactly two markers (column 1 of x)"
        )
    return steps.reshape(-1, 2)


def lstm_head_weights(model):
    """``(kernel, recurrent_kernel, bias, w, b)``: the LSTM layer's and the dense head's weights."""
    lstm, head = model.layers[0], model.layers[-1]
    kernel, recurrent_kernel, bias = lstm.get_weights()
    w, b = head.get_weights()
    if w.shape != (recurrent_kernel.shape[0], 1):
        raise ValueError(
            f"expected an LSTM layer and a Dense(1) head, got a head of shape {w.shape}"
        )
    return kernel, recurrent_kernel, bias, w[:, 0], float(b[0])


def gate_statistics(model, x, y) -> GateStatistics:
    """Run the model's LSTM in NumPy on ``x`` (adding-problem inputs) and
    measure its gates.

    ``y`` holds the targets, shape ``(n, 1)``. The answer is the dense head
    applied to the last hidden state; its gradient with respect to the inputs
    comes from :func:`book.lstm.lstm_backward`.
    """
    kernel, recurrent_kernel, bias, w, b = lstm_head_weights(model)
    trace = lstm_forward(x, kernel, recurrent_kernel, bias)
    answer = trace.h[:, -1] @ w + b
    dh = np.zeros_like(trace.h)
    dh[:, -1] = w  # d answer / d h_T, for every sequence
    grads = lstm_backward(trace, kernel, recurrent_kernel, dh)

    steps = marker_steps(x)
    n, length = trace.f.shape[:2]
    rows = np.arange(n)
    t = np.arange(length)
    # (n, T): after the first marker, up to the second
    between = (t[None, :] > steps[:, :1]) & (t[None, :] <= steps[:, 1:])
    marked = np.zeros((n, length), dtype=bool)
    marked[rows[:, None], steps] = True
    return GateStatistics(
        mse=float(np.mean((answer - np.asarray(y)[:, 0]) ** 2)),
        forget_between=trace.f[between].mean(axis=0),
        input_at_markers=trace.i[marked].mean(axis=0),
        input_elsewhere=trace.i[~marked].mean(axis=0),
        grad_first=float(np.abs(grads.x[rows, steps[:, 0], 0]).mean()),
        grad_second=float(np.abs(grads.x[rows, steps[:, 1], 0]).mean()),
    )


def gate_recorder(x, y, every=10):
    """A Keras callback that calls :func:`gate_statistics` every ``every`` training batches.

    After training, ``recorder.batches`` lists the number of batches seen at each
    snapshot (0 is before the first batch) and ``recorder.snapshots`` the
    :class:`GateStatistics`. Reading the weights does not change training.
    """
    from book.runtime import import_tensorflow

    keras = import_tensorflow()[1]

    class GateRecorder(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.batches: list[int] = []
            self.snapshots: list[GateStatistics] = []
            self._seen = 0

        def _record(self):
            self.batches.append(self._seen)
            self.snapshots.append(gate_statistics(self.model, x, y))

        def on_train_begin(self, logs=None):
            if not self.snapshots:
                self._record()

        def on_train_batch_end(self, batch, logs=None):
            self._seen += 1
            if self._seen % every == 0:
                self._record()

        def series(self, name):
            """One statistic over the snapshots, as an array (per-unit ones: ``(snapshots, units)``)."""
            return np.array([getattr(s, name) for s in self.snapshots])

    return GateRecorder()
