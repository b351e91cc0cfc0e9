"""`eclictl applications` against the sandbox panel (docs/panel/support.md#applications)."""

from __future__ import annotations

import json
from typing import Any

import pytest


@pytest.fixture
def disable_feature(sandbox: Any) -> Any:
    """Switch a panel feature flag off in the sandbox's settings (docs/panel/settings.md#feature-flags)."""

    def off(name: str) -> None:
        sandbox.state.settings.setdefault("featureToggles", {})[name] = False

    return off


def form_by_slug(sandbox: Any, slug: str) -> dict[str, Any]:
    return next(f for f in sandbox.state.app_forms.values() if f["slug"] == slug)


def pending_ids(sandbox: Any) -> list[int]:
    return sorted(s["id"] for s in sandbox.state.app_submissions.values() if s["status"] == "pending")


def test_help_shows_nested_groups(cli: Any) -> None:
    r = cli("applications", "--help", key=None, url=None)
    assert r.exit_code == 0 and all(g in r.stdout for g in ("forms", "invites", "submissions"))
    r = cli("applications", "submissions", "--help", key=None, url=None)
    assert r.exit_code == 0 and "decide" in r.stdout and "delete" in r.stdout


def test_forms_list_and_show(cli: Any, sandbox: Any) -> None:
    r = cli("applications", "forms", "list", "-o", "json")
    assert r.exit_code == 0, r
    slugs = [f["slug"] for f in r.json()]
    assert set(slugs) == {f["slug"] for f in sandbox.state.app_forms.values()}
    r = cli("applications", "forms", "list", "--kind", "abuse_report", "-o", "ids")
    assert sorted(r.stdout.split()) == sorted(str(f["id"]) for f in sandbox.state.app_forms.values()
                                              if f["kind"] == "abuse_report")
    r = cli("applications", "forms", "show", "staff-2025", "-o", "json")
    assert r.exit_code == 0 and r.json()["schema"]["questions"][0]["type"] == "long_text"
    r = cli("applications", "forms", "list", "--columns", "id,slug", tty=True)
    assert "SLUG" in r.stdout and "beta-testers" in r.stdout


def test_forms_create_edit_delete(cli: Any, sandbox: Any, tmp_path: Any) -> None:
    schema = tmp_path / "q.json"
    schema.write_text(json.dumps([{"label": "Name", "type": "short_text", "required": True},
                                  {"label": "Odd", "type": "hologram"}]))
    r = cli("applications", "forms", "create", "--title", "Moderators 2026", "--visibility", "public_anonymous",
            "--schema", str(schema), "-o", "json")
    assert r.exit_code == 0, r
    form = r.json()
    stored = sandbox.state.app_forms[form["id"]]
    assert stored["slug"] == "moderators-2026" and stored["ipCooldownSeconds"] >= 3600
    assert [q["type"] for q in stored["schema"]["questions"]] == ["short_text", "short_text"]
    r = cli("applications", "forms", "edit", "moderators-2026", "--status", "closed", "-o", "json")
    assert r.exit_code == 0 and stored["status"] == "closed" and r.json()["status"] == "closed"
    r = cli("applications", "forms", "delete", str(form["id"]), "--yes")
    assert r.exit_code == 0, r
    assert form["id"] not in sandbox.state.app_forms


def test_forms_errors(cli: Any, sandbox: Any) -> None:
    assert cli("applications", "forms", "create", "--title", "x" * 201).exit_code == 2
    assert cli("applications", "forms", "edit", "staff-2025").exit_code == 2
    r = cli("applications", "forms", "edit", "999", "--status", "closed")
    assert r.exit_code == 6 and "Form not found" in r.stderr
    r = cli("applications", "forms", "delete", "999", "--yes")
    assert r.exit_code == 8 and "999" in r.stderr  # the panel says success; the CLI checked first


def test_deleting_the_incident_form_needs_force(cli: Any, sandbox: Any) -> None:
    form = form_by_slug(sandbox, "antiabuse-incidents")
    r = cli("applications", "forms", "delete", "antiabuse-incidents", "--yes")
    assert r.exit_code == 7 and "--force" in r.stderr and form["id"] in sandbox.state.app_forms
    r = cli("applications", "forms", "delete", "antiabuse-incidents", "--yes", "--force")
    assert r.exit_code == 0, r
    assert form["id"] not in sandbox.state.app_forms
    assert not [s for s in sandbox.state.app_submissions.values() if s["formId"] == form["id"]]


def test_invites(cli: Any, sandbox: Any) -> None:
    beta = form_by_slug(sandbox, "beta-testers")
    r = cli("applications", "invites", "create", "beta-testers", "--label", "Jane", "--email",
            "jane@example.com", "--max-uses", "1", "--expires-hours", "72", "-o", "json")
    assert r.exit_code == 0, r
    data = r.json()
    assert data["link"].startswith("/forms/beta-testers?invite=") and data["maxUses"] == 1
    assert sandbox.state.app_invites[data["id"]]["email"] == "jane@example.com"
    r = cli("applications", "invites", "list", str(beta["id"]), "-o", "json", "--redact")
    assert r.exit_code == 0 and "jane@example.com" not in r.stdout and len(r.json()) == 2
    r = cli("applications", "invites", "revoke", str(data["id"]), "--yes")
    assert r.exit_code == 0 and sandbox.state.app_invites[data["id"]]["revoked"] is True
    r = cli("applications", "invites", "create", "staff-2025")
    assert r.exit_code == 7 and "private_invite" in r.stderr
    r = cli("applications", "invites", "revoke", "777", "--yes")
    assert r.exit_code == 8 and "Invite not found" in r.stdout


def test_submissions_list_filters_and_redact(cli: Any, sandbox: Any) -> None:
    r = cli("applications", "submissions", "list", "--status", "pending", "-o", "json")
    assert r.exit_code == 0, r
    assert sorted(s["id"] for s in r.json()) == pending_ids(sandbox)
    assert all(s["form"]["id"] == s["formId"] for s in r.json())
    r = cli("applications", "submissions", "list", "--form", "2", "-o", "ids")
    assert sorted(map(int, r.stdout.split())) == sorted(s["id"] for s in sandbox.state.app_submissions.values()
                                                        if s["formId"] == 2)
    r = cli("applications", "submissions", "list", "-o", "json", "--redact")
    assert "@example" not in r.stdout and "198.51.100." not in r.stdout.replace("198.51.100.x", "")
    r = cli("applications", "submissions", "list", "--redact", tty=True)
    assert r.exit_code == 0 and "@example" not in r.stdout
    sid = pending_ids(sandbox)[0]
    assert cli("applications", "submissions", "show", str(sid), "-o", "json").json()["id"] == sid


def test_decide_bulk_from_stdin_with_a_fault(cli: Any, sandbox: Any) -> None:
    ids = pending_ids(sandbox)[:3]
    sandbox.inject_fault(method="PUT", path=f"/api/admin/applications/submissions/{ids[1]}", status=500)
    r = cli("applications", "submissions", "decide", "accept", "-", "--yes", "-o", "json",
            stdin="\n".join(map(str, ids)))
    assert r.exit_code == 8, r
    failed = [i["item"] for i in r.json()["items"] if i["status"] == "failed"]
    assert failed == [str(ids[1])]
    subs = sandbox.state.app_submissions
    assert subs[ids[0]]["status"] == "accepted" and subs[ids[2]]["status"] == "accepted"
    assert subs[ids[1]]["status"] == "pending"
    assert subs[ids[0]]["reviewedAt"]


def test_decide_errors(cli: Any, sandbox: Any) -> None:
    ids = pending_ids(sandbox)
    assert cli("applications", "submissions", "decide", "maybe", str(ids[0])).exit_code == 2
    assert cli("applications", "submissions", "decide", "rejected", str(ids[0]), str(ids[1])).exit_code == 2
    r = cli("applications", "submissions", "decide", "rejected", "9999")
    assert r.exit_code == 8 and "Submission not found" in r.stdout
    assert cli("applications", "submissions", "decide", "reject", "abc").exit_code == 2


def test_submissions_delete_single_and_bulk(cli: Any, sandbox: Any) -> None:
    ids = sorted(sandbox.state.app_submissions)[:4]
    r = cli("applications", "submissions", "delete", str(ids[0]), "--yes")
    assert r.exit_code == 0, r
    assert ids[0] not in sandbox.state.app_submissions
    r = cli("applications", "submissions", "delete", "-", "--yes", "-o", "json",
            stdin=f"{ids[1]} {ids[2]} 9999")
    assert r.exit_code == 8, r
    items = {i["item"]: i["status"] for i in r.json()["items"]}
    assert items == {str(ids[1]): "done", str(ids[2]): "done", "9999": "failed"}
    assert ids[1] not in sandbox.state.app_submissions and ids[3] in sandbox.state.app_submissions


def test_feature_disabled_is_exit_9(cli: Any, sandbox: Any, disable_feature: Any) -> None:
    disable_feature("applications")
    r = cli("applications", "forms", "list")
    assert r.exit_code == 9, r
    assert "applications" in r.stderr


def test_role_gate(cli: Any) -> None:
    r = cli("applications", "forms", "list", key="plain")
    assert r.exit_code == 5 and "Forbidden" in r.stderr
