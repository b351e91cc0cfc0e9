"""End to end: the installed `eclictl` binary against the sandbox over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

pytestmark = pytest.mark.e2e


def eclictl_binary() -> str:
    candidate = Path(sys.executable).parent / "eclictl"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("eclictl")
    if not found:
        pytest.skip("the eclictl binary is not installed (run scripts/test.sh)")
    return found


@pytest.fixture
def server() -> Iterator[Any]:
    from eclictl.sandbox import Sandbox

    panel = Sandbox(seed=0)
    handle = panel.serve(port=0)
    try:
        yield panel, handle
    finally:
        handle.close()


def run(args: list[str], env: dict[str, str], stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([eclictl_binary(), *args], input=stdin, capture_output=True, text=True, env=env,
                          timeout=timeout)


def base_env(tmp_path: Path, url: str, key: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECLICTL_")}
    env.update({"ECLICTL_CONFIG_DIR": str(tmp_path / "cfg"), "ECLICTL_STATE_DIR": str(tmp_path / "state"),
                "ECLICTL_URL": url, "NO_COLOR": "1"})
    if key:
        env["ECLICTL_API_KEY"] = key
    return env


def test_binary_lists_users_as_json_with_redaction(server: Any, tmp_path: Path) -> None:
    panel, handle = server
    r = run(["users", "list", "-o", "json", "--redact"], base_env(tmp_path, handle.url, panel.keys["admin"]))
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert len(rows) == 50
    assert all(panel.state.users[row["id"]]["email"] not in r.stdout for row in rows)


def test_binary_pipe_ids_into_bulk_delete_dry_run(server: Any, tmp_path: Path) -> None:
    panel, handle = server
    env = base_env(tmp_path, handle.url, panel.keys["admin"])
    ids = run(["users", "list", "--limit", "3", "-o", "ids"], env)
    assert ids.returncode == 0 and ids.stdout.split() == ["1", "2", "3"]
    r = run(["users", "delete", "-", "--dry-run", "-o", "json"], env, stdin=ids.stdout)
    assert r.returncode == 0, r.stderr
    assert [row["item"] for row in json.loads(r.stdout)] == ["1", "2", "3"]
    assert 3 in panel.state.users


def test_binary_exit_codes_over_http(server: Any, tmp_path: Path) -> None:
    panel, handle = server
    assert run(["users", "list"], base_env(tmp_path, handle.url, "0" * 64)).returncode == 4
    assert run(["users", "list"], base_env(tmp_path, handle.url, panel.keys["plain"])).returncode == 5
    assert run(["api", "/api/nope"], base_env(tmp_path, handle.url, panel.keys["admin"])).returncode == 6
    r = run(["--max-retries", "0", "users", "list"], base_env(tmp_path, "http://127.0.0.1:9", panel.keys["admin"]))
    assert r.returncode == 3 and "Traceback" not in r.stderr


def test_binary_survives_faults_over_http(server: Any, tmp_path: Path) -> None:
    panel, handle = server
    env = base_env(tmp_path, handle.url, panel.keys["admin"])
    panel.inject_fault(path="/api/admin/users", status=502, html=True, times=1)
    panel.inject_fault(path="/api/admin/users", drop=True, times=1)
    r = run(["--max-retries", "3", "users", "list", "--limit", "1", "-o", "ids"], env)
    # Retry waits are real here (0.5 s, 1 s with jitter): bounded and small.
    assert r.returncode == 0 and r.stdout.strip() == "1", r.stderr
    panel.inject_fault(path="/api/admin/users", status=503, html=True, times=10)
    r = run(["--max-retries", "0", "users", "list"], env)
    assert r.returncode == 1 and "HTML error page" in r.stderr and "<html" not in r.stderr


def test_binary_timeout_is_exit_3(server: Any, tmp_path: Path) -> None:
    panel, handle = server
    panel.inject_fault(path="/api/admin/users", delay=2.0, times=1)
    r = run(["--timeout", "0.3", "--max-retries", "0", "users", "list"],
            base_env(tmp_path, handle.url, panel.keys["admin"]))
    assert r.returncode == 3 and "timed out" in r.stderr


def test_python_dash_m_and_version(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "eclictl", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("eclictl ")


def test_sandbox_command_prints_url_and_key_and_writes_profile(tmp_path: Path) -> None:
    env = base_env(tmp_path, "http://unused", None)
    env.pop("ECLICTL_URL")
    proc = subprocess.Popen([eclictl_binary(), "sandbox", "--write-profile", "demo"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        url_line = proc.stdout.readline().strip()
        key_line = proc.stdout.readline().strip()
        saved = proc.stdout.readline()
        assert url_line.startswith("ECLICTL_URL=http://127.0.0.1:") and key_line.startswith("ECLICTL_API_KEY=")
        assert "demo" in saved
        r = run(["-p", "demo", "whoami", "-o", "json"], env)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["key_type"] == "admin"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_sandbox_flag_cache_option_lets_scripts_rehearse_flag_changes_fast(tmp_path: Path) -> None:
    env = base_env(tmp_path, "http://unused", None)
    env.pop("ECLICTL_URL")
    proc = subprocess.Popen([eclictl_binary(), "sandbox", "--flag-cache-seconds", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().split("=", 1)[1]
        key = proc.stdout.readline().strip().split("=", 1)[1]
        env.update({"ECLICTL_URL": url, "ECLICTL_API_KEY": key})
        r = run(["flags", "disable", "blog", "chat", "--yes", "--wait", "0", "-o", "json"], env)
        assert r.returncode == 0, r.stderr
        r = run(["flags", "list", "-o", "json"], env)
        flags = {row["flag"]: row for row in json.loads(r.stdout)}
        assert flags["blog"]["enabled"] is False and flags["chat"]["enabled"] is False
    finally:
        proc.terminate()
        proc.wait(timeout=10)
