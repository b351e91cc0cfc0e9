"""Issue #21.12: hostile input is bad input (one line, a documented exit code), never an internal error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eclictl.errors import ExitCode

MAX_DEPTH = 64  # eclictl.inputs.MAX_DEPTH
DEEP_JSON = "[" * 100_000 + "]" * 100_000
DEEP_TOML = "x = " + "[" * 100_000 + "]" * 100_000 + "\n"
JUST_TOO_DEEP = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)  # parses, but would overflow later walks


def one_error_line(stderr: str) -> bool:
    lines = stderr.splitlines()
    return bool(lines) and lines[0].startswith("error: ") and "internal error" not in stderr \
        and "Traceback" not in stderr and all(len(line) < 600 for line in lines) and len(lines) <= 3


def test_loads_json_turns_depth_into_a_value_error() -> None:
    from eclictl.inputs import MAX_DEPTH as LIMIT, TooDeep, depth_exceeds, loads_json

    assert LIMIT == MAX_DEPTH
    for text in (DEEP_JSON, JUST_TOO_DEEP):
        with pytest.raises(TooDeep):
            loads_json(text)
    assert loads_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    assert not depth_exceeds({"a": [{"b": 1}]}, limit=3) and depth_exceeds({"a": [{"b": []}]}, limit=3)


@pytest.mark.parametrize("text", [DEEP_TOML, "x = " + JUST_TOO_DEEP + "\n"])
@pytest.mark.parametrize("verb", ["roles", "settings"])
def test_deep_toml_files_are_usage_errors(cli: Any, sandbox: Any, tmp_path: Path, verb: str, text: str) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(text)
    for args in ((verb, "diff", "-f", str(path)), (verb, "apply", "-f", str(path), "--yes")):
        r = cli(*args)
        assert r.exit_code == ExitCode.USAGE and one_error_line(r.stderr), r
    r = cli("settings", "apply", "-f", "-", "--yes", stdin=text)
    assert r.exit_code == ExitCode.USAGE and one_error_line(r.stderr), r
    assert [w for w in sandbox.requests if w[0] != "GET"] == []


@pytest.mark.parametrize("text", [DEEP_JSON, JUST_TOO_DEEP])
def test_deep_json_bodies_and_option_values_are_usage_errors(cli: Any, sandbox: Any, tmp_path: Path,
                                                             text: str) -> None:
    path = tmp_path / "deep.json"
    path.write_text(text)
    cases = [
        ("api", "POST", "/api/roles", "--input", str(path)),
        ("api", "POST", "/api/roles", "--input", "-"),
        ("plans", "edit", "1", "--features", text),
        ("applications", "forms", "edit", "1", "--schema", str(path)),
        ("ai", "models", "create", "--name", "m", "--endpoint", "https://ai.example/v1", "--limits", text),
    ]
    for args in cases:
        r = cli(*args, stdin=text)
        assert r.exit_code == ExitCode.USAGE and one_error_line(r.stderr), (args[:3], r)
    assert [w for w in sandbox.requests if w[0] != "GET"] == []


def test_deep_egg_files_are_lint_errors_not_crashes(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text(DEEP_JSON)
    for verb in ("lint", "diff", "apply", "import"):
        r = cli("eggs", verb, str(tmp_path / "deep.json"))
        assert r.exit_code == ExitCode.REJECTED, r  # the eggs' documented answer to a bad file
        assert "internal error" not in r.stderr and "nested deeper than" in r.stdout + r.stderr
    assert [w for w in sandbox.requests if w[0] != "GET"] == []


def test_a_huge_line_is_cut_in_the_error(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "roles.toml"
    path.write_text("[roles.a]\n" + "k" * 200_000 + " = \n")
    r = cli("roles", "diff", "-f", str(path))
    assert r.exit_code == ExitCode.USAGE and one_error_line(r.stderr), r
    r = cli("roles", "show", "x" * 200_000)
    assert r.exit_code == ExitCode.NOT_FOUND and one_error_line(r.stderr), r
    assert "more characters)" in r.stderr
