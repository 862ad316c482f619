"""book.site.csspurge: the theme's stylesheet keeps every rule the site can use, and little else.

The unit tests run the real PurgeCSS (Node, npm ``purgecss``) on a tiny site; the last
tests check the built site: every selector of the theme's original stylesheet that matches
an element of a loaded page (in Chromium) is in the served one, the dark mode and the
tooltips keep their rules, and the stylesheet shrank.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from book.site import csspurge

SOURCE_CSS = """
:root{--pst-color-text:#222;--unused-variable:1px}
@font-face{font-family:"Demo";src:url(demo.woff2)}
@keyframes spin{to{transform:rotate(1turn)}}
.used{color:red}
.unused{color:blue}
.added-by-script{color:green}
html[data-theme=dark] .never-in-a-page{color:white}
.bs-tooltip-auto[data-popper-placement^=top] .tooltip-arrow{bottom:0}
.jp-OutputArea-output{overflow:auto}
@media (max-width:540px){.used{color:pink}.unused{color:navy}}
"""


def make_site(root: Path) -> Path:
    site = root / "html"
    (site / "_static" / "styles").mkdir(parents=True)
    (site / "chapters").mkdir()
    (site / "chapters" / "page.html").write_text('<html><body><p class="used">x</p></body></html>')
    (site / "_static" / "x.js").write_text('el.classList.add("added-by-script");')
    (site / csspurge.STYLESHEET).write_text("/* whatever Sphinx copied */")
    return site


def rules(css: str) -> str:
    return re.sub(r"\s+", "", css)


def test_a_site_keeps_the_rules_its_pages_and_scripts_use(tmp_path):
    site = make_site(tmp_path)
    source = tmp_path / "theme.css"
    source.write_text(SOURCE_CSS)
    sizes = csspurge.purge(site, source=source)
    out = rules((site / csspurge.STYLESHEET).read_text())
    assert ".used{color:red}" in out and ".used{color:pink}" in out  # also inside @media
    assert ".added-by-script{" in out  # a class only a script names
    assert ".unused{" not in out
    # kept whatever the pages hold: dark mode, Popper's placements, Live Code's outputs
    assert "html[data-theme=dark].never-in-a-page" in out
    assert ".tooltip-arrow{" in out and ".jp-OutputArea-output{" in out
    # custom properties, fonts and animations stay
    assert "--unused-variable:1px" in out and "@font-face" in out and "@keyframes" in out
    assert (
        sizes["before"] == len(SOURCE_CSS) and sizes["after"] < sizes["before"] and sizes["rejected"] == 1
    )  # ".unused", counted once


def test_each_build_starts_from_the_original(tmp_path):
    """A page that starts using a class gets its rules back: never purge an earlier cut."""
    site = make_site(tmp_path)
    source = tmp_path / "theme.css"
    source.write_text(SOURCE_CSS)
    csspurge.purge(site, source=source)
    (site / "chapters" / "page.html").write_text('<p class="used unused">x</p>')
    csspurge.purge(site, source=source)
    assert ".unused{color:blue}" in rules((site / csspurge.STYLESHEET).read_text())


def test_a_missing_stylesheet_or_node_fails_with_what_to_do(tmp_path):
    site = make_site(tmp_path)
    with pytest.raises(csspurge.PurgeError, match="the theme's stylesheet .*nowhere.css is missing"):
        csspurge.purge(site, source=tmp_path / "nowhere.css")
    source = tmp_path / "theme.css"
    source.write_text(SOURCE_CSS)
    with pytest.raises(csspurge.PurgeError, match="could not run Node.js.*Install Node.js"):
        csspurge.purge(site, source=source, node=str(tmp_path / "no-node"))
    source.write_text(".a{color:red")  # unbalanced: PostCSS cannot parse it
    with pytest.raises(csspurge.PurgeError, match="csspurge.js failed on .*theme.css"):
        csspurge.purge(site, source=source)


PSEUDO = re.compile(
    r"::?(?:before|after|marker|placeholder|selection|backdrop|first-letter|first-line|-webkit-[\w-]+|-moz-[\w-]+)"
    r"|:(?:hover|focus-visible|focus-within|focus|active|visited|link|target|checked|disabled|enabled|"
    r"indeterminate|invalid|valid|placeholder-shown|read-only|default|autofill)(?![\w-])"
)


def theme_selectors(css: str) -> list[str]:
    """Every selector of ``css``'s style rules (not @keyframes steps or at-rules)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"@(?:-webkit-)?keyframes[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", css)
    css = re.sub(r"\{[^{}]*\}", "{}", css)
    found = []
    for head in re.findall(r"([^{}]+)\{", css):
        if head.strip().startswith("@"):
            continue
        found += [s.strip() for s in re.split(r",(?![^()]*\))", head) if s.strip()]
    return found


MATCHING = """
(selectors) => selectors.filter(([original, plain]) => {
  try { return plain === '' || document.querySelector(plain) !== null; } catch (e) { return false; }
}).map(([original]) => original)
"""


@pytest.mark.browser
def test_every_theme_rule_that_matches_a_page_is_kept(built_site, site_url, offline_page):
    """Each page loaded (its scripts run: the classes they add count): every selector of the
    theme's original stylesheet that matches an element of the page is in the served one."""
    from book_pages import toc_pages

    original = theme_selectors(csspurge.theme_stylesheet().read_text())
    served = rules((built_site.html / csspurge.STYLESHEET).read_text())
    pairs = sorted({(sel, PSEUDO.sub("", sel).strip()) for sel in original})
    pairs = [(o, p if p not in (">", "+", "~") else "") for o, p in pairs]
    checked = 0
    for name in [*toc_pages(), "search"]:
        offline_page.goto(f"{site_url}/{name}.html")
        offline_page.wait_for_load_state("load")
        matching = offline_page.evaluate(MATCHING, [[o, p] for o, p in pairs if p])
        lost = [sel for sel in matching if rules(sel) not in served]
        assert not lost, f"{name}: theme rules that match the page but were cut: {lost[:20]}"
        checked += len(matching)
    assert checked > 1000, checked  # the check saw the theme's rules at work


@pytest.mark.slow
def test_the_served_stylesheet_is_cut_and_keeps_the_modes(built_site):
    original = csspurge.theme_stylesheet().read_text()
    served = (built_site.html / csspurge.STYLESHEET).read_text()
    assert "html[data-theme=dark]" in served.replace('"', "")
    assert ".tooltip-arrow" in served  # Bootstrap's tooltips (the header buttons)
    assert len(served) < 0.4 * len(original), (len(served), len(original))
