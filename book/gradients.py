"""How far back a gradient reaches: the measurements of chapter 2 and section 4.10.

Chapter 2 ("Recurrent networks and their limits", ``02_rnn_limits``) measures, for a
recurrent layer, how strongly its last hidden state :math:`h_T` depends on the input it
saw :math:`k` steps earlier, by backpropagating with ``tf.GradientTape``.
Plotted against the lag :math:`k` on a log scale, the norms show gradients that
vanish or explode, depending on the spectral radius of the recurrent weights.
Section 2.6 (``02_clipping``) runs Adam's update on made-up gradients
(:func:`adam_step_lengths`); section 4.10 (``04_lstm_gradients``) measures an
LSTM the same way and separates the path along its cell state
(:func:`lstm_gradient_paths`).

- :func:`spectral_radius` -- the largest eigenvalue modulus of a square matrix;
- :func:`set_spectral_radius` -- rescale a ``SimpleRNN``'s recurrent kernel to a chosen radius;
- :func:`set_forget_bias` -- set the forget-gate bias of an ``LSTM`` layer;
- :func:`gradient_norms_by_lag` -- the gradient norm at every lag;
- :func:`per_step_factor` -- the average factor by which the norm changes per step.
"""

from __future__ import annotations

import numpy as np


def spectral_radius(matrix) -> float:
    """Return the largest modulus of the eigenvalues of a square ``matrix``."""
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"expected a square matrix, got shape {matrix.shape}")
    return float(np.max(np.abs(np.linalg.eigvals(matrix))))


def _cell(layer):
    """The cell of a Keras RNN layer (or the object itself if it is a cell)."""
    return getattr(layer, "cell", layer)


def set_spectral_radius(layer, radius: float) -> float:
    """Scale the recurrent kernel W_h of a built SimpleRNN to `radius`.

    W_h is multiplied by one number, so that its spectral radius becomes
    `radius` and its eigenvectors are kept (for the orthogonal matrix Keras
    starts from, all singular values stay equal, to `radius`).
    Returns the spectral radius it had before.
    """
    if radius < 0:
        raise ValueError("a spectral radius cannot be negative")
    kernel = _cell(layer).recurrent_kernel
    weights = np.asarray(kernel.numpy(), dtype=np.float64)
    before = spectral_radius(weights)
    if before == 0:
        raise ValueError("a zero recurrent kernel cannot be rescaled")
    kernel.assign((weights * (radius / before)).astype(kernel.dtype))
    return before


def set_forget_bias(layer, value: float) -> None:
    """Set every forget-gate bias of a built Keras LSTM layer to `value`.

    Keras stores the four gates' biases side by side in the order
    input, forget, candidate, output; the forget gate is the second block.
    """
    cell = _cell(layer)
    units = cell.units
    bias = cell.bias.numpy()
    bias[units : 2 * units] = value
    cell.bias.assign(bias)


def gradient_norms_by_lag(layer_or_model, inputs) -> np.ndarray:
    """Gradient norm of the last hidden state w.r.t. every earlier input.

    inputs: array of shape (batch, T, features).
    Returns norms, shape (T,): norms[k] is the norm of ds/dx_{T-k}, where
    s is the sum of the units of the last hidden state h_T, averaged over
    the batch. norms[0] belongs to the last input, norms[T-1] to the first.
    """
    from book.runtime import import_tensorflow

    tf, _ = import_tensorflow()
    x = tf.convert_to_tensor(np.asarray(inputs, dtype=np.float32))
    if x.shape.rank != 3:
        raise ValueError(f"need (batch, T, features), got {tuple(x.shape)}")
    with tf.GradientTape() as tape:
        tape.watch(x)
        outputs = layer_or_model(x)
        if isinstance(outputs, (list, tuple)):  # return_state=True
            outputs = outputs[0]
        if outputs.shape.rank == 3:  # return_sequences=True: last step
            outputs = outputs[:, -1, :]
        s = tf.reduce_sum(outputs)  # a scalar, as a loss would be
    grads = tape.gradient(s, x).numpy()  # (batch, T, features)
    # float64: squaring a float32 gradient of 1e-20 would round it to 0
    per_step = np.linalg.norm(grads.astype(np.float64), axis=2).mean(axis=0)
    return per_step[::-1].copy()  # index: lag k instead of time step t


def per_step_factor(norms, lag: int) -> float:
    """The geometric-mean factor by which ``norms`` changes per step between lag 0 and ``lag``.

    A value below 1 means the gradient shrinks as it travels back in time, above 1
    that it grows: ``norms[lag] == norms[0] * per_step_factor(norms, lag) ** lag``.
    """
    norms = np.asarray(norms, dtype=np.float64)
    if not 0 < lag < len(norms):
        raise ValueError(f"lag must be between 1 and {len(norms) - 1}")
    if norms[0] <= 0 or norms[lag] <= 0:
        raise ValueError(
            "norms must be positive to compare them on a log scale"
        )
    return float((norms[lag] / norms[0]) ** (1.0 / lag))


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def scientific(value: float, digits: int = 2) -> str:
    """Format a number for prose: ``scientific(1.4e-5)`` is ``'1.4 × 10⁻⁵'`` (``digits`` significant digits).

    Numbers between 0.01 and 1000 are written plainly (``'0.73'``, ``'550'``).
    """
    value = float(value)
    if value == 0 or not np.isfinite(value):
        return str(value)
    exponent = int(np.floor(np.log10(abs(value))))
    mantissa = value / 10.0**exponent
    if round(abs(mantissa), digits - 1) >= 10:  # 9.99 rounds up to 10.0
        mantissa /= 10
        exponent += 1
    if -2 <= exponent <= 2:
        decimals = digits - 1 - exponent
        return f"{round(value, decimals):.{max(decimals, 0)}f}"
    return f"{mantissa:.{digits - 1}f} × 10{str(exponent).translate(_SUPERSCRIPT)}"


def lstm_gradient_paths(layer, inputs, *, belt_only: bool = False):
    """Section 4.10: an LSTM layer's gradient by lag, and its forget gates.

    Re-runs the built Keras LSTM ``layer`` step by step with its own
    weights. With belt_only=True no gradient flows through h_{t-1} into
    the gates and the candidate (tf.stop_gradient): what is left is the
    path along the cell state, where each step multiplies the gradient
    by the forget gate f_t, plus the local paths from x_{T-k} into
    c_{T-k} and from c_T into h_T.

    Returns (norms, forget): norms as gradient_norms_by_lag (index =
    lag), and forget, shape (batch, T, units), the forget gates of the
    forward pass (the same with or without belt_only).
    """
    from book.runtime import import_tensorflow

    tf, _ = import_tensorflow()
    cell = _cell(layer)
    kernel = tf.constant(cell.kernel.numpy())
    recurrent = tf.constant(cell.recurrent_kernel.numpy())
    bias = tf.constant(cell.bias.numpy())
    x = tf.convert_to_tensor(np.asarray(inputs, dtype=np.float32))
    if x.shape.rank != 3:
        raise ValueError(f"need (batch, T, features), got {tuple(x.shape)}")
    batch, steps = x.shape[0], x.shape[1]
    units = cell.units
    forget = []
    with tf.GradientTape() as tape:
        tape.watch(x)
        h = tf.zeros((batch, units))
        c = tf.zeros((batch, units))
        for t in range(steps):
            h_in = tf.stop_gradient(h) if belt_only else h
            z = x[:, t] @ kernel + h_in @ recurrent + bias
            i, f, g, o = tf.split(z, 4, axis=1)  # Keras' gate order
            i, f, o = tf.sigmoid(i), tf.sigmoid(f), tf.sigmoid(o)
            c = f * c + i * tf.tanh(g)
            h = o * tf.tanh(c)
            forget.append(f)
        s = tf.reduce_sum(h)
    grads = tape.gradient(s, x).numpy().astype(np.float64)
    per_step = np.linalg.norm(grads, axis=2).mean(axis=0)
    forget = np.stack([f.numpy() for f in forget], axis=1).astype(np.float64)
    return per_step[::-1].copy(), forget


def jacobian_product_norms(W_h, states) -> np.ndarray:
    """Chapter 2: the norm of the product of the step Jacobians ``D_t W_h`` along ``states``.

    ``states``, shape (k, n), are the hidden states h_1 ... h_k of a tanh RNN;
    ``D_t = diag(1 - h_t**2)``. Returns the norms (largest singular values) of
    ``D_k W_h ... D_1 W_h`` for the products of 1, 2, ..., k factors.
    """
    W_h = np.asarray(W_h, dtype=np.float64)
    states = np.asarray(states, dtype=np.float64)
    if (
        W_h.ndim != 2
        or W_h.shape[0] != W_h.shape[1]
        or states.ndim != 2
        or states.shape[1] != W_h.shape[0]
    ):
        raise ValueError(
            f"need a square W_h (n, n) and states (k, n); got {W_h.shape} and {states.shape}"
        )
    product = np.eye(W_h.shape[0])
    norms = []
    for h in states:
        product = np.diag(1.0 - h**2) @ W_h @ product
        norms.append(np.linalg.norm(product, 2))
    return np.array(norms)


def adam_step_lengths(
    gradients,
    learning_rate=1e-3,
    *,
    global_clipnorm=None,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-7,
) -> np.ndarray:
    """Section 2.6: how far Adam moves the weights at each step of a sequence of gradients.

    ``gradients`` is a sequence of flat gradient vectors (one per step). Each is
    first clipped to global norm ``global_clipnorm`` (if given), then used in
    Adam's update exactly as ``keras.optimizers.Adam`` computes it (moment
    estimates ``m`` and ``v``, bias correction, ``epsilon`` added to
    :math:`\\sqrt{v}`). Returns the length of every step, shape (steps,).
    """
    m = v = None
    lengths = []
    for k, g in enumerate(gradients, start=1):
        g = np.asarray(g, dtype=np.float64).ravel()
        if global_clipnorm is not None:
            norm = np.linalg.norm(g)
            if norm > global_clipnorm:
                g = g * (global_clipnorm / norm)
        if m is None:
            m, v = np.zeros_like(g), np.zeros_like(g)
        m = m + (g - m) * (1 - beta_1)
        v = v + (g**2 - v) * (1 - beta_2)
        alpha = learning_rate * np.sqrt(1 - beta_2**k) / (1 - beta_1**k)
        lengths.append(np.linalg.norm(alpha * m / (np.sqrt(v) + epsilon)))
    return np.array(lengths)
