"""The ``{quiz}`` directive: every chapter's quiz, validated at build time, rendered by jupyterquiz.

A chapter carries its quiz as::

    ```{quiz} 03_lstm_cell
    ```

which names ``quizzes/03_lstm_cell.json`` (relative to the book's root). At build time:

- **validation**: the file is read and checked by :func:`book.quizzes.load`; a missing
  or malformed file is logged as an error at the directive's location, naming the
  file, the question and the field, and fails a ``-W --keep-going`` build (and a
  plain build too, at its end). A page whose quiz failed is re-read on every build
  until the quiz is fixed, so a cached environment never hides the error.
- **cache honesty**: ``env.note_dependency`` makes the quiz file a dependency of the
  page: editing it makes Sphinx re-read that page on the next build (its notebook
  is not re-executed: the code did not change, jupyter-cache has it).
- **rendering**: the page gets a closed ``<div class="course-quiz">`` holding the
  questions as JSON; the course's loader script (``_static/quiz/quiz.js``, jupyterquiz's
  own JavaScript from the installed package with one documented patch, :mod:`book.site.quizpatch`,
  wrapped by ``quiz_loader.js``) renders
  each such container once. The script and its stylesheet (``_static/quiz/quiz.css``:
  jupyterquiz's styles, the accessible colours of :data:`book.quizzes.COLORS`,
  ``quiz.css``) are added once to the pages that have a quiz, and only to them.
- **order**: each choice question's answers are shown in an order shuffled at build time,
  the same on every build (:mod:`book.site.quizorder`); the quiz file keeps its order.
- **text**: every question, answer and feedback is rendered here, at build time, by
  :func:`book.quiztext.render` (the tokenizer the validation used too): text
  HTML-escaped, `` `code` `` as ``<code>``, ``$...$`` / ``$$...$$`` typeset
  (:mod:`book.site.mathrender`), ``[text](https://...)`` as links; ``code`` fields escaped.
  The characters jupyterquiz would still convert (``$``, ``[``, ``]``) are written as
  character references: what jupyterquiz inserts with ``innerHTML`` is exactly the build's
  markup, never the file's. No page loads MathJax.

The quiz is not a code cell: it shows no code, is not executed, and Thebe leaves it alone.
"""

from __future__ import annotations

import json
from pathlib import Path

from docutils import nodes
from sphinx.errors import SphinxError
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from book import quizzes
from book.quiztext import render_questions
from book.site.quiznodes import quiz_node

logger = logging.getLogger(__name__)

#: Where quiz files are, relative to the book's root (Sphinx's source folder).
QUIZ_FOLDER = "quizzes"
#: Where the script and stylesheet are served from, under _static/.
STATIC_FOLDER = "quiz"
SCRIPT = f"{STATIC_FOLDER}/quiz.js"
STYLESHEET = f"{STATIC_FOLDER}/quiz.css"
_HERE = Path(__file__).parent
_SOURCES_LINE = "  // @@JUPYTERQUIZ_SOURCES@@\n"


__all__ = ["QuizDirective", "quiz_node", "render_questions", "setup"]


class QuizDirective(SphinxDirective):
    """``{quiz} NAME``: the quiz of ``quizzes/NAME.json``."""

    required_arguments = 1
    optional_arguments = 0
    has_content = False

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        srcdir = Path(self.env.srcdir)
        path = quizzes.quiz_path(name, srcdir / QUIZ_FOLDER)
        # Before anything can fail: a missing file is also a dependency
        # (Sphinx re-reads a page whose dependency does not exist). Relative to the
        # source folder, so that a build cache restored elsewhere stays valid.
        self.env.note_dependency(path.relative_to(srcdir).as_posix())
        try:
            questions = quizzes.load(
                name, quizzes=srcdir / QUIZ_FOLDER, root=srcdir
            )
        except quizzes.QuizError as err:
            for problem in err.problems:
                logger.error(
                    problem.describe(err.file),
                    location=self.get_location(),
                    type="quiz",
                    subtype="invalid",
                )
            _failed(self.env).add(self.env.docname)
            return []
        node = quiz_node(quiz=name, questions=questions)
        node["ids"] = [
            f"quiz-{nodes.make_id(name)}-{self.env.new_serialno('course-quiz')}"
        ]
        self.set_source_info(node)
        return [node]


def _failed(env) -> set[str]:
    """The pages whose quiz did not validate when they were last read."""
    if not hasattr(env, "course_quiz_failed"):
        env.course_quiz_failed = set()
    return env.course_quiz_failed


def _json_for_html(data) -> str:
    """JSON that is safe inside a <script> element (no '</script>', no '<!--')."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def visit_quiz_html(self, node: quiz_node) -> None:
    attributes = {
        "data-quiz": node["quiz"],
        # read by jupyterquiz's show_questions(), as display_quiz() would write them
        "data-shufflequestions": "False",
        "data-shuffleanswers": "False",
        "data-preserveresponses": "false",
        "data-numquestions": str(len(node["questions"])),
        "data-maxwidth": "600",
        "style": "border-radius: 10px; text-align: left",
        "role": "group",
        "aria-label": "Quiz",
    }
    from book.site import mathrender, quizorder

    env = self.builder.env
    docname = self.builder.current_docname
    # the answers in their shown order (book.site.quizorder: seeded, the same on every build)
    questions = render_questions(
        quizorder.displayed(node["quiz"], node["questions"]),
        lambda tex, display: mathrender.markup(
            env, mathrender.Formula(tex, display), docname
        ),
    )
    self.body.append(
        self.starttag(node, "div", CLASS="course-quiz", **attributes)
    )
    self.body.append(
        f'<script type="application/json" class="course-quiz-data">{_json_for_html(questions)}</script>'
    )
    self.body.append("<noscript><p>This quiz needs JavaScript.</p></noscript>")
    self.body.append("</div>\n")
    raise nodes.SkipNode


def skip_quiz(self, node: quiz_node) -> None:
    """Formats other than HTML have no quiz."""
    raise nodes.SkipNode


def _outdated(app, env, added, changed, removed) -> list[str]:
    """Re-read pages whose quiz failed, until it is fixed (their quiz file may be unchanged)."""
    return sorted(
        d
        for d in _failed(env)
        if d in env.found_docs and d not in added | changed
    )


def _purge(app, env, docname) -> None:
    _failed(env).discard(docname)


def _merge(app, env, docnames, other) -> None:
    _failed(env).update(d for d in _failed(other) if d in docnames)


def jupyterquiz_sources() -> str:
    """jupyterquiz's JavaScript modules, in the order jupyterquiz itself joins them, with the
    course's patch applied (:mod:`book.site.quizpatch`: several correct answers stay found)."""
    import importlib.resources

    from book.site import quizpatch

    folder = importlib.resources.files("jupyterquiz").joinpath("js")
    files = sorted(
        (f for f in folder.iterdir() if f.name.endswith(".js")),
        key=lambda f: f.name,
    )
    return "".join(
        f"// -- jupyterquiz/js/{f.name}\n{quizpatch.apply(f.name, f.read_text(encoding='utf-8'))}\n"
        for f in files
    )


def script() -> str:
    """The content of ``_static/quiz/quiz.js``."""
    import jupyterquiz

    loader = (_HERE / "quiz_loader.js").read_text(encoding="utf-8")
    if loader.count(_SOURCES_LINE) != 1:
        raise SphinxError(
            f"{_HERE / 'quiz_loader.js'} must contain the line {_SOURCES_LINE.strip()!r} once"
        )
    header = f"/* Generated by book/site/quiz.py from jupyterquiz {jupyterquiz.__version__} and book/site/quiz_loader.js. */\n"
    return header + loader.replace(_SOURCES_LINE, jupyterquiz_sources())


def stylesheet() -> str:
    """The content of ``_static/quiz/quiz.css``."""
    import importlib.resources

    import jupyterquiz

    upstream = (
        importlib.resources.files("jupyterquiz")
        .joinpath("styles.css")
        .read_text(encoding="utf-8")
    )
    colours = "".join(
        f"  {name}: {value};\n" for name, value in quizzes.COLORS.items()
    )
    return (
        f"/* Generated by book/site/quiz.py from jupyterquiz {jupyterquiz.__version__} (styles.css),"
        " book.quizzes.COLORS and book/site/quiz.css. */\n"
        f"{upstream}\n\n.course-quiz {{\n{colours}}}\n\n"
        + (_HERE / "quiz.css").read_text(encoding="utf-8")
    )


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _builder_inited(app) -> None:
    """Generate the script and stylesheet in a build folder that Sphinx copies into _static/.

    Not the book's own _static/: Jupyter Book adds every script found there to every page.
    """
    if app.builder.format != "html":
        return
    static = Path(app.doctreedir) / "course_quiz_static"
    _write_if_changed(static / SCRIPT, script())
    _write_if_changed(static / STYLESHEET, stylesheet())
    if str(static) not in app.config.html_static_path:
        app.config.html_static_path.append(str(static))


def _html_page_context(app, pagename, templatename, context, doctree) -> None:
    """The quiz script and stylesheet, once, on the pages that have a quiz."""
    if doctree is not None and any(doctree.findall(quiz_node)):
        app.add_css_file(STYLESHEET)
        app.add_js_file(SCRIPT, loading_method="defer")


def _build_finished(app, exception) -> None:
    """Fail even a build without -W when a quiz is broken (with -W, the logged errors already do)."""
    failed = sorted(_failed(app.env))
    if (
        exception is None
        and failed
        and not (app.warningiserror or app.keep_going)
    ):
        raise SphinxError(
            f"the quiz of {', '.join(failed)} could not be built: see the errors above"
        )


def setup(app):
    app.add_node(
        quiz_node,
        html=(visit_quiz_html, None),
        latex=(skip_quiz, None),
        text=(skip_quiz, None),
        man=(skip_quiz, None),
        texinfo=(skip_quiz, None),
    )
    app.add_directive("quiz", QuizDirective)
    app.connect("builder-inited", _builder_inited)
    app.connect("env-get-outdated", _outdated)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("html-page-context", _html_page_context)
    app.connect("build-finished", _build_finished)
