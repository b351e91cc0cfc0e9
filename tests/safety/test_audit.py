"""The local audit trail: one JSON line per changing command, secrets removed, locked appends."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from eclictl.safety.audit import scrub_argv
from tests.conftest import SANDBOX_URL


def trail(state: Path) -> list[dict[str, Any]]:
    path = state / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return Path(os.environ["ECLICTL_STATE_DIR"])


def test_a_change_appends_one_private_line_with_every_field(cli: Any, sandbox: Any, state: Path) -> None:
    r = cli("--reason", "ticket 4711", "users", "suspend", "11", "12", "--yes", "-o", "json")
    assert r.exit_code == 0, r
    [entry] = trail(state)
    assert entry["reason"] == "ticket 4711" and entry["exit"] == 0 and entry["profile"] == "default"
    assert entry["url"] == SANDBOX_URL and entry["user"] and entry["time"].endswith("Z")
    assert entry["command"] == "eclictl --reason 'ticket 4711' users suspend 11 12 --yes -o json"
    assert sorted(t["path"] for t in entry["targets"]) == ["/api/admin/users/11", "/api/admin/users/12"]
    assert all(t["method"] == "PUT" and t["status"] == 200 and t["outcome"] == "ok" for t in entry["targets"])
    assert stat.S_IMODE((state / "audit.jsonl").stat().st_mode) == 0o600
    assert stat.S_IMODE(state.stat().st_mode) == 0o700


def test_read_only_and_dry_run_commands_leave_no_trace(cli: Any, state: Path) -> None:
    assert cli("users", "list", "--limit", "2").exit_code == 0
    assert cli("users", "suspend", "11", "--dry-run").exit_code == 0
    assert cli("flags", "disable", "chat", "--dry-run").exit_code == 0
    assert trail(state) == []


def test_the_reason_goes_after_the_verb_too_and_cannot_be_empty(cli: Any, sandbox: Any, state: Path) -> None:
    sandbox.state.users[11]["suspended"] = True
    assert cli("users", "unsuspend", "11", "--reason", "appeal accepted").exit_code == 0
    assert trail(state)[-1]["reason"] == "appeal accepted"
    r = cli("users", "suspend", "13", "--yes", "--reason", "  ")
    assert r.exit_code == 2 and "--reason cannot be empty" in r.stderr
    r = cli("--reason", "", "users", "suspend", "13", "--yes")
    assert r.exit_code == 2
    assert not sandbox.state.users[13].get("suspended")


def test_a_verbs_own_reason_is_the_audit_reason_unless_the_root_option_gives_one(cli: Any, sandbox: Any,
                                                                                  state: Path) -> None:
    uuid = next(iter(sandbox.state.servers))
    assert cli("servers", "suspend", uuid, "--reason", "abuse", "--yes").exit_code == 0
    assert trail(state)[-1]["reason"] == "abuse"
    assert cli("--reason", "ticket 9", "servers", "unsuspend", uuid, "--yes").exit_code == 0
    assert trail(state)[-1]["reason"] == "ticket 9"


def test_failed_writes_are_recorded_with_their_outcome_and_the_exit_code(cli: Any, sandbox: Any,
                                                                           state: Path) -> None:
    sandbox.inject_fault(path="/api/admin/users/12", status=500, times=10)
    r = cli("users", "suspend", "11", "12", "--yes", "--concurrency", "1")
    assert r.exit_code == 8
    [entry] = trail(state)
    outcomes = {t["path"]: t for t in entry["targets"]}
    assert outcomes["/api/admin/users/11"]["status"] == 200
    assert outcomes["/api/admin/users/12"]["status"] == 500 and outcomes["/api/admin/users/12"]["outcome"].startswith(
        "error:")
    assert entry["exit"] == 8


def test_secrets_never_reach_the_trail(cli: Any, sandbox: Any, state: Path) -> None:
    key = sandbox.keys["admin"]
    r = cli("api", "PUT", "/api/admin/users/11", "-f", "password=hunter2", "-f", "reason=x",
            "-H", f"Authorization: ApiKey {key}", "-H", "X-Api-Token: tok-123456", "--confirm-profile", "default")
    assert trail(state), r
    text = (state / "audit.jsonl").read_text()
    assert key not in text and "hunter2" not in text and "tok-123456" not in text
    assert "password=****" in text and "reason=x" in text


@pytest.mark.parametrize(("argv", "expected"), [
    (["nodes", "token-set", "3", "--token", "s3cr3t-value"], ["nodes", "token-set", "3", "--token", "****"]),
    (["x", "--api-key=abc"], ["x", "--api-key=****"]),
    (["users", "edit", "4", "--set", "password=pw", "--set", "firstName=Jo"],
     ["users", "edit", "4", "--set", "password=****", "--set", "firstName=Jo"]),
    (["auth", "login", "--with-key", "--url", "https://p"], ["auth", "login", "--with-key", "--url", "https://p"]),
    (["rollouts", "edit", "beta", "--key", "beta2"], ["rollouts", "edit", "beta", "--key", "beta2"]),
    (["api", "-H", "Authorization: Bearer eyJabc.def"], ["api", "-H", "Authorization: Bearer ****"]),
    (["api", "-H", "X-Api-Token: t0k"], ["api", "-H", "X-Api-Token: ****"]),
    (["api", "-H", "Accept: text/plain"], ["api", "-H", "Accept: text/plain"]),
    (["x", "a" * 64], ["x", "****"]),
])
def test_scrub_argv(argv: list[str], expected: list[str]) -> None:
    assert scrub_argv(argv) == expected


def test_the_configured_secret_is_removed_wherever_it_appears() -> None:
    assert scrub_argv(["api", "/api/x?k=mysecretvalue"], ["mysecretvalue"]) == ["api", "/api/x?k=****"]


def test_a_trail_that_cannot_be_written_is_reported_and_keeps_the_exit_code(cli: Any, sandbox: Any,
                                                                             tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    r = cli("users", "suspend", "11", "--yes", env={"ECLICTL_STATE_DIR": str(blocker)})
    assert r.exit_code == 0, r
    assert sandbox.state.users[11]["suspended"]  # the panel result stands
    assert "warning: the audit trail could not be written" in r.stderr
    assert "Traceback" not in r.stderr


def test_bulk_workers_record_every_target(cli: Any, sandbox: Any, state: Path) -> None:
    ids = [str(i) for i in range(11, 41) if not sandbox.state.users[i].get("suspended")]
    assert len(ids) > 20
    assert cli("users", "suspend", *ids, "--yes", "--concurrency", "8", "--rate", "0").exit_code == 0
    [entry] = trail(state)
    assert sorted(t["path"] for t in entry["targets"]) == sorted(f"/api/admin/users/{i}" for i in ids)


# -- concurrency ----------------------------------------------------------------------------------
WRITER = """
import sys
from pathlib import Path
from eclictl.safety.store import append_line
path, who, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for i in range(count):
    append_line(path, {"who": who, "i": i, "pad": "x" * 20000})
"""


def test_concurrent_processes_and_threads_never_interleave_or_lose_lines(tmp_path: Path) -> None:
    """Lines far above PIPE_BUF (4 KiB): without the lock, concurrent appends could tear."""
    from eclictl.safety.store import append_line

    path = tmp_path / "state" / "audit.jsonl"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"p{n}", "40"]) for n in range(4)]

    def thread_writer(name: str) -> None:
        for i in range(40):
            append_line(path, {"who": name, "i": i, "pad": "y" * 20000})

    threads = [threading.Thread(target=thread_writer, args=(f"t{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(p.wait(timeout=120) == 0 for p in procs)
    lines = path.read_text().splitlines()
    assert len(lines) == 8 * 40
    entries = [json.loads(line) for line in lines]  # every line intact
    for who in [f"p{n}" for n in range(4)] + [f"t{n}" for n in range(4)]:
        assert [e["i"] for e in entries if e["who"] == who] == list(range(40))  # nothing lost, in order
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# -- history ----------------------------------------------------------------------------------------
def _write_trail(state: Path, entries: list[dict[str, Any]]) -> None:
    state.mkdir(parents=True, exist_ok=True)
    (state / "audit.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries) + "not json\n")


def test_history_filters_by_age_profile_and_text(cli: Any, state: Path) -> None:
    import time

    now = time.time()

    def stamp(days_ago: float) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - days_ago * 86400))

    _write_trail(state, [
        {"time": stamp(10), "profile": "prod", "command": "eclictl flags disable ai --yes", "targets": [], "exit": 0},
        {"time": stamp(2), "profile": "prod", "command": "eclictl flags disable chat --yes", "reason": "outage",
         "targets": [{"method": "PUT", "path": "/api/admin/settings", "status": 200}], "exit": 0, "undo": 3},
        {"time": stamp(1), "profile": "staging", "command": "eclictl users suspend 4 --yes", "targets": [], "exit": 0},
    ])
    r = cli("history", "-o", "json")
    assert r.exit_code == 0, r
    assert [e["command"].split()[-2] for e in r.json()] == ["ai", "chat", "4"]  # oldest first; torn line skipped
    assert [e["profile"] for e in cli("history", "--since", "7d", "-o", "json").json()] == ["prod", "staging"]
    assert len(cli("history", "--profile", "prod", "-o", "json").json()) == 2
    assert [e["reason"] for e in cli("history", "--grep", "OUTAGE", "-o", "json").json()] == ["outage"]
    assert len(cli("history", "--limit", "1", "-o", "json").json()) == 1
    table = cli("history", "--since", "3d")
    assert "PUT /api/admin/settings 200" in table.stdout and "undo #3" in table.stdout
    r = cli("history", "--since", "yesterday-ish")
    assert r.exit_code == 2 and "--since" in r.stderr


def test_history_of_a_real_run(cli: Any, state: Path) -> None:
    assert cli("users", "suspend", "11", "--yes").exit_code == 0
    r = cli("history", "-o", "json")
    assert r.exit_code == 0
    assert r.json()[0]["targets"][0]["path"] == "/api/admin/users/11"


def test_help_safety_explains_all_four_parts(cli: Any) -> None:
    r = cli("help", "safety")
    assert r.exit_code == 0
    for text in ("Audit trail", "Protected profiles", "Undo", "Automatic revert", "--confirm-profile",
                 "eclictl confirm", "keeps the command's exit code"):
        assert text in r.stdout, text
    assert "ECLICTL_STATE_DIR" in cli("help", "environment").stdout
