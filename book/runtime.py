"""Notebook setup shared by every chapter: quiet TensorFlow and fixed seeds.

Each chapter's first (hidden, ``thebe-init``) cell calls :func:`setup`, so the
same code runs at build time and when a reader presses "Live Code".
"""

from __future__ import annotations

import os
import random
from contextlib import contextmanager

import numpy as np

#: The seed used everywhere unless a chapter asks for another.
SEED = 0

# Read by TensorFlow when it is first imported: no oneDNN banner, no GPU probe
# (there is none; probing it logs a CUDA error), C++ logs at ERROR and above only.
_TF_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "CUDA_VISIBLE_DEVICES": "-1",
}


@contextmanager
def _stderr_silenced():
    """Send file descriptor 2 to /dev/null for the duration of the block.

    TensorFlow's native code writes a few lines (``absl::InitializeLog``,
    ``cudart_stub``) straight to the process's stderr while it is imported,
    before any Python-level logging setting applies; in a notebook they would
    become an output block on the page.
    """
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow():
    """Import TensorFlow and Keras without their start-up log lines; return ``(tf, keras)``."""
    for key, value in _TF_ENV.items():
        os.environ.setdefault(key, value)
    with _stderr_silenced():
        import tensorflow as tf
        import keras
    tf.get_logger().setLevel("ERROR")
    import absl.logging

    absl.logging.set_verbosity(absl.logging.ERROR)
    return tf, keras


def seed_everything(seed: int = SEED) -> None:
    """Seed Python, NumPy and (if it is imported) Keras/TensorFlow, and make TF ops deterministic."""
    random.seed(seed)
    np.random.seed(seed)
    import sys

    if "keras" in sys.modules or "tensorflow" in sys.modules:
        tf, keras = import_tensorflow()
        keras.utils.set_random_seed(seed)
        try:
            tf.config.experimental.enable_op_determinism()
        except RuntimeError:  # pragma: no cover - already configured
            pass


def setup(seed: int = SEED, *, tensorflow: bool = True) -> None:
    """Prepare a chapter's kernel: quiet TensorFlow (if used), seed everything, set plot style."""
    if tensorflow:
        import_tensorflow()
    seed_everything(seed)
    from book import plots

    plots.use_book_style()
