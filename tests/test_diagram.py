"""Unit tests of book.diagram: the cell diagrams of chapter 3 carry every label, and no two labels overlap."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from book.diagram import draw_lstm_cell, draw_rnn_cell  # noqa: E402


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
