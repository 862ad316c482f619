/* The LSTM cell explorer of chapter 4 (the {lstm-explorer} directive, book/site/explorer.py).
 *
 * A scalar LSTM cell (one input, one unit) computed in the page, with no kernel and no
 * library. It computes exactly what book.lstm.lstm_step computes:
 *   f = sigma(W_f x + U_f h_prev + b_f)      i = sigma(W_i x + U_i h_prev + b_i)
 *   c_tilde = tanh(W_c x + U_c h_prev + b_c) c = f c_prev + i c_tilde
 *   o = sigma(W_o x + U_o h_prev + b_o)      h = o tanh(c)
 *
 * Contract used by tests/test_explorer_browser.py (keep it stable):
 *   root element: .lstm-explorer
 *   sliders: input[type=range][data-param=NAME], NAME in x, h_prev, c_prev, W_g, U_g, b_g
 *            for g in f, i, c, o
 *   values:  [data-value=NAME], NAME in f, i, c_tilde, c, o, h (text, 3 decimals)
 *   step mode: svg.lstm-explorer-plot polyline[data-series=c|h] (one point per step shown),
 *              button[data-step=one|all] (one more step / every step), .lstm-explorer-stepstatus
 *   phone readout: .lstm-explorer-mini [data-mini=NAME] (the same values, kept in view on a
 *                  narrow screen while the sliders below the diagram move)
 *   preset caption: .lstm-explorer-note, data-preset=NAME while a preset's values stand
 */
(function () {
  "use strict";
  var GATES = ["f", "i", "c", "o"];
  var GATE_NAMES = { f: "forget gate f", i: "input gate i", c: "candidate c\u0303", o: "output gate o" };
  var SVG = "http://www.w3.org/2000/svg";
  var SEQUENCE = "1, 0, 0, 0, -0.5, 0, 0, 0";

  // Sliders: [name, label, min, max, step, default]
  var STATE = [
    ["x", "input x\u209c", -2, 2, 0.05, 1],
    ["h_prev", "previous hidden state h\u209c\u208b\u2081", -1, 1, 0.05, 0],
    ["c_prev", "previous cell state c\u209c\u208b\u2081", -2, 2, 0.05, 0.5]
  ];
  var DEFAULTS = { W_f: 0, U_f: 0, b_f: 1, W_i: 1, U_i: 0, b_i: 0, W_c: 1, U_c: 0, b_c: 0, W_o: 1, U_o: 0, b_o: 0 };

  var START = { x: 1, h_prev: 0, c_prev: 0.5 };
  for (var d in DEFAULTS) { START[d] = DEFAULTS[d]; }

  function flat(preset) {
    // every weight 0 unless the preset says otherwise
    var out = {};
    GATES.forEach(function (g) { out["W_" + g] = 0; out["U_" + g] = 0; out["b_" + g] = 0; });
    for (var k in preset) { out[k] = preset[k]; }
    return out;
  }

  var PRESETS = [
    ["Start", "The page's starting values: x = 1, c\u209c\u208b\u2081 = 0.5, the weights of x at 1 for i, c and o, and the forget bias at 1, as Keras initialises it: f = \u03c3(1) = 0.731 keeps about three quarters of the old memory.",
      START],
    ["Remember", "Forget gate near 1 (b_f = 6), input gate near 0 (b_i = -6): the new cell state equals the old one, whatever the input.",
      flat({ x: 0.7, c_prev: 0.8, b_f: 6, b_i: -6, W_c: 1, b_o: 6 })],
    ["Overwrite", "Forget gate near 0, input gate near 1: the old memory is dropped and replaced by the candidate tanh(x).",
      flat({ x: 0.7, c_prev: 0.8, b_f: -6, b_i: 6, W_c: 1, b_o: 6 })],
    ["Reset", "Both gates near 0: the cell state is cleared to about 0, and so is the hidden state.",
      flat({ x: 0.7, c_prev: 0.8, b_f: -6, b_i: -6, W_c: 1, b_o: 6 })],
    ["Latch: write", "Chapter 4's latch reads [value, write, read]. Here x is the value and the flags are folded into the biases: write = 1 adds 12 to the input gate's bias (-6 + 12) and -12 to the forget gate's (6 - 12), so the cell stores tanh(value); read = 0 keeps the output gate shut (b_o = -6).",
      flat({ x: 0.9, c_prev: -0.3, b_f: -6, b_i: 6, W_c: 1, b_o: -6 })],
    ["Latch: hold", "The latch between writes (write = 0, read = 0): forget bias 6, input bias -6, so the stored value stays and the distracting input x is ignored; nothing is shown.",
      flat({ x: -0.4, c_prev: 0.716, b_f: 6, b_i: -6, W_c: 1, b_o: -6 })],
    ["Latch: read", "The latch at a read step (write = 0, read = 1): read adds 12 to the output gate's bias (-6 + 12), so h shows tanh of the stored value.",
      flat({ x: -0.4, c_prev: 0.716, b_f: 6, b_i: -6, W_c: 1, b_o: 6 })]
  ];

  function sigmoid(z) { return 0.5 * (1 + Math.tanh(0.5 * z)); }  // as book.lstm.sigmoid

  function step(p, x, h_prev, c_prev) {
    function pre(g) { return p["W_" + g] * x + p["U_" + g] * h_prev + p["b_" + g]; }
    var f = sigmoid(pre("f")), i = sigmoid(pre("i")), ct = Math.tanh(pre("c"));
    var c = f * c_prev + i * ct, o = sigmoid(pre("o"));
    return { f: f, i: i, c_tilde: ct, c: c, o: o, h: o * Math.tanh(c) };
  }

  function el(tag, attrs, text, ns) {
    var e = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    for (var k in attrs || {}) { e.setAttribute(k, attrs[k]); }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  function fmt(v, d) {
    var s = v.toFixed(d === undefined ? 3 : d);
    return /^-0\.?0*$/.test(s) ? s.slice(1) : s.replace("-", "\u2212");
  }

  var counter = 0;

  function build(root) {
    if (root.getAttribute("data-ready") === "1") { return; }
    root.setAttribute("data-ready", "1");
    var uid = "lstm-explorer-" + (++counter);
    var fallback = root.querySelector(".lstm-explorer-fallback");
    if (fallback) { fallback.remove(); }
    var sliders = {}, shown = {}, values = {};

    function slider(parent, spec) {
      var name = spec[0], id = uid + "-" + name;
      var row = el("div", { "class": "lstm-explorer-slider" });
      var label = el("label", { "for": id });
      label.appendChild(el("span", { "class": "lstm-explorer-name" }, spec[1]));
      var out = el("output", { "for": id, "class": "lstm-explorer-setting" });
      var input = el("input", { type: "range", id: id, min: spec[2], max: spec[3], step: spec[4], value: spec[5], "data-param": name });
      row.appendChild(label); row.appendChild(input); row.appendChild(out);
      parent.appendChild(row);
      sliders[name] = input; shown[name] = out;
      input.addEventListener("input", function () {
        // a value moved by hand: the preset's caption no longer describes what is shown
        if (note.hasAttribute("data-preset")) {
          note.textContent = "Your own values (after the preset " + note.getAttribute("data-preset") +
            "): the caption of a preset holds only until a slider moves.";
          note.removeAttribute("data-preset");
        }
        update();
      });
    }

    // --- controls (the note of the presets is made first: moving a slider changes it)
    var note = el("p", { "class": "lstm-explorer-note", "aria-live": "polite" }, "Move a slider (arrow keys, Page Up/Down, Home/End work too) or choose a preset.");
    var controls = el("div", { "class": "lstm-explorer-controls" });
    // on a phone the values sit above the sliders and scroll away: a one-line copy stays in view
    // (aria-hidden: screen readers hear the values once, from the list below)
    var mini = el("p", { "class": "lstm-explorer-mini", "aria-hidden": "true" });
    var miniValues = {};
    [["f", "f"], ["i", "i"], ["c_tilde", "c\u0303"], ["c", "c"], ["o", "o"], ["h", "h"]].forEach(function (r, k) {
      if (k) { mini.appendChild(document.createTextNode(" ")); }
      var item = el("span", { "class": "lstm-explorer-mini-item" });
      item.appendChild(el("span", { "class": "lstm-explorer-mini-name" }, r[1] + " "));
      miniValues[r[0]] = el("span", { "data-mini": r[0] });
      item.appendChild(miniValues[r[0]]);
      mini.appendChild(item);
    });
    controls.appendChild(mini);
    var state = el("fieldset", { "class": "lstm-explorer-group" });
    state.appendChild(el("legend", {}, "Inputs to this step"));
    STATE.forEach(function (s) { slider(state, s); });
    controls.appendChild(state);
    GATES.forEach(function (g) {
      var fs = el("fieldset", { "class": "lstm-explorer-group" });
      fs.appendChild(el("legend", {}, GATE_NAMES[g]));
      slider(fs, ["W_" + g, "W_" + g + " (weight of x)", -6, 6, 0.1, DEFAULTS["W_" + g]]);
      slider(fs, ["U_" + g, "U_" + g + " (weight of h\u209c\u208b\u2081)", -6, 6, 0.1, DEFAULTS["U_" + g]]);
      slider(fs, ["b_" + g, "b_" + g + " (bias)", -6, 6, 0.1, DEFAULTS["b_" + g]]);
      controls.appendChild(fs);
    });

    // --- presets
    var presets = el("div", { "class": "lstm-explorer-presets", role: "group", "aria-label": "Presets" });
    presets.appendChild(el("span", { "class": "lstm-explorer-presets-title" }, "Presets: "));
    PRESETS.forEach(function (pr) {
      var b = el("button", { type: "button", "data-preset": pr[0] }, pr[0]);
      b.addEventListener("click", function () {
        var values = pr[2];
        Object.keys(sliders).forEach(function (k) {
          var v = k in values ? values[k] : 0;  // h_prev (and anything unset) at 0
          sliders[k].value = v;
        });
        note.textContent = pr[0] + ": " + pr[1];
        note.setAttribute("data-preset", pr[0]);
        update();
      });
      presets.appendChild(b);
    });

    // --- results: values as text
    var results = el("dl", { "class": "lstm-explorer-values", "aria-live": "polite" });
    [["f", "forget gate f\u209c"], ["i", "input gate i\u209c"], ["c_tilde", "candidate c\u0303\u209c"],
     ["c", "new cell state c\u209c"], ["o", "output gate o\u209c"], ["h", "new hidden state h\u209c"]].forEach(function (r) {
      var d = el("div");
      d.appendChild(el("dt", {}, r[1]));
      var dd = el("dd", { "data-value": r[0] });
      d.appendChild(dd); results.appendChild(d); values[r[0]] = dd;
    });

    // --- the cell diagram (SVG): kept, written, shown
    var diagram = el("svg", { viewBox: "0 0 360 220", "class": "lstm-explorer-diagram", role: "img", "aria-labelledby": uid + "-dtitle" }, null, SVG);
    var dtitle = el("title", { id: uid + "-dtitle" }, "", SVG);
    diagram.appendChild(dtitle);
    function line(x1, y1, x2, y2, cls) { diagram.appendChild(el("line", { x1: x1, y1: y1, x2: x2, y2: y2, "class": cls || "lstm-explorer-wire" }, null, SVG)); }
    function node(x, y, label) {
      diagram.appendChild(el("circle", { cx: x, cy: y, r: 13, "class": "lstm-explorer-op" }, null, SVG));
      diagram.appendChild(el("text", { x: x, y: y + 5, "text-anchor": "middle", "class": "lstm-explorer-optext" }, label, SVG));
    }
    function text(x, y, anchor, cls) { var t = el("text", { x: x, y: y, "text-anchor": anchor, "class": cls || "lstm-explorer-label" }, "", SVG); diagram.appendChild(t); return t; }
    // the conveyor belt c_{t-1} -> x f -> + -> c_t, the write branch under +, the output branch under c_t
    line(8, 52, 77, 52, "lstm-explorer-belt"); line(103, 52, 187, 52, "lstm-explorer-belt"); line(213, 52, 352, 52, "lstm-explorer-belt");
    line(90, 65, 90, 74); line(200, 65, 200, 95); line(300, 52, 300, 84); line(300, 106, 300, 137); line(300, 163, 300, 188);
    node(90, 52, "\u00d7"); node(200, 52, "+"); node(200, 108, "\u00d7"); node(300, 150, "\u00d7");
    diagram.appendChild(el("rect", { x: 278, y: 84, width: 44, height: 22, rx: 4, "class": "lstm-explorer-box" }, null, SVG));
    diagram.appendChild(el("text", { x: 300, y: 100, "text-anchor": "middle", "class": "lstm-explorer-optext" }, "tanh", SVG));
    var tCprev = text(8, 15, "start"), tC = text(352, 15, "end", "lstm-explorer-label lstm-explorer-strong");
    var tKept = text(145, 33, "middle", "lstm-explorer-label lstm-explorer-strong"), tF = text(90, 88, "middle");
    var tWritten = text(184, 112, "end", "lstm-explorer-label lstm-explorer-strong"), tIC = text(184, 130, "end");
    var tO = text(284, 155, "end");
    var tShown = text(352, 206, "end", "lstm-explorer-label lstm-explorer-strong");

    // --- step mode
    var stepper = el("div", { "class": "lstm-explorer-steps" });
    var seqId = uid + "-seq";
    var seqLabel = el("label", { "for": seqId }, "Step mode: an input sequence x\u2081, x\u2082, \u2026 (comma-separated, at most 20 numbers), fed through the cell with the weights above, starting from h\u2080 = h\u209c\u208b\u2081 and c\u2080 = c\u209c\u208b\u2081 as set above");
    var seq = el("input", { type: "text", id: seqId, value: SEQUENCE, "data-sequence": "", inputmode: "decimal", spellcheck: "false" });
    var seqError = el("p", { "class": "lstm-explorer-error", "aria-live": "polite" });
    var plot = el("svg", { viewBox: "0 0 560 245", "class": "lstm-explorer-plot", role: "img", "aria-labelledby": uid + "-ptitle" }, null, SVG);
    var table = el("table", { "class": "lstm-explorer-table" });
    // one step at a time, or every step at once
    var shownSteps = null;  // null: every step
    var stepButtons = el("div", { "class": "lstm-explorer-stepbuttons", role: "group", "aria-label": "Step through the sequence" });
    var stepOne = el("button", { type: "button", "data-step": "one" }, "Next step");
    var stepAll = el("button", { type: "button", "data-step": "all" }, "All steps");
    var stepStatus = el("span", { "class": "lstm-explorer-stepstatus", "aria-live": "polite" });
    stepButtons.appendChild(stepOne); stepButtons.appendChild(stepAll); stepButtons.appendChild(stepStatus);
    stepOne.addEventListener("click", function () {
      var xs = parseSequence();
      if (xs === null) { return; }
      shownSteps = (shownSteps === null || shownSteps >= xs.length) ? 1 : shownSteps + 1;
      update();
    });
    stepAll.addEventListener("click", function () { shownSteps = null; update(); });
    stepper.appendChild(seqLabel); stepper.appendChild(seq); stepper.appendChild(seqError);
    stepper.appendChild(stepButtons); stepper.appendChild(plot);
    var tableWrap = el("div", { "class": "lstm-explorer-tablewrap", tabindex: "0", role: "region", "aria-label": "Step mode values" });
    tableWrap.appendChild(table); stepper.appendChild(tableWrap);
    seq.addEventListener("input", update);

    var top = el("div", { "class": "lstm-explorer-top" });
    var left = el("div", { "class": "lstm-explorer-output" });
    left.appendChild(results); left.appendChild(diagram);
    top.appendChild(left); top.appendChild(controls);
    root.appendChild(presets); root.appendChild(note); root.appendChild(top); root.appendChild(stepper);

    function params() {
      var p = {};
      Object.keys(sliders).forEach(function (k) { p[k] = parseFloat(sliders[k].value); });
      return p;
    }

    function clearPlot(message) {
      while (plot.firstChild) { plot.removeChild(plot.firstChild); }
      while (table.firstChild) { table.removeChild(table.firstChild); }
      plot.appendChild(el("title", { id: uid + "-ptitle" }, message, SVG));
      plot.appendChild(el("text", { x: 280, y: 120, "text-anchor": "middle", "class": "lstm-explorer-label" }, message, SVG));
    }

    function drawPlot(allXs, p, k) {
      // every step is computed (the axes hold all of them); the first k are drawn
      while (plot.firstChild) { plot.removeChild(plot.firstChild); }
      var rows = [], h = p.h_prev, c = p.c_prev;
      allXs.forEach(function (x) { var r = step(p, x, h, c); h = r.h; c = r.c; rows.push(r); });
      var lim = Math.max(1, Math.ceil(Math.max.apply(null, rows.map(function (r) { return Math.abs(r.c); }).concat([1]))));
      var L = 60, R = 540, T = 14, B = 186, n = allXs.length;
      var xs = allXs.slice(0, k);
      rows = rows.slice(0, k);
      var cs = rows.map(function (r) { return r.c; }), hs = rows.map(function (r) { return r.h; });
      function X(t) { return L + (n > 1 ? t * (R - L) / (n - 1) : (R - L) / 2); }
      function Y(v) { return T + (lim - v) * (B - T) / (2 * lim); }
      plot.appendChild(el("title", { id: uid + "-ptitle" }, "c_t and h_t over " + (k < n ? k + " of " + n : n) + " steps: c = " +
        cs.map(function (v) { return fmt(v, 2); }).join(", ") + "; h = " + hs.map(function (v) { return fmt(v, 2); }).join(", "), SVG));
      [lim, 0, -lim].forEach(function (v) {
        plot.appendChild(el("line", { x1: L, x2: R, y1: Y(v), y2: Y(v), "class": v === 0 ? "lstm-explorer-axis" : "lstm-explorer-grid" }, null, SVG));
        plot.appendChild(el("text", { x: L - 6, y: Y(v) + 4, "text-anchor": "end", "class": "lstm-explorer-label" }, fmt(v, 0), SVG));
      });
      allXs.forEach(function (x, t) {
        plot.appendChild(el("text", { x: X(t), y: 210, "text-anchor": "middle", "class": "lstm-explorer-label" }, String(t + 1), SVG));
      });
      plot.appendChild(el("text", { x: (L + R) / 2, y: 240, "text-anchor": "middle", "class": "lstm-explorer-label" }, "step t", SVG));
      [["c", cs, "c\u209c"], ["h", hs, "h\u209c"]].forEach(function (s) {
        var pts = s[1].map(function (v, t) { return X(t).toFixed(1) + "," + Y(v).toFixed(1); }).join(" ");
        plot.appendChild(el("polyline", { points: pts, "data-series": s[0], "class": "lstm-explorer-line lstm-explorer-line-" + s[0] }, null, SVG));
        s[1].forEach(function (v, t) {
          plot.appendChild(el(s[0] === "c" ? "circle" : "rect", s[0] === "c" ? { cx: X(t), cy: Y(v), r: 4, "class": "lstm-explorer-dot-c" } :
            { x: X(t) - 3.5, y: Y(v) - 3.5, width: 7, height: 7, "class": "lstm-explorer-dot-h" }, null, SVG));
        });
        var last = s[1][k - 1];
        plot.appendChild(el("text", { x: X(k - 1), y: Y(last) + (s[0] === "c" ? -8 : 16), "text-anchor": k > 1 ? "end" : "start", "class": "lstm-explorer-label lstm-explorer-strong lstm-explorer-text-" + s[0] }, s[2], SVG));
      });
      // the table: the same numbers as text
      while (table.firstChild) { table.removeChild(table.firstChild); }
      table.appendChild(el("caption", {}, "Step mode, every gate and state per step"));
      var head = el("tr");
      head.appendChild(el("th", { scope: "col" }, "step"));
      xs.forEach(function (x, t) { head.appendChild(el("th", { scope: "col" }, String(t + 1))); });
      table.appendChild(head);
      [["x", "x"], ["f", "f"], ["i", "i"], ["c_tilde", "c\u0303"], ["c", "c"], ["o", "o"], ["h", "h"]].forEach(function (r) {
        var tr = el("tr", { "data-row": r[0] });
        tr.appendChild(el("th", { scope: "row" }, r[1]));
        rows.forEach(function (row, t) { tr.appendChild(el("td", {}, fmt(r[0] === "x" ? xs[t] : row[r[0]], r[0] === "x" ? 2 : 3))); });
        table.appendChild(tr);
      });
    }

    function parseSequence() {
      var parts = seq.value.split(/[,;\s]+/).filter(function (s) { return s.length; });
      var xs = parts.map(Number);
      if (!xs.length || xs.length > 20 || xs.some(function (v) { return !isFinite(v) || Math.abs(v) > 10; })) {
        return null;
      }
      return xs;
    }

    function update() {
      var p = params();
      Object.keys(sliders).forEach(function (k) { shown[k].textContent = fmt(p[k], 2); });
      var r = step(p, p.x, p.h_prev, p.c_prev);
      Object.keys(values).forEach(function (k) { values[k].textContent = fmt(r[k]); miniValues[k].textContent = fmt(r[k]); });
      var kept = r.f * p.c_prev, written = r.i * r.c_tilde;
      tCprev.textContent = "c\u209c\u208b\u2081 = " + fmt(p.c_prev);
      tF.textContent = "f = " + fmt(r.f);
      tKept.textContent = "kept f\u00b7c\u209c\u208b\u2081 = " + fmt(kept);
      tWritten.textContent = "written i\u00b7c\u0303 = " + fmt(written);
      tIC.textContent = "i = " + fmt(r.i) + ", c\u0303 = " + fmt(r.c_tilde);
      tC.textContent = "c\u209c = " + fmt(r.c);
      tO.textContent = "o = " + fmt(r.o);
      tShown.textContent = "shown h = o\u00b7tanh c = " + fmt(r.h);
      dtitle.textContent = "Cell diagram: kept " + fmt(kept) + " of the old memory, written " + fmt(written) +
        ", new cell state " + fmt(r.c) + ", shown h " + fmt(r.h) + ".";
      var xs = parseSequence();
      if (xs === null) {
        seqError.textContent = "Step mode needs 1 to 20 numbers between -10 and 10, separated by commas.";
        seq.setAttribute("aria-invalid", "true");
        // no plot of a sequence that is no longer in the box
        clearPlot("No plot: the sequence is not valid.");
        stepStatus.textContent = "";
      } else {
        seqError.textContent = "";
        seq.removeAttribute("aria-invalid");
        var k = shownSteps === null ? xs.length : Math.min(shownSteps, xs.length);
        drawPlot(xs, p, k);
        stepStatus.textContent = k < xs.length ? "Steps 1 to " + k + " of " + xs.length + " shown." : "All " + xs.length + " steps shown.";
      }
    }
    update();
  }

  function init() {
    var roots = document.querySelectorAll(".lstm-explorer");
    for (var k = 0; k < roots.length; k++) { build(roots[k]); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
