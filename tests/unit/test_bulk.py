"""The bulk runner: ordered per-item results, bounded concurrency, exact failure report, exit 8."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest

from eclictl.bulk import DONE, FAILED, SKIPPED, BulkRunner, finish
from eclictl.config import Settings
from eclictl.context import AppContext, Factory, IOStreams
from eclictl.errors import NotFoundError, PartialFailure


def make_ctx(fmt: str = "json", concurrency: int = 4) -> AppContext:
    streams = IOStreams(io.StringIO(), io.StringIO(), io.StringIO(), False, False, False)
    ctx = AppContext(Factory(io=streams, env={"ECLICTL_CONFIG_DIR": "/nonexistent"}), {"output": fmt})
    ctx._settings = Settings(concurrency=concurrency)
    ctx.activate()
    return ctx


def test_results_keep_input_order_and_statuses() -> None:
    ctx = make_ctx()

    def action(item: str) -> Any:
        if item == "3":
            raise NotFoundError("User not found")
        if item == "4":
            return (SKIPPED, "already suspended")
        return {"id": item}

    report = BulkRunner(ctx).run("suspend users", [str(i) for i in range(1, 7)], action)
    assert [r.item for r in report.results] == ["1", "2", "3", "4", "5", "6"]
    assert [r.status for r in report.results] == [DONE, DONE, FAILED, SKIPPED, DONE, DONE]
    assert report.results[2].message == "User not found"
    summary = report.summary()
    assert (summary["done"], summary["failed"], summary["skipped"]) == (4, 1, 1)


def test_concurrency_is_bounded() -> None:
    ctx = make_ctx(concurrency=3)
    lock = threading.Lock()
    state = {"now": 0, "max": 0}
    gate = threading.Barrier(3, timeout=5)

    def action(item: str) -> None:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        if int(item) < 3:
            gate.wait()  # the first three really run at the same time
        with lock:
            state["now"] -= 1

    BulkRunner(ctx).run("x", [str(i) for i in range(12)], action)
    assert state["max"] == 3


def test_finish_prints_report_and_raises_partial_failure() -> None:
    ctx = make_ctx()

    def action(item: str) -> None:
        if item == "b":
            raise RuntimeError("boom")

    report = BulkRunner(ctx).run("delete things", ["a", "b", "c"], action)
    with pytest.raises(PartialFailure) as info:
        finish(ctx, report)
    assert info.value.exit_code == 8
    import json

    out = json.loads(ctx.io.stdout.getvalue())
    assert out["failed"] == 1 and [i["item"] for i in out["items"] if i["status"] == "failed"] == ["b"]
    assert "1 failed (b)" in ctx.io.stderr.getvalue()


def test_finish_quiet_prints_nothing_on_success() -> None:
    ctx = make_ctx(fmt=None)  # type: ignore[arg-type]  # no -o on the command line
    report = BulkRunner(ctx).run("x", ["a"], lambda item: None)
    finish(ctx, report, quiet=True)
    assert ctx.io.stdout.getvalue() == "" and ctx.io.stderr.getvalue() == ""


def test_finish_quiet_still_prints_the_data_a_script_asked_for_with_o() -> None:
    ctx = make_ctx(fmt="json")  # `--quiet -o json > file`: the file gets the summary, stderr stays silent
    report = BulkRunner(ctx).run("x", ["a"], lambda item: None)
    finish(ctx, report, quiet=True)
    import json

    assert json.loads(ctx.io.stdout.getvalue())["done"] == 1 and ctx.io.stderr.getvalue() == ""


def _denied(message: str = "Admin permission users:suspend required.") -> Exception:
    from eclictl.api.errors import error_for_status

    return error_for_status(403, message, method="PUT", path="/api/admin/users/1", body={"error": message})


def test_every_item_refused_for_one_permission_is_exit_5_not_8() -> None:
    ctx = make_ctx()

    def action(item: str) -> None:
        raise _denied()

    with pytest.raises(Exception) as info:
        finish(ctx, BulkRunner(ctx).run("suspend users", ["1", "2", "3"], action))
    assert info.value.exit_code == 5  # type: ignore[attr-defined]
    assert info.value.message == "suspend users: all 3 item(s) refused: Admin permission users:suspend required."  # type: ignore[attr-defined]
    assert "users:suspend" in (info.value.hint or "")  # type: ignore[attr-defined]


@pytest.mark.parametrize("second", ["done", "not found", "other 403"])
def test_mixed_outcomes_stay_a_partial_failure(second: str) -> None:
    ctx = make_ctx()

    def action(item: str) -> None:
        if item == "1" or second == "done":
            if item == "1":
                raise _denied()
            return None
        if second == "not found":
            raise NotFoundError("User not found")
        raise _denied("Admin permission admin:user:edit required.")

    with pytest.raises(PartialFailure):
        finish(ctx, BulkRunner(ctx).run("suspend users", ["1", "2"], action))


def test_every_item_refused_for_a_non_permission_reason_stays_8() -> None:
    """A 403 such as 'Cannot remove organisation owner' is a refusal of the item, not a missing permission."""
    ctx = make_ctx()

    def action(item: str) -> None:
        raise _denied("Cannot remove organisation owner")

    with pytest.raises(PartialFailure):
        finish(ctx, BulkRunner(ctx).run("remove members", ["1", "2"], action))
