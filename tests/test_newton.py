"""Unit tests of book.newton: a nonlinear (diagonal tanh) recurrence computed in parallel by
Newton's method, each iteration a scan (chapter 9)."""

from __future__ import annotations

import numpy as np
import pytest

from book.newton import diagonal_rnn_loop, newton_iterations, newton_rounds


def problem(bound, seed=0, batch=3, steps=120, units=5):
    rng = np.random.default_rng(seed)
    u = rng.normal(0.0, 1.0, size=(batch, steps, units))
    w = rng.uniform(-bound, bound, size=units)
    h0 = rng.normal(0.0, 0.5, size=(batch, units))
    return u, w, h0


def test_loop_is_the_recurrence():
    u, w, h0 = problem(0.9)
    h = h0
    for t in range(u.shape[1]):
        h = np.tanh(w * h + u[:, t])
    assert np.allclose(diagonal_rnn_loop(u, w, h0)[:, -1], h, atol=1e-15)


@pytest.mark.parametrize("bound", [0.5, 0.9, 3.0])
def test_newton_reaches_the_loop_states(bound):
    u, w, h0 = problem(bound)
    states, changes = newton_iterations(u, w, h0)
    assert np.abs(states - diagonal_rnn_loop(u, w, h0)).max() < 1e-10
    assert len(changes) <= u.shape[1]
    assert changes[-1] < 1e-12


def test_each_iteration_makes_one_more_leading_step_exact():
    u, w, h0 = problem(3.0, seed=1)
    loop = diagonal_rnn_loop(u, w, h0)
    for k in range(1, 6):
        states, _ = newton_iterations(u, w, h0, iterations=k)
        assert np.abs(states[:, :k] - loop[:, :k]).max() < 1e-12
    # and not in general beyond: one iteration leaves later steps wrong
    one, _ = newton_iterations(u, w, h0, iterations=1)
    assert np.abs(one - loop).max() > 1e-3


def test_contractive_recurrence_converges_in_few_iterations():
    u, w, h0 = problem(0.5, steps=500)
    _, changes = newton_iterations(u, w, h0)
    assert len(changes) <= 10  # far fewer than the 500 steps


def test_linear_case_takes_one_iteration_to_be_exact():
    # with |w * h| tiny and tanh ~ identity the recurrence is almost linear: few iterations
    u, w, h0 = problem(0.5)
    u = 1e-6 * u
    _, changes = newton_iterations(u, w, 1e-6 * h0)
    assert len(changes) <= 3


def test_rounds():
    assert newton_rounds(300, 1) == 1 + 9 + 1
    assert newton_rounds(1024, 2) == 2 * (1 + 10 + 1)


@pytest.mark.parametrize(
    "args, message",
    [
        ((np.zeros((2, 3)), np.zeros(3)), "3-D"),
        ((np.zeros((2, 3, 4)), np.zeros(3)), "w has shape"),
        ((np.zeros((2, 3, 4)), np.zeros(4), np.zeros((2, 3))), "h0 has shape"),
    ],
)
def test_shapes_are_checked(args, message):
    with pytest.raises(ValueError, match=message):
        diagonal_rnn_loop(*args)
    with pytest.raises(ValueError, match=message):
        newton_iterations(*args)
