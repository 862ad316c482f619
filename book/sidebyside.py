"""Train several independent copies of a small Keras network at once: chapters 5, 6 and 7.

A fair comparison of two kinds of network trains each of them several times: from several
seeds, and at each learning rate of a small grid. One after another, a dozen trainings of a
small recurrent network take minutes on two processor cores, and most of that time is not
arithmetic: a small network spends each step of each batch waiting for TensorFlow to start
its tiny operations. :func:`train_side_by_side` trains ``K`` networks of the same shape in
**one** computation instead. Nothing is shared between the copies:

- each copy has its own weights (it starts from the weights of its own Keras model);
- its own order of batches (a permutation of the training set drawn from its own seed each
  epoch);
- its own Adam state and learning rate;
- its own gradient clipping (each copy's gradient is rescaled to norm at most ``clipnorm``
  on its own, as ``keras.optimizers.Adam(global_clipnorm=...)`` does for one model).

The loss that is differentiated is the sum of the copies' losses; since no weight belongs to
two copies, the gradient of that sum with respect to a copy's weights is the gradient of that
copy's own loss. So every copy follows the path it would follow if it were trained alone by
:func:`book.models.train` with the same batches, up to the rounding of 32-bit arithmetic
(``tests/test_sidebyside.py`` checks it against Keras' own ``fit``). At the end, each Keras
model holds its copy's trained weights, and the function returns one
:class:`book.models.TrainingRun` per model, as :func:`book.models.train` does.

The networks may be made of ``Flatten``, ``Dense`` (no activation), ``Embedding``,
``SimpleRNN`` (``tanh``), ``GRU`` and ``LSTM`` layers with Keras' default activations (what
:func:`book.models.linear_forecaster`, :func:`book.models.recurrent_forecaster`,
:func:`book.models.adding_model` and :func:`book.text.char_model` build).
:func:`train_side_by_side` trains regression models (mean squared error, shuffled batches);
:func:`train_language_models` trains character-level language models of chapter 7 with
truncated backpropagation through time (cross-entropy, batches in the order of the text's
streams, the recurrent state carried from one window to the next or reset before each). The LSTM
layers run on TensorFlow's fused LSTM kernel (``BlockLSTM``), which computes a whole sequence
in one operation with Keras' equations (its gate blocks come in another order, and its own
forget bias is set to 0: Keras' is part of the bias vector). Not ``BlockLSTMV2``, whose
registered gradient (TensorFlow 2.21) is that of ``BlockLSTM`` and assumes the other gate
order. The ``SimpleRNN`` and ``GRU`` layers of all copies run in one loop over the steps, with
batched matrix products.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from book.models import TrainingRun
from book.runtime import import_tensorflow

#: Adam's constants, as in ``keras.optimizers.Adam``.
BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7


@dataclass
class _Layer:
    """One layer of the copies: its kind, and its weights stacked over the copies (leading axis ``K``)."""

    kind: str  # "flatten", "dense", "embedding", "simple", "gru", "lstm"
    weights: list  # tf.Variables, shape (K, ...)
    return_sequences: bool = False
    units: int = 0

    @property
    def recurrent(self) -> bool:
        return self.kind in ("simple", "gru", "lstm")


def _plain(layer, attributes):
    """Raise if ``layer`` uses a setting this module does not reproduce."""
    for name, expected in attributes.items():
        value = getattr(layer, name, expected)
        value = getattr(value, "__name__", value)
        if value != expected:
            raise ValueError(
                f"layer {layer.name!r} ({type(layer).__name__}): {name}={value!r} is not supported "
                f"by train_side_by_side (only {expected!r})"
            )


def _gate_order(units):
    """Columns that turn Keras' gate blocks (i, f, c, o) into BlockLSTM's (i, c, f, o), and back."""
    u = units
    return np.r_[
        0:u, 2 * u : 3 * u, u : 2 * u, 3 * u : 4 * u
    ]  # swapping two blocks: its own inverse


def _lstm_to_block(kernel, recurrent_kernel, bias):
    """Keras' LSTM weights as BlockLSTM's ``w`` (input rows, then recurrent rows) and ``b``."""
    order = _gate_order(recurrent_kernel.shape[0])
    return np.concatenate([kernel, recurrent_kernel], axis=0)[:, order], bias[
        order
    ]


def _block_to_lstm(w, b, n_inputs):
    """The inverse of :func:`_lstm_to_block`: ``(kernel, recurrent_kernel, bias)`` in Keras' layout."""
    order = _gate_order(w.shape[1] // 4)
    w, b = w[:, order], b[order]
    return w[:n_inputs], w[n_inputs:], b


_RECURRENT_SETTINGS = {
    "use_bias": True,
    "go_backwards": False,
    "dropout": 0,
    "recurrent_dropout": 0,
}


def _stack_layers(models):
    """Check that the models have the same supported layers and stack their weights into variables.

    A layer's ``stateful`` setting is ignored: the caller decides whether states are carried."""
    tf, keras = import_tensorflow()
    first = models[0]
    layers = []
    for position, layer in enumerate(first.layers):
        peers = [m.layers[position] for m in models]
        if any(type(p) is not type(layer) for p in peers) or any(
            [w.shape for w in p.get_weights()]
            != [w.shape for w in layer.get_weights()]
            for p in peers
        ):
            raise ValueError(
                f"the models differ at layer {position} ({layer.name!r}): they must have the same shape"
            )
        weights = [p.get_weights() for p in peers]

        def stacked(values=weights):
            return [
                tf.Variable(np.stack(w)) for w in zip(*values, strict=True)
            ]

        if isinstance(layer, keras.layers.Flatten):
            layers.append(_Layer("flatten", []))
        elif isinstance(layer, keras.layers.Dense):
            _plain(layer, {"activation": "linear", "use_bias": True})
            layers.append(_Layer("dense", stacked()))
        elif isinstance(layer, keras.layers.Embedding):
            _plain(layer, {"mask_zero": False})
            layers.append(_Layer("embedding", stacked()))
        elif isinstance(layer, keras.layers.SimpleRNN):
            _plain(layer, {"activation": "tanh", **_RECURRENT_SETTINGS})
            layers.append(
                _Layer(
                    "simple", stacked(), layer.return_sequences, layer.units
                )
            )
        elif isinstance(layer, keras.layers.GRU):
            _plain(
                layer,
                {"activation": "tanh", "recurrent_activation": "sigmoid", "reset_after": True,
                 **_RECURRENT_SETTINGS},
            )  # fmt: skip
            layers.append(
                _Layer("gru", stacked(), layer.return_sequences, layer.units)
            )
        elif isinstance(layer, keras.layers.LSTM):
            _plain(
                layer,
                {
                    "activation": "tanh",
                    "recurrent_activation": "sigmoid",
                    **_RECURRENT_SETTINGS,
                },
            )
            blocks = [_lstm_to_block(*w) for w in weights]
            layers.append(
                _Layer(
                    "lstm",
                    stacked([list(b) for b in blocks]),
                    layer.return_sequences,
                    layer.units,
                )
            )
        else:
            raise ValueError(
                f"layer {layer.name!r} ({type(layer).__name__}) is not supported by train_side_by_side "
                "(Flatten, Dense, Embedding, SimpleRNN, GRU and LSTM are)"
            )
    return layers


def _zero_states(layers, k, batch):
    """The initial state of every recurrent layer: zeros (an LSTM has two state vectors)."""
    tf = import_tensorflow()[0]
    states = []
    for layer in layers:
        if layer.recurrent:
            count = 2 if layer.kind == "lstm" else 1
            states.append(
                tuple(tf.zeros([k, batch, layer.units]) for _ in range(count))
            )
    return states


def _forward(layers, x, states=None):
    """The copies' outputs for inputs ``x``, and the recurrent layers' last states.

    ``x`` has shape ``(K, batch, steps, features)``, or ``(K, batch, steps)`` of integer ids when
    the first layer is an ``Embedding``. ``states`` (one tuple per recurrent layer, as
    :func:`_zero_states` makes them) are the initial states; ``None`` means zeros. The output is
    ``(K, batch, outputs)`` after a layer that returns its last step only, and
    ``(K, steps, batch, outputs)`` (time-major) when every step is returned.
    """
    tf = import_tensorflow()[0]
    k = x.shape[0]
    if states is None:
        states = _zero_states(layers, k, tf.shape(x)[1])
    states = list(states)
    finals = []
    h = x
    if layers[0].kind != "embedding":
        h = tf.transpose(
            x, [0, 2, 1, 3]
        )  # time-major within each copy: (K, steps, batch, features)
    sequence = True  # whether h still has a time axis
    for layer in layers:
        if layer.kind == "embedding":
            (table,) = layer.weights
            h = tf.transpose(tf.gather(table, x, batch_dims=1), [0, 2, 1, 3])
        elif layer.kind == "flatten":
            h = tf.reshape(
                tf.transpose(h, [0, 2, 1, 3]), [k, tf.shape(h)[2], -1]
            )
            sequence = False
        elif layer.kind == "dense":
            kernel, bias = layer.weights
            if sequence:
                h = (
                    tf.einsum("ktbd,kdo->ktbo", h, kernel)
                    + bias[:, None, None, :]
                )
            else:
                h = tf.einsum("kbd,kdo->kbo", h, kernel) + bias[:, None, :]
        else:
            run = {
                "lstm": _lstm_copies,
                "simple": _simple_rnn_copies,
                "gru": _gru_copies,
            }[layer.kind]
            h, final = run(h, *layer.weights, layer.units, states.pop(0))
            finals.append(final)
            if not layer.return_sequences:
                h, sequence = h[:, -1], False
    return h, finals


def _lstm_copies(x, w, b, units, state):
    """Each copy's LSTM layer over its own sequences, with the fused kernel.

    Returns the outputs ``(K, steps, batch, units)`` and the last state ``(h, c)``."""
    tf = import_tensorflow()[0]
    steps = tf.shape(x)[1]
    h0, c0 = state
    no_peephole = tf.zeros([units])
    outputs, cells = [], []
    for copy in range(x.shape[0]):
        result = tf.raw_ops.BlockLSTM(
            seq_len_max=tf.cast(steps, tf.int64),
            x=x[copy],
            cs_prev=c0[copy],
            h_prev=h0[copy],
            w=w[copy],
            wci=no_peephole,
            wcf=no_peephole,
            wco=no_peephole,
            b=b[copy],
            forget_bias=0.0,  # Keras' forget bias is in b already
            cell_clip=-1.0,  # no clipping of the cell state
            use_peephole=False,
        )
        outputs.append(result.h)
        cells.append(result.cs[-1])
    h = tf.stack(outputs)
    return h, (h[:, -1], tf.stack(cells))


def _loop(x, step, initial):
    """Run ``h = step(x_t, h)`` over the steps of ``x`` (``(K, steps, batch, features)``), all
    copies at once; return every ``h`` (``(K, steps, batch, units)``) and the last one."""
    tf = import_tensorflow()[0]
    steps = tf.shape(x)[1]
    inputs = tf.TensorArray(x.dtype, size=steps).unstack(
        tf.transpose(x, [1, 0, 2, 3])
    )
    outputs = tf.TensorArray(x.dtype, size=steps)

    def body(t, h, outputs):
        h = step(inputs.read(t), h)
        return t + 1, h, outputs.write(t, h)

    _, h, outputs = tf.while_loop(
        lambda t, *_: t < steps, body, (0, initial, outputs)
    )
    return tf.transpose(outputs.stack(), [1, 0, 2, 3]), h


def _simple_rnn_copies(x, kernel, recurrent_kernel, bias, units, state):
    """All copies' ``SimpleRNN`` layers: ``h_t = tanh(x_t W + b + h_{t-1} U)``, as Keras computes it."""
    tf = import_tensorflow()[0]
    projected = tf.einsum("ktbd,kdu->ktbu", x, kernel) + bias[:, None, None, :]
    outputs, h = _loop(
        projected,
        lambda xt, h: tf.tanh(xt + tf.matmul(h, recurrent_kernel)),
        state[0],
    )
    return outputs, (h,)


def _gru_copies(x, kernel, recurrent_kernel, bias, units, state):
    """All copies' ``GRU`` layers, as ``keras.layers.GRU`` computes them (``reset_after=True``):

    ``z = sigmoid(x W_z + b_z + h U_z + c_z)``, ``r = sigmoid(x W_r + b_r + h U_r + c_r)``,
    ``g = tanh(x W_h + b_h + r * (h U_h + c_h))``, ``h' = z * h + (1 - z) * g``; ``bias`` holds
    ``b`` and ``c`` as its two rows (the notation of chapter 9, :mod:`book.gru`).
    """
    tf = import_tensorflow()[0]
    projected = (
        tf.einsum("ktbd,kdg->ktbg", x, kernel) + bias[:, None, None, 0, :]
    )
    recurrent_bias = bias[:, None, 1, :]

    def step(xt, h):
        rec = tf.matmul(h, recurrent_kernel) + recurrent_bias
        x_z, x_r, x_h = tf.split(xt, 3, axis=-1)
        h_z, h_r, h_h = tf.split(rec, 3, axis=-1)
        z = tf.sigmoid(x_z + h_z)
        r = tf.sigmoid(x_r + h_r)
        return z * h + (1 - z) * tf.tanh(x_h + r * h_h)

    outputs, h = _loop(projected, step, state[0])
    return outputs, (h,)


def _squared_errors(layers, x, y):
    """The mean squared error of each copy, shape ``(K,)``; ``y`` has shape ``(K, batch, outputs)``."""
    tf = import_tensorflow()[0]
    return tf.reduce_mean(tf.square(_forward(layers, x)[0] - y), axis=[1, 2])


def _char_losses(layers, x, y, states):
    """Each copy's cross-entropy (nats) at every character, ``(K, batch, steps)``, and the last states."""
    tf = import_tensorflow()[0]
    logits, finals = _forward(
        layers, x, states
    )  # (K, steps, batch, vocabulary)
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.transpose(y, [0, 2, 1]), logits=logits
    )
    return tf.transpose(losses, [0, 2, 1]), finals


class _Adam:
    """Adam for the stacked variables, one learning rate and one clipping per copy."""

    def __init__(self, layers, learning_rates, clipnorm):
        tf = import_tensorflow()[0]
        self.variables = [v for layer in layers for v in layer.weights]
        self.moments = [tf.Variable(tf.zeros_like(v)) for v in self.variables]
        self.squares = [tf.Variable(tf.zeros_like(v)) for v in self.variables]
        self.iterations = tf.Variable(0.0)
        self.rates = tf.constant(np.asarray(learning_rates, dtype=np.float32))
        self.clipnorm = clipnorm

    def apply(self, grads):
        tf = import_tensorflow()[0]

        def per_copy(
            vector, like
        ):  # (K,) -> broadcastable against a variable of shape (K, ...)
            return tf.reshape(vector, [-1] + [1] * (len(like.shape) - 1))

        grads = [
            tf.convert_to_tensor(g) for g in grads
        ]  # an embedding's gradient comes as slices
        # each copy's whole gradient, clipped to norm `clipnorm` on its own
        norms = tf.sqrt(
            tf.add_n(
                [
                    tf.reduce_sum(tf.reshape(g, [g.shape[0], -1]) ** 2, axis=1)
                    for g in grads
                ]
            )
        )
        scale = self.clipnorm / tf.maximum(norms, self.clipnorm)
        self.iterations.assign_add(1.0)
        t = self.iterations
        alpha = self.rates * tf.sqrt(1 - BETA_2**t) / (1 - BETA_1**t)
        for v, g, m, s in zip(
            self.variables, grads, self.moments, self.squares, strict=True
        ):
            g = g * per_copy(scale, g)
            m.assign_add((g - m) * (1 - BETA_1))
            s.assign_add((tf.square(g) - s) * (1 - BETA_2))
            v.assign_sub(per_copy(alpha, v) * m / (tf.sqrt(s) + EPSILON))


def _make_step(layers, learning_rates, clipnorm):
    """The regression training step: one Adam update of every copy, each with its own clipping and rate."""
    tf = import_tensorflow()[0]
    adam = _Adam(layers, learning_rates, clipnorm)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            losses = _squared_errors(layers, x, y)
            total = tf.reduce_sum(losses)
        adam.apply(tape.gradient(total, adam.variables))
        return losses

    return step


def _evaluate(evaluate, x, y, k, chunk=1000):
    """Each copy's mean squared error on the whole of ``(x, y)`` (the same data for every copy);
    ``evaluate`` is the compiled :func:`_squared_errors` of the copies."""
    tf = import_tensorflow()[0]
    total = np.zeros(k)
    for start in range(0, len(x), chunk):
        xb, yb = x[start : start + chunk], y[start : start + chunk]
        losses = evaluate(
            tf.constant(np.broadcast_to(xb, (k, *xb.shape))),
            tf.constant(np.broadcast_to(yb, (k, *yb.shape))),
        )
        total += losses.numpy().astype(np.float64) * len(xb)
    return total / len(x)


def _write_back(layers, models):
    """Give each Keras model its copy's current weights."""
    for copy, model in enumerate(models):
        weights = []
        for layer in layers:
            values = [v[copy].numpy() for v in layer.weights]
            if layer.kind == "lstm":
                n_inputs = values[0].shape[0] - layer.units
                values = list(_block_to_lstm(*values, n_inputs))
            weights.extend(values)
        model.set_weights(weights)


def _check_models(models, learning_rates):
    models = list(models)
    if not models:
        raise ValueError("no models to train")
    rates = np.broadcast_to(
        np.asarray(learning_rates, dtype=np.float64), (len(models),)
    )
    if np.any(rates <= 0):
        raise ValueError(f"learning rates must be positive: {learning_rates}")
    return models, rates


def train_side_by_side(
    models,
    x,
    y,
    validation,
    *,
    learning_rates,
    seeds,
    epochs=20,
    batch_size=64,
    clipnorm=1.0,
    every=None,
    on_snapshot=None,
):
    """Train the Keras ``models`` (same layers, same shapes) side by side on ``(x, y)``.

    Each model is trained from its current weights, with Adam at its own learning rate
    (``learning_rates``: one per model, or one for all), the mean squared error, its whole
    gradient clipped to norm ``clipnorm``, and its own order of batches: every epoch, a
    permutation of the training set drawn from ``numpy.random.default_rng(seed)`` for its
    entry of ``seeds`` (one per model). There is no early stopping: every model gets
    ``epochs`` epochs. After each epoch, each model's loss on ``validation = (x_val, y_val)``
    is measured.

    With ``every`` and ``on_snapshot``, ``on_snapshot(batches_seen)`` is called before the
    first batch and after every ``every`` batches, with every model holding its copy's
    weights of that moment (chapter 6 measures the gates of an LSTM while it learns).

    Returns one :class:`book.models.TrainingRun` per model, in order; each model then holds
    its trained weights. ``seconds`` is the wall time of the whole side-by-side training,
    the same for every run.
    """
    tf = import_tensorflow()[0]
    models, rates = _check_models(models, learning_rates)
    k = len(models)
    seeds = list(seeds)
    if len(seeds) != k:
        raise ValueError(f"{k} models need {k} seeds, got {len(seeds)}")
    x, y = np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.float32)
    if len(x) != len(y):
        raise ValueError(
            f"x and y have different lengths: {len(x)} and {len(y)}"
        )
    x_val, y_val = (np.asarray(a, dtype=np.float32) for a in validation)
    layers = _stack_layers(models)
    step = _make_step(layers, rates, clipnorm)
    evaluate = tf.function(lambda xb, yb: _squared_errors(layers, xb, yb))
    generators = [np.random.default_rng(seed) for seed in seeds]
    x_all, y_all = tf.constant(x), tf.constant(y)
    history = {"loss": [[] for _ in models], "val_loss": [[] for _ in models]}
    batches_seen = 0
    start = time.perf_counter()
    if on_snapshot is not None:
        _write_back(layers, models)
        on_snapshot(0)
    for _ in range(epochs):
        order = np.stack([g.permutation(len(x)) for g in generators])  # (K, n)
        loss_sum = np.zeros(k)
        for first in range(0, len(x), batch_size):
            index = tf.constant(order[:, first : first + batch_size])
            losses = step(tf.gather(x_all, index), tf.gather(y_all, index))
            loss_sum += losses.numpy().astype(np.float64) * index.shape[1]
            batches_seen += 1
            if on_snapshot is not None and batches_seen % every == 0:
                _write_back(layers, models)
                on_snapshot(batches_seen)
        val = _evaluate(evaluate, x_val, y_val, k)
        for copy in range(k):
            history["loss"][copy].append(float(loss_sum[copy] / len(x)))
            history["val_loss"][copy].append(float(val[copy]))
    seconds = time.perf_counter() - start
    _write_back(layers, models)
    return [
        TrainingRun(
            model,
            {"loss": history["loss"][c], "val_loss": history["val_loss"][c]},
            seconds,
        )
        for c, model in enumerate(models)
    ]


def train_language_models(
    models,
    train,
    valid,
    batch_size,
    *,
    learning_rates,
    epochs=1,
    clipnorm=1.0,
    carry_state=True,
):
    """Train character-level language models (:func:`book.text.char_model`, same shapes) side by side.

    The models of chapter 7, trained as :func:`book.text.fit_language_model` trains one:
    ``train`` and ``valid`` are ``(x, y)`` pairs from :func:`book.text.stream_windows` with
    this ``batch_size``; batches are fed in order; with ``carry_state`` each copy's state is
    carried from each batch to the next and reset to zeros at the start of each epoch,
    without it the state is reset before every batch. The loss is the mean cross-entropy of
    the next character; Adam at each model's learning rate, each copy's gradient clipped to
    norm ``clipnorm`` on its own. After each epoch the validation perplexity is measured the
    same way. The copies differ only in their initial weights (their Keras models) and their
    learning rates: the text is the same for all.

    Returns one :class:`book.text.LanguageModelRun` per model; each model then holds its
    trained weights (and a reset state). ``seconds`` is the wall time of the whole training.
    """
    from book.text import LanguageModelRun, reset_state

    tf = import_tensorflow()[0]
    models, rates = _check_models(models, learning_rates)
    k = len(models)
    layers = _stack_layers(models)
    adam = _Adam(layers, rates, clipnorm)

    @tf.function
    def step(x, y, states):
        with tf.GradientTape() as tape:
            losses, finals = _char_losses(layers, x, y, states)
            per_copy = tf.reduce_mean(losses, axis=[1, 2])
            total = tf.reduce_sum(per_copy)
        adam.apply(tape.gradient(total, adam.variables))
        return per_copy, finals

    runs = [LanguageModelRun(model) for model in models]
    x, y = (np.asarray(a) for a in train)
    start = time.perf_counter()
    for _ in range(epochs):
        states = _zero_states(layers, k, batch_size)
        loss_sum = np.zeros(k)
        for first in range(0, len(x), batch_size):
            xb = tf.constant(
                np.broadcast_to(
                    x[first : first + batch_size], (k, batch_size, x.shape[1])
                )
            )
            yb = tf.constant(
                np.broadcast_to(
                    y[first : first + batch_size], (k, batch_size, y.shape[1])
                )
            )
            losses, finals = step(
                xb,
                yb,
                states if carry_state else _zero_states(layers, k, batch_size),
            )
            states = finals
            loss_sum += losses.numpy()
        val = _language_losses(layers, *valid, batch_size, carry_state)
        for copy, run in enumerate(runs):
            run.loss.append(float(loss_sum[copy] / (len(x) // batch_size)))
            run.val_perplexity.append(float(np.exp(val[copy].mean())))
    seconds = time.perf_counter() - start
    _write_back(layers, models)
    for run in runs:
        run.seconds = seconds
        reset_state(run.model)
    return runs


def _language_losses(layers, x, y, batch_size, carry_state):
    """Each copy's cross-entropy (nats) at every target of ``(x, y)``, shape ``(K, *y.shape)``."""
    tf = import_tensorflow()[0]
    k = layers[0].weights[0].shape[0]
    forward = _compiled_char_losses(layers)
    states = _zero_states(layers, k, batch_size)
    parts = []
    for first in range(0, len(x), batch_size):
        xb = tf.constant(
            np.broadcast_to(
                x[first : first + batch_size], (k, batch_size, x.shape[1])
            )
        )
        yb = tf.constant(
            np.broadcast_to(
                y[first : first + batch_size], (k, batch_size, y.shape[1])
            )
        )
        losses, finals = forward(
            xb,
            yb,
            states if carry_state else _zero_states(layers, k, batch_size),
        )
        states = finals
        parts.append(losses.numpy().astype(np.float64))
    return np.concatenate(parts, axis=1)


def _compiled_char_losses(layers):
    tf = import_tensorflow()[0]
    if not hasattr(layers[0], "_char_losses"):
        layers[0]._char_losses = tf.function(
            lambda x, y, states: _char_losses(layers, x, y, states)
        )
    return layers[0]._char_losses


def language_losses(models, x, y, batch_size, *, carry_state=True):
    """The cross-entropy (nats) of every target character of ``(x, y)`` for each of ``models``
    (:func:`book.text.char_model`, same shapes), computed side by side: shape
    ``(len(models), *y.shape)``. As :func:`book.text.char_log_loss` for each model: the state
    starts at zero and is carried from batch to batch, or reset before each batch."""
    models = list(models)
    return _language_losses(
        _stack_layers(models),
        np.asarray(x),
        np.asarray(y),
        batch_size,
        carry_state,
    )
