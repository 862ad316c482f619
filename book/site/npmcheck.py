"""``node_modules`` checked against ``package-lock.json`` before the build uses it.

The build serves plotly.js to readers and runs MathJax and PurgeCSS in Node.js, all from
``node_modules/``. ``npm ci`` checks each package it downloads against the integrity hash
(SHA-512) that ``package-lock.json`` records; nothing checks the files afterwards. A
truncated ``plotly-basic.min.js`` gave "build succeeded" and a figure that never draws.

- **record** (``python3 book/site/npmcheck.py record``, run by ``make`` right after ``npm ci``):
  for every package the build uses (:data:`BUILD_PACKAGES` and what they depend on, as the
  lock resolves them), each file's size and SHA-256 go to ``node_modules/.book-npm-manifest.json``
  with the lock's hash. Where npm's cache holds a package's tarball (``~/.npm/_cacache``,
  found by the lock's integrity hash; it does right after ``npm ci``), the tarball is first
  checked against that hash and every installed file against the tarball's copy.
- **verify** (:func:`verify`, when the build starts, :mod:`book.site.assets`): the lock is
  the one the record was made from, each package has the lock's version, no file was
  added or removed, and each file's SHA-256 is the one recorded (3,959 files, 45 MB:
  0.13 s on the build machine). Anything else stops the build
  with the file's name and the fix: ``rm -rf node_modules && make book`` (``make`` runs
  ``npm ci`` again when ``node_modules`` is gone; running ``make book`` alone would not,
  its stamp being there).

Standard library only: ``make`` runs it with the system's Python before the build's
environment exists.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
import tarfile
from pathlib import Path

#: The npm packages the build itself uses (``lighthouse`` is only ``make audit``'s).
BUILD_PACKAGES = ("mathjax-full", "plotly.js-basic-dist-min", "purgecss")
MANIFEST = ".book-npm-manifest.json"
FIX = "reinstall them: `rm -rf node_modules && make book` (make runs `npm ci` from package-lock.json)"


class NpmCheckError(RuntimeError):
    """``node_modules`` is not what ``npm ci`` installed from ``package-lock.json``."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _lock(root: Path) -> tuple[dict, str]:
    path = root / "package-lock.json"
    raw = path.read_bytes()
    return json.loads(raw)["packages"], hashlib.sha256(raw).hexdigest()


def _resolve(packages: dict, origin: str, name: str) -> str | None:
    """The lock's path of dependency ``name`` seen from package path ``origin`` (Node's lookup)."""
    base = origin
    while True:
        candidate = (
            f"{base}/node_modules/{name}" if base else f"node_modules/{name}"
        )
        if candidate in packages:
            return candidate
        if not base:
            return None
        cut = base.rfind("/node_modules/")
        base = base[:cut] if cut >= 0 else ""


def closure(packages: dict, names=BUILD_PACKAGES) -> list[str]:
    """The lock paths (``node_modules/...``) of ``names`` and everything they depend on."""
    todo = [f"node_modules/{name}" for name in names]
    seen: set[str] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        if path not in packages:
            raise NpmCheckError(f"package-lock.json has no {path}")
        seen.add(path)
        entry = packages[path]
        for dep in {
            **entry.get("dependencies", {}),
            **entry.get("optionalDependencies", {}),
        }:
            found = _resolve(packages, path, dep)
            if found:
                todo.append(found)
            elif dep not in entry.get("optionalDependencies", {}):
                raise NpmCheckError(
                    f"package-lock.json does not resolve {dep}, needed by {path}"
                )
    return sorted(seen)


def _files(folder: Path):
    """Every file of a package folder, without the packages nested in it."""
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d != "node_modules")
        for name in sorted(filenames):
            yield Path(dirpath) / name


def _tarball(integrity: str) -> Path | None:
    """npm's cached tarball of ``integrity`` (``sha512-...``), if the cache has it."""
    if not integrity.startswith("sha512-"):
        return None
    cache = (
        Path(os.environ.get("npm_config_cache") or Path.home() / ".npm")
        / "_cacache"
        / "content-v2"
    )
    digest = base64.b64decode(integrity.split("-", 1)[1].split()[0]).hex()
    path = cache / "sha512" / digest[:2] / digest[2:4] / digest[4:]
    return path if path.is_file() else None


def _check_against_tarball(
    folder: Path, integrity: str, tarball: Path
) -> None:
    """The tarball matches the lock's integrity, and each installed file matches its copy in it."""
    digest = hashlib.sha512(tarball.read_bytes()).digest()
    if "sha512-" + base64.b64encode(digest).decode() != integrity.split()[0]:
        raise NpmCheckError(
            f"npm's cached tarball {tarball} does not match package-lock.json's integrity"
        )
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            relative = (
                member.name.split("/", 1)[1]
                if "/" in member.name
                else member.name
            )
            installed = folder / relative
            data = tar.extractfile(member).read()
            if not installed.is_file() or installed.read_bytes() != data:
                raise NpmCheckError(
                    f"{installed} is not the file of the package npm installed; {FIX}"
                )


def record(root: Path) -> dict:
    """Write ``node_modules/.book-npm-manifest.json`` for the packages the build uses."""
    root = Path(root)
    packages, lock_hash = _lock(root)
    manifest = {"package-lock.json": lock_hash, "packages": {}}
    checked = 0
    for path in closure(packages):
        folder = root / path
        entry = packages[path]
        if not (folder / "package.json").is_file():
            raise NpmCheckError(f"{folder} is missing; {FIX}")
        tarball = _tarball(entry.get("integrity", ""))
        if tarball is not None:
            _check_against_tarball(folder, entry["integrity"], tarball)
            checked += 1
        files = {}
        for file in _files(folder):
            stat = file.stat()
            files[file.relative_to(folder).as_posix()] = [
                stat.st_size,
                _sha256(file),
            ]
        manifest["packages"][path] = {
            "version": entry.get("version"),
            "files": files,
        }
    (root / "node_modules" / MANIFEST).write_text(
        json.dumps(manifest, indent=0, sort_keys=True) + "\n"
    )
    manifest["checked_against_tarballs"] = checked
    return manifest


def verify(root: Path) -> int:
    """Check ``node_modules`` against the record (see the module's docstring); return the files checked."""
    root = Path(root)
    path = root / "node_modules" / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise NpmCheckError(
            f"{path} is missing: node_modules was not installed by `make` (or is older than this check); {FIX}"
        ) from None
    except (OSError, ValueError) as err:
        raise NpmCheckError(f"{path} cannot be read ({err}); {FIX}") from None
    packages, lock_hash = _lock(root)
    if manifest.get("package-lock.json") != lock_hash:
        raise NpmCheckError(
            f"package-lock.json changed since node_modules was installed; {FIX}"
        )
    expected = set(closure(packages))
    if set(manifest.get("packages", {})) != expected:
        raise NpmCheckError(
            f"node_modules does not hold the packages package-lock.json lists; {FIX}"
        )
    count = 0
    for package, entry in sorted(manifest["packages"].items()):
        folder = root / package
        try:
            version = json.loads((folder / "package.json").read_text()).get(
                "version"
            )
        except (OSError, ValueError):
            version = None
        if version != packages[package].get("version"):
            raise NpmCheckError(
                f"{folder} is version {version}, package-lock.json says {packages[package].get('version')}; {FIX}"
            )
        present = {
            file.relative_to(folder).as_posix() for file in _files(folder)
        }
        if present != set(entry["files"]):
            extra = sorted(present ^ set(entry["files"]))[:3]
            raise NpmCheckError(
                f"{folder} has files added or missing ({', '.join(extra)}); {FIX}"
            )
        for name, (size, digest) in entry["files"].items():
            file = folder / name
            actual = file.stat().st_size
            count += 1
            if actual != size or _sha256(file) != digest:
                what = (
                    f"{actual:,} bytes, {size:,} expected"
                    if actual != size
                    else "other content, same size"
                )
                raise NpmCheckError(
                    f"{file} is not what `npm ci` installed from package-lock.json ({what}); {FIX}"
                )
    return count


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(__file__).resolve().parents[2]
    if argv[:1] == ["record"]:
        manifest = record(root)
        files = sum(len(p["files"]) for p in manifest["packages"].values())
        print(
            f"node_modules: recorded {files} files of {len(manifest['packages'])} packages the build uses "
            f"({manifest['checked_against_tarballs']} checked against npm's cached tarballs and the lock's integrity)"
        )
        return 0
    if argv[:1] == ["verify"]:
        print(
            f"node_modules: {verify(root)} files as installed from package-lock.json"
        )
        return 0
    print(
        "usage: python3 book/site/npmcheck.py record|verify", file=sys.stderr
    )
    return 2


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except NpmCheckError as err:
        print(f"npmcheck: {err}", file=sys.stderr)
        raise SystemExit(1) from None
