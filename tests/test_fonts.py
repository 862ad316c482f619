"""book.site.fonts: the theme's icon fonts keep exactly the icons the site can show.

The unit tests use the theme's real CSS and fonts (from the installed pydata-sphinx-theme);
the last test checks the built site: every icon a page or script names is in its font.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from book.site import fonts

THEME_CSS = fonts.theme_font_folder().parents[2] / "styles" / "pydata-sphinx-theme.css"


@pytest.fixture(scope="module")
def theme_css() -> str:
    return THEME_CSS.read_text()


def cmap(path: Path) -> set[int]:
    return set(TTFont(str(path)).getBestCmap())


def test_icon_classes_map_to_their_characters(theme_css):
    icons = fonts.icon_codepoints(theme_css)
    assert icons["github"] == 0xF09B
    assert icons["magnifying-glass"] == 0xF002
    assert icons["square-github"] == icons["github-square"] == 0xF092  # one rule, two names
    assert len(icons) > 1000


def test_the_stylesheets_own_icon_characters_are_found(theme_css):
    # the theme's admonition and arrow symbols: --pst-icon-lightbulb and friends
    found = fonts.stylesheet_codepoints(theme_css)
    assert 0xF0EB in found  # lightbulb
    assert 0xF09B in found  # --pst-icon-github, written as the character itself
    assert not found & {0xF113}  # github-alt: only in a class rule, not used by the theme itself
    assert fonts.stylesheet_codepoints('.x:before{content:"\\f104"} .fa-a:before{content:"\\f113"}') == {
        0xF104
    }


def test_a_subset_keeps_the_asked_glyphs_only(tmp_path):
    source = fonts.theme_font_folder() / "fa-brands-400.woff2"
    target = tmp_path / "brands.woff2"
    size = fonts.subset_font(source, target, {0xF09B, 0xE000})  # github, and a character the font lacks
    assert cmap(target) == {0xF09B}
    assert size < 5_000 < source.stat().st_size
    assert TTFont(str(target)).flavor == "woff2"


def test_a_site_gets_the_icons_its_pages_and_scripts_name(tmp_path, theme_css):
    site = tmp_path / "html"
    (site / "_static" / "styles").mkdir(parents=True)
    (site / "_static" / "styles" / "theme.css").write_text(theme_css)
    (site / fonts.FONT_FOLDER).mkdir(parents=True)
    (site / "page.html").write_text('<i class="fa-brands fa-github"></i><i class="fa-solid fa-rocket"></i>')
    (site / "_static" / "x.js").write_text('icon.className = "fa-solid fa-moon";')
    sizes = fonts.subset_site_fonts(site)
    assert set(sizes) == set(fonts.FONTS)
    folder = site / fonts.FONT_FOLDER
    assert 0xF09B in cmap(folder / "fa-brands-400.woff2")
    solid = cmap(folder / "fa-solid-900.woff2")
    assert {0xF135, 0xF186} <= solid  # rocket, moon (named by a script)
    assert 0xF0EB in solid  # the theme's own lightbulb symbol
    assert 0xF113 not in cmap(folder / "fa-brands-400.woff2")
    assert all(after < before / 10 for before, after in sizes.values())


@pytest.mark.slow
def test_every_icon_of_the_built_site_is_in_its_fonts(built_site):
    css = "".join(p.read_text(errors="replace") for p in built_site.html.rglob("*.css"))
    icons = fonts.icon_codepoints(css)
    folder = built_site.html / fonts.FONT_FOLDER
    kept = set().union(*(cmap(folder / name) for name in fonts.FONTS))
    names = set()
    for page in built_site.html.rglob("*.html"):
        names.update(re.findall(r'class="[^"]*\bfa-(?:solid|brands|regular)\b[^"]*"', page.read_text()))
    used = {icons[n] for cls in names for n in re.findall(r"\bfa-([a-z0-9-]+)", cls) if n in icons}
    assert used and used <= kept, sorted(hex(c) for c in used - kept)
    total = sum((folder / name).stat().st_size for name in fonts.FONTS)
    assert total < 20_000, f"icon fonts weigh {total} bytes"
