"""book.runtime fixes TensorFlow's thread count in every kernel (see KERNEL_THREADS for why).

Each check runs in a fresh interpreter: TensorFlow accepts a thread count only before
its first operation, which the test session itself may already have run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from conftest import ROOT


def run(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )


def test_setup_fixes_the_thread_count_whatever_the_machine():
    proc = run("""
        import warnings
        warnings.simplefilter("error")  # a warning would reach the page (and fail the build)
        from book.runtime import KERNEL_THREADS, setup
        setup()
        import tensorflow as tf
        tf.constant([1.0, 2.0]) * 2.0  # TensorFlow is initialised from here on
        setup()  # a reader re-running the setup cell: same count, no warning
        t = tf.config.threading
        print(KERNEL_THREADS, t.get_intra_op_parallelism_threads(), t.get_inter_op_parallelism_threads())
    """)
    assert proc.returncode == 0, proc.stderr[-3000:]
    from book.runtime import KERNEL_THREADS

    assert proc.stdout.split() == [str(KERNEL_THREADS)] * 3


def test_tensorflow_used_before_setup_is_reported():
    proc = run("""
        import warnings
        import tensorflow as tf
        tf.constant(1.0) + 1.0
        from book.runtime import setup
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            setup()
        print("|".join(str(w.message) for w in caught))
    """)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "KERNEL_THREADS" in proc.stdout and "restart the kernel" in proc.stdout, proc.stdout
