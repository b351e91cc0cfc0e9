"""Every write eclictl can send has a retry declaration (eclictl/api/writes.txt), and it is honoured.

Three sources of routes are checked against the table: the write call sites in the source (found
by reading it), the generated `delete` verbs of the sections, and the sandbox's write routes (the
stand-in for every route the verbs use). An undeclared write is never re-sent once it may have
reached the panel, so a missing declaration is safe but slow to recover: the test names it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from eclictl.api import writes
from eclictl.api.writes import ONCE, REPEATABLE, WRITES, lookup, may_resend

ROOT = Path(__file__).resolve().parents[2] / "eclictl"
WRITE_NAMES = {"put": "PUT", "post": "POST", "delete": "DELETE", "patch": "PATCH"}


def test_the_table_lists_each_route_once_with_a_policy_and_a_reason() -> None:
    seen = set()
    for w in WRITES:
        assert w.method in writes.WRITE_METHODS and w.path.startswith("/"), w
        assert w.policy in (REPEATABLE, ONCE) and len(w.reason) > 8, w
        assert (w.method, w.path) not in seen, w
        seen.add((w.method, w.path))
    assert lookup("PUT", "/api/admin/tickets/24").policy == ONCE
    assert lookup("DELETE", "/api/admin/shorturls/6").policy == REPEATABLE
    assert lookup("POST", "/api/admin/eggs/import").path == "/api/admin/eggs/import"  # literal beats :id
    assert lookup("PUT", "/api/admin/users/5?x=1").path == "/api/admin/users/:id"


def test_the_table_file_expands_gone_and_refuses_a_malformed_line(tmp_path: Path) -> None:
    table = tmp_path / "writes.txt"
    table.write_text("# comment\n\nDELETE  /api/x/:id  repeatable  =gone; and its rows\nPOST /api/y once acts\n")
    rows = writes._load(table)
    assert [(w.method, w.path, w.policy) for w in rows] == [("DELETE", "/api/x/:id", REPEATABLE), ("POST", "/api/y", ONCE)]
    assert rows[0].reason == writes._GONE + "; and its rows" and rows[1].reason == "acts"
    table.write_text("POST /api/y sometimes acts\n")
    with pytest.raises(ValueError, match="writes.txt:1: expected METHOD PATH"):
        writes._load(table)


@pytest.mark.parametrize("method, path, allowed", [
    ("GET", "/api/admin/users", True),
    ("PUT", "/api/admin/users/5", True),
    ("PUT", "/api/admin/tickets/24", False),
    ("POST", "/api/roles", False),
    ("DELETE", "/api/admin/shorturls/6", True),
    ("PATCH", "/api/never/declared", False),
    ("DELETE", "/api/never/declared/1", False),
])
def test_may_resend(method: str, path: str, allowed: bool) -> None:
    assert may_resend(method, path) is allowed


def test_every_sandbox_write_route_is_declared() -> None:
    from eclictl.sandbox import router
    from eclictl.sandbox.handler import load_routes

    load_routes()
    missing = sorted(f"{r.method} {r.pattern}" for r in router.ROUTES
                     if r.method in writes.WRITE_METHODS and lookup(r.method, r.pattern) is None)
    assert not missing, f"declare these in eclictl/api/writes.txt: {missing}"


def test_every_generated_delete_verb_is_declared() -> None:
    from eclictl.sections._spec import all_sections

    missing = [s.name for s in all_sections()
               if s.delete_path and "delete" in s.verbs and lookup("DELETE", s.delete_path.format(id="1")) is None]
    assert not missing, missing


def test_every_generated_write_verb_is_declared() -> None:
    """Create/edit verbs generated from declared fields (eclictl/sections/_fields.py) send to their
    `Write.path`: each of those routes has a policy too."""
    from eclictl.sections._fields import Write
    from eclictl.sections._spec import all_sections

    generated = [(s.name, w) for s in all_sections() for w in s.writes if isinstance(w, Write)]
    assert len(generated) >= 2
    missing = [f"{name} {w.verb}: {w.method} {w.path}" for name, w in generated
               if lookup(w.method, w.path.format(id="1")) is None]
    assert not missing, missing


# -- the call sites ------------------------------------------------------------------------------

def _assigned(statements: list[ast.stmt] | Iterator[ast.AST]) -> dict[str, ast.AST]:
    out: dict[str, ast.AST] = {}
    for node in statements:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if isinstance(node.value, (ast.Constant, ast.JoinedStr, ast.BinOp, ast.Call)):
                out.setdefault(node.targets[0].id, node.value)
    return out


def _returners(tree: ast.Module, *, follow: bool = True) -> dict[str, tuple[list[str], list[ast.expr], ast.AST]]:
    """Module functions that only build and return a path: name -> (params, defaults, expression);
    also those imported from another eclictl module (`from eclictl.sections._servers_api import _server_path`)."""
    out = {}
    for node in tree.body if follow else ():
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("eclictl."):
            source = ROOT.parent / (node.module.replace(".", "/") + ".py")
            if source.exists():
                found = _returners(ast.parse(source.read_text(encoding="utf-8")), follow=False)
                out.update({alias.asname or alias.name: found[alias.name] for alias in node.names
                            if alias.name in found})
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            body = [st for st in node.body if not (isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant))
                    and not isinstance(st, (ast.Import, ast.ImportFrom))]
            if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
                out[node.name] = ([a.arg for a in node.args.args], list(node.args.defaults), body[0].value)
    return out


class Resolver:
    """A path template from a literal, an f-string, a constant or a path helper; unknown pieces become `X`."""

    def __init__(self, tree: ast.Module) -> None:
        self.module = {**_imported_constants(tree.body), **_assigned(tree.body)}
        self.returners = _returners(tree)

    def resolve(self, node: ast.AST, names: dict[str, ast.AST], depth: int = 0) -> str | None:
        if depth > 8:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name) and node.id in names:
            return self.resolve(names[node.id], names, depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.resolve(node.left, names, depth + 1), self.resolve(node.right, names, depth + 1)
            return None if left is None or right is None else left + right
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                if isinstance(value, ast.Constant):
                    parts.append(str(value.value))
                    continue
                inner = self.resolve(value.value, names, depth + 1) if isinstance(value, ast.FormattedValue) else None
                parts.append(inner if inner is not None and (inner.startswith("/") or inner == "") else "X")
            return "".join(parts)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            base = self.resolve(node.func.value, names, depth + 1)
            return None if base is None else re.sub(r"\{[^}]*\}", "X", base)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and isinstance(names.get(node.func.id), ast.Lambda):  # a path builder passed in: lambda i: f"..."
            return self.resolve(names[node.func.id].body, names, depth + 1)  # type: ignore[attr-defined]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.returners:
            params, defaults, expr = self.returners[node.func.id]
            bound: dict[str, ast.AST] = dict(zip(params[len(params) - len(defaults):], defaults))
            bound.update(zip(params, node.args))
            return self.resolve(expr, {**self.module, **bound}, depth + 1)
        return None


def _imported_constants(scope: Any) -> dict[str, ast.AST]:
    """`from eclictl.sections.rollouts import PATH` in `scope` (a function, or a module's body): the string
    constants it brings in, so a write to f"{PATH}/{id}" is checked like a literal path."""
    out: dict[str, ast.AST] = {}
    nodes = [n for stmt in scope for n in ast.walk(stmt)] if isinstance(scope, list) else list(ast.walk(scope))
    for node in nodes:
        if not (isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("eclictl.")):
            continue
        source = ROOT.parent / (node.module.replace(".", "/") + ".py")
        if not source.exists():
            continue
        assigned = _assigned(ast.parse(source.read_text(encoding="utf-8")).body)
        for alias in node.names:
            value = assigned.get(alias.name)
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                out[alias.asname or alias.name] = value
    return out


def _write(node: ast.Call) -> tuple[str, ast.AST] | None:
    """(METHOD, path node) when `node` sends a write: api.put(path) or f(..., "PUT", path, ...)."""
    if isinstance(node.func, ast.Attribute) and node.func.attr in WRITE_NAMES and node.args:
        return WRITE_NAMES[node.func.attr], node.args[0]
    for i, arg in enumerate(node.args[:-1]):
        if isinstance(arg, ast.Constant) and arg.value in writes.WRITE_METHODS:
            return arg.value, node.args[i + 1]
    return None


def _loop_values(func: ast.AST) -> dict[str, list[ast.expr]]:
    """`for path in ("/a", "/b"):` -> {"path": [...]}: each value is a call site of its own."""
    out: dict[str, list[ast.expr]] = {}
    for node in ast.walk(func):
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and isinstance(node.iter, (ast.Tuple,
                                                                                                       ast.List)):
            out[node.target.id] = list(node.iter.elts)
    return out


def write_call_sites() -> list[tuple[str, int, str, str | None]]:
    """(file, line, METHOD, path template or None when computed) for every write the source sends.

    A helper that sends a write to a path built from one of its parameters (`_payment_call(ctx,
    path, body)`, `path.format(...)`, `path_for(item)`) is followed to its callers, which pass it.
    """
    found: set[tuple[str, int, str, str | None]] = set()
    for file in sorted(ROOT.rglob("*.py")):
        rel = file.relative_to(ROOT).as_posix()
        if rel.startswith(("sandbox/", "api/")):
            continue
        tree = ast.parse(file.read_text(encoding="utf-8"))
        resolver = Resolver(tree)
        helpers: dict[str, list[tuple[list[str], str, ast.AST]]] = {}  # function -> (params, method, path expr)
        functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda))]
        for func in functions:
            params = [a.arg for a in func.args.args]
            names = {**resolver.module, **_imported_constants(func), **_assigned(ast.walk(func))}
            loops = _loop_values(func)
            for node in ast.walk(func):
                if not isinstance(node, ast.Call) or (write := _write(node)) is None:
                    continue
                method, path_node = write
                if isinstance(path_node, ast.Name) and path_node.id in loops:
                    for value in loops[path_node.id]:
                        found.add((rel, node.lineno, method, resolver.resolve(value, names)))
                    continue
                path = resolver.resolve(path_node, names)
                uses = {n.id for n in ast.walk(path_node) if isinstance(n, ast.Name)}
                if (path is None or not path.startswith("/")) and isinstance(func, ast.FunctionDef) \
                        and uses & (set(params) - set(names)):
                    helpers.setdefault(func.name, []).append((params, method, path_node))
                elif path is None or path.startswith("/"):
                    found.add((rel, node.lineno, method, path))
        for func in [*functions, tree]:
            names = {**resolver.module, **_imported_constants(func), **_assigned(ast.walk(func))}
            for node in ast.walk(func):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in helpers):
                    continue
                for params, method, path_node in helpers[node.func.id]:
                    bound = {**names, **dict(zip(params, node.args)),
                             **{k.arg: k.value for k in node.keywords if k.arg}}
                    path = resolver.resolve(path_node, bound)
                    if path is None or path.startswith("/"):
                        found.add((rel, node.lineno, method, path))
    return sorted(found, key=lambda s: (s[0], s[1], s[2], s[3] or ""))


def test_every_write_call_site_is_declared() -> None:
    sites = list(write_call_sites())
    resolved = [s for s in sites if s[3] is not None]
    assert len(resolved) >= 120, "the call-site scan found too few writes: it no longer reads the source"
    # The only computed path: the generated `delete` verb (its routes are checked from the sections).
    assert {f for f, _, _, p in sites if p is None} == {"sections/_spec.py"}, [s for s in sites if s[3] is None]
    missing = sorted({f"{m} {p}  ({f}:{line})" for f, line, m, p in resolved if lookup(m, p) is None})
    assert not missing, "undeclared writes (add them to eclictl/api/writes.txt):\n" + "\n".join(missing)


def test_declaration_table_printout(capsys: Any) -> None:
    """The table in the form the changelog and the report quote it (run with -s to see it)."""
    width = max(len(w.path) for w in WRITES)
    lines = [f"{w.method:<6} {w.path:<{width}} {w.policy:<10} {w.reason}" for w in WRITES]
    assert len(lines) == len(WRITES) >= 120
    print("\n".join(lines))
