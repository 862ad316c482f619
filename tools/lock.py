"""``make lock``: the hash-pinned lock files of the Python environment, from requirements*.txt.

One source of truth: ``requirements.txt`` (what the book and a Binder kernel need, the
direct pins, edited by hand; Binder installs it as it is) and ``requirements-dev.txt``
(the test tools). From them, pip-tools' ``pip-compile --generate-hashes`` (pinned in
``requirements-dev.txt``) resolves every package the two install, with the SHA-256 of
each file the index serves for that version:

- ``requirements-lock.txt``: ``requirements.txt`` and everything it pulls in, plus pip,
  setuptools and wheel (the installer and the build backend of ``pip install -e .``).
  ``make book`` installs exactly this (``pip install --require-hashes --no-deps``), then
  the ``book`` package itself (``pip install --no-deps --no-build-isolation -e .``).
- ``requirements-dev-lock.txt``: the same plus the test tools, every shared package at the
  version of ``requirements-lock.txt`` (it is the constraint of the second resolution).
  ``make test`` installs this.

``pip-compile`` keeps the pins of the existing lock files unless ``requirements*.txt``
asks for something else: run ``make lock`` after editing a requirements file (``make``
says so when a lock is older than its requirements), ``make lock UPGRADE=1`` to move
every unpinned package to its newest release. Dependabot updates the lock files with
the requirements files (hashes included); ``tests/test_lock.py`` checks that they agree.

The editable ``-e .`` of ``requirements.txt`` has no file to hash: it is left out of the
locks (and installed separately). The header names ``make lock``; the indexes are not
written into the files, so that they install from PyPI anywhere (and from this machine's
mirror, which serves the same files).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = "requirements-lock.txt"
DEV_LOCK = "requirements-dev-lock.txt"
#: Pinned in both locks although nothing depends on them: the installer and the build backend.
TOOLS = ("pip", "setuptools", "wheel")
FLAGS = [
    "--generate-hashes",
    "--allow-unsafe",  # pin pip and setuptools too
    "--strip-extras",
    "--no-emit-index-url",
    "--no-emit-find-links",
    "--quiet",
]


def pip_compile() -> str:
    """pip-tools' ``pip-compile`` beside this Python, installed (at the version of
    ``requirements-dev.txt``) if it is not there yet."""
    folder = str(Path(sys.executable).parent)
    found = shutil.which("pip-compile", path=folder)
    if not found:
        pin = pins(ROOT / "requirements-dev.txt").get("pip-tools")
        if not pin:
            raise SystemExit("requirements-dev.txt pins no pip-tools (pip-tools==VERSION)")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", f"pip-tools=={pin}"], check=True)
        found = shutil.which("pip-compile", path=folder)
    return found


# --------------------------------------------------------------------------- reading the files


def normalise(name: str) -> str:
    """A project name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def pins(path: Path) -> dict[str, str]:
    """``{name: version}`` of the ``name==version`` lines of a requirements or lock file
    (its own lines: ``-r`` includes are not followed)."""
    found = {}
    for line in path.read_text().splitlines():
        match = _PIN.match(line.strip())
        if match:
            found[normalise(match.group(1))] = match.group(2)
    return found


def hashes(path: Path) -> dict[str, set[str]]:
    """``{name: {sha256:..., ...}}`` of a lock file."""
    found: dict[str, set[str]] = {}
    current = None
    for line in path.read_text().splitlines():
        match = _PIN.match(line)
        if match:
            current = normalise(match.group(1))
            found[current] = set()
        elif line.startswith(" ") and current and "--hash=" in line:
            found[current].update(re.findall(r"--hash=(sha256:[0-9a-f]{64})", line))
        elif line and not line.startswith((" ", "#")):
            current = None
    return found


def disagreements(root: Path = ROOT) -> list[str]:
    """How the lock files disagree with ``requirements*.txt`` (``[]`` when they agree)."""
    missing = [name for name in (LOCK, DEV_LOCK) if not (root / name).is_file()]
    if missing:
        return [f"{name} is missing" for name in missing]
    problems = []
    book, dev = pins(root / "requirements.txt"), pins(root / "requirements-dev.txt")
    lock, dev_lock = pins(root / LOCK), pins(root / DEV_LOCK)
    lock_hashes, dev_hashes = hashes(root / LOCK), hashes(root / DEV_LOCK)
    for source, wanted, locks in (
        ("requirements.txt", book, ((LOCK, lock), (DEV_LOCK, dev_lock))),
        ("requirements-dev.txt", dev, ((DEV_LOCK, dev_lock),)),
    ):
        for name, version in sorted(wanted.items()):
            for lock_name, locked in locks:
                if locked.get(name) != version:
                    problems.append(
                        f"{source} pins {name}=={version}, {lock_name} has "
                        f"{name + '==' + locked[name] if name in locked else 'no ' + name}"
                    )
    for name, version in sorted(lock.items()):
        if dev_lock.get(name) != version:
            problems.append(f"{LOCK} has {name}=={version}, {DEV_LOCK} has {dev_lock.get(name, 'nothing')}")
        elif lock_hashes.get(name) != dev_hashes.get(name):
            problems.append(f"{name}=={version} has other hashes in {LOCK} than in {DEV_LOCK}")
    for lock_name, locked, found in ((LOCK, lock, lock_hashes), (DEV_LOCK, dev_lock, dev_hashes)):
        for tool in TOOLS:
            if tool not in locked:
                problems.append(f"{lock_name} does not pin {tool}")
        for name in sorted(locked):
            if not found.get(name):
                problems.append(f"{lock_name}: {name} has no hash")
        text = (root / lock_name).read_text()
        if re.search(r"^(-e|--editable|--index-url|--extra-index-url|-i|--find-links|-f)\b", text, re.M):
            problems.append(f"{lock_name} names an editable install or an index: it must install anywhere")
    return problems


def tidy(text: str, replacements: dict[str, str]) -> str:
    """The lock without the editable ``-e`` line (and pip-compile's warning about it), with
    the temporary inputs' names replaced by what they stand for."""
    out, skip = [], False
    for line in text.splitlines():
        if line.startswith("# WARNING: pip install will require") or line.startswith(
            "# Consider using a hashable URL"
        ):
            continue
        if line.startswith("-e "):
            skip = True
            continue
        if skip and line.startswith("    #"):
            continue
        skip = False
        for old, new in replacements.items():
            line = line.replace(old, new)
        out.append(line)
    return "\n".join(out) + "\n"


def plain_pins(lock: Path) -> str:
    """``name==version`` lines of a lock (a constraints file without hashes)."""
    return "".join(
        f"{m.group(1)}\n" for m in re.finditer(r"^([A-Za-z0-9._-]+==[^\s\\]+)", lock.read_text(), re.M)
    )


def compile_lock(sources: list[str], output: str, *, upgrade: bool, replacements: dict[str, str]) -> None:
    cmd = [pip_compile(), *FLAGS, *(["--upgrade"] if upgrade else []), "--output-file", output, *sources]
    env = {**os.environ, "CUSTOM_COMPILE_COMMAND": "make lock"}
    print("+", " ".join(cmd[1:]), flush=True)
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    path = ROOT / output
    path.write_text(tidy(path.read_text(), replacements))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upgrade", action="store_true", help="newest releases for every unpinned package")
    parser.add_argument(
        "--check", action="store_true", help="only check that the lock files agree with requirements*.txt"
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = disagreements()
        for problem in problems:
            print(f"tools/lock.py: {problem}", file=sys.stderr)
        if problems:
            print("The lock files disagree with requirements*.txt: run `make lock`.", file=sys.stderr)
        return 1 if problems else 0
    with tempfile.TemporaryDirectory(prefix="lock-") as tmp:
        tools = Path(tmp) / "tools.txt"
        tools.write_text("".join(f"{name}\n" for name in TOOLS))
        pins = Path(tmp) / "pins.txt"
        replacements = {
            f"-r {tools}": "make lock (the installer's tools)",
            f"-c {pins}": LOCK,
        }
        compile_lock(["requirements.txt", str(tools)], LOCK, upgrade=args.upgrade, replacements=replacements)
        pins.write_text(plain_pins(ROOT / LOCK))
        compile_lock(
            ["requirements-dev.txt", str(tools), "--constraint", str(pins)],
            DEV_LOCK,
            upgrade=args.upgrade,
            replacements=replacements,
        )
    print(f"wrote {LOCK} and {DEV_LOCK}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
