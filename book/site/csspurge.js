/* Cut stylesheets to the rules a built site can use, with PurgeCSS (npm purgecss), for
 * book/site/csspurge.py.
 *
 * Reads one JSON request on stdin,
 *   {"content": ["/abs/page.html", "/abs/_static/script.js", ...],
 *    "css": [{"source": "/theme/original.css", "target": "/site/_static/original.css"}, ...],
 *    "greedy": ["data-theme", ...]}
 * and writes each stylesheet's purged text to its target, then one JSON answer on stdout,
 *   {"version": "8.0.0", "results": [{"target": "...", "before": 396738, "after": 108187,
 *                                      "rejected": 5050}, ...]}.
 * A rule stays when every class, id and element its selector names appears as a word in a
 * page or a script (PurgeCSS's default extractor), or when it matches a "greedy" pattern.
 * Custom properties, @font-face and @keyframes rules are all kept.
 */
"use strict";

const fs = require("fs");
const { PurgeCSS } = require("purgecss");
const { version } = require("purgecss/package.json");

const { readStdin } = require("./read_stdin.js");

async function main() {
  const request = JSON.parse(await readStdin());
  const results = [];
  for (const sheet of request.css) {
    const raw = fs.readFileSync(sheet.source, "utf8");
    const [out] = await new PurgeCSS().purge({
      content: request.content,
      css: [{ raw, name: sheet.source }],
      safelist: { greedy: request.greedy.map((p) => new RegExp(p)) },
      rejected: true,
      variables: false,
      fontFace: false,
      keyframes: false,
    });
    // the theme's source map describes the original file, not this one
    const css = out.css.replace(/\/\*# sourceMappingURL=[^*]*\*\/\s*$/, "");
    fs.writeFileSync(sheet.target, css);
    results.push({ target: sheet.target, before: raw.length, after: css.length, rejected: (out.rejected || []).length });
  }
  process.stdout.write(JSON.stringify({ version, results }));
}

main().catch((err) => {
  process.stderr.write(String((err && err.stack) || err));
  process.exit(1);
});
