"""minLSTM and minGRU in NumPy, run step by step and by a parallel scan: chapter 9,
section 9.4 ("Recurrence returns", ``sec-recurrence-returns``).

The minimal LSTM of Feng et al. (2024, "Were RNNs All We Needed?") is chapter 4's LSTM
(:mod:`book.lstm`) with ``h_{t-1}`` taken out of its gates and candidate, the output gate and
both tanh dropped, and the forget and input gates normalised to add up to one. Vectors are rows
and weights multiply from the right, as in chapter 4. Per step, for each unit:

- ``f_t = sigmoid(x_t W_f + b_f)``,  ``i_t = sigmoid(x_t W_i + b_i)``  (gates: the input only)
- ``h~_t = x_t W_h + b_h``  (candidate: the input only, no tanh)
- ``f'_t = f_t / (f_t + i_t)``,  ``i'_t = i_t / (f_t + i_t)``  (normalised: they add up to one)
- ``h_t = f'_t * h_{t-1} + i'_t * h~_t``  (no output gate: the state is the output)

Nothing but the last line depends on the previous step, and it is a *linear recurrence*
``h_t = a_t * h_{t-1} + b_t`` with ``a_t = f'_t`` and ``b_t = i'_t * h~_t``, all of whose
coefficients can be computed for every step at once. Such a recurrence can be run in two ways
that give the same numbers:

- :func:`linear_recurrence_loop`: one step after another, ``T`` sequential steps;
- :func:`linear_recurrence_scan`: a parallel (associative) scan. Each step is the map
  ``h -> a h + b``; two consecutive maps compose into one of the same kind,
  ``(a1, b1)`` then ``(a2, b2)`` is ``(a2 a1, a2 b1 + b2)`` (:func:`combine`), and composing is
  associative, so the prefix compositions can be computed in ``ceil(log2 T)`` rounds of
  independent combines (the doubling scan of Hillis and Steele), or with about ``3 n`` combines
  in about ``2 log2 n`` rounds, ``n`` being ``T`` padded to a power of two (Blelloch's
  work-efficient scan). Both are implemented here and count
  their rounds and combines in a :class:`ScanCost`, so the chapter's table of costs comes from
  the code that ran.

The minGRU (Feng et al. 2024) is the same recurrence with one gate:
``z_t = sigmoid(x_t W_z + b_z)``, ``h_t = (1 - z_t) h_{t-1} + z_t h~_t``. Note the convention:
in Feng et al.'s minGRU ``z_t`` near 1 *writes*, the opposite of Keras' GRU (chapter 9 explains
both conventions).

Weights: ``kernel`` of shape ``(n_x, 3 n_h)`` holds the blocks f, i, h (:data:`MINLSTM_BLOCKS`)
and ``bias`` ``(3 n_h,)``; the minGRU's hold the blocks z, h (:data:`MINGRU_BLOCKS`). Arrays of
the wrong shape raise ``ValueError`` naming the array. Everything computes in float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from book.lstm import sigmoid

#: The blocks of columns of a minLSTM's ``kernel`` and ``bias``, in order.
MINLSTM_BLOCKS = ("f", "i", "h")
#: The blocks of columns of a minGRU's ``kernel`` and ``bias``, in order.
MINGRU_BLOCKS = ("z", "h")


@dataclass
class ScanCost:
    """What a run of a recurrence cost: ``rounds`` that had to run one after another, and
    ``combines``, the number of positions at which the step map was applied or two maps were
    composed (each is a few multiplications and additions per unit and example)."""

    rounds: int = 0
    combines: int = 0

    def add_round(self, combines: int) -> None:
        self.rounds += 1
        self.combines += int(combines)


def _check_coefficients(a, b, h0):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"a has shape {a.shape} and b has shape {b.shape}; they must be equal"
        )
    if a.ndim != 3:
        raise ValueError(
            f"a has shape {a.shape}; expected a 3-D array (batch, time, units)"
        )
    if a.shape[1] == 0:
        raise ValueError("a and b have no time steps (shape[1] == 0)")
    batch, _, units = a.shape
    if h0 is None:
        h0 = np.zeros((batch, units))
    h0 = np.asarray(h0, dtype=np.float64)
    if h0.shape != (batch, units):
        raise ValueError(
            f"h0 has shape {h0.shape}; expected (batch, units) = {(batch, units)}"
        )
    return a, b, h0


def linear_recurrence_loop(a, b, h0=None, cost=None):
    """All states of ``h_t = a_t * h_{t-1} + b_t``, one step after another.

    ``a`` and ``b`` have shape (batch, time, units); ``h0`` (batch, units) defaults to zeros.
    Returns ``h`` of shape (batch, time, units). With a :class:`ScanCost` as ``cost``, records
    one round per step.
    """
    a, b, h = _check_coefficients(a, b, h0)
    out = np.empty_like(a)
    for t in range(a.shape[1]):
        h = a[:, t] * h + b[:, t]  # the step that needs the one before
        out[:, t] = h
        if cost is not None:
            cost.add_round(1)
    return out


def combine(earlier, later):
    """Compose two steps ``h -> a h + b``: first ``earlier = (a1, b1)``,
    then ``later = (a2, b2)``.

    ``a2 (a1 h + b1) + b2 = (a2 a1) h + (a2 b1 + b2)``: the result is again a
    pair ``(a, b)``. Composing is associative (but not commutative: the order
    of the steps matters).
    """
    a1, b1 = earlier
    a2, b2 = later
    return a2 * a1, a2 * b1 + b2


def linear_recurrence_scan(a, b, h0=None, cost=None):
    """The same states as :func:`linear_recurrence_loop`, by the doubling scan
    (Hillis and Steele).

    After round k (shift d = 2^k), position t holds the composition of the
    steps ``t - 2d + 1 ... t`` (or ``1 ... t`` near the start): every round
    combines each position with the one ``d`` earlier, all positions
    independently. ``ceil(log2 T)`` rounds make every position hold the
    composition of all steps up to it, ``(A_t, B_t)``, and then
    ``h_t = A_t h0 + B_t``. With a :class:`ScanCost`, records the rounds and
    the combines (the final application to ``h0`` counts as one more round).
    """
    a, b, h0 = _check_coefficients(a, b, h0)
    steps = a.shape[1]
    shift = 1
    while shift < steps:
        # every position t >= shift takes in the composition ending
        # at t - shift
        a_new, b_new = combine(
            (a[:, :-shift], b[:, :-shift]), (a[:, shift:], b[:, shift:])
        )
        a = np.concatenate([a[:, :shift], a_new], axis=1)
        b = np.concatenate([b[:, :shift], b_new], axis=1)
        if cost is not None:
            cost.add_round(steps - shift)
        shift *= 2
    if cost is not None:
        cost.add_round(steps)
    return a * h0[:, None, :] + b


def linear_recurrence_blelloch(a, b, h0=None, cost=None):
    """The same states again, by Blelloch's work-efficient scan (an up-sweep and a down-sweep).

    The steps are padded with identity maps ``(1, 0)`` to a power of two ``n``. The up-sweep
    builds a tree of compositions (n - 1 combines), the down-sweep hands each position the
    composition of all the steps before it (n - 1 combines); a last round composes that with
    the position's own step and applies the result to ``h0``. About ``2 log2 n`` rounds and
    ``3 n`` combines in all, against ``n log2 n`` combines for the doubling scan.
    """
    a, b, h0 = _check_coefficients(a, b, h0)
    batch, steps, units = a.shape
    n = 1 << max(0, math.ceil(math.log2(steps)))
    pa = np.ones((batch, n, units))
    pb = np.zeros((batch, n, units))
    pa[:, :steps], pb[:, :steps] = a, b
    levels = int(math.log2(n))
    for level in range(levels):  # up-sweep: subtree totals
        half, stride = 1 << level, 1 << (level + 1)
        right = np.arange(stride - 1, n, stride)
        pa[:, right], pb[:, right] = combine(
            (pa[:, right - half], pb[:, right - half]),
            (pa[:, right], pb[:, right]),
        )
        if cost is not None:
            cost.add_round(len(right))
    pa[:, n - 1], pb[:, n - 1] = (
        1.0,
        0.0,
    )  # the identity: nothing comes before the first step
    for level in reversed(
        range(levels)
    ):  # down-sweep: what comes before each subtree
        half, stride = 1 << level, 1 << (level + 1)
        right = np.arange(stride - 1, n, stride)
        left = right - half
        left_total = pa[:, left].copy(), pb[:, left].copy()
        before = pa[:, right].copy(), pb[:, right].copy()
        pa[:, left], pb[:, left] = before
        pa[:, right], pb[:, right] = combine(before, left_total)
        if cost is not None:
            cost.add_round(len(right))
    # exclusive prefixes -> inclusive: then each position's own step
    big_a, big_b = combine((pa[:, :steps], pb[:, :steps]), (a, b))
    if cost is not None:
        cost.add_round(steps)
    return big_a * h0[:, None, :] + big_b


def _check_min_weights(x, kernel, bias, blocks: tuple[str, ...], name: str):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(
            f"x has shape {x.shape}; expected a 3-D array (batch, time, features)"
        )
    kernel = np.asarray(kernel, dtype=np.float64)
    bias = np.asarray(bias, dtype=np.float64)
    k = len(blocks)
    n_x = x.shape[2]
    if kernel.ndim != 2 or kernel.shape[0] != n_x or kernel.shape[1] % k:
        raise ValueError(
            f"kernel has shape {kernel.shape}; a {name} expects (features, {k} * units) "
            f"with {n_x} features (blocks {', '.join(blocks)})"
        )
    n_h = kernel.shape[1] // k
    if bias.shape != (k * n_h,):
        raise ValueError(
            f"bias has shape {bias.shape}; expected ({k} * units,) = ({k * n_h},) for {n_h} units"
        )
    return (
        x,
        {g: kernel[:, j * n_h : (j + 1) * n_h] for j, g in enumerate(blocks)},
        {g: bias[j * n_h : (j + 1) * n_h] for j, g in enumerate(blocks)},
    )


def minlstm_coefficients(x, kernel, bias):
    """The minLSTM's ``a_t = f'_t`` and ``b_t = i'_t * h~_t`` for every step at once.

    ``x`` has shape (batch, time, n_x); returns two arrays of shape (batch, time, n_h).
    """
    x, W, b = _check_min_weights(x, kernel, bias, MINLSTM_BLOCKS, "minLSTM")
    f = sigmoid(x @ W["f"] + b["f"])  # forget gate: from x_t only
    i = sigmoid(x @ W["i"] + b["i"])  # input gate: from x_t only
    h_tilde = x @ W["h"] + b["h"]  # candidate: from x_t only, no tanh
    f_norm, i_norm = f / (f + i), i / (f + i)  # normalised: f' + i' = 1
    return f_norm, i_norm * h_tilde


def minlstm_step(x_t, h_prev, kernel, bias):
    """One minLSTM step, as chapter 4's ``lstm_step`` runs one LSTM step: ``x_t`` (batch, n_x),
    ``h_prev`` (batch, n_h); returns ``h_t``."""
    a_t, b_t = minlstm_coefficients(np.asarray(x_t)[:, None, :], kernel, bias)
    return a_t[:, 0] * h_prev + b_t[:, 0]


def minlstm_forward(x, kernel, bias, h0=None, method="scan", cost=None):
    """All states of a minLSTM layer, shape (batch, time, n_h), computed by ``method``:
    ``"loop"`` (step by step), ``"scan"`` (doubling scan) or ``"blelloch"``."""
    a, b = minlstm_coefficients(x, kernel, bias)
    return RECURRENCES[method](a, b, h0, cost)


def mingru_coefficients(x, kernel, bias):
    """The minGRU's ``a_t = 1 - z_t`` and ``b_t = z_t * h~_t`` (Feng et al.'s convention: z writes)."""
    x, W, b = _check_min_weights(x, kernel, bias, MINGRU_BLOCKS, "minGRU")
    z = sigmoid(x @ W["z"] + b["z"])  # update gate: from x_t only
    h_tilde = x @ W["h"] + b["h"]  # candidate: from x_t only, no tanh
    return 1.0 - z, z * h_tilde


def mingru_forward(x, kernel, bias, h0=None, method="scan", cost=None):
    """All states of a minGRU layer, shape (batch, time, n_h), computed by ``method``."""
    a, b = mingru_coefficients(x, kernel, bias)
    return RECURRENCES[method](a, b, h0, cost)


#: The three ways of running a linear recurrence, by name.
RECURRENCES = {
    "loop": linear_recurrence_loop,
    "scan": linear_recurrence_scan,
    "blelloch": linear_recurrence_blelloch,
}


def recurrence_cost(steps: int, method: str) -> ScanCost:
    """The rounds and combines ``method`` takes for ``steps`` steps (one example, one unit: the
    counts do not depend on the batch or the width), counted by running it."""
    cost = ScanCost()
    RECURRENCES[method](
        np.full((1, steps, 1), 0.5), np.ones((1, steps, 1)), cost=cost
    )
    return cost


def minlstm_param_count(n_x: int, n_h: int) -> int:
    """Trainable parameters of a minLSTM layer: three blocks (f, i, h), each an (n_x, n_h) matrix
    and a bias of length n_h. No recurrent weights."""
    return 3 * (n_x * n_h + n_h)
