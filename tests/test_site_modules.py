"""The build's modules (``book/site/``) form a clean hierarchy: no two of them import each
other, directly or through others, at the top of a module or inside a function (issue 27:
``quiz`` and ``mathrender`` did; the maths pass now finds quizzes through
:mod:`book.site.quiznodes`, which both import). Fast: the source is parsed, nothing runs."""

from __future__ import annotations

import ast
from pathlib import Path

SITE = Path(__file__).resolve().parent.parent / "book" / "site"


def site_imports(source: str, package: str = "book.site") -> set[str]:
    """The ``book.site`` modules that ``source`` imports, wherever the import statement is."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(package + "."):
                    found.add(alias.name.split(".")[2])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == package:
                found.update(alias.name for alias in node.names)
            elif node.module.startswith(package + "."):
                found.add(node.module.split(".")[2])
        elif isinstance(node, ast.ImportFrom) and node.level == 1:  # from . import x / from .x import y
            found.update([node.module.split(".")[0]] if node.module else [a.name for a in node.names])
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {path.stem: path for path in SITE.glob("*.py") if path.stem != "__init__"}
    return {
        name: site_imports(path.read_text(encoding="utf-8")) & set(modules) - {name}
        for name, path in modules.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle, each once, as the list of modules along it."""
    found, seen = [], set()

    def visit(node, path):
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                cycle = path[path.index(nxt) :]
                key = frozenset(cycle)
                if key not in seen:
                    seen.add(key)
                    found.append([*cycle, nxt])
            else:
                visit(nxt, [*path, nxt])

    for start in sorted(graph):
        visit(start, [start])
    return found


def test_the_build_modules_import_no_cycle():
    graph = import_graph()
    assert {"quiz", "mathrender", "quiznodes"} <= set(graph)
    assert "quiznodes" in graph["mathrender"] and "quiz" not in graph["mathrender"]
    assert cycles(graph) == [], "import cycles among book/site modules"


def test_the_cycle_check_finds_a_lazy_import_cycle():
    a = "from book.site import b\n"
    b = "def f():\n    from book.site.a import thing\n    import book.site.c\n"
    graph = {"a": site_imports(a), "b": site_imports(b), "c": set()}
    assert graph["b"] == {"a", "c"}
    assert cycles(graph) == [["a", "b", "a"]]
