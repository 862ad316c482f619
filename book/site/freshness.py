"""Re-execute the chapters when the code they import changes.

Jupyter Book's execution cache (jupyter-cache) is keyed on the source of a
notebook's code cells only. A chapter that calls ``book.data.adding_problem``
would keep its old outputs after ``book/data.py`` changed, and Sphinx would not
even re-read it, since the chapter's file did not change. This module closes
that hole:

- a fingerprint of the kernel-side code (``book/`` without ``book/site/``, and the pins:
  ``requirements.txt`` and ``requirements-lock.txt``) is stored next to the execution cache; when it differs,
  the cache is emptied and every page is re-read, so every notebook re-executes;
- a fingerprint of the build-side code (``book/site/``) is kept in Sphinx's
  environment; when it differs, every page is re-read (re-rendered) but nothing
  re-executes;
- pages that show what other pages glued (the status page) are re-read whenever
  any other page is, so that they never show an earlier run's numbers;
- **a build is "failed" until it succeeds**: the marker ``_build/.doctrees/book-last-build-failed``
  is written when the builder starts, before anything is read, executed or written, and
  removed only when the build ends without an error or a warning. The next build after a
  failed, interrupted (killed while writing pages) or crashed one finds it and re-reads
  every page. Sphinx only re-reads changed files, so without this a notebook that failed
  (a warning, fatal under ``-W``), or pages half-written when the build was stopped, would
  be published as they were by the next, unchanged build, which would then report success;
- **one build at a time**: a second ``jupyter-book build`` into the same ``_build/`` stops
  at once with a message (``_build/.book-build.lock``, an advisory lock the operating
  system drops when the first build's process ends, however it ends);
- **old execution reports** (``_build/html/reports/``, tracebacks with the build machine's
  paths) are removed by a successful build, so they are never published with a good site.

The fingerprint file lives inside the cache folder, so it travels with the cache
that CI restores (``.github/workflows/book.yml``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

from sphinx.errors import SphinxError
from sphinx.util import logging

logger = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parent.parent  # book/
ROOT = PACKAGE.parent
STAMP = "book-code.sha256"
FAILED = "book-last-build-failed"
#: The lock file of a build, in ``_build/`` (beside the site and the caches).
LOCK = ".book-build.lock"
#: Where myst-nb writes the tracebacks of failed notebooks, under the HTML output.
REPORTS = "reports"
#: Pages that display values glued by other pages.
AGGREGATE_PAGES = (
    "status",
)  # in the doctree folder, beside Sphinx's environment
SUFFIXES = {".py", ".json", ".js", ".css", ".html", ".txt"}


def fingerprint(paths) -> str:
    """SHA-256 over the relative paths and contents of the given files, in a stable order."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _files(folder: Path):
    return [
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix in SUFFIXES
        and "__pycache__" not in p.parts
    ]


#: The pins notebooks execute with: the direct ones, and the lock of the whole environment
#: (a transitive package that changes changes what the kernels run).
PIN_FILES = ("requirements.txt", "requirements-lock.txt")


def kernel_code_fingerprint() -> str:
    """What notebooks execute with: the ``book`` package (not its build-only ``site``) and the pins."""
    site = PACKAGE / "site"
    files = [p for p in _files(PACKAGE) if site not in p.parents]
    return fingerprint(
        files + [ROOT / name for name in PIN_FILES if (ROOT / name).is_file()]
    )


def site_code_fingerprint() -> str:
    return fingerprint(_files(PACKAGE / "site"))


def cache_folder(app) -> Path:
    """The folder of myst-nb's execution cache (myst-nb resolves it when the builder starts)."""
    config = getattr(app.env, "mystnb_config", None)
    configured = (
        getattr(config, "execution_cache_path", "")
        or app.config.nb_execution_cache_path
    )
    return (
        Path(configured)
        if configured
        else Path(app.outdir).parent / ".jupyter_cache"
    )


def _outdated(app, env, added, changed, removed):
    stale = False
    cache = cache_folder(app)
    stamp = cache / STAMP
    current = kernel_code_fingerprint()
    if cache.exists() and (
        not stamp.exists() or stamp.read_text().strip() != current
    ):
        logger.info(
            "[book] the book package or requirements changed: emptying the execution cache %s",
            cache,
        )
        shutil.rmtree(cache)
        stale = True
    cache.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current + "\n")

    if getattr(app, "book_last_build_failed", False):
        logger.info(
            "[book] the last build failed or was interrupted: re-reading every page"
        )
        stale = True

    site = site_code_fingerprint()
    if getattr(env, "book_site_fingerprint", None) not in (None, site):
        logger.info(
            "[book] the build extension changed: re-reading every page"
        )
        stale = True
    env.book_site_fingerprint = site
    if stale:
        return sorted(env.found_docs)
    if set(added) | set(changed):
        return [page for page in AGGREGATE_PAGES if page in env.found_docs]
    return []


class BuildLocked(SphinxError):
    category = "Build already running"


def lock_build(app) -> None:
    """Hold ``_build/.book-build.lock`` for this process, or stop: another build writes this folder."""
    import fcntl

    path = Path(app.outdir).parent / LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 - kept open (and locked) until the process ends
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise BuildLocked(
            f"another build is writing {path.parent} ({holder}): wait for it to finish or stop it, then "
            "build again (two builds at once would mix their pages and caches)"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(
        f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
    )
    handle.flush()
    app.book_build_lock = handle


def _build_started(app) -> None:
    """Before anything is read or written: lock the folder, and mark this build as failed
    until it succeeds (remembering whether the last one had failed)."""
    lock_build(app)
    marker = Path(app.doctreedir) / FAILED
    app.book_last_build_failed = marker.exists()
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(
        "A build started and has not finished without errors or warnings: the next build re-reads every page.\n"
    )


def _remember_failure(app, exception):
    """A build without an error or a warning (fatal under -W) removes the marker and old reports."""
    if exception is not None or getattr(app, "_warncount", 0):
        return  # the marker written at the start stays
    if getattr(getattr(app, "builder", None), "format", "html") != "html":
        return  # (linkcheck shares the doctrees but says nothing about the pages)
    (Path(app.doctreedir) / FAILED).unlink(missing_ok=True)
    reports = Path(app.outdir) / REPORTS
    if reports.is_dir():
        shutil.rmtree(reports)
        logger.info(
            "[book] removed the execution reports of earlier, failed builds (%s)",
            reports,
        )


def setup(app):
    app.connect("builder-inited", _build_started, priority=100)
    app.connect("env-get-outdated", _outdated)
    app.connect("build-finished", _remember_failure)
