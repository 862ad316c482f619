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
   reads back for the status page). A failure is *not* cached: myst-nb then finds
   no cached result, executes that notebook itself when it reads the page, and
   fails the build with its usual report (``_build/html/reports/``, the traceback
   in the log). That runs the failing notebook twice; a failure is the rare path,
   and this way there is one failure report, myst-nb's.

Workers: ``BOOK_EXECUTION_WORKERS`` (an integer >= 1), else the number of cores
this process may use. 1 leaves everything to myst-nb (the serial build as before).

Threads: each kernel's TensorFlow uses :data:`book.runtime.KERNEL_THREADS` threads
(see there why the count is fixed, not derived from the workers).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sphinx.util import logging

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
        raise ValueError(f"{WORKERS_ENV}={value!r}: expected a whole number of worker processes, 1 or more")
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
    return any(posix.match(pattern) for pattern in nb_config.execution_excludepatterns or ())


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
            Pending(docname, path, notebook, nb_config.execution_timeout, nb_config.execution_allow_errors)
        )
    return pending


def run_notebook(notebook, cwd: str, timeout, allow_errors):
    """Execute ``notebook`` in a kernel started in ``cwd``; the worker processes' task.

    Returns ``(executed notebook, seconds, error text or None)``.
    """
    import traceback

    from jupyter_cache.executors.utils import single_nb_execution

    start = time.perf_counter()
    try:
        result = single_nb_execution(
            notebook, cwd=cwd, timeout=timeout, allow_errors=allow_errors, meta_override=True
        )
    except Exception as exc:  # the kernel died, could not start...: myst-nb will report it
        return notebook, time.perf_counter() - start, f"{error_summary(exc)}\n{traceback.format_exc()}"
    if result.err is None:
        return result.nb, result.time, None
    return result.nb, result.time, f"{error_summary(result.err)}\n{result.exc_string}"


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
    """``{docname: seconds}`` from :data:`TIMES_FILE` (empty if missing or unreadable)."""
    import json

    try:
        data = json.loads(times_file(cache_path).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, (int, float))}


def remember_seconds(cache_path, seconds: dict[str, float]) -> None:
    """Merge ``seconds`` into :data:`TIMES_FILE`."""
    import json

    if not seconds:
        return
    merged = {**remembered_seconds(cache_path), **seconds}
    path = times_file(cache_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(sorted(merged.items())), indent=1) + "\n")


def code_size(notebook) -> int:
    """Characters of code in ``notebook``: a rough stand-in for its cost when no run time is known."""
    return sum(len(cell.source) for cell in notebook.cells if cell.cell_type == "code")


def execution_order(pending: list[Pending], seconds: dict[str, float]) -> list[Pending]:
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

    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def execute_in_parallel(
    pending: list[Pending], cache, workers: int, *, task=run_notebook, pool_factory=process_pool
) -> dict[str, str]:
    """Run ``pending`` in ``workers`` processes and cache every success; return ``{docname: error}``."""
    from jupyter_cache.base import CacheBundleIn

    order = execution_order(pending, remembered_seconds(cache.path))
    failures: dict[str, str] = {}
    timed: dict[str, float] = {}
    with pool_factory(workers) as pool:
        futures = {
            pool.submit(task, p.notebook, str(p.path.parent), p.timeout, p.allow_errors): p for p in order
        }
        for future in as_completed(futures):
            p = futures[future]
            try:
                notebook, seconds, error = future.result()
            except Exception as exc:  # the worker process itself failed
                notebook, seconds, error = None, 0.0, f"{type(exc).__name__}: {exc}"
            if error is not None:
                failures[p.docname] = error
                first = error.strip().splitlines()[0] if error.strip() else "?"
                logger.info(
                    "[book] %s failed in a worker (%s): not cached; myst-nb executes it "
                    "again and reports the failure",
                    p.docname,
                    first,
                )
                continue
            cache.cache_notebook_bundle(
                CacheBundleIn(notebook, str(p.path), data={"execution_seconds": seconds}),
                check_validity=False,
                overwrite=True,
            )
            timed[p.docname] = seconds
            logger.info("[book] executed %s in %.1f s (worker process)", p.docname, seconds)
    remember_seconds(cache.path, timed)
    return failures


def _before_read(app, env, docnames):
    from jupyter_cache import get_cache

    nb_config = getattr(env, "mystnb_config", None)
    if nb_config is None or nb_config.execution_mode != "cache":
        return
    workers = worker_count()
    if workers < 2:
        return  # serial: myst-nb executes each notebook as it reads it
    cache = get_cache(nb_config.execution_cache_path)
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
        "[book] parallel execution took %.1f s; %d failed", time.perf_counter() - start, len(failures)
    )


# ------------------------------------------------------------------ the notebook readers download


def executed_notebook_file(app, docname: str) -> Path:
    """Where myst-nb writes a page's notebook, which sphinx-book-theme copies to ``_sources/``."""
    from myst_nb.sphinx_ext import OUTPUT_FOLDER

    return Path(app.outdir).parent.joinpath(OUTPUT_FOLDER, *f"{docname}.ipynb".split("/"))


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
    except KeyError:  # not executed (execution off or failed): leave it as myst-nb wrote it
        return False
    if merged != notebook:
        nbformat.write(merged, str(path))
    return True


def _download_with_outputs(app, doctree):
    from jupyter_cache import get_cache

    nb_config = getattr(app.env, "mystnb_config", None)
    path = executed_notebook_file(app, app.env.docname)
    if nb_config is None or nb_config.execution_mode != "cache" or not path.is_file():
        return
    add_cached_outputs(path, get_cache(nb_config.execution_cache_path))


def _remember_cached_times(app, exception):
    """After every build, serial or parallel: remember each page's cached run time."""
    from jupyter_cache import get_cache

    nb_config = getattr(app.env, "mystnb_config", None)
    if nb_config is None or nb_config.execution_mode != "cache":
        return
    cache = get_cache(nb_config.execution_cache_path)
    latest = {}
    for record in sorted(cache.list_cache_records(), key=lambda r: r.created):
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
KERNEL_ENV = {"OPENBLAS_NUM_THREADS": "1", "BOOK_STRICT_FIGURES": "1"}


def setup(app):
    for key, value in KERNEL_ENV.items():
        os.environ.setdefault(key, value)
    app.connect("builder-inited", lambda app: worker_count())  # a bad BOOK_EXECUTION_WORKERS fails at once
    app.connect("env-before-read-docs", _before_read)
    # After myst-nb's parser wrote the page's notebook (it does so while parsing).
    app.connect("doctree-read", _download_with_outputs)
    app.connect("build-finished", _remember_cached_times)
