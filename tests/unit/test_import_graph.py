"""No import cycles in eclictl/: modules form layers, each importing only below itself.

The graph is read from the source with `ast`: every `import` and `from ... import` statement at any
depth, including those inside functions (a lazy import is still a dependency, only a later one).
Relative imports are resolved; `from pkg import name` is an edge to `pkg.name` when that is a module,
else to `pkg` itself; importing a package is an edge to its `__init__` module, and importing a
submodule is an edge to that submodule only (not to the parent packages Python also initialises,
so a package re-exporting one of its own modules is no cycle). Not edges: imports under
`if TYPE_CHECKING:` (never run), imports of anything outside eclictl, and discovery by
`importlib.import_module` of computed names (a registry loading its plug-ins, not a dependency).
A strongly connected component (Tarjan) of more than one module, or a module importing itself, is a
cycle: the test names each one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import eclictl

ROOT = Path(eclictl.__file__).resolve().parent
PACKAGE = ROOT.name


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package (a package is its __init__)."""
    found: dict[str, Path] = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = [PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(node: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement under `node`, skipping the bodies of `if TYPE_CHECKING:`."""
    found: list[ast.Import | ast.ImportFrom] = []
    for child in ast.iter_child_nodes(node):
        kept = child.orelse if isinstance(child, ast.If) and _is_type_checking(child.test) else [child]
        for stmt in kept:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                found.append(stmt)
            else:
                found.extend(_import_nodes(stmt))
    return found


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom, known: set[str]) -> set[str]:
    """The eclictl modules one import statement loads (resolved, restricted to `known`)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names} & known
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    targets: set[str] = set()
    for alias in node.names:
        sub = f"{source}.{alias.name}"
        targets.add(sub if sub in known else source)
    return targets & known


def imports_of(module: str, is_package: bool, source: str, known: set[str]) -> set[str]:
    """The eclictl modules that `module` (whose text is `source`) imports anywhere."""
    tree = ast.parse(source)
    return set().union(*(_targets(module, is_package, node, known) for node in _import_nodes(tree)))


def import_graph() -> dict[str, set[str]]:
    """Module -> the eclictl modules it imports anywhere in its source."""
    files = _modules()
    known = set(files)
    return {module: imports_of(module, path.name == "__init__.py", path.read_text(encoding="utf-8"), known)
            for module, path in files.items()}


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the strongly connected components of `graph`, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    return sorted(c for c in strongly_connected(graph) if len(c) > 1 or c[0] in graph.get(c[0], ()))


def test_the_walker_resolves_every_form_of_import_and_skips_type_checking() -> None:
    source = """
import json
import eclictl.a
from eclictl import __version__
from . import b
from .c import thing
from .. import d
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from eclictl import e
else:
    from eclictl import f

def lazy():
    from eclictl.pkg import h
"""
    known = {"eclictl", "eclictl.a", "eclictl.d", "eclictl.e", "eclictl.f", "eclictl.pkg", "eclictl.pkg.b",
             "eclictl.pkg.c", "eclictl.pkg.h"}
    found = imports_of("eclictl.pkg.m", False, source, known)
    assert found == {"eclictl", "eclictl.a", "eclictl.pkg.b", "eclictl.pkg.c", "eclictl.d", "eclictl.f",
                     "eclictl.pkg.h"}
    assert imports_of("eclictl.pkg", True, "from . import b\nfrom .. import a", known) == {"eclictl.pkg.b",
                                                                                        "eclictl.a"}


def test_the_graph_covers_the_package_with_lazy_imports() -> None:
    graph = import_graph()
    assert len(graph) > 100 and f"{PACKAGE}.sandbox" in graph and f"{PACKAGE}.sections._spec" in graph
    assert f"{PACKAGE}.api.client" in graph[f"{PACKAGE}.context"]  # imported inside a method only
    assert f"{PACKAGE}.sandbox.handler" in graph[f"{PACKAGE}.sandbox"]
    assert all(t == PACKAGE or t.startswith(f"{PACKAGE}.") for targets in graph.values() for t in targets)


def test_tarjan_finds_exactly_the_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}, "f": {"d"}}
    assert cycles(graph) == [["a", "b", "c"], ["e"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    found = cycles(import_graph())
    assert not found, ("import cycles in eclictl/ (move what the modules share into a module below them, "
                       "e.g. eclictl/sections/_roles_lib.py):\n" + "\n".join(" <-> ".join(c) for c in found))
