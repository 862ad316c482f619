/* plotly figures, drawn when they come near the viewport (book/site/assets.py).
 *
 * A figure is data, not code (book.plots.plotly_figure): plotly.py's <div>, and the
 * figure's JSON (data, layout, config) in a <script type="application/json"
 * class="book-plotly-data"> beside it. The page runs no inline script for it (its
 * Content-Security-Policy would not let it); this small deferred script draws it instead.
 * The page paints without downloading or parsing plotly.js (0.4 MB gzipped, 1.2 MB of
 * JavaScript): when a figure comes within about a screen of the viewport, plotly.js is
 * loaded once (from the folder this script was served from) and the figure is drawn.
 * Each figure keeps its height meanwhile (plotly.py writes it on the figure's
 * container), so nothing moves when it is drawn. A figure that appears later (the output
 * of a Live Code cell) is drawn at once.
 */
(function () {
  var script = document.currentScript;
  var plotlyUrl = new URL("plotly/plotly-basic.min.js", script.src).href;
  var loading = null;

  function loadPlotly() {
    if (window.Plotly) {
      return Promise.resolve();
    }
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = plotlyUrl;
        tag.onload = resolve;
        tag.onerror = function () {
          reject(new Error("could not load " + plotlyUrl));
        };
        document.head.appendChild(tag);
      });
    }
    return loading;
  }

  function draw(figure) {
    if (figure.getAttribute("data-drawn")) {
      return Promise.resolve();
    }
    figure.setAttribute("data-drawn", "true");
    return loadPlotly()
      .then(function () {
        var data = figure.querySelector("script.book-plotly-data");
        var target = figure.querySelector(".plotly-graph-div");
        if (!data || !target) {
          throw new Error("a book-plotly-figure without its data or its <div>");
        }
        var spec = JSON.parse(data.textContent);
        return window.Plotly.newPlot(target, spec.data, spec.layout, spec.config);
      })
      .catch(function (err) {
        console.error("plotly figure:", err);
      });
  }

  var observer = null;

  function watch(figure) {
    if (observer) {
      observer.observe(figure);
    } else {
      draw(figure);
    }
  }

  function start() {
    var figures = document.querySelectorAll(".book-plotly-figure");
    if ("IntersectionObserver" in window) {
      observer = new IntersectionObserver(
        function (entries) {
          entries.forEach(function (entry) {
            if (entry.isIntersecting) {
              observer.unobserve(entry.target);
              draw(entry.target);
            }
          });
        },
        { rootMargin: "800px 0px" }
      );
    }
    figures.forEach(watch);
    // Printing draws every figure.
    window.addEventListener("beforeprint", function () {
      document.querySelectorAll(".book-plotly-figure").forEach(draw);
    });
    // A figure output by a Live Code cell: drawn as soon as it is in the page.
    new MutationObserver(function (records) {
      records.forEach(function (record) {
        record.addedNodes.forEach(function (node) {
          if (node.nodeType !== 1) {
            return;
          }
          if (node.matches(".book-plotly-figure")) {
            draw(node);
          }
          node.querySelectorAll(".book-plotly-figure").forEach(draw);
        });
      });
    }).observe(document.body, { childList: true, subtree: true });
  }

  window.bookPlotly = { draw: draw, load: loadPlotly };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
