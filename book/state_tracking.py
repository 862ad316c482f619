"""The state-tracking experiment of chapter 9, section 9.5 ("What the nonlinear recurrence
buys", ``sec-state-tracking``).

Two tasks on the same streams of random bits, with a target at every step:

- :func:`parity_streams`: the parity of all the bits so far (1 if an odd number of them are 1).
  Tracking it means flipping a state at every 1, over the whole stream: a state-tracking task.
- :func:`recent_parity_streams` (the positive control): the parity of the last two bits only.
  The same kind of answer, computed from a fixed window: nothing has to be tracked over the
  whole stream.

Two recurrent layers read them: Keras' ``LSTM`` and :class:`MinLSTM`, a Keras layer computing
the minLSTM of :mod:`book.minlstm` (gates from the input only, normalised, a recurrence linear
in its state) with the same doubling scan as :func:`book.minlstm.linear_recurrence_scan`, in
Keras operations; with ``signed=True`` its transition is stretched to between -1 and 1 (the
chapter's "signed minLSTM"). :func:`side_by_side` builds one Keras model holding several independent
networks (different models, tasks and initial seeds) that read the same batches, so that one
``fit`` trains them all: their losses are summed, and with Adam and per-variable gradient
clipping (``clipnorm``) every network's weights move exactly as if it were trained alone on the
same batches. :func:`accuracy_by_position` scores the trained networks per step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from book.runtime import import_tensorflow


def parity_streams(n: int, steps: int, seed: int):
    """``n`` streams of ``steps`` random bits and their running parity.

    Returns ``x`` of shape (n, steps, 1) and ``y`` (n, steps, 1), float32, with
    ``y[:, t] = (x[:, 0] + ... + x[:, t]) mod 2``.
    """
    if n < 1 or steps < 1:
        raise ValueError(
            f"need n >= 1 and steps >= 1, got n={n}, steps={steps}"
        )
    bits = np.random.default_rng(seed).integers(0, 2, size=(n, steps, 1))
    return bits.astype("float32"), (np.cumsum(bits, axis=1) % 2).astype(
        "float32"
    )


def recent_parity_streams(n: int, steps: int, seed: int, window: int = 2):
    """``n`` streams of ``steps`` random bits and the parity of the last ``window`` bits.

    The target at step t is ``(x[t - window + 1] + ... + x[t]) mod 2`` (the bits before the
    stream counting as 0). Unlike :func:`parity_streams`, it depends on a fixed number of recent
    bits only: no state has to be tracked over the whole stream. Returns float32 ``x`` and ``y``
    of shape (n, steps, 1).
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    x, running = parity_streams(n, steps, seed)
    before = np.concatenate(
        [np.zeros_like(running[:, :window]), running[:, :-window]], axis=1
    )[:, :steps]
    return x, (running != before).astype("float32")


def _keras():
    return import_tensorflow()[1]


def min_lstm_layer_class():
    """The Keras layer class :class:`MinLSTM` (built on first use, so that importing this
    module does not import Keras)."""
    global MinLSTM
    if MinLSTM is not None:
        return MinLSTM
    keras = _keras()
    ops = keras.ops

    class _MinLSTM(keras.layers.Layer):
        """A minLSTM layer returning its state at every step, shape (batch, time, units).

        ``kernel`` (n_x, 3 units) and ``bias`` (3 units,) hold the blocks f, i, h, as in
        :mod:`book.minlstm`. The recurrence is run by the doubling scan, with
        ``ceil(log2 max_length)`` rounds: sequences up to ``max_length`` steps.

        With ``signed=True`` the transition is ``a_t = 2 f'_t - 1``, between -1 and 1 instead
        of between 0 and 1 (the change Grazzi et al., 2025, propose): the state can be turned
        over, as parity needs; everything else is the minLSTM's.
        """

        def __init__(
            self, units, max_length=1024, seed=None, signed=False, **kwargs
        ):
            super().__init__(**kwargs)
            self.signed = bool(signed)
            self.units = int(units)
            self.max_length = int(max_length)
            self.seed = seed
            self.rounds = max(0, math.ceil(math.log2(self.max_length)))

        def build(self, input_shape):
            n_x = input_shape[-1]
            init = keras.initializers.GlorotUniform(seed=self.seed)
            self.kernel = self.add_weight(
                shape=(n_x, 3 * self.units), initializer=init, name="kernel"
            )
            self.bias = self.add_weight(
                shape=(3 * self.units,), initializer="zeros", name="bias"
            )

        def call(self, x):
            z = ops.matmul(x, self.kernel) + self.bias
            f = ops.sigmoid(z[..., : self.units])
            i = ops.sigmoid(z[..., self.units : 2 * self.units])
            h_tilde = z[..., 2 * self.units :]
            a, b = (
                f / (f + i),
                i / (f + i) * h_tilde,
            )  # h_t = a_t h_{t-1} + b_t, h_0 = 0
            if self.signed:
                a = 2.0 * a - 1.0
            steps = x.shape[
                1
            ]  # known when Keras traces a fit or predict on arrays
            rounds = (
                self.rounds
                if steps is None
                else max(0, math.ceil(math.log2(steps)))
            )
            shift = 1
            for _ in range(
                rounds
            ):  # the doubling scan of book.minlstm.linear_recurrence_scan
                # the composition ending `shift` steps earlier; the identity (1, 0) before the start
                pad = [[0, 0], [shift, 0], [0, 0]]
                a_before = ops.pad(a[:, :-shift], pad, constant_values=1.0)
                b_before = ops.pad(b[:, :-shift], pad)
                a, b = a * a_before, a * b_before + b
                shift *= 2
            return b  # with h_0 = 0, h_t = B_t

        def compute_output_shape(self, input_shape):
            return (*input_shape[:-1], self.units)

        def get_config(self):
            return {
                **super().get_config(),
                "units": self.units,
                "max_length": self.max_length,
                "seed": self.seed,
                "signed": self.signed,
            }

    MinLSTM = _MinLSTM
    return MinLSTM


#: Set by :func:`min_lstm_layer_class` on first use.
MinLSTM = None


@dataclass(frozen=True)
class Branch:
    """One network of a side-by-side model: which recurrent layer, how wide, on which task, from
    which initial seed."""

    kind: str  # "LSTM", "minLSTM" or "signedMinLSTM"
    units: int
    task: str  # "parity" or "recent"
    seed: int

    @property
    def name(self) -> str:
        return f"{self.kind}_{self.task}_{self.seed}"


def _branch_output(branch: Branch, inputs, head_units: int, max_length: int):
    keras = _keras()
    init = {
        "kernel_initializer": keras.initializers.GlorotUniform(
            seed=branch.seed
        )
    }
    if branch.kind == "LSTM":
        recurrent = keras.layers.LSTM(
            branch.units,
            return_sequences=True,
            name=f"{branch.name}_recurrent",
            recurrent_initializer=keras.initializers.Orthogonal(
                seed=branch.seed + 1
            ),
            **init,
        )
    elif branch.kind in ("minLSTM", "signedMinLSTM"):
        recurrent = min_lstm_layer_class()(
            branch.units,
            max_length=max_length,
            seed=branch.seed,
            signed=branch.kind == "signedMinLSTM",
            name=f"{branch.name}_recurrent",
        )
    else:
        raise ValueError(
            "kind must be 'LSTM', 'minLSTM' or 'signedMinLSTM', "
            f"got {branch.kind!r}"
        )
    states = recurrent(inputs)
    hidden = keras.layers.Dense(
        head_units, activation="relu", name=f"{branch.name}_head", **init
    )(states)
    return keras.layers.Dense(1, name=branch.name, **init)(
        hidden
    )  # a logit per step


def side_by_side(
    branches, n_features: int = 1, head_units: int = 32, max_length: int = 1024
):
    """One Keras model holding every network of ``branches``, independent of one another.

    All of them read the same input, streams with ``n_features`` features per step; the model
    has one output (a logit per step) per branch, in the order of ``branches``, named after the
    branch. Each network is a recurrent layer, ``Dense(head_units, relu)`` and ``Dense(1)``.
    """
    keras = _keras()
    names = [b.name for b in branches]
    if len(set(names)) != len(names):
        raise ValueError(f"two branches share a name: {names}")
    inputs = keras.Input((None, n_features), name="streams")
    outputs = [
        _branch_output(branch, inputs, head_units, max_length)
        for branch in branches
    ]
    return keras.Model(inputs, outputs)


def _targets(branches, targets):
    missing = sorted({b.task for b in branches} - set(targets))
    if missing:
        raise ValueError(f"targets has no entry for task(s) {missing}")
    return [targets[b.task] for b in branches]


def train_side_by_side(
    model,
    branches,
    x,
    targets,
    *,
    epochs,
    batch_size=64,
    learning_rate=1e-2,
    clipnorm=1.0,
    seed=0,
):
    """Fit a :func:`side_by_side` model on the streams ``x``, each branch on ``targets[task]``,
    binary cross-entropy on its logits; the losses are summed.

    Adam at ``learning_rate`` with ``clipnorm`` (each weight's gradient clipped on its own,
    so that the branches stay independent). The order in which the streams are shuffled into
    batches is fixed by ``seed``. Returns each output's loss after every epoch.
    """
    keras = _keras()
    keras.utils.set_random_seed(seed)  # the shuffling, whatever ran before
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=clipnorm),
        loss=[keras.losses.BinaryCrossentropy(from_logits=True)]
        * len(branches),
        jit_compile=False,
    )
    fit = model.fit(
        x,
        _targets(branches, targets),
        epochs=epochs,
        batch_size=batch_size,
        verbose=0,
    )
    return {k: [float(v) for v in vs] for k, vs in fit.history.items()}


def accuracy_by_position(model, branches, x, targets, batch_size=100):
    """Per-step accuracy of every branch: ``{branch name: array of shape (steps,)}``, the
    fraction of streams whose prediction (logit > 0) matches the target at each step."""
    logits = model.predict(x, batch_size=batch_size, verbose=0)
    if len(branches) == 1:
        logits = [logits]
    return {
        b.name: ((np.asarray(out) > 0) == (y > 0.5)).mean(axis=(0, 2))
        for b, out, y in zip(
            branches, logits, _targets(branches, targets), strict=True
        )
    }


def bit_transitions(model, branches) -> dict[str, np.ndarray]:
    """The transitions of the minLSTM networks of a :func:`side_by_side` model: for each
    branch of ``branches`` with a minLSTM layer (signed or not), an array of shape (2, units),
    every unit's ``a_t`` after a 0 bit (row 0) and after a 1 bit (row 1).

    A minLSTM's ``a_t`` depends on the input ``x_t`` only, so on streams of bits each unit has
    just these two transitions (signed layers: ``2 f'_t - 1``, computed by
    :func:`book.minlstm.minlstm_coefficients` from the layer's weights)."""
    from book.minlstm import minlstm_coefficients

    bits = np.array([[[0.0], [1.0]]])  # one stream: a 0, then a 1
    found = {}
    for branch in branches:
        if branch.kind not in ("minLSTM", "signedMinLSTM"):
            continue
        layer = model.get_layer(f"{branch.name}_recurrent")
        weights = (np.asarray(w) for w in layer.get_weights())
        a, _ = minlstm_coefficients(bits, *weights)
        found[branch.name] = 2.0 * a[0] - 1.0 if layer.signed else a[0]
    return found


#: How far from 0 both transitions of a unit must be for it to count as doing parity's flip.
FLIP_THRESHOLD = 0.5


def parity_flippers(transitions: np.ndarray) -> np.ndarray:
    """Which units of one network (``transitions`` of shape (2, units), from
    :func:`bit_transitions`) do parity's flip: keep the sign of the state after a 0
    (``a(0) > FLIP_THRESHOLD``) and turn it over after a 1 (``a(1) < -FLIP_THRESHOLD``).
    A boolean array of shape (units,)."""
    a = np.asarray(transitions)
    return (a[0] > FLIP_THRESHOLD) & (a[1] < -FLIP_THRESHOLD)
