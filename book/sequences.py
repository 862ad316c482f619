"""Small sequence examples and two toy models: the code of chapter 1 (``01_sequences``).

Chapter 1 ("Sequences in machine learning") shows three kinds of sequential
data and why a model that looks at the elements of a sequence independently
cannot use their order, while a recurrent computation can. Everything here is
plain NumPy, so the chapter needs no deep-learning framework.

- data: :func:`encode_text`, :func:`one_hot_dna`, :func:`noisy_sine`,
  :func:`autocorrelation`;
- models: :class:`BagOfValues` (a feedforward network applied to every element,
  then averaged) and :class:`TinyRNN` (one recurrent layer of ``tanh`` units).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The four DNA bases, in the order of the one-hot columns.
BASES = "ACGT"


def encode_text(tokens, vocabulary=None):
    """Map a sequence of tokens (characters of a string, or words in a list) to integer ids.

    Returns ``(ids, vocabulary)``; without a ``vocabulary`` one is made from the
    sorted distinct tokens, so the same tokens always get the same ids.
    """
    tokens = list(tokens)
    if vocabulary is None:
        vocabulary = sorted(set(tokens))
    index = {token: i for i, token in enumerate(vocabulary)}
    return np.array([index[token] for token in tokens], dtype=np.int64), list(
        vocabulary
    )


def one_hot_dna(sequence: str) -> np.ndarray:
    """One-hot encode a DNA string: shape ``(len(sequence), 4)``, columns in the order A, C, G, T."""
    sequence = sequence.upper()
    unknown = set(sequence) - set(BASES)
    if unknown:
        raise ValueError(f"not DNA bases: {sorted(unknown)}")
    out = np.zeros((len(sequence), len(BASES)))
    out[np.arange(len(sequence)), [BASES.index(b) for b in sequence]] = 1.0
    return out


def noisy_sine(
    n_steps: int, period: float = 25.0, noise: float = 0.2, seed: int = 0
) -> np.ndarray:
    """A sine wave of the given period (in steps) plus Gaussian noise: a toy time series."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps)
    return np.sin(2 * np.pi * t / period) + noise * rng.normal(size=n_steps)


def autocorrelation(series, lag: int = 1) -> float:
    """Correlation between the series and itself shifted by ``lag`` steps (1 = perfectly predictable trend)."""
    series = np.asarray(series, dtype=np.float64)
    if not 0 < lag < len(series) - 1:
        raise ValueError(
            "lag must be at least 1 and leave two pairs to correlate"
        )
    return float(np.corrcoef(series[:-lag], series[lag:])[0, 1])


@dataclass
class BagOfValues:
    """A feedforward network that sees a sequence one element at a time.

    Every element :math:`x_t` (a vector) goes through the same hidden layer,
    :math:`z_t = \\mathrm{relu}(W x_t + b)`; the hidden vectors are averaged over
    the sequence and a linear read-out gives one number. Each element is
    processed independently of its neighbours, so the output is the same for
    any reordering of the elements.
    """

    W: np.ndarray  # (hidden, features)
    b: np.ndarray  # (hidden,)
    v: np.ndarray  # (hidden,)

    @classmethod
    def random(
        cls, features: int, hidden: int = 8, seed: int = 0
    ) -> BagOfValues:
        rng = np.random.default_rng(seed)
        return cls(
            W=rng.normal(size=(hidden, features)),
            b=rng.normal(size=hidden),
            v=rng.normal(size=hidden) / np.sqrt(hidden),
        )

    def __call__(self, sequence) -> float:
        x = np.asarray(sequence, dtype=np.float64)
        if x.ndim == 1:  # a sequence of scalars
            x = x[:, None]
        hidden = np.maximum(
            x @ self.W.T + self.b, 0.0
        )  # (T, hidden), one row per element
        return float(np.mean(hidden, axis=0) @ self.v)


@dataclass
class TinyRNN:
    """One recurrent layer: :math:`h_t = \\tanh(W_h h_{t-1} + W_x x_t + b)`, read out as :math:`v \\cdot h_T`.

    The hidden state :math:`h_t` is the network's memory: it is computed from the
    previous one, so the final state depends on the order of the inputs.
    """

    W_h: np.ndarray  # (hidden, hidden)
    W_x: np.ndarray  # (hidden, features)
    b: np.ndarray  # (hidden,)
    v: np.ndarray  # (hidden,)

    @classmethod
    def random(cls, features: int, hidden: int = 8, seed: int = 0) -> TinyRNN:
        rng = np.random.default_rng(seed)
        return cls(
            W_h=rng.normal(size=(hidden, hidden)) / np.sqrt(hidden),
            W_x=rng.normal(size=(hidden, features)),
            b=np.zeros(hidden),
            v=rng.normal(size=hidden) / np.sqrt(hidden),
        )

    def states(self, sequence) -> np.ndarray:
        """The hidden states h_1 ... h_T, shape (T, hidden); h_0 = 0."""
        x = np.asarray(sequence, dtype=np.float64)
        if x.ndim == 1:
            x = x[:, None]
        h = np.zeros(self.W_h.shape[0])
        out = []
        for x_t in x:
            h = np.tanh(self.W_h @ h + self.W_x @ x_t + self.b)
            out.append(h)
        return np.array(out)

    def __call__(self, sequence) -> float:
        return float(self.states(sequence)[-1] @ self.v)
