"""Diagrams of a plain RNN cell and of an LSTM cell, drawn with matplotlib for chapter 3 (``ch-lstm_cell``).

Both use the same visual language, explained by the legend under each figure:

- a rounded box is a layer with weights of its own, applied to ``[h_{t-1}, x_t]``
  (sky blue: a sigmoid gate; orange: a tanh layer);
- a circle (an oval for tanh) is a pointwise operation (multiply, add, tanh) with no weights;
- two lines joining is a concatenation, a line that forks is a copy;
- the thick vermilion line is the LSTM's cell state, running along the top.

The colours are from the Okabe-Ito palette (:data:`book.plots.PALETTE`), readable
with the common colour-vision deficiencies, and every element also carries a text
label, so colour is never the only cue.
"""

from __future__ import annotations

import io
import re

import matplotlib as mpl
import matplotlib.patheffects as pe
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import (
    Circle,
    Ellipse,
    FancyArrowPatch,
    FancyBboxPatch,
    Patch,
)

SIGMOID_FILL = "#56B4E9"  # sky blue
TANH_FILL = "#E69F00"  # orange
CELL_LINE = "#D55E00"  # vermilion
SHARED = "#009E73"  # bluish green: the part a plain RNN has too
INK = "#222222"
BODY = "#F3F3F3"

BOX_W, BOX_H = 1.35, 1.15
OP_R = 0.36
#: Font sizes (pt). Both figures are drawn so that their smallest text, :data:`SMALL`,
#: still shows at 11 CSS px or more when a phone scales the diagram to its 342-px column
#: (:func:`book.plots.check_figure_text`, run by :func:`as_svg`): the LSTM cell is a
#: 20-unit-wide drawing at 20 pt per unit, so its text is large relative to the drawing.
SMALL = 13
SYMBOL = 18
MATH = 16


class _Canvas:
    """Small drawing helpers on one Axes, in data units (the axes keep an equal aspect)."""

    def __init__(self, ax):
        self.ax = ax

    def line(self, points, color=INK, lw=2.0, arrow=False, halo=False, z=2):
        xs, ys = zip(*points, strict=True)
        effects = (
            [pe.withStroke(linewidth=lw + 6, foreground="white")]
            if halo
            else None
        )
        if arrow and len(points) >= 2:
            self.ax.plot(
                xs[:-1] + (xs[-1],),
                ys[:-1] + (ys[-1],),
                color=color,
                lw=lw,
                solid_capstyle="butt",
                zorder=z,
                path_effects=effects,
            )
            arrowhead = FancyArrowPatch(
                points[-2],
                points[-1],
                arrowstyle="-|>",
                mutation_scale=16,
                color=color,
                lw=lw,
                shrinkA=0,
                shrinkB=0,
                zorder=z + 0.1,
            )
            self.ax.add_patch(arrowhead)
        else:
            self.ax.plot(
                xs,
                ys,
                color=color,
                lw=lw,
                solid_capstyle="butt",
                zorder=z,
                path_effects=effects,
            )

    def dot(self, x, y, color=INK):
        self.ax.add_patch(Circle((x, y), 0.09, color=color, zorder=5))

    def layer(
        self,
        x,
        y,
        symbol,
        name,
        fill,
        outline=None,
        w=BOX_W,
        h=BOX_H,
        sizes=(15, 8.5),
    ):
        """A layer with weights: a rounded box with its activation and, smaller, its name."""
        box = FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.02,rounding_size=0.15",
            facecolor=fill,
            edgecolor=INK,
            lw=1.4,
            zorder=4,
        )
        self.ax.add_patch(box)
        if outline:
            ring = FancyBboxPatch(
                (x - w / 2 - 0.17, y - h / 2 - 0.17),
                w + 0.34,
                h + 0.34,
                boxstyle="round,pad=0.02,rounding_size=0.25",
                facecolor="none",
                edgecolor=outline,
                lw=2.2,
                ls=(0, (4, 2)),
                zorder=4,
            )
            self.ax.add_patch(ring)
        self.ax.text(
            x,
            y + 0.2 * h,
            symbol,
            ha="center",
            va="center",
            fontsize=sizes[0],
            color="black",
            zorder=6,
        )
        self.ax.text(
            x,
            y - 0.26 * h,
            name,
            ha="center",
            va="center",
            fontsize=sizes[1],
            color="black",
            zorder=6,
        )

    def op(self, x, y, symbol, r=OP_R, size=16, w=None):
        """A pointwise operation without weights: a white circle (an oval ``w`` wide for a word)."""
        if w is None:
            self.ax.add_patch(
                Circle(
                    (x, y),
                    r,
                    facecolor="white",
                    edgecolor=INK,
                    lw=1.4,
                    zorder=4,
                )
            )
        else:
            self.ax.add_patch(
                Ellipse(
                    (x, y),
                    w,
                    2 * r,
                    facecolor="white",
                    edgecolor=INK,
                    lw=1.4,
                    zorder=4,
                )
            )
        self.ax.text(
            x,
            y,
            symbol,
            ha="center",
            va="center",
            fontsize=size,
            color="black",
            zorder=6,
        )

    def label(
        self, x, y, text, size=14, ha="center", va="center", color="black"
    ):
        self.ax.text(
            x, y, text, ha=ha, va=va, fontsize=size, color=color, zorder=6
        )

    def body(self, x0, y0, x1, y1, title, size=10):
        self.ax.add_patch(
            FancyBboxPatch(
                (x0, y0),
                x1 - x0,
                y1 - y0,
                boxstyle="round,pad=0.02,rounding_size=0.4",
                facecolor=BODY,
                edgecolor="#8C8C8C",
                lw=1.2,
                zorder=0,
            )
        )
        self.ax.text(
            x0 + 0.2,
            y1 - 0.3,
            title,
            ha="left",
            va="center",
            fontsize=size,
            color="#444444",
            style="italic",
            zorder=6,
        )


def _finish(fig, ax, xlim, ylim, handles, ncol=2, bottom=0.17, size=9.5):
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=ncol,
        fontsize=size,
        frameon=False,
        handlelength=2.2,
        columnspacing=1.2,
    )
    fig.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=bottom)
    return fig


def _legend(shared=False, cell=False, gates=True):
    handles = [
        Patch(
            facecolor=TANH_FILL,
            edgecolor=INK,
            label=r"tanh box: a layer with its own weights",
        ),
        Line2D(
            [],
            [],
            color=INK,
            lw=2,
            label=r"lines join: concatenate; line forks: copy",
        ),
    ]
    if gates:
        handles[:0] = [
            Patch(
                facecolor=SIGMOID_FILL,
                edgecolor=INK,
                label=r"$\sigma$ box: a gate, a layer with its own weights",
            )
        ]
        handles.insert(
            2,
            Line2D(
                [],
                [],
                marker="o",
                ls="none",
                markersize=11,
                markerfacecolor="white",
                markeredgecolor=INK,
                label=r"circle, oval: pointwise operation, no weights",
            ),
        )
    if cell:
        handles.append(
            Line2D(
                [],
                [],
                color=CELL_LINE,
                lw=4,
                label="cell state $c$: the memory line",
            )
        )
    if shared:
        handles.append(
            Patch(
                facecolor="none",
                edgecolor=SHARED,
                ls="--",
                lw=2,
                label="the part a plain RNN has too",
            )
        )
    return handles


def draw_rnn_cell():
    """Return a figure of one step of a plain RNN: ``h_t = tanh([h_{t-1}, x_t] W + b)``."""
    fig, ax = plt.subplots(
        figsize=(4.6, 4.9), label="diagram of a plain RNN cell"
    )
    d = _Canvas(ax)
    d.body(1.3, 1.0, 8.1, 6.2, "plain RNN cell", size=SMALL)
    # inputs: h_{t-1} from the left, x_t from below, joined into [h_{t-1}, x_t]
    d.line([(0.0, 2.0), (2.8, 2.0)])
    d.line([(2.8, -0.5), (2.8, 2.0)])
    d.line([(2.8, 2.0), (4.6, 2.0), (4.6, 3.15)], arrow=True)
    d.dot(2.8, 2.0)
    d.label(0.0, 2.45, r"$h_{t-1}$", size=MATH, ha="left")
    d.label(3.15, -0.35, r"$x_t$", size=MATH, ha="left")
    d.label(2.95, 1.45, r"$[h_{t-1}, x_t]$", size=SMALL, ha="left")
    d.layer(
        4.6,
        3.9,
        "tanh",
        "layer",
        TANH_FILL,
        outline=SHARED,
        w=1.7,
        h=1.5,
        sizes=(SYMBOL, SMALL),
    )
    # output: h_t goes right (to the next step) and up (the layer's output)
    d.line(
        [(4.6, 4.65), (4.6, 5.1), (6.9, 5.1), (6.9, 2.0), (9.6, 2.0)],
        arrow=True,
    )
    d.dot(7.7, 2.0)
    d.line([(7.7, 2.0), (7.7, 7.0)], arrow=True)
    d.label(9.6, 2.45, r"$h_t$", size=MATH, ha="right")
    d.label(7.95, 6.8, r"$h_t$", size=MATH, ha="left")
    handles = _legend(shared=True, gates=False)
    return _finish(
        fig,
        ax,
        (-0.1, 9.8),
        (-0.7, 7.2),
        handles,
        ncol=1,
        bottom=0.2,
        size=SMALL,
    )


def draw_lstm_cell(highlight_rnn: bool = True):
    """Return a figure of one step of an LSTM cell, labelled in chapter 4's notation.

    With ``highlight_rnn`` the part an LSTM shares with a plain RNN (the tanh
    layer on ``[h_{t-1}, x_t]``, here the candidate) is ringed in green.
    """
    fig, ax = plt.subplots(figsize=(5.4, 5.2), label="diagram of an LSTM cell")
    d = _Canvas(ax)
    right = 20.1
    d.body(1.4, 1.0, 17.9, 9.7, "LSTM cell", size=SMALL)
    y_cell, y_bus, y_gate = 7.9, 2.0, 4.0
    box_h = 1.9
    # box widths follow their names: the names are as large as the smallest text allowed
    x_f, x_i, x_c, x_o, x_h = 4.15, 7.0, 10.5, 14.4, 16.8
    widths = {x_f: 2.7, x_i: 2.3, x_c: 4.0, x_o: 2.7}
    top = y_gate + box_h / 2
    r = 0.45

    # the cell state: c_{t-1} in, multiplied by f_t, added to i_t * c~_t, c_t out
    d.line([(0.0, y_cell), (x_f - r, y_cell)], color=CELL_LINE, lw=4)
    d.line([(x_f + r, y_cell), (x_c - r, y_cell)], color=CELL_LINE, lw=4)
    d.line(
        [(x_c + r, y_cell), (right, y_cell)], color=CELL_LINE, lw=4, arrow=True
    )
    d.label(0.0, y_cell + 0.55, r"$c_{t-1}$", size=MATH, ha="left")
    d.label(right, y_cell + 0.55, r"$c_t$", size=MATH, ha="right")
    d.label(13.0, y_cell + 0.5, "cell state", size=SMALL, color="#8A2F00")

    # the inputs, joined into [h_{t-1}, x_t] and copied to the four layers
    x_join = 2.2
    d.line([(0.0, y_bus), (x_join, y_bus)])
    d.line([(x_join, 0.0), (x_join, y_bus)])
    d.line([(x_join, y_bus), (x_o, y_bus)])
    d.dot(x_join, y_bus)
    d.label(0.0, y_bus + 0.5, r"$h_{t-1}$", size=MATH, ha="left")
    d.label(x_join + 0.3, 0.3, r"$x_t$", size=MATH, ha="left")
    d.label(
        x_join + 0.2, y_bus - 0.55, r"$[h_{t-1}, x_t]$", size=SMALL, ha="left"
    )
    for x in (x_f, x_i, x_c, x_o):
        if x != x_o:
            d.dot(x, y_bus)
        d.line([(x, y_bus), (x, y_gate - box_h / 2)], arrow=True)

    sizes = (SYMBOL, SMALL)
    d.layer(
        x_f,
        y_gate,
        r"$\sigma$",
        "forget",
        SIGMOID_FILL,
        w=widths[x_f],
        h=box_h,
        sizes=sizes,
    )
    d.layer(
        x_i,
        y_gate,
        r"$\sigma$",
        "input",
        SIGMOID_FILL,
        w=widths[x_i],
        h=box_h,
        sizes=sizes,
    )
    shared = SHARED if highlight_rnn else None
    d.layer(
        x_c,
        y_gate,
        "tanh",
        "candidate",
        TANH_FILL,
        outline=shared,
        w=widths[x_c],
        h=box_h,
        sizes=sizes,
    )
    d.layer(
        x_o,
        y_gate,
        r"$\sigma$",
        "output",
        SIGMOID_FILL,
        w=widths[x_o],
        h=box_h,
        sizes=sizes,
    )

    # forget gate -> multiply the old cell state
    d.line([(x_f, top), (x_f, y_cell - r)], arrow=True)
    d.op(x_f, y_cell, r"$\times$", r=r, size=MATH)
    d.label(x_f + 0.2, 6.4, r"$f_t$", size=MATH, ha="left")

    # input gate and candidate -> multiply -> add to the cell state
    y_mul = 6.55
    d.line([(x_i, top), (x_i, y_mul), (x_c - r, y_mul)], arrow=True)
    d.line([(x_c, top + 0.2), (x_c, y_mul - r)], arrow=True)
    d.line([(x_c, top), (x_c, top + 0.2)])
    d.op(x_c, y_mul, r"$\times$", r=r, size=MATH)
    d.line([(x_c, y_mul + r), (x_c, y_cell - r)], arrow=True)
    d.op(x_c, y_cell, "+", r=r, size=MATH)
    d.label(x_i - 0.2, 5.75, r"$i_t$", size=MATH, ha="right")
    d.label(x_c + 0.25, 5.6, r"$\tilde{c}_t$", size=MATH, ha="left")

    # output: o_t times tanh(c_t) is h_t
    y_out, y_tanh = 5.45, 6.8
    d.dot(x_h, y_cell, color=CELL_LINE)
    d.line([(x_h, y_cell), (x_h, y_tanh + r)], color=CELL_LINE, lw=2.5)
    d.op(x_h, y_tanh, "tanh", r=r, size=SMALL, w=2.1)
    d.line([(x_h, y_tanh - r), (x_h, y_out + r)], arrow=True)
    d.line([(x_o, top), (x_o, y_out), (x_h - r, y_out)], arrow=True)
    d.op(x_h, y_out, r"$\times$", r=r, size=MATH)
    d.label(x_o + 0.2, y_out + 0.45, r"$o_t$", size=MATH, ha="left")
    d.label(x_h - 1.3, y_tanh, r"$\tanh(c_t)$", size=SMALL, ha="right")

    # h_t leaves to the right (the next step) and upwards (the layer's output)
    x_up = 18.8
    d.line([(x_h, y_out - r), (x_h, y_bus), (right, y_bus)], arrow=True)
    d.dot(x_up, y_bus)
    d.line([(x_up, y_bus), (x_up, 10.5)], arrow=True, halo=True, z=3)
    d.label(right, y_bus + 0.5, r"$h_t$", size=MATH, ha="right")
    d.label(x_up - 0.25, 10.2, r"$h_t$", size=MATH, ha="right")
    handles = _legend(shared=highlight_rnn, cell=True)
    return _finish(
        fig,
        ax,
        (-0.1, right + 0.2),
        (-0.1, 10.8),
        handles,
        ncol=1,
        bottom=0.3,
        size=SMALL,
    )


def as_svg(fig, close: bool = True):
    """Return ``fig`` as an ``IPython.display.SVG`` (and close it): sharp at any zoom.

    The text is drawn as paths, so the diagram looks the same whatever fonts the
    reader's browser has; ids and metadata are fixed, so two builds write the same file.
    A page shows the SVG at its natural size (1 pt = 4/3 CSS px), scaled down to fit a
    phone: :func:`book.plots.check_figure_text` raises if some text would then be too small.
    """
    from IPython.display import SVG

    from book.plots import check_figure_text

    buffer = io.StringIO()
    with mpl.rc_context(
        {"svg.fonttype": "path", "svg.hashsalt": "lstm-course"}
    ):
        fig.savefig(
            buffer, format="svg", bbox_inches="tight", metadata={"Date": None}
        )
    width_pt = float(
        re.search(r'<svg[^>]* width="([0-9.]+)pt"', buffer.getvalue()).group(1)
    )
    check_figure_text(fig, width_px=width_pt * 4 / 3, px_per_inch=96)
    if close:
        plt.close(fig)
    return SVG(buffer.getvalue())
