"""Execute the chapters' notebooks in parallel, before Sphinx reads them.

myst-nb executes a notebook when Sphinx reads its page, and Sphinx reads pages
one after another (its parallel read is refused by ``sphinx_multitoc_numbering``,
which does not declare itself safe for it). So a cold build ran the chapters one
at a time. This module runs them first, several at once, and stores each result in
the execution cache exactly as myst-nb does; when Sphinx then reads the pages,
myst-nb finds every notebook in the cache and executes nothing.

How, in order, at Sphinx's ``env-before-read-docs`` (after :mod:`book.site.freshness`
has checked the fingerprint of ``book/`` and the pins at ``env-get-outdated``, and
emptied a stale cache, so nothing is executed against a cache about to be thrown away):

1. Each page about to be read is read as myst-nb reads it (its own reader for the
   file's format, the same per-notebook configuration), and matched against the
   cache (``match_cache_notebook``, the same hash myst-nb uses). Pages that are not
   notebooks, notebooks excluded from execution, and notebooks already cached are
   left alone.
2. The others run in a pool of worker processes (jupyter-cache's
   ``single_nb_execution``, in the notebook's own folder, with the book's
   ``execute.timeout`` and ``execute.allow_errors``), the costliest first, so that
   no long chapter starts last while the other workers sit idle (see
   :func:`execution_order`: each notebook's last run time, remembered in
   ``_build/execution-seconds.json`` even when the cache is emptied; never run
   before, the most code first).
3. Each success is cached with its run time (``execution_seconds``, which myst-nb
   reads back for the status page). A failure is *not* cached, and *not run again*:
   when myst-nb reads that page, finds no cached result and asks jupyter-cache to
   execute the notebook, it gets the worker's result instead (:func:`replay_failures`:
   the outputs as far as the notebook ran, the exception and its traceback), and fails
   the build with its usual report (``_build/html/reports/``, the traceback in the log).
   A hanging cell costs one ``timeout`` (300 s), not two.

Before that, every notebook about to be read whose execution is cached is checked
(:func:`check_cached`): a cached notebook file that cannot be read (truncated), or one
whose outputs would fail the strict build (a stream on stderr, which ``stderr_output:
remove-warn`` turns into a warning, fatal under ``-W``; for instance a one-off notice
printed on a cell's first run only) is dropped from the cache with a message saying so,
and runs again. An execution cache whose database cannot be read stops the build with
the file's name and the fix (``make clean``).

Kernels: every kernel the build starts (in the workers and in myst-nb alike) is the
book's ``python3`` kernel spec, written to ``_build/.book-kernel/`` and put first on
``JUPYTER_PATH`` (:func:`install_kernel_spec`): ipykernel under a memory limit
(:mod:`book.site.kernel`, ``BOOK_KERNEL_MEMORY_MB``), so that a runaway allocation fails
at once, in the cell that made it, naming the chapter.

Transport: every kernel the build starts talks to its notebook client over Unix sockets
(ZeroMQ's IPC transport, :class:`IPCKernelManager`, in the workers and in myst-nb alike:
:func:`execute_notebook` replaces the ``single_nb_execution`` myst-nb calls for the length of
the build). Over TCP, ipykernel printed "Kernel is running over TCP without encryption" once
per notebook into the build log, burying real messages; on IPC there is nothing to warn about
(the sockets are files in the user's Jupyter runtime folder, not ports). Not on Windows,
which has no IPC transport: the kernels keep TCP on 127.0.0.1 there.

Printed text: consecutive stream outputs of a cell are joined into one (:func:`join_streams`),
so that how the kernel happened to cut its printed text changes neither a page nor the
notebook a reader downloads.

Workers: ``BOOK_EXECUTION_WORKERS`` (an integer >= 1), else the number of cores
this process may use. 1 leaves everything to myst-nb (the serial build as before).

Threads: each kernel's TensorFlow uses :data:`book.runtime.KERNEL_THREADS` threads
(see there why the count is fixed, not derived from the workers).
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from jupyter_client import AsyncKernelManager
from jupyter_core.paths import jupyter_runtime_dir
from sphinx.errors import SphinxError
from sphinx.util import logging
from traitlets import default

logger = logging.getLogger(__name__)

WORKERS_ENV = "BOOK_EXECUTION_WORKERS"


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity), or the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def worker_count(environ=os.environ) -> int:
    """How many notebooks run at once: ``BOOK_EXECUTION_WORKERS``, else the available cores."""
    value = environ.get(WORKERS_ENV, "").strip()
    if not value:
        return max(1, available_cores())
    try:
        workers = int(value)
    except ValueError:
        workers = 0
    if workers < 1:
        raise ValueError(
            f"{WORKERS_ENV}={value!r}: expected a whole number of worker processes, 1 or more"
        )
    return workers


@dataclass
class Pending:
    """A notebook that Sphinx is about to read and whose execution is not in the cache."""

    docname: str
    path: Path
    notebook: object  # nbformat.NotebookNode, exactly as myst-nb will hash it
    timeout: int | None
    allow_errors: bool


def notebook_as_mystnb_reads_it(env, path: Path, text: str):
    """``(notebook, nb_config)`` as myst-nb's parser builds them for ``path``, or ``None``.

    ``None`` for a page that is not a notebook. Mirrors ``myst_nb.sphinx_.Parser.parse``:
    the reader for the file's format, the kernel aliases, the notebook's own
    ``mystnb`` metadata overriding the book's configuration.
    """
    import re

    from myst_nb.core.nb_to_tokens import nb_node_to_dict
    from myst_nb.core.read import create_nb_reader

    nb_config = env.mystnb_config
    reader = create_nb_reader(str(path), env.myst_config, nb_config, text)
    if reader is None:
        return None
    notebook = reader.read(text)
    kernel_name = notebook.metadata.get("kernelspec", {}).get("name", None)
    if kernel_name is not None and nb_config.kernel_rgx_aliases:
        for rgx, alias in nb_config.kernel_rgx_aliases.items():
            if re.fullmatch(rgx, kernel_name):
                notebook.metadata["kernelspec"]["name"] = alias
                break
    if nb_config.metadata_key in notebook.metadata:
        overrides = nb_node_to_dict(notebook.metadata[nb_config.metadata_key])
        overrides.pop("output_folder", None)
        try:
            nb_config = nb_config.copy(**overrides)
        except Exception:  # myst-nb warns about it when it reads the page
            pass
    return notebook, nb_config


def _excluded(path: Path, nb_config) -> bool:
    posix = PurePosixPath(path.as_posix())
    return any(
        posix.match(pattern)
        for pattern in nb_config.execution_excludepatterns or ()
    )


def pending_notebooks(env, docnames, cache) -> list[Pending]:
    """The notebooks among ``docnames`` that myst-nb would execute (cache mode, no cached match)."""
    pending = []
    for docname in docnames:
        path = Path(env.doc2path(docname))
        if not path.is_file():
            continue
        text = path.read_text(encoding=env.config.source_encoding)
        read = notebook_as_mystnb_reads_it(env, path, text)
        if read is None:
            continue
        notebook, nb_config = read
        if nb_config.execution_mode != "cache" or _excluded(path, nb_config):
            continue
        try:
            cache.match_cache_notebook(notebook)
            continue  # already executed
        except KeyError:
            pass
        pending.append(
            Pending(
                docname,
                path,
                notebook,
                nb_config.execution_timeout,
                nb_config.execution_allow_errors,
            )
        )
    return pending


@dataclass
class Failure:
    """A notebook that failed in a worker: what myst-nb's report of it needs."""

    summary: str  # one line: "ZeroDivisionError: division by zero", "CellTimeoutError: ..."
    kind: str  # the exception's class: CellExecutionError, CellTimeoutError, DeadKernelError...
    traceback: str
    notebook: object = None  # as far as it ran
    seconds: float = 0.0

    def __str__(self) -> str:
        return f"{self.summary}\n{self.traceback}"


#: Appended to the message of a kernel that ran out of memory or died.
MEMORY_HINT = (
    " (the build limits each kernel to {limit} MiB of data, BOOK_KERNEL_MEMORY_MB; a chapter's kernel "
    "must stay under book.runtime.MEMORY_BUDGET_MB)"
)


def _ipc_available() -> bool:
    return os.name != "nt"  # ZeroMQ's IPC transport needs Unix domain sockets


class IPCKernelManager(AsyncKernelManager):
    """jupyter_client's kernel manager on the IPC transport, each kernel with its own sockets.

    jupyter_client's default address for IPC is ``kernel-ipc`` (sockets ``kernel-ipc-1`` to
    ``-5``), relative: the kernel, started in the chapter's folder, would create its sockets
    there and the client, in the build's folder, would not find them; two kernels would share
    them. Here each kernel gets an absolute, unique prefix in the Jupyter runtime folder (where
    its connection file is too); jupyter_client removes the socket files when the kernel shuts
    down (``cleanup_ipc_files``).
    """

    @default("transport")
    def _transport_default(self):
        return "ipc" if _ipc_available() else "tcp"

    @default("ip")
    def _ip_default(self):
        if self.transport != "ipc":
            return "127.0.0.1"
        runtime = Path(jupyter_runtime_dir())
        name = f"book-kernel-{uuid.uuid4().hex[:12]}-ipc"
        if len(str(runtime / name)) > SOCKET_PATH_MAX - 3:  # (+ "-1" ... "-5")
            import tempfile

            runtime = Path(tempfile.gettempdir())
        runtime.mkdir(parents=True, exist_ok=True)
        return str(runtime / name)


#: The longest path of a Unix socket (``sun_path`` holds 108 bytes on Linux, 104 on macOS).
SOCKET_PATH_MAX = 100


def execute_notebook(
    nb,
    cwd=None,
    timeout=None,
    allow_errors=False,
    meta_override=True,
    **kwargs,
):
    """jupyter-cache's ``single_nb_execution`` with the kernel on the IPC transport
    (:class:`IPCKernelManager`); the same arguments and result."""
    from jupyter_cache.executors.utils import single_nb_execution

    kwargs.setdefault("kernel_manager_class", IPCKernelManager)
    result = single_nb_execution(
        nb,
        cwd=cwd,
        timeout=timeout,
        allow_errors=allow_errors,
        meta_override=meta_override,
        **kwargs,
    )
    for cell in result.nb.cells:
        if cell.get("cell_type") == "code":
            cell.outputs = join_streams(cell.get("outputs", []))
    return result


def join_streams(outputs: list) -> list:
    """``outputs`` with each run of consecutive stream outputs of one stream (stdout or
    stderr) joined into one, text unchanged.

    A kernel sends printed text in as many messages as its buffer was flushed, which
    depends on timing, not on the code: one run of chapter 2.2 gave two ``print`` lines as
    one output, the next as two, and chapter 9.1's table came cut in the middle of a line.
    Joined, a page shows one box of printed text per cell wherever it was executed, and
    two runs give the same notebook. (myst-nb's ``nb_merge_streams`` is not used: it adds a
    line break at each cut and moves text printed after a figure above it.)"""
    joined: list = []
    for output in outputs:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and output.get("output_type") == "stream"
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
        ):
            previous["text"] = _text(previous.get("text", "")) + _text(
                output.get("text", "")
            )
        else:
            joined.append(output)
    return joined


def _text(text) -> str:
    return text if isinstance(text, str) else "".join(text)


def run_notebook(notebook, cwd: str, timeout, allow_errors):
    """Execute ``notebook`` in a kernel started in ``cwd``; the worker processes' task.

    Returns ``(executed notebook, seconds, Failure or None)``.
    """
    import traceback

    start = time.perf_counter()
    try:
        result = execute_notebook(
            notebook,
            cwd=cwd,
            timeout=timeout,
            allow_errors=allow_errors,
            meta_override=True,
        )
    except Exception as exc:  # the kernel died, could not start...
        seconds = time.perf_counter() - start
        return (
            notebook,
            seconds,
            _failure(exc, traceback.format_exc(), notebook, seconds),
        )
    if result.err is None:
        return result.nb, result.time, None
    return (
        result.nb,
        result.time,
        _failure(result.err, result.exc_string or "", result.nb, result.time),
    )


def _failure(
    err: BaseException, trace: str, notebook, seconds: float
) -> Failure:
    summary = error_summary(err)
    if "MemoryError" in summary or type(err).__name__ == "DeadKernelError":
        summary += MEMORY_HINT.format(
            limit=os.environ.get(MEMORY_ENV, DEFAULT_KERNEL_MEMORY_MB)
        )
    return Failure(summary, type(err).__name__, trace, notebook, seconds)


def error_summary(err: BaseException) -> str:
    """One line for the build log: the cell's exception (``ZeroDivisionError: ...``), or a timeout."""
    if getattr(err, "ename", None):  # nbclient's CellExecutionError
        return f"{err.ename}: {err.evalue}".strip()
    lines = [line for line in str(err).splitlines() if line.strip()]
    return f"{type(err).__name__}: {lines[0] if lines else ''}".strip()


#: Each page's last execution time, ``{docname: seconds}``, next to the execution cache.
#: :mod:`book.site.freshness` empties the cache when ``book/`` or the pins change, which
#: is exactly when every notebook runs again: the times kept here still say which run longest.
TIMES_FILE = "execution-seconds.json"


def times_file(cache_path) -> Path:
    return Path(cache_path).parent / TIMES_FILE


def remembered_seconds(cache_path) -> dict[str, float]:
    """``{docname: seconds}`` from :data:`TIMES_FILE` (empty if missing or unreadable: it only
    orders the work, and the next :func:`remember_seconds` writes it anew)."""
    path = times_file(cache_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        logger.info(
            "[book] %s is unreadable (%s): ignored, and written anew after this build",
            path,
            err,
        )
        return {}
    if not isinstance(data, dict):
        logger.info(
            "[book] %s is not a JSON object: ignored, and written anew after this build",
            path,
        )
        return {}
    return {
        str(k): float(v)
        for k, v in data.items()
        if isinstance(v, (int, float))
        and not isinstance(v, bool)
        and v == v
        and 0 <= v < 1e9
    }


def remember_seconds(cache_path, seconds: dict[str, float]) -> None:
    """Merge ``seconds`` into :data:`TIMES_FILE`."""
    if not seconds:
        return
    merged = {**remembered_seconds(cache_path), **seconds}
    path = times_file(cache_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(sorted(merged.items())), indent=1) + "\n")


def code_size(notebook) -> int:
    """Characters of code in ``notebook``: a rough stand-in for its cost when no run time is known."""
    return sum(
        len(cell.source) for cell in notebook.cells if cell.cell_type == "code"
    )


def execution_order(
    pending: list[Pending], seconds: dict[str, float]
) -> list[Pending]:
    """``pending``, costliest first: with workers taking the next notebook as they free up,
    the longest ones should start first. Notebooks never timed come first (the most code
    first: the training chapters are also the longest), then the others by their last time."""

    def cost(p: Pending):
        known = seconds.get(p.docname)
        return (0, -code_size(p.notebook)) if known is None else (1, -known)

    return sorted(pending, key=cost)


def process_pool(workers: int):
    """The worker processes: "spawn" starts fresh interpreters that inherit nothing from
    Sphinx's process but the environment and ``sys.path`` (so ``book`` comes from this tree)."""
    import multiprocessing

    return ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn")
    )


def execute_in_parallel(
    pending: list[Pending],
    cache,
    workers: int,
    *,
    task=run_notebook,
    pool_factory=process_pool,
) -> dict[str, str]:
    """Run ``pending`` in ``workers`` processes and cache every success; return ``{docname: Failure}``."""
    from jupyter_cache.base import CacheBundleIn

    order = execution_order(pending, remembered_seconds(cache.path))
    failures: dict[str, Failure] = {}
    timed: dict[str, float] = {}
    with pool_factory(workers) as pool:
        futures = {
            pool.submit(
                task, p.notebook, str(p.path.parent), p.timeout, p.allow_errors
            ): p
            for p in order
        }
        for future in as_completed(futures):
            p = futures[future]
            try:
                notebook, seconds, error = future.result()
            except Exception as exc:  # the worker process itself failed
                notebook, seconds, error = (
                    None,
                    0.0,
                    Failure(
                        f"{type(exc).__name__}: {exc}", type(exc).__name__, ""
                    ),
                )
            if isinstance(
                error, str
            ):  # (a task that reports a failure as text)
                error = Failure(
                    error.strip().splitlines()[0] if error.strip() else "?",
                    "Exception",
                    error,
                )
            if error is not None:
                error.notebook = (
                    error.notebook if error.notebook is not None else notebook
                )
                failures[p.docname] = error
                logger.info(
                    "[book] %s failed in a worker (%s) after %.1f s: not cached, not run again; "
                    "myst-nb reports the failure when it reads the page",
                    p.docname,
                    error.summary,
                    seconds,
                )
                continue
            cache.cache_notebook_bundle(
                CacheBundleIn(
                    notebook, str(p.path), data={"execution_seconds": seconds}
                ),
                check_validity=False,
                overwrite=True,
            )
            timed[p.docname] = seconds
            logger.info(
                "[book] executed %s in %.1f s (worker process)",
                p.docname,
                seconds,
            )
    remember_seconds(cache.path, timed)
    return failures


class CacheError(SphinxError):
    category = "Execution cache error"


def open_cache(path):
    """The execution cache at ``path``, or a :class:`CacheError` naming its database and the fix."""
    from jupyter_cache import get_cache

    cache = get_cache(path)
    try:
        cache.list_cache_records()
    except (
        Exception
    ) as err:  # sqlalchemy's DatabaseError, a truncated or foreign file...
        raise CacheError(
            f"the execution cache's database {Path(path) / 'global.db'} cannot be read "
            f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}): run `make clean` "
            "(it removes _build/: the site and the cache; every chapter runs again)"
        ) from None
    return cache


def _drop(cache, record, docname: str, why: str) -> None:
    from jupyter_cache.cache.db import NbCacheRecord

    try:
        cache.remove_cache(record.pk)
    except KeyError:  # its notebook file is gone already
        NbCacheRecord.remove_records([record.pk], cache.db)
    logger.info(
        "[book] %s: %s; dropped from the execution cache, it runs again",
        docname,
        why,
    )


def stderr_text(notebook) -> str:
    """The first stderr line a notebook's outputs hold ('' if none)."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if (
                output.get("output_type") == "stream"
                and output.get("name") == "stderr"
            ):
                text = "".join(output.get("text", ""))
                return (text.strip().splitlines() or [""])[0][:200]
    return ""


def check_cached(env, docnames, cache) -> list[str]:
    """Drop the cached executions of ``docnames`` that cannot be read, or whose outputs would
    fail the strict build (stderr, when ``stderr_output`` warns about it); return their names."""
    nb_config = env.mystnb_config
    dropped = []
    for docname in docnames:
        path = Path(env.doc2path(docname))
        if not path.is_file():
            continue
        read = notebook_as_mystnb_reads_it(
            env, path, path.read_text(encoding=env.config.source_encoding)
        )
        if read is None:
            continue
        notebook, config = read
        if config.execution_mode != "cache" or _excluded(path, config):
            continue
        try:
            record = cache.match_cache_notebook(notebook)
        except KeyError:
            continue
        try:
            cached = cache.get_cache_bundle(record.pk).nb
        except Exception as err:  # truncated JSON, a missing file...
            _drop(
                cache,
                record,
                docname,
                f"its cached notebook cannot be read ({type(err).__name__}: {err})",
            )
            dropped.append(docname)
            continue
        stderr = stderr_text(cached)
        if stderr and nb_config.output_stderr in (
            "warn",
            "remove-warn",
            "error",
            "severe",
        ):
            _drop(
                cache,
                record,
                docname,
                f"its cached run printed to stderr ({stderr!r}), which fails the strict build "
                f"(stderr_output: {nb_config.output_stderr})",
            )
            dropped.append(docname)
            continue
        if join_cached_streams(cache, record, cached):
            logger.info(
                "[book] %s: its cached printed text joined into one output per cell",
                docname,
            )
    return dropped


def join_cached_streams(cache, record, cached) -> bool:
    """Store ``cached`` (the cache's notebook of ``record``) again with :func:`join_streams`
    applied to every cell, if that changes it (a run cached before the build joined them, as
    a restored CI cache may hold); return whether it did. The code, and so the match, stay."""
    from jupyter_cache.base import CacheBundleIn

    changed = False
    for cell in cached.cells:
        if cell.get("cell_type") != "code":
            continue
        before = len(cell.get("outputs", []))
        cell.outputs = join_streams(cell.get("outputs", []))
        changed = changed or len(cell.outputs) != before
    if changed:
        cache.cache_notebook_bundle(
            CacheBundleIn(cached, record.uri, data=record.data),
            check_validity=False,
            overwrite=True,
        )
    return changed


def _before_read(app, env, docnames):
    nb_config = getattr(env, "mystnb_config", None)
    if nb_config is None or nb_config.execution_mode != "cache":
        return
    cache = open_cache(nb_config.execution_cache_path)
    check_cached(env, docnames, cache)
    workers = worker_count()
    if workers < 2:
        return  # serial: myst-nb executes each notebook as it reads it
    pending = pending_notebooks(env, docnames, cache)
    if not pending:
        return
    workers = min(workers, len(pending))
    logger.info(
        "[book] executing %d notebook(s) in %d worker processes (%s=%s)",
        len(pending),
        workers,
        WORKERS_ENV,
        os.environ.get(WORKERS_ENV, "unset: the available cores"),
    )
    start = time.perf_counter()
    failures = execute_in_parallel(pending, cache, workers)
    logger.info(
        "[book] parallel execution took %.1f s; %d failed",
        time.perf_counter() - start,
        len(failures),
    )
    if failures:
        replay_failures(app, failures)


def replay_failures(app, failures: dict[str, Failure]) -> None:
    """Make myst-nb report the notebooks that failed in a worker without running them again.

    myst-nb (``myst_nb.core.execute.cache``) calls jupyter-cache's ``single_nb_execution``
    for a notebook it finds no cached result for. Until the pages are read, that name
    answers, for a page of ``failures``, with the worker's result (the notebook's outputs
    as far as it ran, the exception, the traceback), and executes any other notebook as
    before. myst-nb then warns, writes its report and renders the page as it would have.
    """
    import myst_nb.core.execute.cache as mystnb_cache
    from jupyter_cache.executors.utils import ExecutionResult

    original = getattr(mystnb_cache, "single_nb_execution", None)
    if original is None:
        raise SphinxError(
            "book.site.execute: myst-nb no longer calls single_nb_execution from myst_nb.core.execute.cache; "
            "update replay_failures (or build with BOOK_EXECUTION_WORKERS=1)"
        )

    def replay(
        nb,
        cwd=None,
        timeout=None,
        allow_errors=False,
        meta_override=True,
        **kwargs,
    ):
        failure = failures.get(app.env.docname)
        if failure is None:
            return original(
                nb,
                cwd=cwd,
                timeout=timeout,
                allow_errors=allow_errors,
                meta_override=meta_override,
                **kwargs,
            )
        logger.info(
            "[book] %s: reporting its failure in a worker, without running it again",
            app.env.docname,
        )
        ran = failure.notebook
        if ran is not None:
            for mine, theirs in zip(nb.cells, ran.cells, strict=False):
                if mine.cell_type == "code" and theirs.cell_type == "code":
                    mine.outputs = theirs.get("outputs", [])
                    mine.execution_count = theirs.get("execution_count")
        err = type(failure.kind, (Exception,), {})(failure.summary)
        return ExecutionResult(
            nb, cwd, failure.seconds, err, failure.traceback or failure.summary
        )

    mystnb_cache.single_nb_execution = replay
    app.book_replay_restore = lambda: setattr(
        mystnb_cache, "single_nb_execution", original
    )


def use_ipc_kernels_in_mystnb(app) -> None:
    """Make myst-nb, which executes a notebook it finds no cached result for (every notebook of a
    serial build, ``BOOK_EXECUTION_WORKERS=1``), run it with :func:`execute_notebook`; undone
    when the build finishes."""
    import myst_nb.core.execute.cache as mystnb_cache

    original = getattr(mystnb_cache, "single_nb_execution", None)
    if original is None:
        raise SphinxError(
            "book.site.execute: myst-nb no longer calls single_nb_execution from myst_nb.core.execute.cache; "
            "update use_ipc_kernels_in_mystnb"
        )
    if original is execute_notebook:
        return
    mystnb_cache.single_nb_execution = execute_notebook
    app.book_ipc_restore = lambda: setattr(
        mystnb_cache, "single_nb_execution", original
    )


def _restore_mystnb(app, exception):
    restore = getattr(app, "book_ipc_restore", None)
    if restore is not None:
        restore()
        app.book_ipc_restore = None


def _after_read(app, env):
    restore = getattr(app, "book_replay_restore", None)
    if restore is not None:
        restore()
        app.book_replay_restore = None
    return []


# ------------------------------------------------------------------ kernels

#: The environment variable with each build kernel's data limit in MiB (``0``: no limit).
MEMORY_ENV = "BOOK_KERNEL_MEMORY_MB"  # (book.site.kernel.MEMORY_ENV)
#: 2.5 GiB: measured on 3 December 2026 (2-core build machine, other work running), the
#: chapters' kernels ended with data segments of 0.52 to 0.91 GiB (``VmData``: chapter 5 the
#: largest) and peak resident memory of 0.63 to 0.88 GiB, under the 1000 MiB of
#: book.runtime.MEMORY_BUDGET_MB; their virtual address space was 2.2 to 2.6 GiB
#: (TensorFlow maps much it never uses, and more on machines with more cores), which is
#: why the limit is on data (``RLIMIT_DATA``), not address space (``RLIMIT_AS``).
DEFAULT_KERNEL_MEMORY_MB = 2560
#: Where the build's kernel spec is written, under ``_build/``.
KERNEL_FOLDER = ".book-kernel"


def kernel_spec(python: str = sys.executable) -> dict:
    """The ``python3`` kernel spec of the build: ipykernel started by :mod:`book.site.kernel`."""
    return {
        "argv": [python, "-m", "book.site.kernel", "-f", "{connection_file}"],
        "display_name": "Python 3 (the book's build: memory-limited ipykernel)",
        "language": "python",
        "metadata": {"debugger": True},
    }


def install_kernel_spec(build_dir: Path, environ=os.environ) -> Path:
    """Write the build's ``python3`` kernel spec into ``build_dir/.book-kernel`` and put that
    folder first on ``JUPYTER_PATH``, so that every kernel the build starts uses it."""
    root = Path(build_dir) / KERNEL_FOLDER
    spec = root / "kernels" / "python3" / "kernel.json"
    text = json.dumps(kernel_spec(), indent=1) + "\n"
    spec.parent.mkdir(parents=True, exist_ok=True)
    if not spec.exists() or spec.read_text() != text:
        spec.write_text(text)
    paths = [
        p
        for p in environ.get("JUPYTER_PATH", "").split(os.pathsep)
        if p and p != str(root)
    ]
    environ["JUPYTER_PATH"] = os.pathsep.join([str(root), *paths])
    return root


# ------------------------------------------------------------------ the notebook readers download


def executed_notebook_file(app, docname: str) -> Path:
    """Where myst-nb writes a page's notebook, which sphinx-book-theme copies to ``_sources/``."""
    from myst_nb.sphinx_ext import OUTPUT_FOLDER

    return Path(app.outdir).parent.joinpath(
        OUTPUT_FOLDER, *f"{docname}.ipynb".split("/")
    )


def add_cached_outputs(path: Path, cache) -> bool:
    """Give the notebook file at ``path`` the outputs of its cached execution; ``True`` if it had one.

    myst-nb writes each page's notebook to ``_build/jupyter_execute/`` (the theme's
    ".ipynb" download button serves a copy of it), but when it takes the outputs from
    the execution cache it writes the notebook it read, without them (it merges the
    cached outputs into a copy that it only renders). A build that found every
    notebook in the cache (CI with a restored cache, and every build whose notebooks
    ran in :func:`execute_in_parallel`) then offered notebooks without outputs.
    """
    import nbformat

    notebook = nbformat.read(str(path), as_version=4)
    try:
        _, merged = cache.merge_match_into_notebook(notebook)
    except (
        KeyError
    ):  # not executed (execution off or failed): leave it as myst-nb wrote it
        return False
    if merged != notebook:
        nbformat.write(merged, str(path))
    return True


def _download_with_outputs(app, doctree):
    from jupyter_cache import get_cache

    nb_config = getattr(app.env, "mystnb_config", None)
    path = executed_notebook_file(app, app.env.docname)
    if (
        nb_config is None
        or nb_config.execution_mode != "cache"
        or not path.is_file()
    ):
        return
    add_cached_outputs(path, get_cache(nb_config.execution_cache_path))


def _remember_cached_times(app, exception):
    """After every build, serial or parallel: remember each page's cached run time."""
    from jupyter_cache import get_cache

    nb_config = getattr(app.env, "mystnb_config", None)
    if nb_config is None or nb_config.execution_mode != "cache":
        return
    if exception is not None and isinstance(exception, CacheError):
        return
    cache = get_cache(nb_config.execution_cache_path)
    try:
        records = cache.list_cache_records()
    except Exception:  # a corrupt database: open_cache has said so
        return
    latest = {}
    for record in sorted(records, key=lambda r: r.created):
        if record.data.get("execution_seconds") is not None:
            latest[record.uri] = float(record.data["execution_seconds"])
    seconds = {}
    for docname in app.env.found_docs:
        uri = str(Path(app.env.doc2path(docname)))
        if uri in latest:
            seconds[docname] = latest[uri]
    remember_seconds(cache.path, seconds)


#: Environment of every kernel the build starts (workers and myst-nb alike inherit it).
#: NumPy's OpenBLAS otherwise starts one thread per core for every matrix product: on
#: the chapters' small matrices, with kernels running side by side, those threads only
#: wait for each other (measured here: one NumPy LSTM forward and backward pass took
#: 0.14 s of CPU with one thread and 2.0 s with two, on a loaded 2-core machine).
#: One thread also keeps NumPy's sums in one order, whatever the machine's cores.
#: ``BOOK_STRICT_FIGURES``: a figure whose text would be too small on a phone fails its
#: cell (``book.plots``); only in the build, not in a reader's Live Code kernel.
#: ``BOOK_KERNEL_MEMORY_MB``: each kernel's data limit (:mod:`book.site.kernel`).
KERNEL_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "BOOK_STRICT_FIGURES": "1",
    MEMORY_ENV: str(DEFAULT_KERNEL_MEMORY_MB),
}


def _builder_inited(app):
    worker_count()  # a bad BOOK_EXECUTION_WORKERS fails at once
    from book.site.kernel import memory_limit_mb

    memory_limit_mb()  # so does a bad BOOK_KERNEL_MEMORY_MB
    install_kernel_spec(Path(app.outdir).parent)
    use_ipc_kernels_in_mystnb(app)


def setup(app):
    for key, value in KERNEL_ENV.items():
        os.environ.setdefault(key, value)
    app.connect("builder-inited", _builder_inited)
    app.connect("env-before-read-docs", _before_read)
    app.connect("env-updated", _after_read)
    # After myst-nb's parser wrote the page's notebook (it does so while parsing).
    app.connect("doctree-read", _download_with_outputs)
    app.connect("build-finished", _remember_cached_times)
    app.connect("build-finished", _restore_mystnb)
