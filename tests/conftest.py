"""Shared fixtures: the built site, a local static server, and headless Chromium.

Markers (see pyproject.toml): ``slow`` tests build the book or train models;
``browser`` tests drive Debian's Chromium against the built site. ``make test``
runs everything; ``make test-fast`` only the unit tests.

Environment knobs (for maintainers iterating on tests, never needed by CI):

- ``BOOK_OUTPUT``: the folder whose ``_build/`` receives the build (default: the
  repository root, i.e. the same ``_build/html`` that ``make book`` writes).
- ``BOOK_REUSE_BUILD=1``: use the existing ``_build/html`` instead of building.
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

CHROMIUM = "/usr/bin/chromium"
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


def build_book(output: Path, *, source: Path = ROOT) -> BuiltSite:
    """Run ``jupyter-book build`` exactly as ``make book`` does; keep its log."""
    output.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(Path(sys.executable).parent / "jupyter-book"),
        "build",
        str(source),
        "-W",
        "-n",
        "--keep-going",
        "--path-output",
        str(output),
    ]
    proc = subprocess.run(cmd, cwd=source, capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    (output / "_build").mkdir(exist_ok=True)
    (output / "_build" / "build.log").write_text(log)
    return BuiltSite(output, output / "_build" / "html", log, proc.returncode)


@pytest.fixture(scope="session")
def built_site() -> BuiltSite:
    """The book, built once per test session (fails the dependent tests if the build fails)."""
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
    return site


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
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def is_local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("data", "blob", "about") or parsed.hostname in ("127.0.0.1",)


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


def pytest_collection_modifyitems(config, items):
    """A test that needs the built book is slow, whatever its module says: `make test-fast`
    (``-m "not slow and not browser"``) must never start a build."""
    for item in items:
        if "built_site" in getattr(item, "fixturenames", ()) and "browser" not in item.keywords:
            item.add_marker(pytest.mark.slow)
