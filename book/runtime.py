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


#: Threads each kernel's TensorFlow runs its operations with (intra-op and inter-op pools).
#: Fixed on purpose, not taken from the machine's cores or from how many notebooks the
#: build runs at once (``book/site/execute.py``): measured on the 2-core build machine, the
#: weights after a small LSTM fit differ bit for bit between 1, 2 and 4 intra-op threads (the
#: thread count decides how TensorFlow splits and sums the work), so a count that followed the
#: cores would make a 4-core CI runner, a 1-core Binder session and a serial or parallel build
#: print different numbers. 2 is what TensorFlow chose by itself on the machine the chapters'
#: numbers were written on, so they did not change when the count was fixed.
KERNEL_THREADS = 2


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


#: ``(tf, keras)`` once :func:`import_tensorflow` has imported and configured them.
_imported: list = []


def import_tensorflow():
    """Import TensorFlow and Keras without their start-up log lines; return ``(tf, keras)``.

    Code traced by ``tf.function`` may call it too (``book.sidebyside`` does): once TensorFlow is
    imported it touches nothing but the module cache. (It used to set the environment variables
    on every call; AutoGraph then tried to convert ``os.environ.setdefault`` and printed its
    failure, with the whole environment of the process, into the built pages.)"""
    if _imported:
        return _imported[0]
    for key, value in _TF_ENV.items():
        os.environ.setdefault(key, value)
    with _stderr_silenced():
        import tensorflow as tf
        import keras
    _fix_threads(tf)
    tf.get_logger().setLevel("ERROR")
    import absl.logging

    absl.logging.set_verbosity(absl.logging.ERROR)
    _imported.append((tf, keras))
    return tf, keras


def _fix_threads(tf, threads: int = KERNEL_THREADS) -> None:
    """Run TensorFlow's operations on ``threads`` threads (see :data:`KERNEL_THREADS`).

    TensorFlow accepts this only before it runs its first operation; setting the same
    value again later (a reader re-running the setup cell) is allowed.
    """
    import warnings

    threading = tf.config.threading
    try:
        threading.set_intra_op_parallelism_threads(threads)
        threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        warnings.warn(
            f"TensorFlow already ran with {threading.get_intra_op_parallelism_threads()} threads "
            f"instead of book.runtime.KERNEL_THREADS={threads}: numbers may differ from the book's. "
            "Call book.runtime.setup() before any TensorFlow code (restart the kernel).",
            stacklevel=3,
        )


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


#: Modules a kernel never needs, blocked so that nothing imports them: importing one costs
#: more than the work of a short chapter. ``rfc3987_syntax`` is an optional plugin of
#: ``jsonschema`` (pulled in by jupyter-events) that builds a grammar when it is imported:
#: 2.1 s of the first ``myst_nb.glue`` call in every kernel (measured December 2026;
#: myst-nb imports nbformat, nbformat jsonschema). ``jsonschema`` imports it only to check
#: the "iri" string format, and goes on without it when the import fails.
_BLOCKED_MODULES = ("rfc3987_syntax",)


def _block_slow_optional_modules() -> None:
    """Make ``import`` of each of :data:`_BLOCKED_MODULES` fail fast, unless already imported."""
    import sys

    for name in _BLOCKED_MODULES:
        sys.modules.setdefault(
            name, None
        )  # None in sys.modules: ImportError on import


def setup(seed: int = SEED, *, tensorflow: bool = True) -> None:
    """Prepare a chapter's kernel: quiet TensorFlow (if used), seed everything, set plot style."""
    _block_slow_optional_modules()
    if tensorflow:
        import_tensorflow()
    seed_everything(seed)
    from book import plots

    plots.use_book_style()


#: Peak memory a chapter's kernel may reach, in MiB. mybinder.org guarantees a
#: session 1 GB (and allows 2 GB at most), so a chapter that fits this budget
#: also runs under "Live Code".
MEMORY_BUDGET_MB = 1000


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MiB (``ru_maxrss``)."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def check_memory(budget_mb: float = MEMORY_BUDGET_MB) -> float:
    """Record the kernel's peak memory and fail if it is above ``budget_mb`` (MiB).

    Every chapter's last (``remove-cell``) cell calls it. The value is glued as
    ``kernel_peak_memory_mb`` so that it stays in the executed notebook (and in
    the build's execution cache, which the tests read); an ``AssertionError``
    makes the cell, hence the build, fail.
    """
    peak = round(
        peak_memory_mb(), 1
    )  # measured before importing anything more
    from myst_nb import glue

    glue("kernel_peak_memory_mb", peak, display=False)
    assert peak <= budget_mb, (
        f"this notebook's kernel reached {peak:.0f} MiB of memory, above the budget of "
        f"{budget_mb:.0f} MiB that keeps it runnable on Binder: use less data or smaller models"
    )
    return peak
