"""Unit tests of book.data: the synthetic series (chapter 5) and the adding problem (chapter 6)."""

from __future__ import annotations

import numpy as np
import pytest

from book.data import adding_problem, forecasting_split, wave_series

# --- wave_series / forecasting_split (chapter 5) -------------------------------------------


def test_wave_series_shape_dtype_and_range():
    series = wave_series(64, 80, seed=3)
    assert series.shape == (64, 80)
    assert series.dtype == np.float32
    # amplitudes 0.5 + 0.2 + 0.1 and noise within +-0.05: never beyond 0.85
    assert np.abs(series).max() <= 0.85
    assert series.std() > 0.2  # it is a signal, not a constant


def test_wave_series_is_deterministic_and_seeds_differ():
    np.testing.assert_array_equal(wave_series(8, 30, seed=5), wave_series(8, 30, seed=5))
    assert not np.allclose(wave_series(8, 30, seed=5), wave_series(8, 30, seed=6))


def test_wave_series_leaves_global_numpy_state_alone():
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    wave_series(4, 20, seed=0)
    assert np.random.random() == expected


def test_wave_series_noise_level():
    clean = wave_series(16, 50, seed=2, noise=0.0)
    noisy = wave_series(16, 50, seed=2, noise=0.1)
    difference = noisy - clean
    assert np.abs(difference).max() <= 0.05 + 1e-6
    # uniform noise of width 0.1 has variance 0.1**2 / 12
    assert difference.var() == pytest.approx(0.1**2 / 12, rel=0.2)


def test_forecasting_split_shapes():
    split = forecasting_split(20, n_steps=40, horizon=7, seed=1)
    assert split.x.shape == (20, 40, 1)
    assert split.y.shape == (20, 7)
    assert split.x.dtype == np.float32 and split.y.dtype == np.float32


def test_forecast_target_is_the_future_not_the_input():
    n_steps, horizon = 30, 5
    split = forecasting_split(10, n_steps=n_steps, horizon=horizon, seed=4)
    series = wave_series(10, n_steps + horizon, seed=4)
    # the input is the first n_steps values, the target exactly the values after them
    np.testing.assert_array_equal(split.x[:, :, 0], series[:, :n_steps])
    np.testing.assert_array_equal(split.y, series[:, n_steps:])
    # the flaw of the original draft: the target must not be the last input step
    assert not np.allclose(split.y[:, 0], split.x[:, -1, 0])
    for row in range(10):
        assert not np.isin(split.y[row], split.x[row, :, 0]).any()


def test_forecasting_split_is_deterministic_and_seeds_differ():
    a, b = forecasting_split(6, seed=9), forecasting_split(6, seed=9)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    c = forecasting_split(6, seed=10)
    assert not np.allclose(a.x, c.x)


# --- adding_problem (chapter 6) ------------------------------------------------------------


def test_adding_problem_shapes_and_dtypes():
    inputs, targets = adding_problem(50, 100, seed=0)
    assert inputs.shape == (50, 100, 2)
    assert inputs.dtype == np.float32
    assert targets.shape == (50, 1)
    assert targets.dtype == np.float32


def test_adding_problem_values_in_unit_interval():
    inputs, _ = adding_problem(200, 60, seed=1)
    values = inputs[:, :, 0]
    assert values.min() >= 0.0 and values.max() < 1.0


@pytest.mark.parametrize("length", [2, 3, 10, 101])
def test_adding_problem_markers_two_per_sequence_one_in_each_half(length):
    inputs, _ = adding_problem(300, length, seed=2)
    markers = inputs[:, :, 1]
    assert set(np.unique(markers)) <= {0.0, 1.0}
    assert (markers.sum(axis=1) == 2).all()
    half = length // 2
    assert (markers[:, :half].sum(axis=1) == 1).all()
    assert (markers[:, half:].sum(axis=1) == 1).all()


def test_adding_problem_target_is_sum_of_marked_values():
    inputs, targets = adding_problem(100, 40, seed=3)
    expected = (inputs[:, :, 0] * inputs[:, :, 1]).sum(axis=1)
    np.testing.assert_allclose(targets[:, 0], expected, rtol=0, atol=1e-6)
    assert targets.min() >= 0.0 and targets.max() < 2.0


def test_adding_problem_markers_cover_positions():
    inputs, _ = adding_problem(4000, 20, seed=4)
    positions = np.nonzero(inputs[:, :, 1])[1]
    # every position of the sequence gets a marker in some sequence
    assert set(positions) == set(range(20))


def test_adding_problem_is_deterministic_and_seeds_differ():
    a_in, a_out = adding_problem(20, 30, seed=7)
    b_in, b_out = adding_problem(20, 30, seed=7)
    np.testing.assert_array_equal(a_in, b_in)
    np.testing.assert_array_equal(a_out, b_out)
    c_in, c_out = adding_problem(20, 30, seed=8)
    assert not np.array_equal(a_in, c_in)
    assert not np.array_equal(a_out, c_out)


def test_adding_problem_mean_baseline_is_about_one_sixth():
    # the sum of two independent U(0, 1) values has variance 2 / 12 = 1/6
    _, targets = adding_problem(20000, 10, seed=5)
    assert targets.mean() == pytest.approx(1.0, abs=0.02)
    assert targets.var() == pytest.approx(1 / 6, rel=0.05)


def test_adding_problem_rejects_too_short_sequences():
    with pytest.raises(ValueError):
        adding_problem(3, 1)
