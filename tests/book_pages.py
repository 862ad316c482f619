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
    """The pages under chapters/ (the ones with code, a quiz and exercises)."""
    return [p for p in toc_pages() if p.startswith("chapters/")]
