"""Plotting helpers shared by the chapters.

- :func:`use_book_style` gives every matplotlib figure the same readable look, sized
  for a phone: text of at least 12 pt on a figure 5 inches wide, shown at its natural
  size on a desktop (96 CSS px per inch: 12 pt is 16 CSS px, the size of the body text)
  and scaled down to the width of a phone's text column, where it stays at least
  :data:`MIN_TEXT_PX` CSS px high (see :func:`check_figure_text`);
- in a notebook kernel (a chapter being built, or Live Code), :func:`use_book_style`
  also makes every matplotlib figure a sharp double-resolution PNG; in the kernels of
  a book build (:data:`STRICT_FIGURES_ENV`), it fails the cell that shows a figure
  whose text would be too small on a phone (a reader's own figures in Live Code are
  drawn as asked);
- :func:`plotly_figure` turns a plotly figure into HTML that the static site can
  show: plotly 7's default renderer emits a MIME type that myst-nb does not
  display, and its ``notebook`` renderer inlines the whole plotly.js library into
  each page. Here the figure carries only its data; the site serves plotly.js
  once, to the pages that have a figure (see :mod:`book.site`).
"""

from __future__ import annotations

import os
import sys

import matplotlib as mpl

# Colour-blind safe palette (Okabe-Ito), used by matplotlib and plotly figures alike.
PALETTE = [
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
]
#: One colour per model across the whole course (Okabe-Ito, colour-blind safe): a model
#: keeps its colour in every chapter and figure. Baselines that need no learning are greys.
MODEL_COLORS = {
    "SimpleRNN": "#0072B2",  # blue
    "LSTM": "#D55E00",  # vermilion (the colour of the cell state in the diagrams)
    "LSTM + attention": "#000000",  # black (chapter 8: the encoder-decoder with attention)
    "GRU": "#009E73",  # bluish green
    "minLSTM": "#000000",  # black (chapter 9's linear recurrence)
    "signed minLSTM": "#56B4E9",  # sky blue (chapter 9: transitions between -1 and 1)
    "linear": "#CC79A7",  # reddish purple
    "naive": "#E69F00",  # orange
    "mean guess": "#555555",
    "unigram": "#999999",
    "bigram": "#555555",
}
#: Marker class of the ``<div>`` of every plotly figure the book emits.
PLOTLY_CLASS = "book-plotly-figure"


#: Width of the text column on a phone, in CSS px: a 390-px-wide screen (a current
#: iPhone) minus the theme's margins. A figure wider than this is scaled down to it.
PHONE_COLUMN_PX = 342
#: The smallest text a figure may show on that phone column, in CSS px.
MIN_TEXT_PX = 11.0
#: CSS px per inch of a figure: matplotlib's points (1/72 in) then show at their CSS
#: size (12 pt = 16 px) on a desktop, where a figure is shown at its natural size. PNGs
#: are drawn at twice this resolution (sharp on high-density screens) and shown at this one.
CSS_PX_PER_INCH = 96


class FigureTextTooSmall(ValueError):
    """A figure's text would show smaller than :data:`MIN_TEXT_PX` on a phone."""


def use_book_style() -> None:
    """Set matplotlib defaults used by every chapter's figures.

    A default figure is 5 in wide (480 CSS px on a desktop) with 12-pt text, which a
    phone's 342-px column shows at 11.4 px. A figure that must be wider needs
    proportionally larger text (:func:`min_font_size`). In an IPython kernel it also
    calls :func:`install_figure_check`.
    """
    mpl.rcParams.update(
        {
            "figure.figsize": (5.0, 3.2),
            "figure.dpi": CSS_PX_PER_INCH,
            "savefig.dpi": 2 * CSS_PX_PER_INCH,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": mpl.cycler(color=PALETTE),
            "font.size": 12,
            # Every text element at the base size or larger: matplotlib's defaults make
            # tick labels, legends and titles "medium" or "large", never "small".
            "xtick.labelsize": "medium",
            "ytick.labelsize": "medium",
            "legend.fontsize": "medium",
            "legend.title_fontsize": "medium",
            "axes.labelsize": "medium",
            "axes.titlesize": "medium",
            "figure.titlesize": "large",
            "legend.frameon": False,
            # SVG text stays text: sharp at any zoom and smaller than a PNG.
            "svg.fonttype": "none",
        }
    )
    install_figure_check()


def min_font_size(width_in: float) -> float:
    """The smallest font size (pt) that a figure whose image is ``width_in`` inches wide may use."""
    return MIN_TEXT_PX / (
        min(CSS_PX_PER_INCH, PHONE_COLUMN_PX / width_in) / 72
    )


def _figure_name(fig) -> str:
    """Describe ``fig`` by what a reader sees in it: its title, axes titles and labels."""
    parts = []
    if fig.get_label():
        parts.append(repr(fig.get_label()))
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None and suptitle.get_text():
        parts.append(f"title {suptitle.get_text()!r}")
    for ax in fig.axes:
        words = [ax.get_title(loc) for loc in ("left", "center", "right")]
        words += [ax.get_xlabel(), ax.get_ylabel()]
        words = [w for w in words if w]
        if words:
            parts.append(" / ".join(repr(w) for w in words))
    return "figure with " + (
        "; ".join(parts[:4]) if parts else "no titles or axis labels"
    )


def drawn_texts(fig) -> list[tuple[str, float]]:
    """Every piece of text that drawing ``fig`` puts on the image: ``(text, size in pt)``.

    Only what is really drawn counts (visible tick labels, legend entries, annotations,
    colour-bar labels...), one entry per line. For mathtext (``$h_t$``) the size is
    that of the expression; its sub- and superscripts are smaller by design, as in
    the prose.
    """
    from matplotlib.backends.backend_agg import RendererAgg

    class Recorder(RendererAgg):
        def __init__(self, *args):
            super().__init__(*args)
            self.texts = []

        def draw_text(
            self, gc, x, y, s, prop, angle, ismath=False, mtext=None
        ):
            if s.strip() and gc.get_alpha() != 0:
                self.texts.append((s, float(prop.get_size_in_points())))

        def draw_tex(self, gc, x, y, s, prop, angle, *, mtext=None):
            self.draw_text(gc, x, y, s, prop, angle, mtext=mtext)

    width, height = fig.get_size_inches() * fig.dpi
    recorder = Recorder(int(width), int(height), fig.dpi)
    fig.draw(recorder)
    return recorder.texts


def saved_width_in(fig) -> float:
    """The width in inches of the image that a notebook (``bbox_inches="tight"``) or
    :func:`book.diagram.as_svg` saves of ``fig``: its tight bounding box plus the padding."""
    if not hasattr(
        fig.canvas, "get_renderer"
    ):  # a closed pyplot figure keeps a bare canvas
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    bbox = fig.get_tightbbox(fig.canvas.get_renderer())
    return bbox.width + 2 * mpl.rcParams["savefig.pad_inches"]


def phone_text_px(
    fig, width_px: float | None = None, px_per_inch: float | None = None
) -> list[tuple[str, float]]:
    """Each drawn text of ``fig`` with the height in CSS px at which a phone shows it, smallest first.

    ``px_per_inch`` is the scale at which a desktop shows the image (``fig.dpi`` for
    the notebook's PNGs, 96 for an SVG) and ``width_px`` its width there (by default
    :func:`saved_width_in` at that scale); a phone shows it at most
    :data:`PHONE_COLUMN_PX` wide.
    """
    px_per_inch = fig.dpi if px_per_inch is None else px_per_inch
    if width_px is None:
        width_px = saved_width_in(fig) * px_per_inch
    scale = min(1.0, PHONE_COLUMN_PX / width_px)
    sizes = [
        (text, float(size / 72 * px_per_inch * scale))
        for text, size in drawn_texts(fig)
    ]
    return sorted(sizes, key=lambda item: item[1])


def check_figure_text(
    fig,
    width_px: float | None = None,
    px_per_inch: float | None = None,
    name: str | None = None,
) -> float:
    """Raise :class:`FigureTextTooSmall` if some text of ``fig`` shows under
    :data:`MIN_TEXT_PX` CSS px on a phone; return the smallest size otherwise.

    Arguments as in :func:`phone_text_px`. The message names the figure (``name``, or
    its titles and axis labels), each text that is too small with its size in CSS px,
    and the font size the figure's width needs.
    """
    px_per_inch = fig.dpi if px_per_inch is None else px_per_inch
    if width_px is None:
        width_px = saved_width_in(fig) * px_per_inch
    sizes = phone_text_px(fig, width_px, px_per_inch)
    if not sizes:
        return float("inf")
    small = [(text, px) for text, px in sizes if px < MIN_TEXT_PX - 1e-9]
    if small:
        inches = width_px / px_per_inch
        listed = "; ".join(
            f"{text!r} at {px:.1f} px" for text, px in small[:6]
        )
        more = f" and {len(small) - 6} more" if len(small) > 6 else ""
        needed = MIN_TEXT_PX / (
            px_per_inch * min(1.0, PHONE_COLUMN_PX / width_px) / 72
        )
        raise FigureTextTooSmall(
            f"{name or _figure_name(fig)}: text too small on a phone. The image is {inches:.2f} in "
            f"({width_px:.0f} CSS px) wide and shows {min(width_px, PHONE_COLUMN_PX):.0f} px wide in a "
            f"{PHONE_COLUMN_PX}-px phone column, where {listed}{more}: at least {MIN_TEXT_PX:g} px is "
            f"needed, that is fonts of at least {needed:.1f} pt at this width (or a narrower figure)."
        )
    return sizes[0][1]


#: Set to "1" in the kernels of a book build (``book.site.execute.KERNEL_ENV``): only
#: there does a figure with text too small for a phone fail its cell.
STRICT_FIGURES_ENV = "BOOK_STRICT_FIGURES"

# Problems found while a cell's figures were turned into images; the cell fails with them.
_pending: list[FigureTextTooSmall] = []


def compact_png(data: str) -> str:
    """A base64 PNG, re-encoded with a palette of 256 colours (no dithering), if that is smaller.

    A double-resolution figure is mostly flat colours and their anti-aliased edges: with
    a palette it looks the same and weighs about a third (measured on a line plot with a
    scatter: 135 KB as RGBA, 37 KB with the palette), which a reader on a slow network feels.
    """
    import base64
    import io

    from PIL import Image

    raw = base64.b64decode(data)
    image = Image.open(io.BytesIO(raw))
    palette = image.quantize(
        colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    out = io.BytesIO()
    palette.save(out, "PNG", optimize=True)
    smaller = out.getvalue()
    return (
        base64.b64encode(smaller).decode("ascii")
        if len(smaller) < len(raw)
        else data
    )


def _png_with_check(fig):
    """IPython's PNG formatter for figures: a double-resolution PNG shown at natural size
    (:func:`compact_png`), after :func:`check_figure_text` in a build (a problem is
    recorded; :func:`_fail_cell` raises it)."""
    from IPython.core.pylabtools import retina_figure

    result = retina_figure(fig, base64=True)
    if result is None:  # an empty figure
        return None
    data, metadata = result
    data = compact_png(data)
    if os.environ.get(STRICT_FIGURES_ENV) == "1":
        try:
            check_figure_text(fig, width_px=metadata["width"])
        except FigureTextTooSmall as exc:
            _pending.append(exc)
    return data, metadata


def _fail_cell(result) -> None:
    """``post_run_cell`` hook: make the cell that showed a figure with too-small text fail.

    IPython's formatters catch every error (a figure that cannot be drawn is only
    reported), so the problem is recorded while formatting, and here turned into the
    cell's own error: the kernel replies ``error`` and a build with ``allow_errors: false``
    stops, naming the figure.
    """
    if not _pending:
        return
    problems = list(_pending)
    _pending.clear()
    from IPython import get_ipython

    try:
        raise FigureTextTooSmall("\n".join(str(p) for p in problems))
    except FigureTextTooSmall as exc:
        if result is not None:
            result.error_in_exec = exc
        shell = get_ipython()
        if shell is not None:
            shell.showtraceback(exception_only=True)


def install_figure_check() -> None:
    """In an IPython kernel: show figures as double-resolution PNGs and fail a cell
    whose figure has text under :data:`MIN_TEXT_PX` CSS px on a phone (idempotent)."""
    if "IPython" not in sys.modules:
        return
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    from matplotlib.figure import Figure

    try:  # the inline backend registers its own formatters once, when first loaded: before ours
        import matplotlib_inline.backend_inline  # noqa: F401
    except (
        ImportError
    ):  # pragma: no cover - matplotlib-inline comes with ipykernel
        pass
    shell.display_formatter.formatters["image/png"].for_type(
        Figure, _png_with_check
    )
    if _fail_cell not in shell.events.callbacks["post_run_cell"]:
        shell.events.register("post_run_cell", _fail_cell)


#: The class of the element that holds a plotly figure's data (JSON) in the page.
PLOTLY_DATA_CLASS = "book-plotly-data"
#: plotly's configuration of every figure: no toolbar (it covered the legend; drag-to-zoom and
#: double-click-to-reset work without it, the captions say so), and the figure follows the width.
PLOTLY_CONFIG = {"displayModeBar": False, "responsive": True}


def plotly_figure(fig, div_id: str):
    """Return an ``IPython.display.HTML`` object that shows ``fig`` on the static site.

    The figure is data, not code: plotly.py's ``<div>`` with the figure's JSON (data,
    layout, config) in a ``<script type="application/json">`` element, and no inline
    script. The site's ``plotly_lazy.js`` draws it with plotly.js when it comes near the
    viewport, and also draws a figure that a Live Code cell outputs; the pages'
    Content-Security-Policy runs no inline script but the site's own.

    ``div_id`` must be unique on its page and stable, so that two builds write the
    same HTML (plotly otherwise draws a random id). Raises :class:`FigureTextTooSmall`
    if the figure sets a font under :data:`MIN_TEXT_PX` (:func:`check_plotly_text`).
    """
    import json

    import plotly.io as pio
    from IPython.display import HTML

    check_plotly_text(fig, name=div_id)
    html = pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        div_id=div_id,
        config=PLOTLY_CONFIG,
    )
    # plotly.py's wrapper and sized <div>, without its inline script
    start = html.index("<script")
    end = html.index("</script>", start) + len("</script>")
    spec = json.loads(pio.to_json(fig, validate=True))
    spec["config"] = PLOTLY_CONFIG
    data = json.dumps(spec, separators=(",", ":"), sort_keys=True)
    data = (
        data.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
    figure = (
        html[:start].rstrip()
        + f'<script type="application/json" class="{PLOTLY_DATA_CLASS}">{data}</script>'
        + html[end:].lstrip()
    )
    return HTML(f'<div class="{PLOTLY_CLASS}">{figure}</div>')


def _font_sizes(node, path=""):
    """Yield ``(path, size)`` for every ``font.size`` set in a plotly figure's dict."""
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else key
            if (
                key == "size"
                and path.endswith("font")
                and isinstance(value, (int, float))
            ):
                yield path, value
            else:
                yield from _font_sizes(value, where)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _font_sizes(value, f"{path}[{i}]")


def check_plotly_text(fig, name: str = "plotly figure") -> None:
    """Raise :class:`FigureTextTooSmall` if a plotly figure sets text under :data:`MIN_TEXT_PX`.

    plotly draws its text as SVG text at the size in px that the figure sets (12 px
    by default), whatever the width of the screen: on a phone the figure becomes
    narrower, its text does not shrink. So every font size it sets must be large enough.
    """
    spec = fig.to_dict()
    small = [
        (where, size)
        for where, size in _font_sizes(spec)
        if size < MIN_TEXT_PX
    ]
    if small:
        listed = "; ".join(
            f"{where} = {size:g} px" for where, size in small[:6]
        )
        raise FigureTextTooSmall(
            f"{name}: text too small: {listed} (at least {MIN_TEXT_PX:g} px needed)"
        )
