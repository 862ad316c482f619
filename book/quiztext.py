"""Quiz text: one tokenizer of a quiz string, for the validator and the renderer alike.

A question, answer or feedback of a quiz (``quizzes/*.json``) is plain text with five
kinds of markup: `` `code` ``, ``$math$``, ``$$display math$$``, ``[text](target)`` and
``<https://...>``; ``\\$`` is a literal dollar. :func:`tokens` splits a string into
those pieces in one left-to-right pass, and everything that reads quiz text uses it:

- :mod:`book.quizzes` validates each piece (:func:`text_problems`): unclosed code spans or
  math, markup (a tag, an event attribute), a link whose target is not an http(s) or
  mailto address or a relative path, and in the maths, any TeX command or environment
  outside :data:`TEX_COMMANDS` / :data:`TEX_ENVIRONMENTS` (an allowlist: the commands the
  course's quizzes and chapters use; none of them can make a link, an attribute, a style
  or a request to another host), a character TeX would read as markup, or braces nested
  deeper than :data:`MAX_BRACE_DEPTH`;
- :mod:`book.site.mathrender` collects the formulas to typeset (:func:`formulas`);
- :mod:`book.site.quiz` renders each string (:func:`render`): text is HTML-escaped, code
  spans become ``<code>``, formulas their typeset markup, links ``<a>`` elements; the
  characters jupyterquiz would still act on (``$``, ``[``, ``]``) are written as character
  references, so the browser inserts exactly what the build produced.

Before this module, the validator skipped backtick spans while the renderer typeset
``$...$`` first: ``"$`$ <img src=x onerror=alert(1)> `"`` passed one and became a tag
in the other. One tokenizer means both agree on where every piece starts and ends.

Linear time: the scanner visits each character a bounded number of times (no regular
expression with backtracking; a ``[`` that does not open a link is given up at the first
character that cannot continue it).
"""

from __future__ import annotations

import html.entities
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

#: TeX commands a quiz formula may use: the commands of the course's quizzes and chapters
#: (collected from every formula the build typeset, 3 December 2026). None of them makes a
#: link (``\href``, ``\url``), an attribute (``\mmlToken``, ``\class``, ``\cssId``,
#: ``\data``), a style or background (``\style``, ``\bbox``, ``\color``), or loads anything
#: (``\require``). Add one only after checking that: ``tests/test_quiztext.py`` typesets
#: every entry and checks MathJax's output.
TEX_COMMANDS = frozenset(
    {
        "Big",
        "alpha",
        "approx",
        "begin",
        "beta",
        "big",
        "cdot",
        "cdots",
        "delta",
        "dfrac",
        "dots",
        "end",
        "frac",
        "gamma",
        "ge",
        "geq",
        "hat",
        "in",
        "lVert",
        "lambda",
        "le",
        "left",
        "leftarrow",
        "ln",
        "mathbb",
        "mathrm",
        "mid",
        "ne",
        "neq",
        "odot",
        "operatorname",
        "partial",
        "prod",
        "propto",
        "qquad",
        "rVert",
        "rho",
        "right",
        "sigma",
        "sqrt",
        "sum",
        "tanh",
        "tau",
        "text",
        "tilde",
        "times",
        "to",
        "top",
        "underbrace",
        "varepsilon",
    }
)
#: TeX control symbols (a backslash and one character): spaces, a line break, and the
#: characters TeX would otherwise read as markup, written literally.
TEX_SYMBOLS = frozenset(
    {",", ";", "!", " ", "\\", "{", "}", "$", "%", "_", "&", "#", "|"}
)
#: Environments (``\begin{...}``) a quiz formula may use: those of the quizzes and chapters.
TEX_ENVIRONMENTS = frozenset({"aligned", "cases", "pmatrix", "split"})
#: Characters of a formula besides letters, digits and spaces. Not: ``%`` (a TeX comment
#: would hide the rest), ``#`` (a macro parameter), ``"`` and `` ` ``, ``~``, ``@``.
TEX_PUNCTUATION = frozenset("!&'()*+,-./:;<=>?[]^_|{}\\")
#: Braces nested deeper than this are refused (MathJax parses them recursively).
MAX_BRACE_DEPTH = 12
#: Characters of one quiz string (a question is a few hundred).
MAX_LENGTH = 20_000

#: The fields of a question, and of each answer, that are quiz text (maths, code spans, links),
#: and the field shown as code, as it is.
QUESTION_TEXT_FIELDS = ("question",)
ANSWER_TEXT_FIELDS = ("answer", "feedback")
CODE_FIELD = "code"

#: Link targets allowed in quiz text, besides relative paths and #anchors.
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
#: Characters that end a link target: the target of a link is given up there.
_URL_STOP = frozenset(" \t\r\n\"'<>`\\()[]{}")
#: Bidirectional-text controls: they can make a quiz read differently from what it says.
_BIDI = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
#: Words starting with "on" followed by "=" that are English, not event attributes.
_NOT_EVENTS = frozenset(
    {"once", "ones", "only", "onset", "onto", "onward", "onwards"}
)


class QuizTextError(ValueError):
    """A quiz string that cannot be split into its pieces (an unclosed span or formula)."""


@dataclass(frozen=True)
class Token:
    """One piece of a quiz string.

    ``kind`` is ``text``, ``code``, ``math`` (inline), ``display``, ``dollar`` (a literal
    ``$``), ``link`` or ``autolink``; ``value`` the text, code, TeX or link target;
    ``label`` the text of a ``[label](target)`` link; ``start`` its offset in the string.
    """

    kind: str
    value: str
    start: int
    label: str = ""


# --------------------------------------------------------------------------- scanning


def _math_end(text: str, start: int, display: bool) -> int:
    """Offset of the ``$`` (or ``$$``) closing the formula that starts at ``start``, or -1.

    A backslash escapes the next character (``\\$`` is a dollar inside TeX, ``\\\\`` a
    line break), so each character is looked at once.
    """
    i, n = start, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "$":
            if not display:
                return i
            if i + 1 < n and text[i + 1] == "$":
                return i
            raise QuizTextError(
                f"has a single $ inside $$...$$ (at character {i + 1})"
            )
        i += 1
    return -1


def _link_at(text: str, i: int):
    """``(label, target, end)`` if ``text[i:]`` starts a ``[label](target)`` link, else None.

    Gives up at the first character that cannot continue it, so a text full of ``[`` or
    ``[a](`` costs a bounded number of steps per character.
    """
    n = len(text)
    j = i + 1
    while j < n and text[j] not in "[]\n":
        j += 1
    if j >= n or text[j] != "]" or j + 1 >= n or text[j + 1] != "(":
        return None
    k = j + 2
    while k < n and text[k] not in _URL_STOP:
        k += 1
    if k >= n or text[k] != ")" or k == j + 2:
        return None
    return text[i + 1 : j], text[j + 2 : k], k + 1


def _autolink_at(text: str, i: int):
    """``(target, end)`` if ``text[i:]`` starts ``<http://...>`` or ``<https://...>``, else None."""
    if not (text.startswith("<http://", i) or text.startswith("<https://", i)):
        return None
    n = len(text)
    k = i + 1
    while k < n and text[k] not in _URL_STOP:
        k += 1
    if k >= n or text[k] != ">":
        return None
    return text[i + 1 : k], k + 1


def tokens(text: str) -> list[Token]:
    """Split a quiz string into :class:`Token` s, left to right; raise :class:`QuizTextError`.

    What opens first wins: a backtick opens a code span that runs to the next backtick on
    the same line (a ``$`` inside is code); a ``$`` opens a formula that runs to the next
    unescaped ``$`` (``$$``: to the next ``$$``; a backtick inside is TeX, and refused by
    :func:`tex_problem`). ``\\$`` outside a formula is a literal dollar.
    """
    out: list[Token] = []
    buf: list[str] = []
    buf_start = 0
    i, n = 0, len(text)

    def flush(at: int) -> None:
        nonlocal buf_start
        if buf:
            out.append(Token("text", "".join(buf), buf_start))
            buf.clear()
        buf_start = at

    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] == "$":
            flush(i)
            out.append(Token("dollar", "$", i))
            i += 2
            buf_start = i
            continue
        if c == "`":
            j = i + 1
            while j < n and text[j] not in "`\n":
                j += 1
            if j >= n or text[j] != "`":
                raise QuizTextError(
                    f"has a ` (at character {i + 1}) that opens a code span no ` closes on the same line"
                )
            if j == i + 1:
                raise QuizTextError(
                    f"has an empty code span `` (at character {i + 1})"
                )
            flush(i)
            out.append(Token("code", text[i + 1 : j], i))
            i = j + 1
            buf_start = i
            continue
        if c == "$":
            display = i + 1 < n and text[i + 1] == "$"
            begin = i + (2 if display else 1)
            end = _math_end(text, begin, display)
            if end < 0:
                raise QuizTextError(
                    "has an unbalanced $ (math is written $...$; a dollar sign is \\$)"
                    f" (the $ at character {i + 1} is never closed)"
                )
            tex = text[begin:end]
            if not tex.strip():
                raise QuizTextError(
                    f"has an empty formula (at character {i + 1})"
                )
            flush(i)
            out.append(Token("display" if display else "math", tex, i))
            i = end + (2 if display else 1)
            buf_start = i
            continue
        if c == "[":
            link = _link_at(text, i)
            if link:
                flush(i)
                label, target, end = link
                out.append(Token("link", target, i, label))
                i = end
                buf_start = i
                continue
        if c == "<":
            auto = _autolink_at(text, i)
            if auto:
                flush(i)
                target, end = auto
                out.append(Token("autolink", target, i))
                i = end
                buf_start = i
                continue
        if not buf:
            buf_start = i
        buf.append(c)
        i += 1
    flush(n)
    return out


def formulas(text) -> list[tuple[str, bool]]:
    """``[(tex, display), ...]`` of a quiz string, in order (``[]`` if it does not tokenize)."""
    if not isinstance(text, str):
        return []
    try:
        found = tokens(text)
    except QuizTextError:
        return []
    return [
        (t.value, t.kind == "display")
        for t in found
        if t.kind in ("math", "display")
    ]


# --------------------------------------------------------------------------- checks


def string_problem(text: str) -> str | None:
    """Why ``text`` is not valid text for a page (a lone surrogate, a control character), or None."""
    if len(text) > MAX_LENGTH:
        return f"is {len(text):,} characters long: a quiz text has at most {MAX_LENGTH:,}"
    for i, c in enumerate(text):
        code = ord(c)
        if 0xD800 <= code <= 0xDFFF:
            return (
                f"contains a lone surrogate (\\u{code:04x}, at character {i + 1}): "
                "not a Unicode character, it cannot be written to a page"
            )
        if c in _BIDI:
            return (
                f"contains the invisible bidirectional-text control U+{code:04X} (at character {i + 1}): "
                "it can make the text read differently from what it says"
            )
        if (unicodedata.category(c) == "Cc" and c not in "\n\t") or code in (
            0xFFFE,
            0xFFFF,
        ):
            return f"contains the control character U+{code:04X} (at character {i + 1})"
    return None


def tex_problem(tex: str) -> str | None:
    """Why the TeX of a quiz formula is refused, or None.

    Each command must be in :data:`TEX_COMMANDS` (or a control symbol of
    :data:`TEX_SYMBOLS`), each environment in :data:`TEX_ENVIRONMENTS`; braces balance and
    nest at most :data:`MAX_BRACE_DEPTH` deep; other characters are letters, digits,
    spaces and :data:`TEX_PUNCTUATION`.
    """
    i, n, depth = 0, len(tex), 0
    while i < n:
        c = tex[i]
        if c == "\\":
            j = i + 1
            while j < n and ("a" <= tex[j] <= "z" or "A" <= tex[j] <= "Z"):
                j += 1
            if j > i + 1:
                name = tex[i + 1 : j]
                if name not in TEX_COMMANDS:
                    return (
                        f"uses the TeX command \\{name}, which quizzes may not use (allowed: the commands "
                        "of book.quiztext.TEX_COMMANDS, those the course's formulas use)"
                    )
                if name in ("begin", "end"):
                    k = j
                    while k < n and tex[k] == " ":
                        k += 1
                    close = tex.find("}", k)
                    if k >= n or tex[k] != "{" or close < 0:
                        return f"has \\{name} without an environment name in braces"
                    env = tex[k + 1 : close]
                    if env not in TEX_ENVIRONMENTS:
                        return (
                            f"uses the TeX environment {env!r}, which quizzes may not use (allowed: "
                            f"{', '.join(sorted(TEX_ENVIRONMENTS))})"
                        )
                    i = close + 1
                    continue
                i = j
                continue
            if j < n and tex[j] in TEX_SYMBOLS:
                i = j + 1
                continue
            shown = repr(tex[j]) if j < n else "nothing"
            return f"has a backslash followed by {shown}, which is not a TeX command quizzes may use"
        if c == "{":
            depth += 1
            if depth > MAX_BRACE_DEPTH:
                return f"nests braces more than {MAX_BRACE_DEPTH} deep"
        elif c == "}":
            depth -= 1
            if depth < 0:
                return "has a } that closes no {"
        elif not (
            c.isalnum()
            or c.isspace()
            or c in TEX_PUNCTUATION
            or _math_symbol(c)
        ):
            return f"has the character {c!r} in a formula (not allowed in a quiz's TeX)"
        i += 1
    if depth:
        return "has a { that no } closes"
    return None


def _math_symbol(c: str) -> bool:
    """A non-ASCII mathematical or other symbol (``≤``, ``→``), which TeX shows as it is."""
    return ord(c) > 127 and unicodedata.category(c) in ("Sm", "So")


def _event_attribute(text: str) -> str | None:
    """An HTML event attribute in ``text`` (``onerror=``, ``onclick =``), or None.

    A word of at least five letters starting with "on", followed by optional spaces and
    ``=``, and not one of the English words of ``_NOT_EVENTS``. One pass over the text.
    """
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isalpha() or c == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            word = text[i:j]
            if (
                word.lower().startswith("on")
                and len(word) >= 5
                and word.isalpha()
            ):
                k = j
                while k < n and text[k] in " \t\n":
                    k += 1
                if (
                    k < n
                    and text[k] == "="
                    and word.lower() not in _NOT_EVENTS
                ):
                    return text[i : k + 1]
            i = j
        else:
            i += 1
    return None


def _tag(text: str) -> str | None:
    """The start of an HTML tag, end tag or comment in ``text`` (``<img``, ``</b``, ``<!--``), or None.

    After ``<``, a letter, ``/``, ``!`` or ``?`` opens one in HTML; ``x < 1``, ``a <= b``
    and ``i<5`` stay text.
    """
    at = text.find("<")
    while at >= 0:
        nxt = text[at + 1 : at + 2]
        if nxt and (nxt.isascii() and nxt.isalpha() or nxt in "/!?"):
            end = at + 1
            while (
                end < len(text)
                and end < at + 13
                and not text[end].isspace()
                and text[end] != ">"
            ):
                end += 1
            return text[at:end]
        at = text.find("<", at + 1)
    return None


def link_problem(target: str) -> str | None:
    """Why a link target is refused (a scheme other than http, https or mailto), or None."""
    import html as html_module

    plain = html_module.unescape(target)
    colon = plain.find(":")
    scheme = plain[:colon] if colon > 0 else ""
    looks_like_scheme = (
        bool(scheme)
        and scheme[0].isalpha()
        and all(c.isalnum() or c in "+.-" for c in scheme)
    )
    if any(c in _URL_STOP or ord(c) < 32 or ord(c) == 127 for c in plain) or (
        looks_like_scheme and scheme.lower() not in SAFE_SCHEMES
    ):
        return (
            f"has a link to {target!r}: a link in a quiz goes to an http(s) or mailto address "
            "or a relative path, without spaces or quotes"
        )
    if "&" in target and plain != target:
        return f"has a link to {target!r}: write the target without character references"
    return None


# Markdown emphasis (**word**, *word*, _word_): jupyterquiz does not render Markdown, so the
# marks would show. Looked for in plain text only (in `code` and $math$, * and _ are literal).
# Each alternative is a bounded run of one kind of character: no backtracking blow-up.
_EMPHASIS = re.compile(
    r"\*\*(?=\S)[^*\n]{1,200}?(?<=\S)\*\*"  # **strong**
    r"|(?<![\w*\\])\*(?=[^\s*])[^*\n]{1,200}?(?<=[^\s*])\*(?![\w*])"  # *emphasis*, not 2*n or a * b
    r"|(?<![\w\\])_(?=[^\s_])[^_\n]{1,200}?(?<=[^\s_])_(?!\w)"  # _emphasis_, not n_h
)


def text_problems(text: str, *, code: bool = False) -> list[str]:
    """Every reason ``text`` (one field of a quiz) is refused; ``[]`` if it is fine.

    ``code=True`` is for a question's or answer's ``code`` field: plain text shown as code
    (no backticks, links or maths; still no tag, since a reader's notebook shows it as
    HTML).
    """
    why = string_problem(text)
    if why:
        return [why]
    problems: list[str] = []
    if code:
        pieces = [Token("text", text, 0)]
    else:
        try:
            pieces = tokens(text)
        except QuizTextError as err:
            return [str(err)]
    for piece in pieces:
        if piece.kind == "text":
            tag = piece.value and _tag(piece.value)
            if tag:
                problems.append(
                    f"contains HTML markup ({tag!r}): quiz text is plain text, put into the page as HTML; "
                    "write code in backticks, and a literal '<' before a letter as '&lt;'"
                )
            event = _event_attribute(piece.value)
            if event:
                problems.append(
                    f"contains an HTML event attribute ({event!r}): quiz text is plain text"
                )
            emphasis = None if code else _EMPHASIS.search(piece.value)
            if emphasis:
                problems.append(
                    f"uses Markdown emphasis ({emphasis.group(0)!r}): quiz text is shown as plain text, so the "
                    "marks would appear on the page; write the words without them"
                )
            at = -1 if code else piece.value.find("](")
            if at >= 0:
                # what jupyterquiz's own link syntax would take as the target (up to a ")")
                rest = piece.value[at + 2 : at + 302]
                target = rest[
                    : min(
                        (rest.find(c) for c in ")\n" if c in rest),
                        default=len(rest),
                    )
                ]
                problems.append(
                    link_problem(target)
                    or "has something that looks like a link but is not one: a link is [text](target), the "
                    "target an http(s) or mailto address or a relative path, without spaces, quotes or brackets"
                )
        elif piece.kind in ("link", "autolink"):
            why = link_problem(piece.value)
            if why:
                problems.append(why)
            if piece.kind == "link" and (
                _tag(piece.label) or _event_attribute(piece.label)
            ):
                problems.append(
                    f"has markup in the text of a link ({piece.label!r})"
                )
        elif piece.kind in ("math", "display"):
            why = tex_problem(piece.value)
            if why:
                problems.append(f"{why} (in the formula ${piece.value}$)")
    return list(dict.fromkeys(problems))


# --------------------------------------------------------------------------- rendering

#: Characters written as character references in rendered quiz text: HTML's own, and
#: those jupyterquiz would still turn into markup (``$`` into math delimiters, ``[...](...)``
#: into a link).
_REFERENCES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#39;",
    "$": "&#36;",
    "[": "&#91;",
    "]": "&#93;",
    "`": "&#96;",
    "\\": "&#92;",
}


def escape(text: str) -> str:
    """``text`` as HTML text (or an attribute value) that jupyterquiz leaves as it is."""
    return "".join(_REFERENCES.get(c, c) for c in text)


def _character_reference(text: str, i: int) -> int:
    """End of a well-formed character reference at ``text[i]`` (``&lt;``, ``&#60;``), else -1."""
    end = text.find(";", i + 1, i + 40)
    if end < 0:
        return -1
    body = text[i + 1 : end]
    if body.startswith("#"):
        digits = body[1:]
        try:
            code = (
                int(digits[1:], 16)
                if digits[:1] in ("x", "X")
                else int(digits, 10)
            )
        except ValueError:
            return -1
        if (
            not digits
            or code == 0
            or code > 0x10FFFF
            or 0xD800 <= code <= 0xDFFF
        ):
            return -1
        return end + 1
    return end + 1 if f"{body};" in html.entities.html5 else -1


def escape_text(text: str) -> str:
    """:func:`escape`, keeping well-formed character references (``&lt;``, ``&#8804;``) as they are.

    A reference becomes a character when the browser parses it (never a tag), so authors
    may keep writing ``&lt;`` for a literal ``<``.
    """
    out, i, n = [], 0, len(text)
    while i < n:
        if text[i] == "&":
            end = _character_reference(text, i)
            if end > 0:
                out.append(text[i:end])
                i = end
                continue
        out.append(_REFERENCES.get(text[i], text[i]))
        i += 1
    return "".join(out)


def render(text: str, typeset: Callable[[str, bool], str]) -> str:
    """The HTML of a validated quiz string: escaped text, ``<code>``, typeset maths, links.

    ``typeset(tex, display)`` returns a formula's markup (MathJax's SVG). The result has
    no ``$``, ``[``, ``]`` or backtick of its own, so jupyterquiz's ``jaxify`` finds
    nothing to convert: the page shows exactly this.
    """
    parts = []
    for piece in tokens(text):
        if piece.kind == "text":
            parts.append(escape_text(piece.value))
        elif piece.kind == "dollar":
            parts.append("&#36;")
        elif piece.kind == "code":
            parts.append(f"<code>{escape(piece.value)}</code>")
        elif piece.kind in ("math", "display"):
            markup = typeset(piece.value, piece.kind == "display")
            parts.append(f'<span class="math">{inert(markup)}</span>')
        else:
            label = piece.label if piece.kind == "link" else piece.value
            parts.append(
                f'<a href="{escape(piece.value)}" target="_blank" rel="noopener noreferrer" '
                f'class="Quiz JQLink">{escape_text(label)}</a>'
            )
    return "".join(parts)


def inert(markup: str) -> str:
    """Typeset markup with ``$``, ``[``, ``]`` and backticks as character references
    (``jaxify`` would read them as maths or links)."""
    return (
        markup.replace("$", "&#36;")
        .replace("[", "&#91;")
        .replace("]", "&#93;")
        .replace("`", "&#96;")
    )


def render_code(text: str) -> str:
    """The HTML of a ``code`` field: the text as it is (jupyterquiz puts it in ``<pre><code>``)."""
    return escape(text)


def texts(questions) -> Iterator[str]:
    """Every question, answer and feedback string of ``questions``."""
    for question in questions:
        for key in QUESTION_TEXT_FIELDS:
            if isinstance(question.get(key), str):
                yield question[key]
        for answer in question.get("answers", []):
            for key in ANSWER_TEXT_FIELDS:
                if isinstance(answer.get(key), str):
                    yield answer[key]


def render_questions(
    questions, typeset: Callable[[str, bool], str]
) -> list[dict]:
    """A copy of validated ``questions`` whose text fields are HTML (:func:`render`) and whose
    ``code`` fields are escaped; ``typeset(tex, display)`` gives a formula's markup."""

    def fields(item: dict, text_fields) -> dict:
        copy = dict(item)
        for key in text_fields:
            if isinstance(copy.get(key), str):
                copy[key] = render(copy[key], typeset)
        if isinstance(copy.get(CODE_FIELD), str):
            copy[CODE_FIELD] = render_code(copy[CODE_FIELD])
        return copy

    rendered = []
    for question in questions:
        copy = fields(question, QUESTION_TEXT_FIELDS)
        copy["answers"] = [
            fields(answer, ANSWER_TEXT_FIELDS)
            for answer in question.get("answers", [])
        ]
        rendered.append(copy)
    return rendered


def notebook_typeset(tex: str, display: bool) -> str:
    """A formula for a notebook's own MathJax: ``\\(...\\)`` or ``\\[...\\]`` around the escaped TeX
    (:func:`book.quizzes.show`; the site typesets at build time instead)."""
    return (
        ("\\[" if display else "\\(")
        + escape(tex)
        + ("\\]" if display else "\\)")
    )
