"""book.site.freshness: a change in the book package re-executes the chapters; nothing else does."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from book.site import freshness


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A tiny stand-in for the repository: book/ (with site/) and requirements.txt."""
    (tmp_path / "book" / "site").mkdir(parents=True)
    (tmp_path / "book" / "data.py").write_text("X = 1\n")
    (tmp_path / "book" / "site" / "quiz.py").write_text("Y = 1\n")
    (tmp_path / "requirements.txt").write_text("numpy==2.4.6\n")
    monkeypatch.setattr(freshness, "PACKAGE", tmp_path / "book")
    monkeypatch.setattr(freshness, "ROOT", tmp_path)
    cache = tmp_path / "_build" / ".jupyter_cache"
    app = SimpleNamespace(
        env=SimpleNamespace(
            mystnb_config=SimpleNamespace(execution_cache_path=str(cache)),
            found_docs={"intro", "chapters/01", "status"},
        ),
        config=SimpleNamespace(nb_execution_cache_path=""),
        outdir=str(tmp_path / "_build" / "html"),
        doctreedir=str(tmp_path / "_build" / ".doctrees"),
        _warncount=0,
    )
    return SimpleNamespace(root=tmp_path, cache=cache, app=app)


def start(project):
    """What the extension does when the builder starts (the previous build's lock released)."""
    old = getattr(project.app, "book_build_lock", None)
    if old is not None:
        old.close()
    freshness._build_started(project.app)


def build(project, changed=(), *, finish=True):
    """A build: it starts, Sphinx asks which documents are outdated, and (``finish``) it ends cleanly."""
    start(project)
    outdated = freshness._outdated(project.app, project.app.env, set(), set(changed), set())
    if finish:
        freshness._remember_failure(project.app, None)
    return outdated


def fill_cache(project):
    (project.cache / "global.db").write_text("executed notebooks")


def test_first_build_stamps_the_cache(project):
    assert build(project) == []
    assert (project.cache / freshness.STAMP).read_text().strip() == freshness.kernel_code_fingerprint()


def test_unchanged_code_keeps_the_cache_and_rereads_nothing(project):
    build(project)
    fill_cache(project)
    assert build(project) == []
    assert (project.cache / "global.db").exists()


@pytest.mark.parametrize("edit", ["book/data.py", "requirements.txt"])
def test_kernel_code_change_empties_the_cache_and_rereads_everything(project, edit):
    build(project)
    fill_cache(project)
    (project.root / edit).write_text("changed\n")
    assert build(project) == ["chapters/01", "intro", "status"]
    assert not (project.cache / "global.db").exists(), "stale executed notebooks survived a code change"
    assert build(project) == [], "the new fingerprint was not recorded"


def test_cache_without_stamp_is_not_trusted(project):
    project.cache.mkdir(parents=True)
    fill_cache(project)
    assert build(project) == ["chapters/01", "intro", "status"]
    assert not (project.cache / "global.db").exists()


def test_site_code_change_rereads_pages_but_keeps_executions(project):
    build(project)
    fill_cache(project)
    (project.root / "book" / "site" / "quiz.py").write_text("Y = 2\n")
    assert build(project) == ["chapters/01", "intro", "status"]
    assert (project.cache / "global.db").exists(), "a build-only change must not re-execute notebooks"


def test_fingerprint_ignores_bytecode(project):
    before = freshness.kernel_code_fingerprint()
    (project.root / "book" / "__pycache__").mkdir()
    (project.root / "book" / "__pycache__" / "data.cpython-311.pyc").write_bytes(b"\0")
    assert freshness.kernel_code_fingerprint() == before


@pytest.mark.parametrize("how", ["warning", "exception", "killed"])
def test_a_failed_or_interrupted_build_is_followed_by_a_full_reread(project, how):
    """Sphinx re-reads changed files only: a page whose notebook failed, or pages half-written
    by a build that was killed, must not be republished as they are."""
    build(project)
    start(project)
    freshness._outdated(project.app, project.app.env, set(), set(), set())
    marker = Path(project.app.doctreedir) / freshness.FAILED
    assert marker.exists(), "the marker must be there before the build reads or writes anything"
    if how == "warning":
        project.app._warncount = 1
        freshness._remember_failure(project.app, None)
    elif how == "exception":
        freshness._remember_failure(project.app, RuntimeError("boom"))
    # "killed": build-finished never runs
    assert marker.exists()
    project.app._warncount = 0
    assert build(project) == ["chapters/01", "intro", "status"]
    assert not marker.exists(), "a clean build must not leave the marker"
    assert build(project) == []


def test_a_kernel_code_change_interrupted_before_execution_still_rereads_everything(project):
    """The fingerprint is recorded when the cache is emptied; a build killed before the
    notebooks ran must not leave the next one believing the pages are current."""
    build(project)
    fill_cache(project)
    (project.root / "book" / "data.py").write_text("X = 2\n")
    assert build(project, finish=False) == ["chapters/01", "intro", "status"]  # killed here
    assert build(project) == ["chapters/01", "intro", "status"]


def test_a_second_build_into_the_same_folder_stops_at_once(project):
    start(project)
    other = SimpleNamespace(**vars(project.app))
    with pytest.raises(freshness.BuildLocked, match=r"another build is writing .*_build \(pid \d+"):
        freshness.lock_build(other)
    project.app.book_build_lock.close()  # the first build's process ended
    freshness.lock_build(other)
    other.book_build_lock.close()


def test_a_successful_build_removes_old_execution_reports(project):
    reports = Path(project.app.outdir) / "reports" / "chapters"
    reports.mkdir(parents=True)
    (reports / "01.err.log").write_text("Traceback (most recent call last):\n  File /home/builder/...")
    start(project)
    project.app._warncount = 1
    freshness._remember_failure(project.app, None)
    assert reports.exists(), "a failed build keeps its reports (make book points at them)"
    project.app._warncount = 0
    build(project)
    assert not reports.parent.exists()


def test_status_page_is_reread_with_any_other_page(project):
    """It shows numbers glued by the chapters: a re-executed chapter must not leave it stale."""
    build(project)
    assert build(project, changed={"chapters/01"}) == ["status"]
    assert build(project) == []
