"""Lint and spell check (issue 16), fast: the same pinned tools and files as .pre-commit-config.yaml.

- ``ruff check``: the rules chosen in pyproject.toml ([tool.ruff.lint]);
- ``ruff format --check``: the code is formatted as ``ruff format`` would write it;
- ``codespell``: code, chapters, quizzes and documentation, with the words in
  pyproject.toml ([tool.codespell]) accepted.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
#: What ruff checks and formats (its configuration adds .github/scripts/).
PYTHON_PATHS = ["book", "tests", ".github/scripts"]
#: What codespell reads.
SPELL_PATHS = [
    "book",
    "tests",
    "chapters",
    "quizzes",
    ".github",
    "README.md",
    "CONTRIBUTING.md",
    "docs",
    "intro.md",
    "status.md",
    "LICENSE",
    "LICENSE-content",
    "CITATION.cff",
]


def _run(*args, cwd=ROOT):
    return subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True, cwd=cwd)


def test_ruff_check():
    proc = _run("ruff", "check", "--no-cache", *PYTHON_PATHS)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format():
    proc = _run("ruff", "format", "--check", "--no-cache", *PYTHON_PATHS)
    assert proc.returncode == 0, (
        "run `.venv/bin/ruff format book tests .github/scripts`:\n" + proc.stdout + proc.stderr
    )


def test_codespell():
    proc = _run("codespell", *SPELL_PATHS)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_checks_are_live(tmp_path):
    """The configuration is read and the tools do report: a typo, an unused import, a bad format."""
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    typo = "rec" + "ieved"  # spelled out here, codespell would flag this file
    (tmp_path / "bad.py").write_text(f"import os\nx = [1,2]  # the {typo} value\n")
    assert "F401" in _run("ruff", "check", "--no-cache", "bad.py", cwd=tmp_path).stdout
    assert _run("ruff", "format", "--check", "--no-cache", "bad.py", cwd=tmp_path).returncode == 1
    spell = _run("codespell", "bad.py", cwd=tmp_path)
    assert f"{typo} ==> received" in spell.stdout
    (tmp_path / "ok.md").write_text("Thou wast the first.\n")  # an intended word from pyproject.toml
    assert _run("codespell", "ok.md", cwd=tmp_path).returncode == 0


@pytest.mark.parametrize("tool", ["ruff", "codespell"])
def test_pre_commit_runs_the_same_pinned_tools(tool):
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = [
        hook for repo in config["repos"] for hook in repo["hooks"] if hook["entry"].split()[0].endswith(tool)
    ]
    assert hooks, f"no pre-commit hook runs {tool}"
    for repo in config["repos"]:
        assert repo["repo"] == "local", "hooks run the versions pinned in requirements-dev.txt"
    for hook in hooks:
        assert hook["language"] == "system"
        assert hook["entry"].startswith(".venv/bin/"), hook["entry"]
    assert f"{tool}==" in (ROOT / "requirements-dev.txt").read_text()


def test_pre_commit_config_is_valid():
    proc = _run("pre-commit", "validate-config", ".pre-commit-config.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
