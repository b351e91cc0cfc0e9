"""End to end: a closed pipe under `set -o pipefail`, and what `eclictl sandbox` prints into a shell."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_binary import base_env, eclictl_binary, server  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("head") is None, reason="needs bash and head")
def test_a_reader_that_stops_early_is_not_an_error(server: Any, tmp_path: Path) -> None:  # noqa: F811
    panel, handle = server
    env = base_env(tmp_path, handle.url, panel.keys["admin"])
    for fmt in ("json", "jsonl", "tsv"):
        script = f"set -o pipefail; '{eclictl_binary()}' users list --all -o {fmt} | head -c 1 >/dev/null"
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=120)
        assert (done.returncode, done.stderr) == (0, ""), (fmt, done)


def _sandbox_lines(tmp_path: Path, *args: str) -> list[str]:
    env = base_env(tmp_path, "http://unused", None)
    env.pop("ECLICTL_URL")
    proc = subprocess.Popen([eclictl_binary(), "sandbox", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if "Ctrl-C stops the sandbox" in line:
                break
        if "--show-keys" in args:
            lines += [proc.stdout.readline().rstrip("\n") for _ in range(5)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return lines


def test_sandbox_prints_what_a_user_needs_and_the_rest_behind_show_keys(tmp_path: Path) -> None:
    lines = _sandbox_lines(tmp_path, "--write-profile", "demo")
    assert lines[0].startswith("ECLICTL_URL=http://127.0.0.1:") and lines[1].startswith("ECLICTL_API_KEY=")
    assert lines[2].startswith("# saved as profile 'demo': eclictl -p demo users list")
    assert len(lines) == 3 and all(len(line) <= 110 for line in lines), lines
    assert not any("root_client" in line for line in lines)
    shown = _sandbox_lines(tmp_path, "--show-keys")
    assert shown[2].startswith("# export the two lines above")
    keys = [line for line in shown if line.startswith("# key ")]
    assert {line.split("=", 1)[0] for line in keys} >= {"# key plain", "# key root_client", "# key expired"}
