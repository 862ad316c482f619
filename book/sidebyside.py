"""Train several independent copies of a small Keras network at once: chapters 5 and 6.

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

The networks may be made of ``Flatten``, ``Dense`` (no activation), ``SimpleRNN`` (``tanh``) and
``LSTM`` layers with Keras' default activations (what :func:`book.models.linear_forecaster`,
:func:`book.models.recurrent_forecaster` and :func:`book.models.adding_model` build). The LSTM
layers run on TensorFlow's fused LSTM kernel (``BlockLSTM``), which computes a whole sequence
in one operation with Keras' equations (its gate blocks come in another order, and its own
forget bias is set to 0: Keras' is part of the bias vector). Not ``BlockLSTMV2``, whose
registered gradient (TensorFlow 2.21) is that of ``BlockLSTM`` and assumes the other gate
order. The ``SimpleRNN`` layers of all copies run in one loop over the steps, with batched
matrix products.
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

    kind: str  # "flatten", "dense", "simple", "lstm"
    weights: list  # tf.Variables, shape (K, ...)
    return_sequences: bool = False
    units: int = 0


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
    return np.r_[0:u, 2 * u : 3 * u, u : 2 * u, 3 * u : 4 * u]  # swapping two blocks: its own inverse


def _lstm_to_block(kernel, recurrent_kernel, bias):
    """Keras' LSTM weights as BlockLSTM's ``w`` (input rows, then recurrent rows) and ``b``."""
    order = _gate_order(recurrent_kernel.shape[0])
    return np.concatenate([kernel, recurrent_kernel], axis=0)[:, order], bias[order]


def _block_to_lstm(w, b, n_inputs):
    """The inverse of :func:`_lstm_to_block`: ``(kernel, recurrent_kernel, bias)`` in Keras' layout."""
    order = _gate_order(w.shape[1] // 4)
    w, b = w[:, order], b[order]
    return w[:n_inputs], w[n_inputs:], b


def _stack_layers(models):
    """Check that the models have the same supported layers and stack their weights into variables."""
    tf, keras = import_tensorflow()
    first = models[0]
    layers = []
    for position, layer in enumerate(first.layers):
        peers = [m.layers[position] for m in models]
        if any(type(p) is not type(layer) for p in peers) or any(
            [w.shape for w in p.get_weights()] != [w.shape for w in layer.get_weights()] for p in peers
        ):
            raise ValueError(
                f"the models differ at layer {position} ({layer.name!r}): they must have the same shape"
            )
        weights = [p.get_weights() for p in peers]
        if isinstance(layer, keras.layers.Flatten):
            layers.append(_Layer("flatten", []))
        elif isinstance(layer, keras.layers.Dense):
            _plain(layer, {"activation": "linear", "use_bias": True})
            layers.append(_Layer("dense", [tf.Variable(np.stack(w)) for w in zip(*weights, strict=True)]))
        elif isinstance(layer, keras.layers.SimpleRNN):
            _plain(
                layer,
                {"activation": "tanh", "use_bias": True, "go_backwards": False, "stateful": False,
                 "dropout": 0, "recurrent_dropout": 0},
            )  # fmt: skip
            stacked = [tf.Variable(np.stack(w)) for w in zip(*weights, strict=True)]
            layers.append(_Layer("simple", stacked, layer.return_sequences, layer.units))
        elif isinstance(layer, keras.layers.LSTM):
            _plain(
                layer,
                {"activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True,
                 "go_backwards": False, "stateful": False, "dropout": 0, "recurrent_dropout": 0},
            )  # fmt: skip
            blocks = [_lstm_to_block(*w) for w in weights]
            stacked = [
                tf.Variable(np.stack([b[0] for b in blocks])),
                tf.Variable(np.stack([b[1] for b in blocks])),
            ]
            layers.append(_Layer("lstm", stacked, layer.return_sequences, layer.units))
        else:
            raise ValueError(
                f"layer {layer.name!r} ({type(layer).__name__}) is not supported by train_side_by_side "
                "(Flatten, Dense, SimpleRNN and LSTM are)"
            )
    return layers


def _forward(layers, x):
    """The copies' outputs for inputs ``x`` of shape ``(K, batch, steps, features)``: ``(K, batch, outputs)``."""
    tf = import_tensorflow()[0]
    k = x.shape[0]
    h = tf.transpose(x, [0, 2, 1, 3])  # time-major within each copy: (K, steps, batch, features)
    sequence = True  # whether h still has a time axis
    for layer in layers:
        if layer.kind == "flatten":
            h = tf.reshape(tf.transpose(h, [0, 2, 1, 3]), [k, tf.shape(h)[2], -1])
            sequence = False
        elif layer.kind == "dense":
            kernel, bias = layer.weights
            if sequence:
                h = tf.einsum("ktbd,kdo->ktbo", h, kernel) + bias[:, None, None, :]
            else:
                h = tf.einsum("kbd,kdo->kbo", h, kernel) + bias[:, None, :]
        elif layer.kind == "lstm":
            h = _lstm_copies(h, *layer.weights, layer.units)
            if not layer.return_sequences:
                h, sequence = h[:, -1], False
        elif layer.kind == "simple":
            h = _simple_rnn_copies(h, *layer.weights, layer.units)
            if not layer.return_sequences:
                h, sequence = h[:, -1], False
    return h


def _lstm_copies(x, w, b, units):
    """Each copy's LSTM layer over its own sequences, with the fused kernel: ``(K, steps, batch, units)``."""
    tf = import_tensorflow()[0]
    steps, batch = tf.shape(x)[1], tf.shape(x)[2]
    zero_state = tf.zeros([batch, units])
    no_peephole = tf.zeros([units])
    outputs = []
    for copy in range(x.shape[0]):
        result = tf.raw_ops.BlockLSTM(
            seq_len_max=tf.cast(steps, tf.int64),
            x=x[copy],
            cs_prev=zero_state,
            h_prev=zero_state,
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
    return tf.stack(outputs)


def _simple_rnn_copies(x, kernel, recurrent_kernel, bias, units):
    """All copies' ``SimpleRNN`` layers in one loop over the steps: ``(K, steps, batch, units)``."""
    tf = import_tensorflow()[0]
    k, steps, batch = x.shape[0], tf.shape(x)[1], tf.shape(x)[2]
    inputs = tf.einsum("ktbd,kdu->tkbu", x, kernel) + bias[None, :, None, :]
    inputs = tf.TensorArray(x.dtype, size=steps).unstack(inputs)
    outputs = tf.TensorArray(x.dtype, size=steps)

    def step(t, h, outputs):
        h = tf.tanh(inputs.read(t) + tf.matmul(h, recurrent_kernel))
        return t + 1, h, outputs.write(t, h)

    h = tf.zeros([k, batch, units], dtype=x.dtype)
    _, _, outputs = tf.while_loop(lambda t, *_: t < steps, step, (0, h, outputs))
    return tf.transpose(outputs.stack(), [1, 0, 2, 3])


def _copy_losses(layers, x, y):
    """The mean squared error of each copy, shape ``(K,)``; ``y`` has shape ``(K, batch, outputs)``."""
    tf = import_tensorflow()[0]
    return tf.reduce_mean(tf.square(_forward(layers, x) - y), axis=[1, 2])


def _make_step(layers, learning_rates, clipnorm):
    """The training step: one Adam update of every copy, each with its own clipping and rate."""
    tf = import_tensorflow()[0]
    variables = [v for layer in layers for v in layer.weights]
    moments = [tf.Variable(tf.zeros_like(v)) for v in variables]
    squares = [tf.Variable(tf.zeros_like(v)) for v in variables]
    iterations = tf.Variable(0.0)
    rates = tf.constant(np.asarray(learning_rates, dtype=np.float32))

    def per_copy(vector, like):  # (K,) -> broadcastable against a variable of shape (K, ...)
        return tf.reshape(vector, [-1] + [1] * (len(like.shape) - 1))

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            losses = _copy_losses(layers, x, y)
            total = tf.reduce_sum(losses)
        grads = tape.gradient(total, variables)
        # each copy's whole gradient, clipped to norm `clipnorm` on its own
        norms = tf.sqrt(
            tf.add_n([tf.reduce_sum(tf.reshape(g, [g.shape[0], -1]) ** 2, axis=1) for g in grads])
        )
        scale = clipnorm / tf.maximum(norms, clipnorm)
        iterations.assign_add(1.0)
        alpha = rates * tf.sqrt(1 - BETA_2**iterations) / (1 - BETA_1**iterations)
        for v, g, m, s in zip(variables, grads, moments, squares, strict=True):
            g = g * per_copy(scale, g)
            m.assign_add((g - m) * (1 - BETA_1))
            s.assign_add((tf.square(g) - s) * (1 - BETA_2))
            v.assign_sub(per_copy(alpha, v) * m / (tf.sqrt(s) + EPSILON))
        return losses

    return step


def _evaluate(evaluate, x, y, k, chunk=1000):
    """Each copy's mean squared error on the whole of ``(x, y)`` (the same data for every copy);
    ``evaluate`` is the compiled :func:`_copy_losses` of the copies."""
    tf = import_tensorflow()[0]
    total = np.zeros(k)
    for start in range(0, len(x), chunk):
        xb, yb = x[start : start + chunk], y[start : start + chunk]
        losses = evaluate(
            tf.constant(np.broadcast_to(xb, (k, *xb.shape))), tf.constant(np.broadcast_to(yb, (k, *yb.shape)))
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
    models = list(models)
    k = len(models)
    if k == 0:
        raise ValueError("no models to train")
    rates = np.broadcast_to(np.asarray(learning_rates, dtype=np.float64), (k,))
    if np.any(rates <= 0):
        raise ValueError(f"learning rates must be positive: {learning_rates}")
    seeds = list(seeds)
    if len(seeds) != k:
        raise ValueError(f"{k} models need {k} seeds, got {len(seeds)}")
    x, y = np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.float32)
    if len(x) != len(y):
        raise ValueError(f"x and y have different lengths: {len(x)} and {len(y)}")
    x_val, y_val = (np.asarray(a, dtype=np.float32) for a in validation)
    layers = _stack_layers(models)
    step = _make_step(layers, rates, clipnorm)
    evaluate = tf.function(lambda xb, yb: _copy_losses(layers, xb, yb))
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
        TrainingRun(model, {"loss": history["loss"][c], "val_loss": history["val_loss"][c]}, seconds)
        for c, model in enumerate(models)
    ]
