"""The pages of the book, read from _toc.yml (shared by the build and browser tests)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def toc_pages() -> list[str]:
    """Every document named in _toc.yml, in reading order, without suffix (e.g. 'chapters/01_sequences')."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
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


def chapter_pages() -> list[str]:
    """The pages under chapters/ (the ones with code, a quiz and exercises)."""
    return [p for p in toc_pages() if p.startswith("chapters/")]
