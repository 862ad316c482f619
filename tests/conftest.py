"""Shared fixtures: the built site, a local static server, and headless Chromium.

Markers (see pyproject.toml): ``slow`` tests build the book or train models;
``browser`` tests drive Debian's Chromium against the built site; ``claims`` tests are the
robustness checks of the chapters' claims. ``make test`` runs everything but ``claims``;
``make test-claims`` runs ``claims``; ``make test-fast`` only the unit tests.

Environment knobs (for maintainers iterating on tests, never needed by CI):

- ``BOOK_OUTPUT``: the folder whose ``_build/`` receives the build (default: the
  repository root, i.e. the same ``_build/html`` that ``make book`` writes).
- ``BOOK_REUSE_BUILD=1``: use the existing ``_build/html`` instead of building (the
  GitHub workflow's test job: the site its build job made, ``pytest -m site``).
- ``CHROME_PATH``: the Chromium the browser tests drive (default Debian's
  ``/usr/bin/chromium``, which the pull requests' ``make test`` job installs with apt in a
  Debian container; the test job of the built site uses the GitHub runner's own Chrome;
  never a downloaded browser).
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

CHROMIUM = os.environ.get("CHROME_PATH") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]


@dataclass
class BuiltSite:
    """A finished build: where its HTML is and what it printed."""

    output: Path  # the folder that holds _build/
    html: Path
    log: str
    returncode: int

    @property
    def build(self) -> Path:
        return self.output / "_build"


def _build_command(output: Path, source: Path) -> list[str]:
    return [
        str(Path(sys.executable).parent / "jupyter-book"),
        "build",
        str(source),
        "-W",
        "-n",
        "--keep-going",
        "--path-output",
        str(output),
    ]


class RunningBuild:
    """A ``jupyter-book build`` started in the background; :meth:`wait` gives its :class:`BuiltSite`."""

    def __init__(self, output: Path, *, source: Path = ROOT, env: dict | None = None):
        (output / "_build").mkdir(parents=True, exist_ok=True)
        self.output = output
        self._log = output / "_build" / "build.log"
        with self._log.open("w") as log:
            self._proc = subprocess.Popen(
                _build_command(output, source),
                cwd=source,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
                env={**os.environ, **(env or {})},
            )

    def wait(self) -> BuiltSite:
        returncode = self._proc.wait()
        log = self._log.read_text()
        return BuiltSite(self.output, self.output / "_build" / "html", log, returncode)

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()


def build_book(output: Path, *, source: Path = ROOT, env: dict | None = None) -> BuiltSite:
    """Run ``jupyter-book build`` exactly as ``make book`` does; keep its log."""
    return RunningBuild(output, source=source, env=env).wait()


#: The determinism check (``tests/test_build.py``) compares the session's build with a
#: second, independent cold build that uses another number of worker processes. That
#: build runs in the background from the moment the first one is done (the rest of the
#: suite runs meanwhile, and :func:`pytest_collection_modifyitems` puts the check last):
#: a serial build keeps one core busy for minutes, and the other one is free.
SECOND_BUILD_TEST = "test_two_builds_give_the_same_numbers"
_second_build_key = pytest.StashKey[RunningBuild]()
#: The log line of a notebook executed by a worker process of ``book.site.execute``.
WORKER_RUN = "(worker process)"


def _start_second_build(config, first: BuiltSite, output: Path) -> RunningBuild:
    from book.site.execute import WORKERS_ENV

    workers = "1" if WORKER_RUN in first.log else "2"
    running = RunningBuild(output, env={WORKERS_ENV: workers})
    config.stash[_second_build_key] = running
    return running


@pytest.fixture(scope="session")
def built_site(request, tmp_path_factory) -> BuiltSite:
    """The book, built once per test session (fails the dependent tests if the build fails).

    If the session includes the determinism check, its second build starts as soon as
    this one has succeeded (see :data:`SECOND_BUILD_TEST`)."""
    output = Path(os.environ.get("BOOK_OUTPUT", ROOT)).resolve()
    if os.environ.get("BOOK_REUSE_BUILD") == "1":
        log_file = output / "_build" / "build.log"
        log = log_file.read_text() if log_file.exists() else ""
        site = BuiltSite(output, output / "_build" / "html", log, 0)
    else:
        site = build_book(output)
    if site.returncode != 0 or not (site.html / "index.html").exists():
        pytest.fail(
            "The book did not build (see _build/build.log and _build/html/reports/):\n" + site.log[-6000:]
        )
    if any(item.name == SECOND_BUILD_TEST for item in request.session.items):
        running = _start_second_build(request.config, site, tmp_path_factory.mktemp("second-build"))
        request.addfinalizer(running.stop)  # if the session ends before the check waited for it
    return site


@pytest.fixture(scope="session")
def second_build(request, built_site, tmp_path_factory) -> BuiltSite:
    """The independent cold build of the determinism check, finished."""
    running = request.config.stash.get(_second_build_key, None)
    if running is None:  # the check was selected in a way the collection hook did not see
        running = _start_second_build(request.config, built_site, tmp_path_factory.mktemp("second-build"))
    return running.wait()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output readable
        pass


@pytest.fixture(scope="session")
def site_url(built_site) -> str:
    """Serve ``_build/html`` on 127.0.0.1 (a free port) for the whole session."""
    handler = functools.partial(_QuietHandler, directory=str(built_site.html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def keras_modules():
    """``(tf, keras)``, imported quietly (book.runtime), for tests that compare with Keras."""
    from book.runtime import import_tensorflow

    return import_tensorflow()


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium package (or set CHROME_PATH)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


#: Full-page screenshots of every page (``_build/screenshots/``), for a person to look at:
#: ``make screenshots`` (``BOOK_SCREENSHOTS=1``). A full-page shot of a long chapter at a
#: phone's pixel ratio takes 2 to 5 s, so ``make test`` takes none (it checks the pages
#: the same way either way).
SCREENSHOTS = os.environ.get("BOOK_SCREENSHOTS") == "1"


def is_local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("data", "blob", "about") or parsed.hostname in ("127.0.0.1",)


@pytest.fixture(scope="session")
def reports(browser, site_url, built_site):
    """``reports(name)``: the ``page_report.PageReport`` of a page, visited once per session
    and shared by the tests of what a reader sees, downloads, and runs under the page's policy.

    Fails the calling test if the page could not be inspected at all, so that no check
    passes for want of anything to check.
    """
    from page_report import inspect_page

    cache: dict = {}

    def get(name: str):
        if name not in cache:
            cache[name] = inspect_page(browser, site_url, built_site.build, name)
        report = cache[name]
        assert report.problems == [], (
            f"{name}: the page could not be inspected; page errors: {report.visit.page_errors}, "
            f"console errors: {report.visit.console_errors}, blocked: {report.visit.blocked_requests}"
        )
        return report

    return get


@pytest.fixture
def offline_page(browser):
    """A fresh page whose requests to any host but 127.0.0.1 are blocked and recorded.

    ``page.blocked_requests`` lists the URLs that tried to leave the machine.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []

    def guard(route):
        if is_local(route.request.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.blocked_requests = blocked
    yield page
    context.close()


#: Fixtures that build the book again (not tests of the site that was built).
REBUILDING_FIXTURES = {"second_build", "cache_only_build"}


def pytest_collection_modifyitems(config, items):
    """Mark and order the tests.

    - A test that needs the built book is slow, whatever its module says: `make test-fast`
      (``-m "not slow and not browser"``) must never start a build.
    - Order: the tests that need the built book first (the book is built once, before
      the first of them), then the others, and the determinism check last, so that its
      second build, started in the background after the first, overlaps with the most tests.
    """
    for item in items:
        if "built_site" in getattr(item, "fixturenames", ()) and "browser" not in item.keywords:
            item.add_marker(pytest.mark.slow)
        # the tests of a finished site (``-m site``): they read the built book and build nothing again
        fixtures = set(getattr(item, "fixturenames", ()))
        if (
            "built_site" in fixtures
            and not fixtures & REBUILDING_FIXTURES
            and "rebuilds" not in item.keywords
        ):
            item.add_marker(pytest.mark.site)

    def rank(item) -> int:
        if item.name == SECOND_BUILD_TEST:
            return 2
        return 0 if "built_site" in getattr(item, "fixturenames", ()) else 1

    items.sort(key=rank)  # stable: each group keeps pytest's order
