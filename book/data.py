"""Synthetic data sets of the experiments.

- :func:`wave_series` and :func:`forecasting_split` -- chapter 5
  (:ref:`ch-forecasting`): noisy sums of waves, cut into a history the model
  sees and a future it must forecast;
- :func:`adding_problem` -- chapter 6 (:ref:`ch-long_term_memory`): the
  adding problem, a task that can only be solved by remembering two numbers
  across the whole sequence. Hochreiter & Schmidhuber (1997) introduced it; this
  is the simpler form of later work (for example Arjovsky, Shah & Bengio 2016):
  values uniform in [0, 1), one marker in each half, target the plain sum.

Every function takes a ``seed`` and draws from its own
:func:`numpy.random.default_rng`, so the same call always returns the same
arrays and never disturbs the global NumPy state.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


def wave_series(n_series, length, *, seed=0, noise=0.1):
    """Return ``n_series`` noisy sums of waves, shape ``(n_series, length)``.

    Each series is the sum of

    - a wave of amplitude 0.5 and a period of 30 to 60 steps,
    - a wave of amplitude 0.2 and a period of 12 to 24 steps,
    - a slow wave of amplitude 0.1 and a period of 100 to 400 steps,
    - uniform noise in ``[-noise/2, noise/2)`` (variance ``noise**2 / 12``),

    every period and phase drawn at random for each series.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(length, dtype=np.float64)

    def wave(amplitude, shortest, longest):
        period = rng.uniform(shortest, longest, size=(n_series, 1))
        phase = rng.uniform(0.0, 2.0 * np.pi, size=(n_series, 1))
        return amplitude * np.sin(2.0 * np.pi * t / period + phase)

    series = wave(0.5, 30, 60) + wave(0.2, 12, 24) + wave(0.1, 100, 400)
    series += noise * (rng.random((n_series, length)) - 0.5)
    return series.astype(np.float32)


class ForecastSplit(NamedTuple):
    """Inputs and targets of one part (training, validation or test)."""

    x: np.ndarray  #: the history, shape ``(n, n_steps, 1)``
    y: np.ndarray  #: the future to forecast, shape ``(n, horizon)``


def forecasting_split(n_series, n_steps=50, horizon=10, *, seed=0, noise=0.1):
    """Draw series of ``n_steps + horizon`` steps; cut each in two.

    The model sees the first ``n_steps`` values (``x``, with a trailing
    feature axis as Keras' recurrent layers expect) and must forecast the
    ``horizon`` values that follow (``y``). No value of ``y`` is in ``x``.
    """
    series = wave_series(n_series, n_steps + horizon, seed=seed, noise=noise)
    history = series[:, :n_steps, np.newaxis]
    future = series[:, n_steps:]
    return ForecastSplit(x=history, y=future)


def adding_problem(n_sequences, length, *, seed=0):
    """Return ``(inputs, targets)`` of the adding problem.

    ``inputs`` has shape ``(n_sequences, length, 2)`` (float32). Column 0
    holds values drawn uniformly from ``[0, 1)``; column 1 holds markers,
    exactly two ones per sequence and zeros elsewhere: one marker in the
    first half of the sequence, one in the second half. ``targets`` has
    shape ``(n_sequences, 1)``: the sum of the two marked values.
    """
    if length < 2:
        raise ValueError("the adding problem needs at least two steps")
    rng = np.random.default_rng(seed)
    values = rng.random((n_sequences, length))
    half = length // 2
    first = rng.integers(0, half, size=n_sequences)
    second = rng.integers(half, length, size=n_sequences)
    rows = np.arange(n_sequences)
    markers = np.zeros((n_sequences, length))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    inputs = np.stack([values, markers], axis=-1).astype(np.float32)
    marked = inputs[rows, first, 0] + inputs[rows, second, 0]
    return inputs, marked[:, np.newaxis]
