"""The ".ipynb" download of every chapter carries its outputs, and runs as a plain notebook.

sphinx-book-theme's download button serves ``_sources/<chapter>.ipynb``, a copy of the
notebook myst-nb writes to ``_build/jupyter_execute/``. myst-nb wrote it without outputs
whenever it took them from the execution cache; ``book.site.execute`` fixes that. The
situation that showed it: a build whose every notebook comes from the cache (CI with a
restored cache; locally ``rm -rf _build/html _build/.doctrees _build/jupyter_execute``).
"""

from __future__ import annotations

import shutil

import nbformat
import pytest

from book_pages import chapter_pages
from conftest import ROOT, build_book
from test_thebe_config import _executed_notebook

# The second tier (make test-claims): a second build of the whole book, from the cache.
pytestmark = [pytest.mark.slow, pytest.mark.claims]


def code_cells_with_outputs(notebook) -> int:
    return sum(1 for cell in notebook.cells if cell.cell_type == "code" and cell.get("outputs"))


@pytest.fixture(scope="module")
def cache_only_build(built_site, tmp_path_factory):
    """A second build of the book from the first one's execution cache alone (no HTML, no doctrees)."""
    output = tmp_path_factory.mktemp("cache-only")
    (output / "_build").mkdir()
    shutil.copytree(built_site.build / ".jupyter_cache", output / "_build" / ".jupyter_cache")
    site = build_book(output)
    assert site.returncode == 0, site.log[-4000:]
    return site


def test_a_build_from_the_cache_offers_notebooks_with_outputs(cache_only_build):
    assert "Executing notebook" not in cache_only_build.log and "(worker process)" not in cache_only_build.log
    for docname in chapter_pages():
        source = ROOT / f"{docname}.md"
        if "kernelspec:" not in source.read_text().split("---")[1]:
            continue
        download = cache_only_build.html / "_sources" / f"{docname}.ipynb"
        assert download.is_file(), f"{docname}: no .ipynb download"
        notebook = nbformat.read(str(download), as_version=4)
        cached = _executed_notebook(cache_only_build, docname)  # what the page shows
        assert code_cells_with_outputs(notebook) == code_cells_with_outputs(cached) > 0, docname


@pytest.mark.timeout(900)
def test_a_downloaded_chapter_runs_top_to_bottom_in_a_plain_kernel(cache_only_build, tmp_path):
    """The quickest chapter's download, executed by nbclient in the book's environment
    (requirements.txt), from the chapters' folder as a reader's checkout would."""
    from jupyter_cache import get_cache
    from nbclient import NotebookClient

    cache = get_cache(cache_only_build.build / ".jupyter_cache")
    seconds = {r.uri: r.data.get("execution_seconds") or 1e9 for r in cache.list_cache_records()}
    docname = min(
        (d for d in chapter_pages() if str(ROOT / f"{d}.md") in seconds),
        key=lambda d: seconds[str(ROOT / f"{d}.md")],
    )
    download = cache_only_build.html / "_sources" / f"{docname}.ipynb"
    notebook = nbformat.read(str(download), as_version=4)
    for cell in notebook.cells:  # start from a clean notebook
        if cell.cell_type == "code":
            cell.outputs = []
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "chapters")}}
    ).execute()
    errors = [
        o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert not errors, errors
    assert code_cells_with_outputs(notebook) > 0
    print(f"\n{docname}: the downloaded notebook ran top to bottom in a plain kernel")
