"""book.site.freshness: a change in the book package re-executes the chapters; nothing else does."""

from __future__ import annotations

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


def build(project, changed=()):
    """What Sphinx does at the start of a build: ask which documents are outdated."""
    return freshness._outdated(project.app, project.app.env, set(), set(changed), set())


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


@pytest.mark.parametrize("how", ["warning", "exception"])
def test_a_failed_build_is_followed_by_a_full_reread(project, how):
    """Sphinx re-reads changed files only: a page whose notebook failed must not be republished as is."""
    build(project)
    if how == "warning":
        project.app._warncount = 1
        freshness._remember_failure(project.app, None)
    else:
        freshness._remember_failure(project.app, RuntimeError("boom"))
    assert build(project) == ["chapters/01", "intro", "status"]
    project.app._warncount = 0
    freshness._remember_failure(project.app, None)
    assert build(project) == [], "a clean build must not leave the marker"


def test_status_page_is_reread_with_any_other_page(project):
    """It shows numbers glued by the chapters: a re-executed chapter must not leave it stale."""
    build(project)
    assert build(project, changed={"chapters/01"}) == ["status"]
    assert build(project) == []
