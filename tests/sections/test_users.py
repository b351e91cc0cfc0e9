"""`eclictl users` against the sandbox panel (docs/panel/users.md#routes, docs/panel/roles.md#routes)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def _plain_users(sandbox: Any) -> list[dict[str, Any]]:
    """Non-root users, not deleted, not frozen by the deletion seed."""
    return [u for _, u in sorted(sandbox.state.users.items())
            if u.get("role") not in ("*", "rootAdmin") and not u.get("deletedAt")
            and not u.get("pendingDeletionUntil")]


def _root(sandbox: Any) -> dict[str, Any]:
    return next(u for _, u in sorted(sandbox.state.users.items()) if u.get("role") in ("*", "rootAdmin"))


def _links(sandbox: Any, user_id: int) -> list[Any]:
    from eclictl.sandbox.routes import users as routes  # noqa: F401  (state lives on sandbox.state)

    table = sandbox.state.user_roles
    return [r for r in table.values() if _link_user(r) == user_id]


def _link_user(row: dict[str, Any]) -> Any:
    if "userId" in row:
        return row["userId"]
    user = row.get("user")
    return user.get("id") if isinstance(user, dict) else user


def _link_role(row: dict[str, Any]) -> Any:
    if "roleId" in row:
        return row["roleId"]
    role = row.get("role")
    return role.get("id") if isinstance(role, dict) else role


# -- list / show / resolve ------------------------------------------------------------------
def test_list_json_tsv_and_redact_in_every_format(cli: Any, sandbox: Any) -> None:
    user = _plain_users(sandbox)[0]
    r = cli("users", "list", "-q", user["email"], "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    assert any(row["id"] == user["id"] for row in rows)
    assert all("twoFactorSecret" not in row and "passwordHash" not in row for row in rows)
    r = cli("users", "list", "-q", str(user["id"]))
    assert r.exit_code == 0 and r.stdout.splitlines()[0].split("\t")[:2] == [str(user["id"]), user["email"]]
    for fmt in ("json", "jsonl", "tsv", "csv", "table"):
        r = cli("users", "list", "-q", user["email"], "-o", fmt, "--redact")
        assert r.exit_code == 0, (fmt, r)
        assert user["email"] not in r.stdout and user["lastName"] not in r.stdout, fmt


def test_list_client_side_filters(cli: Any, sandbox: Any) -> None:
    users = _plain_users(sandbox)
    users[0]["suspended"] = True
    r = cli("users", "list", "--suspended", "-o", "json")
    assert r.exit_code == 0, r
    ids = [row["id"] for row in r.json()]
    assert users[0]["id"] in ids and all(sandbox.state.users[i]["suspended"] for i in ids)


def test_show_combines_profile_roles_plan_and_strips_secrets(cli: Any, sandbox: Any) -> None:
    link = next(iter(sandbox.state.user_ai_links.values()))
    uid = link["userId"]
    r = cli("users", "show", str(uid), "-o", "json")
    assert r.exit_code == 0, r
    body = r.json()
    assert body["id"] == uid and body["email"] == sandbox.state.users[uid]["email"]
    assert isinstance(body["roles"], list) and set(body["currentPlan"]) >= {"plans", "orders"}
    text = r.stdout
    for secret in ("twoFactorSecret", "passwordHash", "sessions", "sk-live-", "llm.internal"):
        assert secret not in text
    assert body["aiModels"][0]["model"]["name"] == link["model"]["name"]
    r = cli("users", "show", str(uid), "--redact")
    assert r.exit_code == 0 and sandbox.state.users[uid]["email"] not in r.stdout
    assert "email" in r.stdout
    r = cli("users", "show", str(uid), "-o", "json", "--redact")
    assert sandbox.state.users[uid]["email"] not in r.stdout and sandbox.state.users[uid]["lastName"] not in r.stdout


def test_email_resolution_exact_case_insensitive_ambiguous_and_missing(cli: Any, sandbox: Any) -> None:
    a, b = _plain_users(sandbox)[:2]
    r = cli("users", "show", a["email"].upper(), "-o", "json")
    assert r.exit_code == 0 and r.json()["id"] == a["id"], r
    r = cli("users", "show", "nobody-at-all@nowhere.test")
    assert r.exit_code == 6 and r.stderr.startswith("error: no user with e-mail")
    b["email"] = a["email"].upper()
    r = cli("users", "show", a["email"])
    assert r.exit_code == 7 and str(a["id"]) in r.stderr and str(b["id"]) in r.stderr
    r = cli("users", "show", "not-an-id")
    assert r.exit_code == 2 and "id or e-mail" in r.stderr
    r = cli("users", "show", "987654")
    assert r.exit_code == 6 and "User not found" in r.stderr and "Traceback" not in r.stderr


# -- edit -------------------------------------------------------------------------------------
def test_edit_typed_fields_and_reread(cli: Any, sandbox: Any) -> None:
    user = _plain_users(sandbox)[0]
    r = cli("users", "edit", str(user["id"]), "--set", "firstName=Ada", "--set", "phone=null",
            "--set", "billingZip=01234", "--set", "emailVerified=false", "--set", "limits.memory=2GB",
            "--set", 'badges=["beta"," beta ","partner"]', "-o", "json")
    assert r.exit_code == 0, r
    out = r.json()
    assert out["firstName"] == "Ada" and out["phone"] is None and out["billingZip"] == "01234"
    assert out["badges"] == ["beta", "partner"] and out["limits"]["memory"] == 2048
    assert user["firstName"] == "Ada" and user["billingZip"] == "01234" and user["emailVerified"] is False
    assert user["settings"]["badges"] == ["beta", "partner"]
    r = cli("users", "edit", str(user["id"]), "--set", "lastName=Lovelace", "-o", "tsv")
    assert r.exit_code == 0 and "lastName\tLovelace" in r.stdout


def test_edit_validates_locally_before_any_request(cli: Any, sandbox: Any) -> None:
    user = _plain_users(sandbox)[0]
    before = dict(user)
    cases = [
        (["--set", "nickname=x"], "not a field"),
        (["--set", "badges=beta"], "badges must be a JSON array"),
        (["--set", "limits=big"], "limits must be a JSON object"),
        (["--set", "limits.memory=lots"], "limits.memory"),
        (["--set", "suspended=yes"], "true or false"),
        (["--set", "dateOfBirth=31/12/1990"], "YYYY-MM-DD"),
        (["--set", "parentId=-3"], "positive integer"),
        (["--set", "firstName="], "cannot be empty"),
        (["--set", "portalType=gold"], "portalType"),
        (["--set", "novalue"], "field=value"),
    ]
    for args, message in cases:
        r = cli("users", "edit", str(user["id"]), *args, key="no-such-key-so-any-request-fails")
        assert r.exit_code == 2, (args, r)
        assert message in r.stderr and len(r.stderr.strip().splitlines()) <= 2, (args, r.stderr)
    assert user == before


def test_edit_refuses_clearing_fields_the_panel_cannot_clear(cli: Any, sandbox: Any) -> None:
    """adminHandler.ts turns null/"" into undefined for these; save() skips it and answers success."""
    user = _plain_users(sandbox)[0]
    user.update(fraudReason="manual check", nodeId=1, dateOfBirth="1990-01-02")
    before = dict(user)
    for args in (["fraudReason=null"], ["fraudReason="], ["nodeId=null"], ["dateOfBirth=null"],
                 ["studentVerifiedAt="], ["role=null"]):
        r = cli("users", "edit", str(user["id"]), "--set", *args)
        assert r.exit_code == 2, (args, r)
        assert ("the panel cannot clear" in r.stderr or "role cannot be empty" in r.stderr), (args, r.stderr)
    assert user == before and not [q for q in sandbox.requests if q[0] == "PUT"]


def test_sandbox_user_put_keeps_values_it_cannot_clear(cli: Any, sandbox: Any) -> None:
    """Recorded live: fraudReason null and "" answer 200 and keep the text; billingCity null clears."""
    import httpx

    from tests.conftest import SANDBOX_URL

    user = _plain_users(sandbox)[0]
    user.update(fraudReason="sampler test flag", nodeId=2, billingCity="Leeds")
    client = httpx.Client(transport=sandbox.transport(), base_url=SANDBOX_URL,
                          headers={"Authorization": f"ApiKey {sandbox.keys['admin']}"})
    for body in ({"fraudReason": None}, {"fraudReason": ""}, {"nodeId": None}, {"dateOfBirth": None}):
        r = client.put(f"/api/admin/users/{user['id']}", json=body)
        assert (r.status_code, r.json()) == (200, {"success": True})
    assert (user["fraudReason"], user["nodeId"]) == ("sampler test flag", 2)
    assert client.put(f"/api/admin/users/{user['id']}", json={"billingCity": None}).status_code == 200
    assert user["billingCity"] is None
    assert client.put(f"/api/admin/users/{user['id']}", json={"firstName": 12345}).status_code == 200
    assert user["firstName"] == "12345"  # a number is stored as its text


def test_edit_panel_refusals_map_to_exit_codes(cli: Any, sandbox: Any) -> None:
    root = _root(sandbox)
    user = _plain_users(sandbox)[0]
    r = cli("users", "edit", str(root["id"]), "--set", "suspended=true")
    assert r.exit_code == 5 and root.get("suspended") is not True
    assert r.stderr.startswith("error: root and rootAdmin accounts cannot be suspended\n"), r  # not the raw key
    assert "user.cannotSuspendAdmin" not in r.stderr
    r = cli("-v", "users", "edit", str(root["id"]), "--set", "suspended=true")
    assert r.exit_code == 5 and "panel message key: user.cannotSuspendAdmin" in r.stderr
    r = cli("users", "edit", str(user["id"]), "--set", "parentId=" + str(user["id"]))
    assert r.exit_code == 7 and "own parent" in r.stderr
    r = cli("users", "edit", "987654", "--set", "firstName=X")
    assert r.exit_code == 6


# -- suspend / unsuspend / delete -----------------------------------------------------------
def test_suspend_bulk_from_stdin_skips_already_suspended(cli: Any, sandbox: Any) -> None:
    a, b, c = _plain_users(sandbox)[:3]
    b["suspended"] = True
    r = cli("users", "suspend", "-", stdin=f"{a['id']}\n{b['email']}\n{c['id']}\n")
    assert r.exit_code == 2 and "--yes" in r.stderr and a["suspended"] is not True
    r = cli("users", "suspend", "-", "--yes", "-o", "json", stdin=f"{a['id']}\n{b['email']}\n{c['id']}\n")
    assert r.exit_code == 0, r
    report = r.json()
    assert report["done"] == 2 and report["skipped"] == 1
    assert {i["item"]: i["status"] for i in report["items"]}[b["email"]] == "skipped"
    assert a["suspended"] is True and c["suspended"] is True
    r = cli("users", "unsuspend", str(a["id"]), str(c["id"]))
    assert r.exit_code == 0, r
    assert "done" in r.stdout and a["suspended"] is False and c["suspended"] is False


def test_list_ids_pipe_into_suspend_and_partial_failure(cli: Any, sandbox: Any) -> None:
    root = _root(sandbox)
    user = _plain_users(sandbox)[0]
    ids = cli("users", "list", "-q", user["email"], "-o", "ids").stdout
    assert str(user["id"]) in ids.split()
    r = cli("users", "suspend", "-", str(root["id"]), "--yes", stdin=ids)
    assert r.exit_code == 8, r
    assert user["suspended"] is True and not root.get("suspended")
    assert "root and rootAdmin accounts cannot be suspended" in r.stdout and f"failed ({root['id']})" in r.stderr


def test_delete_users(cli: Any, sandbox: Any) -> None:
    root = _root(sandbox)
    victim = next(u for u in reversed(_plain_users(sandbox)) if not _links(sandbox, u["id"]))
    r = cli("users", "delete", str(victim["id"]))
    assert r.exit_code == 2 and victim["id"] in sandbox.state.users
    r = cli("users", "delete", str(victim["id"]), str(root["id"]), "--yes", "-o", "json")
    assert r.exit_code == 8, r
    assert victim["id"] not in sandbox.state.users and root["id"] in sandbox.state.users
    assert "Super administrator" in r.stdout


# -- plans, KYC request, children, exports ---------------------------------------------------
def test_plan_apply_and_cancel(cli: Any, sandbox: Any) -> None:
    user = _plain_users(sandbox)[1]
    r = cli("users", "apply-plan", str(user["id"]), "3", "--notes", "partner deal", "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["user"]["portalType"] == sandbox.state.plans[3]["type"] == user["portalType"]
    order_id = r.json()["order"]["id"]
    assert sandbox.state.orders[order_id]["status"] == "active"
    r = cli("users", "plan", str(user["id"]), "-o", "json")
    assert r.exit_code == 0 and r.json()["plans"][0]["plan"]["id"] == 3, r
    r = cli("users", "plan", str(user["id"]))
    assert r.stdout.startswith("3\t") and str(order_id) in r.stdout
    r = cli("users", "apply-plan", str(user["id"]), "999", "--yes")
    assert r.exit_code == 6 and "Plan not found" in r.stderr
    r = cli("users", "cancel-plan", str(user["id"]), "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert order_id in r.json()["cancelledOrders"] and user["portalType"] == "free"
    assert sandbox.state.orders[order_id]["status"] == "cancelled"
    r = cli("users", "cancel-plan", "987654", "--yes")
    assert r.exit_code == 6  # the panel would answer success; eclictl checks first


def test_request_kyc_sets_flags(cli: Any, sandbox: Any) -> None:
    user = _plain_users(sandbox)[0]
    r = cli("users", "request-kyc", user["email"])
    assert r.exit_code == 0, r
    assert user["settings"]["kycRequestedByAdmin"] is True and user["settings"]["kycRequestedAt"]
    r = cli("users", "request-kyc", "987654")
    assert r.exit_code == 8 and "User not found" in r.stdout


def test_children(cli: Any, sandbox: Any) -> None:
    parent, kid1, kid2 = _plain_users(sandbox)[:3]
    kid1["parentId"] = kid2["parentId"] = parent["id"]
    r = cli("users", "children", str(parent["id"]), "-o", "json")
    assert r.exit_code == 0, r
    assert [c["id"] for c in r.json()] == sorted([kid1["id"], kid2["id"]])
    assert "passwordHash" not in r.stdout and "twoFactorSecret" not in r.stdout
    r = cli("users", "children", str(parent["id"]), "-o", "ids")
    assert r.stdout.split() == [str(i) for i in sorted([kid1["id"], kid2["id"]])]
    r = cli("users", "children", "987654")
    assert r.exit_code == 6


def test_sync_export_to_file_and_never_retried(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    user = _plain_users(sandbox)[0]
    out = tmp_path / "u.json"
    r = cli("users", "export", str(user["id"]), "--file", str(out))
    assert r.exit_code == 2 and not out.exists() and sandbox.state.user_exports == []
    r = cli("users", "export", str(user["id"]), "-f", str(out), "--yes", "--redact")
    assert r.exit_code == 0, r
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"
    data = json.loads(out.read_text())
    # The file is the export itself (real values); privacy mode masks only what is shown.
    assert data["user"]["id"] == user["id"] and data["user"]["email"] == user["email"]
    assert "privacy mode masks what eclictl shows, not files you export" in r.stderr
    assert all("key" not in k for k in data["apiKeys"])
    assert len(sandbox.state.user_exports) == 1 and "written to" in r.stderr
    r = cli("users", "export", str(user["id"]), "--yes", "--redact")
    assert r.exit_code == 0 and user["email"] not in r.stdout and r.json()["user"]["id"] == user["id"]
    r = cli("users", "export", str(user["id"]), "--yes")
    assert r.exit_code == 0 and r.json()["user"]["email"] == user["email"]
    sandbox.inject_fault(path=f"/api/admin/users/{user['id']}/export", status=502)
    r = cli("users", "export", str(user["id"]), "--yes")
    assert r.exit_code == 1 and r.sleeps == [] and len(sandbox.state.user_exports) == 3


def test_export_job_queues_a_job(cli: Any, sandbox: Any) -> None:
    user = _plain_users(sandbox)[0]
    before = set(sandbox.state.export_jobs)
    r = cli("users", "export-job", user["email"], "-o", "json")
    assert r.exit_code == 0, r
    job_id = r.json()["jobId"]
    assert set(sandbox.state.export_jobs) - before == {job_id}
    assert sandbox.state.export_jobs[job_id]["status"] == "queued"
    assert sandbox.state.export_jobs[job_id]["userId"] == user["id"]
    r = cli("users", "export-job", "987654")
    assert r.exit_code == 6 and set(sandbox.state.export_jobs) - before == {job_id}


# -- role assignments --------------------------------------------------------------------------
def test_assign_twice_creates_one_link_and_unassign(cli: Any, sandbox: Any) -> None:
    user = _plain_users(sandbox)[0]
    role = sorted(sandbox.state.roles.values(), key=lambda x: x["id"])[0]
    for _ in range(2):
        r = cli("users", "assign", str(user["id"]), role["name"], "-o", "json")
        assert r.exit_code == 0, r
    assert r.json()["skipped"] == 1
    assert [_link_role(link) for link in _links(sandbox, user["id"])].count(role["id"]) == 1
    r = cli("users", "roles", str(user["id"]), "-o", "json")
    assert r.exit_code == 0 and role["id"] in [x["roleId"] for x in r.json()], r
    r = cli("users", "roles", str(user["id"]))
    assert any(line.split("\t")[:2] == [str(role["id"]), role["name"]] for line in r.stdout.splitlines())
    r = cli("users", "unassign", str(user["id"]), str(role["id"]))
    assert r.exit_code == 0, r
    assert role["id"] not in [_link_role(link) for link in _links(sandbox, user["id"])]
    r = cli("users", "unassign", str(user["id"]), role["name"])
    assert r.exit_code == 0 and "not assigned" in r.stdout
    r = cli("users", "assign", str(user["id"]), "no-such-role")
    assert r.exit_code == 6 and "no role 'no-such-role'" in r.stderr


def test_bulk_refused_on_every_item_for_one_permission_is_exit_5(cli: Any, sandbox: Any) -> None:
    a, b = _plain_users(sandbox)[:2]
    r = cli("users", "suspend", str(a["id"]), str(b["id"]), "--yes", "-o", "json", key="staff_client")
    assert r.exit_code == 5, r  # a missing permission, not a partial run (8)
    assert r.json()["failed"] == 2  # the per-item report is still printed
    assert "error: suspend users: all 2 item(s) refused: Admin permission users:read required." in r.stderr
    assert "hint: this key lacks the 'users:read' permission" in r.stderr
    assert not a.get("suspended") and not b.get("suspended")
