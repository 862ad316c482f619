"""Re-execute the chapters when the code they import changes.

Jupyter Book's execution cache (jupyter-cache) is keyed on the source of a
notebook's code cells only. A chapter that calls ``book.data.adding_problem``
would keep its old outputs after ``book/data.py`` changed, and Sphinx would not
even re-read it, since the chapter's file did not change. This module closes
that hole:

- a fingerprint of the kernel-side code (``book/`` without ``book/site/``, and
  ``requirements.txt``) is stored next to the execution cache; when it differs,
  the cache is emptied and every page is re-read, so every notebook re-executes;
- a fingerprint of the build-side code (``book/site/``) is kept in Sphinx's
  environment; when it differs, every page is re-read (re-rendered) but nothing
  re-executes;
- pages that show what other pages glued (the status page) are re-read whenever
  any other page is, so that they never show an earlier run's numbers;
- a build that ended with warnings or an error leaves a marker: the next build
  re-reads every page. Sphinx only re-reads changed files, so without this a
  notebook that failed (a warning, fatal under ``-W``) would be published as it
  was by the next, unchanged build, which would then report success.

The fingerprint file lives inside the cache folder, so it travels with the cache
that CI restores (``.github/workflows/book.yml``).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parent.parent  # book/
ROOT = PACKAGE.parent
STAMP = "book-code.sha256"
FAILED = "book-last-build-failed"
#: Pages that display values glued by other pages.
AGGREGATE_PAGES = ("status",)  # in the doctree folder, beside Sphinx's environment
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
        p for p in folder.rglob("*") if p.is_file() and p.suffix in SUFFIXES and "__pycache__" not in p.parts
    ]


def kernel_code_fingerprint() -> str:
    """What notebooks execute with: the ``book`` package (not its build-only ``site``) and the pins."""
    site = PACKAGE / "site"
    files = [p for p in _files(PACKAGE) if site not in p.parents]
    return fingerprint(files + [ROOT / "requirements.txt"])


def site_code_fingerprint() -> str:
    return fingerprint(_files(PACKAGE / "site"))


def cache_folder(app) -> Path:
    """The folder of myst-nb's execution cache (myst-nb resolves it when the builder starts)."""
    config = getattr(app.env, "mystnb_config", None)
    configured = getattr(config, "execution_cache_path", "") or app.config.nb_execution_cache_path
    return Path(configured) if configured else Path(app.outdir).parent / ".jupyter_cache"


def _outdated(app, env, added, changed, removed):
    stale = False
    cache = cache_folder(app)
    stamp = cache / STAMP
    current = kernel_code_fingerprint()
    if cache.exists() and (not stamp.exists() or stamp.read_text().strip() != current):
        logger.info("[book] the book package or requirements changed: emptying the execution cache %s", cache)
        shutil.rmtree(cache)
        stale = True
    cache.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current + "\n")

    failed = Path(app.doctreedir) / FAILED
    if failed.exists():
        logger.info("[book] the last build failed: re-reading every page")
        failed.unlink()
        stale = True

    site = site_code_fingerprint()
    if getattr(env, "book_site_fingerprint", None) not in (None, site):
        logger.info("[book] the build extension changed: re-reading every page")
        stale = True
    env.book_site_fingerprint = site
    if stale:
        return sorted(env.found_docs)
    if set(added) | set(changed):
        return [page for page in AGGREGATE_PAGES if page in env.found_docs]
    return []


def _remember_failure(app, exception):
    """Leave the marker when this build raised or warned (warnings fail the build under -W)."""
    if exception is not None or getattr(app, "_warncount", 0):
        Path(app.doctreedir).mkdir(parents=True, exist_ok=True)
        (Path(app.doctreedir) / FAILED).write_text("re-read every page on the next build\n")


def setup(app):
    app.connect("env-get-outdated", _outdated)
    app.connect("build-finished", _remember_failure)
