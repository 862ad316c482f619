"""How much context a character-level language model uses (chapter 7, :ref:`ch-language_model`).

Chapter 7 asks what a recurrent network's memory buys on real text. Two measurements:

- :func:`losses_with_context`: the loss of each model at chosen positions of a text when it
  sees only the last ``k`` true characters before each position (after a fixed warm-up on
  other text, so that its state is not the all-zero state it rarely met in training);
- :func:`stream_losses`: the loss at every position of a text read the way the models were
  trained, as parallel streams with the state carried, placed back at the position of each
  target in the text (``NaN`` where the reading gives no prediction).

Both run the models side by side (:func:`book.sidebyside.language_losses`).
"""

from __future__ import annotations

import numpy as np

from book.sidebyside import language_losses
from book.text import stream_positions, stream_windows


def context_windows(ids, positions, k: int, warmup=()):
    """Inputs and targets that show a model only the ``k`` characters before
    each position.

    Row ``r`` reads ``warmup`` and then ``ids[p - k : p]`` (with
    ``p = positions[r]``); its last target is ``ids[p]``, and every earlier
    target is the next input, as in training. Returns ``(x, y)`` of shape
    ``(len(positions), len(warmup) + k)``.
    """
    ids, positions = np.asarray(ids), np.asarray(positions, dtype=np.int64)
    if k < 1:
        raise ValueError(f"k must be at least 1: {k}")
    if len(positions) and (positions.min() < k or positions.max() >= len(ids)):
        raise ValueError(
            f"every position needs {k} characters before it "
            "and must lie in the text"
        )
    warm = np.broadcast_to(
        np.asarray(warmup, dtype=ids.dtype), (len(positions), len(warmup))
    )
    x = np.concatenate(
        [warm, ids[positions[:, None] + np.arange(-k, 0)[None, :]]], axis=1
    )
    y = np.concatenate([x[:, 1:], ids[positions][:, None]], axis=1)
    return x, y


def losses_with_context(
    models, ids, positions, k: int, warmup=(), *, batch_size: int = 100
):
    """Each model's loss (nats) on ``ids[p]`` for each ``p`` of ``positions`` when it has read only
    ``warmup`` and the ``k`` characters before ``p``: shape ``(len(models), len(positions))``.

    ``batch_size`` rows are read at once; every step's scores of a batch are held in memory, so
    larger batches are faster but can push a kernel past Binder's 1 GB (500 rows of 178
    characters did, for chapter 7's two models)."""
    x, y = context_windows(ids, positions, k, warmup)
    n = len(x)
    pad = (
        -n % batch_size
    )  # language_losses reads whole batches: repeat the last row
    if pad:
        x, y = (
            np.concatenate([x, np.repeat(x[-1:], pad, 0)]),
            np.concatenate([y, np.repeat(y[-1:], pad, 0)]),
        )
    return language_losses(models, x, y, batch_size, carry_state=False)[
        :, :n, -1
    ]


def stream_losses(
    models,
    ids,
    length: int,
    batch_size: int,
    *,
    skip_first_window: bool = True,
):
    """Each model's loss at every position of ``ids`` read as :func:`book.text.stream_windows`
    (``batch_size`` streams, windows of ``length``, the state carried): shape
    ``(len(models), len(ids))``, ``NaN`` at positions the streams do not predict and, with
    ``skip_first_window``, at the first window of each stream (read from a zero state)."""
    x, y = stream_windows(ids, length, batch_size)
    losses = language_losses(models, x, y, batch_size, carry_state=True)
    where = stream_positions(len(ids), length, batch_size)
    if skip_first_window:
        losses, where = losses[:, batch_size:], where[batch_size:]
    placed = np.full((len(losses), len(ids)), np.nan)
    placed[:, where.ravel()] = losses.reshape(len(losses), -1)
    return placed
