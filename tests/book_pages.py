"""The pages of the book, read from _toc.yml (shared by the build and browser tests)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def toc_pages() -> list[str]:
    """Every document named in _toc.yml, in reading order, without suffix (e.g. 'chapters/01_sequences').

    The same list ``make audit`` walks: one reader of ``_toc.yml`` for the build tools and the tests.
    """
    from book.site.audit import toc_pages as read_toc

    return read_toc(ROOT)


def chapter_pages() -> list[str]:
    """The pages under chapters/: the notebooks, a chapter's page and its section pages alike."""
    return [p for p in toc_pages() if p.startswith("chapters/")]


def chapters() -> dict[str, list[str]]:
    """Each chapter of ``_toc.yml`` (its page under chapters/) -> its pages in reading order.

    A chapter is its own page followed by the pages of its ``sections:`` (chapter 2: the page
    ``chapters/02_rnn_limits`` and its section page ``chapters/02_clipping``). Together they
    carry the chapter's shape once: one quiz, one summary, the exercises.
    """
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    groups: dict[str, list[str]] = {}

    def pages_of(entry) -> list[str]:
        found = [entry["file"]] if "file" in entry else []
        for section in entry.get("sections") or []:
            found += pages_of(section)
        return found

    for part in toc.get("parts", []):
        for entry in part.get("chapters") or []:
            if entry.get("file", "").startswith("chapters/"):
                groups[entry["file"]] = pages_of(entry)
    return groups
