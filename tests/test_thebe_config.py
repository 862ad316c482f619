"""Live Code and Binder configuration, checked in the built pages (no kernel needed).

- every chapter's Thebe configuration and Binder link name this repository and BinderHub
  (``repository.url`` in ``_config.yml``), its branch, and the kernel ``python3``;
- Thebe starts kernels in the chapter's own folder, as the build does;
- Live Code turns exactly the code cells' inputs into editors, the hidden
  ``thebe-init`` setup cell included;
- the Binder environment is ``requirements.txt`` + ``runtime.txt`` and stays lean;
- every chapter's kernel stays under the memory budget (read from the build's
  execution cache, where ``book.runtime.check_memory`` glued it).
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from book_pages import chapter_pages
from conftest import ROOT
from thebe_support import PUBLISHED_THEBE_URL, thebe_configs, thebe_js_url

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
KERNEL = "python3"


def repository() -> tuple[str, str, str]:
    """``(org, repo, branch)`` from ``_config.yml``: the one place a fork changes."""
    repo = CONFIG["repository"]
    parsed = urlparse(repo["url"])
    assert parsed.netloc == "github.com", "Binder and Thebe links are built for GitHub repositories"
    org, name = parsed.path.strip("/").split("/")[:2]
    return org, name.removesuffix(".git"), repo.get("branch", "master")


def front_matter(docname: str) -> str:
    text = (ROOT / f"{docname}.md").read_text()
    return text.split("---")[1] if text.startswith("---") else ""


def chapter_docnames() -> list[str]:
    """Every chapter of ``_toc.yml``: notebooks (they have a kernelspec)."""
    return [name for name in chapter_pages() if "kernelspec:" in front_matter(name)]


CHAPTERS = chapter_docnames()


def page(built_site, docname: str) -> str:
    return (built_site.html / f"{docname}.html").read_text()


def test_the_book_has_notebook_chapters():
    assert len(CHAPTERS) >= 5, CHAPTERS
    assert all(name.startswith("chapters/") for name in CHAPTERS)


def test_binder_environment_files_are_lean():
    """Binder builds the environment from requirements.txt + runtime.txt (repo2docker)."""
    assert (ROOT / "runtime.txt").read_text().strip() == "python-3.11"
    lines = [
        line.split("#")[0].strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.split("#")[0].strip()
    ]
    assert lines[-1] == "-e .", "`import book` needs the package installed in the Binder kernel"
    pinned = {re.split(r"[=<>!~\[]", line)[0].lower() for line in lines if line != "-e ."}
    for tool in ("pytest", "playwright", "axe-playwright-python", "beautifulsoup4", "jupyter-server"):
        assert tool not in pinned, f"{tool} is a test tool: it belongs in requirements-dev.txt"
    # Binder files that would override requirements.txt or slow every launch.
    for name in ("environment.yml", "Pipfile", "setup.py", "Dockerfile", "binder", ".binder"):
        assert not (ROOT / name).exists(), f"{name} would change what Binder builds"


def test_binder_postbuild_opens_chapters_as_notebooks(tmp_path):
    """postBuild (run by repo2docker) makes JupyterLab open the MyST chapters as notebooks."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "HOME": str(tmp_path), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env.pop("JUPYTER_CONFIG_DIR", None)
    proc = subprocess.run(["bash", str(ROOT / "postBuild")], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    settings = [json.loads(p.read_text()) for p in tmp_path.rglob("*.json")]
    viewers = [
        s["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
        for s in settings
        if "@jupyterlab/docmanager-extension:plugin" in s
    ]
    assert viewers and viewers[0].get("myst") == "Jupytext Notebook", settings
    assert viewers[0].get("markdown") == "Jupytext Notebook"


def test_launch_buttons_use_thebe_and_name_a_binderhub():
    launch = CONFIG["launch_buttons"]
    assert launch["thebe"] is True
    # The one setting for both the Binder button and Live Code (book.site.thebe writes it
    # into thebe's binderOptions.binderUrl): an absolute https URL.
    assert urlparse(launch["binderhub_url"]).scheme == "https", launch["binderhub_url"]


# A page's Thebe configuration as sphinx-thebe 0.3.1 writes it (its template, filled in).
SPHINX_THEBE_CONFIG = """
    <script type="text/x-thebe-config">
    {
        requestKernel: true,
        binderOptions: {
            repo: "lstm-course/lstm-course",
            ref: "main",
        },
        codeMirrorConfig: {
            theme: "abcdef",
            mode: "python"
        },
        kernelOptions: {
            name: "python3",
            path: "./chapters"
        },
        predefinedOutput: true
    }
    </script>
"""


def _parsed(text):
    configs = thebe_configs(text)
    assert len(configs) == 1, text
    return configs[0]


@pytest.mark.parametrize("url", ["https://binder.example.edu", "https://hub.example.org/binder/"])
def test_binderhub_url_reaches_thebe(url):
    """``launch_buttons.binderhub_url``, as Jupyter Book passes it to Sphinx, becomes thebe's binderUrl."""
    from types import SimpleNamespace

    from book.site import thebe

    config = SimpleNamespace(html_theme_options={"launch_buttons": {"thebe": True, "binderhub_url": url}})
    assert thebe.binderhub_url(config) == url.rstrip("/")
    patched = thebe.patch_config(SPHINX_THEBE_CONFIG, "chapters/x", thebe.binderhub_url(config))
    parsed = _parsed(patched)
    assert parsed["binderOptions"] == {
        "binderUrl": url.rstrip("/"),
        "repo": "lstm-course/lstm-course",
        "ref": "main",
    }
    assert parsed["mathjaxUrl"] is False and parsed["requestKernel"] is True
    assert thebe.patch_config(patched, "chapters/x", url) == patched, "patching twice must change nothing"


def test_without_binderhub_url_thebe_keeps_its_default():
    from types import SimpleNamespace

    from book.site import thebe

    assert thebe.binderhub_url(SimpleNamespace(html_theme_options={})) == ""
    parsed = _parsed(thebe.patch_config(SPHINX_THEBE_CONFIG, "chapters/x", ""))
    assert "binderUrl" not in parsed["binderOptions"] and parsed["mathjaxUrl"] is False


def test_a_changed_sphinx_thebe_template_is_a_clear_error():
    from book.site import thebe

    with pytest.raises(RuntimeError, match=r"chapters/x.*binderUrl"):
        thebe.patch_config(
            SPHINX_THEBE_CONFIG.replace("binderOptions: {", "binder: {"),
            "chapters/x",
            "https://binder.example.edu",
        )


@pytest.mark.slow
@pytest.mark.parametrize("docname", CHAPTERS)
def test_thebe_config_names_this_repository(built_site, docname):
    html = page(built_site, docname)
    org, repo, branch = repository()
    assert branch == "main"

    assert thebe_js_url(html) == PUBLISHED_THEBE_URL, "the thebe the e2e test emulates"
    configs = thebe_configs(html)
    assert len(configs) == 1, configs
    config = configs[0]
    assert config["requestKernel"] is True
    assert config["predefinedOutput"] is True
    # Thebe must not load MathJax 2 from a CDN: the pages load no MathJax, their math is
    # typeset at build time (book.site.thebe, book.site.mathrender).
    assert config["mathjaxUrl"] is False
    assert config["binderOptions"]["repo"] == f"{org}/{repo}"
    assert config["binderOptions"]["ref"] == branch
    # Live Code asks the same BinderHub as the Binder button (book.site.thebe).
    assert config["binderOptions"]["binderUrl"] == CONFIG["launch_buttons"]["binderhub_url"].rstrip("/")
    assert config["kernelOptions"]["name"] == KERNEL
    # The kernel starts in the chapter's folder, like the build's execution
    # (execute.run_in_temp: false), so relative paths behave the same.
    folder = posixpath.dirname(docname)
    assert posixpath.normpath(config["kernelOptions"]["path"]) == folder
    assert (ROOT / folder).is_dir()
    assert f"name: {KERNEL}" in front_matter(docname)

    # The "launch on Binder" link of the same page.
    hub = re.escape(CONFIG["launch_buttons"]["binderhub_url"].rstrip("/"))
    links = re.findall(rf'href="({hub}/v2/[^"]+)"', html)
    assert len(links) == 1, links
    link = urlparse(links[0].replace("&amp;", "&"))
    assert f"{link.scheme}://{link.netloc}" == CONFIG["launch_buttons"]["binderhub_url"].rstrip("/")
    assert link.path == f"/v2/gh/{org}/{repo}/{branch}"
    assert parse_qs(link.query)["urlpath"] == [f"lab/tree/{docname}.md"]


@pytest.mark.slow
@pytest.mark.parametrize("docname", CHAPTERS)
def test_live_code_makes_exactly_the_code_inputs_executable(built_site, docname):
    """Emulate sphinx-thebe's page script: which elements would become editors?

    It takes every element matching ``thebe_selector`` and makes the first match of
    ``thebe_selector_input`` in it executable. That must be a code cell's input,
    never an output (a ``remove-input`` cell's text output) nor a quiz.
    """
    from bs4 import BeautifulSoup

    html = page(built_site, docname)
    selector = re.search(r'const thebe_selector = "([^"]+)"', html).group(1)
    selector_input = re.search(r'const thebe_selector_input = "([^"]+)"', html).group(1)
    soup = BeautifulSoup(html, "html.parser")
    article = soup.select_one("article")
    executable = [el.select_one(selector_input) for el in article.select(selector)]
    executable = [el for el in executable if el is not None]
    inputs = article.select(".cell_input pre")
    assert executable, f"{docname}: no code cell for Live Code"
    for el in executable:
        assert el.find_parent(class_="cell_input") is not None, (
            f"{docname}: Live Code would turn this non-input into a code cell:\n{el.get_text()[:300]}"
        )
    assert len({id(el) for el in executable}) == len(inputs)

    # Hidden code is in the page, so Thebe can run it; removed code is not.
    for cell in article.select(".cell.tag_hide-input, .cell.tag_hide-cell"):
        assert cell.select_one(".cell_input pre") is not None, cell.get("class")

    # Outputs sphinx-thebe moves next to their code: never a hide-input cell's, which
    # would then be collapsed with the code (its figure would vanish on "Live Code").
    selector_output = re.search(r'const thebe_selector_output = "([^"]+)"', html).group(1)
    for cell in article.select(selector):
        output = cell.select_one(selector_output)
        if "tag_hide-input" in cell.get("class", []):
            assert output is None, f"{docname}: a hide-input cell's output would be hidden by Live Code"
        elif cell.select_one(".cell_output") is not None:
            assert output is cell.select_one(".cell_output")

    # The setup cell comes first, tagged for Thebe, and is in the page (hidden, not removed).
    first = article.select_one(".cell")
    classes = first.get("class", [])
    assert "tag_thebe-init" in classes and "tag_hide-cell" in classes, classes
    assert first.select_one(".cell_input pre") is not None
    assert "setup(" in first.select_one(".cell_input pre").get_text()


# --------------------------------------------------------------------------- memory


def _executed_notebook(built_site, docname: str):
    """The executed notebook of ``docname`` from the build's jupyter-cache."""
    from jupyter_cache import get_cache
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    cache = get_cache(built_site.build / ".jupyter_cache")
    md_config = MdParserConfig(enable_extensions=set(CONFIG["parse"]["myst_enable_extensions"]))
    source = ROOT / f"{docname}.md"
    notebook = read_myst_markdown_notebook(source.read_text(), md_config, path=source)
    record = cache.match_cache_notebook(notebook)  # KeyError: not executed by this build
    return cache.get_cache_bundle(record.pk).nb


def _glued(notebook, name: str) -> str | None:
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("metadata", {}).get("scrapbook", {}).get("name") == name:
                prefix = output["metadata"]["scrapbook"].get("mime_prefix", "")
                return output["data"][prefix + "text/plain"]
    return None


@pytest.mark.slow
def test_every_chapter_fits_the_binder_memory_budget(built_site, capsys):
    """Each chapter's last cell glued its kernel's peak memory; report it, and hold the budget."""
    from book.runtime import MEMORY_BUDGET_MB

    peaks: dict[str, float | None] = {}
    not_executed = []
    for docname in CHAPTERS:
        try:
            notebook = _executed_notebook(built_site, docname)
        except KeyError:  # its execution failed, or it changed after this build
            not_executed.append(docname)
            continue
        value = _glued(notebook, "kernel_peak_memory_mb")
        peaks[docname] = None if value is None else float(value)
    with capsys.disabled():
        print(f"\nPeak kernel memory per chapter (MiB; budget {MEMORY_BUDGET_MB}):")
        for docname in CHAPTERS:
            peak = peaks.get(docname)
            shown = (
                "not executed"
                if docname in not_executed
                else "no check_memory()"
                if peak is None
                else f"{peak:.0f}"
            )
            print(f"  {docname:32s} {shown:>18s}")
    assert not not_executed, (
        f"not in this build's execution cache (execution failed, or edited since): {not_executed}"
    )
    over = {name: peak for name, peak in peaks.items() if peak is not None and peak > MEMORY_BUDGET_MB}
    assert not over, f"above {MEMORY_BUDGET_MB} MiB: {over}"
    missing = [name for name, peak in peaks.items() if peak is None]
    assert not missing, (
        "these chapters do not end with the `check_memory()` cell "
        f"(`from book.runtime import check_memory` + `check_memory()`, tag remove-cell): {missing}"
    )


# ----------------------------------------------------------------------- unit tests


def test_check_memory_glues_the_peak_and_passes_under_budget(monkeypatch):
    import book.runtime as runtime

    glued = {}
    monkeypatch.setattr(
        "myst_nb.glue", lambda name, value, display=True: glued.update({name: (value, display)})
    )
    monkeypatch.setattr(runtime, "peak_memory_mb", lambda: 812.34)
    assert runtime.check_memory() == 812.3
    assert glued == {"kernel_peak_memory_mb": (812.3, False)}


def test_check_memory_fails_above_budget(monkeypatch):
    import book.runtime as runtime

    glued = {}
    monkeypatch.setattr("myst_nb.glue", lambda name, value, display=True: glued.update({name: value}))
    monkeypatch.setattr(runtime, "peak_memory_mb", lambda: 1600.0)
    with pytest.raises(AssertionError, match=r"1600 MiB.*budget of 1000 MiB"):
        runtime.check_memory()
    assert glued == {"kernel_peak_memory_mb": 1600.0}  # recorded even when it fails


def test_peak_memory_is_this_process_resident_memory():
    import resource

    from book.runtime import peak_memory_mb

    peak = peak_memory_mb()
    assert 5 < peak < 100_000
    assert peak == pytest.approx(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, rel=0.01)
