"""Unit tests of book.transformer: chapter 9's causal attention and its memory counts."""

from __future__ import annotations

import numpy as np
import pytest

from book.transformer import attention_scores, causal_attention, causal_mask, kv_cache_numbers


def test_mask():
    m = causal_mask(3)
    assert np.array_equal(m == 0, np.tril(np.ones((3, 3), dtype=bool)))
    assert np.all(np.isneginf(m[np.triu_indices(3, k=1)]))
    with pytest.raises(ValueError, match="at least 1"):
        causal_mask(0)


def test_attention_matches_the_formula_row_by_row():
    rng = np.random.default_rng(0)
    q, k, v = rng.normal(size=(6, 4)), rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    out, w = causal_attention(q, k, v)
    assert out.shape == (6, 3) and w.shape == (6, 6)
    for t in range(6):
        s = q[t] @ k[: t + 1].T / 2.0  # sqrt(d) = 2
        p = np.exp(s - s.max())
        p /= p.sum()
        assert np.allclose(w[t, : t + 1], p) and np.all(w[t, t + 1 :] == 0)
        assert np.allclose(out[t], p @ v[: t + 1])


def test_outputs_do_not_depend_on_later_positions():
    rng = np.random.default_rng(1)
    q, k, v = rng.normal(size=(8, 5)), rng.normal(size=(8, 5)), rng.normal(size=(8, 5))
    out, _ = causal_attention(q, k, v)
    k2, v2 = k.copy(), v.copy()
    k2[5:], v2[5:] = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    out2, _ = causal_attention(q, k2, v2)
    assert np.allclose(out[:5], out2[:5]) and not np.allclose(out[5:], out2[5:])


def test_first_position_copies_its_value():
    rng = np.random.default_rng(2)
    v = rng.normal(size=(4, 2))
    out, _ = causal_attention(rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), v)
    assert np.allclose(out[0], v[0])


def test_shapes_are_checked():
    with pytest.raises(ValueError, match="q has shape"):
        causal_attention(np.ones((3, 2)), np.ones((3, 4)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="v has shape"):
        causal_attention(np.ones((3, 2)), np.ones((3, 2)), np.ones((4, 2)))


def test_counts():
    assert kv_cache_numbers(1000, 512) == 2 * 1000 * 512
    assert kv_cache_numbers(10, 4, layers=3) == 240
    assert attention_scores(1000) == 1_000_000
    assert attention_scores(10, heads=8, layers=2) == 1600
    # the cache grows linearly, the scores with the square
    assert kv_cache_numbers(2000, 8) == 2 * kv_cache_numbers(1000, 8)
    assert attention_scores(2000) == 4 * attention_scores(1000)
