"""`eclictl --help` stays fast: it imports no section module (the generated index has their help) nor httpx."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from eclictl.main import run
from eclictl.context import Factory, IOStreams
import io
code = run({argv!r}, Factory(io=IOStreams(io.StringIO(), io.StringIO(), io.StringIO(), False, False, False),
                             env={{"ECLICTL_CONFIG_DIR": "/nonexistent"}}))
loaded = sorted(m for m in sys.modules if m.startswith("eclictl.sections.") and m != "eclictl.sections._spec"
                or m == "httpx")
print(code, ",".join(loaded))
"""


def _probe(argv: list[str]) -> tuple[int, list[str]]:
    out = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True,
                         timeout=60, check=True).stdout.split()
    return int(out[0]), (out[1].split(",") if len(out) > 1 else [])


def test_root_help_imports_no_section_module() -> None:
    code, loaded = _probe(["--help"])
    assert code == 0 and loaded == []


def test_group_help_imports_only_its_own_section() -> None:
    code, loaded = _probe(["nodes", "--help"])
    assert code == 0 and loaded == ["eclictl.sections.nodes"]
