"""Causal self-attention in NumPy, and what a generating Transformer keeps in memory: chapter 9
("Where next", ``ch-where_next``).

One attention head, vectors as rows (as in chapter 4): for a sequence of ``L`` positions the
queries ``Q``, keys ``K`` and values ``V`` are ``(L, d)`` matrices, and

    ``Attention(Q, K, V) = softmax(Q K^T / sqrt(d) + M) V``

where the softmax runs along each row and the causal mask ``M`` is 0 where a position may look
(itself and earlier positions) and minus infinity where it may not (later positions), so that
the output at position t depends on positions 1..t only.
"""

from __future__ import annotations

import numpy as np


def causal_mask(length: int) -> np.ndarray:
    """The ``(length, length)`` mask M: 0 on and below the diagonal, -inf above it."""
    if length < 1:
        raise ValueError(f"length must be at least 1, got {length}")
    later = np.triu(np.ones((length, length), dtype=bool), k=1)
    return np.where(later, -np.inf, 0.0)


def causal_attention(q, k, v):
    """``softmax(q k^T / sqrt(d) + M) v`` for one head; returns
    ``(output, weights)``.

    ``q`` and ``k`` have shape (L, d), ``v`` (L, d_v). ``weights`` (L, L) holds
    each position's attention over the positions it may see; each row adds up
    to one.
    """
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    if q.ndim != 2 or q.shape != k.shape:
        raise ValueError(
            f"q has shape {q.shape} and k {k.shape}: "
            "expected two equal (L, d) shapes"
        )
    if v.ndim != 2 or v.shape[0] != q.shape[0]:
        raise ValueError(
            f"v has shape {v.shape}; expected (L, d_v) with L = {q.shape[0]}"
        )
    length, d = q.shape
    scores = q @ k.T / np.sqrt(d) + causal_mask(length)
    # for exp; does not change the softmax
    scores -= scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(axis=1, keepdims=True)
    return weights @ v, weights


def kv_cache_numbers(length: int, d: int, layers: int = 1) -> int:
    """Numbers a generating Transformer keeps after reading ``length`` tokens: a key and a value
    of width ``d`` per token, per layer (2 L d per layer, all heads together)."""
    return 2 * length * d * layers


def attention_scores(length: int, heads: int = 1, layers: int = 1) -> int:
    """Query-key scores computed to process a sequence of ``length`` tokens at once (training,
    or reading a prompt): ``length**2`` per head and layer (half of them masked out)."""
    return length * length * heads * layers
