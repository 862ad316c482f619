"""The LSTM cell explorer of chapter 4, as a reader uses it, in offline headless Chromium.

The reader moves sliders **by keyboard** (focus, arrow keys, Page Up/Down, Home/End);
after every move, every parameter the page holds (``input[type=range][data-param]``)
and every value it shows (``[data-value]``) are read back and compared with
:func:`book.lstm.lstm_step` on the same numbers (through
:func:`book.site.explorer.scalar_step`), to 1e-3. The presets must do what their
names say, the step mode must plot one point per input and agree with
:func:`book.lstm.lstm_forward`, nothing may log an error, and axe finds no contrast or
label problem in light or dark mode. Screenshots (light and dark, desktop and a
390-pixel phone) go to ``_build/screenshots/explorer-*.png`` for a person to look at.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from book.lstm import GATE_ORDER, lstm_forward
from book.site.explorer import START, scalar_step

pytestmark = pytest.mark.browser

PAGE = "chapters/04_lstm_equations.html"
PARAMS = ["x", "h_prev", "c_prev"] + [f"{k}_{g}" for g in ("f", "i", "c", "o") for k in ("W", "U", "b")]
VALUES = ["f", "i", "c_tilde", "c", "o", "h"]
ROOT = ".lstm-explorer"


def number(text: str) -> float:
    return float(text.strip().replace("\u2212", "-"))


def open_explorer(page, site_url):
    """Load chapter 4, wait for the explorer; return the live lists of errors."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.goto(f"{site_url}/{PAGE}", wait_until="load")
    page.wait_for_selector(f"{ROOT}[data-ready='1'] [data-value='h']", timeout=10_000)
    return errors


def read_state(page) -> tuple[dict, dict, dict]:
    """(parameters, shown values as numbers, shown values as text) of the first explorer."""
    raw = page.evaluate(
        """(root) => {
          const r = document.querySelector(root);
          const p = {}, t = {};
          r.querySelectorAll('input[type=range][data-param]').forEach(e => { p[e.dataset.param] = e.value; });
          r.querySelectorAll('[data-value]').forEach(e => { t[e.dataset.value] = e.textContent; });
          return [p, t];
        }""",
        ROOT,
    )
    params = {k: float(v) for k, v in raw[0].items()}
    texts = raw[1]
    return params, {k: number(v) for k, v in texts.items()}, texts


def assert_matches_book(page, where: str) -> dict:
    params, values, texts = read_state(page)
    assert sorted(params) == sorted(PARAMS), f"{where}: sliders {sorted(params)}"
    assert sorted(values) == sorted(VALUES), f"{where}: values {sorted(values)}"
    for name, text in texts.items():
        assert re.fullmatch(r"[\u2212-]?\d+\.\d{3,}", text.strip()), f"{where}: {name} shown as {text!r}"
    expected = scalar_step(params)
    for name in VALUES:
        assert abs(values[name] - expected[name]) <= 1e-3, (where, name, values[name], expected[name], params)
    return {"params": params, "values": values}


def keys(page, param: str, *presses: str) -> None:
    slider = page.locator(f"{ROOT} input[type=range][data-param='{param}']")
    slider.focus()
    for key in presses:
        page.keyboard.press(key)


def test_explorer_matches_book_lstm_when_moved_by_keyboard(offline_page, site_url):
    page = offline_page
    errors = open_explorer(page, site_url)
    start = assert_matches_book(page, "at load")
    assert start["params"] == pytest.approx(START), (
        "the page's starting values differ from book.site.explorer.START"
    )

    moves = [
        ("x", ["ArrowRight"] * 4, lambda p: p["x"] == pytest.approx(1.2)),
        ("U_f", ["ArrowLeft"] * 15, lambda p: p["U_f"] == pytest.approx(-1.5)),
        ("U_o", ["ArrowUp"] * 20, lambda p: p["U_o"] == pytest.approx(2.0)),
        # (h_prev matters only once a recurrent weight U is not 0)
        ("h_prev", ["ArrowRight"] * 6, lambda p: p["h_prev"] == pytest.approx(0.3)),
        ("b_f", ["End"], lambda p: p["b_f"] == pytest.approx(6.0)),
        ("b_i", ["Home"], lambda p: p["b_i"] == pytest.approx(-6.0)),
        ("c_prev", ["ArrowDown"] * 10, lambda p: p["c_prev"] == pytest.approx(0.0)),
        ("W_c", ["PageDown"], lambda p: p["W_c"] < 1.0),
        ("b_c", ["ArrowRight"] * 7, lambda p: p["b_c"] == pytest.approx(0.7)),
        ("W_i", ["Home", "ArrowRight"], lambda p: p["W_i"] == pytest.approx(-5.9)),
        ("b_o", ["ArrowLeft"] * 3, lambda p: p["b_o"] == pytest.approx(-0.3)),
    ]
    before = start
    for param, presses, check in moves:
        keys(page, param, *presses)
        state = assert_matches_book(page, f"after {presses} on {param}")
        assert check(state["params"]), (param, state["params"][param])
        # a recurrent weight U changes nothing while h_prev is 0 (the start): only check the others
        if not param.startswith("U_"):
            assert state["values"] != before["values"], f"{param}: nothing changed"
        before = state

    # Tab moves through the controls in order: from the input x to h_prev.
    page.locator(f"{ROOT} input[data-param='x']").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.param") == "h_prev"
    # and a focused slider has a visible focus ring
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), outline
    assert errors == [], errors


def preset(page, name: str) -> dict:
    button = page.locator(f"{ROOT} button[data-preset='{name}']")
    button.focus()
    page.keyboard.press("Enter")  # presets are buttons: keyboard usable
    return assert_matches_book(page, f"preset {name}")


def test_presets_do_what_they_say(offline_page, site_url):
    page = offline_page
    errors = open_explorer(page, site_url)
    seen = set()
    for name in ["Remember", "Overwrite", "Reset", "Latch: write", "Latch: hold", "Latch: read", "Start"]:
        state = preset(page, name)
        p, v = state["params"], state["values"]
        seen.add(tuple(sorted(v.items())))
        note = page.locator(f"{ROOT} .lstm-explorer-note").inner_text()
        assert note.startswith(name + ":"), note
        if name == "Remember":
            assert v["f"] > 0.99 and v["i"] < 0.01 and abs(v["c"] - p["c_prev"]) < 0.01
        if name in ("Overwrite", "Latch: write"):
            assert v["f"] < 0.01 and v["i"] > 0.99 and abs(v["c"] - math.tanh(p["x"])) < 0.01
        if name == "Reset":
            assert abs(v["c"]) < 0.01 and abs(v["h"]) < 0.01
        if name in ("Latch: write", "Latch: hold"):
            assert abs(v["h"]) < 0.01  # nothing shown without a read
        if name == "Latch: hold":
            assert abs(v["c"] - p["c_prev"]) < 0.01  # the distracting input is ignored
        if name == "Latch: read":
            assert v["o"] > 0.99 and abs(v["h"] - math.tanh(v["c"])) < 0.01
        if name == "Start":
            assert p == pytest.approx(START)
    assert len(seen) == 7, "two presets show the same values"
    assert errors == [], errors


def plotted(page):
    return page.evaluate(
        """(root) => {
          const r = document.querySelector(root);
          const pts = s => (r.querySelector(`svg.lstm-explorer-plot polyline[data-series=${s}]`) || {getAttribute: () => ''})
                           .getAttribute('points').trim().split(/\\s+/).filter(Boolean).length;
          const row = s => [...r.querySelectorAll(`tr[data-row=${s}] td`)].map(td => td.textContent);
          return {c: pts('c'), h: pts('h'), table: {x: row('x'), c: row('c'), h: row('h'), f: row('f')},
                  error: r.querySelector('.lstm-explorer-error').textContent};
        }""",
        ROOT,
    )


def test_step_mode_plots_the_sequence(offline_page, site_url):
    page = offline_page
    errors = open_explorer(page, site_url)
    preset(page, "Start")
    box = page.locator(f"{ROOT} input[data-sequence]")
    for sequence in ["1, 0, 0, 0, -0.5, 0, 0, 0", "0.5, -1, 2", "0.9"]:
        box.fill(sequence)
        drawn = plotted(page)
        xs = [float(s) for s in sequence.split(",")]
        assert drawn["c"] == drawn["h"] == len(xs), drawn
        assert drawn["error"] == ""
        params, _, _ = read_state(page)
        kernel = np.array([[params[f"W_{g}"] for g in GATE_ORDER]])
        recurrent = np.array([[params[f"U_{g}"] for g in GATE_ORDER]])
        bias = np.array([params[f"b_{g}"] for g in GATE_ORDER])
        trace = lstm_forward(
            np.array(xs).reshape(1, -1, 1),
            kernel,
            recurrent,
            bias,
            h0=[[params["h_prev"]]],
            c0=[[params["c_prev"]]],
        )
        for row in ("c", "h", "f"):
            shown = [number(t) for t in drawn["table"][row]]
            assert np.allclose(shown, getattr(trace, row)[0, :, 0], atol=1e-3), (sequence, row, shown)
    # With "Remember", the cell state stays flat whatever the inputs.
    preset(page, "Remember")
    box.fill("1, -1, 0.5, 0")
    drawn = plotted(page)
    c = [number(t) for t in drawn["table"]["c"]]
    assert max(c) - min(c) < 0.01, c
    # A bad sequence says so, and the plot and table of the previous one are gone.
    box.fill("1, two, 3")
    drawn = plotted(page)
    assert "numbers" in drawn["error"]
    assert drawn["c"] == drawn["h"] == 0 and drawn["table"]["c"] == [], drawn
    assert "not valid" in page.locator(f"{ROOT} svg.lstm-explorer-plot title").text_content()
    assert page.locator(f"{ROOT} input[data-sequence]").get_attribute("aria-invalid") == "true"
    # ... and a valid one draws again
    box.fill("0.5, -1")
    assert plotted(page)["c"] == 2
    assert errors == [], errors


def test_step_buttons_show_one_step_at_a_time(offline_page, site_url):
    page = offline_page
    errors = open_explorer(page, site_url)
    preset(page, "Start")
    box = page.locator(f"{ROOT} input[data-sequence]")
    box.fill("1, 0, -0.5")
    everything = plotted(page)["table"]
    status = page.locator(f"{ROOT} .lstm-explorer-stepstatus")
    assert status.inner_text() == "All 3 steps shown."
    one = page.locator(f"{ROOT} button[data-step=one]")
    for k in (1, 2, 3):
        # by keyboard, as a reader without a mouse would
        one.focus()
        page.keyboard.press("Enter")
        drawn = plotted(page)
        assert drawn["c"] == drawn["h"] == k, (k, drawn)
        # the steps shown are the first k of the whole run, to the digit
        assert drawn["table"]["c"] == everything["c"][:k] and drawn["table"]["h"] == everything["h"][:k]
    assert status.inner_text() == "All 3 steps shown."
    page.keyboard.press("Enter")  # after the last step: from the first again
    assert plotted(page)["c"] == 1 and status.inner_text() == "Steps 1 to 1 of 3 shown."
    # a slider moved in the middle of stepping: the same steps, recomputed
    keys(page, "b_f", "ArrowRight")
    assert plotted(page)["c"] == 1
    page.locator(f"{ROOT} button[data-step=all]").click()
    assert plotted(page)["c"] == 3
    assert errors == [], errors


def test_a_preset_caption_goes_when_a_slider_moves(offline_page, site_url):
    page = offline_page
    errors = open_explorer(page, site_url)
    note = page.locator(f"{ROOT} .lstm-explorer-note")
    preset(page, "Remember")
    assert note.inner_text().startswith("Remember:") and note.get_attribute("data-preset") == "Remember"
    keys(page, "b_f", "Home")  # the forget gate shut: no longer "Remember"
    assert not note.inner_text().startswith("Remember:"), note.inner_text()
    assert "own values" in note.inner_text() and note.get_attribute("data-preset") is None
    assert errors == [], errors


def test_the_readout_stays_in_view_on_a_phone(browser, site_url):
    """At 390 px the values sit above the sliders; while the output gate's slider (the last)
    moves, the one-line copy is on screen, below the page header, and shows the values."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.route(
        "**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort()
    )
    page = context.new_page()
    try:
        errors = open_explorer(page, site_url)
        keys(page, "b_o", "ArrowRight", "ArrowRight")  # focus scrolls the slider into view
        values = page.locator(f"{ROOT} .lstm-explorer-values")
        mini = page.locator(f"{ROOT} .lstm-explorer-mini")
        slider = page.locator(f"{ROOT} input[data-param='b_o']").bounding_box()
        assert 0 <= slider["y"] <= 844, slider
        box = values.bounding_box()
        assert box["y"] + box["height"] < 0, "the test needs the values list scrolled out of view"
        inview = mini.bounding_box()
        assert inview is not None and 0 <= inview["y"] and inview["y"] + inview["height"] <= 844, inview
        header = page.evaluate(
            "(() => { const h = document.querySelector('.bd-header'); return h ? h.getBoundingClientRect().bottom : 0; })()"
        )
        assert inview["y"] >= header - 1, (inview, header)  # not hidden under the header
        _, shown, _ = read_state(page)
        for name in VALUES:
            assert number(mini.locator(f"[data-mini={name}]").inner_text()) == shown[name]
        # on a desktop, where the values stay beside the sliders, the copy is not shown
        page.set_viewport_size({"width": 1280, "height": 900})
        assert not mini.is_visible()
        assert errors == [], errors
    finally:
        context.close()


def set_mode(page, mode: str) -> None:
    page.evaluate(
        "(m) => { document.documentElement.dataset.theme = m; document.documentElement.dataset.mode = m; }",
        mode,
    )
    page.wait_for_timeout(200)


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_explorer_contrast_and_labels(offline_page, site_url, mode):
    from axe_playwright_python.sync_playwright import Axe

    page = offline_page
    errors = open_explorer(page, site_url)
    set_mode(page, mode)
    results = Axe().run(
        page,
        context={"include": [[ROOT]]},
        options={
            "runOnly": {
                "type": "rule",
                "values": [
                    "color-contrast",
                    "label",
                    "aria-allowed-attr",
                    "svg-img-alt",
                    "nested-interactive",
                    "button-name",
                ],
            }
        },
    )
    violations = results.response.get("violations", [])
    assert violations == [], [
        (v["id"], [n["target"] for n in v["nodes"]][:5], v["nodes"][0].get("failureSummary"))
        for v in violations
    ]
    assert errors == [], errors


@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots(browser, site_url, built_site, width):
    """For a person to look at: _build/screenshots/explorer-{light,dark}-{desktop,phone}.png."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.route(
        "**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort()
    )
    page = context.new_page()
    try:
        errors = open_explorer(page, site_url)
        shots = built_site.build / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        root = page.locator(ROOT)
        # no horizontal overflow of the page at this width
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        box = root.bounding_box()
        assert box["width"] <= width
        for mode in ("light", "dark"):
            set_mode(page, mode)
            # the whole explorer as it lies in the page (not scrolled: no sticky header over it)
            page.evaluate("window.scrollTo(0, 0)")
            page.wait_for_timeout(200)
            box = root.bounding_box()
            page.screenshot(
                path=str(shots / f"explorer-{mode}-{'desktop' if width > 500 else 'phone'}.png"),
                full_page=True,
                clip={
                    "x": max(box["x"] - 8, 0),
                    "y": max(box["y"] - 8, 0),
                    "width": min(box["width"] + 16, width),
                    "height": box["height"] + 16,
                },
            )
        assert errors == [], errors
    finally:
        context.close()


def test_only_the_explorer_page_loads_its_script(built_site):
    pages = {
        p.relative_to(built_site.html).as_posix(): p.read_text(encoding="utf-8")
        for p in built_site.html.rglob("*.html")
    }
    with_script = sorted(name for name, html in pages.items() if "explorer/explorer.js" in html)
    with_root = sorted(name for name, html in pages.items() if 'class="lstm-explorer"' in html)
    assert with_script == with_root == [PAGE]
    assert (built_site.html / "_static" / "explorer" / "explorer.js").stat().st_size < 30_000
    assert "lstm-explorer-fallback" in pages[PAGE]
