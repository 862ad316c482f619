/* Quizzes of the LSTM course.
 *
 * The build (book/site/quiz.py) writes this file to _static/quiz/quiz.js with
 * jupyterquiz's own JavaScript, read from the installed jupyterquiz package,
 * in place of the @@JUPYTERQUIZ_SOURCES@@ line below. Only pages with a quiz
 * load it. Each quiz on the page is a container written by the {quiz} directive:
 *
 *   <div class="course-quiz" data-quiz="03_lstm_cell" data-...>
 *     <script type="application/json" class="course-quiz-data">[...questions...]</script>
 *     <noscript>...</noscript>
 *   </div>
 *
 * This wrapper:
 * - writes on each answer's button its index in the quiz file (data-answer): the build
 *   shows the answers in a shuffled order (book/site/quizorder.py);
 * - renders every container once, however often it runs (a container is marked
 *   data-rendered before it is filled; the script itself runs its body once);
 * - inserts what the build wrote: every question, answer and feedback is ready HTML
 *   (book/quiztext.py: escaped text, code spans, typeset maths, links), with no `$`, `[`
 *   or `]` left for jupyterquiz's own conversions; jupyterquiz never sees a MathJax (the
 *   `var MathJax` below), so it neither typesets nor loads one from a CDN;
 * - keeps jupyterquiz's globals (Question, show_questions, ...) inside this
 *   function, so nothing clashes with a jupyterquiz output elsewhere on the page.
 */
(function () {
  if (window.courseQuiz) {
    window.courseQuiz.renderAll();
    return;
  }

  // What jupyterquiz's code sees as `MathJax` (this `var` shadows the global): nothing.
  // Its typeset calls and its fallback that loads MathJax from cdn.jsdelivr.net are
  // skipped (`typeof MathJax === "undefined"`), even if a page ever defined one.
  var MathJax; // eslint-disable-line no-unused-vars

  // ---- jupyterquiz (MIT licence, (c) John M. Shea) ----
  // @@JUPYTERQUIZ_SOURCES@@
  // ---- end of jupyterquiz ----

  // jupyterquiz marks a question with several correct answers only by its colour.
  function hintSeveralAnswers(container) {
    var questions = container.querySelectorAll(".ManyChoiceQn");
    for (var i = 0; i < questions.length; i++) {
      if (!/all that apply|every answer that applies/i.test(questions[i].textContent)) {
        var hint = document.createElement("div");
        hint.className = "course-quiz-hint";
        hint.textContent = "Select all that apply.";
        questions[i].appendChild(hint);
      }
    }
  }

  // The build shows each question's answers in a shuffled order (book/site/quizorder.py)
  // and gives each answer its index in the quiz file ("source"); each answer's button
  // keeps it as data-answer (jupyterquiz renders questions and answers in the order given).
  function markSources(container, questions) {
    var wrappers = container.querySelectorAll("div.Quiz");
    for (var q = 0; q < wrappers.length && q < questions.length; q++) {
      var buttons = wrappers[q].querySelectorAll("label.MCButton");
      var answers = questions[q].answers || [];
      for (var a = 0; a < buttons.length && a < answers.length; a++) {
        if (typeof answers[a].source === "number") {
          buttons[a].setAttribute("data-answer", String(answers[a].source));
        }
      }
    }
  }

  function render(container) {
    if (container.getAttribute("data-rendered")) {
      return false;
    }
    var source = container.querySelector("script.course-quiz-data");
    if (!source) {
      return false;
    }
    container.setAttribute("data-rendered", "true");
    var questions;
    try {
      questions = JSON.parse(source.textContent);
    } catch (err) {
      console.error("quiz " + container.getAttribute("data-quiz") + ": unreadable questions", err);
      return false;
    }
    show_questions(questions, container);
    markSources(container, questions);
    hintSeveralAnswers(container);
    // jupyterquiz's "Type numeric answer here:" label is not tied to its input box,
    // and nothing says that Enter submits the answer.
    var labels = container.querySelectorAll("label.InpLabel");
    for (var i = 0; i < labels.length; i++) {
      var box = labels[i].nextElementSibling;
      if (box && box.tagName === "INPUT" && box.id) {
        labels[i].htmlFor = box.id;
        box.placeholder = "then press Enter";
        box.setAttribute("inputmode", "decimal");
        box.setAttribute("autocomplete", "off");
      }
    }
    // jupyterquiz blocks pasting into its numeric inputs (onpaste returns false);
    // readers may paste a number they computed elsewhere.
    var inputs = container.querySelectorAll("input");
    for (var j = 0; j < inputs.length; j++) {
      inputs[j].onpaste = null;
    }
    return true;
  }

  function renderAll() {
    var containers = document.querySelectorAll("div.course-quiz");
    var rendered = 0;
    for (var i = 0; i < containers.length; i++) {
      if (render(containers[i])) {
        rendered++;
      }
    }
    return rendered;
  }

  window.courseQuiz = { render: render, renderAll: renderAll };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", renderAll);
  } else {
    renderAll();
  }
})();
