"""book.plots: plotly figures as light, deterministic HTML; the shared matplotlib style."""

from __future__ import annotations

import matplotlib as mpl
import plotly.graph_objects as go

from book import plots


def figure():
    return go.Figure(go.Scatter(x=[0, 1, 2], y=[1, 3, 2], name="series"))


def test_plotly_figure_carries_data_but_not_the_library():
    html = plots.plotly_figure(figure(), div_id="fig-test").data
    assert f'class="{plots.PLOTLY_CLASS}"' in html, "the site adds plotly.js to pages by this class"
    assert 'id="fig-test"' in html
    assert len(html) < 20_000, "plotly.js must not be inlined (the site serves it once)"
    # no CDN, and no MathJax: no page loads one (its math is typeset at build time)
    assert "cdn" not in html.lower() and "mathjax" not in html.lower()
    assert '"displayModeBar": false' in html


def test_plotly_figure_is_deterministic():
    """Two builds must write the same page: no random ids."""
    assert plots.plotly_figure(figure(), div_id="a").data == plots.plotly_figure(figure(), div_id="a").data


def test_book_style_uses_the_colour_blind_safe_palette():
    plots.use_book_style()
    cycle = [c["color"] for c in mpl.rcParams["axes.prop_cycle"]]
    assert cycle == plots.PALETTE
