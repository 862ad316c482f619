"""What a fast, findable page needs, checked in the built HTML (no Lighthouse scores here).

``make audit`` measures Lighthouse scores, which move with the machine's load; these
tests check the deterministic parts behind them (issue #15): no script that blocks the
first paint unless the page needs it then, a bounded DOM, a meta description and
Open Graph / Twitter card tags on every page, a favicon, a valid redirect page, valid
markup in the hidden-code toggles. The unit tests at the end need no build.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from book.site import a11y, assets, mathrender, meta
from book_pages import toc_pages

PAGES = toc_pages()
#: Lighthouse warns above 800 elements and fails a page above 1,400 (its "dom-size" audit
#: scores 0 at about 3,000). The chapters carry long code listings (a <span> per token):
#: this bound (on the HTML as served, before scripts add the quiz, and without the typeset
#: math) stops growth; the measured sizes are printed. It was 4,500 until chapters 5 and 7 were
#: rewritten with their controls (issues 22 and 23): measured 2026-12-04, chapter 7 (its text
#: coloured by a cell, a <span> per character, and three figures' hidden code) has 5,710 and
#: chapter 5 4,621. Moving the hidden plotting code into book/plots.py is the open way down.
DOM_ELEMENTS_MAX = 6000
#: The same pages with their typeset math (book/site/mathrender.py: an SVG with MathML for
#: screen readers per formula, and the page's font cache). Lighthouse always counted the
#: math: before it was typeset at build time, MathJax added it in the browser (CHTML with
#: MathML), and chapter 4 had 9,513 elements once loaded, 7,716 since (chapter 2: 8,748,
#: then 7,366). Chapter 4, the most math, has about 6,700 in its HTML.
#: Raised from 7,500 on 2026-12-04: chapter 9, rewritten for issue 24 and then given a section on
#: computing a nonlinear recurrence in parallel, measured 8,521 (4,017 of them typeset math).
DOM_WITH_MATH_MAX = 9000
#: Scripts a page may load in <head> without defer/async: tiny theme and Sphinx
#: configuration scripts the page's other scripts read (each a few KB at most).
BLOCKING_SCRIPTS_ALLOWED = re.compile(
    r"_static/(documentation_options|doctools|sphinx_highlight|clipboard\.min|copybutton|scripts/sphinx-book-theme"
    r"|togglebutton|design-tabs|searchtools|language_data)\.js|searchindex\.js$"
)


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = 0
        #: elements of the typeset math (inside <mjx-container>, and the font cache)
        self.math_elements = 0
        self._math_at: int | None = None
        self.meta: dict[str, str] = {}
        self.links: list[dict] = []
        self.scripts: list[dict] = []
        self.in_head = False
        self.stack: list[str] = []
        self.p_in_summary = 0
        self.summary_labels = 0
        self._summary = None
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.elements += 1
        if self._math_at is not None:
            self.math_elements += 1
        elif tag == "mjx-container" or (tag == "svg" and a.get("id") == mathrender.FONT_CACHE_ID):
            self.math_elements += 1
            self._math_at = len(self.stack)
        if tag == "head":
            self.in_head = True
        if tag == "meta":
            key = a.get("name") or a.get("property")
            if key:
                self.meta[key] = a.get("content", "")
        if tag == "link":
            self.links.append(a)
        if tag == "script":
            self.scripts.append({**a, "_head": self.in_head})
        if tag == "p" and "summary" in self.stack:
            self.p_in_summary += 1
        if tag == "summary":
            # an aria-label is a second name only beside visible text (the sidebar's
            # icon-only toggles need one: book.site.a11y.name_sidebar_toggles)
            self._summary = {"labelled": "aria-label" in a, "text": ""}
        if tag == "title":
            self._in_title = True
        if tag not in ("meta", "link", "br", "img", "input", "hr", "source", "wbr", "col", "area", "base"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag == "summary" and self._summary is not None:
            if self._summary["labelled"] and self._summary["text"].strip():
                self.summary_labels += 1
            self._summary = None
        if tag == "head":
            self.in_head = False
        if tag == "title":
            self._in_title = False
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass
        if self._math_at is not None and len(self.stack) <= self._math_at:
            self._math_at = None

    def handle_data(self, data):
        if self._summary is not None:
            self._summary["text"] += data
        if self._in_title:
            self.title += data


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def pages(built_site):
    return {name: parse(built_site.html / f"{name}.html") for name in [*PAGES, "search"]}


@pytest.mark.parametrize("name", PAGES)
def test_meta_description_is_the_pages_opening(pages, name):
    page = pages[name]
    description = page.meta.get("description", "")
    assert 40 <= len(description) <= meta.DESCRIPTION_LENGTH + 1, f"{name}: meta description {description!r}"
    assert "\\" not in description and "$" not in description, (
        f"{name}: TeX in the description {description!r}"
    )
    assert page.meta.get("og:description") == description, (
        f"{name}: og:description differs from the description"
    )


@pytest.mark.parametrize("name", PAGES)
def test_open_graph_and_twitter_card(pages, name):
    tags = pages[name].meta
    assert tags.get("og:title"), f"{name}: no og:title"
    assert tags.get("og:url", "").startswith("https://"), (
        f"{name}: og:url not absolute: {tags.get('og:url')!r}"
    )
    assert tags.get("og:image", "").startswith("https://"), f"{name}: og:image not absolute"
    assert tags["og:image"].endswith(meta.CARD), f"{name}: og:image is not the site's card"
    assert tags.get("og:image:alt"), f"{name}: og:image without alt text"
    assert tags.get("twitter:card") == "summary_large_image"


def test_card_image_and_favicons_are_served(built_site):
    from PIL import Image

    card = built_site.html / "_static" / meta.CARD
    with Image.open(card) as img:
        assert img.size == meta.CARD_SIZE
    assert card.stat().st_size < 150_000, "the social card should stay small"
    assert (built_site.html / "favicon.ico").stat().st_size > 0
    assert (built_site.html / "_static" / meta.FAVICON.name).exists()


@pytest.mark.parametrize("name", [*PAGES, "search"])
def test_page_declares_its_favicon(pages, built_site, name):
    icons = [link for link in pages[name].links if "icon" in (link.get("rel") or "").split()]
    assert icons, f"{name}: no <link rel=icon> (browsers then ask for /favicon.ico)"
    href = icons[0]["href"].split("?")[0]
    assert (built_site.html / Path(name).parent / href).resolve().exists(), f"{name}: favicon {href} missing"


def test_redirect_page_is_valid_html(built_site):
    text = (built_site.html / "index.html").read_text()
    assert text.lstrip().startswith("<!DOCTYPE html>")
    page = parse(built_site.html / "index.html")
    assert page.title.strip(), "the redirect page has no title"
    assert re.search(r'http-equiv="Refresh" content="0; url=intro\.html"', text)
    assert '<a href="intro.html">' in text, "no link for browsers that do not follow the refresh"


@pytest.mark.parametrize("name", PAGES)
def test_hidden_code_toggles_are_valid_and_named_by_their_text(pages, name):
    page = pages[name]
    assert page.p_in_summary == 0, f"{name}: <p> inside <summary> (only phrasing content is allowed)"
    assert page.summary_labels == 0, f"{name}: a <summary> with an aria-label other than its visible text"


@pytest.mark.parametrize("name", [*PAGES, "search"])
def test_no_render_blocking_script_the_first_paint_does_not_need(pages, name):
    blocking = [
        s["src"]
        for s in pages[name].scripts
        if s["_head"]
        and s.get("src")
        and "defer" not in s
        and "async" not in s
        and s.get("type", "") in ("", "text/javascript")
    ]
    unexpected = [src for src in blocking if not BLOCKING_SCRIPTS_ALLOWED.search(src.split("?")[0])]
    assert unexpected == [], f"{name}: scripts that block the first paint"


@pytest.mark.parametrize("name", PAGES)
def test_plotly_is_loaded_lazily(pages, built_site, name):
    page = pages[name]
    srcs = [s.get("src", "") for s in page.scripts]
    assert not any("plotly-basic" in src for src in srcs), f"{name}: plotly.js loaded by the page itself"
    html = (built_site.html / f"{name}.html").read_text()
    figures = html.count(f'class="{assets.PLOTLY_CLASS}"') if hasattr(assets, "PLOTLY_CLASS") else 0
    if figures:
        assert any(src.split("?")[0].endswith(assets.PLOTLY_LAZY_SCRIPT.rsplit("/", 1)[-1]) for src in srcs)
        assert "Plotly.newPlot" not in html, f"{name}: a figure drawn by an inline script"
        assert len(assets.plotly_trace_types(html)) >= figures


@pytest.mark.parametrize("name", PAGES)
def test_content_images_have_their_size(built_site, name):
    """No layout shift when a figure arrives: every image of the page's text carries its
    intrinsic width and height (book/site/imagesize.py)."""
    html = (built_site.html / f"{name}.html").read_text(encoding="utf-8")
    article = html[html.index('<article class="bd-article">') :]
    article = article[: article.index("</article>")]
    unsized = [
        tag[:120]
        for tag in re.findall(r"<img\b[^>]*>", article)
        if not (re.search(r'\swidth="\d+"', tag) and re.search(r'\sheight="\d+"', tag))
    ]
    assert unsized == [], f"{name}: images without their size"


@pytest.mark.parametrize("name", PAGES)
def test_printed_lines_of_a_cell_are_one_output_box(built_site, name):
    """A cell's printed text shows as one box however the kernel cut it into messages
    (``book.site.execute.join_streams``): no box of printed text directly follows another."""
    html = (built_site.html / f"{name}.html").read_text(encoding="utf-8")
    split = re.findall(r'</pre></div>\s*</div>\s*<div class="output stream', html)
    assert split == [], f"{name}: {len(split)} cell output(s) shown as two boxes of printed text"


def test_dom_size_is_bounded(pages, capsys):
    sizes = {name: pages[name].elements for name in PAGES}
    math = {name: pages[name].math_elements for name in PAGES}
    with capsys.disabled():
        print(
            "\nDOM elements per page (of which typeset math): "
            + ", ".join(f"{n.rsplit('/', 1)[-1]} {s} ({math[n]})" for n, s in sizes.items())
        )
    too_big = {n: s - math[n] for n, s in sizes.items() if s - math[n] > DOM_ELEMENTS_MAX}
    assert too_big == {}, f"pages above {DOM_ELEMENTS_MAX} elements without their math"
    too_big = {n: s for n, s in sizes.items() if s > DOM_WITH_MATH_MAX}
    assert too_big == {}, f"pages above {DOM_WITH_MATH_MAX} elements with their typeset math"


def test_math_elements_are_counted():
    page = _Page()
    page.feed(
        '<p>a <span class="math"><mjx-container><svg><g><use></use></g></svg>'
        "<mjx-assistive-mml><math><mi>x</mi></math></mjx-assistive-mml></mjx-container></span> b</p>"
        f'<svg id="{mathrender.FONT_CACHE_ID}"><defs><path></path></defs></svg><p>c</p>'
    )
    assert (page.elements, page.math_elements) == (13, 10)


def test_one_search_field_in_the_page_chrome(built_site):
    html = (built_site.html / "chapters" / "01_sequences.html").read_text()
    assert (
        "navbar-persistent--container" not in html or 'navbar-persistent--container">\n          \n' in html
    ), "pydata-sphinx-theme's top-bar search field is back (navbar_persistent)"
    assert html.count("search-button-field") <= 1


# --------------------------------------------------------------------------- unit tests (no build)


def test_shorten_cuts_at_a_sentence_or_a_word():
    assert meta.shorten("short.") == "short."
    text = "A first sentence that is long enough to count. " * 6
    short = meta.shorten(text, 120)
    assert short.endswith(".") and len(short) <= 120
    words = "word " * 100
    cut = meta.shorten(words, 50)
    assert cut.endswith("…") and len(cut) <= 51 and "wor…" not in cut


def test_tex_to_text():
    assert meta.tex_to_text(r"\sigma(W_f x_t)") == "σ(W_f x_t)"
    assert meta.tex_to_text(r"f_t \odot c_{t-1}") == "f_t ⊙ c_t-1"


def test_pages_url_of_a_github_repository():
    assert (
        meta.pages_url("https://github.com/lstm-course/lstm-course")
        == "https://lstm-course.github.io/lstm-course/"
    )
    assert meta.pages_url("https://github.com/Me/me.github.io") == "https://me.github.io/"
    assert meta.pages_url("https://gitlab.com/a/b") == ""


def test_opening_paragraph_skips_cells_and_admonitions():
    from docutils import nodes
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser
    from docutils.utils import new_document

    doc = new_document("x", get_default_settings(Parser))
    section = nodes.section()
    section += nodes.title(text="Title")
    cell = nodes.container(classes=["cell"])
    cell += nodes.paragraph(text="output text of a code cell that is long enough to count")
    section += cell
    note = nodes.note()
    note += nodes.paragraph(text="a note that is long enough to be taken for the opening")
    section += note
    para = nodes.paragraph()
    para += nodes.Text("The opening paragraph, with math ")
    para += nodes.math(text=r"\tanh")
    para += nodes.Text(" in it.")
    section += para
    doc += section
    assert meta.opening_paragraph(doc) == "The opening paragraph, with math tanh in it."


def test_toggle_summary_fix():
    before = (
        '<summary aria-label="Toggle hidden content">\n<p class="collapsed admonition-title">Show code</p>\n'
        '<p class="expanded admonition-title">Hide code</p>\n</summary>'
    )
    after = a11y.fix_body(before)
    assert "<p" not in after and "aria-label" not in after
    assert '<span class="collapsed admonition-title">Show code</span>' in after


def test_plotly_trace_types_are_read_from_the_figures_data():
    import plotly.graph_objects as go

    from book.plots import plotly_figure

    fig = go.Figure([go.Scatter(x=[0], y=[1]), go.Bar(x=[0], y=[1]), go.Heatmap(z=[[1]])])
    body = (
        plotly_figure(fig, div_id="a").data
        + '<script type="application/json" class="book-plotly-data">{</script>'
    )
    assert assets.plotly_trace_types(body) == ["scatter", "bar", "heatmap", "<unreadable>"]


def test_sidebar_toggles_get_a_name():
    """pydata-sphinx-theme's toggle of a chapter with section pages, as the theme writes it."""
    before = (
        '<li class="toctree-l1"><a class="reference internal" href="chapters/01_sequences.html">'
        "1. Sequences in machine learning</a></li>"
        '<li class="toctree-l1 current active has-children"><a class="reference internal" '
        'href="chapters/02_rnn_limits.html">2. Recurrent networks and their limits</a>'
        '<details open="open"><summary><span class="toctree-toggle" role="presentation">'
        '<i class="fa-solid fa-chevron-down"></i></span></summary><ul><li class="toctree-l2">'
        '<a class="reference internal" href="chapters/02_clipping.html">2.6. Clipping</a></li></ul>'
        "</details></li>"
    )
    after = a11y.name_sidebar_toggles(before)
    assert after.count("<summary") == 1
    assert '<summary aria-label="Sections of 2. Recurrent networks and their limits">' in after
    assert after.replace(' aria-label="Sections of 2. Recurrent networks and their limits"', "") == before


def test_every_sidebar_toggle_of_the_built_book_has_a_name(built_site):
    import re

    for page in ("intro", "chapters/02_clipping", "chapters/04_lstm_equations"):
        html = (built_site.html / f"{page}.html").read_text(encoding="utf-8")
        summaries = re.findall(r"<summary[^>]*>\s*<span class=\"toctree-toggle\"", html)
        assert summaries, f"{page}: no sidebar toggle (a chapter with section pages has one)"
        assert all("aria-label=" in s for s in summaries), (page, summaries)
        labels = re.findall(r'<summary aria-label="Sections of ([^"]*)">', html)
        assert "2. Recurrent networks and their limits" in labels, labels
        # each names one chapter: its own numbered title, not the links before it
        assert all(len(re.findall(r"(?:^| )\d+(?:\.\d+)*\. ", label)) == 1 for label in labels), labels


# --------------------------------------------------------------- sitemap.xml and robots.txt


def _sitemap_locs(text: str) -> list[str]:
    import xml.etree.ElementTree as ET

    from book.site.sitemap import NAMESPACE

    root = ET.fromstring(text)
    assert root.tag == f"{{{NAMESPACE}}}urlset"
    return [loc.text for loc in root.iter(f"{{{NAMESPACE}}}loc")]


def _config_base_url() -> str:
    import yaml

    config = yaml.safe_load((Path(__file__).resolve().parent.parent / "_config.yml").read_text())
    base = (config.get("html") or {}).get("baseurl") or meta.pages_url(config["repository"]["url"])
    return base if base.endswith("/") else base + "/"


def test_the_sitemap_lists_every_page_under_the_base_url_of_config_yml(built_site):
    base = _config_base_url()
    assert base.startswith("https://")
    locs = _sitemap_locs((built_site.html / "sitemap.xml").read_text(encoding="utf-8"))
    assert len(locs) == len(set(locs)), "a page listed twice"
    assert sorted(locs) == sorted(f"{base}{page}.html" for page in PAGES)
    for loc in locs:  # every URL is a page of the site
        assert (built_site.html / loc.removeprefix(base)).is_file(), loc


def test_robots_txt_names_the_sitemap(built_site):
    text = (built_site.html / "robots.txt").read_text(encoding="utf-8")
    assert f"Sitemap: {_config_base_url()}sitemap.xml" in text.splitlines()
    assert "Disallow: /" not in text.splitlines()


def test_sitemap_xml_escapes_urls_and_the_base_url_follows_the_configuration():
    from types import SimpleNamespace

    from book.site import sitemap

    text = sitemap.sitemap_xml(["https://a.github.io/b/x.html?q=1&r=<2>"])
    assert _sitemap_locs(text) == ["https://a.github.io/b/x.html?q=1&r=<2>"]
    assert "&amp;" in text and "<2>" not in text

    def config(baseurl="", site="", repo="https://github.com/Someone/fork"):
        return SimpleNamespace(
            html_baseurl=baseurl, ogp_site_url=site, html_theme_options={"repository_url": repo}
        )

    assert sitemap.base_url(config()) == "https://someone.github.io/fork/"
    assert sitemap.base_url(config(baseurl="https://course.example.org")) == "https://course.example.org/"
    assert sitemap.base_url(config(repo="https://gitlab.com/a/b")) == ""
