"""A nonlinear recurrence computed in parallel by Newton's method: chapter 9,
section 9.4 ("Recurrence returns", ``sec-recurrence-returns``).

A recurrence that is nonlinear in its state does not compose into a step of the same small
form, so the one-pass scans of :mod:`book.minlstm` cannot compute it. It can still be computed
in parallel over the steps by *iterating*: the method of Lim et al. (2024, "DEER") and, for
adapted LSTM and GRU cells at scale, of Danieli et al. (2025, "ParaRNN"). Write all the states
``h_1 ... h_T`` as the unknowns of one system of equations ``h_t = f_t(h_{t-1})`` and solve it by
Newton's method: around the current guess ``g`` each step is replaced by its linearisation

    h_t = f_t(g_{t-1}) + J_t (h_{t-1} - g_{t-1}),   J_t = d f_t / d h  at  g_{t-1},

a *linear* recurrence ``h_t = a_t h_{t-1} + b_t`` with ``a_t = J_t`` and
``b_t = f_t(g_{t-1}) - J_t g_{t-1}``. Every ``a_t`` and ``b_t`` depends on the guess only, so they
are computed for all steps at once, and the linear recurrence is solved by the doubling scan
(:func:`book.minlstm.linear_recurrence_scan`). Its solution is the next guess.

The cell here is the simplest one whose Jacobian stays cheap: a tanh recurrence with a
*diagonal* recurrent weight, each unit reading only its own previous state,

    h_t = tanh(w * h_{t-1} + u_t),   u_t = x_t W + b,

so ``J_t`` is diagonal, ``w * (1 - h_t^2)`` evaluated at the guess, and the scan of
:mod:`book.minlstm` applies unit by unit. (A full LSTM's Jacobian is a dense ``n_h x n_h``
matrix per step, whose combines are matrix products; ParaRNN adapts the LSTM and GRU to
diagonal recurrent weights for this reason.)

Two facts the tests check: each iteration makes at least one more leading step exact, so ``T``
iterations always reach the sequential result; and near the solution Newton's method converges
quadratically, so in practice far fewer are needed.
"""

from __future__ import annotations

import math

import numpy as np

from book.minlstm import linear_recurrence_scan


def _check(u, w, h0):
    u = np.asarray(u, dtype=np.float64)
    if u.ndim != 3:
        raise ValueError(
            f"u has shape {u.shape}; expected a 3-D array (batch, time, units)"
        )
    batch, _, units = u.shape
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (units,):
        raise ValueError(
            f"w has shape {w.shape}; expected (units,) = ({units},)"
        )
    h0 = (
        np.zeros((batch, units))
        if h0 is None
        else np.asarray(h0, dtype=np.float64)
    )
    if h0.shape != (batch, units):
        raise ValueError(
            f"h0 has shape {h0.shape}; expected (batch, units) = {(batch, units)}"
        )
    return u, w, h0


def diagonal_rnn_loop(u, w, h0=None):
    """All states of ``h_t = tanh(w * h_{t-1} + u_t)``, one step after another.

    ``u`` (batch, time, units) holds each step's input contribution ``x_t W + b``; ``w`` (units,)
    the diagonal recurrent weight; ``h0`` (batch, units) defaults to zeros.
    """
    u, w, h = _check(u, w, h0)
    out = np.empty_like(u)
    for t in range(u.shape[1]):
        h = np.tanh(w * h + u[:, t])
        out[:, t] = h
    return out


def newton_iterations(u, w, h0=None, iterations=None, tol=1e-12):
    """The same states by Newton's method, each iteration a parallel scan; returns
    ``(states, history)``.

    Starts from the guess ``h = 0`` at every step and iterates until the largest change of a
    state is below ``tol``, or ``iterations`` times if given (at most ``T``, the number of steps,
    which always suffices). ``history`` lists, for each iteration, the largest change it made.
    """
    u, w, h0 = _check(u, w, h0)
    steps = u.shape[1]
    limit = steps if iterations is None else int(iterations)
    guess = np.zeros_like(u)
    history = []
    for _ in range(limit):
        before = np.concatenate(
            [h0[:, None, :], guess[:, :-1]], axis=1
        )  # g_{t-1}, g_0 = h0
        value = np.tanh(w * before + u)  # f_t(g_{t-1}), all steps at once
        jacobian = w * (1.0 - value**2)  # diagonal d f_t / d h at g_{t-1}
        new = linear_recurrence_scan(jacobian, value - jacobian * before, h0)
        history.append(float(np.abs(new - guess).max()))
        guess = new
        if iterations is None and history[-1] < tol:
            break
    return guess, history


def newton_rounds(steps: int, iterations: int) -> int:
    """Rounds that must run one after another: per iteration, one round computing every step's
    ``a_t`` and ``b_t`` and the doubling scan's ``ceil(log2 T) + 1``."""
    return iterations * (1 + max(0, math.ceil(math.log2(steps))) + 1)
