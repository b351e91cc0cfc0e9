"""Every verb that can change the panel takes --reason and --confirm-profile; every verb undo
covers also takes --revert-after. "Can change" is found by reading the code: a verb (or an
eclictl function it uses) sends a POST/PUT/PATCH/DELETE, runs the bulk runner, or asks ctx.confirm.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import re
import textwrap
from typing import Any, Callable, Iterator

import pytest
import typer

WRITE = re.compile(r"\b(api|client|session)\s*\.\s*(post|put|patch|delete)\s*\(|"
                   r"\.request\(\s*\"(POST|PUT|PATCH|DELETE)\"|"
                   r"\b(put_settings|BulkRunner|confirm_and_run)\s*\(")
#: A helper that sends whatever method its caller names (`_call(ctx, "PUT", ...)`).
GENERIC = re.compile(r"\.request\(\s*method\b")
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
#: Verbs that write through a client of their own that is not the panel's data API (logging in mints a
#: key for the session being created; nothing to confirm on a profile that does not exist yet).
NOT_CHANGES = {("auth", "login")}


def _leaves(cmd: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    subs = getattr(cmd, "commands", None)
    if subs is None:
        yield path, cmd
        return
    for name in sorted(subs):
        yield from _leaves(subs[name], (*path, name))


@functools.lru_cache(maxsize=1)
def all_verbs() -> list[tuple[tuple[str, ...], Any]]:
    from eclictl.app import command_modules, load_typer

    out = []
    for name in sorted(command_modules()):
        sub = load_typer(name)
        if sub is None:
            continue
        cmd = typer.main.get_command(sub)
        out.extend(_leaves(cmd, (name,)) if getattr(cmd, "commands", None) is not None else [((name,), cmd)])
    return out


def _function(cmd: Any) -> Callable[..., Any]:
    func = cmd.callback
    while hasattr(func, "__wrapped__") and not hasattr(func, "__eclictl_verb__"):
        func = func.__wrapped__
    return getattr(func, "__eclictl_verb__", func)


def _source(func: Any) -> str | None:
    func = getattr(func, "__eclictl_verb__", func)
    try:
        return textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        return None


def _resolve(name: str, local: dict[str, tuple[str, str]], module: Any) -> Any:
    if name in local:
        target = getattr(importlib.import_module(local[name][0]), local[name][1], None)
    else:
        target = getattr(module, name, None)
    target = getattr(target, "__eclictl_verb__", target)
    if inspect.isfunction(target) and target.__module__.startswith("eclictl.") \
            and not target.__module__.startswith("eclictl.safety"):
        return target
    return None


def may_write(func: Any, seen: dict[Any, bool], *, top: bool = False) -> bool:
    """Whether `func`, or an eclictl function it calls or hands on, can send a write."""
    func = getattr(func, "__eclictl_verb__", func)
    key = (getattr(func, "__module__", None), getattr(func, "__qualname__", None))
    if key in seen:
        return seen[key]
    seen[key] = False
    source = _source(func)
    if source is None:
        return False
    if WRITE.search(source) or (top and GENERIC.search(source)):  # `eclictl api` sends any method
        seen[key] = True
        return True
    tree = ast.parse(source)
    module = importlib.import_module(func.__module__)
    local: dict[str, tuple[str, str]] = {}
    assigned: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                local[alias.asname or alias.name] = (node.module, alias.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            assigned.add(node.id)
        elif isinstance(node, ast.arg):
            assigned.add(node.arg)
    called: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in assigned:
            called.add(id(node.func))
            target = _resolve(node.func.id, local, module)
            if target is None or target is func:
                continue
            if GENERIC.search(_source(target) or ""):
                literal = {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
                if literal & WRITE_METHODS:
                    seen[key] = True
                    return True
                if literal:
                    continue  # the helper with "GET": a read
            if may_write(target, seen):
                seen[key] = True
                return True
    for node in ast.walk(tree):  # functions handed on as values (bulk actions)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and id(node) not in called \
                and node.id not in assigned:
            target = _resolve(node.id, local, module)
            if target is not None and target is not func and may_write(target, seen):
                seen[key] = True
                return True
    return False


def _options(cmd: Any) -> set[str]:
    return {opt for param in cmd.params for opt in getattr(param, "opts", [])}


SEEN: dict[Any, bool] = {}  # the analysis of each function, shared by the tests below


def test_every_changing_verb_takes_reason_and_confirm_profile() -> None:
    seen = SEEN
    changing, missing = [], []
    for path, cmd in all_verbs():
        if path in NOT_CHANGES or not may_write(_function(cmd), seen, top=True):
            continue
        changing.append(" ".join(path))
        if not {"--reason", "--confirm-profile"} <= _options(cmd):
            missing.append(" ".join(path))
    assert len(changing) > 60  # the analysis finds the changing verbs (it is not silently empty)
    assert not missing, f"changing verbs without --reason/--confirm-profile: {missing}"


#: Offer the options although the analysis sees no write: `undo` writes through eclictl.safety; the
#: synchronous user export is a GET that starts backups and sends e-mail (its --yes makes it gated).
SAFETY_ONLY = {"undo", "users export"}


def test_read_only_verbs_do_not_offer_the_safety_options() -> None:
    seen = SEEN
    offered = {" ".join(path) for path, cmd in all_verbs()
               if "--confirm-profile" in _options(cmd) and not may_write(_function(cmd), seen, top=True)}
    assert offered == SAFETY_ONLY


UNDO_VERBS = [("flags", "enable"), ("flags", "disable"), ("settings", "set"), ("settings", "apply"),
              ("geoblock", "add"), ("geoblock", "remove"), ("rollouts", "create"), ("rollouts", "edit"),
              ("rollouts", "delete"), ("rollouts", "overrides", "add"), ("rollouts", "overrides", "remove"),
              ("roles", "create"), ("roles", "delete"), ("roles", "grant"), ("roles", "revoke"), ("roles", "apply"),
              ("users", "assign"), ("users", "unassign")]


def test_every_verb_undo_covers_takes_revert_after_and_only_those() -> None:
    verbs = dict(all_verbs())
    for path in UNDO_VERBS:
        assert "--revert-after" in _options(verbs[path]), path
    with_revert = sorted(path for path, cmd in verbs.items() if "--revert-after" in _options(cmd))
    assert with_revert == sorted(UNDO_VERBS)


def _write_hooks(func: Any) -> str:
    """The source of a declared write's own hooks (eclictl/sections/_fields.py Write): where a generated
    verb's section code runs."""
    from eclictl.sections._fields import Write

    specs = [c.cell_contents for c in func.__closure__ or () if isinstance(c.cell_contents, Write)]
    return "".join(inspect.getsource(hook) for spec in specs
                   for hook in (spec.prepare, spec.resolve, spec.send, spec.reread) if hook is not None)


@pytest.mark.parametrize("path", UNDO_VERBS, ids=lambda p: "-".join(p))
def test_undo_verbs_remember_the_state_they_change(path: tuple[str, ...]) -> None:
    """Each verb undo covers calls eclictl.safety.undo.remember* itself (not just the option)."""
    verbs = dict(all_verbs())
    source = inspect.getsource(_function(verbs[path])) + _write_hooks(_function(verbs[path]))
    helpers = {"flags": "change", "geoblock": "_write", "users": "_each_role"}
    if path[0] in helpers:
        module = importlib.import_module(f"eclictl.sections.{path[0]}")
        source += inspect.getsource(getattr(module, helpers[path[0]]))
    if path == ("roles", "apply"):
        source += inspect.getsource(importlib.import_module("eclictl.sections.roles").execute)
    if path in (("roles", "grant"), ("roles", "revoke")):
        source += inspect.getsource(importlib.import_module("eclictl.sections.roles")._each_perm)
    assert re.search(r"\bremember(_settings)?\(", source), path
