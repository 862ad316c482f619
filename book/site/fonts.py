"""The theme's icon fonts, cut down to the icons the site shows.

pydata-sphinx-theme draws its icons (the header's buttons, the admonitions' symbols, the
previous/next arrows) with FontAwesome 6's web fonts: ``fa-solid-900.woff2`` (157 KB),
``fa-brands-400.woff2`` (118 KB) and ``fa-regular-400.woff2`` (25 KB), about 2,000 glyphs
of which the course shows about twenty. Every page downloads the first two (its header
has a solid and a brand icon): 275 KB of a page's 450, on a reader's slow network.

After the build (``build-finished``), each of the three fonts in ``_build/html`` is
rewritten from the theme's original (never from an earlier subset: a page that gains an
icon gets it) with only the glyphs of

- the ``fa-*`` icon classes that any page or any of the site's scripts names (mapped to
  their characters by the theme's own CSS, ``.fa-github:before{content:"\\f09b"}``), and
- every character of the fonts' private-use area that a stylesheet writes itself (the
  theme's ``--pst-icon-*`` admonition and arrow symbols) or escapes (``\\f...``) outside
  those class rules.

fontTools (a dependency of matplotlib) subsets the fonts; writing WOFF2 needs ``brotli``
(pinned in ``requirements.txt``). Nothing else changes: the CSS still points at the same
files, and the TrueType fallbacks (for browsers without WOFF2) stay whole.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Where the theme's FontAwesome web fonts land in the built site.
FONT_FOLDER = Path("_static", "vendor", "fontawesome", "webfonts")
FONTS = ("fa-solid-900.woff2", "fa-regular-400.woff2", "fa-brands-400.woff2")
#: A FontAwesome class rule of the theme's CSS: ``.fa-a:before,.fa-b:before{content:"\\f09b"}``.
ICON_RULE = re.compile(
    r'((?:\.fa-[a-z0-9-]+:{1,2}(?:before|after),?)+)\{content:"\\([0-9a-f]{2,6})"\}'
)
ICON_CLASS = re.compile(r"\bfa-([a-z0-9]+(?:-[a-z0-9]+)*)")
ESCAPE = re.compile(r"\\([ef][0-9a-f]{3})\b", re.IGNORECASE)
PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def theme_font_folder() -> Path:
    """The theme package's own copy of the fonts (what every build starts from)."""
    import pydata_sphinx_theme

    return Path(pydata_sphinx_theme.__file__).parent.joinpath(
        "theme",
        "pydata_sphinx_theme",
        "static",
        "vendor",
        "fontawesome",
        "webfonts",
    )


def icon_codepoints(css: str) -> dict[str, int]:
    """``{icon name: character}`` from FontAwesome's class rules in ``css``."""
    icons = {}
    for selectors, code in ICON_RULE.findall(css):
        for name in re.findall(r"\.fa-([a-z0-9-]+):", selectors):
            icons[name] = int(code, 16)
    return icons


def stylesheet_codepoints(css: str) -> set[int]:
    """Icon characters a stylesheet writes itself, outside FontAwesome's class rules."""
    rest = ICON_RULE.sub("", css)
    found = {ord(c) for c in PRIVATE_USE.findall(rest)}
    found |= {int(code, 16) for code in ESCAPE.findall(rest)}
    return found


def used_codepoints(site: Path) -> set[int]:
    """The icon characters that the built ``site`` can show."""
    stylesheets = [p.read_text(errors="replace") for p in site.rglob("*.css")]
    icons: dict[str, int] = {}
    for css in stylesheets:
        icons.update(icon_codepoints(css))
    names: set[str] = set()
    for pattern in ("*.html", "*.js"):
        for path in site.rglob(pattern):
            names.update(ICON_CLASS.findall(path.read_text(errors="replace")))
    codepoints = {icons[name] for name in names if name in icons}
    for css in stylesheets:
        codepoints |= stylesheet_codepoints(css)
    return codepoints


def subset_font(source: Path, target: Path, codepoints: set[int]) -> int:
    """Write to ``target`` the WOFF2 font ``source`` with only ``codepoints``; return its size."""
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.notdef_outline = True
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    available = set(font.getBestCmap())
    subsetter.populate(unicodes=sorted(codepoints & available))
    subsetter.subset(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    subset.save_font(font, str(target), options)
    return target.stat().st_size


def subset_site_fonts(
    site: Path, source_folder: Path | None = None
) -> dict[str, tuple[int, int]]:
    """Subset the three fonts of ``site``; ``{font: (bytes before, bytes after)}``."""
    source_folder = source_folder or theme_font_folder()
    target_folder = site / FONT_FOLDER
    if not target_folder.is_dir():
        return {}
    codepoints = used_codepoints(site)
    sizes = {}
    for name in FONTS:
        source = source_folder / name
        if not source.is_file():
            raise FileNotFoundError(
                f"book.site.fonts: the theme's font {source} is missing"
            )
        sizes[name] = (
            source.stat().st_size,
            subset_font(source, target_folder / name, codepoints),
        )
    return sizes


def _build_finished(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    sizes = subset_site_fonts(Path(app.outdir))
    if sizes:
        logger.info(
            "[book] icon fonts cut to the icons the site uses: %s",
            ", ".join(
                f"{name} {before // 1000} -> {after // 1000} KB"
                for name, (before, after) in sizes.items()
            ),
        )


def setup(app):
    app.connect("build-finished", _build_finished)
