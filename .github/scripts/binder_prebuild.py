"""Ask the book's BinderHub to build the image of one commit, so that readers find it ready.

Run by the ``binder`` job of ``.github/workflows/book.yml`` after each deployment from
``main``::

    python3 .github/scripts/binder_prebuild.py --config _config.yml --commit "$GITHUB_SHA"

The BinderHub and the repository come from ``_config.yml`` (``launch_buttons.binderhub_url``
and ``repository.url``), the one place a fork changes. The script requests
``<binderhub>/build/gh/<owner>/<repo>/<commit>``, BinderHub's build API, an event stream
of ``data: {"phase": ...}`` lines, and reads it until the phase is ``ready`` (the image is
built and a server started; BinderHub culls it when idle) or ``failed``, or until the
timeout. It exits 0 on ``ready`` and 1 otherwise; the workflow step does not fail the
deployment either way. Only the standard library is needed (PyYAML if present).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import urllib.request
from collections.abc import Iterable
from pathlib import Path

GITHUB = re.compile(
    r"^https://github\.com/(?P<owner>[A-Za-z0-9_.-]+)/(?P<repo>[A-Za-z0-9_.-]+?)(?:\.git)?/?$"
)
COMMIT = re.compile(r"^[0-9a-f]{7,40}$")
#: Phases that end the wait (BinderHub's event stream).
FINAL = {"ready", "failed"}


def _read_config(path: Path) -> dict:
    """``_config.yml`` as a dict: PyYAML when installed, else the two nested keys this script needs."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        import yaml
    except ImportError:
        config: dict = {}
        section = None
        for line in text.splitlines():
            top = re.match(r"^([A-Za-z_]+):\s*(?:#.*)?$", line)
            if top:
                section = config.setdefault(top.group(1), {})
                continue
            if line and not line.startswith(" "):
                section = None
            nested = re.match(r"^  ([A-Za-z_]+):\s*\"?([^\"#\s]+)\"?", line)
            if nested and section is not None:
                section[nested.group(1)] = nested.group(2)
        return config
    return yaml.safe_load(text)


def build_url(config: dict, commit: str) -> str:
    """``<binderhub_url>/build/gh/<owner>/<repo>/<commit>`` from the book's configuration."""
    hub = str(config["launch_buttons"]["binderhub_url"]).rstrip("/")
    if not hub.startswith("https://"):
        raise ValueError(f"launch_buttons.binderhub_url must be an https:// URL (got {hub!r})")
    match = GITHUB.match(str(config["repository"]["url"]))
    if not match:
        raise ValueError(
            f"repository.url must be https://github.com/OWNER/REPO (got {config['repository']['url']!r})"
        )
    if not COMMIT.match(commit):
        raise ValueError(f"not a commit SHA: {commit!r}")
    return f"{hub}/build/gh/{match['owner']}/{match['repo']}/{commit}"


def watch(lines: Iterable[str], deadline: float, clock=time.monotonic, log=print) -> str:
    """Read event-stream lines until a final phase; return it, or ``'timeout'``."""
    for raw in lines:
        if clock() > deadline:
            return "timeout"
        line = raw.strip()
        if not line.startswith("data:"):
            continue
        try:
            event = json.loads(line[len("data:") :])
        except json.JSONDecodeError:
            continue
        phase = event.get("phase", "")
        message = str(event.get("message", "")).strip()
        log(f"{phase}: {message}"[:300])
        if phase in FINAL:
            return phase
    return "timeout" if clock() > deadline else "closed"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--config", default="_config.yml", type=Path)
    parser.add_argument("--commit", required=True)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait at most")
    args = parser.parse_args(argv)

    url = build_url(_read_config(args.config), args.commit)
    print(f"Requesting {url}", flush=True)
    deadline = time.monotonic() + args.timeout
    request = urllib.request.Request(url, headers={"Accept": "text/event-stream"})
    try:
        with urllib.request.urlopen(request, timeout=min(args.timeout, 300)) as response:  # noqa: S310 (https only)
            lines = (raw.decode("utf-8", "replace") for raw in response)
            result = watch(lines, deadline)
    except (OSError, ValueError) as err:  # URLError, timeouts, a broken stream
        print(f"The BinderHub did not answer: {err}", file=sys.stderr)
        return 1
    print(f"Binder build for {args.commit}: {result}")
    return 0 if result == "ready" else 1


if __name__ == "__main__":
    raise SystemExit(main())
