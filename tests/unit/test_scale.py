"""Issue #9 (scale): pacing, journal/resume, Ctrl-C, and the bulk options on `users suspend`.

All fast: sleeps are injected (the cli fixture records them), clocks are fake.
"""

from __future__ import annotations

import io
import json
import threading
from collections import Counter
from typing import Any

import pytest

from eclictl.bulk import DONE, FAILED, NOT_STARTED, SKIPPED, BulkRunner, finish
from eclictl.config import Settings
from eclictl.context import AppContext, Factory, IOStreams
from eclictl.errors import Interrupted
from eclictl.journal import Journal, load_finished, read_entries
from eclictl.pacing import Pacer


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_ctx(concurrency: int = 4, rate: int = 0, sleep: Any = None) -> AppContext:
    streams = IOStreams(io.StringIO(), io.StringIO(), io.StringIO(), False, False, False)
    factory = Factory(io=streams, env={"ECLICTL_CONFIG_DIR": "/nonexistent"},
                      sleep=sleep or (lambda s: pytest.fail(f"really slept {s}")))
    ctx = AppContext(factory, {"output": "json"})
    ctx._settings = Settings(concurrency=concurrency, rate=rate)
    ctx.activate()
    return ctx


def ids(n: int, start: int = 2) -> list[str]:
    return [str(i) for i in range(start, start + n)]


def plain(sandbox: Any, n: int) -> list[str]:
    """n seeded users that may be suspended (not root, not staff, not suspended yet)."""
    rows = sandbox.state.users
    return [str(i) for i in sorted(rows) if i >= 11 and rows[i].get("role") is None
            and not rows[i].get("suspended")][:n]


# -- pacing -----------------------------------------------------------------------------------
def test_pacer_spaces_starts_by_the_interval() -> None:
    clock = FakeClock()
    pacer = Pacer(60, clock=clock, sleep=clock.sleep)  # one start per second
    waits = [pacer.acquire() for _ in range(4)]
    assert waits == [0.0, 1.0, 1.0, 1.0] and clock.sleeps == [1.0, 1.0, 1.0]
    assert pacer.waited == 3.0


def test_pacer_burst_then_interval_and_idle_time_counts() -> None:
    clock = FakeClock()
    pacer = Pacer(120, burst=3, clock=clock, sleep=clock.sleep)  # 0.5 s interval
    assert [pacer.reserve() for _ in range(5)] == [0.0, 0.0, 0.0, 0.5, 1.0]
    clock.now += 60  # idle: the bucket refills, but never beyond the burst
    assert [pacer.reserve() for _ in range(4)] == [0.0, 0.0, 0.0, 0.5]


def test_pacer_unlimited_never_waits() -> None:
    clock = FakeClock()
    pacer = Pacer(0, clock=clock, sleep=clock.sleep)
    assert all(pacer.acquire() == 0 for _ in range(1000)) and clock.sleeps == []
    with pytest.raises(ValueError):
        Pacer(-1)


def test_bulk_runner_paces_with_the_injected_sleep() -> None:
    clock = FakeClock()
    ctx = make_ctx(concurrency=1, rate=600, sleep=clock.sleep)
    pacer = Pacer(600, clock=clock, sleep=clock.sleep)  # 0.1 s interval
    report = BulkRunner(ctx, pacer=pacer).run("x", ids(5), lambda item: None)
    assert report.count(DONE) == 5
    assert clock.sleeps == pytest.approx([0.1] * 4)


def test_bulk_runner_rate_defaults_from_settings_and_uses_factory_sleep() -> None:
    slept: list[float] = []
    ctx = make_ctx(concurrency=2, rate=20, sleep=slept.append)
    runner = BulkRunner(ctx)
    assert runner.pacer.rate == 20 and runner.pacer.burst == 2
    assert BulkRunner(make_ctx(concurrency=2, rate=450)).pacer.burst == 22  # up to 3 s of budget
    runner.run("x", ids(6), lambda item: None)
    assert len(slept) == 4 and all(s > 0 for s in slept)  # 2 burst starts, then paced waits
    assert BulkRunner(ctx, rate=0).pacer.unlimited


# -- journal ----------------------------------------------------------------------------------
def test_journal_lines_and_resume(tmp_path: Any) -> None:
    path = tmp_path / "run.jsonl"
    ctx = make_ctx(concurrency=3)
    calls: list[str] = []

    def action(item: str) -> Any:
        calls.append(item)
        if item == "4":
            raise RuntimeError("boom")
        if item == "5":
            return (SKIPPED, "already suspended")
        return None

    first = BulkRunner(ctx, journal=path).run("x", ids(6), action)
    entries = read_entries(path)
    assert sorted(e["item"] for e in entries) == sorted(ids(6))
    assert all(set(e) == {"item", "status", "message", "at"} for e in entries)
    assert {e["item"]: e["status"] for e in entries}["4"] == FAILED
    assert first.count(DONE) == 4
    assert load_finished(path) == {"2": DONE, "3": DONE, "5": SKIPPED, "6": DONE, "7": DONE}

    calls.clear()
    second = BulkRunner(ctx, journal=path, resume=path).run("x", ids(6), action)
    assert calls == ["4"]  # only the failed item is tried again
    rows = {r.item: (r.status, r.message) for r in second.results}
    assert rows["2"] == (SKIPPED, "done in a previous run") and rows["5"][0] == SKIPPED
    assert rows["4"] == (FAILED, "RuntimeError: boom")


def test_journal_ignores_a_torn_line_and_missing_file(tmp_path: Any) -> None:
    path = tmp_path / "j.jsonl"
    assert load_finished(path) == {}
    with Journal(path) as journal:
        journal.record("a", DONE)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('{"item": "b", "sta')
    assert load_finished(path) == {"a": DONE}


# -- Ctrl-C -----------------------------------------------------------------------------------
def test_interrupt_sequential_marks_the_rest_not_started() -> None:
    ctx = make_ctx(concurrency=1)
    calls: list[str] = []

    def action(item: str) -> None:
        calls.append(item)
        if item == "4":
            raise KeyboardInterrupt

    report = BulkRunner(ctx).run("x", ids(6), action)
    assert calls == ["2", "3", "4"]
    assert [r.status for r in report.results] == [DONE, DONE, FAILED] + [NOT_STARTED] * 3
    assert report.interrupted
    with pytest.raises(Interrupted) as info:
        finish(ctx, report)
    assert info.value.exit_code == 130
    assert json.loads(ctx.io.stdout.getvalue())["not_started"] == 3


def test_interrupt_with_concurrency_waits_for_in_flight_items() -> None:
    ctx = make_ctx(concurrency=4)
    lock = threading.Lock()
    calls: list[str] = []

    def action(item: str) -> None:
        with lock:
            calls.append(item)
        if item == "10":
            raise KeyboardInterrupt

    report = BulkRunner(ctx).run("x", ids(40), action)
    assert report.interrupted
    started = {r.item for r in report.results if r.status != NOT_STARTED}
    assert started == set(calls)  # every started item has its outcome, nothing else ran
    assert report.count(NOT_STARTED) >= 40 - 9 - 4
    assert next(r for r in report.results if r.item == "10").status == FAILED


def test_ctrl_c_while_pacing_in_the_main_thread() -> None:
    count = {"n": 0}

    def sleep(seconds: float) -> None:
        count["n"] += 1
        if count["n"] == 3:
            raise KeyboardInterrupt

    for concurrency in (1, 3):
        count["n"] = 0
        ctx = make_ctx(concurrency=concurrency, sleep=sleep)
        clock = FakeClock()
        pacer = Pacer(60, clock=clock, sleep=sleep)
        report = BulkRunner(ctx, pacer=pacer).run("x", ids(10), lambda item: None)
        assert report.interrupted and report.count(DONE) == 3 and report.count(NOT_STARTED) == 7


# -- against the sandbox ----------------------------------------------------------------------
def _puts(sandbox: Any) -> Counter[str]:
    return Counter(path for method, path, status in sandbox.requests if method == "PUT")


def test_concurrency_bound_respected(cli: Any, sandbox: Any) -> None:
    targets = plain(sandbox, 30)
    r = cli("users", "suspend", *targets, "--yes", "--concurrency", "4", "--rate", "0", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["done"] == len(targets)
    assert 1 <= sandbox.max_in_flight <= 4
    assert all(sandbox.state.users[int(t)]["suspended"] for t in targets)
    assert r.sleeps == []  # rate 0: never paced


def test_rate_paces_every_request_not_just_item_starts(cli: Any, sandbox: Any) -> None:
    before = len(sandbox.requests)
    r = cli("users", "suspend", *plain(sandbox, 6), "--yes", "--concurrency", "1", "--rate", "20/min", "-o", "json")
    assert r.exit_code == 0, r
    sent = len(sandbox.requests) - before
    assert sent == 12  # each item reads the user, then PUTs: both count against the panel's budget
    # 3 s interval, burst 1: one wait per request after the first (the recorded sleep passes no time,
    # so each wait is one slot further out)
    assert len(r.sleeps) == sent - 1 and 2.5 < r.sleeps[0] <= 3.0 and r.sleeps == sorted(r.sleeps)
    assert 3.0 * (sent - 2) < r.sleeps[-1] <= 3.0 * (sent - 1)  # real time passing only shortens waits


def test_rate_option_is_validated_before_any_request(cli: Any, sandbox: Any) -> None:
    before = len(sandbox.requests)
    r = cli("users", "suspend", "12", "--yes", "--rate", "fast")
    assert r.exit_code == 2 and "--rate" in r.stderr and "Traceback" not in r.stderr
    assert len(sandbox.requests) == before


def test_rate_per_second_form(cli: Any, sandbox: Any) -> None:
    r = cli("users", "suspend", *plain(sandbox, 2), "--yes", "--concurrency", "1", "--rate", "1/s", "-o", "json")
    assert r.exit_code == 0, r
    assert r.sleeps and all(0.9 < s <= 1.0 * (i + 1) + 0.01 for i, s in enumerate(r.sleeps))


def test_journal_resume_does_not_repeat_finished_items(cli: Any, sandbox: Any, tmp_path: Any) -> None:
    targets = plain(sandbox, 20)
    journal = str(tmp_path / "suspend.jsonl")
    victim = targets[len(targets) // 2]
    sandbox.inject_fault(method="PUT", path=f"/api/admin/users/{victim}", status=400,
                         body={"error": "Validation failed"})
    r = cli("users", "suspend", *targets, "--yes", "--journal", journal, "--rate", "0", "-o", "json")
    assert r.exit_code == 8, r
    assert not sandbox.state.users[int(victim)]["suspended"]

    r = cli("users", "suspend", *targets, "--yes", "--journal", journal, "--resume", journal,
            "--rate", "0", "-o", "json")
    assert r.exit_code == 0, r
    out = {i["item"]: i for i in r.json()["items"]}
    assert out[victim]["status"] == DONE
    assert all(out[t]["message"] == "done in a previous run" for t in targets if t != victim)
    puts = _puts(sandbox)
    assert puts[f"/api/admin/users/{victim}"] == 2  # the failed attempt, then the resumed one
    assert all(puts[f"/api/admin/users/{t}"] == 1 for t in targets if t != victim)
    assert all(sandbox.state.users[int(t)]["suspended"] for t in targets)


def test_ctrl_c_then_resume(cli: Any, sandbox: Any, tmp_path: Any) -> None:
    targets = plain(sandbox, 10)
    victim = targets[4]
    base = sandbox.transport()

    import httpx

    def handler(request: Any) -> Any:
        if request.method == "PUT" and request.url.path == f"/api/admin/users/{victim}" \
                and not getattr(handler, "fired", False):
            handler.fired = True  # type: ignore[attr-defined]
            raise KeyboardInterrupt
        return base.handle_request(request)

    journal = str(tmp_path / "j.jsonl")
    r = cli("users", "suspend", *targets, "--yes", "--concurrency", "1", "--journal", journal, "-o", "json",
            transport=httpx.MockTransport(handler))
    assert r.exit_code == 130, r
    summary = r.json()
    assert summary["interrupted"] and summary["done"] == 4 and summary["not_started"] == len(targets) - 5
    r = cli("users", "suspend", *targets, "--yes", "--resume", journal, "-o", "json")
    assert r.exit_code == 0, r
    assert all(_puts(sandbox)[f"/api/admin/users/{t}"] == 1 for t in targets)


def test_429_on_put_is_retried_and_the_item_ends_done(cli: Any, sandbox: Any) -> None:
    uid = plain(sandbox, 1)[0]
    sandbox.inject_fault(method="PUT", path=f"/api/admin/users/{uid}", status=429,
                         body={"error": "Too many requests"})
    r = cli("users", "suspend", uid, "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["items"] == [{"item": uid, "status": DONE, "message": ""}]
    assert sandbox.state.users[int(uid)]["suspended"]
    assert r.sleeps[0] >= 3.0  # 429 backs off longer than a 5xx (no Retry-After on the real panel)
    assert _puts(sandbox)[f"/api/admin/users/{uid}"] == 2


def test_429_beyond_the_client_retries_is_retried_by_the_runner(cli: Any, sandbox: Any) -> None:
    uid = plain(sandbox, 1)[0]
    sandbox.inject_fault(method="PUT", path=f"/api/admin/users/{uid}", status=429,
                         body={"error": "Too many requests"}, times=3)
    r = cli("--max-retries", "0", "users", "suspend", uid, "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["done"] == 1 and sandbox.state.users[int(uid)]["suspended"]
    assert _puts(sandbox)[f"/api/admin/users/{uid}"] == 4  # three 429s, then the accepted one


def test_429_for_ever_fails_the_item_with_a_clear_message(cli: Any, sandbox: Any) -> None:
    uid, other = plain(sandbox, 2)
    sandbox.inject_fault(method="PUT", path=f"/api/admin/users/{uid}", status=429,
                         body={"error": "Too many requests"}, times=100)
    r = cli("--max-retries", "0", "users", "suspend", uid, other, "--yes", "-o", "json")
    assert r.exit_code == 8, r
    rows = {i["item"]: i for i in r.json()["items"]}
    assert rows[uid]["status"] == FAILED and "HTTP 429" in rows[uid]["message"]
    assert rows[other]["status"] == DONE
    assert _puts(sandbox)[f"/api/admin/users/{uid}"] == BulkRunner.RATE_LIMIT_RETRIES + 1


# -- progress ---------------------------------------------------------------------------------
@pytest.mark.parametrize("tty", [True, False])
def test_progress_bar_on_a_terminal_only(tty: bool) -> None:
    streams = IOStreams(io.StringIO(), io.StringIO(), io.StringIO(), tty, tty, tty)
    ctx = AppContext(Factory(io=streams, env={"ECLICTL_CONFIG_DIR": "/nonexistent"}), {"output": "json"})
    ctx._settings = Settings(concurrency=2, rate=0)
    ctx.activate()
    report = BulkRunner(ctx).run("touch", ids(5), lambda item: ("failed", "no") if item == "3" else None)
    assert report.count(DONE) == 4 and report.count(FAILED) == 1
    err = streams.stderr.getvalue()
    if tty:
        assert "5/5" in err and "failed: 1" in err and "items/s" in err and "ETA" in err
    else:
        assert err == ""


# -- settings sources -------------------------------------------------------------------------
def test_rate_and_concurrency_from_the_environment(cli: Any, sandbox: Any) -> None:
    before = len(sandbox.requests)
    r = cli("users", "suspend", *plain(sandbox, 2), "--yes", "-o", "json",
            env={"ECLICTL_RATE": "20/min", "ECLICTL_CONCURRENCY": "1"})
    assert r.exit_code == 0, r
    assert len(r.sleeps) == len(sandbox.requests) - before - 1 and 2.5 < r.sleeps[0] <= 3.0


def test_flag_beats_the_environment_and_bad_env_is_a_usage_error(cli: Any, sandbox: Any) -> None:
    r = cli("users", "suspend", *plain(sandbox, 2), "--yes", "--rate", "0", "-o", "json",
            env={"ECLICTL_RATE": "20/min"})
    assert r.exit_code == 0 and r.sleeps == []
    before = len(sandbox.requests)
    r = cli("users", "suspend", "12", "--yes", env={"ECLICTL_CONCURRENCY": "many"})
    assert r.exit_code == 2 and "ECLICTL_CONCURRENCY" in r.stderr and "Traceback" not in r.stderr
    assert len(sandbox.requests) == before


# -- every multi-item verb offers the bulk options -------------------------------------------
#: Multi-item verbs that do not run items through the bulk runner, and why.
NOT_BULK_RUNNER = {
    "antiabuse delete": "one panel bulk-delete request, then verified",
    "applications submissions delete": "one panel bulk-delete request, then verified",
    "eggs delete": "sequential on purpose (concurrency 1)",
}


def test_multi_item_verbs_offer_concurrency_rate_journal_resume() -> None:
    from eclictl._reference import _nodes, command_tree

    missing = []
    for node in _nodes(command_tree()):
        name = " ".join(node.path[1:])
        if node.children or "..." not in node.usage or name in NOT_BULK_RUNNER:
            continue
        if node.path[-1] not in ("delete", "suspend", "unsuspend", "approve", "reject", "power"):
            continue
        options = {flag for names, _, _ in node.options for flag in names}
        if not {"--concurrency", "--rate", "--journal", "--resume"} <= options:
            missing.append(name)
    assert not missing, f"bulk verbs without the bulk options (use @command(bulk=True)): {missing}"
