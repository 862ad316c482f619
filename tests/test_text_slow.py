"""Chapter 7's central claim, rerun at reduced size: an LSTM trained with truncated BPTT and
carried state beats the bigram baseline on held-out Shakespeare.

The chapter's model and settings (``chapters/07_language_model.md``: LSTM of 64 units,
embedding 32, windows of 50, batch 32, Adam 1e-2 with global clipnorm 1, state carried) on the
first 100,000 characters instead of 300,000, for the chapter's 3 epochs (about the
"shorter version" the chapter's Live Code note suggests, with one more epoch).
"""

from __future__ import annotations

import numpy as np
import pytest

from book import text as T


@pytest.mark.slow
@pytest.mark.claims
def test_reduced_lstm_beats_the_bigram_on_held_out_text():
    from book.runtime import setup

    setup(0)
    vocab = T.vocabulary(T.corpus())
    train_text, valid_text = T.split_text(T.corpus(100_000))
    bigram = T.ngram_perplexity(train_text, valid_text, 2, vocab)
    unigram = T.ngram_perplexity(train_text, valid_text, 1, vocab)
    assert bigram < unigram < len(vocab)

    window, batch = 50, 32
    train = T.stream_windows(T.encode(train_text, vocab), window, batch)
    valid = T.stream_windows(T.encode(valid_text, vocab), window, batch)
    model = T.char_model("LSTM", 64, len(vocab), batch)
    run = T.fit_language_model(model, train, valid, batch, epochs=3, learning_rate=1e-2)
    assert len(run.val_perplexity) == 3
    assert run.val_perplexity[-1] < bigram, (run.val_perplexity, bigram)
    # and the per-character losses agree with the perplexity that training reported
    loss = T.char_log_loss(model, *valid, batch, carry_state=True)
    assert np.exp(loss.mean()) == pytest.approx(run.val_perplexity[-1], rel=1e-6)
