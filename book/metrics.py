"""How the experiments score a model (chapters 5 and 6)."""

from __future__ import annotations

import numpy as np


def mse(prediction, target) -> float:
    """Mean squared error over every element: all series, all forecast steps.

    ``prediction`` and ``target`` must have the same shape; a mismatch raises
    instead of broadcasting silently (``(n, 1)`` against ``(n,)`` would give an
    ``(n, n)`` difference and a meaningless number).
    """
    prediction, target = np.asarray(prediction), np.asarray(target)
    if prediction.shape != target.shape:
        raise ValueError(
            f"prediction has shape {prediction.shape}, target {target.shape}"
        )
    return float(np.mean((prediction - target) ** 2))
