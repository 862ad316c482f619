"""Unit tests of book.sequences (the examples and toy models of chapter 1)."""

from __future__ import annotations

import numpy as np
import pytest

from book.sequences import (
    BagOfValues,
    TinyRNN,
    autocorrelation,
    encode_text,
    noisy_sine,
    one_hot_dna,
)


def test_encode_text_is_stable_and_shared():
    ids, vocab = encode_text("listen")
    assert vocab == sorted(set("listen"))
    assert [vocab[i] for i in ids] == list("listen")
    # an anagram encoded with the same vocabulary has the same ids, reordered
    other, _ = encode_text("silent", vocab)
    assert sorted(ids) == sorted(other) and list(ids) != list(other)
    words, wvocab = encode_text(["dog", "bites", "man"])
    assert wvocab == ["bites", "dog", "man"] and list(words) == [1, 0, 2]


def test_one_hot_dna():
    x = one_hot_dna("ACGTa")
    assert x.shape == (5, 4)
    np.testing.assert_array_equal(x.sum(axis=1), 1)
    np.testing.assert_array_equal(x.argmax(axis=1), [0, 1, 2, 3, 0])
    with pytest.raises(ValueError):
        one_hot_dna("ACGU")


def test_noisy_sine_is_deterministic_and_autocorrelated():
    a, b = noisy_sine(200, seed=1), noisy_sine(200, seed=1)
    np.testing.assert_array_equal(a, b)
    assert autocorrelation(a, 1) > 0.8
    shuffled = np.random.default_rng(0).permutation(a)
    assert abs(autocorrelation(shuffled, 1)) < 0.2
    with pytest.raises(ValueError):
        autocorrelation(a, 0)


def test_autocorrelation_of_a_line_is_one():
    assert autocorrelation(np.arange(10.0), 2) == pytest.approx(1.0)


def test_bag_of_values_ignores_order():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(7, 3))
    model = BagOfValues.random(features=3, seed=2)
    for _ in range(5):
        assert model(rng.permutation(x)) == pytest.approx(model(x), rel=1e-12, abs=1e-12)
    # scalar sequences work too, and different values do give different outputs
    scalar = BagOfValues.random(features=1, seed=2)
    assert scalar([1.0, 2.0, 3.0]) == pytest.approx(scalar([3.0, 1.0, 2.0]))
    assert scalar([1.0, 2.0, 3.0]) != pytest.approx(scalar([1.0, 2.0, 4.0]))


def test_tiny_rnn_sees_order():
    model = TinyRNN.random(features=1, seed=0)
    rising, falling = np.linspace(-1, 1, 6), np.linspace(1, -1, 6)
    assert model.states(rising).shape == (6, 8)
    assert model(rising) != pytest.approx(model(falling), abs=1e-3)


def test_tiny_rnn_state_follows_the_recurrence():
    model = TinyRNN.random(features=2, hidden=3, seed=4)
    x = np.random.default_rng(1).normal(size=(4, 2))
    states = model.states(x)
    h_prev = states[1]
    np.testing.assert_allclose(states[2], np.tanh(model.W_h @ h_prev + model.W_x @ x[2] + model.b))
    np.testing.assert_allclose(states[0], np.tanh(model.W_x @ x[0] + model.b))
