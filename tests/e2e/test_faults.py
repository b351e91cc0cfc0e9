"""End to end: the installed binary against the sandbox over real HTTP, with faults on the wire.

The faults are the sandbox's own (eclictl/sandbox/faults.py), applied by its HTTP server at the
socket: a redirect, a 502 or a reset after the panel handled the request, a body cut short with a
consistent Content-Length, a mislabelled content type, and a body that stops after its first bytes.
Synchronisation is on what the sandbox has seen (its request log, events set by a wrapped handler).
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.e2e.test_binary import base_env, eclictl_binary, run

pytestmark = pytest.mark.e2e


@pytest.fixture
def served() -> Iterator[Any]:
    from eclictl.sandbox import Sandbox

    panel = Sandbox(seed=0, rate_limit=None)
    handle = panel.serve(port=0)
    try:
        yield panel, handle
    finally:
        handle.close()


def _staff_replies(panel: Any, ticket: int, text: str) -> int:
    return sum(1 for m in panel.state.tickets[ticket]["messages"] if m["message"] == text)


def test_http_redirect_to_https_is_exit_3_with_the_url_to_use(served: Any, tmp_path: Path) -> None:
    panel, handle = served
    https = handle.url.replace("http://", "https://")
    panel.inject_fault(path="/api/admin/users", redirect=f"{https}/api/admin/users", times=10)
    r = run(["users", "list", "-o", "json"], base_env(tmp_path, handle.url, panel.keys["admin"]))
    assert r.returncode == 3 and r.stdout == "", r.stderr
    assert f"use that URL (--url {https}" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("fault, code", [({"status": 502, "html": True}, 1), ({"drop": True}, 3)],
                         ids=["502-after-forwarding", "reset-after-forwarding"])
def test_ticket_reply_behind_a_failing_proxy_is_posted_once(served: Any, tmp_path: Path, fault: dict[str, Any],
                                                            code: int) -> None:
    panel, handle = served
    panel.inject_fault(method="PUT", path="/api/admin/tickets/24", forward=True, **fault)
    r = run(["tickets", "reply", "24", "Posted once"], base_env(tmp_path, handle.url, panel.keys["admin"]))
    assert _staff_replies(panel, 24, "Posted once") == 1
    assert r.returncode == code and "not sent again" in r.stderr, r.stderr
    assert [p for m, p, _ in panel.requests if m == "PUT"] == ["/api/admin/tickets/24"]


def test_resent_delete_after_a_reset_is_done(served: Any, tmp_path: Path) -> None:
    panel, handle = served
    panel.inject_fault(method="DELETE", path="/api/admin/shorturls/6", forward=True, drop=True)
    r = run(["shorturls", "delete", "6", "--yes", "-o", "json"], base_env(tmp_path, handle.url, panel.keys["admin"]))
    assert r.returncode == 0 and json.loads(r.stdout)["done"] == 1, r.stderr
    assert [s for m, _, s in panel.requests if m == "DELETE"] == [0, 404] and 6 not in panel.state.short_urls


def test_page_two_cut_short_is_exit_1_not_a_short_list(served: Any, tmp_path: Path) -> None:
    panel, handle = served
    panel.inject_fault(method="GET", path="/api/admin/users", forward=True, truncate=500, after=1)
    r = run(["users", "list", "--all", "-o", "ids"], base_env(tmp_path, handle.url, panel.keys["admin"]))
    assert r.returncode == 1 and "cut short" in r.stderr, r.stderr


def test_mislabelled_json_is_still_stripped(served: Any, tmp_path: Path) -> None:
    panel, handle = served
    panel.inject_fault(method="GET", path="/api/apikeys", forward=True, content_type="text/html")
    r = run(["api", "/api/apikeys", "-o", "json"], base_env(tmp_path, handle.url, panel.keys["admin"]))
    assert r.returncode == 0 and json.loads(r.stdout)[0]["user"]["email"], r.stderr
    assert "passwordHash" not in r.stdout and "twoFactorSecret" not in r.stdout


def test_stalled_export_times_out_with_exit_3_and_leaves_no_part_file(served: Any, tmp_path: Path) -> None:
    panel, handle = served
    panel.inject_fault(method="GET", path="/api/admin/logs/export", stall=60, stall_after=16)
    out = tmp_path / "out"
    out.mkdir()
    env = {**base_env(tmp_path, handle.url, panel.keys["admin"]), "ECLICTL_TIMEOUT": "2"}
    started = time.monotonic()
    r = run(["logs", "export", "--file", str(out / "logs.csv")], env, timeout=30)
    elapsed = time.monotonic() - started
    assert r.returncode == 3 and "timed out" in r.stderr, r.stderr
    assert elapsed < 20  # the 2 s read timeout, not the 60 s stall
    assert list(out.iterdir()) == []


def test_sigterm_during_a_download_leaves_no_part_file(served: Any, tmp_path: Path) -> None:
    panel, handle = served
    panel.inject_fault(method="GET", path="/api/admin/logs/export", stall=60, stall_after=16)
    answered = threading.Event()
    original = panel.handle

    def handle_request(method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        result = original(method, path, *args, **kwargs)
        if path == "/api/admin/logs/export":
            answered.set()  # the .part file exists: it is created before the request is sent
        return result

    panel.handle = handle_request
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen([eclictl_binary(), "logs", "export", "--file", str(out / "logs.csv")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=base_env(tmp_path, handle.url, panel.keys["admin"]))
    try:
        assert answered.wait(60), "the export request never reached the sandbox"
        assert [p.name for p in out.iterdir() if p.name.endswith(".part")], "no partial file to clean up"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert list(out.iterdir()) == []
