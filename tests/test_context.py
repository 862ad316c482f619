"""book.context: the context a character model is shown, and losses placed at text positions."""

from __future__ import annotations

import numpy as np
import pytest

from book.runtime import import_tensorflow, seed_everything

import_tensorflow()

from book import text as T  # noqa: E402
from book.context import context_windows, losses_with_context, stream_losses  # noqa: E402

IDS = np.arange(40) % 7


def test_context_windows_show_the_warmup_then_the_last_k_characters():
    x, y = context_windows(IDS, [5, 12], 3, warmup=[6, 6])
    assert x.tolist() == [[6, 6, 2, 3, 4], [6, 6, 2, 3, 4]]  # IDS[2:5] and IDS[9:12] (period 7)
    assert y[:, -1].tolist() == [IDS[5], IDS[12]]  # the last target is the character at p
    assert (y[:, :-1] == x[:, 1:]).all()  # every earlier target is the next input


def test_context_windows_refuse_positions_without_enough_history():
    with pytest.raises(ValueError, match="characters before it"):
        context_windows(IDS, [2], 3)
    with pytest.raises(ValueError, match="k must be"):
        context_windows(IDS, [5], 0)


@pytest.fixture(scope="module")
def models():
    out = []
    for seed in (0, 1):
        seed_everything(seed)
        out.append(T.char_model("LSTM", 8, 7, 4, embedding_dim=4))
    return out


def _loss_alone(model, sequence, target):
    """The model's loss on ``target`` after reading ``sequence`` from a zero state, computed by Keras."""
    single = T.char_model("LSTM", 8, 7, 1, embedding_dim=4)
    single.set_weights(model.get_weights())
    logits = np.asarray(single(np.array([sequence]), training=False))[0, -1].astype(np.float64)
    return float(np.log(np.exp(logits - logits.max()).sum()) + logits.max() - logits[target])


def test_losses_with_context_match_keras_for_each_model_and_position(models):
    positions = [5, 9, 20, 33, 34]  # not a multiple of the batch: padding must not leak
    losses = losses_with_context(models, IDS, positions, 4, warmup=[1, 2], batch_size=4)
    assert losses.shape == (2, 5)
    for m, model in enumerate(models):
        for j, p in enumerate(positions):
            expected = _loss_alone(model, [1, 2, *IDS[p - 4 : p]], IDS[p])
            assert losses[m, j] == pytest.approx(expected, rel=1e-4, abs=1e-5)


def test_stream_losses_are_placed_at_their_targets(models):
    placed = stream_losses(models, IDS, 3, 4, skip_first_window=False)
    x, y = T.stream_windows(IDS, 3, 4)
    direct = T.char_log_loss(models[1], x, y, 4, carry_state=True)
    where = T.stream_positions(len(IDS), 3, 4)
    assert np.allclose(placed[1, where], direct, rtol=1e-4, atol=1e-5)
    assert np.isnan(placed[:, 0]).all()  # the first character is never a target
    skipped = stream_losses(models, IDS, 3, 4)
    assert np.isnan(skipped[:, where[:4]]).all() and np.allclose(skipped[:, where[4:]], placed[:, where[4:]])
