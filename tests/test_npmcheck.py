"""node_modules checked against package-lock.json before the build uses it (book/site/npmcheck.py;
issue 25). Fast: a small fake project with its own lock, node_modules and npm cache."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from book.site import npmcheck

FILES = {
    "plotly.js-basic-dist-min": {
        "package.json": '{"version": "4.1.1"}',
        "plotly-basic.min.js": "/* plotly */" * 50,
    },
    "mathjax-full": {"package.json": '{"version": "3.2.2"}', "js/mathjax.js": "module.exports = 1;"},
    "purgecss": {"package.json": '{"version": "8.0.0"}', "lib/purgecss.js": "x"},
    "purgecss/node_modules/commander": {"package.json": '{"version": "12.1.0"}', "index.js": "y"},
    "esm": {"package.json": '{"version": "3.2.25"}', "esm.js": "z"},
}


def tarball(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project whose lock names the build's packages (and a nested dependency), installed,
    with npm's cache holding their tarballs."""
    cache = tmp_path / "npm-cache"
    monkeypatch.setenv("npm_config_cache", str(cache))
    packages = {"": {"name": "x"}}
    for path, files in FILES.items():
        folder = tmp_path / "node_modules" / path
        for name, text in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text)
        blob = tarball(files)
        digest = hashlib.sha512(blob).digest()
        hexed = digest.hex()
        stored = cache / "_cacache" / "content-v2" / "sha512" / hexed[:2] / hexed[2:4] / hexed[4:]
        stored.parent.mkdir(parents=True, exist_ok=True)
        stored.write_bytes(blob)
        packages[f"node_modules/{path}"] = {
            "version": json.loads(files["package.json"])["version"],
            "integrity": "sha512-" + base64.b64encode(digest).decode(),
        }
    packages["node_modules/mathjax-full"]["dependencies"] = {"esm": "^3.2.25"}
    packages["node_modules/purgecss"]["dependencies"] = {"commander": "^12.1.0"}
    (tmp_path / "package-lock.json").write_text(json.dumps({"packages": packages}))
    return tmp_path


def test_the_closure_follows_nodes_lookup(project):
    packages, _ = npmcheck._lock(project)
    assert npmcheck.closure(packages) == [
        "node_modules/esm",
        "node_modules/mathjax-full",
        "node_modules/plotly.js-basic-dist-min",
        "node_modules/purgecss",
        "node_modules/purgecss/node_modules/commander",
    ]


def test_a_recorded_install_verifies(project):
    manifest = npmcheck.record(project)
    assert manifest["checked_against_tarballs"] == 5
    assert npmcheck.verify(project) == sum(len(f) for f in FILES.values())


@pytest.mark.parametrize(
    "damage, words",
    [
        (lambda f: f.write_text(f.read_text()[:10]), "bytes, 600 expected"),
        (lambda f: f.write_text(f.read_text().replace("plotly", "PLOTLY")), "other content, same size"),
        (lambda f: f.unlink(), "has files added or missing (plotly-basic.min.js)"),
        (lambda f: f.with_name("extra.js").write_text("x"), "has files added or missing (extra.js)"),
    ],
    ids=["truncated", "same size", "missing", "added"],
)
def test_a_damaged_file_stops_the_build_naming_it_and_the_fix(project, damage, words):
    npmcheck.record(project)
    damage(project / "node_modules/plotly.js-basic-dist-min/plotly-basic.min.js")
    with pytest.raises(npmcheck.NpmCheckError, match="plotly.js-basic-dist-min") as caught:
        npmcheck.verify(project)
    assert words in str(caught.value) and "rm -rf node_modules && make book" in str(caught.value)


def test_an_install_from_another_lock_is_refused(project):
    npmcheck.record(project)
    lock = json.loads((project / "package-lock.json").read_text())
    lock["packages"]["node_modules/esm"]["version"] = "3.2.26"
    (project / "package-lock.json").write_text(json.dumps(lock))
    with pytest.raises(
        npmcheck.NpmCheckError, match="package-lock.json changed since node_modules was installed"
    ):
        npmcheck.verify(project)


def test_a_package_of_another_version_is_refused(project):
    npmcheck.record(project)
    (project / "node_modules/esm/package.json").write_text('{"version": "9.9.9"}')
    with pytest.raises(npmcheck.NpmCheckError, match="version 9.9.9, package-lock.json says 3.2.25"):
        npmcheck.verify(project)


def test_no_record_means_not_installed_by_make(project):
    with pytest.raises(npmcheck.NpmCheckError, match="was not installed by `make`"):
        npmcheck.verify(project)


def test_recording_checks_the_installed_files_against_npms_tarballs(project):
    (project / "node_modules/mathjax-full/js/mathjax.js").write_text("module.exports = 2;")
    with pytest.raises(
        npmcheck.NpmCheckError, match="mathjax.js is not the file of the package npm installed"
    ):
        npmcheck.record(project)


def test_a_cached_tarball_that_does_not_match_the_lock_is_refused(project):
    cache = Path(project / "npm-cache" / "_cacache" / "content-v2" / "sha512")
    stored = sorted(p for p in cache.rglob("*") if p.is_file())[0]
    stored.write_bytes(tarball({"package.json": "{}"}))
    with pytest.raises(npmcheck.NpmCheckError, match="does not match package-lock.json's integrity"):
        npmcheck.record(project)


def test_the_repository_node_modules_are_as_installed():
    """The build's own check, on this checkout (make records node_modules after npm ci)."""
    root = Path(__file__).resolve().parent.parent
    assert npmcheck.verify(root) > 1000
