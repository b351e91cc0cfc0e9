"""End to end: a bulk run killed mid-way (SIGKILL, or Ctrl-C = SIGINT) resumes from its journal.

The sandbox holds the Nth PUT open until the test has signalled the binary, so the kill lands
mid-run deterministically (events, not sleeps). The binary is started with SIGINT at its default:
a test run launched in the background of a non-interactive shell (CI scripts, `pytest &`) ignores
SIGINT, children inherit that, and Python then never turns Ctrl-C into KeyboardInterrupt.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_binary import base_env, eclictl_binary

pytestmark = pytest.mark.e2e


def _plain_users(panel: Any, n: int) -> list[str]:
    rows = panel.state.users
    return [str(i) for i in sorted(rows) if i >= 11 and rows[i].get("role") is None
            and not rows[i].get("suspended")][:n]


def _hold_nth_put(panel: Any, n: int) -> tuple[threading.Event, threading.Event]:
    """The n-th PUT blocks (reached is set) until release is set; later requests pass through."""
    reached, release = threading.Event(), threading.Event()
    original = panel.handle
    count = {"puts": 0}
    lock = threading.Lock()

    def handle(method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        if method == "PUT":
            with lock:
                count["puts"] += 1
                mine = count["puts"]
            if mine == n:
                reached.set()
                release.wait(30)
        return original(method, path, *args, **kwargs)

    panel.handle = handle
    return reached, release


#: Runs argv[1:] with SIGINT back at its default disposition (exec keeps SIG_DFL, not SIG_IGN).
_SIGINT_DEFAULT = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                   "os.execv(sys.argv[1], sys.argv[1:])")


def with_default_sigint(args: list[str]) -> list[str]:
    return [sys.executable, "-c", _SIGINT_DEFAULT, *args]


def _puts(panel: Any) -> Counter[str]:
    return Counter(path for method, path, status in panel.requests if method == "PUT" and status < 400)


def _journal(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if "item" in entry:  # not the header line
            out[entry["item"]] = entry["status"]
    return out


@pytest.fixture
def served() -> Any:
    from eclictl.sandbox import Sandbox

    panel = Sandbox(seed=0, rate_limit=None)
    handle = panel.serve(port=0)
    try:
        yield panel, handle
    finally:
        handle.close()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["sigkill", "ctrl-c"])
def test_killed_run_resumes_without_repeating_finished_items(served: Any, tmp_path: Path, sig: int) -> None:
    panel, handle = served
    targets = _plain_users(panel, 12)
    journal = tmp_path / "suspend.jsonl"
    env = base_env(tmp_path, handle.url, panel.keys["admin"])
    reached, release = _hold_nth_put(panel, 6)
    args = [eclictl_binary(), "users", "suspend", *targets, "--yes", "--concurrency", "1", "--rate", "0",
            "--journal", str(journal), "-o", "json"]
    proc = subprocess.Popen(with_default_sigint(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    try:
        assert reached.wait(60), "the run never reached the 6th item"
        proc.send_signal(sig)
        if sig == signal.SIGINT:
            release.set()  # Ctrl-C lets the in-flight item finish
        out, err = proc.communicate(timeout=60)
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
    first = _journal(journal)
    finished_first = {item for item, status in first.items() if status == "done"}
    # SIGKILL: the held 6th item never finished for the client; Ctrl-C: it was waited for
    assert len(finished_first) == (6 if sig == signal.SIGINT else 5), (first, err)
    if sig == signal.SIGINT:
        assert proc.returncode == 130, err
        summary = json.loads(out)
        assert summary["interrupted"] and summary["not_started"] == len(targets) - 6
        assert "Traceback" not in err
    else:
        assert proc.returncode == -signal.SIGKILL

    panel.handle = type(panel).handle.__get__(panel)
    r = subprocess.run([eclictl_binary(), "users", "suspend", *targets, "--yes", "--rate", "0",
                        "--resume", str(journal), "-o", "json"], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    resumed = {row["item"]: row for row in json.loads(r.stdout)["items"]}
    assert all(resumed[item]["message"] == "done in a previous run" for item in finished_first)
    puts = _puts(panel)
    assert all(puts[f"/api/admin/users/{item}"] == 1 for item in finished_first)  # nothing finished is repeated
    assert all(panel.state.users[int(t)]["suspended"] for t in targets)  # and nothing is lost
    assert _journal(journal).keys() == set(targets)  # the resumed run appended to the same journal


def test_concurrency_above_eight_really_runs_in_parallel_over_http(served: Any, tmp_path: Path) -> None:
    """The connection pool is sized to --concurrency: 12 PUTs must be open at the panel at once."""
    panel, handle = served
    targets = _plain_users(panel, 24)
    all_open = threading.Event()
    lock = threading.Lock()
    state = {"open": 0, "peak": 0}
    original = panel.handle

    def handle_request(method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        if method != "PUT":
            return original(method, path, *args, **kwargs)
        with lock:
            state["open"] += 1
            state["peak"] = max(state["peak"], state["open"])
            if state["open"] >= 12:
                all_open.set()
        try:
            all_open.wait(20)  # released only once 12 PUTs are in flight together
            return original(method, path, *args, **kwargs)
        finally:
            with lock:
                state["open"] -= 1

    panel.handle = handle_request
    r = subprocess.run([eclictl_binary(), "users", "suspend", *targets, "--yes", "--concurrency", "16",
                        "--rate", "0", "-o", "json"], capture_output=True, text=True,
                       env=base_env(tmp_path, handle.url, panel.keys["admin"]), timeout=120)
    assert r.returncode == 0, r.stderr
    assert all_open.is_set() and 12 <= state["peak"] <= 16
    assert json.loads(r.stdout)["done"] == len(targets)
