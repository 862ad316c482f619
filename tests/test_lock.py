"""The Python environment's lock files (tools/lock.py, ``make lock``; issue 25). Fast, offline.

``requirements.txt`` and ``requirements-dev.txt`` are the direct pins; the lock files pin
every package ``make book`` and ``make test`` install, with hashes. They must agree, the
environment the tests run in must be exactly the lock, and ``make`` must install from
the locks only.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("lock", ROOT / "tools" / "lock.py")
lock = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lock)


def test_the_lock_files_agree_with_the_requirements():
    assert lock.disagreements() == []


def test_every_package_of_the_locks_is_hash_pinned():
    for name in (lock.LOCK, lock.DEV_LOCK):
        pins, hashes = lock.pins(ROOT / name), lock.hashes(ROOT / name)
        assert len(pins) > 100
        assert set(pins) == set(hashes)
        assert all(hashes[p] for p in pins), name
        for tool in lock.TOOLS:
            assert tool in pins, f"{name} does not pin {tool}"
        text = (ROOT / name).read_text()
        assert "make lock" in text.splitlines()[4], "the header names the command that makes the file"
        assert "/tmp/" not in text and "file://" not in text and "--index-url" not in text


def test_the_environment_is_exactly_the_dev_lock():
    """Every distribution installed here (but the course's own package) at the dev lock's version:
    ``make test`` installed nothing the lock does not name (rebuild a stale one:
    ``rm -rf .venv && make test``)."""
    pins = lock.pins(ROOT / lock.DEV_LOCK)
    installed = {
        lock.normalise(d.metadata["Name"]): d.version
        for d in importlib.metadata.distributions()
        if lock.normalise(d.metadata["Name"]) != "lstm-course"
    }
    unpinned = sorted(f"{n}=={v}" for n, v in installed.items() if n not in pins)
    other = sorted(f"{n}=={v} (lock: {pins[n]})" for n, v in installed.items() if n in pins and pins[n] != v)
    other = [o for o in other if not o.startswith("setuptools==")]  # (an older venv's own; pip upgrades it)
    assert unpinned == [] and other == [], f"not pinned: {unpinned}; other versions: {other}"


def test_make_installs_from_the_locks_only():
    makefile = (ROOT / "Makefile").read_text()
    installs = [line.strip() for line in makefile.splitlines() if "$(PIP)" in line and "PIP " not in line]
    assert installs, "no install lines found"
    for line in installs:
        assert ("--require-hashes --no-deps -r $(" in line and "LOCK)" in line) or line.endswith(
            "--no-deps --no-build-isolation -e ."
        ), line
    assert "pip install --quiet -r requirements" not in makefile and "--upgrade pip" not in makefile
    assert "tools/lock.py --check" in makefile and "pip check" in makefile


# ------------------------------------------------------------------ the check itself


@pytest.fixture
def copy(tmp_path):
    for name in ("requirements.txt", "requirements-dev.txt", lock.LOCK, lock.DEV_LOCK):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_a_direct_pin_the_locks_do_not_have_is_named(copy):
    numpy = lock.pins(copy / "requirements.txt")["numpy"]
    edit(copy / "requirements.txt", f"numpy=={numpy}", "numpy==1.0.0")
    problems = lock.disagreements(copy)
    assert f"requirements.txt pins numpy==1.0.0, {lock.LOCK} has numpy=={numpy}" in problems
    assert f"requirements.txt pins numpy==1.0.0, {lock.DEV_LOCK} has numpy=={numpy}" in problems


def test_a_new_requirement_without_lock_is_named(copy):
    (copy / "requirements-dev.txt").write_text(
        (copy / "requirements-dev.txt").read_text() + "hypothesis==6.0.0\n"
    )
    assert (
        f"requirements-dev.txt pins hypothesis==6.0.0, {lock.DEV_LOCK} has no hypothesis"
        in lock.disagreements(copy)
    )


def test_locks_that_drift_apart_are_named(copy):
    text = (copy / lock.DEV_LOCK).read_text()
    first = re.search(r"--hash=sha256:[0-9a-f]{64}", text.split("\nnumpy==", 1)[1])
    assert first
    edit(copy / lock.DEV_LOCK, first.group(0), "--hash=sha256:" + "0" * 64)
    assert any("numpy" in p and "other hashes" in p for p in lock.disagreements(copy))


@pytest.mark.parametrize(
    "line, words",
    [
        ("-e .\n", "editable install or an index"),
        ("--extra-index-url https://example.org/simple\n", "an index"),
    ],
)
def test_a_lock_that_would_not_install_anywhere_is_named(copy, line, words):
    (copy / lock.LOCK).write_text(line + (copy / lock.LOCK).read_text())
    assert any(words in p for p in lock.disagreements(copy))


def test_a_missing_lock_is_named(copy):
    (copy / lock.DEV_LOCK).unlink()
    assert lock.disagreements(copy) == [f"{lock.DEV_LOCK} is missing"]


def test_tidy_drops_the_editable_line_and_names_the_temporary_inputs():
    raw = (
        "#\n# header\n#\n# WARNING: pip install will require the following package to be hashed.\n"
        "# Consider using a hashable URL like https://github.com/pypa/pip-tools/archive/SOMECOMMIT.zip\n"
        "-e file:///somewhere/repo\n    # via -r requirements.txt\n"
        "pip==26.3 \\\n    --hash=sha256:" + "a" * 64 + "\n    # via -r /tmp/lock-x/tools.txt\n"
    )
    out = lock.tidy(raw, {"-r /tmp/lock-x/tools.txt": "make lock (the installer's tools)"})
    assert "-e " not in out and "WARNING" not in out and "/tmp/" not in out
    assert "pip==26.3" in out and "# via make lock (the installer's tools)" in out
