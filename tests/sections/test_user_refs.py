"""Everywhere a user is named, an exact e-mail works like an id (one resolver: users.resolve_user_id).

The panel's `?userId=` filters pass the value through `Number(x)` into SQL; recorded live,
`GET /api/admin/orders?userId=user11%40example.com` is a 500 `Internal server error`. The sandbox
answers the same, so these tests fail if an e-mail ever reaches the panel unresolved.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import SANDBOX_URL


def _raw(sandbox: Any, path: str) -> httpx.Response:
    client = httpx.Client(transport=sandbox.transport(), base_url=SANDBOX_URL)
    return client.get(path, headers={"Authorization": f"ApiKey {sandbox.keys['admin']}"})


def _user_with(sandbox: Any, table: str, field: str = "userId") -> dict[str, Any]:
    rows = getattr(sandbox.state, table).values()
    uid = next(r[field] for r in rows if isinstance(r.get(field), int) and r[field] in sandbox.state.users)
    return sandbox.state.users[uid]


@pytest.mark.parametrize("path", ["/api/admin/orders", "/api/admin/outbound-emails", "/api/admin/logs"])
def test_sandbox_non_numeric_user_id_is_the_panels_500(sandbox: Any, path: str) -> None:
    r = _raw(sandbox, f"{path}?userId=user11%40example.com")
    assert (r.status_code, r.json()) == (500, {"error": "Internal server error"})
    assert _raw(sandbox, f"{path}?userId=1").status_code == 200


def _sent_user_ids(sandbox: Any, path: str) -> list[str]:
    return [q[1] for q in sandbox.requests if q[1].startswith(path + "?") and "userId=" in q[1]]


def test_orders_and_emails_filters_resolve_an_email(cli: Any, sandbox: Any) -> None:
    user = _user_with(sandbox, "orders")
    r = cli("orders", "list", "--user", user["email"], "--all", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json() and {o["userId"] for o in r.json()} == {user["id"]}
    assert all(f"userId={user['id']}" in q for q in _sent_user_ids(sandbox, "/api/admin/orders"))
    sender = _user_with(sandbox, "outbound_emails")
    r = cli("emails", "list", "--user", sender["email"].upper(), "--all", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json() and {e["user"]["id"] for e in r.json()} == {sender["id"]}
    r = cli("emails", "list", "--user", "nobody@example.invalid")
    assert r.exit_code == 6 and "no user with e-mail" in r.stderr
    r = cli("orders", "list", "--user", "bob")
    assert r.exit_code == 2 and "expected a user id or e-mail" in r.stderr
    assert not [q for q in sandbox.requests if q[2] == 500]


def test_logs_announcements_shorturls_and_rollouts_take_an_email(cli: Any, sandbox: Any) -> None:
    root = sandbox.state.users[1]
    for args in (("logs", "list", "--user", root["email"], "-n", "5"),
                 ("logs", "export", "--user", root["email"], "--file", "/dev/null", "--force"),
                 ("announcements", "list", "--user", root["email"], "--pages", "1"),
                 ("shorturls", "list", "--owner", root["email"])):
        r = cli(*args)
        assert r.exit_code == 0, (args, r)
    assert not [q for q in sandbox.requests if q[2] == 500]
    assert any("userId=1" in q[1] for q in sandbox.requests if q[1].startswith("/api/admin/logs"))
    rollout = next(iter(sandbox.state.rollouts.values()))
    by_id = cli("rollouts", "check", rollout["key"], "5", "-o", "json").json()
    by_mail = cli("rollouts", "check", rollout["key"], sandbox.state.users[5]["email"], "-o", "json").json()
    assert by_mail == by_id and by_mail["userId"] == 5


def test_soc_audit_and_open_take_an_email(cli: Any, sandbox: Any) -> None:
    user = sandbox.state.users[9]
    assert cli("soc", "usage", "user", user["email"], "-o", "json").json() == \
        cli("soc", "usage", "user", "9", "-o", "json").json()
    root = sandbox.state.users[1]
    r = cli("audit", "admins", "--admin", root["email"], "-n", "3", "-o", "json")
    assert r.exit_code == 0, r
    assert any("adminUserId=1" in q[1] for q in sandbox.requests)
    r = cli("open", "--user", user["email"])
    assert r.exit_code == 0 and "viewUser=9" in r.stdout, r
