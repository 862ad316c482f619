"""The ``{lstm-explorer}`` directive: an LSTM cell the reader moves in the page, with no kernel.

Chapter 4 (``ch-lstm_equations``) places it with::

    ```{lstm-explorer}
    ```

The page gets an empty ``<div class="lstm-explorer">`` holding a static fallback text
(shown without JavaScript); ``_static/explorer/explorer.js`` (plain JavaScript, no
library, from ``book/site/explorer.js``) builds the sliders, the values, the cell
diagram and the step mode inside it. The script and its stylesheet
(``book/site/explorer.css``) are copied at build time into a build folder that Sphinx
serves as ``_static/explorer/`` (not the book's ``_static/``, whose every script
Jupyter Book adds to every page), and are added once to the pages that have an
explorer, and only to them, as :mod:`book.site.quiz` does for quizzes.

The explorer computes what :func:`book.lstm.lstm_step` computes for one input and one
unit; ``tests/test_explorer_browser.py`` checks that in Chromium.
"""

from __future__ import annotations

import html
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

STATIC_FOLDER = "explorer"
SCRIPT = f"{STATIC_FOLDER}/explorer.js"
STYLESHEET = f"{STATIC_FOLDER}/explorer.css"
_HERE = Path(__file__).parent

#: The explorer's starting values (the same as explorer.js's DEFAULTS and START).
START = {
    "x": 1.0,
    "h_prev": 0.0,
    "c_prev": 0.5,
    "W_f": 0.0,
    "U_f": 0.0,
    "b_f": 1.0,
    "W_i": 1.0,
    "U_i": 0.0,
    "b_i": 0.0,
    "W_c": 1.0,
    "U_c": 0.0,
    "b_c": 0.0,
    "W_o": 1.0,
    "U_o": 0.0,
    "b_o": 0.0,
}


def scalar_step(p: dict) -> dict:
    """One step of the scalar cell with the explorer's parameter names, by :func:`book.lstm.lstm_step`.

    Returns the six values the explorer shows: f, i, c_tilde, c, o, h (floats).
    """
    import numpy as np

    from book.lstm import GATE_ORDER, lstm_step, split_keras_weights

    kernel = np.array([[p[f"W_{g}"] for g in GATE_ORDER]])
    recurrent = np.array([[p[f"U_{g}"] for g in GATE_ORDER]])
    bias = np.array([p[f"b_{g}"] for g in GATE_ORDER])
    W, b = split_keras_weights(kernel, recurrent, bias)
    h, c, act = lstm_step(
        np.array([[p["x"]]]),
        np.array([[p["h_prev"]]]),
        np.array([[p["c_prev"]]]),
        W,
        b,
    )
    return {
        "f": float(act["f"][0, 0]),
        "i": float(act["i"][0, 0]),
        "c_tilde": float(act["c_tilde"][0, 0]),
        "c": float(c[0, 0]),
        "o": float(act["o"][0, 0]),
        "h": float(h[0, 0]),
    }


def fallback_text() -> str:
    """What a page without JavaScript shows instead: the equations and one step, computed by book.lstm."""
    v = scalar_step(START)
    return (
        "The interactive LSTM cell explorer needs JavaScript. Without it: a scalar cell computes "
        "f = \u03c3(W_f x + U_f h_prev + b_f), i = \u03c3(W_i x + U_i h_prev + b_i), "
        "c\u0303 = tanh(W_c x + U_c h_prev + b_c), c = f c_prev + i c\u0303, "
        "o = \u03c3(W_o x + U_o h_prev + b_o) and h = o tanh(c). For example, with x = 1, "
        "c_prev = 0.5, h_prev = 0, W_i = W_c = W_o = 1, b_f = 1 and every other weight 0: "
        f"f = {v['f']:.3f}, i = {v['i']:.3f}, c\u0303 = {v['c_tilde']:.3f}, c = {v['c']:.3f}, "
        f"o = {v['o']:.3f} and h = {v['h']:.3f}."
    )


class explorer_node(nodes.General, nodes.Element):
    """Where an LSTM cell explorer goes."""


class ExplorerDirective(SphinxDirective):
    """``{lstm-explorer}``: the scalar LSTM cell explorer (no arguments, no content)."""

    required_arguments = 0
    optional_arguments = 0
    has_content = False

    def run(self) -> list[nodes.Node]:
        node = explorer_node()
        node["ids"] = [
            f"lstm-explorer-{self.env.new_serialno('lstm-explorer')}"
        ]
        self.set_source_info(node)
        return [node]


def visit_explorer_html(self, node: explorer_node) -> None:
    self.body.append(
        self.starttag(
            node,
            "div",
            CLASS="lstm-explorer",
            role="group",
            **{"aria-label": "LSTM cell explorer"},
        )
    )
    # Escaped like any text Sphinx writes (today it holds only the equations and numbers).
    self.body.append(
        f'<p class="lstm-explorer-fallback">{html.escape(fallback_text())}</p>'
    )
    self.body.append("</div>\n")
    raise nodes.SkipNode


def skip_explorer(self, node: explorer_node) -> None:
    """Formats other than HTML have no explorer."""
    raise nodes.SkipNode


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _builder_inited(app) -> None:
    if app.builder.format != "html":
        return
    static = Path(app.doctreedir) / "course_explorer_static"
    for name in (SCRIPT, STYLESHEET):
        _write_if_changed(
            static / name,
            (_HERE / Path(name).name).read_text(encoding="utf-8"),
        )
    if str(static) not in app.config.html_static_path:
        app.config.html_static_path.append(str(static))


def _html_page_context(app, pagename, templatename, context, doctree) -> None:
    """The explorer's script and stylesheet, once, on the pages that have one."""
    if doctree is not None and any(doctree.findall(explorer_node)):
        app.add_css_file(STYLESHEET)
        app.add_js_file(SCRIPT, loading_method="defer")


def setup(app):
    app.add_node(
        explorer_node,
        html=(visit_explorer_html, None),
        latex=(skip_explorer, None),
        text=(skip_explorer, None),
        man=(skip_explorer, None),
        texinfo=(skip_explorer, None),
    )
    app.add_directive("lstm-explorer", ExplorerDirective)
    app.connect("builder-inited", _builder_inited)
    app.connect("html-page-context", _html_page_context)
