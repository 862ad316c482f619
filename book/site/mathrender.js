/* Typeset TeX formulas at build time with MathJax 3 (npm mathjax-full), for book/site/mathrender.py.
 *
 * Called once per build: reads a JSON request on stdin,
 *   {"formulas": [{"tex": "c_t = f_t \\odot c_{t-1}", "display": false}, ...]}
 * and writes one JSON answer on stdout,
 *   {"version": "3.2.2", "css": "...MathJax's SVG stylesheet...",
 *    "results": [{"html": "<mjx-container ...>", "defs": {"MJX-TEX-I-1D450": "<path .../>", ...}}
 *                | {"error": "Missing close brace"}, ...]}
 * in the order of the request. Each formula is SVG (fill="currentColor": it takes the text
 * colour, dark mode included) with MathJax's assistive MathML (read by screen readers; the
 * SVG is aria-hidden). Glyphs are references (<use xlink:href="#MJX-TEX-...">) to paths
 * MathJax keeps in a page-global font cache: "defs" lists the paths a formula uses, and the
 * Python side writes each page's cache (the union over its formulas) once into the page.
 *
 * A formula MathJax cannot parse (a TeX error: unbalanced braces, an undefined macro) is an
 * error, never a red formula in the page: "noerrors" and "noundefined" are not loaded, and
 * formatError throws. Only the packages of PACKAGES are loaded (none that writes links,
 * styles or attributes from TeX).
 */
"use strict";

const { mathjax } = require("mathjax-full/js/mathjax.js");
const { TeX } = require("mathjax-full/js/input/tex.js");
const { SVG } = require("mathjax-full/js/output/svg.js");
const { liteAdaptor } = require("mathjax-full/js/adaptors/liteAdaptor.js");
const { RegisterHTMLHandler } = require("mathjax-full/js/handlers/html.js");
const { AssistiveMmlHandler } = require("mathjax-full/js/a11y/assistive-mml.js");
require("mathjax-full/js/input/tex/base/BaseConfiguration.js");
require("mathjax-full/js/input/tex/ams/AmsConfiguration.js");
require("mathjax-full/js/input/tex/braket/BraketConfiguration.js");
const { MapHandler } = require("mathjax-full/js/input/tex/MapHandler.js");
const { VERSION } = require("mathjax-full/js/components/version.js");

// Only the TeX packages the book's formulas need (an allowlist): base, ams (aligned, split,
// cases, pmatrix, \dfrac, \operatorname, \lVert) and braket (it marks | as an ordinary
// symbol in the MathML screen readers get; the picture is the same without it). Not: html
// (\href, \class, \style, \cssId), bbox (\bbox[style]), color/colorv2 (\color{url(...)}),
// unicode (fonts), action (\texttip...), require/autoload (they load the others),
// noerrors/noundefined (they would publish a bad formula as red text).
const PACKAGES = ["base", "ams", "braket"];
// base's \mmlToken{mi}[href="..."]{x} sets any attribute on a MathML node (a link, a style):
// removed (with base's \bmod, \pmod, \mod, which are made of it). mathrender.py also checks
// every typeset formula's markup (unsafe_markup), whatever package wrote it.
const REMOVED_MACROS = ["mmlToken", "bmod", "pmod", "mod"];

const { readStdin } = require("./read_stdin.js");

// Groups MathJax keeps for its own CSS rules or behaviour: never unwrapped.
const KEEP_GROUPS = new Set(["mtable", "mlabeledtr", "mtr", "mtd", "merror", "maction", "menclose", "mphantom"]);

// Unwrap the SVG groups that only carry MathJax's node name (data-mml-node, ...) and at
// most a transform: their transform moves onto each child (an element whose transform
// list is "A B" is drawn as a group "A" around an element "B"). The picture is the same;
// the page has about half the elements (the assistive MathML keeps the structure).
function flatten(adaptor, node) {
  for (const child of [...adaptor.childNodes(node)]) {
    if (adaptor.kind(child) === "#text" || adaptor.kind(child) === "#comment") {
      continue;
    }
    flatten(adaptor, child);
  }
  if (adaptor.kind(node) !== "g" || KEEP_GROUPS.has(adaptor.getAttribute(node, "data-mml-node"))) {
    return;
  }
  const names = adaptor.allAttributes(node).map((a) => a.name);
  if (!names.every((name) => name === "transform" || name.startsWith("data-"))) {
    return;
  }
  const children = [...adaptor.childNodes(node)];
  if (children.some((child) => adaptor.kind(child) === "#text")) {
    return;
  }
  const transform = adaptor.getAttribute(node, "transform");
  for (const child of children) {
    if (transform) {
      const own = adaptor.getAttribute(child, "transform");
      adaptor.setAttribute(child, "transform", own ? `${transform} ${own}` : transform);
    }
    adaptor.insert(child, node);
  }
  adaptor.remove(node);
}

function main(request) {
  const adaptor = liteAdaptor();
  const handler = RegisterHTMLHandler(adaptor);
  if (request.assistiveMml !== false) {
    AssistiveMmlHandler(handler);
  }
  const macros = MapHandler.getMap("macros");
  for (const name of REMOVED_MACROS) {
    macros.remove(name);
  }
  const tex = new TeX({
    packages: PACKAGES,
    formatError(jax, err) {
      throw err;
    },
  });
  const svg = new SVG({ fontCache: "global" });
  const html = mathjax.document("", { InputJax: tex, OutputJax: svg });
  const cache = svg.fontCache;

  const results = request.formulas.map(({ tex: source, display }) => {
    cache.clearCache();
    try {
      const node = html.convert(source, { display: Boolean(display), em: 16, ex: 8, containerWidth: 1280 });
      if (request.flatten !== false) {
        flatten(adaptor, adaptor.firstChild(node));
      }
      const markup = adaptor.outerHTML(node);
      if (/<merror|data-mjx-error/.test(markup)) {
        return { error: "MathJax reported an error in the formula" };
      }
      const defs = {};
      for (const path of adaptor.childNodes(cache.getCache())) {
        defs[adaptor.getAttribute(path, "id")] = adaptor.outerHTML(path);
      }
      return { html: markup, defs };
    } catch (err) {
      return { error: String((err && err.message) || err).replace(/\s+/g, " ") };
    }
  });
  const css = adaptor.textContent(svg.styleSheet(html));
  return { version: VERSION, css, results };
}

readStdin()
  .then((text) => {
    process.stdout.write(JSON.stringify(main(JSON.parse(text))));
  })
  .catch((err) => {
    process.stderr.write(`mathrender.js: ${(err && err.stack) || err}\n`);
    process.exit(1);
  });
