"""Unit tests of the cell explorer's build side (book/site/explorer.py, chapter 4).

The browser behaviour is tested in tests/test_explorer_browser.py.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from book.site import explorer


def by_hand(p):
    sig = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    pre = {g: p[f"W_{g}"] * p["x"] + p[f"U_{g}"] * p["h_prev"] + p[f"b_{g}"] for g in "fico"}
    f, i, o, ct = sig(pre["f"]), sig(pre["i"]), sig(pre["o"]), math.tanh(pre["c"])
    c = f * p["c_prev"] + i * ct
    return {"f": f, "i": i, "c_tilde": ct, "c": c, "o": o, "h": o * math.tanh(c)}


@pytest.mark.parametrize("seed", range(5))
def test_scalar_step_is_the_six_equations(seed):
    import random

    rng = random.Random(seed)
    p = {k: rng.uniform(-3, 3) for k in explorer.START}
    got, want = explorer.scalar_step(p), by_hand(p)
    for name in want:
        assert got[name] == pytest.approx(want[name], abs=1e-12)


def test_fallback_text_states_computed_values():
    text = explorer.fallback_text()
    values = explorer.scalar_step(explorer.START)
    for name, shown in [("f", "f"), ("i", "i"), ("c_tilde", "c\u0303"), ("c", "c"), ("o", "o"), ("h", "h")]:
        assert f"{shown} = {values[name]:.3f}" in text, name


def test_start_values_agree_with_the_script():
    js = (Path(explorer.__file__).parent / "explorer.js").read_text(encoding="utf-8")
    defaults = dict(re.findall(r"(\w_\w): (-?[\d.]+)", js.split("var DEFAULTS = {")[1].split("};")[0]))
    state = {
        m[0]: float(m[1])
        for m in re.findall(r'\["(x|h_prev|c_prev)", "[^"]*", -?[\d.]+, -?[\d.]+, [\d.]+, (-?[\d.]+)\]', js)
    }
    start = {**{k: float(v) for k, v in defaults.items()}, **state}
    assert start == explorer.START


def test_script_is_small_and_self_contained():
    folder = Path(explorer.__file__).parent
    js = (folder / "explorer.js").read_text(encoding="utf-8")
    css = (folder / "explorer.css").read_text(encoding="utf-8")
    assert len(js.encode()) + len(css.encode()) < 30_000
    for text in (js, css):
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in text
