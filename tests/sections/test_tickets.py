"""`eclictl tickets` against the sandbox panel (docs/panel/support.md#tickets)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import SANDBOX_URL


def disable_feature(sandbox: Any, flag: str) -> None:
    """Turn a panel feature flag off (docs/panel/settings.md#feature-flags)."""
    sandbox.state.settings.setdefault("featureToggles", {})[flag] = False


def _open(sandbox: Any) -> list[dict[str, Any]]:
    return [t for t in sandbox.state.tickets.values()
            if not t["archived"] and (t["status"] != "closed" or t["aiClosed"])]


def test_help(cli: Any) -> None:
    r = cli("tickets", "--help", key=None, url=None)
    assert r.exit_code == 0
    for verb in ("list", "show", "reply", "status", "assign", "edit", "archive"):
        assert verb in r.stdout


def test_list_default_is_open_tickets_with_user(cli: Any, sandbox: Any) -> None:
    r = cli("tickets", "list", "--all", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    assert {t["id"] for t in rows} == {t["id"] for t in _open(sandbox)}
    assert all("email" in (t["user"] or {}) for t in rows)
    assert rows[0]["priority"] == "urgent"  # urgent first


def test_list_filters(cli: Any, sandbox: Any) -> None:
    r = cli("tickets", "list", "--status", "closed", "-o", "ids")
    expected = {t["id"] for t in sandbox.state.tickets.values() if t["status"] == "closed" and not t["archived"]}
    assert set(map(int, r.stdout.split())) == expected
    r = cli("tickets", "list", "--archived", "-o", "ids")
    assert set(map(int, r.stdout.split())) == {t["id"] for t in sandbox.state.tickets.values() if t["archived"]}
    r = cli("tickets", "list", "--priority", "urgent", "--status", "pending", "-o", "json")
    assert all(t["priority"] == "urgent" and t["status"] == "awaiting_staff_reply" for t in r.json())
    uid = next(iter(sandbox.state.tickets.values()))["userId"]
    r = cli("tickets", "list", "-q", str(uid), "--all", "-o", "json")
    assert r.json() and all(t["userId"] == uid for t in r.json())


def test_show_finds_closed_and_archived(cli: Any, sandbox: Any) -> None:
    archived = next(t for t in sandbox.state.tickets.values() if t["archived"])
    r = cli("tickets", "show", str(archived["id"]), "-o", "json")
    assert r.exit_code == 0 and r.json()["id"] == archived["id"]
    r = cli("tickets", "show", "9999")
    assert r.exit_code == 6 and "no ticket 9999" in r.stderr
    r = cli("tickets", "show", "abc")
    assert r.exit_code == 2


def test_reply_appends_message_and_sets_replied(cli: Any, sandbox: Any) -> None:
    ticket = next(t for t in _open(sandbox) if t["status"] == "opened")
    before = len(ticket["messages"])
    r = cli("tickets", "reply", str(ticket["id"]), "-", "-o", "json", stdin="We restarted the node \u2192 fixed.\n")
    assert r.exit_code == 0, r
    t = sandbox.state.tickets[ticket["id"]]
    assert t["status"] == "replied" and t["messages"][before]["sender"] == "staff"
    assert t["messages"][before]["message"] == "We restarted the node -> fixed."
    assert r.json()["status"] == "replied"
    r = cli("tickets", "reply", str(ticket["id"]), "  ")
    assert r.exit_code == 2


def test_status_bulk_with_alias_and_partial_failure(cli: Any, sandbox: Any) -> None:
    ids = [t["id"] for t in _open(sandbox)][:2]
    r = cli("tickets", "status", "closed", str(ids[0]), str(ids[1]), "9999", "-o", "json")
    assert r.exit_code == 8, r
    assert r.json()["done"] == 2 and r.json()["failed"] == 1
    assert all(sandbox.state.tickets[i]["status"] == "closed" for i in ids)
    assert sandbox.state.tickets[ids[0]]["messages"][-1]["sender"] == "system"
    r = cli("tickets", "status", "pending", str(ids[0]))
    assert r.exit_code == 0 and sandbox.state.tickets[ids[0]]["status"] == "awaiting_staff_reply"
    r = cli("tickets", "status", "12", "13")
    assert r.exit_code == 2 and "not a status" in r.stderr


def test_assign_edit_and_dry_run(cli: Any, sandbox: Any) -> None:
    tid = _open(sandbox)[0]["id"]
    r = cli("tickets", "assign", str(tid), "--to", "7", "--dry-run", "-o", "json")
    assert r.exit_code == 0 and r.json()[0]["body"] == {"assignedTo": 7}
    assert sandbox.state.tickets[tid]["assignedTo"] != 7
    assert cli("tickets", "assign", str(tid), "--to", "7").exit_code == 0
    assert sandbox.state.tickets[tid]["assignedTo"] == 7
    assert cli("tickets", "assign", str(tid), "--unassign").exit_code == 0
    assert sandbox.state.tickets[tid]["assignedTo"] == 0  # null is ignored by the panel: 0 = unassigned
    assert cli("tickets", "assign", str(tid)).exit_code == 2
    r = cli("tickets", "edit", str(tid), "--priority", "urgent", "--department", "abuse", "--ai-disabled")
    assert r.exit_code == 0, r
    t = sandbox.state.tickets[tid]
    assert (t["priority"], t["department"], t["aiDisabled"]) == ("urgent", "abuse", True)
    assert cli("tickets", "edit", str(tid), "--priority", "meh").exit_code == 2
    assert cli("tickets", "edit", str(tid)).exit_code == 2


def test_archive_verifies_each_id(cli: Any, sandbox: Any) -> None:
    tid = _open(sandbox)[0]["id"]
    r = cli("tickets", "archive", str(tid), "9999", "-o", "json")
    assert r.exit_code == 8, r
    items = {row["item"]: row["status"] for row in r.json()["items"]}
    assert items == {str(tid): "done", "9999": "failed"}
    assert sandbox.state.tickets[tid]["archived"] is True
    r = cli("tickets", "archive", str(tid), "--undo")
    assert r.exit_code == 0 and sandbox.state.tickets[tid]["archived"] is False
    assert cli("tickets", "archive", "x1").exit_code == 2


def test_feature_disabled_is_exit_9_naming_ticketing(cli: Any, sandbox: Any) -> None:
    disable_feature(sandbox, "ticketing")
    r = cli("tickets", "list")
    assert r.exit_code == 9, r
    assert "ticketing" in r.stderr and "{feature}" not in r.stderr


def test_redact_masks_pii_in_json_and_table(cli: Any, sandbox: Any) -> None:
    r = cli("tickets", "list", "--all", "-o", "json", "--redact")
    assert r.exit_code == 0
    emails = {sandbox.state.users[t["userId"]]["email"] for t in _open(sandbox)}
    assert not any(e in r.stdout for e in emails)
    assert "Morgan" not in r.stdout and "+44 7700" not in r.stdout
    subjects = {t["subject"] for t in _open(sandbox)}
    assert not any(s in r.stdout for s in subjects)
    r = cli("tickets", "list", "--redact", tty=True)
    assert r.exit_code == 0 and not any(e in r.stdout for e in emails)


def test_permission_denied(cli: Any) -> None:
    r = cli("tickets", "list", key="plain")
    assert r.exit_code == 5


def _raw(sandbox: Any, method: str, path: str, body: Any = None) -> httpx.Response:
    client = httpx.Client(transport=sandbox.transport(), base_url=SANDBOX_URL)
    return client.request(method, path, json=body, headers={"Authorization": f"ApiKey {sandbox.keys['admin']}"})


def test_sandbox_ticket_put_ignores_null_assignee_like_the_panel(sandbox: Any) -> None:
    """adminHandler.ts: `if (assignedTo != null) ticket.assignedTo = Number(assignedTo)`; 200 all the same."""
    ticket = next(t for t in sandbox.state.tickets.values() if t["assignedTo"] == 1)
    r = _raw(sandbox, "PUT", f"/api/admin/tickets/{ticket['id']}", {"assignedTo": None})
    assert r.status_code == 200 and r.json()["success"] is True
    assert r.json()["ticket"]["assignedTo"] == 1 and ticket["assignedTo"] == 1
    r = _raw(sandbox, "PUT", f"/api/admin/tickets/{ticket['id']}", {"assignedTo": "0", "priority": "", "department": None})
    assert (ticket["assignedTo"], ticket["priority"] != "", ticket["department"] is not None) == (0, True, True)


def test_unassign_stores_zero_and_is_read_back(cli: Any, sandbox: Any) -> None:
    ticket = next(t for t in _open(sandbox) if t["assignedTo"] == 1)
    r = cli("tickets", "assign", str(ticket["id"]), "--unassign", "-o", "json")
    assert r.exit_code == 0, r
    assert ticket["assignedTo"] == 0
    puts = [q for q in sandbox.requests if q[0] == "PUT"]
    reads = [q for q in sandbox.requests if q[0] == "GET" and q[1].startswith("/api/admin/tickets?")]
    assert len(puts) == 1 and reads, sandbox.requests  # read back after the write
    assert r.json()["done"] == 1


def test_a_field_the_panel_skips_is_reported_not_done(cli: Any, sandbox: Any) -> None:
    """Staff with admin:ticket:staff but not tickets:write: the panel answers 200 and skips priority."""
    from eclictl.sandbox.routes.core import start_session

    role = _raw(sandbox, "POST", "/api/roles", {"name": "ticket-staff"}).json()["role"]["id"]
    for perm in ("admin:access", "tickets:read", "admin:ticket:staff"):
        _raw(sandbox, "POST", f"/api/roles/{role}/permissions", {"value": perm})
    staff = next(u for u in sandbox.state.users.values() if u.get("role") not in ("*", "rootAdmin"))
    assert _raw(sandbox, "POST", f"/api/users/{staff['id']}/roles", {"roleId": role}).status_code == 200
    env = {"ECLICTL_TOKEN": start_session(sandbox.state, staff)["token"]}
    ticket = next(t for t in _open(sandbox) if t["priority"] != "urgent")
    r = cli("tickets", "edit", str(ticket["id"]), "--priority", "urgent", key=None, env=env)
    assert r.exit_code == 7, r
    assert f"ticket {ticket['id']}: the panel answered success but ignored priority: sent urgent" in r.stderr
    assert ticket["priority"] != "urgent"
    r = cli("tickets", "assign", str(ticket["id"]), "--to", "1", "-o", "json", key=None, env=env)
    assert r.exit_code == 8 and r.json()["failed"] == 1 and "ignored assignedTo" in r.json()["items"][0]["message"]


def test_status_filter_uses_the_alias_table_the_panel_matches_literally(cli: Any, sandbox: Any) -> None:
    # the real list filter knows only canonical names: ?status=pending is an empty list
    assert _raw(sandbox, "GET", "/api/admin/tickets?status=pending").json()["tickets"] == []
    waiting = {t["id"] for t in _open(sandbox) if t["status"] == "awaiting_staff_reply"}
    for word in ("pending", "waiting", "awaiting_staff_reply"):
        r = cli("tickets", "list", "--status", word, "--all", "-o", "ids")
        assert r.exit_code == 0 and set(map(int, r.stdout.split())) == waiting, (word, r)
    opened = {t["id"] for t in _open(sandbox) if t["status"] == "opened"}
    assert set(map(int, cli("tickets", "list", "--status", "open", "--all", "-o", "ids").stdout.split())) == opened
    assert any("status=awaiting_staff_reply" in q[1] for q in sandbox.requests)
    before = len(sandbox.requests)
    r = cli("tickets", "list", "--status", "bogus")
    assert r.exit_code == 2 and "unknown ticket status 'bogus'" in r.stderr
    assert "opened, awaiting_staff_reply, replied, closed, archived" in r.stderr
    assert len(sandbox.requests) == before  # refused before any request


def test_status_writes_refuse_unknown_words(cli: Any, sandbox: Any) -> None:
    tid = _open(sandbox)[0]["id"]
    r = cli("tickets", "status", "resolved", str(tid))
    assert r.exit_code == 2 and "unknown ticket status 'resolved'" in r.stderr
    r = cli("tickets", "status", "archived", str(tid))
    assert r.exit_code == 2 and "tickets archive" in r.stderr
    r = cli("tickets", "reply", str(tid), "hi", "--status", "done")
    assert r.exit_code == 2 and sandbox.state.tickets[tid]["status"] != "done"


def test_assign_to_an_email(cli: Any, sandbox: Any) -> None:
    tid = _open(sandbox)[0]["id"]
    staff = sandbox.state.users[3]
    r = cli("tickets", "assign", str(tid), "--to", staff["email"])
    assert r.exit_code == 0, r
    assert sandbox.state.tickets[tid]["assignedTo"] == 3
    r = cli("tickets", "assign", str(tid), "--to", "nobody@example.invalid")
    assert r.exit_code == 6 and "no user with e-mail" in r.stderr
