"""The kernel the build runs every notebook in: ipykernel under a memory limit.

:func:`book.site.execute.install_kernel_spec` writes a ``python3`` kernel spec whose command
is ``python -m book.site.kernel -f {connection_file}`` and puts it first on
``JUPYTER_PATH``, so the build's kernels (in the worker processes and in myst-nb alike)
start here. This sets the process's data limit (``RLIMIT_DATA``: heap and private
writable memory, which NumPy's and TensorFlow's allocations count against) to
``BOOK_KERNEL_MEMORY_MB`` MiB, then starts ipykernel as ``python -m ipykernel_launcher``
would. An allocation beyond the limit fails at once in the cell that made it
(``MemoryError: Unable to allocate ...``), and the build names the chapter, instead of
the machine swapping or the kernel being killed minutes later.

Only the build's kernels are limited: a reader's Live Code or Binder kernel is
ipykernel's own. Where the platform has no ``RLIMIT_DATA`` (not Linux), or with
``BOOK_KERNEL_MEMORY_MB=0``, there is no limit. Not the address space (``RLIMIT_AS``):
TensorFlow reserves far more of it than it uses, and more on machines with more cores
(see :data:`book.site.execute.DEFAULT_KERNEL_MEMORY_MB` for the measurements).
"""

from __future__ import annotations

import os
import sys

#: The environment variable holding the limit, in MiB (``0``: none).
MEMORY_ENV = "BOOK_KERNEL_MEMORY_MB"


def memory_limit_mb(environ=os.environ) -> int:
    """``BOOK_KERNEL_MEMORY_MB`` as a whole number of MiB (0 if unset: no limit)."""
    value = environ.get(MEMORY_ENV, "").strip()
    if not value:
        return 0
    try:
        limit = int(value)
    except ValueError:
        limit = -1
    if limit < 0:
        raise ValueError(
            f"{MEMORY_ENV}={value!r}: expected a whole number of MiB (0 for no limit)"
        )
    return limit


def apply_memory_limit(limit_mb: int) -> bool:
    """Limit this process's data segment to ``limit_mb`` MiB; ``True`` if the platform allows it."""
    if limit_mb <= 0 or not sys.platform.startswith("linux"):
        return False
    import resource

    limit = limit_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    return True


def main() -> None:
    apply_memory_limit(memory_limit_mb())
    # as ipykernel_launcher does: the kernel's folder is not an import path while it starts
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
