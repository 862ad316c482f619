"""The book builds cleanly, every page is there, and an unchanged rebuild executes nothing."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from book_pages import toc_pages
from conftest import WORKER_RUN, build_book

pytestmark = pytest.mark.slow

# Every line of the build log that says WARNING, ERROR... is a defect: nothing is excused.
# (ipykernel's "Kernel is running over TCP without encryption", once per notebook, was;
# the build's kernels now run on the IPC transport, book.site.execute.IPCKernelManager.)
WARNING = re.compile(r"(WARNING|ERROR|CRITICAL|SEVERE)\b")
# What TensorFlow and friends print on stderr; none of it may reach a page.
LOG_NOISE = [
    "oneDNN",
    "cuInit",
    "absl::InitializeLog",
    "cudart_stub",
    "cpu_feature_guard",
    "TF_ENABLE_ONEDNN_OPTS",
    # AutoGraph's conversion warnings (one printed the whole os.environ into a page)
    "AutoGraph could not transform",
    "environ({",
]


# How the log says a notebook was executed: by myst-nb while reading its page (serial),
# or by a worker process of book.site.execute before the pages are read (parallel).
MYSTNB_RUN = "Executing notebook using"


def warnings_in(log: str) -> list[str]:
    return [line for line in log.splitlines() if WARNING.search(line)]


def test_build_log_has_no_warnings(built_site):
    assert warnings_in(built_site.log) == []
    assert "without encryption" not in built_site.log
    assert "build succeeded" in built_site.log


def test_warnings_in_finds_a_kernel_warning():
    """The check above is live: the line every notebook's kernel used to print is caught."""
    line = (
        "[IPKernelApp] WARNING | Kernel is running over TCP without encryption. All communication "
        "(including code and outputs) is sent in plain text and is susceptible to eavesdropping."
    )
    assert warnings_in(f"building [html]\n{line}\nbuild succeeded.") == [line]
    assert warnings_in("suppress_warnings=[], output_stderr='remove-warn'\nbuild succeeded.") == []


@pytest.mark.parametrize("page", toc_pages())
def test_every_toc_page_is_built_without_errors_or_noise(built_site, page):
    html_file = built_site.html / f"{page}.html"
    assert html_file.exists(), f"{page} is in _toc.yml but {html_file} was not built"
    soup = BeautifulSoup(html_file.read_text(), "html.parser")
    article = soup.find("article") or soup
    # myst-nb marks error outputs and stderr streams with these classes.
    assert not article.select(".output.traceback, .output.error, .output.stderr"), (
        f"{page} shows an error or stderr output"
    )
    text = article.get_text(" ")
    assert "Traceback (most recent call last)" not in text, f"{page} shows a traceback"
    for noise in LOG_NOISE:
        assert noise not in text, f"{page} shows log noise: {noise!r}"


def test_no_execution_reports(built_site):
    reports = built_site.html / "reports"
    assert not reports.exists() or not any(reports.iterdir()), f"failed executions: {list(reports.iterdir())}"


def _cache_records(output):
    from jupyter_cache import get_cache

    cache = get_cache(output / "_build" / ".jupyter_cache")
    return {(r.pk, r.hashkey, r.created.isoformat()) for r in cache.list_cache_records()}


@pytest.mark.rebuilds
def test_unchanged_rebuild_executes_nothing(built_site):
    """A second build with nothing changed re-executes no notebook (asserted from jupyter-cache and the log)."""
    before = _cache_records(built_site.output)
    assert before, "the first build stored no executed notebook in the cache"
    again = build_book(built_site.output)
    assert again.returncode == 0, again.log[-4000:]
    assert "Executing notebook" not in again.log, [
        line for line in again.log.splitlines() if "Executing" in line
    ]
    assert WORKER_RUN not in again.log, [line for line in again.log.splitlines() if WORKER_RUN in line]
    assert _cache_records(built_site.output) == before


def _article_words(html_file):
    article = BeautifulSoup(html_file.read_text(), "html.parser").find("article")
    return article.get_text(" ").split()


@pytest.mark.claims
def test_two_builds_give_the_same_numbers(built_site, second_build):
    """Seeds and TensorFlow's thread count are fixed: an independent build, with an empty
    execution cache and another number of worker processes (serial if the first build ran
    its notebooks in parallel, 2 workers otherwise), made while the rest of the suite ran
    on the same cores (``conftest.second_build``), writes the same text (every glued
    number, every printed output) on every chapter page."""
    from book_pages import chapter_pages

    again = second_build
    assert again.returncode == 0, again.log[-4000:]
    if WORKER_RUN in built_site.log:
        assert MYSTNB_RUN in again.log and WORKER_RUN not in again.log, (
            "the second build must execute serially"
        )
    else:
        assert WORKER_RUN in again.log and MYSTNB_RUN not in again.log, (
            "the second build must execute in parallel"
        )
    for page in chapter_pages():
        first = _article_words(built_site.html / f"{page}.html")
        second = _article_words(again.html / f"{page}.html")
        if first != second:
            import difflib

            diff = [d for d in difflib.unified_diff(first, second, lineterm="", n=2)][:40]
            raise AssertionError(f"{page} differs between two builds:\n" + "\n".join(diff))
