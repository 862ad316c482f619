/* The search page's result snippets (added to search.html only, by book/site/assets.py).
 *
 * Sphinx's searchtools.js makes each snippet from the text of the found page's
 * [role=main] element. In this book that text also holds the page's printable table of
 * contents and the toggle prompts of hidden code. Formulas come typeset by the build
 * (book/site/mathrender.py): their text is their MathML's ("σ(x)"); any that were
 * still raw TeX ("\(\sigma(x)\)") would be shown as such. This wraps
 * Search.htmlToText (runs after searchtools.js, before the search starts on
 * DOMContentLoaded) so that those parts are removed and formulas read as plain text.
 */
(function () {
  if (typeof Search === "undefined" || !Search.htmlToText) {
    return;
  }
  var TEX = {
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", eta: "η", theta: "θ",
    lambda: "λ", mu: "μ", sigma: "σ", tau: "τ", phi: "φ", odot: "⊙", cdot: "·", times: "×",
    in: "∈", approx: "≈", le: "≤", leq: "≤", ge: "≥", geq: "≥", to: "→", infty: "∞",
    partial: "∂", sum: "Σ", prod: "Π", tanh: "tanh", mathbb: "", mathbf: "", boldsymbol: "",
    mathrm: "", text: "", operatorname: "", left: "", right: "", quad: " ", big: "", Big: ""
  };
  function texToText(tex) {
    return tex
      .replace(/^\s*(\\\(|\\\[|\$\$?)/, "")
      .replace(/(\\\)|\\\]|\$\$?)\s*$/, "")
      .replace(/\\begin\{[^}]*\}|\\end\{[^}]*\}/g, " ")
      .replace(/\\([A-Za-z]+)/g, function (m, name) {
        return Object.prototype.hasOwnProperty.call(TEX, name) ? TEX[name] : name;
      })
      .replace(/\\\\|&/g, " ")
      .replace(/[{}\\]/g, "")
      .replace(/\s+/g, " ")
      .trim();
  }
  var REMOVE = [
    "#jb-print-toc", ".onlyprint", "nav", ".toc", "details.hide > summary",
    ".cell_output", ".course-quiz", ".headerlink", "script", "style", "noscript"
  ];
  var original = Search.htmlToText;
  Search.htmlToText = function (htmlString, anchor) {
    var doc = new DOMParser().parseFromString(htmlString, "text/html");
    REMOVE.forEach(function (query) {
      doc.querySelectorAll(query).forEach(function (el) { el.remove(); });
    });
    doc.querySelectorAll(".math").forEach(function (el) {
      el.replaceWith(doc.createTextNode(" " + texToText(el.textContent) + " "));
    });
    var text = original("<html><body>" + doc.body.innerHTML + "</body></html>", anchor);
    return text.replace(/\s+/g, " ");
  };
})();
