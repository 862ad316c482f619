"""What search engines, link previews and browsers read about a page.

- **Meta description**: every page gets ``<meta name="description">`` (and Open Graph's
  ``og:description``) made from its own opening paragraph, the first paragraph of body
  text in the page (not inside a code cell, a figure, an admonition, a table or a
  list), shortened to :data:`DESCRIPTION_LENGTH` characters at a sentence or word
  boundary. Nothing is typed twice: edit the chapter's opening and the description
  follows. Math in it is written as plain text (``\\sigma`` becomes ``σ``).
- **Open Graph and Twitter cards** (``sphinxext-opengraph``, loaded by this module):
  title, description, page URL and one image for every page, the card
  ``_static/book-assets/card.png`` drawn at build time by :func:`draw_card`. Link
  previews need absolute URLs: ``ogp_site_url`` defaults to the GitHub Pages address of
  ``repository.url`` in ``_config.yml`` (``https://OWNER.github.io/NAME/``), so a fork
  only changes that one place.
- **Favicon**: ``favicon.svg`` (next to this file) as Sphinx's ``html_favicon``, and a
  ``favicon.ico`` at the site's root for browsers that ask for that name anyway.
- **The redirect page**: Jupyter Book writes ``index.html`` as one ``<meta
  http-equiv="Refresh">`` line; it is rewritten as a small valid HTML page (doctype,
  language, title, a link for browsers that do not follow the refresh).
- **One search field**: pydata-sphinx-theme 0.17 puts a search field in the top bar
  (``navbar_persistent``) unless the *user's* theme options name it, and does not see
  sphinx-book-theme's own empty default; sphinx-book-theme already puts one in the
  sidebar. The option is set to ``[]`` here, as sphinx-book-theme means it.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import urlparse

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
FAVICON = HERE / "favicon.svg"
CARD = "book-assets/card.png"
CARD_SIZE = (1200, 630)
DESCRIPTION_LENGTH = 200

#: Paragraphs inside these nodes are not the page's opening text.
_NOT_OPENING = (
    nodes.Admonition,
    nodes.container,  # code cells and their outputs
    nodes.figure,
    nodes.table,
    nodes.topic,
    nodes.sidebar,
    nodes.footnote,
    nodes.citation,
    nodes.list_item,
    nodes.field_list,
    nodes.block_quote,
    nodes.compound,  # toctrees
    nodes.Invisible,
)

_TEX = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "eta": "η",
    "theta": "θ",
    "lambda": "λ",
    "mu": "μ",
    "sigma": "σ",
    "tau": "τ",
    "phi": "φ",
    "odot": "⊙",
    "cdot": "·",
    "times": "×",
    "in": "∈",
    "approx": "≈",
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "to": "→",
    "infty": "∞",
    "partial": "∂",
    "sum": "Σ",
    "prod": "Π",
    "mathbb": "",
    "mathbf": "",
    "boldsymbol": "",
    "mathrm": "",
    "text": "",
    "operatorname": "",
}


def tex_to_text(tex: str) -> str:
    """A readable plain-text rendering of a short TeX formula (for descriptions and snippets)."""
    text = re.sub(
        r"\\([A-Za-z]+)", lambda m: _TEX.get(m.group(1), m.group(1)), tex
    )
    text = text.replace("{", "").replace("}", "").replace("\\", "")
    return re.sub(r"\s+", " ", text).strip()


def _text(node: nodes.Node) -> str:
    if isinstance(node, nodes.math):
        return tex_to_text(node.astext())
    if isinstance(node, nodes.Text):
        return node.astext()
    return "".join(_text(child) for child in node.children)


def opening_paragraph(doctree: nodes.document) -> str:
    """The text of the page's first paragraph of body text ('' if it has none)."""
    for para in doctree.findall(nodes.paragraph):
        parent, inside = para.parent, False
        while parent is not None:
            if isinstance(parent, _NOT_OPENING):
                inside = True
                break
            parent = parent.parent
        if inside:
            continue
        text = re.sub(r"\s+", " ", _text(para)).strip()
        if len(text) >= 40:
            return text
    return ""


def shorten(text: str, limit: int = DESCRIPTION_LENGTH) -> str:
    """``text`` cut to at most ``limit`` characters: at a sentence end if one is past half-way, else a word."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    sentence = max(head.rfind(". "), head.rfind("? "), head.rfind("! "))
    if sentence >= limit // 2:
        return head[: sentence + 1]
    return head[: head.rfind(" ")].rstrip(",;:") + "…"


def pages_url(repository_url: str) -> str:
    """The GitHub Pages address of a GitHub repository URL ('' if it is not one)."""
    parsed = urlparse(repository_url or "")
    parts = [p for p in parsed.path.split("/") if p]
    if (
        parsed.netloc.lower() not in ("github.com", "www.github.com")
        or len(parts) < 2
    ):
        return ""
    owner, name = parts[0], parts[1].removesuffix(".git")
    if name.lower() == f"{owner.lower()}.github.io":
        return f"https://{owner.lower()}.github.io/"
    return f"https://{owner.lower()}.github.io/{name}/"


def draw_card(path: Path, title: str, subtitle: str) -> None:
    """The social-media card (1200 x 630 PNG): the book's title over LSTM-coloured curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from book.plots import MODEL_COLORS

    width, height = CARD_SIZE
    fig = plt.figure(figsize=(width / 100, height / 100), dpi=100)
    fig.patch.set_facecolor("#1f3b57")
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    x = np.linspace(0, 1, 400)
    for i, key in enumerate(("LSTM", "GRU", "SimpleRNN")):
        color = MODEL_COLORS[key]
        ax.plot(
            x,
            0.16
            + 0.05 * i
            + 0.05 * np.sin(2 * np.pi * (3 * x + 0.2 * i)) * np.exp(-i * x),
            color=color,
            lw=5,
            alpha=0.9,
        )
    ax.text(
        0.06,
        0.72,
        title,
        color="white",
        fontsize=44,
        fontweight="bold",
        va="center",
        wrap=True,
    )
    ax.text(
        0.06,
        0.50,
        subtitle,
        color="#dde6ee",
        fontsize=24,
        va="center",
        wrap=True,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(
        path,
        dpi=100,
        facecolor=fig.get_facecolor(),
        metadata={"Software": None},
    )
    plt.close(fig)


def write_favicon_ico(path: Path) -> None:
    """A 32 x 32 ``favicon.ico`` drawn like ``favicon.svg`` (for clients that ask for that name)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((0, 0, 31, 31), radius=6, fill="#1f3b57")
    draw.line(
        [(4, 22), (9, 20), (12, 12), (16, 10), (20, 12), (23, 20), (28, 22)],
        fill="#e69f00",
        width=3,
    )
    draw.ellipse((13, 7, 19, 13), fill="#56b4e9")
    img.save(path, format="ICO", sizes=[(32, 32)])


REDIRECT = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{description}">
<link rel="canonical" href="{target}">
<link rel="icon" href="_static/{favicon}" type="image/svg+xml">
<meta http-equiv="Refresh" content="0; url={target}">
</head>
<body>
<p><a href="{target}">{title}</a></p>
</body>
</html>
"""


# --------------------------------------------------------------------------- Sphinx


def site_title(config) -> str:
    """The book's title (Jupyter Book sets ``html_title`` from ``title:``; ``project`` stays Sphinx's default)."""
    return config.html_title or config.project


def _config_inited(app, config):
    if config.ogp_site_name is None:
        config.ogp_site_name = site_title(config)
    if not config.html_favicon:
        config.html_favicon = str(FAVICON)
    config.html_theme_options.setdefault("navbar_persistent", [])
    if not config.ogp_site_url:
        config.ogp_site_url = pages_url(
            config.html_theme_options.get("repository_url", "")
        )
    if config.ogp_image is None:
        config.ogp_image = f"_static/{CARD}"
        config.ogp_image_alt = site_title(config)
        config.ogp_custom_meta_tags = [
            *config.ogp_custom_meta_tags,
            f'<meta property="og:image:width" content="{CARD_SIZE[0]}" />',
            f'<meta property="og:image:height" content="{CARD_SIZE[1]}" />',
            '<meta name="twitter:card" content="summary_large_image" />',
        ]
    # one fixed image, not a generated card per page (needs network fonts, slow)
    config.ogp_social_cards = {"enable": False}
    config.ogp_description_length = DESCRIPTION_LENGTH


def _builder_inited(app):
    if app.builder.format != "html":
        return
    card = Path(app.outdir).parent / ".book-static" / CARD
    source_time = Path(__file__).stat().st_mtime
    if not card.exists() or card.stat().st_mtime < source_time:
        draw_card(
            card,
            site_title(app.config),
            "An open course: every figure and number comes from code run when the site was built",
        )


def _html_page_context(app, pagename, templatename, context, doctree):
    text = opening_paragraph(doctree) if doctree is not None else ""
    if not text and pagename == "search":
        text = f"Search the pages of {site_title(app.config)}."
    if not text:
        text = site_title(app.config)
    description = shorten(text)
    context["metatags"] = (
        context.get("metatags", "")
        + f'<meta name="description" content="{html.escape(description)}" />\n'
    )
    # sphinxext-opengraph reads per-page overrides from the page's metadata; a copy,
    # so that the environment's own metadata is left as it was.
    meta = dict(context.get("meta") or {})
    meta["og:description"] = html.escape(description, quote=False)
    context["meta"] = meta
    if pagename == "search":
        # (Sphinx marks the search page noindex; Lighthouse counts that against SEO, but a
        # results page without a query has no business in a search engine.)
        pass


def _build_finished(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    write_favicon_ico(outdir / "favicon.ico")
    index = outdir / "index.html"
    if index.exists():
        match = re.search(r'url=([^"\s]+)"', index.read_text())
        if match and "<!DOCTYPE" not in index.read_text():
            target = match.group(1)
            index.write_text(
                REDIRECT.format(
                    title=html.escape(site_title(app.config)),
                    description=html.escape(
                        f"{site_title(app.config)}: an open course."
                    ),
                    target=html.escape(target),
                    favicon=Path(app.config.html_favicon).name,
                )
            )


def setup(app):
    app.setup_extension("sphinxext.opengraph")
    app.connect("config-inited", _config_inited)
    app.connect(
        "builder-inited", _builder_inited, priority=600
    )  # after assets staged its folder
    app.connect(
        "html-page-context", _html_page_context, priority=400
    )  # before sphinxext-opengraph
    app.connect(
        "build-finished", _build_finished, priority=900
    )  # after Jupyter Book's redirect
