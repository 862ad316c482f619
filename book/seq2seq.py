"""Sequence to sequence with LSTMs: the code of chapter 8 (``ch-seq2seq``).

- the task: :func:`reversal_data` makes pairs (a string of digits, the same string reversed),
  as token ids padded for Keras;
- the models: :func:`seq2seq_model`, an LSTM encoder and an LSTM decoder, with or without
  dot-product attention over the encoder's outputs, trained with teacher forcing;
- decoding in NumPy: :class:`NumpySeq2Seq` runs a trained model's weights one step at a time
  (the LSTM step of chapter 4, :func:`book.lstm.lstm_step`), much faster than calling Keras
  once per step; :meth:`NumpySeq2Seq.greedy` decodes a batch greedily and
  :meth:`NumpySeq2Seq.log_probs_function` gives :func:`beam_search` the next token's
  log-probabilities;
- :func:`beam_search`, which works with any model that gives log-probabilities of the next
  token after a prefix;
- the measures: :func:`score_outputs` (exact match and per-symbol accuracy).

Tokens: ``PAD = 0`` (padding, masked), the digits ``0 .. n_digits - 1`` are the ids
``1 .. n_digits``, then ``START`` and ``END``: ``vocab_size(n_digits) = n_digits + 3``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from book.lstm import lstm_step, split_keras_weights
from book.runtime import import_tensorflow

#: The padding token: masked in the inputs, weight 0 in the loss.
PAD = 0


def start_token(n_digits: int) -> int:
    """The id of the start token that begins every decoder input."""
    return n_digits + 1


def end_token(n_digits: int) -> int:
    """The id of the end token that closes every target."""
    return n_digits + 2


def vocab_size(n_digits: int) -> int:
    """Number of token ids: padding, the digits, start and end."""
    return n_digits + 3


# ----------------------------------------------------------------------------------------------
# beam search


def _check_count(value, name):
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or value < 1
    ):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def beam_search(
    log_probs: Callable[[tuple[int, ...]], np.ndarray],
    start: int,
    end: int,
    beam_width: int,
    max_length: int,
) -> list[tuple[tuple[int, ...], float]]:
    """The ``beam_width`` most probable outputs that a left-to-right
    search keeps.

    ``log_probs(prefix)`` returns the log-probabilities (a 1-D array over the
    vocabulary) of the token that follows ``prefix``, a tuple of token ids that
    begins with ``start``. A hypothesis is finished when it emits ``end`` or
    holds ``max_length`` tokens. At every step each unfinished hypothesis of
    the beam is extended by every token, and of these extensions and the
    finished hypotheses only the ``beam_width`` with the highest score stay;
    the search ends when every hypothesis in the beam is finished. Ties are
    broken in favour of the hypothesis that came first (an earlier hypothesis
    of the beam, then the smaller token id), so that ``beam_width=1`` is
    exactly greedy decoding with ``np.argmax``. A beam at least as wide as the
    number of possible outputs never discards one: the search is then exact.

    Returns a list of ``(tokens, score)``, best first: ``tokens`` excludes
    ``start`` (and includes ``end`` when it was emitted), ``score`` is the sum
    of the log-probabilities of the tokens. Raises ``ValueError`` for a width
    or length that is not a positive integer, for ``start == end``, and for
    ``log_probs`` output that is not a 1-D array of log-probabilities with an
    entry for ``end``.
    """
    beam_width = _check_count(beam_width, "beam_width")
    max_length = _check_count(max_length, "max_length")
    if start == end:
        raise ValueError(
            f"start and end must be different tokens, both are {start!r}"
        )
    # the beam: hypotheses (tokens after start, finished) and their
    # scores, best first
    beam: list[tuple[tuple[int, ...], bool]] = [((), False)]
    scores = np.zeros(1)
    while not all(finished for _, finished in beam):
        # every candidate: a finished hypothesis, or an unfinished one extended
        # by one token, in the order (hypothesis of the beam, token id)
        parts, origin = [], []
        for k, (tokens, finished) in enumerate(beam):
            if finished:
                parts.append(scores[k : k + 1])
                origin.append((k, None))
            else:
                values = _checked_log_probs(log_probs, (start, *tokens), end)
                parts.append(scores[k] + values)
                origin.extend((k, token) for token in range(len(values)))
        candidates = np.concatenate(parts)
        # stable: ties keep that order
        keep = np.argsort(-candidates, kind="stable")[:beam_width]
        new_beam = []
        for index in keep:
            k, token = origin[index]
            tokens, finished = beam[k]
            if token is not None:
                tokens = (*tokens, token)
                finished = token == end or len(tokens) == max_length
            new_beam.append((tokens, finished))
        beam, scores = new_beam, candidates[keep]
    return [
        (tokens, float(score))
        for (tokens, _), score in zip(beam, scores, strict=True)
    ]


def _checked_log_probs(log_probs, prefix, end):
    values = np.asarray(log_probs(prefix), dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(
            f"log_probs({prefix}) returned an array of shape {values.shape}; expected a 1-D array "
            "with one log-probability per token"
        )
    if not 0 <= end < len(values):
        raise ValueError(
            f"log_probs({prefix}) returned {len(values)} values: no entry for the end token {end}"
        )
    if np.isnan(values).any():
        raise ValueError(f"log_probs({prefix}) returned NaN")
    if values.max() > 1e-6:
        raise ValueError(
            f"log_probs({prefix}) returned a value above 0 ({values.max():.3g}): it must return "
            "log-probabilities (for example np.log of probabilities), not probabilities or scores"
        )
    return values


def exhaustive_search(log_probs, start, end, max_length, n_tokens):
    """Every possible output with its score, best first: the reference :func:`beam_search` is
    tested against (``n_tokens ** max_length`` outputs at most, so only for tiny models)."""
    results = []

    def visit(tokens, score):
        if tokens and (tokens[-1] == end or len(tokens) == max_length):
            results.append((tokens, score))
            return
        values = np.asarray(log_probs((start, *tokens)), dtype=np.float64)
        for token in range(n_tokens):
            visit((*tokens, token), score + float(values[token]))

    visit((), 0.0)
    results.sort(key=lambda item: -item[1])
    return results


# ----------------------------------------------------------------------------------------------
# the task


@dataclass(frozen=True)
class ReversalData:
    """Pairs of a digit string and its reverse, as arrays of token ids.

    ``source`` (n, max_length): the digits, padded with ``PAD`` on the right; ``lengths`` (n,);
    ``decoder_input`` (n, max_length + 1): ``START`` then the reversed digits (teacher forcing);
    ``target`` (n, max_length + 1): the reversed digits then ``END``; both padded;
    ``weights`` (n, max_length + 1): 1 where ``target`` is a real token, 0 on padding.
    """

    source: np.ndarray
    lengths: np.ndarray
    decoder_input: np.ndarray
    target: np.ndarray
    weights: np.ndarray
    n_digits: int

    def __len__(self) -> int:
        return len(self.lengths)

    def subset(self, rows) -> ReversalData:
        """The pairs of ``rows`` (an index array or a boolean mask)."""
        return ReversalData(
            self.source[rows],
            self.lengths[rows],
            self.decoder_input[rows],
            self.target[rows],
            self.weights[rows],
            self.n_digits,
        )


def reversal_data(
    n: int,
    lengths: Sequence[int],
    n_digits: int = 10,
    seed: int = 0,
    pad_to: int | None = None,
):
    """``n`` random strings of digits, each with a length drawn uniformly from ``lengths``,
    and their reverses (:class:`ReversalData`); reproducible from ``seed``.

    Arrays are padded to ``pad_to`` symbols (default: the largest of ``lengths``).
    """
    lengths = [int(length) for length in lengths]
    if n < 1 or not lengths or min(lengths) < 1:
        raise ValueError(
            f"need n >= 1 and lengths >= 1, got n={n}, lengths={lengths}"
        )
    if not 1 <= n_digits:
        raise ValueError(f"n_digits must be at least 1, got {n_digits}")
    width = max(lengths) if pad_to is None else int(pad_to)
    if width < max(lengths):
        raise ValueError(
            f"pad_to={pad_to} is shorter than the longest string ({max(lengths)})"
        )
    rng = np.random.default_rng(seed)
    size = rng.choice(lengths, size=n)
    digits = (
        rng.integers(0, n_digits, size=(n, width)) + 1
    )  # token ids of the digits
    position = np.arange(width)
    source = np.where(position < size[:, None], digits, PAD)
    reversed_ = np.zeros_like(source)
    for row, length in enumerate(size):
        reversed_[row, :length] = source[row, :length][::-1]
    decoder_input = np.zeros((n, width + 1), dtype=np.int64)
    decoder_input[:, 0] = start_token(n_digits)
    decoder_input[:, 1:] = reversed_
    target = np.zeros((n, width + 1), dtype=np.int64)
    target[:, :width] = reversed_
    target[np.arange(n), size] = end_token(n_digits)
    weights = (target != PAD).astype(np.float32)
    return ReversalData(
        source.astype(np.int64),
        size.astype(np.int64),
        decoder_input,
        target,
        weights,
        n_digits,
    )


def digits_text(tokens, n_digits: int = 10) -> str:
    """The digits of a token sequence as text (``PAD``, ``START`` and ``END`` are left out);
    with more than 10 digits they are separated by spaces."""
    digits = [str(int(t) - 1) for t in tokens if 1 <= t <= n_digits]
    return ("" if n_digits <= 10 else " ").join(digits)


# ----------------------------------------------------------------------------------------------
# the Keras model


def seq2seq_model(
    n_digits: int,
    units: int,
    embed_dim: int = 16,
    *,
    attention: bool,
    name: str | None = None,
):
    """An LSTM encoder-decoder for teacher forcing: inputs
    ``[source, decoder_input]``, output the logits of the next token at every
    decoder step, shape (batch, steps, vocabulary).

    The encoder reads the embedded source (padding masked) and hands its final
    ``[h, c]`` to the decoder as its initial state. Without attention the
    decoder's output ``h_t`` goes to the read-out layer; with
    ``attention=True``, the read-out sees ``[h_t, a_t]``, where ``a_t`` is the
    dot-product attention of ``h_t`` over the encoder's outputs
    (``keras.layers.Attention``).
    """
    keras = import_tensorflow()[1]
    layers = keras.layers
    vocabulary = vocab_size(n_digits)
    source = keras.Input(shape=(None,), dtype="int32", name="source")
    decoder_input = keras.Input(
        shape=(None,), dtype="int32", name="decoder_input"
    )
    x = layers.Embedding(
        vocabulary, embed_dim, mask_zero=True, name="source_embedding"
    )(source)
    encoder_outputs, h, c = layers.LSTM(
        units, return_sequences=True, return_state=True, name="encoder"
    )(x)
    y = layers.Embedding(
        vocabulary, embed_dim, mask_zero=True, name="target_embedding"
    )(decoder_input)
    decoder_outputs = layers.LSTM(
        units, return_sequences=True, name="decoder"
    )(y, initial_state=[h, c])
    if attention:
        context = layers.Attention(name="attention")(
            [decoder_outputs, encoder_outputs]
        )
        decoder_outputs = layers.Concatenate(name="with_context")(
            [decoder_outputs, context]
        )
    logits = layers.Dense(vocabulary, name="readout")(decoder_outputs)
    return keras.Model(
        [source, decoder_input],
        logits,
        name=name or ("attention" if attention else "plain"),
    )


def compile_seq2seq(
    model, learning_rate=3e-3, clipnorm=1.0, steps_per_execution=32
):
    """Adam with the whole gradient clipped to norm ``clipnorm``, and the cross-entropy of the
    next token (from logits); padding positions get weight 0 through ``sample_weight``.

    ``steps_per_execution`` batches run in one call into TensorFlow: the same updates in the
    same order (the chapter's losses are identical to the last digit with 1), with less of the
    fixed cost per call that dominates the training of so small a model.
    """
    keras = import_tensorflow()[1]
    model.compile(
        optimizer=keras.optimizers.Adam(
            learning_rate, global_clipnorm=clipnorm
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        weighted_metrics=[],
        steps_per_execution=steps_per_execution,
    )
    return model


def fit_seq2seq(
    model,
    data: ReversalData,
    *,
    epochs,
    batch_size,
    learning_rate=3e-3,
    clipnorm=1.0,
):
    """Compile and train ``model`` with teacher forcing on ``data``; return the
    loss per epoch."""
    compile_seq2seq(model, learning_rate, clipnorm)
    history = model.fit(
        [data.source, data.decoder_input],
        data.target,
        sample_weight=data.weights,
        epochs=epochs,
        batch_size=batch_size,
        verbose=0,
    )
    return [float(v) for v in history.history["loss"]]


# ----------------------------------------------------------------------------------------------
# the same model in NumPy, one step at a time


def log_softmax(z, axis=-1):
    """``z - logsumexp(z)`` along ``axis``, computed stably."""
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def attention_weights(query, keys, mask=None):
    """Dot-product attention weights: ``softmax_j(query . keys_j)``.

    ``query`` (batch, units), ``keys`` (batch, positions, units), ``mask``
    (batch, positions), True where a position may be attended to. Returns
    (batch, positions), rows summing to 1.
    """
    scores = np.einsum("ik,ijk->ij", query, keys)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    return np.exp(log_softmax(scores))


class NumpySeq2Seq:
    """A trained :func:`seq2seq_model` run in NumPy (float64), one decoder step at a time.

    Keras' ``predict`` has a fixed cost per call, so decoding one token per call would be slow;
    the step here is :func:`book.lstm.lstm_step` (chapter 4), plus the attention and the
    read-out.
    """

    def __init__(self, model, n_digits: int):
        self.n_digits = n_digits
        self.start, self.end = start_token(n_digits), end_token(n_digits)
        self.attention = any(
            layer.name == "attention" for layer in model.layers
        )
        self.source_embedding = (
            model.get_layer("source_embedding")
            .get_weights()[0]
            .astype(np.float64)
        )
        self.target_embedding = (
            model.get_layer("target_embedding")
            .get_weights()[0]
            .astype(np.float64)
        )
        self.encoder = split_keras_weights(
            *model.get_layer("encoder").get_weights()
        )
        self.decoder = split_keras_weights(
            *model.get_layer("decoder").get_weights()
        )
        kernel, bias = model.get_layer("readout").get_weights()
        self.readout_kernel, self.readout_bias = (
            kernel.astype(np.float64),
            bias.astype(np.float64),
        )

    def encode(self, source):
        """Run the encoder over ``source`` (batch, steps), every row of the same length (no
        padding). Returns the outputs (batch, steps, units) and the final ``(h, c)``."""
        source = np.asarray(source)
        x = self.source_embedding[source]
        batch, steps = source.shape
        units = self.encoder[1]["i"].shape[0]
        h, c = np.zeros((batch, units)), np.zeros((batch, units))
        outputs = np.empty((batch, steps, units))
        for t in range(steps):
            h, c, _ = lstm_step(x[:, t], h, c, *self.encoder)
            outputs[:, t] = h
        return outputs, h, c

    def step(self, token, h, c, encoder_outputs):
        """One decoder step: feed ``token`` (batch,), return the
        log-probabilities of the next token (batch, vocabulary), the new
        ``(h, c)`` and the attention weights (or None)."""
        h, c, _ = lstm_step(
            self.target_embedding[np.asarray(token)], h, c, *self.decoder
        )
        features, weights = h, None
        if self.attention:
            weights = attention_weights(h, encoder_outputs)
            features = np.concatenate(
                [h, np.einsum("ij,ijk->ik", weights, encoder_outputs)], axis=1
            )
        return (
            log_softmax(features @ self.readout_kernel + self.readout_bias),
            h,
            c,
            weights,
        )

    def teacher_forced(self, source, decoder_input):
        """Log-probabilities at every decoder step when the true previous tokens are fed, shape
        (batch, steps, vocabulary): what the Keras model computes (rows of equal length)."""
        encoder_outputs, h, c = self.encode(source)
        out = []
        for t in range(np.shape(decoder_input)[1]):
            log_p, h, c, _ = self.step(
                np.asarray(decoder_input)[:, t], h, c, encoder_outputs
            )
            out.append(log_p)
        return np.stack(out, axis=1)

    def greedy(self, source, max_length):
        """Greedy decoding of a batch of equal-length sources: feed back the most probable
        token, ``max_length`` steps. Returns the tokens (batch, max_length) (what follows a
        row's first ``END`` is not part of its output: :func:`as_output`), the log-probability
        of each row's output (the sum over its tokens, ``END`` included) and the attention
        weights (batch, max_length, source steps), or None without attention."""
        encoder_outputs, h, c = self.encode(source)
        batch = len(encoder_outputs)
        token = np.full(batch, self.start)
        tokens, chosen, weights = (
            np.zeros((batch, max_length), dtype=np.int64),
            np.zeros((batch, max_length)),
            [],
        )
        for t in range(max_length):
            log_p, h, c, w = self.step(token, h, c, encoder_outputs)
            token = log_p.argmax(axis=1)
            tokens[:, t], chosen[:, t] = token, log_p[np.arange(batch), token]
            weights.append(w)
        is_end = tokens == self.end
        after_end = np.cumsum(is_end, axis=1) - is_end > 0
        scores = np.where(after_end, 0.0, chosen).sum(axis=1)
        return (
            tokens,
            scores,
            (np.stack(weights, axis=1) if self.attention else None),
        )

    def log_probs_function(self, source):
        """``log_probs(prefix)`` for :func:`beam_search` on one source (1-D, no padding).

        States are cached by prefix, so that extending a prefix costs one decoder step.
        """
        encoder_outputs, h, c = self.encode(np.asarray(source)[None])
        cache = {}

        def log_probs(prefix):
            prefix = tuple(int(t) for t in prefix)
            if prefix in cache:
                return cache[prefix][0]
            if len(prefix) == 1:
                state = (h, c)
            else:
                log_probs(prefix[:-1])
                state = cache[prefix[:-1]][1]
            log_p, h_new, c_new, _ = self.step(
                np.array([prefix[-1]]), *state, encoder_outputs
            )
            cache[prefix] = (log_p[0], (h_new, c_new))
            return log_p[0]

        return log_probs


# ----------------------------------------------------------------------------------------------
# measuring


def as_output(tokens, end):
    """The tokens of one decoded output up to and including the first ``end``, as a tuple
    (what follows ``end`` is not part of the output)."""
    out = []
    for token in tokens:
        out.append(int(token))
        if token == end:
            break
    return tuple(out)


def score_outputs(outputs, data: ReversalData):
    """Exact match and per-symbol accuracy of decoded ``outputs`` (one token sequence per pair).

    An output is an exact match when it is the reversed string followed by ``END``. Per-symbol
    accuracy: the fraction of the target's digits that the output has at the same position
    (a missing position counts as wrong). Returns two arrays of shape (n,): exact (bool) and
    the per-pair fraction of correct digits.
    """
    end = end_token(data.n_digits)
    exact, per_symbol = np.zeros(len(data), dtype=bool), np.zeros(len(data))
    for row, output in enumerate(outputs):
        output = as_output(output, end)
        length = int(data.lengths[row])
        truth = tuple(int(t) for t in data.target[row, : length + 1])
        exact[row] = output == truth
        shown = output[:length]
        per_symbol[row] = (
            sum(a == b for a, b in zip(shown, truth[:length], strict=False))
            / length
        )
    return exact, per_symbol


def search_errors(greedy_scores, truth_scores, exact):
    """Sort the wrong outputs of a decoder into two kinds.

    ``greedy_scores``: the model's log-probability of each decoded output; ``truth_scores``: of
    the right output; ``exact``: whether the decoded output is right. A **search error** is a
    wrong output whose model gives the right output a higher probability (a better search
    could find it); a **model error** one where the model itself prefers the wrong output (no
    search can fix it). Returns two boolean arrays.
    """
    greedy_scores, truth_scores = (
        np.asarray(greedy_scores),
        np.asarray(truth_scores),
    )
    wrong = ~np.asarray(exact, dtype=bool)
    return wrong & (truth_scores > greedy_scores), wrong & (
        truth_scores <= greedy_scores
    )


def alignment_hits(weights, length):
    """For a string of ``length`` digits, whether each output step's largest attention weight
    falls on the source position that step copies (output step ``j`` copies position
    ``length - 1 - j``). ``weights``: (..., output steps, source positions); steps after the
    ``length``-th (the ``END`` step, or extra tokens) are left out. Returns booleans
    (..., min(output steps, length)).
    """
    weights = np.asarray(weights)[..., :length, :]
    copied = length - 1 - np.arange(weights.shape[-2])
    return weights.argmax(axis=-1) == copied


@dataclass(frozen=True)
class Decoded:
    """What :func:`decode` measured on a data set, one row per pair (in the data's order).

    ``outputs``: the greedy outputs (tuples up to ``END``); ``output_scores`` and
    ``truth_scores``: the model's log-probability of the greedy output and of the right one;
    ``exact`` and ``per_symbol``: :func:`score_outputs` of the greedy outputs;
    ``teacher_forced``: the fraction of digits right when the true previous tokens are fed;
    ``forced_hits`` and ``free_hits`` (n, longest string): digit ``j`` right with teacher
    forcing and in the greedy output (False beyond a string's length); ``weights``: each pair's
    attention weights (output steps, source positions), or None without attention.
    """

    outputs: list
    output_scores: np.ndarray
    truth_scores: np.ndarray
    exact: np.ndarray
    per_symbol: np.ndarray
    teacher_forced: np.ndarray
    forced_hits: np.ndarray
    free_hits: np.ndarray
    weights: list | None


def decode(
    numpy_model: NumpySeq2Seq, data: ReversalData, extra: int = 3
) -> Decoded:
    """Decode every pair of ``data`` greedily (up to ``extra`` tokens more than its string has,
    ``END`` included) and with teacher forcing; strings of each length go through as a batch."""
    n, width = len(data), data.source.shape[1]
    outputs, weights = (
        [None] * n,
        ([None] * n if numpy_model.attention else None),
    )
    output_scores, truth_scores = np.zeros(n), np.zeros(n)
    forced_hits, free_hits = (
        np.zeros((n, width), dtype=bool),
        np.zeros((n, width), dtype=bool),
    )
    for length in np.unique(data.lengths):
        rows = np.flatnonzero(data.lengths == length)
        source, target = (
            data.source[rows, :length],
            data.target[rows, : length + 1],
        )
        log_p = numpy_model.teacher_forced(
            source, data.decoder_input[rows, : length + 1]
        )
        truth_scores[rows] = np.take_along_axis(
            log_p, target[:, :, None], axis=2
        )[:, :, 0].sum(axis=1)
        forced_hits[rows, :length] = (
            log_p[:, :length].argmax(axis=2) == target[:, :length]
        )
        tokens, scores, w = numpy_model.greedy(source, length + extra)
        output_scores[rows] = scores
        free_hits[rows, :length] = tokens[:, :length] == target[:, :length]
        for k, row in enumerate(rows):
            outputs[row] = as_output(tokens[k], numpy_model.end)
            if weights is not None:
                weights[row] = w[k, : len(outputs[row])]
    exact, per_symbol = score_outputs(outputs, data)
    teacher_forced = forced_hits.sum(axis=1) / data.lengths
    return Decoded(
        outputs,
        output_scores,
        truth_scores,
        exact,
        per_symbol,
        teacher_forced,
        forced_hits,
        free_hits,
        weights,
    )


def by_length(values, lengths):
    """The mean of ``values`` for each distinct length: ``{length: mean}``, lengths in order."""
    values, lengths = np.asarray(values, dtype=np.float64), np.asarray(lengths)
    return {
        int(length): float(values[lengths == length].mean())
        for length in np.unique(lengths)
    }
