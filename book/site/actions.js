/* The theme's buttons, without inline handlers (book/site/csp.py).
 *
 * sphinx-book-theme writes onclick="toggleFullScreen()", "window.print()" and
 * "initThebeSBT()" on its header buttons; the pages' Content-Security-Policy runs no
 * inline handler, so the build turns each into data-book-onclick="NAME" and this
 * deferred script calls the same function when the button is clicked.
 */
(function () {
  var ACTIONS = {
    toggleFullScreen: function () {
      return window.toggleFullScreen && window.toggleFullScreen();
    },
    print: function () {
      return window.print();
    },
    initThebeSBT: function () {
      return window.initThebeSBT && window.initThebeSBT();
    },
  };
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-book-onclick]");
    if (!button) {
      return;
    }
    var action = ACTIONS[button.getAttribute("data-book-onclick")];
    if (action) {
      action();
    }
  });
})();
