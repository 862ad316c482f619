"""Diagrams of a plain RNN cell and of an LSTM cell, drawn with matplotlib for chapter 3 (``ch-lstm_cell``).

Both use the same visual language, explained by the legend under each figure:

- a rounded box is a layer with weights of its own, applied to ``[h_{t-1}, x_t]``
  (sky blue: a sigmoid gate; orange: a tanh layer);
- a circle is a pointwise operation (multiply, add, tanh) with no weights;
- two lines joining is a concatenation, a line that forks is a copy;
- the thick vermilion line is the LSTM's cell state, running along the top.

The colours are from the Okabe-Ito palette (:data:`book.plots.PALETTE`), readable
with the common colour-vision deficiencies, and every element also carries a text
label, so colour is never the only cue.
"""

from __future__ import annotations

import io

import matplotlib as mpl
import matplotlib.patheffects as pe
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Patch

SIGMOID_FILL = "#56B4E9"  # sky blue
TANH_FILL = "#E69F00"  # orange
CELL_LINE = "#D55E00"  # vermilion
SHARED = "#009E73"  # bluish green: the part a plain RNN has too
INK = "#222222"
BODY = "#F3F3F3"

BOX_W, BOX_H = 1.35, 1.15
OP_R = 0.36


class _Canvas:
    """Small drawing helpers on one Axes, in data units (the axes keep an equal aspect)."""

    def __init__(self, ax):
        self.ax = ax

    def line(self, points, color=INK, lw=2.0, arrow=False, halo=False, z=2):
        xs, ys = zip(*points, strict=True)
        effects = [pe.withStroke(linewidth=lw + 6, foreground="white")] if halo else None
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
            self.ax.plot(xs, ys, color=color, lw=lw, solid_capstyle="butt", zorder=z, path_effects=effects)

    def dot(self, x, y, color=INK):
        self.ax.add_patch(Circle((x, y), 0.09, color=color, zorder=5))

    def layer(self, x, y, symbol, name, fill, outline=None):
        """A layer with weights: a rounded box with its activation and, smaller, its name."""
        box = FancyBboxPatch(
            (x - BOX_W / 2, y - BOX_H / 2),
            BOX_W,
            BOX_H,
            boxstyle="round,pad=0.02,rounding_size=0.15",
            facecolor=fill,
            edgecolor=INK,
            lw=1.4,
            zorder=4,
        )
        self.ax.add_patch(box)
        if outline:
            ring = FancyBboxPatch(
                (x - BOX_W / 2 - 0.17, y - BOX_H / 2 - 0.17),
                BOX_W + 0.34,
                BOX_H + 0.34,
                boxstyle="round,pad=0.02,rounding_size=0.25",
                facecolor="none",
                edgecolor=outline,
                lw=2.2,
                ls=(0, (4, 2)),
                zorder=4,
            )
            self.ax.add_patch(ring)
        self.ax.text(x, y + 0.17, symbol, ha="center", va="center", fontsize=15, color="black", zorder=6)
        self.ax.text(x, y - 0.3, name, ha="center", va="center", fontsize=8.5, color="black", zorder=6)

    def op(self, x, y, symbol, r=OP_R):
        """A pointwise operation without weights: a white circle."""
        self.ax.add_patch(Circle((x, y), r, facecolor="white", edgecolor=INK, lw=1.4, zorder=4))
        self.ax.text(
            x,
            y,
            symbol,
            ha="center",
            va="center",
            fontsize=9 if symbol == "tanh" else 16,
            color="black",
            zorder=6,
        )

    def label(self, x, y, text, size=14, ha="center", va="center", color="black"):
        self.ax.text(x, y, text, ha=ha, va=va, fontsize=size, color=color, zorder=6)

    def body(self, x0, y0, x1, y1, title):
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
            fontsize=10,
            color="#444444",
            style="italic",
            zorder=6,
        )


def _finish(fig, ax, xlim, ylim, handles, ncol=2, bottom=0.17):
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=ncol,
        fontsize=9.5,
        frameon=False,
        handlelength=2.2,
        columnspacing=1.2,
    )
    fig.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=bottom)
    return fig


def _legend(shared=False, cell=False, gates=True):
    handles = [
        Patch(facecolor=TANH_FILL, edgecolor=INK, label=r"tanh box: a layer with its own weights"),
        Line2D([], [], color=INK, lw=2, label=r"lines join: concatenate; line forks: copy"),
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
                label=r"circle: pointwise operation, no weights",
            ),
        )
    if cell:
        handles.append(Line2D([], [], color=CELL_LINE, lw=4, label="cell state $c$: the memory line"))
    if shared:
        handles.append(
            Patch(facecolor="none", edgecolor=SHARED, ls="--", lw=2, label="the part a plain RNN has too")
        )
    return handles


def draw_rnn_cell():
    """Return a figure of one step of a plain RNN: ``h_t = tanh([h_{t-1}, x_t] W + b)``."""
    fig, ax = plt.subplots(figsize=(6.2, 4.6))
    d = _Canvas(ax)
    d.body(1.3, 1.0, 8.1, 6.2, "plain RNN cell")
    # inputs: h_{t-1} from the left, x_t from below, joined into [h_{t-1}, x_t]
    d.line([(0.0, 2.0), (2.8, 2.0)])
    d.line([(2.8, -0.5), (2.8, 2.0)])
    d.line([(2.8, 2.0), (4.6, 2.0), (4.6, 3.33)], arrow=True)
    d.dot(2.8, 2.0)
    d.label(0.0, 2.4, r"$h_{t-1}$", ha="left")
    d.label(3.15, -0.35, r"$x_t$", ha="left")
    d.label(3.0, 1.55, r"$[h_{t-1}, x_t]$", size=10, ha="left")
    d.layer(4.6, 3.9, "tanh", "layer", TANH_FILL, outline=SHARED)
    # output: h_t goes right (to the next step) and up (the layer's output)
    d.line([(4.6, 4.47), (4.6, 5.0), (6.9, 5.0), (6.9, 2.0), (9.6, 2.0)], arrow=True)
    d.dot(7.7, 2.0)
    d.line([(7.7, 2.0), (7.7, 7.0)], arrow=True)
    d.label(9.6, 2.4, r"$h_t$", ha="right")
    d.label(7.95, 6.8, r"$h_t$", ha="left")
    return _finish(fig, ax, (-0.1, 9.8), (-0.7, 7.2), _legend(shared=True, gates=False), ncol=1, bottom=0.2)


def draw_lstm_cell(highlight_rnn: bool = True):
    """Return a figure of one step of an LSTM cell, labelled in chapter 4's notation.

    With ``highlight_rnn`` the part an LSTM shares with a plain RNN (the tanh
    layer on ``[h_{t-1}, x_t]``, here the candidate) is ringed in green.
    """
    fig, ax = plt.subplots(figsize=(8.6, 5.6))
    d = _Canvas(ax)
    d.body(1.5, 1.0, 14.3, 8.1, "LSTM cell")
    y_cell, y_bus, y_gate = 7.0, 2.0, 3.9
    x_f, x_i, x_c, x_o, x_h = 4.8, 6.45, 8.05, 10.4, 12.2
    top = y_gate + BOX_H / 2

    # the cell state: c_{t-1} in, multiplied by f_t, added to i_t * c~_t, c_t out
    d.line([(0.0, y_cell), (x_f - OP_R, y_cell)], color=CELL_LINE, lw=4)
    d.line([(x_f + OP_R, y_cell), (x_c - OP_R, y_cell)], color=CELL_LINE, lw=4)
    d.line([(x_c + OP_R, y_cell), (16.4, y_cell)], color=CELL_LINE, lw=4, arrow=True)
    d.label(0.0, y_cell + 0.42, r"$c_{t-1}$", ha="left")
    d.label(16.4, y_cell + 0.42, r"$c_t$", ha="right")
    d.label(10.2, y_cell + 0.42, "cell state", size=10, color="#8A2F00")

    # the inputs, joined into [h_{t-1}, x_t] and copied to the four layers
    x_join = 3.0
    d.line([(0.0, y_bus), (x_join, y_bus)])
    d.line([(x_join, 0.0), (x_join, y_bus)])
    d.line([(x_join, y_bus), (x_o, y_bus)])
    d.dot(x_join, y_bus)
    d.label(0.0, y_bus + 0.4, r"$h_{t-1}$", ha="left")
    d.label(x_join + 0.3, 0.2, r"$x_t$", ha="left")
    d.label(x_join + 0.2, y_bus - 0.42, r"$[h_{t-1}, x_t]$", size=10, ha="left")
    for x in (x_f, x_i, x_c, x_o):
        if x != x_o:
            d.dot(x, y_bus)
        d.line([(x, y_bus), (x, y_gate - BOX_H / 2)], arrow=True)

    d.layer(x_f, y_gate, r"$\sigma$", "forget", SIGMOID_FILL)
    d.layer(x_i, y_gate, r"$\sigma$", "input", SIGMOID_FILL)
    d.layer(x_c, y_gate, "tanh", "candidate", TANH_FILL, outline=SHARED if highlight_rnn else None)
    d.layer(x_o, y_gate, r"$\sigma$", "output", SIGMOID_FILL)

    # forget gate -> multiply the old cell state
    d.line([(x_f, top), (x_f, y_cell - OP_R)], arrow=True)
    d.op(x_f, y_cell, r"$\times$")
    d.label(x_f + 0.15, 5.6, r"$f_t$", ha="left")

    # input gate and candidate -> multiply -> add to the cell state
    y_mul = 5.75
    d.line([(x_i, top), (x_i, y_mul), (x_c - OP_R, y_mul)], arrow=True)
    d.line([(x_c, top + 0.2), (x_c, y_mul - OP_R)], arrow=True)
    d.line([(x_c, top), (x_c, top + 0.2)])
    d.op(x_c, y_mul, r"$\times$")
    d.line([(x_c, y_mul + OP_R), (x_c, y_cell - OP_R)], arrow=True)
    d.op(x_c, y_cell, "+")
    d.label(x_i - 0.15, 5.1, r"$i_t$", ha="right")
    d.label(x_c + 0.15, 4.95, r"$\tilde{c}_t$", ha="left")

    # output: o_t times tanh(c_t) is h_t
    y_out = 5.2
    d.dot(x_h, y_cell, color=CELL_LINE)
    d.line([(x_h, y_cell), (x_h, 6.5)], color=CELL_LINE, lw=2.5)
    d.op(x_h, 6.2, "tanh", r=0.42)
    d.line([(x_h, 6.2 - 0.42), (x_h, y_out + OP_R)], arrow=True)
    d.line([(x_o, top), (x_o, y_out), (x_h - OP_R, y_out)], arrow=True)
    d.op(x_h, y_out, r"$\times$")
    d.label(x_o + 0.15, 4.9, r"$o_t$", ha="left")
    d.label(x_h + 0.5, 5.8, r"$\tanh(c_t)$", size=10, ha="left")

    # h_t leaves to the right (the next step) and upwards (the layer's output)
    x_up = 15.2
    d.line([(x_h, y_out - OP_R), (x_h, y_bus), (16.4, y_bus)], arrow=True)
    d.dot(x_up, y_bus)
    d.line([(x_up, y_bus), (x_up, 8.9)], arrow=True, halo=True, z=3)
    d.label(16.4, y_bus + 0.4, r"$h_t$", ha="right")
    d.label(x_up + 0.25, 8.7, r"$h_t$", ha="left")
    return _finish(fig, ax, (-0.1, 16.6), (-0.1, 9.2), _legend(shared=highlight_rnn, cell=True))


def as_svg(fig, close: bool = True):
    """Return ``fig`` as an ``IPython.display.SVG`` (and close it): sharp at any zoom.

    The text is drawn as paths, so the diagram looks the same whatever fonts the
    reader's browser has; ids and metadata are fixed, so two builds write the same file.
    """
    from IPython.display import SVG

    buffer = io.StringIO()
    with mpl.rc_context({"svg.fonttype": "path", "svg.hashsalt": "lstm-course"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    if close:
        plt.close(fig)
    return SVG(buffer.getvalue())
