"""End to end: `--revert-after` with the installed binary over real HTTP; the watcher outlives it.

The eclictl process runs in a session of its own (like a terminal); after it exits, that session
is sent SIGHUP (the terminal closing). The detached watcher must survive that, revert the flag when
due, and record it; or, after `eclictl confirm`, exit and keep the change. Synchronised by polling
the sandbox's state and the record files with a deadline (no fixed sleeps).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from tests.e2e.test_binary import base_env, eclictl_binary

pytestmark = pytest.mark.e2e


@pytest.fixture
def served() -> Iterator[Any]:
    from eclictl.sandbox import Sandbox

    panel = Sandbox(seed=0, rate_limit=None)
    panel.state.flag_cache_seconds = 0  # like `eclictl sandbox --flag-cache-seconds 0`; the CLI uses --wait 0
    handle = panel.serve(port=0)
    try:
        yield panel, handle
    finally:
        handle.close()


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def chat(panel: Any) -> Any:
    return (panel.state.settings.get("panelFeatureToggles") or {}).get("chat")


def record(state: Path, record_id: int) -> dict[str, Any]:
    try:
        return json.loads((state / "undo" / f"{record_id}.json").read_text())
    except (OSError, ValueError):
        return {}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def settings_puts(panel: Any) -> int:
    return sum(1 for method, path, status in panel.requests if method == "PUT" and path.startswith("/api/admin/settings"))


def apply_with_revert(panel: Any, env: dict[str, str]) -> int:
    """Run the change in its own session, wait for it to exit, then 'close the terminal' (SIGHUP)."""
    proc = subprocess.Popen([eclictl_binary(), "flags", "disable", "chat", "--yes", "--wait", "0",
                             "--revert-after", "3s", "--reason", "rehearsal"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "change #1 will be reverted at" in err
    assert chat(panel) is False
    try:
        os.killpg(proc.pid, signal.SIGHUP)  # anything left in the terminal's session dies
    except ProcessLookupError:
        pass
    return proc.pid


def test_the_change_is_reverted_after_the_process_and_its_terminal_are_gone(served: Any, tmp_path: Path) -> None:
    panel, handle = served
    env = base_env(tmp_path, handle.url, panel.keys["admin"])
    state = Path(env["ECLICTL_STATE_DIR"])
    session = apply_with_revert(panel, env)
    pid = record(state, 1)["revert"]["pid"]
    if alive(pid):
        assert os.getsid(pid) == pid != session  # a session of its own: the SIGHUP did not reach it
    wait_for(lambda: chat(panel) is True, "the flag to be restored")
    rec = wait_for(lambda: record(state, 1) if record(state, 1).get("status") == "reverted" else None,
                   "the record to say reverted")
    assert rec["revert"]["status"] == "reverted"
    wait_for(lambda: not (state / "revert" / "1.pid").exists(), "the watcher to exit")
    entries = [json.loads(line) for line in (state / "audit.jsonl").read_text().splitlines()]
    assert [e.get("revert_of") for e in entries] == [None, 1]
    assert entries[0]["reason"] == "rehearsal" and entries[1]["result"] == "restored"
    assert entries[1]["targets"][0]["status"] == 200
    log = (state / "revert" / "1.log").read_text()
    assert "finished: reverted (exit 0)" in log and panel.keys["admin"] not in log


def test_confirm_keeps_the_change_and_the_watcher_exits(served: Any, tmp_path: Path) -> None:
    panel, handle = served
    env = base_env(tmp_path, handle.url, panel.keys["admin"])
    state = Path(env["ECLICTL_STATE_DIR"])
    apply_with_revert(panel, env)
    r = subprocess.run([eclictl_binary(), "confirm"], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "#1 confirmed: the change stays" in r.stderr
    pid = record(state, 1)["revert"]["pid"]
    wait_for(lambda: not alive(pid) and not (state / "revert" / "1.pid").exists(), "the watcher to exit")
    assert chat(panel) is False and settings_puts(panel) == 1  # kept; nothing was sent after the change
    assert record(state, 1)["revert"]["status"] == "confirmed"
    assert "confirmed: nothing to do" in (state / "revert" / "1.log").read_text()
