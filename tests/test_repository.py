"""Repository hygiene: pinned requirements with one source of truth, valid workflows, CI entry point."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;#]+)")


def _requirement_lines(name):
    for raw in (ROOT / name).read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            yield line


def _pins(name) -> dict[str, str]:
    pins = {}
    for line in _requirement_lines(name):
        if line.startswith(("-r ", "-e ")):
            continue
        match = PIN.match(line)
        assert match, f"{name}: {line!r} is not pinned with =="
        key = re.sub(r"[-_.]+", "-", match.group(1).split("[")[0]).lower()
        assert key not in pins, f"{name} pins {key} twice"
        pins[key] = match.group(2)
    return pins


def test_requirements_are_pinned_and_agree():
    runtime, dev = _pins("requirements.txt"), _pins("requirements-dev.txt")
    both = set(runtime) & set(dev)
    assert not both, f"pinned in both requirements files (one source of truth): {sorted(both)}"
    assert "-r requirements.txt" in list(_requirement_lines("requirements-dev.txt"))
    assert "-e ." in list(_requirement_lines("requirements.txt")), (
        "the book package must be installed for Binder"
    )


def test_required_packages_are_pinned():
    runtime = _pins("requirements.txt")
    for name in [
        "jupyter-book",
        "myst-nb",
        "sphinx-book-theme",
        "sphinx-thebe",
        "tensorflow-cpu",
        "numpy",
        "matplotlib",
        "plotly",
        "jupyterquiz",
    ]:
        assert name in runtime, f"requirements.txt does not pin {name}"
    assert runtime["jupyter-book"].startswith("1."), "the book is a Jupyter Book 1 site"
    dev = _pins("requirements-dev.txt")
    for name in ["pytest", "playwright"]:
        assert name in dev and name not in runtime, f"{name} is a test tool: requirements-dev.txt only"


def test_installed_versions_match_the_pins():
    """The environment the tests run in is the one the requirements describe."""
    wrong = {}
    for name, version in {**_pins("requirements.txt"), **_pins("requirements-dev.txt")}.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            wrong[name] = (version, None)
            continue
        if installed != version:
            wrong[name] = (version, installed)
    assert not wrong, f"pinned vs installed: {wrong}"


def test_no_other_file_pins_python_packages():
    """Versions live in requirements*.txt only: pyproject, Makefile and workflows must not repeat them."""
    pins = {**_pins("requirements.txt"), **_pins("requirements-dev.txt")}
    others = [ROOT / "pyproject.toml", ROOT / "Makefile", *sorted((ROOT / ".github/workflows").glob("*.yml"))]
    for path in others:
        text = path.read_text().lower()
        for name in pins:
            assert not re.search(rf"\b{re.escape(name)}\s*(==|>=|~=)", text), f"{path.name} pins {name}"


def test_python_version_agrees():
    runtime = (ROOT / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.\d+", runtime), runtime
    version = runtime.removeprefix("python-")
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == version, (
        "tests run on another Python than Binder"
    )
    for workflow in (ROOT / ".github/workflows").glob("*.yml"):
        for found in re.findall(r"python-version:\s*\"?([0-9.]+)\"?", workflow.read_text()):
            assert found == version, f"{workflow.name} uses Python {found}, runtime.txt {version}"


@pytest.mark.parametrize("workflow", sorted((ROOT / ".github/workflows").glob("*.yml")), ids=lambda p: p.name)
def test_workflow_is_valid(workflow):
    checker = Path(sys.executable).parent / "check-jsonschema"
    proc = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_workflow_builds_strictly_and_deploys_main_only():
    wf = yaml.safe_load((ROOT / ".github/workflows/book.yml").read_text())
    text = (ROOT / ".github/workflows/book.yml").read_text()
    assert "set -eo pipefail" in text and "make book" in text
    assert "-W -n --keep-going" in (ROOT / "Makefile").read_text()
    assert wf["permissions"] == {"contents": "read"}
    assert "concurrency" in wf
    cache_steps = [s for s in wf["jobs"]["build"]["steps"] if s.get("uses", "").startswith("actions/cache")]
    assert cache_steps and cache_steps[0]["with"]["path"] == "_build/.jupyter_cache"
    key = cache_steps[0]["with"]["key"]
    for part in ["chapters/**", "book/**", "quizzes/**", "requirements*.txt"]:  # the lock files too
        assert part in key, f"the cache key does not hash {part}"
    deploy = wf["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert "refs/heads/main" in deploy["if"]
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in deploy["steps"])


def test_the_site_is_deployed_only_after_its_tests_passed_on_the_built_artifact():
    wf = yaml.safe_load((ROOT / ".github/workflows/book.yml").read_text())
    build, test, deploy = wf["jobs"]["build"], wf["jobs"]["test"], wf["jobs"]["deploy"]
    assert set(deploy["needs"]) == {"build", "test"} and test["needs"] == "build"
    uploads = [s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    site = next(s for s in uploads if s["with"]["name"] == "built-site")
    assert "_build/html" in site["with"]["path"] and "if" not in site
    steps = test["steps"]
    names = [s.get("uses", "").split("@")[0] or s.get("run", "") for s in steps]
    download = names.index("actions/download-artifact")
    run = next(i for i, s in enumerate(steps) if "pytest -m site" in s.get("run", ""))
    pages = names.index("actions/upload-pages-artifact")
    assert download < run < pages, "the tests must run on the downloaded site, before it is handed to Pages"
    assert steps[download]["with"] == {"name": "built-site", "path": "_build"}
    assert test["env"]["BOOK_REUSE_BUILD"] == "1"
    assert not any(s.get("uses", "").startswith("actions/upload-pages-artifact") for s in build["steps"])
    # the runner's own Chrome, never a downloaded browser
    assert test["env"]["CHROME_PATH"] == "/usr/bin/google-chrome"
    assert "playwright install" not in (ROOT / ".github/workflows/book.yml").read_text()


def test_ci_entry_point_runs_make_test():
    script = (ROOT / ".ci/run").read_text()
    assert "set -euo pipefail" in script and "make test" in script
    readme = (ROOT / "README.md").read_text()
    assert "make book" in readme and "make test" in readme


def test_config_points_binder_at_main():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["repository"]["branch"] == "main"
    assert config["only_build_toc_files"] is True
    for excluded in [".venv", "_build", "node_modules"]:
        assert excluded in config["exclude_patterns"]
    assert config["execute"]["execute_notebooks"] == "cache"
    assert config["execute"]["allow_errors"] is False
