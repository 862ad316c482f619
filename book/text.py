"""Character-level language modelling on real text: the code of chapter 7 (``ch-language_model``).

- the data: :func:`corpus` (passages of Shakespeare's plays, shipped with the package in
  ``book/corpora/``), :func:`vocabulary`, :func:`encode`, :func:`decode`, :func:`split_text`;
- training examples: :func:`training_windows` (independent windows) and
  :func:`stream_windows` (consecutive windows of ``batch_size`` parallel streams, for truncated
  backpropagation through time with the state carried from one batch to the next) and
  :func:`stream_positions` (where each of their targets lies in the text);
- no-learning baselines: :func:`ngram_perplexity` and :func:`ngram_log_probs` (add-one or
  interpolated Kneser-Ney smoothing), :func:`ngram_distribution`;
- the networks: :func:`char_model`, :func:`fit_language_model`, :func:`char_log_loss`;
- using them: :func:`sample_index` (temperature) and :func:`generate`.

Perplexity is ``exp`` of the mean cross-entropy in nats per character.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: The text, gzip-compressed: ``data/tinyshakespeare/input.txt`` of karpathy/char-rnn
#: (see ``book/corpora/README.md``).
CORPUS_FILE = (
    Path(__file__).resolve().parent / "corpora" / "tinyshakespeare.txt.gz"
)
#: MD5 of the uncompressed text, as published with the source.
CORPUS_MD5 = "6fb458f1232090904fb40fe944165e91"

_cache: dict[Path, str] = {}


def corpus(n_chars: int | None = None, path: Path | str = CORPUS_FILE) -> str:
    """The text of ``path`` (by default tiny Shakespeare, 1,115,394 characters), or its first ``n_chars``.

    The default file is checked against :data:`CORPUS_MD5`; a missing, unreadable or altered
    file raises ``ValueError`` naming the file and the problem.
    """
    path = Path(path)
    if path not in _cache:
        if not path.is_file():
            raise ValueError(
                f"{path}: corpus file not found (it is package data of book/)"
            )
        try:
            raw = (
                gzip.decompress(path.read_bytes())
                if path.suffix == ".gz"
                else path.read_bytes()
            )
        except (OSError, EOFError) as error:
            raise ValueError(
                f"{path}: cannot decompress the corpus: {error}"
            ) from error
        if path == CORPUS_FILE and hashlib.md5(raw).hexdigest() != CORPUS_MD5:
            raise ValueError(
                f"{path}: the text's MD5 is {hashlib.md5(raw).hexdigest()}, expected {CORPUS_MD5}"
            )
        try:
            _cache[path] = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"{path}: not UTF-8 text: {error}") from error
    text = _cache[path]
    if n_chars is not None:
        if n_chars < 1:
            raise ValueError(f"n_chars must be positive: {n_chars}")
        text = text[:n_chars]
    return text


def vocabulary(text: str) -> list[str]:
    """The distinct characters of ``text``, sorted: character ``vocabulary[i]`` has id ``i``."""
    return sorted(set(text))


def encode(text: str, vocab: list[str]) -> np.ndarray:
    """The ids of the characters of ``text`` (``int32``); a character outside ``vocab`` raises ``ValueError``."""
    index = {ch: i for i, ch in enumerate(vocab)}
    unknown = sorted(set(text) - set(index))
    if unknown:
        raise ValueError(f"characters not in the vocabulary: {unknown!r}")
    return np.fromiter(
        (index[ch] for ch in text), dtype=np.int32, count=len(text)
    )


def decode(ids, vocab: list[str]) -> str:
    """The text whose character ids are ``ids`` (the inverse of :func:`encode`)."""
    return "".join(vocab[int(i)] for i in np.asarray(ids).ravel())


def split_text(text: str, valid_fraction: float = 0.1) -> tuple[str, str]:
    """The first ``1 - valid_fraction`` of ``text`` for training, the rest held out (no shuffling:
    the held-out text is a later, unseen part of the corpus)."""
    if not 0 < valid_fraction < 1:
        raise ValueError(
            f"valid_fraction must be between 0 and 1: {valid_fraction}"
        )
    cut = int(round(len(text) * (1 - valid_fraction)))
    return text[:cut], text[cut:]


def training_windows(ids, length: int, step: int | None = None):
    """Inputs and targets for next-character prediction, each of shape ``(n_windows, length)``.

    Window ``k`` starts at ``k * step`` (``step`` defaults to ``length``: windows that do not
    overlap); its target is the same window shifted by one character, ``y[k, t] = ids[k * step + t + 1]``.
    """
    ids = np.asarray(ids)
    step = length if step is None else step
    if length < 1 or step < 1:
        raise ValueError(f"length and step must be positive: {length}, {step}")
    n = (len(ids) - 1 - length) // step + 1
    if n < 1:
        raise ValueError(
            f"a text of {len(ids)} characters has no window of {length} + 1"
        )
    starts = np.arange(n) * step
    index = starts[:, None] + np.arange(length)[None, :]
    return ids[index], ids[index + 1]


def stream_positions(n_ids: int, length: int, batch_size: int) -> np.ndarray:
    """Where in the text each target of :func:`stream_windows` comes from: an array ``pos`` of the
    shape of its ``y``, with ``y[r, t] == ids[pos[r, t]]`` (and ``x[r, t] == ids[pos[r, t] - 1]``)."""
    per_stream = (n_ids - 1) // batch_size
    n_batches = per_stream // length
    if n_batches < 1:
        raise ValueError(
            f"a text of {n_ids} characters is too short for {batch_size} streams of at least one window of {length}"
        )
    starts = np.arange(batch_size) * per_stream
    index = (
        starts[:, None] + np.arange(n_batches * length)[None, :]
    )  # (streams, characters)
    return (
        index.reshape(batch_size, n_batches, length)
        .transpose(1, 0, 2)
        .reshape(-1, length)
    ) + 1


def stream_windows(ids, length: int, batch_size: int):
    """Windows for truncated BPTT with carried state: ``batch_size``
    parallel streams.

    The text is cut into ``batch_size`` contiguous streams of equal length;
    batch ``j`` (rows ``j * batch_size`` to ``(j + 1) * batch_size - 1``) holds
    window ``j`` of every stream, so row ``b`` of batch ``j + 1`` continues row
    ``b`` of batch ``j`` exactly where it stopped. Fed in this order (no
    shuffling), a stateful network that keeps its state from batch to batch
    reads each stream as one long sequence, while gradients flow back through
    one window only. Returns ``(x, y)``, shape
    ``(n_batches * batch_size, length)``; :func:`stream_positions` says where
    each target lies in the text.
    """
    ids = np.asarray(ids)
    targets = stream_positions(len(ids), length, batch_size)
    return ids[targets - 1], ids[targets]


#: A speaker's turn in the plays: a blank line (or the start), the name on a line of its own, a colon.
_TURN = re.compile(r"(?:^|\n\n)([^\n:]{1,40}):\n")
_WORD = re.compile(r"[A-Za-z]{3,}")


def speaker_turns(text: str) -> list[tuple[int, str]]:
    """Each speaker's turn of ``text``: the position of the name's first letter, and the name."""
    return [(m.start(1), m.group(1)) for m in _TURN.finditer(text)]


def memory_positions(
    text: str, *, near: int = 20, far: int = 1000
) -> dict[str, np.ndarray]:
    """Positions of ``text`` where a model can use context from further back
    than a few characters.

    Chapter 7 compares how well models predict the character at these
    positions:

    - ``"newline"``: every newline; when a line ends depends on how long it has
      run, and lines run to about 40 characters;
    - ``"speaker"``: the first two letters of a speaker's name after a blank
      line; the speakers of a scene take turns, and the name was often last
      seen two turns earlier;
    - ``"repeated word"``: the letters after the first of every word of at
      least three letters whose previous occurrence (the same letters, the same
      case) starts ``near`` to ``far`` characters earlier; the first letter is
      left out, since it gives the word away.
    """
    newline = np.array(
        [i for i, c in enumerate(text) if c == "\n"], dtype=np.int64
    )
    speaker = np.array(
        [
            i + j
            for i, name in speaker_turns(text)
            for j in range(min(2, len(name)))
        ],
        dtype=np.int64,
    )
    last_seen: dict[str, int] = {}
    repeated = []
    for m in _WORD.finditer(text):
        word, start = m.group(0), m.start()
        if word in last_seen and near <= start - last_seen[word] <= far:
            repeated.extend(range(start + 1, m.end()))
        last_seen[word] = start
    return {
        "newline": newline,
        "speaker": speaker,
        "repeated word": np.array(repeated, dtype=np.int64),
    }


#: The smoothing methods of :func:`ngram_perplexity`.
SMOOTHINGS = ("add-one", "kneser-ney")


def _gram_codes(ids, k: int, V: int) -> np.ndarray:
    """Every k-gram of ``ids`` as one integer, base ``V`` (oldest character most significant)."""
    n = len(ids) - k + 1
    code = np.zeros(max(n, 0), dtype=np.int64)
    for j in range(k):
        code = code * V + ids[j : j + n]
    return code


def _lookup(keys, values, queries):
    """``values`` at the positions of ``queries`` in the sorted array ``keys``; 0 where absent."""
    if len(keys) == 0:
        return np.zeros(len(queries), dtype=values.dtype)
    where = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
    return np.where(keys[where] == queries, values[where], 0)


class _KneserNey:
    """Interpolated Kneser-Ney counts of one training text (see :func:`ngram_perplexity`)."""

    def __init__(self, train_ids, order: int, V: int, discount: float):
        self.order, self.V, self.discount = order, V, discount
        grams = {
            k: np.unique(_gram_codes(train_ids, k, V), return_counts=True)
            for k in range(1, order + 1)
        }
        self.tables = {}
        for k in range(1, order + 1):
            if k == order:  # the highest order counts occurrences
                keys, counts = grams[k]
            else:  # lower orders count continuations: how many distinct characters precede the k-gram
                keys, counts = np.unique(
                    grams[k + 1][0] % V**k, return_counts=True
                )
            contexts, inverse = np.unique(keys // V, return_inverse=True)
            totals = np.bincount(inverse, weights=counts).astype(
                np.int64
            )  # sum over next characters
            types = np.bincount(inverse).astype(
                np.int64
            )  # how many next characters were seen
            self.tables[k] = (
                keys,
                counts.astype(np.int64),
                contexts,
                totals,
                types,
            )

    def probabilities(self, contexts, nexts) -> np.ndarray:
        """P(next | context) for rows of ``contexts`` (``(N, order - 1)`` ids) and ``nexts`` (``(N,)``)."""
        V, D = self.V, self.discount
        nexts = np.asarray(nexts, dtype=np.int64)
        p = np.full(
            len(nexts), 1.0 / V
        )  # order 0: uniform over the vocabulary
        for k in range(1, self.order + 1):
            keys, counts, context_keys, totals, types = self.tables[k]
            h = np.zeros(len(nexts), dtype=np.int64)
            for j in range(
                self.order - k, self.order - 1
            ):  # the last k - 1 characters of the context
                h = h * V + contexts[:, j]
            count = _lookup(keys, counts, h * V + nexts)
            total = _lookup(context_keys, totals, h)
            seen = _lookup(context_keys, types, h)
            with np.errstate(divide="ignore", invalid="ignore"):
                interpolated = (
                    np.maximum(count - D, 0) + D * seen * p
                ) / total
            p = np.where(
                total > 0, interpolated, p
            )  # an unseen context backs off entirely
        return p


def ngram_log_probs(
    train_text: str,
    valid_text: str,
    order: int,
    vocab=None,
    *,
    smoothing: str = "add-one",
    discount: float = 0.75,
) -> np.ndarray:
    """The log-probability (nats) that a character n-gram model estimated on
    ``train_text`` gives to each scored character of ``valid_text``: every
    character that has ``order - 1`` characters before it in ``valid_text``, so
    ``len(valid_text) - order + 1`` values, in order.

    ``order`` 1 is the unigram model (character frequencies), 2 the bigram
    model (the previous character), and so on; ``vocab`` (default: every
    character of both texts) has ``V`` symbols.

    - ``smoothing="add-one"`` (Laplace):
      ``P(c | h) = (count(h c) + 1) / (count(h) + V)``.
    - ``smoothing="kneser-ney"``: interpolated Kneser-Ney with one absolute
      ``discount`` (Chen & Goodman 1999). With ``h'`` the context ``h`` without
      its oldest character,
      ``P(c | h) = (max(N(h c) - D, 0) + D * T(h) * P(c | h')) / N(h)``, where
      ``N(h c)`` is the count of the n-gram at the highest order and, at lower
      orders, the number of distinct characters seen before it (a continuation
      count); ``N(h)`` is the sum of ``N(h c)`` over ``c``
      and ``T(h)`` the number of characters ``c`` with ``N(h c) > 0``. A
      context with ``N(h) = 0`` backs off to ``P(c | h')`` entirely; below the
      unigram is the uniform ``1 / V``. For every context the probabilities sum
      to 1 over the vocabulary.
    """
    if order < 1:
        raise ValueError(f"order must be at least 1: {order}")
    if smoothing not in SMOOTHINGS:
        raise ValueError(
            f"smoothing must be one of {SMOOTHINGS}: {smoothing!r}"
        )
    if not 0 < discount <= 1:
        raise ValueError(f"discount must be in (0, 1]: {discount}")
    vocab = (
        vocabulary(train_text + valid_text) if vocab is None else list(vocab)
    )
    V = len(vocab)
    if V**order >= 2**62:
        raise ValueError(f"order {order} is too large for a vocabulary of {V}")
    if len(valid_text) < order:
        raise ValueError(f"valid_text has fewer than {order} characters")
    train_ids = encode(train_text, vocab).astype(np.int64)
    valid_ids = encode(valid_text, vocab).astype(np.int64)
    if smoothing == "kneser-ney":
        model = _KneserNey(train_ids, order, V, discount)
        n = len(valid_ids) - order + 1
        contexts = (
            np.stack([valid_ids[j : j + n] for j in range(order - 1)], axis=1)
            if order > 1
            else None
        )
        if contexts is None:
            contexts = np.zeros((n, 0), dtype=np.int64)
        return np.log(model.probabilities(contexts, valid_ids[order - 1 :]))
    train_codes = _gram_codes(train_ids, order, V)
    valid_codes = _gram_codes(valid_ids, order, V)
    keys, counts = np.unique(train_codes, return_counts=True)
    context_keys, context_counts = np.unique(
        train_codes // V, return_counts=True
    )
    joint = _lookup(keys, counts, valid_codes)
    context = _lookup(context_keys, context_counts, valid_codes // V)
    return np.log(joint + 1.0) - np.log(context + V)


def ngram_distribution(
    train_text: str,
    context: str,
    order: int,
    vocab,
    *,
    smoothing: str,
    discount=0.75,
):
    """The n-gram model's probabilities of every character of ``vocab`` after ``context`` (its last
    ``order - 1`` characters are used): an array that sums to 1."""
    vocab = list(vocab)
    tail = context[len(context) - (order - 1) :] if order > 1 else ""
    if len(tail) != order - 1:
        raise ValueError(
            f"the context needs at least {order - 1} characters: {context!r}"
        )
    return np.exp(
        np.array(
            [
                ngram_log_probs(
                    train_text,
                    tail + c,
                    order,
                    vocab,
                    smoothing=smoothing,
                    discount=discount,
                )[0]
                for c in vocab
            ]
        )
    )


def ngram_perplexity(
    train_text: str,
    valid_text: str,
    order: int,
    vocab=None,
    *,
    smoothing: str = "add-one",
    discount=0.75,
) -> float:
    """Perplexity on ``valid_text`` of a character n-gram model estimated on ``train_text``:
    ``exp`` of minus the mean of :func:`ngram_log_probs` (which explains the arguments)."""
    log_p = ngram_log_probs(
        train_text,
        valid_text,
        order,
        vocab,
        smoothing=smoothing,
        discount=discount,
    )
    return float(np.exp(-log_p.mean()))


# ---------------------------------------------------------------- the networks

#: The recurrent layer classes :func:`char_model` accepts.
KINDS = ("SimpleRNN", "GRU", "LSTM")


def _keras():
    from book.runtime import import_tensorflow

    return import_tensorflow()[1]


def char_model(
    kind: str,
    units: int,
    vocab_size: int,
    batch_size: int,
    *,
    embedding_dim: int = 32,
):
    """Embedding, one stateful recurrent layer returning every step, and a
    dense layer of logits.

    The layer keeps its last state between calls (``stateful=True``), so the
    batch size is fixed; :func:`reset_state` sets it back to zeros. Windows may
    have any length.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}: {kind!r}")
    keras = _keras()
    layer = getattr(keras.layers, kind)(
        units, return_sequences=True, stateful=True, name="recurrent"
    )
    return keras.Sequential(
        [
            keras.Input(batch_shape=(batch_size, None), dtype="int32"),
            keras.layers.Embedding(
                vocab_size, embedding_dim, name="embedding"
            ),
            layer,
            keras.layers.Dense(vocab_size, name="logits"),
        ],
        name=kind.lower(),
    )


def reset_state(model) -> None:
    """Set the state of every stateful recurrent layer of ``model`` back to zeros."""
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_state()


def _resetting_callback(keras, when: str):
    class Reset(keras.callbacks.Callback):
        pass

    def reset(self, batch, logs=None):
        reset_state(self.model)

    setattr(Reset, when, reset)
    return Reset()


def char_log_loss(
    model, x, y, batch_size: int, *, carry_state: bool = True
) -> np.ndarray:
    """The cross-entropy (nats) of every target character, shape ``y.shape``.

    ``x`` and ``y`` come from :func:`stream_windows` with the same ``batch_size``. With
    ``carry_state`` the state starts at zero and is carried from each batch to the next (every
    character sees all the text of its stream before it); without it the state is reset before
    every batch (a character sees only the window before it).
    """
    keras = _keras()
    reset_state(model)
    callbacks = (
        []
        if carry_state
        else [_resetting_callback(keras, "on_predict_batch_begin")]
    )
    logits = model.predict(
        x, batch_size=batch_size, verbose=0, callbacks=callbacks
    )
    logits = logits.astype(np.float64)
    top = logits.max(axis=-1, keepdims=True)
    log_norm = np.log(np.exp(logits - top).sum(axis=-1)) + top[..., 0]
    picked = np.take_along_axis(
        logits, np.asarray(y)[..., None].astype(np.int64), axis=-1
    )[..., 0]
    reset_state(model)
    return log_norm - picked


@dataclass
class LanguageModelRun:
    """What :func:`fit_language_model` returns."""

    model: object
    #: validation perplexity after each epoch
    val_perplexity: list = field(default_factory=list)
    #: training loss (nats per character) of each epoch
    loss: list = field(default_factory=list)
    seconds: float = 0.0  #: wall time of training and validation


def fit_language_model(
    model,
    train,
    valid,
    batch_size: int,
    *,
    epochs: int = 1,
    learning_rate: float = 3e-3,
    clipnorm: float = 1.0,
    carry_state: bool = True,
    run: LanguageModelRun | None = None,
):
    """Train ``model`` (from :func:`char_model`) with truncated BPTT, one epoch at a time.

    ``train`` and ``valid`` are ``(x, y)`` pairs from :func:`stream_windows` with this
    ``batch_size``. Batches are fed in order; with ``carry_state`` the state is carried from
    each batch to the next and reset at the start of each epoch, without it the state is
    reset before every batch. After each epoch the validation perplexity is measured the same
    way. Adam with the whole gradient clipped to norm ``clipnorm``. Pass the ``run`` of a
    previous call to continue training it (the model is compiled only the first time).
    """
    keras = _keras()
    if run is None:
        model.compile(
            optimizer=keras.optimizers.Adam(
                learning_rate, global_clipnorm=clipnorm
            ),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        run = LanguageModelRun(model)
    callbacks = (
        []
        if carry_state
        else [_resetting_callback(keras, "on_train_batch_begin")]
    )
    start = time.perf_counter()
    for _ in range(epochs):
        reset_state(model)
        fit = model.fit(
            *train,
            batch_size=batch_size,
            epochs=1,
            shuffle=False,
            verbose=0,
            callbacks=callbacks,
        )
        run.loss.append(float(fit.history["loss"][0]))
        loss = char_log_loss(
            model, *valid, batch_size, carry_state=carry_state
        )
        run.val_perplexity.append(float(np.exp(loss.mean())))
    run.seconds += time.perf_counter() - start
    return run


def sample_index(logits, temperature: float, rng) -> np.ndarray:
    """One id per row of ``logits``, drawn with probabilities
    ``softmax(logits / temperature)``.

    A temperature below 1 sharpens the distribution towards the most likely
    character (0 would always pick it), above 1 flattens it towards uniform.
    ``temperature`` may be one value or one per row.
    """
    logits = np.atleast_2d(np.asarray(logits, dtype=np.float64))
    t = np.broadcast_to(
        np.asarray(temperature, dtype=np.float64).reshape(-1, 1),
        (len(logits), 1),
    )
    if np.any(t <= 0):
        raise ValueError(f"temperature must be positive: {temperature}")
    z = logits / t
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    u = rng.random((len(p), 1))
    return np.minimum((p.cumsum(axis=1) < u).sum(axis=1), p.shape[1] - 1)


def generate(
    model, prompt: str, n_chars: int, temperatures, vocab, *, seed: int = 0
) -> list[str]:
    """Continue ``prompt`` by ``n_chars`` characters, once for each temperature.

    ``model`` is a trained :func:`char_model`; its weights are copied into a model with one
    stream per temperature, which reads the prompt and then its own samples, one character
    at a time. Returns the continuations (without the prompt).
    """
    keras = _keras()
    temperatures = list(temperatures)
    n = len(temperatures)
    layer = model.get_layer("recurrent")
    sampler = char_model(
        type(layer).__name__,
        layer.units,
        len(vocab),
        n,
        embedding_dim=model.get_layer("embedding").output_dim,
    )
    sampler.set_weights(model.get_weights())
    rng = np.random.default_rng(seed)
    x = np.repeat(encode(prompt, vocab)[None, :], n, axis=0)
    out = np.empty((n, n_chars), dtype=np.int32)
    for t in range(n_chars):
        logits = keras.ops.convert_to_numpy(sampler(x, training=False))[:, -1]
        out[:, t] = sample_index(logits, temperatures, rng)
        x = out[:, t : t + 1]
    return [decode(row, vocab) for row in out]
