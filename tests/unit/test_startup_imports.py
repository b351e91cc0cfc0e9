"""Start-up stays fast: what a command line imports, checked in a fresh interpreter.

`--help` is answered from the generated help index (eclictl/_help/) without Typer or any section;
through Typer (e.g. after a global option) it imports only its own section. No path imports
pydantic (Typer 0.29 builds a pydantic TypeAdapter per parameter value: typer is pinned below it)
or Typer's rich help (typer.rich_utils -> rich.markdown -> markdown_it, ~80 ms).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import io, json, sys
from eclictl.main import run
factory = None
if {sandbox!r}:
    from eclictl.context import Factory, IOStreams
    from eclictl.sandbox import Sandbox
    panel = Sandbox(seed=0)
    env = {{"ECLICTL_CONFIG_DIR": "/nonexistent", "ECLICTL_URL": "http://sandbox.test",
           "ECLICTL_API_KEY": panel.keys["admin"]}}
    factory = Factory(io=IOStreams(io.StringIO(), io.StringIO(), io.StringIO(), False, False, False), env=env,
                      transport=panel.transport())
out = io.StringIO()
sys.stdout, real = out, sys.stdout
code = run({argv!r}, factory)
sys.stdout = real
print(json.dumps([code, sorted(sys.modules), len(out.getvalue())]))
"""

#: Never at start-up, on any path: each costs tens of milliseconds.
HEAVY = ("pydantic", "pydantic_core", "typer.rich_utils", "rich.markdown", "markdown_it", "pygments")


def _probe(argv: list[str], sandbox: bool = False) -> tuple[int, set[str], int]:
    proc = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv, sandbox=sandbox)], capture_output=True,
                          text=True, timeout=60, env={"ECLICTL_CONFIG_DIR": "/nonexistent", "PATH": "/usr/bin"})
    assert proc.returncode == 0, proc.stderr
    code, modules, printed = json.loads(proc.stdout.splitlines()[-1])
    return code, set(modules), printed


def _sections(modules: set[str]) -> list[str]:
    """Section modules imported (their private helper modules, `_spec`, `_fields`, `_nodes_health`..., go with them)."""
    return sorted(m for m in modules if m.startswith("eclictl.sections.") and not m.split(".")[-1].startswith("_"))


@pytest.mark.parametrize("argv", [["--help"], ["users", "--help"], ["users", "list", "--help"], ["users", "list", "-h"]])
def test_help_is_answered_from_the_index_without_typer(argv: list[str]) -> None:
    code, modules, printed = _probe(argv)
    assert code == 0 and printed > 500
    assert not [m for m in modules if m.split(".")[0] in ("typer", "rich", "httpx", "pydantic")]
    assert _sections(modules) == []


def test_root_help_through_typer_imports_no_section_nor_heavy_module() -> None:
    code, modules, printed = _probe(["-ojson", "--help"])  # a value glued to a short option: left to Typer
    assert code == 0 and printed > 500 and "typer" in modules
    assert _sections(modules) == [] and "httpx" not in modules
    assert not modules.intersection(HEAVY)


@pytest.mark.parametrize("argv", [["--no-color", "nodes", "--help"], ["--no-color", "users", "list", "--help"]])
def test_group_help_through_typer_imports_only_its_own_section(argv: list[str]) -> None:
    code, modules, printed = _probe(argv)
    assert code == 0 and printed > 500 and "typer" in modules
    assert _sections(modules) == [f"eclictl.sections.{argv[1]}"]
    assert not modules.intersection(HEAVY)


def test_a_real_command_imports_no_pydantic_nor_rich_help() -> None:
    code, modules, _ = _probe(["users", "list", "-o", "json", "--limit", "2"], sandbox=True)
    assert code == 0 and "httpx" in modules
    assert not modules.intersection(HEAVY)


def test_version_alone_imports_no_typer() -> None:
    code, modules, printed = _probe(["--version"])
    assert code == 0 and 0 < printed < 40
    assert not [m for m in modules if m.split(".")[0] in ("typer", "rich", "httpx")]
