"""The cheap determinism check of ``make test``: one chapter executed again, alone, gives the
numbers of the build.

The build ran its notebooks in worker processes, side by side (``book.site.execute``), and
took every output from its execution cache. Here one short chapter that draws random numbers
and moves weights with an optimizer (chapter 2's clipping page: a seeded batch, Keras
gradients, one SGD step with and without clipping, Adam) is executed once more, serially, in
a fresh kernel of the same kind (the build's kernel spec and environment), and every text it
printed or glued is compared with the notebook the built site offers for download
(``_build/html/_sources/``: the outputs of the cached execution). One difference fails the
test. The full serial-versus-parallel rebuild of every chapter is in the claims tier
(``tests/test_build.py::test_two_builds_give_the_same_numbers``, ``make test-claims``).
"""

from __future__ import annotations

import copy
import difflib
import os
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The chapter executed again: about 8 s in the build, random numbers, gradients and optimizer steps.
CHAPTER = "chapters/02_clipping"
#: Glued measurements of the machine, not results of the chapter's code: a cell that glues one
#: is left out of the comparison (``book.runtime.check_memory``'s peak memory of the kernel,
#: 595.7 MiB in the build and 584.8 MiB run alone, on 2026-12-04).
MEASUREMENTS = {"kernel_peak_memory_mb"}


def text_outputs(notebook) -> list[str]:
    """Every text output of ``notebook`` (but the cells that glue one of :data:`MEASUREMENTS`),
    in order, one entry per output: a glued value as
    ``glue NAME: value`` (myst-nb's scrapbook metadata), printed text as ``stdout: ...``,
    a result or display as ``text/plain: ...`` (also every ``application/papermill.record``
    and ``text/markdown`` / ``text/latex``). Images and HTML are left out (their bytes are not
    the claim, and a figure's HTML carries a random element id)."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or _glued_names(cell) & MEASUREMENTS:
            continue
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                found.append(f"cell {index} {output.get('name')}: {''.join(output.get('text', ''))}")
            elif kind == "error":
                found.append(f"cell {index} error: {output.get('ename')}: {output.get('evalue')}")
            elif kind in ("display_data", "execute_result"):
                name = (output.get("metadata") or {}).get("scrapbook", {}).get("name")
                label = f"glue {name}" if name else kind
                for mime, value in sorted(output.get("data", {}).items()):
                    if not compared(mime):
                        continue
                    text = value if isinstance(value, str) else "".join(value)
                    found.append(f"cell {index} {label} {mime}: {text}")
    return found


def _glued_names(cell) -> set[str]:
    return {
        (output.get("metadata") or {}).get("scrapbook", {}).get("name") for output in cell.get("outputs", [])
    } - {None}


def compared(mime: str) -> bool:
    return mime in ("text/plain", "text/markdown", "text/latex") or mime.startswith(
        "application/papermill.record/"
    )


def differences(expected, actual) -> list[str]:
    """A unified diff of the text outputs of two notebooks (empty if they agree)."""
    return list(difflib.unified_diff(text_outputs(expected), text_outputs(actual), lineterm="", n=1))


def without_outputs(notebook):
    fresh = copy.deepcopy(notebook)
    for cell in fresh.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return fresh


def _glued(name, value, *, text=None):
    return nbformat.v4.new_output(
        "display_data", data={"text/plain": text or repr(value)}, metadata={"scrapbook": {"name": name}}
    )


def test_a_changed_glued_value_or_printed_line_is_a_difference():
    """The comparison is live: a glued value, a printed line or a missing output differs."""
    code = nbformat.v4.new_code_cell("glue('step', 0.5)")
    code.outputs = [_glued("step", 0.5), nbformat.v4.new_output("stream", name="stdout", text="norm 12\n")]
    first = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# x"), code])
    assert differences(first, copy.deepcopy(first)) == []
    for change in (
        lambda nb: nb.cells[1].outputs[0].data.update({"text/plain": "0.5000001"}),
        lambda nb: nb.cells[1].outputs[1].update(text="norm 13\n"),
        lambda nb: nb.cells[1].outputs.pop(),
    ):
        second = copy.deepcopy(first)
        change(second)
        assert differences(first, second), change
    # a machine measurement is not compared
    memory = copy.deepcopy(first)
    memory.cells.append(nbformat.v4.new_code_cell("check_memory()"))
    memory.cells[-1].outputs = [_glued("kernel_peak_memory_mb", 595.7)]
    other = copy.deepcopy(memory)
    other.cells[-1].outputs = [_glued("kernel_peak_memory_mb", 584.8)]
    assert differences(memory, other) == []
    # an image is not compared
    image = copy.deepcopy(first)
    image.cells[1].outputs.append(nbformat.v4.new_output("display_data", data={"image/png": "AAAA"}))
    changed = copy.deepcopy(image)
    changed.cells[1].outputs[-1].data["image/png"] = "BBBB"
    assert differences(image, changed) == []


@pytest.mark.slow
def test_a_chapter_executed_again_alone_gives_the_numbers_of_the_build(built_site, tmp_path, monkeypatch):
    from book.site.execute import KERNEL_ENV, execute_notebook, install_kernel_spec

    built = nbformat.read(str(built_site.html / "_sources" / f"{CHAPTER}.ipynb"), as_version=4)
    glued = [line for line in text_outputs(built) if " glue " in line]
    assert len(glued) >= 10, f"the built site's {CHAPTER}.ipynb lacks the glued numbers: {glued}"
    # the build's kernel: its spec (memory-limited ipykernel) and its environment
    for key, value in KERNEL_ENV.items():
        monkeypatch.setenv(key, os.environ.get(key, value))
    monkeypatch.setenv("JUPYTER_PATH", os.environ.get("JUPYTER_PATH", ""))
    install_kernel_spec(tmp_path)
    source = ROOT / f"{CHAPTER}.md"
    result = execute_notebook(without_outputs(built), cwd=str(source.parent), timeout=300, allow_errors=False)
    assert result.err is None, result.exc_string
    diff = differences(built, result.nb)
    assert diff == [], f"{CHAPTER} executed again alone differs from the build:\n" + "\n".join(diff[:60])
