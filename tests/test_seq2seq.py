"""Unit tests of book.seq2seq (chapter 8): beam search against exhaustive search, the reversal
data, the measures, and the NumPy decoder against the Keras model it copies."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from book.runtime import seed_everything
from book.seq2seq import (
    PAD,
    NumpySeq2Seq,
    alignment_hits,
    as_output,
    attention_weights,
    beam_search,
    by_length,
    compile_seq2seq,
    decode,
    digits_text,
    end_token,
    exhaustive_search,
    log_softmax,
    reversal_data,
    score_outputs,
    search_errors,
    seq2seq_model,
    start_token,
    vocab_size,
)

START, END = 0, 1  # the toy models' start and end tokens


def random_model(n_tokens, seed, sharpness=2.0):
    """A toy 'model': the next token's log-probabilities are a fixed random function of the prefix."""
    table = {}

    def log_probs(prefix):
        assert prefix[0] == START
        if prefix not in table:
            # a seed from the prefix, so that the model does not depend on the order of calls
            rng = np.random.default_rng([seed, *prefix])
            table[prefix] = log_softmax(sharpness * rng.normal(size=n_tokens))
        return table[prefix]

    return log_probs


def n_outputs(n_tokens, max_length):
    """How many different outputs a model over n_tokens can produce (END among the tokens)."""
    others = n_tokens - 1
    ended = sum(others ** (k - 1) for k in range(1, max_length + 1))  # END at position k
    return ended + others**max_length  # and those cut at max_length without END


def manual_greedy(log_probs, max_length):
    prefix, score = (START,), 0.0
    while len(prefix) - 1 < max_length:
        values = log_probs(prefix)
        token = int(np.argmax(values))
        prefix, score = (*prefix, token), score + float(values[token])
        if token == END:
            break
    return prefix[1:], score


def path_score(log_probs, tokens):
    return sum(float(log_probs((START, *tokens[:k]))[tokens[k]]) for k in range(len(tokens)))


@pytest.mark.parametrize("n_tokens, max_length", [(2, 4), (3, 3), (4, 3), (5, 2), (3, 5)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_beam_wide_enough_is_exhaustive_search(n_tokens, max_length, seed):
    model = random_model(n_tokens, seed)
    exact = exhaustive_search(model, START, END, max_length, n_tokens)
    assert len(exact) == n_outputs(n_tokens, max_length)
    found = beam_search(model, START, END, len(exact), max_length)
    assert len(found) == len(exact)
    assert {tokens for tokens, _ in found} == {tokens for tokens, _ in exact}
    np.testing.assert_allclose([s for _, s in found], [s for _, s in exact], atol=1e-12)
    # a wider beam changes nothing
    wider = beam_search(model, START, END, len(exact) + 5, max_length)
    assert [t for t, _ in wider] == [t for t, _ in found]


@pytest.mark.parametrize("seed", range(6))
def test_beam_of_one_is_greedy_and_scores_are_sums(seed):
    model = random_model(4, seed)
    (tokens, score), *rest = beam_search(model, START, END, 1, 6)
    assert rest == []
    expected_tokens, expected_score = manual_greedy(model, 6)
    assert tokens == expected_tokens
    assert score == pytest.approx(expected_score, abs=1e-12)
    for width in (2, 3, 7):
        for tokens, score in beam_search(model, START, END, width, 6):
            assert score == pytest.approx(path_score(model, tokens), abs=1e-12)
            assert len(tokens) <= 6 and (tokens[-1] == END or len(tokens) == 6)
            assert END not in tokens[:-1]


@pytest.mark.parametrize("seed", range(8))
def test_beam_results_are_sorted_and_never_beat_the_exact_best(seed):
    n_tokens, max_length = 3, 5
    model = random_model(n_tokens, seed, sharpness=1.0)
    best = exhaustive_search(model, START, END, max_length, n_tokens)[0][1]
    for width in (1, 2, 3, 5):
        found = beam_search(model, START, END, width, max_length)
        scores = [s for _, s in found]
        assert len(found) <= width
        assert scores == sorted(scores, reverse=True)
        assert scores[0] <= best + 1e-12


def test_beam_can_find_what_greedy_misses():
    # first token: 2 (p=0.6) or 3 (p=0.4); after 2 the model hesitates, after 3 it is sure
    table = {
        (START,): [0.0, 0.0, 0.6, 0.4],
        (START, 2): [0.0, 0.5, 0.25, 0.25],
        (START, 3): [0.0, 1.0, 0.0, 0.0],
    }

    def model(prefix):
        with np.errstate(divide="ignore"):
            return np.log(np.array(table.get(prefix, [0.0, 1.0, 0.0, 0.0])))

    (greedy, g_score), *_ = beam_search(model, START, END, 1, 3)
    (beam, b_score), (second, s_score) = beam_search(model, START, END, 2, 3)
    assert greedy == (2, END) and g_score == pytest.approx(np.log(0.3))
    assert beam == (3, END) and b_score == pytest.approx(np.log(0.4))
    assert second == (2, END)


def test_ties_go_to_the_smaller_token_as_argmax_does():
    def uniform(prefix):
        return np.full(4, -np.log(4.0))

    (tokens, score), *_ = beam_search(uniform, START, END, 1, 3)
    assert tokens == (0, 0, 0)  # np.argmax picks the first of equal values; 0 is not END here
    assert score == pytest.approx(3 * -np.log(4.0))
    found = beam_search(uniform, START, END, 3, 1)
    assert [t for t, _ in found] == [(0,), (1,), (2,)]
    again = beam_search(uniform, START, END, 3, 1)
    assert found == again


def test_max_length_one_lists_single_tokens_by_probability():
    values = np.log(np.array([0.1, 0.2, 0.3, 0.4]))
    found = beam_search(lambda prefix: values, START, END, 4, 1)
    assert [t for t, _ in found] == [(3,), (2,), (1,), (0,)]
    np.testing.assert_allclose([s for _, s in found], values[[3, 2, 1, 0]])


def test_end_as_the_first_token():
    values = np.log(np.array([0.05, 0.8, 0.1, 0.05]))
    calls = []

    def model(prefix):
        calls.append(prefix)
        return values

    found = beam_search(model, START, END, 1, 10)
    assert found == [((END,), pytest.approx(np.log(0.8)))]
    assert calls == [(START,)]  # a finished hypothesis is not extended


def test_probability_zero_tokens_are_allowed():
    def model(prefix):
        with np.errstate(divide="ignore"):
            return np.log(np.array([0.0, 0.5, 0.5, 0.0]))

    found = beam_search(model, START, END, 2, 2)
    assert [t for t, _ in found] == [(END,), (2, END)]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"beam_width": 0}, "beam_width must be a positive integer"),
        ({"beam_width": -2}, "beam_width must be a positive integer"),
        ({"beam_width": 1.5}, "beam_width must be a positive integer"),
        ({"beam_width": True}, "beam_width must be a positive integer"),
        ({"max_length": 0}, "max_length must be a positive integer"),
        ({"max_length": "3"}, "max_length must be a positive integer"),
        ({"end": START}, "start and end must be different"),
    ],
)
def test_invalid_arguments_are_named(kwargs, message):
    args = {"log_probs": random_model(3, 0), "start": START, "end": END, "beam_width": 2, "max_length": 3}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        beam_search(**args)


@pytest.mark.parametrize(
    "returned, message",
    [
        (np.array([0.2, 0.5, 0.3]), "above 0 .* not probabilities"),
        (np.zeros((2, 3)), "1-D array"),
        (np.array([-1.0]), "no entry for the end token 1"),
        (np.array([np.nan, -1.0, -1.0]), "NaN"),
    ],
)
def test_bad_log_probs_are_reported(returned, message):
    with pytest.raises(ValueError, match=message):
        beam_search(lambda prefix: returned, START, END, 2, 3)


# ---------------------------------------------------------------------------------------------
# the data


def test_reversal_data_pairs_each_string_with_its_reverse():
    data = reversal_data(200, range(2, 9), n_digits=10, seed=4)
    start, end = start_token(10), end_token(10)
    assert data.source.shape == (200, 8) and data.target.shape == data.decoder_input.shape == (200, 9)
    assert set(np.unique(data.lengths)) == set(range(2, 9))
    for row in range(len(data)):
        length = data.lengths[row]
        digits = data.source[row, :length]
        assert np.all((digits >= 1) & (digits <= 10)) and np.all(data.source[row, length:] == PAD)
        assert list(data.target[row, : length + 1]) == [*digits[::-1], end]
        assert list(data.decoder_input[row, : length + 1]) == [start, *digits[::-1]]
        assert np.all(data.target[row, length + 1 :] == PAD)
        assert data.weights[row].sum() == length + 1
    again = reversal_data(200, range(2, 9), n_digits=10, seed=4)
    assert np.array_equal(again.source, data.source)
    other = reversal_data(200, range(2, 9), n_digits=10, seed=5)
    assert not np.array_equal(other.source, data.source)
    assert digits_text(data.source[0]) == "".join(str(t - 1) for t in data.source[0, : data.lengths[0]])


def test_reversal_data_padding_and_errors():
    data = reversal_data(10, [3], n_digits=4, seed=0, pad_to=6)
    assert data.source.shape == (10, 6) and np.all(data.source[:, 3:] == PAD)
    assert data.source.max() <= 4 and vocab_size(4) == 7
    subset = data.subset(np.arange(10) < 4)
    assert len(subset) == 4 and np.array_equal(subset.source, data.source[:4])
    with pytest.raises(ValueError, match="pad_to=2 is shorter"):
        reversal_data(10, [3], pad_to=2)
    with pytest.raises(ValueError, match="lengths >= 1"):
        reversal_data(10, [0, 3])
    with pytest.raises(ValueError, match="n_digits"):
        reversal_data(10, [3], n_digits=0)


# ---------------------------------------------------------------------------------------------
# the measures


def test_score_outputs_exact_and_per_symbol():
    data = reversal_data(1, [4], n_digits=10, seed=0)
    truth = list(data.target[0, :5])  # four digits and END
    wrong_digit = truth.copy()
    wrong_digit[1] = truth[1] % 10 + 1
    cases = {
        "right": (truth + [PAD], True, 1.0),
        "right, junk after END": (truth + [3, 4], True, 1.0),
        "one digit wrong": (wrong_digit, False, 0.75),
        "no END": (truth[:4] + [truth[0]], False, 1.0),
        "one digit missing": (
            truth[:1] + truth[2:],
            False,
            (1 + (truth[2] == truth[1]) + (truth[3] == truth[2])) / 4,
        ),
        "stops early": ([truth[0], END], False, 0.25),
    }
    for name, (output, exact, per_symbol) in cases.items():
        got_exact, got_per_symbol = score_outputs([output], data)
        assert got_exact[0] == exact, name
        assert got_per_symbol[0] == pytest.approx(per_symbol), name
    assert as_output([3, 4, END, 5], END) == (3, 4, END)
    assert as_output([3, PAD, 4], END) == (3, PAD, 4)  # a PAD emitted is a wrong token


def test_search_errors_compare_the_truth_with_the_output():
    greedy_scores = np.array([-1.0, -2.0, -0.5])
    truth_scores = np.array([-0.5, -3.0, -0.5])
    exact = np.array([False, False, True])
    search, model = search_errors(greedy_scores, truth_scores, exact)
    assert list(search) == [True, False, False] and list(model) == [False, True, False]


def test_alignment_hits_finds_the_copied_position():
    weights = np.zeros((1, 5, 3))  # one example, 5 output steps, 3 source positions
    weights[0, 0, 2] = weights[0, 1, 1] = weights[0, 2, 2] = 1.0  # steps 0 and 1 right, 2 wrong
    hits = alignment_hits(weights, length=3)
    assert hits.shape == (1, 3) and list(hits[0]) == [True, True, False]
    assert list(alignment_hits(weights[0, :2], length=3)) == [True, True]  # an output cut short


# ---------------------------------------------------------------------------------------------
# the NumPy decoder against Keras


def random_weights(model, seed, scale=0.5):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0.0, scale, size=w.shape).astype("float32") for w in model.get_weights()])


@pytest.mark.parametrize("attention", [False, True])
def test_numpy_decoder_matches_keras(keras_modules, attention):
    n_digits = 5
    model = seq2seq_model(n_digits, units=6, embed_dim=4, attention=attention)
    random_weights(model, seed=int(attention))
    data = reversal_data(12, range(1, 7), n_digits=n_digits, seed=3)
    keras_log_p = log_softmax(np.asarray(model.predict([data.source, data.decoder_input], verbose=0)))
    numpy_model = NumpySeq2Seq(model, n_digits)
    assert numpy_model.attention == attention
    for row in range(len(data)):
        length = data.lengths[row]  # NumPy rows carry no padding; Keras masks it
        ours = numpy_model.teacher_forced(
            data.source[row : row + 1, :length], data.decoder_input[row : row + 1, : length + 1]
        )
        assert np.abs(ours[0] - keras_log_p[row, : length + 1]).max() < 1e-4
        # the beam's cached prefix function gives the same numbers
        log_probs = numpy_model.log_probs_function(data.source[row, :length])
        prefix = tuple(int(t) for t in data.decoder_input[row, : length + 1])
        for k in range(1, length + 2):
            assert np.abs(log_probs(prefix[:k]) - ours[0, k - 1]).max() < 1e-12


@pytest.mark.parametrize("attention", [False, True])
def test_batched_greedy_is_the_beam_of_one(keras_modules, attention):
    n_digits = 4
    model = seq2seq_model(n_digits, units=5, embed_dim=3, attention=attention)
    random_weights(model, seed=7, scale=1.0)
    numpy_model = NumpySeq2Seq(model, n_digits)
    data = reversal_data(8, [5], n_digits=n_digits, seed=2)
    tokens, scores, weights = numpy_model.greedy(data.source, max_length=7)
    if attention:
        assert weights.shape == (8, 7, 5)
        np.testing.assert_allclose(weights.sum(axis=2), 1.0)
    else:
        assert weights is None
    for row in range(8):
        log_probs = numpy_model.log_probs_function(data.source[row])
        (beam, score), *_ = beam_search(log_probs, numpy_model.start, numpy_model.end, 1, 7)
        assert as_output(tokens[row], numpy_model.end) == beam
        assert scores[row] == pytest.approx(score, abs=1e-9)


def test_attention_model_has_the_layers_the_chapter_reads(keras_modules):
    plain = seq2seq_model(10, units=8, attention=False)
    attention = seq2seq_model(10, units=8, attention=True)
    names = {layer.name for layer in attention.layers}
    assert {"source_embedding", "encoder", "target_embedding", "decoder", "attention", "readout"} <= names
    assert "attention" not in {layer.name for layer in plain.layers}
    # attention adds weights only to the read-out, which sees [h_t, a_t]
    assert attention.count_params() - plain.count_params() == 8 * vocab_size(10)


def test_exhaustive_search_lists_every_output_once():
    model = random_model(3, 0)
    found = exhaustive_search(model, START, END, 3, 3)
    outputs = [t for t, _ in found]
    assert len(outputs) == len(set(outputs)) == n_outputs(3, 3)
    everything = {p for k in range(1, 4) for p in itertools.product(range(3), repeat=k)}
    valid = {p for p in everything if (p[-1] == END or len(p) == 3) and END not in p[:-1]}
    assert set(outputs) == valid
    total = np.logaddexp.reduce([s for _, s in found])
    assert total == pytest.approx(0.0, abs=1e-12)  # the outputs' probabilities sum to 1


@pytest.mark.parametrize("attention", [False, True])
def test_decode_measures_what_it_says(keras_modules, attention):
    n_digits = 4
    model = seq2seq_model(n_digits, units=6, embed_dim=3, attention=attention)
    random_weights(model, seed=11, scale=1.0)
    numpy_model = NumpySeq2Seq(model, n_digits)
    data = reversal_data(20, range(1, 6), n_digits=n_digits, seed=5)
    decoded = decode(numpy_model, data, extra=2)
    assert (decoded.weights is not None) == attention
    for row in range(len(data)):
        length = data.lengths[row]
        log_probs = numpy_model.log_probs_function(data.source[row, :length])
        (greedy, score), *_ = beam_search(log_probs, numpy_model.start, numpy_model.end, 1, length + 2)
        assert decoded.outputs[row] == greedy
        assert decoded.output_scores[row] == pytest.approx(score, abs=1e-9)
        truth = tuple(int(t) for t in data.target[row, : length + 1])
        truth_score = sum(
            float(log_probs((numpy_model.start, *truth[:k]))[truth[k]]) for k in range(length + 1)
        )
        assert decoded.truth_scores[row] == pytest.approx(truth_score, abs=1e-9)
        forced = [
            int(np.argmax(log_probs((numpy_model.start, *truth[:k])))) == truth[k] for k in range(length)
        ]
        assert (
            list(decoded.forced_hits[row, :length]) == forced and not decoded.forced_hits[row, length:].any()
        )
        assert decoded.teacher_forced[row] == pytest.approx(np.mean(forced))
        free = [k < len(greedy) and greedy[k] == truth[k] for k in range(length)]
        assert list(decoded.free_hits[row, :length]) == free
        assert decoded.per_symbol[row] == pytest.approx(np.mean(free))
        assert decoded.exact[row] == (greedy == truth)
        if attention:
            assert decoded.weights[row].shape == (len(greedy), length)
    assert by_length([1, 0, 1, 1], [2, 2, 3, 3]) == {2: 0.5, 3: 1.0}


def test_a_wider_beam_is_not_always_better():
    """The quiz's claim: a wider beam can crowd out the path a narrower one follows."""
    uniform = [0.0, 0.2, 0.2, 0.2, 0.2, 0.2]  # tokens: START, END, then 2 to 5
    table = {(START,): [0.0, 0.02, 0.5, 0.48, 0.0, 0.0], (START, 3): [0.0, 0.0, 0.0, 0.0, 0.5, 0.5]}

    def model(prefix):
        with np.errstate(divide="ignore"):
            return np.log(np.array(table.get(prefix, uniform)))

    (greedy, g_score), *_ = beam_search(model, START, END, 1, 3)
    (wider, w_score), *_ = beam_search(model, START, END, 2, 3)
    assert greedy == (2, END) and np.exp(g_score) == pytest.approx(0.1)
    assert wider[:2] in {(3, 4), (3, 5)} and np.exp(w_score) == pytest.approx(0.048)
    assert w_score < g_score


def _numeric_answer(fragment):
    import json

    from book.paths import QUIZZES

    quiz = json.loads((QUIZZES / "08_seq2seq.json").read_text())
    (question,) = [q for q in quiz if fragment in q["question"]]
    (answer,) = [a for a in question["answers"] if a.get("correct")]
    return answer


def test_quiz_numbers_are_computed():
    weights = attention_weights(np.array([[1.0, 0.0]]), np.array([[[2.0, 0.0], [0.0, 0.0], [0.0, 5.0]]]))
    low, high = _numeric_answer("dot products 2, 0 and 0")["range"]
    assert low <= weights[0, 0] < high and round(weights[0, 0], 2) == 0.79
    # 20 output steps, 30 input positions: one score for each pair
    query, keys = np.ones((1, 4)), np.ones((1, 30, 4))
    scores = [attention_weights(query, keys).size for _ in range(20)]
    assert _numeric_answer("output of 20 tokens")["value"] == sum(scores) == 600
    data = reversal_data(200_000, [4], n_digits=10, seed=0)
    guess = np.random.default_rng(1).integers(1, 11, size=(200_000, 4))
    rate = np.mean((guess == data.source[:, :4]).all(axis=1))
    assert _numeric_answer("4-digit string")["value"] == 10**4
    assert 0.5e-4 < rate < 1.5e-4  # about one in 10,000


def test_steps_per_execution_changes_nothing_but_speed(keras_modules):
    data = reversal_data(96, range(1, 5), n_digits=4, seed=0)
    losses, weights = [], []
    for steps in (1, 32):
        seed_everything(3)
        model = seq2seq_model(4, units=4, embed_dim=3, attention=True)
        compile_seq2seq(model, learning_rate=1e-2, steps_per_execution=steps)
        fit = model.fit(
            [data.source, data.decoder_input],
            data.target,
            sample_weight=data.weights,
            epochs=2,
            batch_size=16,
            verbose=0,
        )
        losses.append(fit.history["loss"])
        weights.append(model.get_weights())
    assert losses[0] == losses[1]
    for a, b in zip(*weights, strict=True):
        assert np.array_equal(a, b)
