"""``make audit``: Lighthouse over every page of the built site, served compressed.

Run as ``python -m book.site.audit`` (what ``make audit`` does) after ``make book``.
It serves ``_build/html`` on 127.0.0.1 with gzip (as a static host such as GitHub
Pages sends it: :class:`GzipHandler`), runs Lighthouse (npm ``lighthouse``, pinned
in ``package.json``; Node 20; Debian's Chromium through ``CHROME_PATH``) with its
default *mobile* preset (simulated slow 4G, 4x slower CPU) on every page of
``_toc.yml`` (and the search page), ``--runs`` times each, and writes the median of
each number to

- ``_build/audit/audit.md``: the table (performance, accessibility, best practices,
  SEO, FCP, LCP, TBT, CLS, bytes transferred, DOM elements);
- ``_build/audit/audit.json``: every run's numbers, and the failed audits of the
  median run of each page (what to fix next);
- ``_build/audit/lighthouse/<page>-<run>.json``: Lighthouse's own reports.

Scores depend on the machine's load (Lighthouse simulates a slow phone from what it
measures on this one): run it on an otherwise idle machine. The tests assert the
deterministic parts instead (``tests/test_performance.py``).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
CHROME_FLAGS = "--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --no-first-run"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
#: Lighthouse audits whose numericValue goes in the table.
METRICS = {
    "FCP s": ("first-contentful-paint", 1e-3),
    "LCP s": ("largest-contentful-paint", 1e-3),
    "TBT ms": ("total-blocking-time", 1.0),
    "CLS": ("cumulative-layout-shift", 1.0),
    "KB": ("total-byte-weight", 1e-3),
    "DOM": ("dom-size", 1.0),
}
COMPRESSIBLE = (
    ".html",
    ".css",
    ".js",
    ".json",
    ".svg",
    ".txt",
    ".xml",
    ".map",
    ".inv",
    ".ico",
)


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """A static file server that gzips text (level 6, as common web servers do)."""

    _cache: dict[tuple[str, float], bytes] = {}

    def log_message(self, *args):  # quiet
        pass

    def send_head(self):
        path = self.translate_path(self.path)
        if (
            os.path.isdir(path)
            or not path.endswith(COMPRESSIBLE)
            or "gzip" not in self.headers.get("Accept-Encoding", "")
        ):
            return super().send_head()
        try:
            stat = os.stat(path)
        except OSError:
            self.send_error(404, "File not found")
            return None
        key = (path, stat.st_mtime)
        if key not in self._cache:
            with open(path, "rb") as f:
                self._cache[key] = gzip.compress(
                    f.read(), compresslevel=6, mtime=0
                )
        body = self._cache[key]
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        import io

        return io.BytesIO(body)


def serve(
    directory: Path, port: int = 0
) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``directory`` compressed on 127.0.0.1 in a daemon thread; return the server and its URL."""
    handler = functools.partial(GzipHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def toc_pages(root: Path = ROOT) -> list[str]:
    """Every page of ``_toc.yml`` in reading order (e.g. ``chapters/01_sequences``)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return pages


def lighthouse_bin(root: Path = ROOT) -> Path:
    path = root / "node_modules" / ".bin" / "lighthouse"
    if not path.exists():
        sys.exit(
            f"{path} is missing: run `npm ci` (lighthouse is pinned in package.json)"
        )
    return path


def run_lighthouse(url: str, out: Path, root: Path = ROOT) -> dict:
    """One Lighthouse run (mobile preset) of ``url``; its JSON report is saved as ``out``."""
    env = dict(os.environ)
    env.setdefault("CHROME_PATH", "/usr/bin/chromium")
    cmd = [
        str(lighthouse_bin(root)),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        f"--chrome-flags={CHROME_FLAGS}",
        f"--only-categories={','.join(CATEGORIES)}",
    ]
    proc = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=600
    )
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(
            f"lighthouse failed on {url}:\n{proc.stderr[-2000:]}"
        )
    return json.loads(out.read_text())


def summarize(report: dict) -> dict:
    """The table's numbers from one Lighthouse report."""
    row = {}
    for cat in CATEGORIES:
        score = report["categories"][cat]["score"]
        row[cat] = None if score is None else round(score * 100)
    for name, (audit, scale) in METRICS.items():
        value = report["audits"].get(audit, {}).get("numericValue")
        row[name] = None if value is None else value * scale
    row["failed"] = sorted(
        audit_id
        for cat in CATEGORIES
        for ref in report["categories"][cat]["auditRefs"]
        if ref.get("weight", 0) > 0
        for audit_id in [ref["id"]]
        if (
            report["audits"][audit_id].get("score") is not None
            and report["audits"][audit_id]["score"] < 0.9
        )
    )
    return row


def median_row(runs: list[dict]) -> dict:
    row = {}
    for key in [*CATEGORIES, *METRICS]:
        values = [r[key] for r in runs if r[key] is not None]
        row[key] = statistics.median(values) if values else None
    # the failed audits of the run whose performance is the median one
    by_perf = sorted(runs, key=lambda r: r["performance"] or 0)
    row["failed"] = by_perf[len(by_perf) // 2]["failed"]
    return row


def fmt(key: str, value) -> str:
    if value is None:
        return "-"
    if key in ("FCP s", "LCP s"):
        return f"{value:.1f}"
    if key == "CLS":
        return f"{value:.3f}"
    return f"{value:,.0f}"


def table(rows: dict[str, dict], runs: int, note: str = "") -> str:
    cols = [*CATEGORIES, *METRICS]
    head = "| page | " + " | ".join(cols) + " |"
    lines = [
        f"Lighthouse (mobile preset, served gzip-compressed from 127.0.0.1), median of {runs} run(s) per page. {note}".rstrip(),
        "",
        head,
        "| --- |" + " ---: |" * len(cols),
    ]
    for page, row in rows.items():
        lines.append(
            f"| {page} | " + " | ".join(fmt(c, row[c]) for c in cols) + " |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--html",
        type=Path,
        default=ROOT / "_build" / "html",
        help="the built site",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "_build" / "audit",
        help="where the table goes",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="Lighthouse runs per page (the table shows the median)",
    )
    parser.add_argument(
        "--pages",
        nargs="*",
        help="pages to audit (default: every page of _toc.yml, and search)",
    )
    parser.add_argument(
        "--note", default="", help="a line to add under the table's title"
    )
    args = parser.parse_args(argv)
    if not (args.html / "index.html").exists():
        sys.exit(f"no site in {args.html}: run `make book` first")
    pages = args.pages or [*toc_pages(), "search"]
    (args.out / "lighthouse").mkdir(parents=True, exist_ok=True)
    server, base = serve(args.html)
    all_runs: dict[str, list[dict]] = {}
    rows: dict[str, dict] = {}
    try:
        for page in pages:
            all_runs[page] = []
            for i in range(args.runs):
                start = time.monotonic()
                report = run_lighthouse(
                    f"{base}/{page}.html",
                    args.out
                    / "lighthouse"
                    / f"{page.replace('/', '_')}-{i + 1}.json",
                )
                row = summarize(report)
                all_runs[page].append(row)
                print(
                    f"{page} run {i + 1}: performance {row['performance']}, LCP {fmt('LCP s', row['LCP s'])} s, "
                    f"TBT {fmt('TBT ms', row['TBT ms'])} ms ({time.monotonic() - start:.0f} s)",
                    flush=True,
                )
            rows[page] = median_row(all_runs[page])
    finally:
        server.shutdown()
    text = table(rows, args.runs, args.note)
    (args.out / "audit.md").write_text(text)
    (args.out / "audit.json").write_text(
        json.dumps({"runs": all_runs, "median": rows}, indent=2) + "\n"
    )
    print(
        "\n" + text + f"\n(written to {args.out / 'audit.md'} and audit.json)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
