"""A from-scratch LSTM layer in NumPy, the code of chapter 4 (``ch-lstm_equations``).

Chapter 3 (``ch-lstm_cell``) also uses it, to measure how long a hand-wired cell
keeps a value for a given forget gate.

The forward pass follows the six equations of chapter 4 line by line, in the
chapter's notation. Vectors are rows, as in NumPy and Keras (a batch of them is
a matrix with one row per example), so a weight matrix multiplies from the
right: ``[h_{t-1}, x_t] @ W_f``. Each line that implements an equation names it
in a comment, ``# (eq-forget)`` and so on.

The weights are taken exactly as ``keras.layers.LSTM(...).get_weights()``
returns them, so that the result can be compared with Keras directly:

- ``kernel``, shape ``(n_x, 4 n_h)``: acts on the input ``x_t``;
- ``recurrent_kernel``, shape ``(n_h, 4 n_h)``: acts on the previous hidden state ``h_{t-1}``;
- ``bias``, shape ``(4 n_h,)``;

each holding four blocks of ``n_h`` columns, in Keras' gate order i, f, c, o.

:func:`lstm_backward` is backpropagation through time (BPTT) for the same layer;
:func:`latch_weights` and :func:`latch_inputs` build the hand-wired one-unit
memory whose gates chapter 4 draws as a heatmap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The order of the four blocks of columns in Keras' ``kernel``, ``recurrent_kernel`` and ``bias``:
#: input gate, forget gate, candidate ("c"), output gate.
GATE_ORDER = ("i", "f", "c", "o")


def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), written with tanh so that it never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def check_layer_shapes(
    x, kernel, recurrent_kernel, blocks: int
) -> tuple[int, int]:
    """Return ``(n_x, n_h)`` of a Keras recurrent layer whose weights hold ``blocks`` blocks of
    ``n_h`` columns (4 for the LSTM, 3 for the GRU of :mod:`book.gru`); raise ``ValueError``
    naming ``x``, ``kernel`` or ``recurrent_kernel`` if its shape is wrong."""
    x, kernel, recurrent_kernel = (
        np.asarray(x),
        np.asarray(kernel),
        np.asarray(recurrent_kernel),
    )
    if x.ndim != 3:
        raise ValueError(
            f"x has shape {x.shape}; expected a 3-D array (batch, time, features)"
        )
    n_x = x.shape[2]
    if (
        recurrent_kernel.ndim != 2
        or recurrent_kernel.shape[1] != blocks * recurrent_kernel.shape[0]
    ):
        raise ValueError(
            f"recurrent_kernel has shape {recurrent_kernel.shape}; expected (units, {blocks} * units)"
        )
    n_h = recurrent_kernel.shape[0]
    if kernel.shape != (n_x, blocks * n_h):
        raise ValueError(
            f"kernel has shape {kernel.shape}; expected (features, {blocks} * units) = "
            f"({n_x}, {blocks * n_h}) for x with {n_x} features and {n_h} units"
        )
    return n_x, n_h


def check_shapes(x, kernel, recurrent_kernel, bias) -> tuple[int, int]:
    """Return ``(n_x, n_h)``, or raise ``ValueError`` naming the array whose shape is wrong."""
    n_x, n_h = check_layer_shapes(x, kernel, recurrent_kernel, blocks=4)
    bias = np.asarray(bias)
    if bias.shape != (4 * n_h,):
        raise ValueError(
            f"bias has shape {bias.shape}; expected (4 * units,) = ({4 * n_h},) for {n_h} units"
        )
    return n_x, n_h


def split_keras_weights(kernel, recurrent_kernel, bias):
    """Turn Keras' three arrays into the chapter's W and b, one per gate.

    Returns two dicts keyed "f", "i", "c", "o": ``W[g]`` of shape
    (n_h + n_x, n_h) multiplies [h_{t-1}, x_t], ``b[g]`` has shape (n_h,).
    """
    n_h = np.shape(recurrent_kernel)[0]
    # Rows for h_{t-1} first, then for x_t: the order of [h_{t-1}, x_t].
    stacked = np.concatenate([recurrent_kernel, kernel]).astype(np.float64)
    bias = np.asarray(bias, dtype=np.float64)
    W, b = {}, {}
    for k, gate in enumerate(GATE_ORDER):  # Keras' order: i, f, c, o
        block = slice(k * n_h, (k + 1) * n_h)
        W[gate], b[gate] = stacked[:, block], bias[block]
    return W, b


def lstm_step(x_t, h_prev, c_prev, W, b):
    """One time step: the six equations of chapter 4, in order.

    x_t has shape (batch, n_x), h_prev and c_prev (batch, n_h); W and b
    come from split_keras_weights. Returns h_t, c_t and the activations.
    """
    hx = np.concatenate([h_prev, x_t], axis=1)  # [h_{t-1}, x_t]
    f_t = sigmoid(hx @ W["f"] + b["f"])  # (eq-forget)
    i_t = sigmoid(hx @ W["i"] + b["i"])  # (eq-input)
    c_tilde = np.tanh(hx @ W["c"] + b["c"])  # (eq-candidate)
    c_t = f_t * c_prev + i_t * c_tilde  # (eq-cell)
    o_t = sigmoid(hx @ W["o"] + b["o"])  # (eq-output)
    h_t = o_t * np.tanh(c_t)  # (eq-hidden)
    activations = {"f": f_t, "i": i_t, "c_tilde": c_tilde, "o": o_t}
    return h_t, c_t, activations


@dataclass(frozen=True)
class LSTMTrace:
    """Everything a forward pass computed, each array of shape ``(batch, time, n_h)``.

    ``h`` and ``c`` are the hidden and cell states after each step; ``f``, ``i``,
    ``o`` the gate activations and ``c_tilde`` the candidate. ``x``, ``h0`` and
    ``c0`` are kept for the backward pass.
    """

    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray
    h: np.ndarray
    c: np.ndarray
    f: np.ndarray
    i: np.ndarray
    c_tilde: np.ndarray
    o: np.ndarray


def _initial_state(state, name, batch, n_h):
    """Zeros (Keras' default) or the given state as float64, checked."""
    if state is None:
        return np.zeros((batch, n_h))
    state = np.array(state, dtype=np.float64)
    if state.shape != (batch, n_h):
        raise ValueError(
            f"{name} has shape {state.shape}; expected (batch, units) = {(batch, n_h)}"
        )
    return state


def lstm_forward(x, kernel, recurrent_kernel, bias, h0=None, c0=None):
    """Run the LSTM over x, shape (batch, time, n_x); keep every step.

    The weights are the three arrays of keras.layers.LSTM.get_weights();
    h0 and c0, shape (batch, n_h), default to zeros. Computes in float64.
    """
    _, n_h = check_shapes(x, kernel, recurrent_kernel, bias)
    x = np.asarray(x, dtype=np.float64)
    batch, steps, _ = x.shape
    W, b = split_keras_weights(kernel, recurrent_kernel, bias)
    h = h0 = _initial_state(h0, "h0", batch, n_h)
    c = c0 = _initial_state(c0, "c0", batch, n_h)
    names = ("h", "c", "f", "i", "c_tilde", "o")
    out = {name: np.empty((batch, steps, n_h)) for name in names}
    for t in range(steps):
        h, c, activations = lstm_step(x[:, t], h, c, W, b)
        for name, value in {"h": h, "c": c, **activations}.items():
            out[name][:, t] = value
    return LSTMTrace(x=x, h0=h0, c0=c0, **out)


def keras_lstm_forward(x, kernel, recurrent_kernel, bias):
    """All hidden states, shape (batch, time, units), float64: what
    ``keras.layers.LSTM(units, return_sequences=True)`` with these weights returns.

    ``x`` has shape (batch, time, features); ``kernel``, ``recurrent_kernel`` and
    ``bias`` are the three arrays of ``layer.get_weights()``. Wrong shapes raise
    ``ValueError`` naming the array and the expected shape.
    """
    return lstm_forward(x, kernel, recurrent_kernel, bias).h


@dataclass(frozen=True)
class LSTMGradients:
    """Gradients of a loss with respect to the input and the weights, in Keras' layout."""

    x: np.ndarray
    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray


def lstm_backward(trace, kernel, recurrent_kernel, dh):
    """Backpropagation through time for lstm_forward.

    dh, shape (batch, time, n_h), is the gradient of the loss with respect
    to each hidden state the layer returned. Walks the steps backwards,
    carrying the gradients that reach h_t and c_t from step t + 1.
    Returns the gradients of x and of Keras' three weight arrays.
    """
    dh = np.asarray(dh, dtype=np.float64)
    if dh.shape != trace.h.shape:
        raise ValueError(f"dh has shape {dh.shape}; expected {trace.h.shape}")
    kernel = np.asarray(kernel, dtype=np.float64)
    recurrent_kernel = np.asarray(recurrent_kernel, dtype=np.float64)
    dx = np.zeros_like(trace.x)
    dkernel = np.zeros_like(kernel)
    drecurrent = np.zeros_like(recurrent_kernel)
    dbias = np.zeros(kernel.shape[1])
    dh_next = np.zeros_like(trace.h0)  # reaches h_t from step t + 1
    dc_next = np.zeros_like(trace.c0)  # reaches c_t from step t + 1
    for t in reversed(range(trace.h.shape[1])):
        f, i, o = trace.f[:, t], trace.i[:, t], trace.o[:, t]
        g = trace.c_tilde[:, t]
        c_prev = trace.c[:, t - 1] if t > 0 else trace.c0
        h_prev = trace.h[:, t - 1] if t > 0 else trace.h0
        tanh_c = np.tanh(trace.c[:, t])
        dh_t = dh[:, t] + dh_next
        # (eq-hidden) h = o * tanh(c)
        do = dh_t * tanh_c
        dc = dc_next + dh_t * o * (1.0 - tanh_c**2)
        # (eq-cell) c = f * c_prev + i * c_tilde
        df, di, dg = dc * c_prev, dc * g, dc * i
        dc_next = dc * f
        # through the activations, in Keras' block order i, f, c, o
        da = np.concatenate(
            [
                di * i * (1 - i),
                df * f * (1 - f),
                dg * (1 - g**2),
                do * o * (1 - o),
            ],
            axis=1,
        )
        dkernel += trace.x[:, t].T @ da
        drecurrent += h_prev.T @ da
        dbias += da.sum(axis=0)
        dx[:, t] = da @ kernel.T
        dh_next = da @ recurrent_kernel.T
    return LSTMGradients(
        x=dx, kernel=dkernel, recurrent_kernel=drecurrent, bias=dbias
    )


def latch_weights(sharpness=12.0, forget_bias=6.0):
    """Hand-set weights of a one-unit LSTM that stores a value on request.

    Input per step: [value, write, read]. write = 1 opens the input gate and
    closes the forget gate: the memory becomes tanh(value). write = 0 keeps
    the forget gate at sigmoid(forget_bias), near 1, and the input gate near
    0. read = 1 opens the output gate. The recurrent weights are zero.
    Returns (kernel, recurrent_kernel, bias) in Keras' layout.
    """
    s, fb = sharpness, forget_bias
    kernel = np.array(
        [
            # i   f        c    o         (Keras' gate order)
            [0.0, 0.0, 1.0, 0.0],  # value: the candidate
            [s, -2 * fb, 0.0, 0.0],  # write: opens i, closes f
            [0.0, 0.0, 0.0, s],  # read: opens o
        ]
    )
    bias = np.array([-s / 2, fb, 0.0, -s / 2])
    recurrent_kernel = np.zeros((1, 4))
    return kernel, recurrent_kernel, bias


def latch_inputs(
    steps=24, writes=((2, 0.9), (13, -0.7)), reads=(8, 11, 19, 22), seed=0
):
    """One input sequence for :func:`latch_weights`, shape ``(1, steps, 3)``.

    Every step carries a random distracting value in [-1, 1]; at each step of
    ``writes`` (step, value) the value is the one to store and the write flag is
    1; at each step of ``reads`` the read flag is 1.
    """
    rng = np.random.default_rng(seed)
    x = np.zeros((1, steps, 3))
    x[0, :, 0] = rng.uniform(-1, 1, steps)
    for step, value in writes:
        x[0, step, 0] = value
        x[0, step, 1] = 1.0
    for step in reads:
        x[0, step, 2] = 1.0
    return x


def lstm_param_count(n_x: int, n_h: int) -> int:
    """Trainable parameters of an LSTM layer: four gates, each with an (n_h + n_x, n_h) matrix and a bias."""
    return 4 * (n_h * (n_h + n_x) + n_h)
