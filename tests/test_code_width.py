"""The code a reader sees fits the text column: 79 characters a line (issue 26). Fast, offline.

At desktop width (1280 px) the book's text column shows 79 characters of code: measured in
Chromium on the built site, a code cell shows 79, a few narrower places 75 to 77. A longer line
makes the reader scroll sideways, and the end of a line is what scrolls out of sight. So no
line the reader sees is longer than ``WIDTH``:

- the code of each ``{code-cell}`` of ``chapters/*.md``, ``summary_sheet.md`` and ``intro.md``
  (not its options: the ``:tags:`` lines or the ``---`` YAML header), unless the cell is
  tagged ``remove-cell`` or ``remove-input`` (then the reader never sees it);
- each plain ```` ```python ```` block of those files (the exercises' solutions);
- each function, method or class a chapter shows with ``{literalinclude}`` and ``:pyobject:``,
  found in its module with :mod:`ast` (decorators included), its ``:dedent:`` removed.

``tools/format_cells.py`` formats the cells (``ruff format --line-length 79``), and
``book/ruff.toml`` sets the same width for ``ruff format book``; what they cannot shorten (a
comment, a string, a docstring) is rewrapped by hand.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
#: Characters of code the text column shows at desktop width (1280 px).
WIDTH = 79
FILES = sorted((ROOT / "chapters").glob("*.md")) + [ROOT / "summary_sheet.md", ROOT / "intro.md"]
HIDDEN_TAGS = {"remove-cell", "remove-input"}
HINT = (
    "rewrap it: run `.venv/bin/python tools/format_cells.py` (cells) or `.venv/bin/ruff format book`, "
    "then shorten by hand what is still too long (comments, strings, docstrings)"
)

_FENCE = re.compile(r"^(?P<fence>`{3,})(?P<info>.*)$")


@dataclass
class Block:
    """Lines of code shown to the reader: ``lines[k]`` is line ``first + k`` of ``path``."""

    path: Path
    first: int
    lines: list[str]
    name: str


def _tags(options: list[str]) -> set[str]:
    """The tags of a cell, from its ``---`` YAML header or its ``:tags:`` line."""
    if options and options[0] == "---":
        header = yaml.safe_load("\n".join(options[1:-1])) or {}
        return set(header.get("tags", []))
    for line in options:
        key, _, value = line[1:].partition(":")
        if key.strip() == "tags":
            return set(yaml.safe_load(value))
    return set()


def code_blocks(path: Path) -> tuple[list[Block], list[tuple[int, str, dict[str, str]]]]:
    """The shown code of ``path`` (cells and ``python`` blocks), and its literalincludes.

    A literalinclude is ``(line, target, options)``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, includes = [], []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, info = match["fence"], match["info"].strip()
        end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == fence)
        body = lines[i + 1 : end]
        if info.startswith("{code-cell}"):
            n = 0
            if body and body[0] == "---":
                n = body.index("---", 1) + 1
            while n < len(body) and body[n].startswith(":"):
                n += 1
            if not _tags(body[:n]) & HIDDEN_TAGS:
                blocks.append(Block(path, i + 2 + n, body[n:], f"code cell at line {i + 1}"))
        elif info == "python":
            blocks.append(Block(path, i + 2, body, f"python block at line {i + 1}"))
        elif info.startswith("{literalinclude}"):
            options = {}
            for line in body:
                key, _, value = line[1:].partition(":")
                options[key.strip()] = value.strip()
            includes.append((i + 1, info.split(maxsplit=1)[1], options))
        i = end + 1
    return blocks, includes


def pyobject_lines(module: Path, name: str) -> tuple[int, list[str]]:
    """The first line number and the lines of ``name`` (``f`` or ``Class.method``) in ``module``.

    From its first decorator to its last line, and the comment lines right after it that are
    indented as its body (Sphinx shows them too)."""
    source = module.read_text(encoding="utf-8")
    lines = source.splitlines()
    body = ast.parse(source).body
    node = None
    for part in name.split("."):
        node = next(
            (
                n
                for n in body
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and n.name == part
            ),
            None,
        )
        if node is None:
            raise LookupError(f"{module.name} has no {name}")
        body = node.body
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    end = node.end_lineno
    indent = len(lines[node.lineno - 1]) - len(lines[node.lineno - 1].lstrip())
    while end < len(lines) and lines[end].lstrip().startswith("#"):
        if len(lines[end]) - len(lines[end].lstrip()) <= indent:
            break
        end += 1
    return start, lines[start - 1 : end]


def shown_includes(path: Path) -> list[Block]:
    """The code of each ``:pyobject:`` that ``path`` shows, as the reader sees it."""
    shown = []
    for line, target, options in code_blocks(path)[1]:
        assert "pyobject" in options, f"{path.name}:{line}: a literalinclude without :pyobject:"
        unsupported = set(options) - {"language", "pyobject", "dedent", "caption", "name"}
        assert not unsupported, f"{path.name}:{line}: options this test does not read: {unsupported}"
        module = (path.parent / target).resolve()
        first, lines = pyobject_lines(module, options["pyobject"])
        if options.get("dedent"):
            n = int(options["dedent"])
            lines = [text[n:] if text[:n].strip() == "" else text for text in lines]
        elif "dedent" in options:
            lines = textwrap.dedent("\n".join(lines)).splitlines()
        shown.append(Block(module, first, lines, f"{options['pyobject']} (shown in {path.name}:{line})"))
    return shown


def too_long(blocks: list[Block]) -> list[str]:
    """``file:line, block: n characters: code`` for each line longer than ``WIDTH``."""
    return [
        f"{_shown_path(block.path)}:{block.first + k}, {block.name}: {len(text)} characters: {text.strip()}"
        for block in blocks
        for k, text in enumerate(block.lines)
        if len(text) > WIDTH
    ]


def _shown_path(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_shown_code_cells_fit_the_text_column(path):
    long_lines = too_long(code_blocks(path)[0])
    assert not long_lines, f"longer than {WIDTH} characters ({HINT}):\n" + "\n".join(long_lines)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_literalincluded_code_fits_the_text_column(path):
    long_lines = too_long(shown_includes(path))
    assert not long_lines, f"longer than {WIDTH} characters ({HINT}):\n" + "\n".join(long_lines)


def test_the_check_sees_the_code():
    """The cells, blocks and shown objects are found, so the checks above cannot pass on nothing."""
    text = "".join(path.read_text(encoding="utf-8") for path in FILES)
    blocks = [block for path in FILES for block in code_blocks(path)[0]]
    includes = [block for path in FILES for block in shown_includes(path)]
    assert len(includes) == text.count("{literalinclude}") > 30
    cells = [block for block in blocks if block.name.startswith("code cell")]
    assert 100 < len(cells) < text.count("```{code-cell}") - 100  # the removed cells are not shown
    assert any(block.name.startswith("python block") for block in blocks)
    # a method (Class.method) with :dedent: is read as the reader sees it
    states = next(block for block in includes if block.name.startswith("TinyRNN.states"))
    assert states.lines[0].startswith("def states(")


def test_a_long_line_is_reported(tmp_path):
    chapter = tmp_path / "chapter.md"
    chapter.write_text(
        "```{code-cell} ipython3\n:tags: [hide-input]\nx = 1  # " + "a" * 80 + "\n```\n\n"
        "```{code-cell} ipython3\n:tags: [remove-cell]\ny = 2  # " + "b" * 80 + "\n```\n\n"
        "```{code-cell} ipython3\n---\ntags: [remove-input]\n---\nz = 3  # " + "c" * 80 + "\n```\n",
        encoding="utf-8",
    )
    blocks, _ = code_blocks(chapter)
    assert [len(block.lines) for block in blocks] == [1]
    assert [line.split(",")[0] for line in too_long(blocks)] == ["chapter.md:3"]


# ---- tools/format_cells.py

_spec = importlib.util.spec_from_file_location("format_cells", ROOT / "tools" / "format_cells.py")
format_cells = importlib.util.module_from_spec(_spec)
sys.modules["format_cells"] = format_cells  # its dataclasses look their module up
_spec.loader.exec_module(format_cells)


def test_the_cells_are_formatted():
    """``tools/format_cells.py --check``: every cell is as the script writes it (79 columns)."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "format_cells.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, "run `.venv/bin/python tools/format_cells.py`:\n" + proc.stdout + proc.stderr
    assert "skipped" not in proc.stdout, proc.stdout


def test_format_cells_lifts_a_hanging_comment_and_keeps_the_options(tmp_path):
    ruff = format_cells._ruff()
    code = "value = some_function(first_argument, second_argument)  # " + "a long comment " * 3 + "\n"
    formatted, error = format_cells.format_cell(code, ruff)
    assert error == ""
    assert (
        formatted
        == "# "
        + ("a long comment " * 3).rstrip()
        + "\nvalue = some_function(first_argument, second_argument)\n"
    )
    assert format_cells.format_cell(formatted, ruff) == (formatted, "")  # idempotent
    # a comment after the closing bracket of a statement written on several lines stays put
    written = "print(\n    1,\n    2,\n)  # about the 2\n"
    assert format_cells.format_cell(written, ruff) == (written, "")
    # options and fences are untouched, a magic is skipped
    chapter = tmp_path / "chapter.md"
    text = (
        "Text.\n\n```{code-cell} ipython3\n---\ntags: [hide-input]\n---\nx = [1,2]\n```\n\n"
        "```{code-cell} ipython3\n:tags: [remove-cell]\n%timeit f( 1 )\n```\n"
    )
    chapter.write_text(text, encoding="utf-8")
    report = format_cells.Report()
    assert format_cells.format_file(chapter, ruff, report, write=True)
    assert chapter.read_text(encoding="utf-8") == text.replace("[1,2]", "[1, 2]")
    assert len(report.changed_cells) == 1 and len(report.skipped) == 1
