"""End to end: the risky writes of the coupons, ELO and chat tabs behind a proxy that fails after
forwarding. Each acts once (a new coupon, an e-mail to the owner, deleted posts): never re-sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.e2e.test_binary import base_env, run

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


FAULTS = [({"status": 502, "html": True}, 1), ({"drop": True}, 3)]


@pytest.mark.parametrize("fault, code", FAULTS, ids=["502-after-forwarding", "reset-after-forwarding"])
def test_coupon_create_without_code_is_sent_once(served: Any, tmp_path: Path, fault: dict[str, Any],
                                                 code: int) -> None:
    panel, handle = served
    before = len(panel.state.coupons)
    panel.inject_fault(method="POST", path="/api/admin/coupons", forward=True, **fault)
    r = run(["coupons", "create", "--type", "fixed", "--value", "5"], base_env(tmp_path, handle.url, panel.keys["admin"]))
    assert r.returncode == code, r.stderr
    assert len(panel.state.coupons) == before + 1
    assert [p for m, p, _ in panel.requests if m == "POST"] == ["/api/admin/coupons"]


@pytest.mark.parametrize("fault, code", FAULTS, ids=["502-after-forwarding", "reset-after-forwarding"])
def test_elo_status_change_mails_the_owner_once(served: Any, tmp_path: Path, fault: dict[str, Any], code: int) -> None:
    panel, handle = served
    panel.inject_fault(method="PUT", path="/api/admin/elo/2", forward=True, **fault)
    r = run(["elo", "edit", "2", "--status", "changes_requested", "--yes"],
            base_env(tmp_path, handle.url, panel.keys["admin"]))
    assert r.returncode == code, r.stderr
    assert panel.state.elo_projects[2]["moderationStatus"] == "changes_requested"
    assert len(panel.state.sent_mail) == 1
    assert [p for m, p, _ in panel.requests if m == "PUT"] == ["/api/admin/elo/2"]


def test_chat_purge_is_sent_once(served: Any, tmp_path: Path) -> None:
    panel, handle = served
    poster = panel.state.chat_messages[4]["posterId"]
    panel.inject_fault(method="POST", path="/api/chat/messages/mass-delete", forward=True, drop=True)
    r = run(["chat", "messages", "purge", "--poster", poster, "--yes"],
            base_env(tmp_path, handle.url, panel.keys["admin"]))
    assert r.returncode == 3, r.stderr
    assert 4 not in panel.state.chat_messages
    assert [p for m, p, _ in panel.requests if m == "POST"] == ["/api/chat/messages/mass-delete"]
