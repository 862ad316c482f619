"""Unit tests of book.minlstm: the minLSTM and minGRU of chapter 9, step by step and by the two
parallel scans, and the cost each method counts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from book.lstm import lstm_forward, sigmoid
from book.minlstm import (
    MINGRU_BLOCKS,
    MINLSTM_BLOCKS,
    RECURRENCES,
    ScanCost,
    combine,
    linear_recurrence_loop,
    linear_recurrence_scan,
    mingru_coefficients,
    mingru_forward,
    minlstm_coefficients,
    minlstm_forward,
    minlstm_param_count,
    minlstm_step,
    recurrence_cost,
)

TOLERANCE = 1e-12


def coefficients(batch, steps, units, seed=0, low=0.0, high=1.0):
    rng = np.random.default_rng(seed)
    return (
        rng.uniform(low, high, size=(batch, steps, units)),
        rng.normal(size=(batch, steps, units)),
        rng.normal(size=(batch, units)),
    )


def reference(a, b, h0):
    """The recurrence written out with Python scalars, the most literal version."""
    batch, steps, units = a.shape
    out = np.empty_like(a)
    for n in range(batch):
        for u in range(units):
            h = h0[n, u]
            for t in range(steps):
                h = a[n, t, u] * h + b[n, t, u]
                out[n, t, u] = h
    return out


@pytest.mark.parametrize(
    "batch, steps, units",
    [
        (1, 1, 1),  # length 1: no combining round at all
        (2, 2, 3),
        (3, 5, 2),  # not a power of two
        (1, 8, 4),  # a power of two
        (4, 13, 3),
        (2, 100, 5),  # long and not a power of two
        (1, 1025, 2),  # just over a power of two
    ],
)
@pytest.mark.parametrize("method", sorted(RECURRENCES))
def test_every_method_matches_the_reference(batch, steps, units, method):
    a, b, h0 = coefficients(batch, steps, units, seed=steps)
    expected = reference(a, b, h0)
    got = RECURRENCES[method](a, b, h0)
    assert got.shape == (batch, steps, units)
    assert np.abs(got - expected).max() < 1e-10 * max(1.0, np.abs(expected).max())


@pytest.mark.parametrize("method", ["scan", "blelloch"])
def test_scans_handle_any_sign_and_a_zero_state(method):
    """Coefficients outside (0, 1), and the default h0 = 0."""
    a, b, _ = coefficients(3, 37, 2, seed=5, low=-1.5, high=1.5)
    expected = linear_recurrence_loop(a, b)
    assert np.abs(RECURRENCES[method](a, b) - expected).max() < 1e-9 * np.abs(expected).max()


def test_combine_is_associative_and_not_commutative():
    rng = np.random.default_rng(1)
    p, q, r = ((rng.normal(size=3), rng.normal(size=3)) for _ in range(3))
    left = combine(combine(p, q), r)
    right = combine(p, combine(q, r))
    assert all(np.allclose(x, y, atol=TOLERANCE) for x, y in zip(left, right, strict=True))
    swapped = combine(q, p)
    assert not np.allclose(combine(p, q)[1], swapped[1])
    # applying the composition = applying the steps one after the other
    h = rng.normal(size=3)
    a, b = combine(p, q)
    assert np.allclose(a * h + b, q[0] * (p[0] * h + p[1]) + q[1], atol=TOLERANCE)


@pytest.mark.parametrize("steps", [1, 2, 3, 7, 8, 9, 100, 1000, 4096])
def test_costs_follow_the_formulas(steps):
    loop = recurrence_cost(steps, "loop")
    scan = recurrence_cost(steps, "scan")
    blelloch = recurrence_cost(steps, "blelloch")
    levels = math.ceil(math.log2(steps)) if steps > 1 else 0
    n = 2**levels
    assert (loop.rounds, loop.combines) == (steps, steps)
    # doubling scan: ceil(log2 T) rounds of T - shift combines, then one round applying to h0
    assert scan.rounds == levels + 1
    assert scan.combines == sum(steps - 2**k for k in range(levels)) + steps
    # Blelloch: up-sweep and down-sweep of n - 1 combines each, then one round of T
    assert blelloch.rounds == 2 * levels + 1
    assert blelloch.combines == 2 * (n - 1) + steps
    if steps >= 100:
        assert scan.rounds < loop.rounds / 10
        assert blelloch.combines < 4 * steps < scan.combines


def test_costs_are_counted_while_computing():
    cost = ScanCost()
    a, b, h0 = coefficients(2, 6, 1)
    linear_recurrence_scan(a, b, h0, cost=cost)
    assert (cost.rounds, cost.combines) == (4, 5 + 4 + 2 + 6)
    cost = ScanCost()
    linear_recurrence_loop(a, b, h0, cost=cost)
    assert (cost.rounds, cost.combines) == (6, 6)


def minlstm_weights(n_x, n_h, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return rng.normal(0, scale, size=(n_x, 3 * n_h)), rng.normal(0, scale, size=3 * n_h)


@pytest.mark.parametrize("batch, steps, n_x, n_h", [(1, 1, 1, 1), (3, 17, 2, 5), (2, 64, 4, 3), (5, 9, 1, 8)])
def test_minlstm_loop_and_scans_agree(batch, steps, n_x, n_h):
    kernel, bias = minlstm_weights(n_x, n_h, seed=steps)
    x = np.random.default_rng(steps + 1).normal(size=(batch, steps, n_x))
    h0 = np.random.default_rng(steps + 2).normal(size=(batch, n_h))
    loop = minlstm_forward(x, kernel, bias, h0, method="loop")
    for method in ("scan", "blelloch"):
        assert np.abs(minlstm_forward(x, kernel, bias, h0, method=method) - loop).max() < 1e-10
    # and one step at a time, as chapter 4 runs the LSTM
    h = h0
    for t in range(steps):
        h = minlstm_step(x[:, t], h, kernel, bias)
        assert np.abs(h - loop[:, t]).max() < 1e-12


def test_minlstm_follows_its_equations():
    n_x, n_h = 3, 4
    kernel, bias = minlstm_weights(n_x, n_h, seed=7)
    x = np.random.default_rng(8).normal(size=(2, 5, n_x))
    a, b = minlstm_coefficients(x, kernel, bias)
    blocks = {g: j for j, g in enumerate(MINLSTM_BLOCKS)}

    def block(g):
        cols = slice(blocks[g] * n_h, (blocks[g] + 1) * n_h)
        return x @ kernel[:, cols] + bias[cols]

    f, i, h_tilde = sigmoid(block("f")), sigmoid(block("i")), block("h")
    assert np.allclose(a, f / (f + i)) and np.allclose(b, i / (f + i) * h_tilde)
    assert np.all((a > 0) & (a < 1))  # the normalised forget gate stays inside (0, 1)


def test_minlstm_is_the_lstm_without_its_recurrent_weights_in_the_cell_state():
    """With zero recurrent weights, chapter 4's cell state is ``f c + i tanh(...)``, the minLSTM's
    recurrence before normalising: the two agree when f + i = 1 and the candidate is linear
    enough, which we set up exactly: f and i from opposite logits, and a tiny candidate."""
    n_x, n_h = 2, 3
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(n_x, n_h))
    w_h = 1e-4 * rng.normal(size=(n_x, n_h))
    # Keras LSTM blocks: i, f, c, o; f = sigmoid(z), i = sigmoid(-z) add up to one
    kernel = np.concatenate([-logits, logits, w_h, 50 * np.ones((n_x, n_h))], axis=1)
    bias = np.concatenate([np.zeros(3 * n_h), 50 * np.ones(n_h)])
    x = rng.uniform(0.5, 1.0, size=(2, 30, n_x))
    trace = lstm_forward(x, kernel, np.zeros((n_h, 4 * n_h)), bias)
    mk = np.concatenate([logits, -logits, w_h], axis=1)  # minLSTM blocks: f, i, h
    h = minlstm_forward(x, mk, np.zeros(3 * n_h), method="loop")
    assert np.abs(trace.c - h).max() < 1e-12 + 1e-8 * np.abs(h).max()


@pytest.mark.parametrize("method", sorted(RECURRENCES))
def test_mingru(method):
    rng = np.random.default_rng(2)
    n_x, n_h = 2, 3
    kernel, bias = rng.normal(size=(n_x, 2 * n_h)), rng.normal(size=2 * n_h)
    x = rng.normal(size=(2, 11, n_x))
    z = sigmoid(x @ kernel[:, :n_h] + bias[:n_h])
    h_tilde = x @ kernel[:, n_h:] + bias[n_h:]
    h, expected = np.zeros((2, n_h)), np.empty((2, 11, n_h))
    for t in range(11):
        h = (1 - z[:, t]) * h + z[:, t] * h_tilde[:, t]  # Feng et al.: z near 1 writes
        expected[:, t] = h
    assert np.abs(mingru_forward(x, kernel, bias, method=method) - expected).max() < 1e-12
    a, _ = mingru_coefficients(x, kernel, bias)
    assert np.allclose(a, 1 - z)
    assert MINGRU_BLOCKS == ("z", "h")


def test_param_count():
    assert minlstm_param_count(1, 32) == 3 * (32 + 32) == 192
    assert minlstm_param_count(4, 16) == 3 * (4 * 16 + 16)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"a": np.ones((2, 3, 1)), "b": np.ones((2, 4, 1))},
            r"a has shape \(2, 3, 1\) and b has shape \(2, 4, 1\)",
        ),
        ({"a": np.ones((3, 1)), "b": np.ones((3, 1))}, r"a has shape \(3, 1\); expected a 3-D array"),
        ({"a": np.ones((2, 0, 1)), "b": np.ones((2, 0, 1))}, "no time steps"),
        ({"a": np.ones((2, 3, 1)), "b": np.ones((2, 3, 1)), "h0": np.ones((1, 1))}, r"h0 has shape \(1, 1\)"),
    ],
)
@pytest.mark.parametrize("method", sorted(RECURRENCES))
def test_bad_coefficients_are_refused(kwargs, message, method):
    with pytest.raises(ValueError, match=message):
        RECURRENCES[method](**kwargs)


def test_bad_weights_are_refused():
    x = np.ones((1, 4, 2))
    with pytest.raises(ValueError, match=r"kernel has shape \(3, 6\); a minLSTM expects"):
        minlstm_forward(x, np.ones((3, 6)), np.ones(6))
    with pytest.raises(ValueError, match=r"kernel has shape \(2, 5\)"):
        minlstm_forward(x, np.ones((2, 5)), np.ones(5))
    with pytest.raises(ValueError, match=r"bias has shape \(5,\); expected \(3 \* units,\) = \(6,\)"):
        minlstm_forward(x, np.ones((2, 6)), np.ones(5))
    with pytest.raises(ValueError, match=r"x has shape \(4, 2\)"):
        minlstm_forward(np.ones((4, 2)), np.ones((2, 6)), np.ones(6))
    with pytest.raises(ValueError, match="a minGRU expects"):
        mingru_forward(x, np.ones((2, 3)), np.ones(3))
    with pytest.raises(KeyError):
        minlstm_forward(x, np.ones((2, 6)), np.ones(6), method="sideways")
