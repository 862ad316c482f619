"""book.plots: plotly figures as light, deterministic HTML; the shared matplotlib style; figure text
large enough on a phone."""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbclient  # noqa: E402
import nbformat  # noqa: E402
import plotly.graph_objects as go  # noqa: E402
import pytest  # noqa: E402

from book import plots  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def figure():
    return go.Figure(go.Scatter(x=[0, 1, 2], y=[1, 3, 2], name="series"))


def test_plotly_figure_carries_data_but_not_the_library():
    html = plots.plotly_figure(figure(), div_id="fig-test").data
    assert f'class="{plots.PLOTLY_CLASS}"' in html, "the site adds plotly.js to pages by this class"
    assert 'id="fig-test"' in html
    assert len(html) < 20_000, "plotly.js must not be inlined (the site serves it once)"
    # no CDN, and no MathJax: no page loads one (its math is typeset at build time)
    assert "cdn" not in html.lower() and "mathjax" not in html.lower()
    assert '"displayModeBar":false' in html


def test_plotly_figure_is_data_not_code():
    """No inline script to run (the pages' Content-Security-Policy runs none): plotly_lazy.js
    draws the figure from its JSON, which cannot close its element."""
    import json
    import re

    fig = go.Figure(go.Scatter(x=[0, 1], y=[1, 2], name="</script><script>alert(1)</script>"))
    html = plots.plotly_figure(fig, div_id="fig-data").data
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert [attrs for attrs, _ in scripts] == [f' type="application/json" class="{plots.PLOTLY_DATA_CLASS}"']
    spec = json.loads(scripts[0][1])
    assert spec["data"][0]["name"] == "</script><script>alert(1)</script>"
    assert spec["config"] == plots.PLOTLY_CONFIG and spec["layout"]
    assert "Plotly.newPlot" not in html and "PLOTLYENV" not in html


def test_plotly_figure_is_deterministic():
    """Two builds must write the same page: no random ids."""
    assert plots.plotly_figure(figure(), div_id="a").data == plots.plotly_figure(figure(), div_id="a").data


def test_book_style_uses_the_colour_blind_safe_palette():
    plots.use_book_style()
    cycle = [c["color"] for c in mpl.rcParams["axes.prop_cycle"]]
    assert cycle == plots.PALETTE


# --- figure text on a phone -------------------------------------------------------------


def line_figure(figsize, **text_kw):
    plots.use_book_style()
    fig, ax = plt.subplots(figsize=figsize)
    ax.plot([0, 1, 2], [1, 3, 2])
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if text_kw:
        ax.text(1, 2, "note", **text_kw)
    fig.tight_layout()
    return fig


def test_rule_of_thumb():
    """11 px on a 342-px column: f >= 2.32 w points for a figure w inches wide (and
    11 px at natural size, 8.25 pt, for a figure narrower than the column)."""
    assert plots.min_font_size(6) == pytest.approx(13.9, abs=0.05)
    assert plots.min_font_size(5) == pytest.approx(11.6, abs=0.05)
    assert plots.min_font_size(3) == pytest.approx(8.25)


def test_a_book_style_figure_passes():
    fig = line_figure(None)
    try:
        assert plots.saved_width_in(fig) <= 5.0
        smallest = plots.check_figure_text(fig)
        assert plots.MIN_TEXT_PX <= smallest < 12.5
        texts = dict(plots.phone_text_px(fig))
        assert {"epoch", "loss"} <= set(texts), "axis labels are counted"
    finally:
        plt.close(fig)


def test_small_annotation_fails_naming_the_figure_the_text_and_its_size():
    fig = line_figure(None, fontsize=9)
    try:
        with pytest.raises(plots.FigureTextTooSmall) as error:
            plots.check_figure_text(fig)
    finally:
        plt.close(fig)
    message = str(error.value)
    assert "'epoch'" in message and "'loss'" in message, "the figure is named by its axis labels"
    assert "'note' at 8." in message, message
    assert "'epoch' at" not in message, "12-pt labels are large enough"


def test_wide_figure_with_book_fonts_fails():
    """The course's old default, 7.5 in at 11-12 pt, showed its ticks at about 8 px."""
    fig = line_figure((7.5, 4.0))
    try:
        sizes = plots.phone_text_px(fig)
        assert 7.5 < sizes[0][1] < 8.5
        with pytest.raises(plots.FigureTextTooSmall, match="at least 1[67].[0-9] pt"):
            plots.check_figure_text(fig, name="fig-old")
    finally:
        plt.close(fig)


def test_hidden_text_does_not_count():
    fig = line_figure(None, fontsize=6, visible=False)
    try:
        assert "note" not in dict(plots.phone_text_px(fig))
        plots.check_figure_text(fig)
    finally:
        plt.close(fig)


def small_text_notebook():
    root = str(ROOT)
    cells = [
        f"import sys; sys.path.insert(0, {root!r})\nfrom book.runtime import setup\nsetup(tensorflow=False)",
        "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([1, 2])\nplt.show()",
        "from myst_nb import glue\nfig, ax = plt.subplots()\nax.plot([1, 2])\n"
        "ax.text(0, 1.5, 'small', fontsize=8)\nglue('g', fig, display=False)\nplt.close(fig)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "python3", "language": "python"}
    return nb


def test_the_build_sets_the_strict_figure_check_in_every_kernel():
    from book.site.execute import KERNEL_ENV

    assert KERNEL_ENV[plots.STRICT_FIGURES_ENV] == "1"


def test_a_kernel_cell_showing_a_small_text_figure_fails(tmp_path, monkeypatch):
    """In a notebook kernel of a book build the cell itself fails, shown or glued."""
    monkeypatch.setenv(plots.STRICT_FIGURES_ENV, "1")
    nb = small_text_notebook()
    client = nbclient.NotebookClient(
        nb, timeout=120, allow_errors=False, resources={"metadata": {"path": str(tmp_path)}}
    )
    with pytest.raises(nbclient.exceptions.CellExecutionError) as error:
        client.execute()
    assert "FigureTextTooSmall" in str(error.value) and "'small' at" in str(error.value)
    shown = nb.cells[1].outputs
    image = [o for o in shown if "image/png" in o.get("data", {})]
    assert image, "the compliant figure is shown"
    width = image[0]["metadata"]["image/png"]["width"]
    assert width <= 5 * plots.CSS_PX_PER_INCH, "shown at its natural size (a double-resolution PNG)"
    assert not [o for o in shown if o.output_type == "error"]


def test_a_readers_kernel_draws_small_text_figures_as_asked(tmp_path, monkeypatch):
    """Live Code: a reader's own figure is not the book's; it is shown, nothing fails."""
    monkeypatch.delenv(plots.STRICT_FIGURES_ENV, raising=False)
    nb = small_text_notebook()
    nbclient.NotebookClient(
        nb, timeout=120, allow_errors=False, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    glued = nb.cells[2].outputs
    assert not [o for o in glued if o.output_type == "error"]


def test_plotly_text_of_the_default_size_passes_and_small_text_fails():
    plots.plotly_figure(figure(), div_id="ok")  # plotly's defaults: 12 px and up
    small = figure()
    small.update_layout(legend=dict(font=dict(size=9)))
    with pytest.raises(plots.FigureTextTooSmall, match=r"small-legend: .*legend.font = 9 px"):
        plots.plotly_figure(small, div_id="small-legend")


def test_figures_are_palette_pngs_of_a_third_the_size():
    import base64
    import io

    import numpy as np
    from IPython.core.pylabtools import retina_figure
    from PIL import Image

    plots.use_book_style()
    fig, ax = plt.subplots()
    x = np.linspace(0, 10, 400)
    for k in range(4):
        ax.plot(x, np.sin(x + k), label=f"line {k}")
    ax.legend()
    try:
        data, _ = retina_figure(fig, base64=True)
    finally:
        plt.close(fig)
    compact = plots.compact_png(data)
    image = Image.open(io.BytesIO(base64.b64decode(compact)))
    assert image.mode == "P" and len(image.getcolors(256)) <= 256
    assert len(compact) < len(data) / 2
    original = np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGBA"), dtype=int)
    assert image.size == (original.shape[1], original.shape[0])
    # every pixel keeps its colour closely (no dithering noise)
    assert np.abs(np.asarray(image.convert("RGBA"), dtype=int) - original).mean() < 2
