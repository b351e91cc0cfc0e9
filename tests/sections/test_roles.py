"""`eclictl roles` against the sandbox panel (docs/panel/roles.md)."""

from __future__ import annotations

from typing import Any

import pytest


def _perm_rows(sandbox: Any, role_id: int) -> list[dict[str, Any]]:
    """Permission rows owned by one role, whatever the core sandbox's table layout."""
    state = sandbox.state
    table = getattr(state, "permissions", None)
    if isinstance(table, dict) and table:
        return [p for p in table.values() if _owner(p) == role_id]
    return list(state.roles[role_id].get("permissions") or [])


def _owner(row: dict[str, Any]) -> Any:
    if "roleId" in row:
        return row["roleId"]
    role = row.get("role")
    return role.get("id") if isinstance(role, dict) else role


def _values(sandbox: Any, role_id: int) -> list[str]:
    return sorted(p["value"] for p in _perm_rows(sandbox, role_id))


def _role_named(sandbox: Any, name: str) -> dict[str, Any] | None:
    return next((r for r in sandbox.state.roles.values() if r["name"] == name), None)


@pytest.fixture
def pair(cli: Any, sandbox: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two roles that both hold users:read (parent `t-base`, child `t-child`)."""
    r = cli("roles", "create", "t-base", "-d", "Base staff", "-p", "admin:access", "-p", "users:read")
    assert r.exit_code == 0, r
    r = cli("roles", "create", "t-child", "--parent", "t-base", "-p", "users:read", "-p", "tickets:ban")
    assert r.exit_code == 0, r
    return _role_named(sandbox, "t-base"), _role_named(sandbox, "t-child")  # type: ignore[return-value]


def test_list_json_and_tsv(cli: Any, sandbox: Any, pair: Any) -> None:
    base, child = pair
    r = cli("roles", "list", "-o", "json")
    assert r.exit_code == 0, r
    rows = {row["name"]: row for row in r.json()}
    assert rows["t-child"]["parentRoleId"] == base["id"]
    assert sorted(p["value"] for p in rows["t-base"]["permissions"]) == ["admin:access", "users:read"]
    r = cli("roles", "list")
    line = next(ln for ln in r.stdout.splitlines() if ln.split("\t")[1] == "t-child")
    assert line.split("\t") == [str(child["id"]), "t-child", "", "t-base", "2"]


def test_show_marks_inherited_and_handles_unknown(cli: Any, pair: Any) -> None:
    base, child = pair
    r = cli("roles", "show", "t-child", "-o", "json")
    assert r.exit_code == 0, r
    body = r.json()
    assert body["parent"] == "t-base" and body["id"] == child["id"]
    assert [p["value"] for p in body["permissions"]] == ["tickets:ban", "users:read"]
    assert [(p["value"], p["from"]) for p in body["inheritedPermissions"]] == [("admin:access", "t-base"),
                                                                             ("users:read", "t-base")]
    r = cli("roles", "show", str(child["id"]))
    lines = [ln.split("\t")[:2] for ln in r.stdout.splitlines()]
    assert ["admin:access", "inherited from t-base"] in lines and ["tickets:ban", "own"] in lines
    r = cli("roles", "show", "nope")
    assert r.exit_code == 6 and r.stderr.startswith("error: no role 'nope'")


def test_create_refuses_duplicates_unknown_parent_and_wildcard(cli: Any, sandbox: Any, pair: Any) -> None:
    count = len(sandbox.state.roles)
    r = cli("roles", "create", "t-base")
    assert r.exit_code == 7 and "already exists" in r.stderr
    r = cli("roles", "create", "t-x", "--parent", "ghost")
    assert r.exit_code == 6
    r = cli("roles", "create", "t-x", "-p", "*")
    assert r.exit_code == 7 and "--allow-wildcard" in r.stderr
    assert len(sandbox.state.roles) == count
    r = cli("roles", "create", "t-root", "-p", "*", "--allow-wildcard", "-o", "json")
    assert r.exit_code == 0 and r.json()["permissions"][0]["value"] == "*", r


def test_grant_is_idempotent_and_warns(cli: Any, sandbox: Any, pair: Any) -> None:
    base, _ = pair
    r = cli("roles", "grant", "t-base", "users:read", "users:suspend", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["done"] == 1 and r.json()["skipped"] == 1
    assert _values(sandbox, base["id"]) == ["admin:access", "users:read", "users:suspend"]
    r = cli("roles", "grant", "t-base", "users:raed")
    assert r.exit_code == 0 and "warning" in r.stderr and "did you mean 'users:read'" in r.stderr
    r = cli("roles", "grant", "t-base", "admin:student:verify")
    assert r.exit_code == 0 and "missing from its catalogue" in r.stderr and "warning" not in r.stderr
    r = cli("roles", "grant", "t-base", "nodes:*")
    assert r.exit_code == 0 and r.stderr.strip() == "grant to role t-base: 1 done"
    r = cli("roles", "grant", "t-base", "*")
    assert r.exit_code == 7 and "*" not in _values(sandbox, base["id"])


def test_revoke_never_touches_another_roles_row(cli: Any, sandbox: Any, pair: Any) -> None:
    base, child = pair
    base_rows = {p["id"] for p in _perm_rows(sandbox, base["id"]) if p["value"] == "users:read"}
    r = cli("roles", "revoke", "t-child", "users:read", "-o", "json")
    assert r.exit_code == 0 and r.json()["done"] == 1, r
    assert "users:read" not in _values(sandbox, child["id"])
    assert {p["id"] for p in _perm_rows(sandbox, base["id"]) if p["value"] == "users:read"} == base_rows
    r = cli("roles", "revoke", "t-child", "admin:access")
    assert r.exit_code == 0 and "inherited from the parent role" in r.stdout
    assert "admin:access" in _values(sandbox, base["id"])


def test_delete_explains_and_force_removes_permissions_and_assignments(cli: Any, sandbox: Any, pair: Any) -> None:
    base, child = pair
    r = cli("roles", "delete", "t-base", "--yes")
    assert r.exit_code == 7 and "parent of t-child" in r.stderr
    r = cli("roles", "delete", "t-child", "--yes")
    assert r.exit_code == 7 and "--force" in r.stderr and child["id"] in sandbox.state.roles
    user = next(u for _, u in sorted(sandbox.state.users.items()) if u.get("role") not in ("*", "rootAdmin"))
    assert cli("users", "assign", str(user["id"]), "t-child").exit_code == 0
    r = cli("roles", "delete", "t-child", "--force")
    assert r.exit_code == 2 and child["id"] in sandbox.state.roles
    r = cli("roles", "delete", "t-child", "--force", "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["revokedPermissions"] == 2 and child["id"] not in sandbox.state.roles
    assert _perm_rows(sandbox, base["id"])  # the parent's rows are untouched
    r = cli("roles", "delete", "987654", "--yes")
    assert r.exit_code == 6


def test_permissions_catalogue_and_unknown(cli: Any, sandbox: Any, pair: Any) -> None:
    r = cli("roles", "permissions", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    assert len(rows) == 132 and rows[0]["value"] == "*" and rows[0]["admin"] is True
    r = cli("roles", "permissions", "--category", "kyc")
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 5 and "admin:kyc:view:id" in r.stdout
    assert cli("roles", "grant", "t-base", "admin:student:verify", "billing:reed").exit_code == 0
    r = cli("roles", "permissions", "--unknown", "-o", "json")
    found = {row["value"]: row for row in r.json()}
    assert found["admin:student:verify"]["roles"] == ["t-base"]
    assert "checked by the panel" in found["admin:student:verify"]["note"]
    assert "typo" in found["billing:reed"]["note"]
    assert "users:read" not in found
