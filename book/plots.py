"""Plotting helpers shared by the chapters.

- :func:`use_book_style` gives every matplotlib figure the same readable look;
- :func:`plotly_figure` turns a plotly figure into HTML that the static site can
  show: plotly 7's default renderer emits a MIME type that myst-nb does not
  display, and its ``notebook`` renderer inlines the whole plotly.js library into
  each page. Here the figure carries only its data; the site serves plotly.js
  once, to the pages that have a figure (see :mod:`book.site`).
"""

from __future__ import annotations

import matplotlib as mpl

# Colour-blind safe palette (Okabe-Ito), used by matplotlib and plotly figures alike.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
#: One colour per model across the whole course (Okabe-Ito, colour-blind safe): a model
#: keeps its colour in every chapter and figure. Baselines that need no learning are greys.
MODEL_COLORS = {
    "SimpleRNN": "#0072B2",  # blue
    "LSTM": "#D55E00",  # vermilion (the colour of the cell state in the diagrams)
    "GRU": "#009E73",  # bluish green
    "linear": "#CC79A7",  # reddish purple
    "naive": "#E69F00",  # orange
    "mean guess": "#555555",
    "unigram": "#999999",
    "bigram": "#555555",
}
#: Marker class of the ``<div>`` of every plotly figure the book emits.
PLOTLY_CLASS = "book-plotly-figure"


def use_book_style() -> None:
    """Set matplotlib defaults used by every chapter's figures."""
    mpl.rcParams.update(
        {
            "figure.figsize": (7.5, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": mpl.cycler(color=PALETTE),
            "font.size": 11,
            "legend.frameon": False,
            # SVG text stays text: sharp at any zoom and smaller than a PNG.
            "svg.fonttype": "none",
        }
    )


def plotly_figure(fig, div_id: str):
    """Return an ``IPython.display.HTML`` object that shows ``fig`` on the static site.

    ``div_id`` must be unique on its page and stable, so that two builds write the
    same HTML (plotly otherwise draws a random id).
    """
    import plotly.io as pio
    from IPython.display import HTML

    html = pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        div_id=div_id,
        # No toolbar: it covered the legend, and drag-to-zoom / double-click-to-reset
        # work without it (the captions say so).
        config={"displayModeBar": False, "responsive": True},
    )
    return HTML(f'<div class="{PLOTLY_CLASS}">{html}</div>')
