/* plotly figures, drawn when they come near the viewport (book/site/assets.py).
 *
 * The build turns each figure's inline script (plotly.py's `Plotly.newPlot(...)`) into an
 * inert <script type="text/x-book-plotly">, and adds this small deferred script instead
 * of plotly.js itself: the page paints without downloading or parsing plotly.js
 * (0.4 MB gzipped, 1.2 MB of JavaScript). When a figure comes within about a screen of
 * the viewport, plotly.js is loaded once (from the folder this script was served from)
 * and that figure's script runs. Each figure keeps its height meanwhile (plotly.py
 * writes it on the figure's container), so nothing moves when it is drawn.
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
      return;
    }
    figure.setAttribute("data-drawn", "true");
    loadPlotly().then(
      function () {
        var inert = figure.querySelectorAll('script[type="text/x-book-plotly"]');
        for (var i = 0; i < inert.length; i++) {
          var live = document.createElement("script");
          live.textContent = inert[i].textContent;
          inert[i].replaceWith(live);
        }
      },
      function (err) {
        console.error("plotly figure:", err);
      }
    );
  }

  function start() {
    var figures = document.querySelectorAll(".book-plotly-figure");
    if (!("IntersectionObserver" in window)) {
      figures.forEach(draw);
      return;
    }
    var observer = new IntersectionObserver(
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
    figures.forEach(function (figure) {
      observer.observe(figure);
    });
    // Printing draws every figure.
    window.addEventListener("beforeprint", function () {
      figures.forEach(draw);
    });
  }

  window.bookPlotly = { draw: draw, load: loadPlotly };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
