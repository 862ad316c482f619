"""Every image of a page's text gets its intrinsic ``width`` and ``height`` (every chapter).

myst-nb writes a figure that a cell drew as ``<img src="../_images/<hash>.svg">`` with no size,
so the browser learns the image's size only once the file has arrived, and everything below
it moves down by the image's height then: a layout shift. Lighthouse measured one of 0.2 on the
summary sheet on a phone in some runs (its diagram is in the first screen; 4 December 2026).
With ``width`` and ``height`` the browser reserves the space from the start; ``book.css`` keeps
``max-width: 100%; height: auto``, so on a narrow screen the image still shrinks, and the two
attributes then give its aspect ratio.

The size is the file's own: a PNG's pixel size (its IHDR chunk), an SVG's ``width`` and
``height`` in CSS pixels (1pt = 4/3 px, as the browser converts them), or its ``viewBox``. An
image that already has a ``width`` or ``height``, or whose file is not found, is left as it is.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

_IMG = re.compile(r"<img\b[^>]*>", re.I)
_ATTR = re.compile(r"\s(width|height)\s*=", re.I)
_SRC = re.compile(r'\ssrc="([^"]+)"', re.I)
_SVG_ROOT = re.compile(rb"<svg\b[^>]*>", re.S)
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px|pt)?\s*$")
_PX_PER = {None: 1.0, "px": 1.0, "pt": 4.0 / 3.0}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _svg_attribute(root: bytes, name: str) -> str | None:
    match = re.search(rb"\s" + name.encode() + rb'\s*=\s*"([^"]*)"', root)
    return match.group(1).decode() if match else None


def _svg_size(data: bytes) -> tuple[int, int] | None:
    root = _SVG_ROOT.search(data[:4096])
    if root is None:
        return None
    lengths = []
    for name in ("width", "height"):
        value = _svg_attribute(root.group(0), name)
        match = _LENGTH.match(value) if value else None
        if match is None:
            break
        lengths.append(float(match.group(1)) * _PX_PER[match.group(2)])
    if len(lengths) != 2:
        box = _svg_attribute(root.group(0), "viewBox")
        parts = box.replace(",", " ").split() if box else []
        if len(parts) != 4:
            return None
        lengths = [float(parts[2]), float(parts[3])]
    width, height = (round(v) for v in lengths)
    return (width, height) if width > 0 and height > 0 else None


def intrinsic_size(path: Path) -> tuple[int, int] | None:
    """``(width, height)`` in CSS pixels of a PNG or SVG file, or None."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    if data[:8] == PNG_SIGNATURE and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return (width, height) if width and height else None
    if Path(path).suffix.lower() == ".svg":
        return _svg_size(data)
    return None


def add_sizes(body: str, find) -> str:
    """``body`` with ``width`` and ``height`` on each ``<img>`` that has neither;
    ``find(src)`` gives the image's file (or None)."""

    def sized(match):
        tag = match.group(0)
        src = _SRC.search(tag)
        if _ATTR.search(tag) or src is None:
            return tag
        path = find(src.group(1))
        size = intrinsic_size(path) if path is not None else None
        if size is None:
            return tag
        closing = " />" if tag.endswith("/>") else ">"
        head = tag[: -len(closing.strip())].rstrip()
        return f'{head} width="{size[0]}" height="{size[1]}"{closing}'

    return _IMG.sub(sized, body)


def _html_page_context(app, pagename, templatename, context, doctree):
    body = context.get("body")
    images = getattr(app.builder, "images", None)
    if not body or not images:
        return
    # Sphinx copies each image (its path relative to the source folder, or absolute) to
    # _images/<name>; the page refers to it by that name.
    files = {name: Path(app.srcdir, source) for source, name in images.items()}
    context["body"] = add_sizes(
        body, lambda src: files.get(src.split("?")[0].rsplit("/", 1)[-1])
    )


def setup(app):
    app.connect("html-page-context", _html_page_context)
