"""Unit tests of book.diagram: the cell diagrams of chapter 3 carry every label, and no two labels overlap."""

from __future__ import annotations

import itertools
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from book.diagram import draw_lstm_cell, draw_rnn_cell  # noqa: E402
from book.plots import phone_text_px  # noqa: E402


def _texts(fig):
    ax = fig.axes[0]
    return [t for t in ax.texts if t.get_text()]


LSTM_LABELS = {
    r"$c_{t-1}$",
    r"$c_t$",
    r"$h_{t-1}$",
    r"$h_t$",
    r"$x_t$",
    r"$[h_{t-1}, x_t]$",
    r"$f_t$",
    r"$i_t$",
    r"$\tilde{c}_t$",
    r"$o_t$",
    r"$\tanh(c_t)$",
    "forget",
    "input",
    "candidate",
    "output",
    r"$\sigma$",
    "tanh",
    r"$\times$",
    "+",
}
RNN_LABELS = {r"$h_{t-1}$", r"$h_t$", r"$x_t$", r"$[h_{t-1}, x_t]$", "tanh"}


@pytest.mark.parametrize("draw, labels", [(draw_lstm_cell, LSTM_LABELS), (draw_rnn_cell, RNN_LABELS)])
def test_every_label_is_drawn(draw, labels):
    fig = draw()
    try:
        assert labels <= {t.get_text() for t in _texts(fig)}
        assert fig.axes[0].get_legend() is not None
    finally:
        plt.close(fig)


@pytest.mark.parametrize("draw", [draw_lstm_cell, draw_rnn_cell])
def test_labels_do_not_overlap(draw):
    fig = draw()
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in _texts(fig)]
        for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
            assert not box_a.overlaps(box_b), f"{a!r} overlaps {b!r}"
        # every label lies inside the figure
        width, height = fig.canvas.get_width_height()
        for text, box in boxes:
            assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height, text
    finally:
        plt.close(fig)


def test_highlight_can_be_turned_off():
    fig = draw_lstm_cell(highlight_rnn=False)
    try:
        labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert not any("plain RNN" in label for label in labels)
    finally:
        plt.close(fig)


@pytest.mark.parametrize("draw", [draw_lstm_cell, draw_rnn_cell])
def test_text_is_large_enough_on_a_phone(draw):
    """as_svg checks the diagram as the page shows it (and would raise)."""
    from book.diagram import as_svg
    from book.plots import MIN_TEXT_PX

    fig = draw()
    svg = as_svg(fig, close=False)
    try:
        width_pt = float(re.search(r'<svg[^>]* width="([0-9.]+)pt"', svg.data).group(1))
        sizes = phone_text_px(fig, width_px=width_pt * 4 / 3, px_per_inch=96)
        assert sizes[0][1] >= MIN_TEXT_PX
    finally:
        plt.close(fig)


def test_as_svg_refuses_a_diagram_with_small_text():
    from book.diagram import as_svg
    from book.plots import FigureTextTooSmall

    fig = draw_lstm_cell()
    fig.axes[0].text(1, 1, "tiny", fontsize=6)
    with pytest.raises(FigureTextTooSmall, match="diagram of an LSTM cell.*'tiny' at"):
        as_svg(fig)
