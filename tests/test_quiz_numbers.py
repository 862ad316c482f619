"""Every number in every quiz is checked against code, or declared not to be a result.

Quiz text is typed, not glued, so nothing in the build notices a wrong number in a
question, an answer or a feedback. This file does: for each quiz file there is one
:class:`Registry` (one block per file, below, in the order of ``_toc.yml``) that names
every number of that quiz (found by ``tests/quiz_numbers_scan.py``):

- ``results``: a number the quiz states as the outcome of a computation, with the
  computation (from ``book/`` or NumPy) that gives it. The shown number must be the
  computed one rounded to the digits shown (``0.0115`` is ``0.8 ** 20``); a bare power of
  ten (``about 10^15``) must be the computed value's order of magnitude. A number that
  plays several such roles lists one computation per role.
- ``not_results``: a number that is not a result (a setting the question gives, an index,
  a count of steps, a year), with the reason. A number may be both: then both are listed.
- ``answers``: for every numeric question (numbered from 1, as on the page), the value
  each of its ``value``/``range`` answers stands for, computed: a correct answer's range
  must hold the right result, and a wrong answer's range must hold the result of the
  mistake its feedback names.

The meta-tests fail on any number of a quiz that its registry does not name, on a
registered number the quiz no longer contains (the registry would lie), on a numeric
answer without a computation, and on a quiz file without a registry. When a quiz changes,
run ``.venv/bin/python tests/quiz_numbers_scan.py NN_name`` for its numbers and update its
block. Keras itself is not imported here (these are fast unit tests): parameter counts
come from ``book.lstm.lstm_param_count`` and ``book.gru.gru_param_count``, which
``tests/test_lstm.py`` and ``tests/test_gru.py`` check against Keras.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pytest

from book.gradients import adam_step_lengths, jacobian_product_norms
from book.gru import gru_param_count
from book.lstm import latch_weights, lstm_forward, lstm_param_count
from book.paths import QUIZZES
from quiz_numbers_scan import quiz_numbers

Value = Callable[[], float]


@dataclass
class Registry:
    """What every number of one quiz file is (see the module docstring)."""

    results: dict[str, Value | list[Value]] = field(default_factory=dict)
    not_results: dict[str, str] = field(default_factory=dict)
    #: question number (from 1) -> {answer index (from 0): the value that answer stands for}
    answers: dict[int, dict[int, Value]] = field(default_factory=dict)


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def latch_step(c_prev: float, x: list[float]) -> tuple[float, float, float, float, float]:
    """One step of the chapter-4 latch (``latch_weights()``): ``(i, f, c, o, h)``."""
    trace = lstm_forward(np.array([[x]]), *latch_weights(), c0=np.array([[c_prev]]))
    return tuple(float(getattr(trace, n)[0, 0, 0]) for n in ("i", "f", "c", "o", "h"))


def adam_spike(spike_norm: float, before: int, after: int) -> tuple[float, float]:
    """Adam (Keras' defaults) on gradients of norm 1 with one spike of ``spike_norm`` after
    ``before`` steps: (spike step / normal step, normal step / the step ``after`` steps later)."""
    direction = np.ones(100) / 10.0  # norm 1; the ratios do not depend on the direction
    steps = adam_step_lengths([direction] * before + [spike_norm * direction] + [direction] * after)
    normal = steps[before - 1]
    return steps[before] / normal, normal / steps[before + after]


def bag_outputs(sequence: tuple[int, ...]) -> int:
    """How many different outputs a bag-of-values model gives over all orderings of ``sequence``."""
    from book.sequences import BagOfValues

    bag = BagOfValues.random(features=1, seed=1)
    outputs = {
        round(float(bag(np.array(order, dtype=float))), 12) for order in itertools.permutations(sequence)
    }
    return len(outputs)


# ---------------------------------------------------------------------------------- quiz 1

QUIZ_01 = Registry(
    results={
        "0.76": lambda: math.tanh(1.0),  # the reversed sequence's h_2, and h_1
        "0.762": lambda: math.tanh(1.0),
        "0.381": lambda: 0.5 * math.tanh(1.0),
        "0.36": lambda: math.tanh(0.5 * math.tanh(1.0)),
        "12": lambda: len(set(itertools.permutations((5, 2, 9, 2)))),  # distinct orderings, 4!/2!
        "24": lambda: math.factorial(4),
        "5": lambda: 8 - 3,  # padded steps of the length-3 sequence
        "3": lambda: 8 - 5,  # ... and of the length-5 one
    },
    not_results={
        "0": "settings and indices: h_0 = 0, x_2 = 0, a zero input, 'close to 0'",
        "0.5": "setting: the recurrent weight of Q5",
        "1": "settings and bounds: x_1 = 1, a correlation between -1 and 1, 'close to 1'",
        "2": "setting: an element of the sequence (5, 2, 9, 2); the 2! of 4!/2!",
        "3": "setting: lengths 3, 5 and 8 (Q8); a window of days 1-3 (Q6)",
        "4": "settings: the four values of Q3, the 4 bases of the motif TATA (Q9)",
        "5": "setting: an element of (5, 2, 9, 2); the length-5 sequence (Q8)",
        "8": "setting: the length-8 sequence and the padded length (Q8)",
        "9": "setting: an element of (5, 2, 9, 2)",
        "10": "index: days 10-12 of the window (Q6)",
        "12": "index: days 10-12 of the window (Q6)",
        "14": "setting: the last 14 daily temperatures (Q6)",
        "30": "setting: the last 30 days (Q6)",
        "50": "setting: reads of 50 to 300 bases (Q9)",
        "300": "setting: reads of 50 to 300 bases (Q9)",
    },
    answers={
        3: {
            0: lambda: bag_outputs((5, 2, 9, 2)),
            1: lambda: len(set(itertools.permutations((5, 2, 9, 2)))),
            2: lambda: math.factorial(4),
        },
        5: {0: lambda: math.tanh(0.5 * math.tanh(1.0)), 1: lambda: math.tanh(1.0), 2: lambda: 0.0},
        7: {
            0: lambda: _chapter1_autocorrelations()[1],  # the shuffled series
            1: lambda: _chapter1_autocorrelations()[0],  # the ordered one
            2: lambda: _alternating_autocorrelation(),  # high, low, high, ...: a negative correlation
        },
    },
)


def _chapter1_autocorrelations() -> tuple[float, float]:
    """Chapter 1's noisy sine in order and shuffled: their lag-1 autocorrelations."""
    from book.sequences import autocorrelation, noisy_sine

    series = noisy_sine(200, period=25, noise=0.2, seed=0)
    shuffled = np.random.default_rng(0).permutation(series)
    return autocorrelation(series, 1), autocorrelation(shuffled, 1)


def _alternating_autocorrelation() -> float:
    from book.sequences import autocorrelation

    return autocorrelation(np.array([1.0, -1.0] * 50), 1)


# ---------------------------------------------------------------------------------- quiz 2


def _saturation_example() -> tuple[float, float]:
    """Chapter 2's W_h with spectral radius 0: the product of 50 Jacobians, saturated or not."""
    W_h = 2.0 * np.array([[1.0, 1.0], [-1.0, -1.0]])
    rest = np.array([0.0, math.tanh(8.0)])  # unit 1 at 0, unit 2 saturated
    saturated = jacobian_product_norms(W_h, np.tile(rest, (50, 1)))[-1]
    unsaturated = jacobian_product_norms(W_h, np.zeros((50, 2)))[-1]
    return saturated, unsaturated


def _bptt_q4() -> dict[str, float]:
    """Quiz 2, Q4: h_t = tanh(w h_{t-1} + u x_t), w = 0.5, u = 1, x = (1, 0), L = h_2."""
    h1 = math.tanh(1.0)
    h2 = math.tanh(0.5 * h1)
    a1, a2 = 1 - h1**2, 1 - h2**2
    return {"h1": h1, "h2": h2, "a1": a1, "a2": a2, "grad": a2 * 0.5 * a1 * 1.0}


QUIZ_02 = Registry(
    results={
        "60": lambda: 100 - 40,  # Jacobians between h_40 and h_100
        "41": lambda: 40 + 1,
        "0.0115": lambda: 0.8**20,
        "1e-14": lambda: (0.25 * 0.8) ** 20,
        "0.25": lambda: 0.25,  # the sigmoid's largest slope, sigma'(0)
        "0.75": lambda: 1.5 * 0.5,
        "0.056": lambda: 0.75**10,
        "0.762": lambda: _bptt_q4()["h1"],
        "0.363": lambda: _bptt_q4()["h2"],
        "0.420": lambda: _bptt_q4()["a1"],
        "0.868": lambda: _bptt_q4()["a2"],
        "0.182": lambda: _bptt_q4()["grad"],
        "1e15": lambda: _saturation_example()[0],  # "norm about 10^15"
        "4": lambda: np.linalg.norm(2.0 * np.array([[1.0, 1.0], [-1.0, -1.0]]), 2),  # Q5's matrix
        "1.6e15": lambda: _saturation_example()[0],
        "0": [lambda: _saturation_example()[1]],  # the same product without saturation
        "1000": lambda: 1 / (1 - 0.999),  # steps over which Adam's v averages (beta_2 = 0.999)
        "3.2": lambda: (1 - 0.9) / math.sqrt(1 - 0.999),  # Kingma and Ba's step bound, in learning rates
        "3": lambda: adam_spike(1e4, before=5000, after=300)[0],  # Q9: the spike's own step
        "270": lambda: adam_spike(1e4, before=5000, after=300)[1],  # ... and 300 steps later
    },
    not_results={
        "0": "settings: h_0 = 0, x_2 = 0, an eigenvalue of 0, 'close to 0'",
        "0.001": "setting: Adam's learning rate (Q9)",
        "0.5": "settings: the slope 0.5 of Q3, w = 0.5 of Q4",
        "0.8": "setting: the largest singular value of Q2",
        "1": "settings and bounds: slopes at most 1, norm 1, u = 1, x_1 = 1, threshold 1",
        "1.0": "setting: global_clipnorm=1.0, clip_norm=1.0",
        "1.5": "setting: the recurrent weight of Q3",
        "2": "setting: exponent 2 (h_t^2), step 2, the 2x2 matrix of Q5",
        "4": "setting: the sigmoid's slope bound 1/4 (Q2)",
        "5": "setting: the last 5 inputs (Q6)",
        "10": "setting: 10 steps back (Q3)",
        "20": "setting: 20 steps back (Q2)",
        "40": "index: h_40",
        "50": "settings: 50 Jacobians, a global norm of 50 (Q8), 50 steps after a spike",
        "100": "setting: T = 100 steps",
        "200": "setting: an input 200 steps earlier (Q6)",
        "300": "setting: 300 steps after the spike (Q9)",
        "1e4": "setting: the spike's norm (Q9)",
        "1e6": "setting: a clipping threshold (Q7)",
    },
    answers={
        1: {0: lambda: 100 - 40, 1: lambda: 40, 2: lambda: 100, 3: lambda: 100 - 40 + 1},
        2: {0: lambda: 0.8**20, 1: lambda: 20 * 0.8, 2: lambda: 0.8**20 / 4},
        3: {0: lambda: (1.5 * 0.5) ** 10, 1: lambda: 1.5**10, 2: lambda: 0.5**10},
        4: {
            0: lambda: _bptt_q4()["grad"],
            1: lambda: 0.0,
            2: lambda: _bptt_q4()["a2"] * 0.5,
            3: lambda: 0.5 * _bptt_q4()["a1"],
        },
    },
)

# ---------------------------------------------------------------------------------- quiz 3

QUIZ_03 = Registry(
    results={
        "0.60": lambda: 0.95**10,
        "0.599": lambda: 0.95**10,
        "0.05": lambda: 1 - 0.95,  # the loss per step if it were not compounded
        "0.2": lambda: 0.5 * 0.4,  # i_t times the candidate, in size
        "1.6": lambda: 0.9 * 2.0 + 0.5 * (-0.4),
        "0.92": lambda: math.tanh(1.6),
        "1.4": lambda: 0.9 * 2.0 + 1.0 * (-0.4),  # the whole candidate written (a wrong answer of Q5)
        "1.8": lambda: 0.9 * 2.0,
        "0.73": lambda: sigmoid(1.0),
        "0.0019": lambda: sigmoid(1.0) ** 20,
        "0.0018": lambda: 0.73**20,
    },
    not_results={
        "0": "settings: gates near 0",
        "0.4": "setting: the candidate -0.4 (Q5)",
        "0.5": "setting: i_t = 0.5 (Q5)",
        "0.9": "setting: f_t = 0.9 (Q5)",
        "0.95": "setting: the forget gate of Q4",
        "1": "settings: gates near 1, o_t = 1, sigma(1), a factor of 1",
        "2.0": "setting: c_{t-1} = 2.0 (Q5)",
        "4": "setting: the sigmoid's slope bound 1/4 (Q7)",
        "10": "setting: 10 steps (Q4)",
        "20": "setting: 20 steps (Q6)",
    },
    answers={
        4: {0: lambda: 0.95**10, 1: lambda: 0.95**10, 2: lambda: 1 - 10 * 0.05, 3: lambda: 0.95},
        5: {
            0: lambda: math.tanh(0.9 * 2.0 + 0.5 * (-0.4)),
            1: lambda: 0.9 * 2.0 + 0.5 * (-0.4),
            2: lambda: math.tanh(0.9 * 2.0 - 0.4),
            3: lambda: math.tanh(2.0),
        },
        6: {0: lambda: sigmoid(1.0) ** 20, 1: lambda: sigmoid(1.0), 2: lambda: 1.0},
    },
)

# ---------------------------------------------------------------------------------- quiz 4

QUIZ_04 = Registry(
    results={
        "336": lambda: 16 * (16 + 4) + 16,  # one of the four layers
        "1344": lambda: lstm_param_count(4, 16),
        "20": lambda: 16 + 4,  # n_h + n_x
        "40": lambda: 4 * 10,  # the four blocks of recurrent_kernel (Q5)
        "13": lambda: 10 + 3,
        "0.5": lambda: 0.5 * 2 + 1 * (-0.5),  # c_t of Q4
        "1": [lambda: 0.5 * 2],  # the kept part f_t c_{t-1} (Q4)
        "0.35": lambda: 0.9**10,
        "0.0025": lambda: latch_step(-0.6, [0.9, 1.0, 1.0])[1],  # f_t = sigma(-6)
        "0.998": [lambda: latch_step(-0.6, [0.9, 1.0, 1.0])[0], lambda: latch_step(-0.6, [0.9, 1.0, 1.0])[3]],
        "0.716": lambda: math.tanh(0.9),
        "0.713": lambda: latch_step(-0.6, [0.9, 1.0, 1.0])[2],
        "0.71": lambda: latch_step(-0.6, [0.9, 1.0, 1.0])[2],
        "0.61": [lambda: latch_step(-0.6, [0.9, 1.0, 1.0])[4], lambda: 0.99**50],
        "0.54": lambda: math.tanh(-0.6),
        "5": lambda: 10 * 0.5,  # c_10 of Q9
        "0.9999": lambda: math.tanh(5.0),
        "0.08": lambda: 0.95**50,
        "0.95": lambda: 0.999**50,
    },
    not_results={
        "0": "settings: recurrent weights 0, o_t = 0, c_0 = 0, 'about 0'",
        "0.5": "setting: the candidate of Q9, f_t of Q4",
        "0.6": "setting: c_{t-1} = -0.6 (Q8)",
        "0.9": "settings: the forget gate of Q7, the value written by the latch (Q8)",
        "0.95": "setting: a forget gate of 0.95 (Q10)",
        "0.99": "setting: a forget gate of 0.99 (Q10)",
        "0.999": "setting: a forget gate of 0.999 (Q10)",
        "1": "settings: gates of 1, the flags of x_t, bounds -1 and 1",
        "2": "settings: c_{t-1} = 2 (Q4); the block 2*n_h of Q2",
        "3": "settings: 3 features (Q5), the block 3*n_h (Q2), bias 3 (Q10)",
        "4": "settings: 4 features (Q1), the four gates",
        "5": "setting: c_10 = 5 compared with 6 (Q9)",
        "6": "settings: forget bias 6 of the latch (Q8), tanh(5) against 6 (Q9)",
        "10": "settings: LSTM(10) (Q5), 10 steps (Q7, Q9)",
        "12": "setting: the latch's sharpness 12 (Q8)",
        "16": "setting: LSTM(16) (Q1)",
        "40": "index: c_40 (Q7)",
        "50": "settings: c_50 (Q7), 50 steps (Q10)",
        "9": "exponent of a wrong answer's count of steps, 0.9^9 (Q7)",
        "11": "exponent of a wrong answer's count of steps, 0.9^11 (Q7)",
    },
    answers={
        1: {
            0: lambda: lstm_param_count(4, 16),
            1: lambda: 16 * (16 + 4) + 16,
            2: lambda: 4 * 16 * (16 + 4),
            3: lambda: 4 * (16 * 16 + 16),
            4: lambda: 4 * (16 * 4 + 16),
        },
        4: {
            0: lambda: 0.5 * 2 + 1 * (-0.5),
            1: lambda: 0.5 * 2 + 1 * 0.5,
            2: lambda: 1 * (-0.5),
            3: lambda: 0.5 * 2,
        },
        7: {0: lambda: 0.9**10, 1: lambda: 0.9**11, 2: lambda: 0.9**9, 3: lambda: 0.9, 4: lambda: 1.0},
        9: {0: lambda: 10 * 0.5, 1: lambda: 0.5, 2: lambda: 1.0},
    },
)

# ---------------------------------------------------------------------------------- quiz 5

QUIZ_05 = Registry(
    results={
        "500": lambda: 50 * 10,
        "0.1": lambda: 0.05 - (-0.05),  # the width of the noise's interval
        "0.0008": lambda: 0.1**2 / 12,  # the variance of U(-0.05, 0.05)
    },
    not_results={
        "0.05": "setting: noise drawn from [-0.05, 0.05)",
        "2": "exponent: 0.1^2",
        "10": "setting: 10 forecast values, ten steps ahead",
        "12": "the 12 of the uniform variance (b - a)^2 / 12, a formula",
        "20": "setting: the 20-unit SimpleRNN",
        "24": "setting: 24 hours ahead (Q7)",
        "30": "settings: a period of 30 to 60 steps, 30 or more steps back, the steps 30 to 49 back (Q5)",
        "49": "setting: the steps 30 to 49 back (Q5)",
        "5": "setting: the linear model refitted on the last 5, 10, 20 or 50 values (Q5)",
        "50": "setting: a window of 50 history values",
        "100": "settings: series of 100 steps, the value at step 100 (Q1)",
    },
    answers={
        3: {0: lambda: 50 * 10 + 10, 1: lambda: 50 * 10, 2: lambda: 50 + 10},
    },
)

# ---------------------------------------------------------------------------------- quiz 6

QUIZ_06 = Registry(
    results={
        "0.167": lambda: 1 / 12 + 1 / 12,  # the variance of U(0,1) + U(0,1)
        "6": lambda: 1 / (1 / 12 + 1 / 12),  # ... written 1/6
        "0.083": lambda: 1 / 12,
        "4353": lambda: 64 * (64 + 2) + 64 + (64 + 1),  # SimpleRNN(64) on 2 inputs, and a Dense(1)
        "4513": lambda: lstm_param_count(2, 32) + (32 + 1),  # LSTM(32) on 2 inputs, and a Dense(1)
        "4": lambda: 100 * (4513 - 4353) / 4353,  # 'within 4%'
        "0.9986": lambda: 0.9 ** (1 / 75),
        "0.73": lambda: sigmoid(1.0),
        "6e-11": [lambda: 0.73**75, lambda: sigmoid(1.0) ** 75],
    },
    not_results={
        "0": "settings: U(0, 1), test MSE 0, steps counted from 0",
        "0.001": "settings: a learning rate (Q3), a colleague's test MSE (Q6)",
        "0.003": "setting: a learning rate (Q3)",
        "0.01": "setting: a learning rate (Q3)",
        "0.9": "setting: at least 90% of the value (Q7)",
        "1": "settings: U(0, 1), 1/2, 1/12, sigma(1)",
        "2": "settings: 1/2 added for the first value, two values",
        "10": "setting: the positive control's adding problems of 10 and 20 steps (Q4)",
        "20": "setting: the positive control's adding problems of 10 and 20 steps (Q4)",
        "12": "the 12 of the uniform variance 1/12, a formula",
        "32": "setting: the LSTM's 32 units (Q3)",
        "64": "setting: the SimpleRNN's 64 units (Q3)",
        "75": "setting: 75 steps later (Q7)",
        "90": "setting: at least 90% of the value (Q7)",
        "95": "settings: markers at steps 95 and 99, the 95 values before them (Q6)",
        "99": "setting: markers at steps 95 and 99 (Q6)",
        "100": "setting: T = 100",
        "1000": "settings: T = 1000 (Q4), 1,000 validation sequences (Q5)",
    },
    answers={
        1: {0: lambda: 1 / 12 + 1 / 12, 1: lambda: 1 / 12, 2: lambda: 2 * (1 / 12 + 1 / 12)},
        2: {0: lambda: 1 / 12, 1: lambda: 1 / 12 + 1 / 12, 2: lambda: 0.0},
        # the wrong range: gates just short of the answer, e.g. 0.9 ** (1/75) = 0.998596 cut to
        # the four decimals asked for, 0.9985, which keeps 0.9985 ** 75 = 0.894 < 0.9 ('close,
        # but not enough'; cut to 3 decimals, 0.998, it is in the same range)
        7: {0: lambda: 0.9 ** (1 / 75), 1: lambda: math.floor(0.9 ** (1 / 75) * 10_000) / 10_000},
    },
)

# ---------------------------------------------------------------------------------- quiz 7

QUIZ_07 = Registry(
    results={
        "27": lambda: 26 + 1,  # letters and the space; also the perplexity of uniform guessing
        "4.48": lambda: math.exp(1.5),
        "0.36": lambda: 0.6**2,
        "65": lambda: math.exp(-math.log(1 / 65)),  # uniform guessing over 65 characters
        "0.175": lambda: (20 + 1) / (20 + 100),  # Q7: add-one, a context seen 20 times
        "0.96": lambda: (20 - 0.75) / 20,  # Q7: what Kneser-Ney keeps on the seen character
    },
    not_results={
        "0.5": "setting: temperature 0.5 (Q5)",
        "0.6": "setting: a correlation of 0.6 (Q6)",
        "1": "settings: temperature 1, a perplexity never below 1, a correlation of 1",
        "1.5": "setting: a loss of 1.5 nats (Q2)",
        "2": "settings: bits (2^1.5), 0.6^2",
        "26": "setting: 26 lower-case letters (Q1)",
        "27": "setting: the 27 symbols of Q1",
        "50": "setting: windows of 50 characters (Q3)",
        "65": "setting: a text with 65 distinct characters (Q4)",
        "70": "setting: a validation perplexity of 70 (Q4)",
        "0.75": "setting: Kneser-Ney's discount D = 0.75 (Q7)",
        "10": "setting: a memory capped at 10 characters (Q8)",
        "20": "setting: a context seen 20 times (Q7)",
        "100": "setting: a text of 100 distinct symbols (Q7)",
        "32": "the chapter's measured reach, about 32 characters of context (asserted in chapter 7)",
    },
    answers={
        # the wrong range [0, 1): the probability 1/27 of the true character, taken for the perplexity
        1: {0: lambda: math.exp(-math.log(1 / 27)), 1: lambda: 1 / 27},
        2: {0: lambda: math.exp(1.5), 1: lambda: 2**1.5},
        7: {0: lambda: (20 + 1) / (20 + 100), 1: lambda: 20 / 20},
    },
)

# ---------------------------------------------------------------------------------- quiz 8

QUIZ_08 = Registry(
    results={
        # Q5: the softmax of the scores 2, 0, 0
        "7.39": lambda: math.exp(2),
        "9.39": lambda: math.exp(2) + 2,
        "0.79": lambda: math.exp(2) / (math.exp(2) + 2),
        "0.11": lambda: 1 / (math.exp(2) + 2),
        "6": lambda: 2**2 + 2**0 + 2**0,  # Q5's distractor: a softmax in base 2, 4/6
        "600": lambda: 20 * 30,  # Q6: scores computed
        "66": lambda: 100 * 0.9**4,  # Q7: 0.9^4 as a percentage
    },
    not_results={
        "0": "settings: the scores 2, 0, 0 (Q5), e^0, digits 0 to 9 (Q7)",
        "000": "the thousands of 10{,}000 (Q7), written in TeX",
        "1": "settings: 1/10, a weight of 1 (Q5), one time in how many (Q7)",
        "2": "settings: the scores 2, 0, 0 (Q5), 2 + 0 + 0 + 1",
        "4": "settings: 4-digit strings (Q7), a beam of width 4 (Q8), 2^2 in Q5's base-2 softmax",
        "9": "setting: digits 0 to 9 (Q7)",
        "10": "settings: one digit in 10, (1/10)^4, 10,000 (Q7)",
        "20": "setting: an output of 20 tokens (Q6)",
        "30": "setting: an input of 30 tokens (Q6)",
        "90": "setting: right 90% of the time per digit (Q7)",
        "95": "setting: a colleague's 95% per-token accuracy (Q1)",
        "100": "setting: a hypothetical beam of width 100 (Q8)",
        "400": "setting: articles of up to 400 words (Q9)",
        "1000": "setting: 1,000-word reports (Q9)",
        "0.9": "setting: right 0.9 of the time per digit (Q7)",
    },
    answers={
        5: {
            0: lambda: math.exp(2) / (math.exp(2) + 2),
            1: lambda: 2**2 / (2**2 + 2**0 + 2**0),
            2: lambda: 1.0,
        },
        6: {0: lambda: 20 * 30, 1: lambda: 20 + 30},
        7: {0: lambda: 10**4, 1: lambda: 4 * 10},
    },
)

# ---------------------------------------------------------------------------------- quiz 9

QUIZ_09 = Registry(
    results={
        "0.72": lambda: 0.9 * 0.8,
        "0.05": lambda: 0.1 * 0.5,
        "0.67": lambda: 0.9 * 0.8 + 0.1 * (-0.5),
        "0.08": lambda: 0.1 * 0.8,
        "0.45": lambda: 0.9 * 0.5,
        "0.1": lambda: 1 - 0.9,
        "0.37": lambda: 0.99**100,
        "0.01": lambda: 1 - 0.99,
        "1344": lambda: lstm_param_count(4, 16),
        "20": lambda: 16 + 4,
        "1056": lambda: gru_param_count(4, 16),
        # Q11: composing two steps of h_t = a_t h_{t-1} + b_t, (0.5, 2) then (0.4, 1)
        "0.2": lambda: 0.4 * 0.5,
        "1.8": lambda: 0.4 * 2 + 1,
        "0.8": lambda: 0.4 * 2,  # a_2 b_1 (also a setting of Q2, below)
        "2.5": lambda: 0.5 * 1 + 2,  # the wrong order, a_1 b_2 + b_1
        "0.9": lambda: 0.5 + 0.4,  # the coefficients added (also a setting of Q2)
        "3": lambda: 2 + 1,  # b_1 + b_2 (also a setting of Q9)
        # Q12: the doubling scan over 1000 steps
        "10": lambda: math.ceil(math.log2(1000)),
        "1024": lambda: 2 ** math.ceil(math.log2(1000)),
        "512": lambda: 2**9,
    },
    not_results={
        "0": "settings: r_t = 0, h~_t = 0, 'the candidate is 0'",
        "0.5": "setting: the candidate -0.5 (Q2); an even mix of 0.5",
        "0.8": "setting: h_{t-1} = 0.8 (Q2)",
        "0.9": "setting: z_t = 0.9 (Q2)",
        "0.99": "setting: z_t = 0.99 (Q3)",
        "1": "settings: h_0 = 1, 1 - z_t, 'add up to one'",
        "2": "setting: two bias vectors (Q9)",
        "3": "setting: three blocks of weights (Q9)",
        "4": "setting: 4 input features (Q6, Q9)",
        "16": "setting: LSTM(16), GRU(16)",
        "30": "setting: the last 30 days (Q5)",
        "32": "setting: LSTM(32) (Q7)",
        "100": "setting: 100 steps (Q3)",
        "0.4": "setting: a_2 = 0.4 (Q11)",
        "9": "exponent: 2^9 (Q12)",
        "1000": "setting: a sequence of 1000 steps (Q12)",
        "1024": "setting: the width d = 1024 (Q13)",
        "2000": "setting: 2000 tokens read (Q13)",
        "2024": "year: Sarrof et al. 2024, Merrill et al. 2024 (Q14, Q15)",
        "2025": "year: Grazzi et al. 2025 (Q14, Q15)",
        "5": "index: exercise 5 (Q15)",
    },
    answers={
        12: {0: lambda: math.ceil(math.log2(1000)), 1: lambda: 1000, 2: lambda: 9},
        13: {
            0: lambda: 2 * 2000 * 1024,
            1: lambda: 2000**2,
            2: lambda: 2000 * 1024,
            3: lambda: 2 * 1024,
        },
        2: {
            0: lambda: 0.9 * 0.8 + 0.1 * (-0.5),
            1: lambda: 0.1 * 0.8 + 0.9 * (-0.5),
            2: lambda: 0.5 * 0.8 + 0.5 * (-0.5),
        },
        3: {0: lambda: 0.99**100, 1: lambda: 0.99, 2: lambda: 0.01**100},
        6: {0: lambda: 2 * lstm_param_count(4, 16), 1: lambda: lstm_param_count(4, 16)},
        9: {
            0: lambda: gru_param_count(4, 16),
            1: lambda: 3 * (16 * 20 + 16),
            2: lambda: lstm_param_count(4, 16),
        },
    },
)

#: One registry per quiz file. A new quiz file needs its block (the meta-test says so).
REGISTRIES: dict[str, Registry] = {
    "01_sequences": QUIZ_01,
    "02_rnn_limits": QUIZ_02,
    "03_lstm_cell": QUIZ_03,
    "04_lstm_equations": QUIZ_04,
    "05_forecasting": QUIZ_05,
    "06_long_term_memory": QUIZ_06,
    "07_language_model": QUIZ_07,
    "08_seq2seq": QUIZ_08,
    "09_where_next": QUIZ_09,
}

QUIZ_NAMES = sorted(p.stem for p in QUIZZES.glob("*.json"))


# ------------------------------------------------------------------------------ the checks


def shown_matches(shown: str, value: float) -> bool:
    """Is ``shown`` (as the quiz writes it) ``value`` rounded to the digits shown?

    ``'0.0115'`` matches 0.011529 (rounded to 4 decimals); ``'270'`` matches 272.8 (two
    significant digits: trailing zeros of an integer are not significant), but a whole
    number must be shown exactly (``'60'`` is not 61); ``'1.6e15'``
    matches 1.59e15; a bare power of ten, ``'1e15'`` (``about 10^15``), matches any value
    within half an order of magnitude of it. Signs are ignored (the scan drops them).
    """
    value = abs(float(value))
    if shown.startswith("1e"):
        return abs(math.log10(value) - int(shown[2:])) <= 0.5 if value > 0 else False
    number = Decimal(shown)
    if "e" in shown:
        mantissa = shown.split("e")[0]
        last = Decimal(1).scaleb(number.adjusted() - (len(mantissa.replace(".", "")) - 1))
    elif "." in shown:
        last = Decimal(1).scaleb(number.as_tuple().exponent)
    elif abs(value - round(value)) < 1e-9:  # a whole number (a count, 100 - 40): exactly
        return Decimal(round(value)) == number
    else:
        digits = shown.rstrip("0") or "0"
        last = Decimal(1).scaleb(len(shown) - len(digits)) if number else Decimal(1)
    return abs(Decimal(repr(value)) - number) <= last / 2 * Decimal("1.000001")


def numeric_answers(name: str) -> dict[int, dict[int, dict]]:
    """Quiz ``name``'s numeric questions -> {answer index: answer} for their value/range answers."""
    questions = json.loads((QUIZZES / f"{name}.json").read_text(encoding="utf-8"))
    found = {}
    for number, question in enumerate(questions, start=1):
        if question["type"] == "numeric":
            found[number] = {
                i: a for i, a in enumerate(question["answers"]) if a["type"] in ("value", "range")
            }
    return found


def _computations(entry) -> list[Value]:
    return entry if isinstance(entry, list) else [entry]


def test_every_quiz_file_has_a_registry():
    assert sorted(REGISTRIES) == QUIZ_NAMES, (
        "tests/test_quiz_numbers.py needs one Registry per quiz file: "
        f"missing {sorted(set(QUIZ_NAMES) - set(REGISTRIES))}, stale {sorted(set(REGISTRIES) - set(QUIZ_NAMES))}"
    )


def unregistered_and_stale(name: str, registry: Registry) -> tuple[dict[str, list[str]], list[str]]:
    """The numbers of quiz ``name`` that ``registry`` does not name, and those it names in vain."""
    found = quiz_numbers(name)
    named = set(registry.results) | set(registry.not_results)
    unregistered = {number: found[number] for number in found if number not in named}
    return unregistered, sorted(named - set(found))


@pytest.mark.parametrize("name", QUIZ_NAMES)
def test_every_number_of_the_quiz_is_registered(name):
    """The meta-test: no number in a quiz is unaccounted for, and the registry names no other."""
    registry = REGISTRIES.get(name)
    assert registry is not None, f"quizzes/{name}.json has no Registry in tests/test_quiz_numbers.py"
    unregistered, stale = unregistered_and_stale(name, registry)
    assert not unregistered, (
        f"quizzes/{name}.json: numbers that are neither checked results nor declared settings "
        f"(register each in its Registry; `python tests/quiz_numbers_scan.py {name}` lists them): {unregistered}"
    )
    assert not stale, f"quizzes/{name}.json no longer contains {stale}: remove them from its Registry"
    for number, reason in registry.not_results.items():
        assert reason.strip(), f"{name}: say why {number} is not a result"


def test_an_unregistered_number_is_reported():
    """Drop one registered number: the meta-test's check names it, with where it occurs."""
    registry = REGISTRIES["04_lstm_equations"]
    without = Registry(
        results={k: v for k, v in registry.results.items() if k != "0.716"},
        not_results=registry.not_results,
        answers=registry.answers,
    )
    unregistered, stale = unregistered_and_stale("04_lstm_equations", without)
    assert unregistered == {"0.716": ["Q8 answers[0].feedback"]} and stale == []


@pytest.mark.parametrize("name", QUIZ_NAMES)
def test_every_result_is_what_its_computation_gives(name):
    registry = REGISTRIES[name]
    wrong = {}
    for shown, entry in registry.results.items():
        for compute in _computations(entry):
            value = compute()
            if not shown_matches(shown, value):
                wrong[shown] = value
    assert not wrong, (
        f"quizzes/{name}.json shows numbers its computations do not give (shown: computed): {wrong}"
    )


@pytest.mark.parametrize("name", QUIZ_NAMES)
def test_every_numeric_answer_holds_its_computed_value(name):
    registry = REGISTRIES[name]
    questions = numeric_answers(name)
    assert sorted(registry.answers) == sorted(questions), (
        f"quizzes/{name}.json: numeric questions {sorted(questions)}, registered {sorted(registry.answers)}"
    )
    for number, answers in questions.items():
        computed = registry.answers[number]
        assert sorted(computed) == sorted(answers), (
            f"quizzes/{name}.json Q{number}: answers {sorted(answers)} need a computation each, "
            f"registered {sorted(computed)}"
        )
        for index, answer in answers.items():
            value = computed[index]()
            where = f"quizzes/{name}.json Q{number} answers[{index}] ({'correct' if answer.get('correct') else 'wrong'})"
            if answer["type"] == "value":
                same_sign = answer["value"] * value > 0 or answer["value"] == value == 0
                assert same_sign and shown_matches(repr(abs(answer["value"])), value), (
                    f"{where}: value {answer['value']} but the computation gives {value}"
                )
            else:
                lo, hi = answer["range"]
                assert lo <= value < hi, (
                    f"{where}: range {answer['range']} does not hold the computed {value}"
                )


def test_the_rounding_rule():
    assert shown_matches("0.0115", 0.8**20) and not shown_matches("0.0116", 0.8**20)
    assert shown_matches("270", 272.8) and not shown_matches("270", 275.2)
    assert shown_matches("1.6e15", 1.59e15) and not shown_matches("1.6e15", 1.7e15)
    assert shown_matches("1e15", 1.6e15) and not shown_matches("1e15", 5e15)
    assert shown_matches("0.713", 0.71303) and not shown_matches("0.713", 0.716)
    assert shown_matches("60", 60) and not shown_matches("60", 61)
    assert shown_matches("0", 0.0) and not shown_matches("0", 1.0)


def test_a_wrong_number_in_a_quiz_is_caught():
    """The checks fail on the kind of error they exist for: tanh(0.9) written as 0.713."""
    assert not shown_matches("0.713", math.tanh(0.9))
    assert not shown_matches("0.0019", 0.73**20)  # sigma(1)**20 is 0.0019; 0.73**20 is 0.0018
