"""Unit tests of book.text (chapter 7, language modelling on real text)."""

from __future__ import annotations

import gzip
import math

import numpy as np
import pytest

from book import text as T


def test_corpus_is_the_published_text():
    full = T.corpus()
    assert isinstance(full, str)
    assert len(full) == 1_115_394
    assert len(T.vocabulary(full)) == 65
    assert full.startswith("First Citizen:\nBefore we proceed any further, hear me speak.")
    assert T.corpus(100) == full[:100]


def test_corpus_errors_name_the_file(tmp_path):
    missing = tmp_path / "nothing.txt.gz"
    with pytest.raises(ValueError, match="nothing.txt.gz: corpus file not found"):
        T.corpus(path=missing)
    broken = tmp_path / "broken.txt.gz"
    broken.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="broken.txt.gz: cannot decompress"):
        T.corpus(path=broken)
    other = tmp_path / "other.txt.gz"
    other.write_bytes(gzip.compress(b"hello"))
    assert T.corpus(path=other) == "hello"
    with pytest.raises(ValueError, match="n_chars must be positive"):
        T.corpus(0)


def test_encode_decode_round_trip():
    vocab = T.vocabulary("to be or not")
    assert vocab == sorted(set("to be or not"))
    ids = T.encode("not to be", vocab)
    assert ids.dtype == np.int32
    assert T.decode(ids, vocab) == "not to be"
    with pytest.raises(ValueError, match=r"\['z'\]"):
        T.encode("zoo", vocab)


def test_split_text_keeps_order():
    train, valid = T.split_text("abcdefghij", 0.2)
    assert (train, valid) == ("abcdefgh", "ij")
    with pytest.raises(ValueError):
        T.split_text("abc", 1.5)


def test_training_windows_shapes_and_shift():
    ids = np.arange(23)
    x, y = T.training_windows(ids, 5)
    assert x.shape == y.shape == (4, 5)  # 22 usable inputs -> 4 whole windows
    assert (y == x + 1).all()
    assert list(x[:, 0]) == [0, 5, 10, 15]
    x, y = T.training_windows(ids, 5, step=1)
    assert x.shape == (18, 5) and (y == x + 1).all()
    with pytest.raises(ValueError, match="no window"):
        T.training_windows(np.arange(4), 5)


def test_stream_windows_continue_each_other():
    ids = np.arange(1000)
    B, L = 4, 7
    x, y = T.stream_windows(ids, L, B)
    per_stream = (len(ids) - 1) // B
    n_batches = per_stream // L
    assert x.shape == y.shape == (n_batches * B, L)
    assert (y == x + 1).all()  # targets: the next character
    batches = x.reshape(n_batches, B, L)
    # row b of batch j+1 starts exactly where row b of batch j stopped
    assert (batches[1:, :, 0] == batches[:-1, :, -1] + 1).all()
    # each stream is one contiguous piece of the text, the streams in text order
    streams = batches.transpose(1, 0, 2).reshape(B, -1)
    assert (np.diff(streams, axis=1) == 1).all()
    assert list(streams[:, 0]) == [b * per_stream for b in range(B)]
    with pytest.raises(ValueError, match="too short"):
        T.stream_windows(np.arange(20), 10, 4)


def test_uniform_text_has_perplexity_v():
    rng = np.random.default_rng(0)
    vocab = list("abcdefghij")
    V = len(vocab)
    train = "".join(rng.choice(vocab, 200_000))
    valid = "".join(rng.choice(vocab, 20_000))
    for order in (1, 2):
        assert T.ngram_perplexity(train, valid, order, vocab) == pytest.approx(V, rel=0.01)


def test_periodic_text_bigram_is_almost_certain():
    train, valid = "abc" * 100, "abc" * 20
    # in the 299 training bigrams, a is followed by b 100 times (a occurs 100 times as a context),
    # b by c 100 times, c by a 99 times; add-one over V = 3 gives (n + 1) / (n + 3)
    p_ab, p_bc, p_ca = 101 / 103, 101 / 103, 100 / 102
    valid_pairs = [valid[i : i + 2] for i in range(len(valid) - 1)]
    log_p = [math.log({"ab": p_ab, "bc": p_bc, "ca": p_ca}[pair]) for pair in valid_pairs]
    expected = math.exp(-sum(log_p) / len(log_p))
    bigram = T.ngram_perplexity(train, valid, 2)
    assert bigram == pytest.approx(expected, rel=1e-12)
    assert 1 < bigram < 1.03
    # the unigram model sees three equally frequent characters: perplexity 3
    assert T.ngram_perplexity(train, valid, 1) == pytest.approx(3, rel=1e-12)


def test_smoothing_gives_unseen_symbols_a_probability():
    # 'd' never occurs in training: its probability is 1 / (n + V), not zero
    value = T.ngram_perplexity("abab", "d", 1, vocab="abcd")
    assert value == pytest.approx((4 + 4) / 1)
    assert math.isfinite(T.ngram_perplexity("abab", "cdcd", 2, vocab="abcd"))
    with pytest.raises(ValueError, match="order"):
        T.ngram_perplexity("ab", "ab", 0)


def test_kneser_ney_by_hand():
    """Train "abab", vocabulary "abc", order 2, discount 0.75, worked out by hand.

    Bigrams: ab twice, ba once. Continuation counts of the unigrams (distinct characters seen
    before each): a 1 (from ba), b 1 (from ab), c 0; their sum 2, two characters seen. So
    P1(a) = P1(b) = (1 - 0.75 + 0.75 * 2 / 3) / 2 = 0.375 and P1(c) = (0.75 * 2 / 3) / 2 = 0.25.
    After a: N(a.) = 2, one next character seen, P(b | a) = (2 - 0.75 + 0.75 * 1 * 0.375) / 2.
    After c, a context never seen, the bigram backs off to P1 entirely."""
    log_p = T.ngram_log_probs("abab", "abacb", 2, "abc", smoothing="kneser-ney")
    expected = [(1.25 + 0.75 * 0.375) / 2, (0.75 * 0.375 + 1 - 0.75) / 1, 0.75 * 0.25 / 2, 0.375]
    # pairs: ab, ba, ac, cb; after b: N(b.) = 1 (ba), one next character: P(a | b) = (1 - .75 + .75 * .375) / 1
    np.testing.assert_allclose(np.exp(log_p), expected, rtol=1e-12)
    unigram = T.ngram_log_probs("abab", "abc", 1, "abc", smoothing="kneser-ney")  # order 1: raw counts
    # counts a 2, b 2, c 0 of 4; two characters seen: P(a) = (2 - .75 + .75 * 2 / 3) / 4
    np.testing.assert_allclose(np.exp(unigram), [1.75 / 4, 1.75 / 4, 0.5 / 4], rtol=1e-12)


@pytest.mark.parametrize("order", [1, 2, 3, 4, 6])
def test_kneser_ney_sums_to_one_for_every_context(order):
    rng = np.random.default_rng(order)
    vocab = list("abcdefgh")
    # a text with structure (a repeated phrase) and noise, so contexts are seen 0, 1 or many times
    train = "".join(rng.choice(vocab, 3000)) + "abcabd" * 200
    contexts = ["".join(rng.choice(vocab, order - 1)) for _ in range(30)] + [
        "abcab"[: order - 1],
        "h" * (order - 1),
    ]
    for context in contexts:
        for discount in (0.5, 0.75, 1.0):
            p = T.ngram_distribution(train, context, order, vocab, smoothing="kneser-ney", discount=discount)
            assert p.shape == (len(vocab),) and np.all(p > 0)
            assert p.sum() == pytest.approx(1.0, abs=1e-12), (context, discount)


def test_kneser_ney_backs_off_where_add_one_is_uniform():
    """After a context never seen in training, add-one smoothing gives every character 1 / V;
    Kneser-Ney gives the next-lower order's distribution, which did see the shorter context."""
    vocab = list("abcd")
    train = "abcabcabdabc" * 20
    assert "aab" not in train and "bab" not in train and "ab" in train  # "ab" is followed by c or d
    add_one = T.ngram_distribution(train, "aab", 4, vocab, smoothing="add-one")
    np.testing.assert_allclose(add_one, 0.25)
    kn = T.ngram_distribution(train, "aab", 4, vocab, smoothing="kneser-ney")
    # two unseen contexts ending in "ab" get the same distribution: the one learned after "ab"
    np.testing.assert_allclose(
        kn, T.ngram_distribution(train, "bab", 4, vocab, smoothing="kneser-ney"), rtol=1e-12
    )
    c, d, a = (kn[vocab.index(x)] for x in "cda")
    assert c > 0.5 and c > d > a


def test_ngram_arguments_are_checked():
    with pytest.raises(ValueError, match="smoothing"):
        T.ngram_perplexity("abab", "ab", 2, smoothing="good-turing")
    with pytest.raises(ValueError, match="discount"):
        T.ngram_perplexity("abab", "ab", 2, smoothing="kneser-ney", discount=1.5)
    with pytest.raises(ValueError, match="context needs"):
        T.ngram_distribution("abab", "a", 3, "ab", smoothing="kneser-ney")


def test_sample_index_temperature():
    rng = np.random.default_rng(0)
    logits = np.log([[0.1, 0.2, 0.7]])
    # a very low temperature always picks the most likely symbol
    assert set(T.sample_index(np.repeat(logits, 100, 0), 1e-3, rng)) == {2}
    # at temperature 1 the frequencies follow the probabilities
    draws = T.sample_index(np.repeat(logits, 20_000, 0), 1.0, rng)
    assert np.bincount(draws, minlength=3) / 20_000 == pytest.approx([0.1, 0.2, 0.7], abs=0.015)
    # a very high temperature is nearly uniform
    draws = T.sample_index(np.repeat(logits, 20_000, 0), 100.0, rng)
    assert np.bincount(draws, minlength=3) / 20_000 == pytest.approx([1 / 3] * 3, abs=0.02)
    with pytest.raises(ValueError, match="temperature"):
        T.sample_index(logits, 0.0, rng)


@pytest.fixture(scope="module")
def small_model():
    from book.runtime import setup

    setup(0)
    return T.char_model("LSTM", 8, 5, batch_size=3, embedding_dim=4)


def test_carried_state_reads_streams_as_one_sequence(small_model):
    """Feeding consecutive windows with the state carried gives what one long pass gives."""
    rng = np.random.default_rng(1)
    ids = rng.integers(0, 5, 3 * 40 + 1)
    x, y = T.stream_windows(ids, 10, 3)
    T.reset_state(small_model)
    pieces = [np.asarray(small_model(x[j * 3 : (j + 1) * 3])) for j in range(len(x) // 3)]
    windowed = np.concatenate(pieces, axis=1)  # (streams, time, vocab)
    T.reset_state(small_model)
    streams = x.reshape(-1, 3, 10).transpose(1, 0, 2).reshape(3, -1)
    whole = np.asarray(small_model(streams))
    np.testing.assert_allclose(windowed, whole, atol=1e-5)
    # the per-character losses agree with that, and resetting the state changes them
    carried = T.char_log_loss(small_model, x, y, 3, carry_state=True)
    reset = T.char_log_loss(small_model, x, y, 3, carry_state=False)
    assert carried.shape == reset.shape == y.shape
    np.testing.assert_allclose(carried[:3], reset[:3], atol=1e-5)  # first batch: same zero state
    assert not np.allclose(carried[3:, 0], reset[3:, 0], atol=1e-4)


def test_generate_continues_the_prompt(small_model):
    vocab = list("abcde")
    samples = T.generate(small_model, "abc", 12, [0.5, 1.0], vocab, seed=0)
    assert len(samples) == 2 and all(len(s) == 12 for s in samples)
    assert set("".join(samples)) <= set(vocab)
    assert samples == T.generate(small_model, "abc", 12, [0.5, 1.0], vocab, seed=0)


def test_char_model_rejects_unknown_kind():
    with pytest.raises(ValueError, match="kind must be one of"):
        T.char_model("Transformer", 8, 5, 2)
