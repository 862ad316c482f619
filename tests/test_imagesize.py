"""book.site.imagesize: every image of a page's text carries its intrinsic size (no layout
shift when it arrives). Unit tests of the size reader and the rewrite; the built site's pages
are checked in tests/test_site_meta.py."""

from __future__ import annotations

import struct
import zlib

from book.site.imagesize import add_sizes, intrinsic_size


def _png(path, width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))
    return path


def test_png_size_is_read_from_its_header(tmp_path):
    assert intrinsic_size(_png(tmp_path / "a.png", 982, 743)) == (982, 743)


def test_svg_size_in_points_pixels_or_viewbox(tmp_path):
    pt = tmp_path / "pt.svg"
    pt.write_text(
        '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="360pt" height="180pt">'
    )
    assert intrinsic_size(pt) == (480, 240)  # 1pt = 4/3 px, as browsers convert
    px = tmp_path / "px.svg"
    px.write_text('<svg width="300" height="150px" viewBox="0 0 10 5">')
    assert intrinsic_size(px) == (300, 150)
    box = tmp_path / "box.svg"
    box.write_text('<svg viewBox="0 0 395.4 325.9" width="100%">')
    assert intrinsic_size(box) == (395, 326)  # a percentage says nothing: the viewBox does


def test_unknown_or_missing_files_give_no_size(tmp_path):
    (tmp_path / "a.svg").write_text("<svg>")
    (tmp_path / "b.gif").write_bytes(b"GIF89a")
    assert intrinsic_size(tmp_path / "a.svg") is None
    assert intrinsic_size(tmp_path / "b.gif") is None
    assert intrinsic_size(tmp_path / "none.png") is None


def test_sizes_are_added_only_where_missing(tmp_path):
    png = _png(tmp_path / "fig.png", 640, 480)
    files = {"fig.png": png}

    def find(src):
        return files.get(src.rsplit("/", 1)[-1])

    body = (
        '<p><img alt="a" src="../_images/fig.png" /></p>'
        '<img alt="b" src="../_images/fig.png">'
        '<img alt="c" src="../_images/fig.png" width="100">'
        '<img alt="d" src="../_images/other.png">'
    )
    out = add_sizes(body, find)
    assert '<img alt="a" src="../_images/fig.png" width="640" height="480" />' in out
    assert '<img alt="b" src="../_images/fig.png" width="640" height="480">' in out
    assert '<img alt="c" src="../_images/fig.png" width="100">' in out  # its own size kept
    assert '<img alt="d" src="../_images/other.png">' in out  # no file: left alone
    assert add_sizes(out, find) == out  # idempotent
