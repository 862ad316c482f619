"""Format the code cells of the chapters with ``ruff format --line-length 79`` (issue 26).

At desktop width (1280 px) the book's text column shows 79 characters of code; a longer line
makes the reader scroll sideways. ``tests/test_code_width.py`` checks that every line a reader
sees fits; this script does the mechanical part for the ``{code-cell}`` blocks of
``chapters/*.md``, ``summary_sheet.md`` and ``intro.md``, and for their plain ```` ```python ````
blocks (the exercises' solutions, shown but not run):

- each cell's code goes through ``ruff format --line-length 79 --stdin-filename cell.py -``, run
  from the repository root so the rest of the configuration (``pyproject.toml``: target version,
  quote style) is the one ``book/`` uses;
- a trailing comment that ruff would leave hanging after a closing bracket (``x = f(`` / ``a``
  / ``)  # note``), or on a line too long that it cannot split, moves onto its own line above
  its statement, which ruff then joins again if it fits (:func:`lift_comments`);
- the cell's options are left as they are: a ``---`` YAML header, or the ``:key: value`` lines
  (``:tags: [...]``) at its top; so are the fences and everything outside the cells, and blank
  lines between the options and the code or before the closing fence, if any;
- cells tagged ``remove-cell`` (not shown to the reader) are formatted too, for one style
  throughout (their long lines are not reported);
- a cell ruff cannot parse (an IPython magic ``%...``, a ``!`` shell line) is left unchanged and
  reported.

``ruff format`` keeps the code's AST (and moving a comment changes no code), so the cells
compute the same values. What ruff cannot shorten (a long comment, string or f-string) in a
cell the reader sees is reported as a line longer than 79 characters, to be rewrapped by hand;
run the script again after editing: it changes nothing in a formatted cell (it is idempotent).

Usage (from anywhere; ruff is the one beside the Python that runs the script)::

    .venv/bin/python tools/format_cells.py           # rewrite the files, report what changed
    .venv/bin/python tools/format_cells.py --check   # change nothing; exit 1 if a cell would change
"""

from __future__ import annotations

import argparse
import difflib
import io
import shutil
import subprocess
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The width of code in the book's text column at desktop width (tests/test_code_width.py).
WIDTH = 79
CELL_START = "```{code-cell}"
#: A plain code block (the solutions of the exercises): shown, not run, formatted all the same.
BLOCK_START = "```python"
FENCE = "```"


def markdown_files(root: Path = ROOT) -> list[Path]:
    """The MyST Markdown files whose code cells are formatted."""
    return sorted((root / "chapters").glob("*.md")) + [root / "summary_sheet.md", root / "intro.md"]


def _ruff() -> str:
    beside = Path(sys.executable).parent / "ruff"
    found = str(beside) if beside.exists() else shutil.which("ruff")
    if not found:
        sys.exit("ruff not found: run this with the project's .venv/bin/python")
    return found


#: Tags that keep a cell's code from the reader.
HIDING_TAGS = ("remove-cell", "remove-input")


@dataclass
class Cell:
    """A code cell or ``python`` block: ``lines[start]`` is its opening fence, ``lines[end]`` its
    closing one."""

    start: int
    end: int
    options: list[str]  # the YAML header or the ``:key: value`` lines, as written
    code_start: int  # index in ``lines`` of the first line of code

    @property
    def hidden(self) -> bool:
        """Tagged ``remove-cell`` or ``remove-input``: the reader does not see its code."""
        return any(tag in line for line in self.options if "tags" in line for tag in HIDING_TAGS)


def find_cells(lines: list[str]) -> list[Cell]:
    """The code cells of a file given as ``str.splitlines(keepends=True)``."""
    cells = []
    i = 0
    while i < len(lines):
        opening = lines[i].rstrip("\r\n")
        if not (opening.startswith(CELL_START) or opening == BLOCK_START):
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip("\r\n") == FENCE), None)
        if end is None:
            raise ValueError(f"the code block opened on line {i + 1} is not closed")
        body = lines[i + 1 : end]
        n_options = 0
        if opening == BLOCK_START:
            pass  # no options
        elif body and body[0].rstrip() == "---":
            n_options = next(k for k in range(1, len(body)) if body[k].rstrip() == "---") + 1
        while n_options < len(body) and body[n_options].startswith(":"):
            n_options += 1
        cells.append(Cell(i, end, body[:n_options], i + 1 + n_options))
        i = end + 1
    return cells


@dataclass
class Report:
    changed_cells: list[str] = field(default_factory=list)
    changed_lines: int = 0
    skipped: list[str] = field(default_factory=list)
    long_lines: list[str] = field(default_factory=list)


def format_code(code: str, ruff: str) -> tuple[str | None, str]:
    """``code`` as ruff formats it, or ``None`` and ruff's message when it cannot parse it."""
    proc = subprocess.run(
        [ruff, "format", "--line-length", str(WIDTH), "--stdin-filename", "cell.py", "-"],
        input=code,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        message = (proc.stderr or proc.stdout).strip().splitlines()
        return None, message[0] if message else f"ruff exited with {proc.returncode}"
    return proc.stdout, ""


#: Comments that tools read where they are: never moved.
PRAGMAS = ("# noqa", "# type:", "# fmt:", "# pragma", "# codespell")


@dataclass
class Comment:
    """A comment token, and the statement it is in (rows count from 1)."""

    row: int
    column: int
    text: str
    statement_start: int | None  # first row of the statement it follows; None: a comment line
    ends_statement: bool  # the statement's last token is on its line, before it


def _comments(code: str) -> list[Comment] | None:
    """The comments of ``code`` in order; ``None`` if it does not tokenize."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    comments = []
    start = None  # first row of the current statement
    for k, token in enumerate(tokens):
        if token.type == tokenize.NEWLINE:
            start = None
        elif token.type == tokenize.COMMENT:
            ends = start is not None and k + 1 < len(tokens) and tokens[k + 1].type == tokenize.NEWLINE
            comments.append(Comment(*token.start, token.string, start, ends))
        elif start is None and token.type not in (tokenize.NL, tokenize.INDENT, tokenize.DEDENT):
            start = token.start[0]
    return comments


def _words(comment: Comment) -> str:
    return comment.text.lstrip("#").strip()  # ruff may add the space after ``#``


def lift_comments(code: str, formatted: str) -> str:
    """``code`` with the trailing comments that ruff leaves hanging moved above their statements.

    ``formatted`` is ``code`` as ruff formats it. A one-line statement too long with its
    trailing comment is split by ruff, and the comment ends up after the closing bracket, on a
    line of its own; a statement ruff cannot split stays too long. Such a comment moves onto its
    own line above the statement, at its indentation, and ruff formatting the result joins the
    statement again if it fits. Only comments after the last token of a statement written on one
    line move (in a statement written over several lines, a comment after the closing bracket
    may be about its last element), and never a pragma (``# noqa``...). Code that does
    not tokenize, or whose comments ruff changed, is returned unchanged.
    """
    written, placed = _comments(code), _comments(formatted)
    if written is None or placed is None or list(map(_words, written)) != list(map(_words, placed)):
        return code
    shown = formatted.splitlines()
    lifts = [
        before
        for before, after in zip(written, placed, strict=True)
        if before.ends_statement
        and before.statement_start == before.row  # written on one line
        and after.ends_statement
        and (after.statement_start < after.row or len(shown[after.row - 1]) > WIDTH)
        and not before.text.startswith(PRAGMAS)
    ]
    lines = code.splitlines(keepends=True)
    for comment in reversed(lifts):
        line = lines[comment.row - 1]
        ending = line[len(line.rstrip("\r\n")) :] or "\n"
        lines[comment.row - 1] = line[: comment.column].rstrip() + ending
        indent = line[: len(line) - len(line.lstrip())]
        lines.insert(comment.row - 1, indent + line[comment.column :].rstrip("\r\n") + ending)
    return "".join(lines)


def format_cell(code: str, ruff: str) -> tuple[str | None, str]:
    """``code`` formatted and its hanging comments lifted, or ``None`` and ruff's message.

    Repeated until nothing changes, so that formatting the result again changes nothing."""
    current = code
    for _ in range(10):
        formatted, error = format_code(current, ruff)
        if formatted is None:
            return None, error
        lifted = lift_comments(current, formatted)
        if lifted != current:
            current = lifted
        elif formatted != current:
            current = formatted  # a line ruff joined may now be a one-line statement to lift
        else:
            return formatted, ""
    raise RuntimeError(f"formatting does not settle:\n{code}")


def format_file(path: Path, ruff: str, report: Report, write: bool) -> bool:
    """Format the code cells of ``path``; True if any changed."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
    out: list[str] = []
    done = 0
    for cell in find_cells(lines):
        where = f"{name}:{cell.start + 1}"
        first = cell.code_start
        while first < cell.end and not lines[first].strip():
            first += 1  # blank lines between the options and the code stay
        last = cell.end
        while last > first and not lines[last - 1].strip():
            last -= 1  # and so do blank lines before the closing fence
        out.extend(lines[done:first])
        done = first
        code = "".join(lines[first:last])
        if not code.strip():
            continue
        formatted, error = format_cell(code, ruff)
        if formatted is None:
            report.skipped.append(f"{where}: {error}")
            continue
        new_lines = formatted.splitlines(keepends=True)
        if formatted != code:
            report.changed_cells.append(where)
            diff = difflib.ndiff(code.splitlines(), formatted.splitlines())
            report.changed_lines += sum(1 for d in diff if d.startswith("- "))
        if not cell.hidden:
            for k, line in enumerate(new_lines):
                width = len(line.rstrip("\r\n"))
                if width > WIDTH:  # numbered as in the formatted file
                    report.long_lines.append(f"{name}:{len(out) + 1 + k}: {width} characters")
        out.extend(new_lines)
        done = last
    out.extend(lines[done:])
    new_text = "".join(out)
    if new_text != text and write:
        path.write_text(new_text, encoding="utf-8")
    return new_text != text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a cell would change")
    parser.add_argument(
        "files", nargs="*", type=Path, help="default: chapters/*.md, summary_sheet.md, intro.md"
    )
    args = parser.parse_args(argv)
    ruff = _ruff()
    report = Report()
    files = [path.resolve() for path in args.files] or markdown_files()
    changed_files = [path for path in files if format_file(path, ruff, report, write=not args.check)]
    verb = "would change" if args.check else "changed"
    print(
        f"{len(report.changed_cells)} cells {verb} ({report.changed_lines} lines) "
        f"in {len(changed_files)} of {len(files)} files"
    )
    for cell in report.changed_cells:
        print(f"  {verb}: {cell}")
    for skipped in report.skipped:
        print(f"  skipped (ruff cannot parse it): {skipped}")
    if report.long_lines:
        print(
            f"{len(report.long_lines)} lines of shown cells are longer than {WIDTH} characters (fix by hand):"
        )
        for line in report.long_lines:
            print(f"  {line}")
    return 1 if args.check and changed_files else 0


if __name__ == "__main__":
    sys.exit(main())
