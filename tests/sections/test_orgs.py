"""`eclictl orgs` against the sandbox panel (docs/panel/orgs.md)."""

from __future__ import annotations

from typing import Any


def members(sandbox: Any, org_id: int) -> dict[int, str]:
    return {m["userId"]: m["orgRole"] for m in sandbox.state.org_members.values() if m["orgId"] == org_id}


def non_member(sandbox: Any, org_id: int) -> int:
    taken = members(sandbox, org_id)
    return next(uid for uid in sorted(sandbox.state.users) if uid not in taken)


def test_help(cli: Any) -> None:
    r = cli("orgs", "--help", key=None, url=None)
    assert r.exit_code == 0 and "members" in r.stdout and "edit" in r.stdout
    r = cli("orgs", "members", "--help", key=None, url=None)
    assert r.exit_code == 0 and "add" in r.stdout and "remove" in r.stdout


def test_list_json_and_table(cli: Any, sandbox: Any) -> None:
    r = cli("orgs", "list", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    assert [o["id"] for o in rows] == sorted(sandbox.state.organisations)
    first = rows[0]
    assert first["memberCount"] == len(members(sandbox, first["id"]))
    assert first["owner"]["email"] == sandbox.state.users[first["ownerId"]]["email"]
    r = cli("orgs", "list", "--columns", "id,name,handle,owner.email", tty=True)
    assert r.exit_code == 0 and "HANDLE" in r.stdout and "Northwind Hosting" in r.stdout


def test_list_query_and_staff_filter(cli: Any) -> None:
    r = cli("orgs", "list", "-q", "kestrel", "-o", "ids")
    assert r.stdout.split() == ["3"]
    r = cli("orgs", "list", "--staff", "-o", "json")
    assert [o["handle"] for o in r.json()] == ["ecli-staff"]


def test_show_by_id_handle_and_missing(cli: Any) -> None:
    assert cli("orgs", "show", "3", "-o", "json").json()["handle"] == "kestrel"
    assert cli("orgs", "show", "bluelantern", "-o", "json").json()["id"] == 2
    r = cli("orgs", "show", "404")
    assert r.exit_code == 6 and "404" in r.stderr


def test_redact_masks_org_names_and_owner(cli: Any, sandbox: Any) -> None:
    owner_email = sandbox.state.users[sandbox.state.organisations[1]["ownerId"]]["email"]
    r = cli("--redact=all", "orgs", "show", "1", "-o", "json")
    assert r.exit_code == 0, r
    data = r.json()
    assert data["name"] != "Northwind Hosting" and data["handle"] != "northwind"
    assert data["owner"]["email"] != owner_email
    r = cli("--redact=all", "orgs", "list", "--columns", "id,name,owner.email", tty=True)
    assert r.exit_code == 0 and "N. H." in r.stdout
    assert "Northwind Hosting" not in r.stdout and owner_email not in r.stdout
    r = cli("orgs", "list", "-o", "json", "--redact")  # PII only: org names stay
    assert "Northwind Hosting" in r.stdout and owner_email not in r.stdout


def test_edit_changes_fields_and_owner(cli: Any, sandbox: Any) -> None:
    org = sandbox.state.organisations[4]
    old_owner = org["ownerId"]
    new_owner = non_member(sandbox, 4)
    r = cli("orgs", "edit", "orbitalpixel", "--name", "Orbital Pixel GmbH", "--tier", "pro", "--owner",
            str(new_owner), "--staff", "-o", "json")
    assert r.exit_code == 0, r
    assert org["name"] == "Orbital Pixel GmbH" and org["portalTier"] == "pro" and org["isStaff"] is True
    assert org["ownerId"] == new_owner
    assert members(sandbox, 4)[new_owner] == "owner" and members(sandbox, 4)[old_owner] == "admin"
    assert r.json()["name"] == "Orbital Pixel GmbH"


def test_edit_errors(cli: Any, sandbox: Any) -> None:
    assert cli("orgs", "edit", "1").exit_code == 2
    r = cli("orgs", "edit", "999", "--name", "x")
    assert r.exit_code == 6 and "Organisation not found" in r.stderr
    r = cli("orgs", "edit", "1", "--handle", "kestrel")  # unique index → panel 500
    assert r.exit_code == 1 and sandbox.state.organisations[1]["handle"] == "northwind"
    r = cli("orgs", "edit", "1", "--tier", "enterprise", "--dry-run", "-o", "json")
    assert r.exit_code == 0 and r.json()["body"] == {"portalTier": "enterprise"}
    assert sandbox.state.organisations[1]["portalTier"] == "pro"


def test_delete_bulk_with_unknown_and_blocked(cli: Any, sandbox: Any) -> None:
    sandbox.state.org_delete_blocked.add(6)
    r = cli("orgs", "delete", "-", "--yes", "-o", "json", stdin="5\n6\n999\n")
    assert r.exit_code == 8, r
    items = {i["item"]: i for i in r.json()["items"]}
    assert items["5"]["status"] == "done"
    assert items["6"]["status"] == "failed" and "Failed to delete organisation" in items["6"]["message"]
    assert items["999"]["status"] == "failed" and "999" in items["999"]["message"]
    assert 5 not in sandbox.state.organisations and 6 in sandbox.state.organisations
    assert not members(sandbox, 5)


def test_delete_needs_yes_and_dry_run(cli: Any, sandbox: Any) -> None:
    assert cli("orgs", "delete", "5").exit_code == 2
    r = cli("orgs", "delete", "5", "--dry-run")
    assert r.exit_code == 0 and r.stdout.split("\t")[0] == "5" and 5 in sandbox.state.organisations


def test_members_add_change_and_remove(cli: Any, sandbox: Any) -> None:
    uid = non_member(sandbox, 2)
    r = cli("orgs", "members", "add", "bluelantern", str(uid), "-o", "json")
    assert r.exit_code == 0, r
    assert members(sandbox, 2)[uid] == "member" and r.json()["orgRole"] == "member"
    email = sandbox.state.users[uid]["email"]
    assert cli("orgs", "members", "add", "2", email, "--role", "admin").exit_code == 0
    assert members(sandbox, 2)[uid] == "admin"
    r = cli("orgs", "members", "remove", "2", str(uid), "--yes")
    assert r.exit_code == 0, r
    assert uid not in members(sandbox, 2)


def test_members_errors(cli: Any, sandbox: Any) -> None:
    owner = sandbox.state.organisations[2]["ownerId"]
    r = cli("orgs", "members", "remove", "2", str(owner), "--yes")
    assert r.exit_code == 8 and "Cannot remove organisation owner" in r.stdout
    assert owner in members(sandbox, 2)
    r = cli("orgs", "members", "add", "2", "99999")
    assert r.exit_code == 6 and "User not found" in r.stderr
    r = cli("orgs", "members", "add", "2", "1", "--role", "king")
    assert r.exit_code == 2
    assert cli("orgs", "members", "remove", "2", "1").exit_code == 2  # no --yes, no TTY


def test_plain_key_is_refused(cli: Any) -> None:
    r = cli("orgs", "list", key="plain")
    assert r.exit_code == 5 and "Traceback" not in r.stderr
