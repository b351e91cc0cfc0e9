"""Create/edit generated from declared fields (eclictl/sections/_fields.py): parsing, --set typing,
--dry-run, and verify-after-write when the panel answers success without writing."""

from __future__ import annotations

from typing import Any

import pytest

from eclictl.errors import UsageError
from eclictl.sections._fields import Field, Write, body_of, parse_set
from eclictl.sections._spec import Section, all_sections


def _count(value: int) -> int:
    if value < 0:
        raise UsageError("limit must be >= 0")
    return value


def _section(**kw: Any) -> Section:
    fields = (
        Field("name", "--name", str, "Name.", check=lambda v: v.strip()),
        Field("limit", "--limit", int, "A count.", check=_count),
        Field("active", "--active/--inactive", bool, "On or off.", verbs=("edit",)),
        Field("notes", type=str, help="Only through --set."),
        Field("apiKey", type=str, verbs=(), secret=True),
    )
    return Section(name="things", help="Things.", path="/api/things", fields=fields, **kw)


EDIT = Write("edit", "Change a thing.", "Examples:", "PUT", "/api/things/{id}", ref="ID")
CREATE = Write("create", "Create a thing.", "Examples:", "POST", "/api/things")


def test_given_options_become_the_body_checked_by_their_field() -> None:
    section = _section()
    assert body_of(section, EDIT, {"name": " a ", "limit": 3, "active": None}) == {"name": "a", "limit": 3}
    assert body_of(section, CREATE, {"name": "a", "active": True}) == {"name": "a"}  # edit-only field
    with pytest.raises(UsageError):
        body_of(section, EDIT, {"limit": -1})


def test_set_values_are_typed_and_checked_by_the_same_fields() -> None:
    section = _section()
    assert parse_set(section, EDIT, ["limit=7", "notes=12", "active=false"]) == {"limit": 7, "notes": "12",
                                                                                 "active": False}
    with pytest.raises(UsageError, match="limit must be >= 0"):
        parse_set(section, EDIT, ["limit=-2"])
    with pytest.raises(UsageError, match="unknown thing field 'colour'"):
        parse_set(section, EDIT, ["colour=red"])
    with pytest.raises(UsageError, match="unknown thing field 'apiKey'"):  # a secret is never set by --set
        parse_set(section, EDIT, ["apiKey=x"])
    with pytest.raises(UsageError, match="expects field=value"):
        parse_set(section, EDIT, ["limit"])
    assert parse_set(section, EDIT, ["limit=null"]) == {"limit": None}  # a clear is the section's to refuse


def test_converted_sections_declare_their_fields_for_doctor() -> None:
    declared = {s.name: s for s in all_sections() if any(isinstance(w, Write) for w in s.writes)}
    assert {"shorturls", "oauth", "ai models", "databases hosts", "servers mounts", "plans", "orgs", "backup-configs",
            "coupons"} <= set(declared)
    for section in declared.values():
        assert section.fields and all(isinstance(f.name, str) and f.type is not None for f in section.fields)
    assert any(f.name == "password" and f.secret for f in declared["databases hosts"].fields)


def test_generated_edit_refuses_nothing_to_change_before_any_request(cli: Any, sandbox: Any) -> None:
    before = len(sandbox.requests)
    r = cli("oauth", "edit", "2")
    assert r.exit_code == 2 and "nothing to change" in r.stderr, r
    assert sandbox.requests[before:] == []


def test_generated_dry_run_sends_nothing(cli: Any, sandbox: Any) -> None:
    name = sandbox.state.organisations[1]["name"]
    r = cli("orgs", "edit", "1", "--name", "Dry Org", "--dry-run", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json() == {"id": 1, "method": "PUT", "path": "/api/admin/organisations/1", "body": {"name": "Dry Org"}}
    assert not [q for q in sandbox.requests if q[0] == "PUT"]
    assert sandbox.state.organisations[1]["name"] == name != "Dry Org"


def test_generated_edit_rereads_an_object_object_answer(cli: Any, sandbox: Any) -> None:
    """The panel's text/plain `[object Object]` success: the edited record is read again."""
    sandbox.inject_fault(method="PUT", path="/api/admin/shorturls/1", status=200, body="[object Object]",
                         content_type="text/plain; charset=utf-8", forward=True)
    r = cli("shorturls", "edit", "1", "--target", "https://example.com/reread", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["targetUrl"] == "https://example.com/reread" and r.json()["id"] == 1
    assert [q[0] for q in sandbox.requests[-2:]] == ["PUT", "GET"]


def test_generated_edit_with_compare_reports_a_write_the_panel_skipped(cli: Any, sandbox: Any) -> None:
    """`compare=True` (plans edit): a success answer from a handler that never ran is exit 7."""
    plan = next(iter(sandbox.state.plans.values()))
    sandbox.inject_fault(method="PUT", path=f"/api/admin/plans/{plan['id']}", status=200, body={"success": True})
    r = cli("plans", "edit", str(plan["id"]), "--description", "never stored")
    assert r.exit_code == 7, r
    assert "description" in r.stderr


def test_require_names_a_missing_option_before_checking_another(cli: Any, sandbox: Any) -> None:
    """`Write.require`: coupons create needs --type and --value; the missing one is reported even when
    another given value is wrong (as the hand-written verb did), and nothing is sent."""
    r = cli("coupons", "create", "--value", "abc")
    assert r.exit_code == 2 and "--type and --value are required" in r.stderr, r
    r = cli("coupons", "create", "--type", "bogus")
    assert r.exit_code == 2 and "--type and --value are required" in r.stderr, r
    r = cli("coupons", "create", "--type", "bogus", "--value", "5")
    assert r.exit_code == 2 and "--type must be percentage or fixed" in r.stderr, r
    assert not [q for q in sandbox.requests if q[0] == "POST"]


class _Api:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []


class _Ctx:
    def __init__(self) -> None:
        self.api = _Api()


def test_on_listed_skips_fails_unknown_acts_then_runs_the_after_step() -> None:
    from eclictl.errors import NotFoundError
    from eclictl.sections._fields import on_listed

    known = {"1": {"id": 1, "done": True}, "2": {"id": 2, "done": False}}
    one = on_listed(lambda r: "already done" if r["done"] else None,
                    lambda api, item, rec: api.calls.append((item, rec["id"])),
                    lambda rec: ("done", f"after {rec['id']}"))
    ctx = _Ctx()
    assert one(ctx, "1", known) == ("skipped", "already done")
    assert one(ctx, "2", known) == ("done", "after 2")
    with pytest.raises(NotFoundError):
        one(ctx, "3", known)
    assert ctx.api.calls == [("2", 2)]  # neither the skipped nor the unknown id was acted on


def test_on_record_calls_by_numeric_id_with_its_note() -> None:
    from eclictl.sections._fields import on_record

    ctx = _Ctx()
    one = on_record(lambda r: None, lambda api, ident: api.calls.append(("call", ident)), note="queued")
    assert one(ctx, "7", {"7": {"id": 7}}) == ("done", "queued")
    assert on_record(lambda r: None, lambda api, ident: None)(ctx, "7", {"7": {"id": 7}}) is None
    assert ctx.api.calls == [("call", 7)]
