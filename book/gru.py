"""A from-scratch GRU layer in NumPy, the GRU of the chapter "Where next" (``ch-where_next``).

It computes exactly what ``keras.layers.GRU`` computes with its defaults
(``reset_after=True``, sigmoid gates, tanh candidate), in the chapter's
notation. Vectors are rows, as in chapter 4's LSTM (:mod:`book.lstm`), so a
weight matrix multiplies from the right. Per step, with ``W`` the input weights,
``U`` the recurrent weights, ``b`` the input bias and ``c`` the recurrent bias:

- update gate:  ``z_t = sigmoid(x_t W_z + b_z + h_{t-1} U_z + c_z)``
- reset gate:   ``r_t = sigmoid(x_t W_r + b_r + h_{t-1} U_r + c_r)``
- candidate:    ``h~_t = tanh(x_t W_h + b_h + r_t * (h_{t-1} U_h + c_h))``
- new state:    ``h_t = z_t * h_{t-1} + (1 - z_t) * h~_t``

The reset gate multiplies the recurrent contribution *after* the matrix
product, bias included ("reset after"); with ``z_t`` near 1 the unit keeps its
old state (Keras' and Cho et al.'s convention; some tutorials swap ``z`` and
``1 - z``).

The weights are taken exactly as
``keras.layers.GRU(units, return_sequences=True).get_weights()`` returns them:

- ``kernel``, shape ``(n_x, 3 n_h)``: acts on the input ``x_t``;
- ``recurrent_kernel``, shape ``(n_h, 3 n_h)``: acts on ``h_{t-1}``;
- ``bias``, shape ``(2, 3 n_h)``: row 0 the input bias ``b``, row 1 the recurrent bias ``c``;

each holding three blocks of ``n_h`` columns, in Keras' order z, r, h.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from book.lstm import _initial_state, check_layer_shapes, sigmoid

#: The order of the three blocks of columns in Keras' GRU weights:
#: update gate, reset gate, candidate ("h").
GATE_ORDER = ("z", "r", "h")


def check_shapes(x, kernel, recurrent_kernel, bias) -> tuple[int, int]:
    """Return ``(n_x, n_h)``, or raise ``ValueError`` naming the array whose shape is wrong."""
    n_x, n_h = check_layer_shapes(x, kernel, recurrent_kernel, blocks=3)
    bias = np.asarray(bias)
    if bias.shape != (2, 3 * n_h):
        raise ValueError(
            f"bias has shape {bias.shape}; expected (2, 3 * units) = (2, {3 * n_h}) "
            f"for {n_h} units (Keras' default reset_after=True: an input and a recurrent bias)"
        )
    return n_x, n_h


@dataclass(frozen=True)
class GRUWeights:
    """Keras' three arrays split per gate, as float64 dicts keyed "z", "r", "h".

    ``W[g]`` (n_x, n_h) multiplies x_t, ``U[g]`` (n_h, n_h) multiplies h_{t-1};
    ``b[g]`` is the input bias and ``c[g]`` the recurrent bias, each (n_h,).
    """

    W: dict
    U: dict
    b: dict
    c: dict


def split_keras_weights(kernel, recurrent_kernel, bias) -> GRUWeights:
    """Cut Keras' ``kernel``, ``recurrent_kernel`` and ``bias`` into the chapter's per-gate pieces."""
    n_h = np.shape(recurrent_kernel)[0]
    kernel = np.asarray(kernel, dtype=np.float64)
    recurrent_kernel = np.asarray(recurrent_kernel, dtype=np.float64)
    bias = np.asarray(bias, dtype=np.float64)
    parts = {"W": {}, "U": {}, "b": {}, "c": {}}
    for k, gate in enumerate(GATE_ORDER):  # Keras' order: z, r, h
        block = slice(k * n_h, (k + 1) * n_h)
        parts["W"][gate] = kernel[:, block]
        parts["U"][gate] = recurrent_kernel[:, block]
        parts["b"][gate] = bias[0, block]  # row 0: input bias
        parts["c"][gate] = bias[1, block]  # row 1: recurrent bias
    return GRUWeights(**parts)


def gru_step(x_t, h_prev, w):
    """One time step of Keras' GRU (reset_after=True).

    x_t has shape (batch, n_x), h_prev (batch, n_h); w comes from
    split_keras_weights. Returns h_t and the activations.
    """
    W, U, b, c = w.W, w.U, w.b, w.c
    # update gate and reset gate
    z_t = sigmoid(x_t @ W["z"] + b["z"] + h_prev @ U["z"] + c["z"])
    r_t = sigmoid(x_t @ W["r"] + b["r"] + h_prev @ U["r"] + c["r"])
    # candidate: r_t scales the recurrent part after the product
    h_tilde = np.tanh(x_t @ W["h"] + b["h"] + r_t * (h_prev @ U["h"] + c["h"]))
    # new state: z_t near 1 keeps the old state
    h_t = z_t * h_prev + (1.0 - z_t) * h_tilde
    return h_t, {"z": z_t, "r": r_t, "h_tilde": h_tilde}


@dataclass(frozen=True)
class GRUTrace:
    """Everything a forward pass computed, each array of shape ``(batch, time, n_h)``.

    ``h`` holds the hidden states after each step, ``z`` and ``r`` the gates,
    ``h_tilde`` the candidates.
    """

    h: np.ndarray
    z: np.ndarray
    r: np.ndarray
    h_tilde: np.ndarray


def gru_forward(x, kernel, recurrent_kernel, bias, h0=None) -> GRUTrace:
    """Run the GRU over x, shape (batch, time, n_x); keep every step.

    The weights are the three arrays of keras.layers.GRU.get_weights();
    h0, shape (batch, n_h), defaults to zeros. Computes in float64.
    """
    _, n_h = check_shapes(x, kernel, recurrent_kernel, bias)
    x = np.asarray(x, dtype=np.float64)
    batch, steps, _ = x.shape
    w = split_keras_weights(kernel, recurrent_kernel, bias)
    h = _initial_state(h0, "h0", batch, n_h)
    out = {
        name: np.empty((batch, steps, n_h))
        for name in ("h", "z", "r", "h_tilde")
    }
    for t in range(steps):
        h, activations = gru_step(x[:, t], h, w)
        for name, value in {"h": h, **activations}.items():
            out[name][:, t] = value
    return GRUTrace(**out)


def keras_gru_forward(x, kernel, recurrent_kernel, bias):
    """All hidden states, shape (batch, time, units), float64: what
    ``keras.layers.GRU(units, return_sequences=True)`` with these weights returns.

    ``x`` has shape (batch, time, features); ``kernel``, ``recurrent_kernel`` and
    ``bias`` are the three arrays of ``layer.get_weights()`` (Keras' defaults,
    ``reset_after=True``). Wrong shapes raise ``ValueError`` naming the array
    and the expected shape.
    """
    return gru_forward(x, kernel, recurrent_kernel, bias).h


def gru_param_count(n_x: int, n_h: int) -> int:
    """Trainable parameters of Keras' GRU layer (reset_after=True): three blocks, each with
    an (n_x, n_h) and an (n_h, n_h) matrix and two biases of length n_h."""
    return 3 * (n_h * (n_h + n_x) + 2 * n_h)
