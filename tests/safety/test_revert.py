"""Automatic revert: --revert-after schedules a detached watcher; `eclictl confirm` keeps the change."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.conftest import SANDBOX_URL
from tests.safety.conftest import record, trail
from tests.safety.test_undo import flags, panel, writes


class Clock:
    """The watcher's clock and sleep: sleeping moves time (and the sandbox's clock) forward."""

    def __init__(self, sandbox: Any, on_sleep: Callable[[float], None] | None = None) -> None:
        self.now = time.time()
        self.sandbox = sandbox
        self.sleeps: list[float] = []
        self.on_sleep = on_sleep

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        self.sandbox.state.advance(seconds)
        if self.on_sleep:
            self.on_sleep(self.now)


def runner_for(sandbox: Any, outputs: list[str]) -> Callable[[list[str], Any], int]:
    """What the watcher runs when the revert is due: eclictl in-process, against the sandbox."""
    from eclictl.context import Factory, IOStreams
    from eclictl.main import run

    def invoke(args: list[str], env: Any) -> int:
        assert "ECLICTL_API_KEY" in env and env["ECLICTL_URL"] == SANDBOX_URL  # handed over in the environment
        streams = IOStreams(io.StringIO(""), io.StringIO(), io.StringIO(), False, False, False)
        code = run(args, Factory(io=streams, env=dict(env), transport=sandbox.transport(),
                                 sleep=sandbox.state.advance))
        outputs.append(streams.stdout.getvalue() + streams.stderr.getvalue())
        return code

    return invoke


def watch(record_id: int, env: dict[str, str], sandbox: Any, clock: Clock, outputs: list[str],
          capsys: Any = None, **kw: Any) -> int:
    from eclictl.safety.watcher import watch as run_watch

    return run_watch(record_id, env, sleep=clock.sleep, clock=clock.time, runner=kw.pop("runner", None)
                     or runner_for(sandbox, outputs), **kw)


def test_revert_after_schedules_a_watcher_with_the_credentials_in_its_environment(
        run_cli: Any, sandbox: Any, spawned: list[dict[str, Any]], state_dir: Path) -> None:
    r = run_cli("flags", "disable", "chat", "--yes", "--revert-after", "10m", "--reason", "try it")
    assert r.exit_code == 0, r
    assert "change #1 will be reverted at" in r.stderr and "eclictl confirm 1" in r.stderr
    [spawn] = spawned
    assert spawn["id"] == 1
    env = spawn["env"]
    assert env["ECLICTL_API_KEY"] == sandbox.keys["admin"] and env["ECLICTL_URL"] == SANDBOX_URL
    assert env["ECLICTL_PROFILE"] == "default" and env["ECLICTL_STATE_DIR"] == str(state_dir)
    rec = record(state_dir, 1)
    revert = rec["revert"]
    assert revert["status"] == "pending" and revert["pid"] == 999999 and revert["after"] == "10m"
    assert 590 < revert["due_epoch"] - time.time() <= 600
    assert sandbox.keys["admin"] not in (state_dir / "undo" / "1.json").read_text()  # no secret on disk
    entry = trail(state_dir)[-1]
    assert entry["undo"] == 1 and entry["revert"]["due"] == revert["due"] and entry["reason"] == "try it"


def test_the_watcher_reverts_when_due_and_reports_it_in_the_trail(
        run_cli: Any, sandbox: Any, spawned: list[dict[str, Any]], state_dir: Path, capsys: Any) -> None:
    assert run_cli("flags", "disable", "chat", "--yes", "--revert-after", "90s").exit_code == 0
    assert flags(sandbox)["chat"] is False
    clock, outputs = Clock(sandbox), []
    assert watch(1, spawned[0]["env"], sandbox, clock, outputs) == 0, outputs
    assert flags(sandbox)["chat"] is True
    assert 89 < sum(clock.sleeps) < 91 and max(clock.sleeps) <= 1.0  # polled every second until due
    rec = record(state_dir, 1)
    assert rec["status"] == "reverted" and rec["revert"]["status"] == "reverted"
    entry = trail(state_dir)[-1]
    assert entry["revert_of"] == 1 and entry["result"] == "restored" and entry["exit"] == 0
    assert entry["reason"] == "automatic revert of #1 (--revert-after 90s)"
    assert [t["method"] for t in entry["targets"]] == ["PUT"]
    log = capsys.readouterr().out
    assert "due: reverting" in log and "finished: reverted (exit 0)" in log
    assert not (state_dir / "revert" / "1.pid").exists()


def test_confirm_keeps_the_change_and_the_watcher_stops(run_cli: Any, sandbox: Any, spawned: list[dict[str, Any]],
                                                       state_dir: Path) -> None:
    assert run_cli("flags", "disable", "chat", "--yes", "--revert-after", "10m").exit_code == 0
    listed = run_cli("confirm", "--list", "-o", "json").json()
    assert [(x["id"], x["status"]) for x in listed] == [(1, "pending")]
    confirmed: list[Any] = []

    def confirm_at_minute_two(now: float) -> None:
        if not confirmed and now - start > 120:
            confirmed.append(run_cli("confirm"))

    clock, outputs = Clock(sandbox, confirm_at_minute_two), []
    start = clock.now
    count = len(writes(sandbox))
    assert watch(1, spawned[0]["env"], sandbox, clock, outputs) == 0
    assert confirmed[0].exit_code == 0 and "#1 confirmed: the change stays" in confirmed[0].stderr
    assert sum(clock.sleeps) < 125  # the watcher stopped at its next poll, long before it was due
    assert flags(sandbox)["chat"] is False and len(writes(sandbox)) == count and outputs == []
    assert record(state_dir, 1)["revert"]["status"] == "confirmed"
    assert trail(state_dir)[-1]["confirm_of"] == [1]
    assert run_cli("confirm", "--list", "-o", "json").json() == []


def test_the_watcher_never_reverts_what_someone_else_changed_meanwhile(
        run_cli: Any, sandbox: Any, spawned: list[dict[str, Any]], state_dir: Path) -> None:
    sandbox.state.settings["billingCurrency"] = "USD"
    assert run_cli("settings", "set", "billingCurrency=EUR", "--revert-after", "5m").exit_code == 0
    panel(sandbox, "PUT", "/api/admin/settings", {"billingCurrency": "GBP"})
    clock, outputs = Clock(sandbox), []
    assert watch(1, spawned[0]["env"], sandbox, clock, outputs) == 7
    assert sandbox.state.settings["billingCurrency"] == "GBP"  # their change stands
    rec = record(state_dir, 1)
    assert rec["status"] == "applied" and rec["revert"]["status"] == "refused"
    assert "changed since" in rec["revert"]["message"]
    entry = trail(state_dir)[-1]
    assert entry["revert_of"] == 1 and entry["result"].startswith("refused") and entry["targets"] == []
    assert entry["exit"] == 7
    listed = run_cli("undo", "--list").stdout
    assert "automatic revert refused" in listed


def test_a_revert_that_cannot_reach_the_panel_is_retried_then_marked_failed(
        run_cli: Any, sandbox: Any, spawned: list[dict[str, Any]], state_dir: Path) -> None:
    assert run_cli("flags", "disable", "chat", "--yes", "--revert-after", "1m").exit_code == 0
    outputs: list[str] = []
    real = runner_for(sandbox, outputs)
    codes = iter([3])

    def flaky(args: list[str], env: Any) -> int:
        return next(codes, None) or real(args, env)

    clock = Clock(sandbox)
    assert watch(1, spawned[0]["env"], sandbox, clock, outputs, runner=flaky) == 0
    assert flags(sandbox)["chat"] is True and 5.0 in clock.sleeps  # retried after 5 s
    assert run_cli("flags", "disable", "chat", "--yes", "--revert-after", "1m").exit_code == 0
    clock = Clock(sandbox)
    assert watch(2, spawned[1]["env"], sandbox, clock, outputs, runner=lambda a, e: 3) == 3
    rec = record(state_dir, 2)
    assert rec["revert"]["status"] == "failed" and rec["status"] == "applied"
    r = run_cli("confirm", "2")
    assert r.exit_code == 7 and "too late" in r.stderr and "failed" in r.stderr
    assert run_cli("undo", "2", "--yes").exit_code == 0  # the way out
    assert flags(sandbox)["chat"] is True


def test_confirm_picks_the_pending_one_refuses_ambiguity_and_late_calls(
        run_cli: Any, sandbox: Any, spawned: list[dict[str, Any]], state_dir: Path) -> None:
    r = run_cli("confirm")
    assert r.exit_code == 6 and "no pending automatic revert" in r.stderr
    assert run_cli("flags", "disable", "chat", "--yes", "--revert-after", "10m").exit_code == 0
    assert run_cli("flags", "disable", "blog", "--yes", "--revert-after", "10m").exit_code == 0
    r = run_cli("confirm")
    assert r.exit_code == 2 and "#1, #2" in r.stderr
    r = run_cli("confirm", "--all", "-o", "json")
    assert r.exit_code == 0 and [x["id"] for x in r.json()] == [1, 2]
    assert run_cli("confirm", "1").exit_code == 0  # confirming twice is harmless
    assert run_cli("flags", "disable", "elo", "--yes", "--revert-after", "1m").exit_code == 0
    assert watch(3, spawned[2]["env"], sandbox, Clock(sandbox), []) == 0
    r = run_cli("confirm", "3")
    assert r.exit_code == 7 and "too late: the automatic revert of #3 is reverted" in r.stderr


def test_undo_by_hand_cancels_a_pending_revert(run_cli: Any, sandbox: Any, spawned: list[dict[str, Any]],
                                               state_dir: Path) -> None:
    assert run_cli("flags", "disable", "chat", "--yes", "--revert-after", "10m").exit_code == 0
    assert run_cli("undo", "--yes").exit_code == 0
    assert record(state_dir, 1)["revert"]["status"] == "cancelled"
    assert watch(1, spawned[0]["env"], sandbox, Clock(sandbox), []) == 0
    assert flags(sandbox)["chat"] is True


def test_revert_on_a_protected_profile_confirms_itself(cli: Any, run_cli: Any, sandbox: Any,
                                                       spawned: list[dict[str, Any]], isolated_config: Path,
                                                       state_dir: Path) -> None:
    import tomli_w

    isolated_config.mkdir(parents=True, exist_ok=True)
    (isolated_config / "config.toml").write_text(tomli_w.dumps({"profiles": {"prod": {
        "url": SANDBOX_URL, "api_key": sandbox.keys["admin"], "protected": True, "require_reason": True}}}))
    r = run_cli("-p", "prod", "flags", "disable", "chat", "--revert-after", "1m", "--confirm-profile", "prod",
                "--reason", "test", key=None, env={"ECLICTL_URL": ""})
    assert r.exit_code == 0, r
    env = spawned[0]["env"]
    assert env["ECLICTL_PROFILE"] == "prod" and "ECLICTL_API_KEY" in env
    assert watch(1, env, sandbox, Clock(sandbox), []) == 0
    assert flags(sandbox)["chat"] is True


@pytest.mark.parametrize("value", ["0", "0s", "10 parsecs", "8d", ""])
def test_a_bad_duration_is_a_usage_error_before_anything_is_sent(run_cli: Any, sandbox: Any, value: str) -> None:
    r = run_cli("flags", "disable", "chat", "--yes", "--revert-after", value)
    assert r.exit_code == 2 and "--revert-after" in r.stderr
    assert writes(sandbox) == []


def test_parse_duration() -> None:
    from eclictl.safety.revert import parse_duration

    assert [parse_duration(x) for x in ("3s", "10m", "1h30m", "45", "2d", "1.5m")] == [3, 600, 5400, 45, 172800, 90]


def test_an_unwritable_state_dir_stops_a_revert_after_before_anything_is_sent(run_cli: Any, sandbox: Any,
                                                                              tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    r = run_cli("flags", "disable", "chat", "--yes", "--revert-after", "1m", env={"ECLICTL_STATE_DIR": str(blocker)})
    assert r.exit_code == 2 and "not writable" in r.stderr
    assert writes(sandbox) == []


def test_a_watcher_that_cannot_start_is_an_error_naming_the_way_out(run_cli: Any, sandbox: Any,
                                                                    spawned: list[dict[str, Any]]) -> None:
    spawned.append({"fail": OSError(24, "Too many open files")})
    r = run_cli("flags", "disable", "chat", "--yes", "--revert-after", "1m")
    assert r.exit_code == 1
    assert "automatic revert could not be scheduled (Too many open files)" in r.stderr
    assert "eclictl undo 1" in r.stderr and flags(sandbox)["chat"] is False


def test_nothing_changed_means_nothing_to_revert(run_cli: Any, spawned: list[dict[str, Any]]) -> None:
    r = run_cli("flags", "enable", "chat", "--revert-after", "1m")
    assert r.exit_code == 0 and "no automatic revert scheduled" in r.stderr
    assert spawned == []


def test_spawn_watcher_starts_a_detached_process_with_only_the_record_id_on_its_command_line(
        tmp_path: Path, monkeypatch: Any) -> None:
    """A real process: it finds the revert confirmed, logs that, removes its pid file and exits."""
    import json

    from eclictl.safety.revert import spawn_watcher

    state = tmp_path / "state"
    (state / "undo").mkdir(parents=True)
    (state / "revert").mkdir()
    (state / "undo" / "7.json").write_text(json.dumps({"id": 7, "revert": {"status": "confirmed"}}))
    seen: dict[str, Any] = {}
    real_popen = subprocess.Popen

    def popen(args: Any, **kw: Any) -> Any:
        seen["args"], seen["kw"] = list(args), kw
        return real_popen(args, **kw)

    monkeypatch.setattr(subprocess, "Popen", popen)
    env = {**os.environ, "ECLICTL_STATE_DIR": str(state), "ECLICTL_API_KEY": "k" * 40}
    pid = spawn_watcher(7, env, state / "revert" / "7.log", state)
    assert seen["args"] == [sys.executable, "-m", "eclictl.safety.watcher", "7"]  # no secret in argv
    assert seen["kw"]["start_new_session"] is True and seen["kw"]["stdin"] == subprocess.DEVNULL
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "nothing to do" not in (state / "revert" / "7.log").read_text():
        time.sleep(0.05)
    assert "revert #7: confirmed: nothing to do" in (state / "revert" / "7.log").read_text()
    assert pid > 0
    while time.monotonic() < deadline and (state / "revert" / "7.pid").exists():
        time.sleep(0.05)
    assert not (state / "revert" / "7.pid").exists()
