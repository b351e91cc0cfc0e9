"""API drift: the sandbox's simulated upgrade (--drift) and the fault layer against the sections' declarations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from eclictl.api.pagination import PageSpec
from eclictl.output.columns import Col


def _checks(result: Any) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in result.json()["checks"]}


def _page(sandbox: Any, path: str, **query: str) -> Any:
    status, _, body = sandbox.handle("GET", path, {k: [v] for k, v in query.items()},
                                     {"authorization": f"ApiKey {sandbox.keys['admin']}"}, b"")
    assert status == 200
    return json.loads(body)


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


# -- the sandbox layer ------------------------------------------------------------------------------
def test_sandbox_drift_renames_the_field_in_every_record_of_the_section(cli: Any, sandbox: Any) -> None:
    sandbox.simulate_drift("users.email=mail")
    rows = cli("users", "list", "-n", "5", "-o", "json").json()
    assert rows and all("mail" in r and "email" not in r for r in rows)
    profile = _page(sandbox, "/api/admin/users/3/profile")  # the show route is the section's too
    assert "email" not in _keys(profile) and "mail" in _keys(profile)
    me = _page(sandbox, "/api/users/me")  # not a users-section route: untouched
    assert "email" in me
    nodes = _page(sandbox, "/api/nodes")
    assert all("name" in n for n in nodes)


def test_sandbox_drift_spec_errors() -> None:
    from eclictl.sandbox.drift import Drift

    with pytest.raises(ValueError, match="expected SECTION.FIELD=NEWNAME"):
        Drift.parse(["users.email"])
    with pytest.raises(ValueError, match="no section 'nosuch'"):
        Drift.parse(["nosuch.email=mail"])
    drift = Drift.parse(["users.email=mail", "ai-models.name=title"])
    assert drift.renames == {"users": [("email", "mail")], "ai models": [("name", "title")]}
    assert drift.pairs_for("/api/admin/users/3/profile") == [("email", "mail")]
    assert drift.pairs_for("/api/admin/usersx") == []


def test_sandbox_command_rejects_a_bad_drift_before_starting(cli: Any) -> None:
    result = cli("sandbox", "--drift", "users=mail")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: --drift 'users=mail': expected SECTION.FIELD=NEWNAME (e.g. users.email=mail)"]


# -- detection end to end ---------------------------------------------------------------------------
def test_doctor_finds_a_renamed_field_and_guesses_the_new_name(cli: Any, sandbox: Any) -> None:
    sandbox.simulate_drift("users.email=mail", "servers.status=state")
    result = cli("doctor", "-o", "json")
    assert result.exit_code == 1
    checks = _checks(result)
    users = checks["drift.users"]
    assert users["status"] == "fail"
    assert users["details"]["missing"] == ["email"]
    assert "mail" in users["details"]["unknown_fields"]
    assert "(renamed? email -> mail)" in users["summary"]
    assert checks["drift.servers"]["details"]["missing"] == ["status"]
    others = {k: c["status"] for k, c in checks.items() if k.startswith("drift.") and k not in ("drift.users",
                                                                                                 "drift.servers")}
    assert set(others.values()) <= {"ok", "skip"}


def test_new_fields_since_the_last_run_are_information_only(cli: Any, sandbox: Any) -> None:
    assert cli("doctor", "-o", "json").exit_code == 0  # records what each answer carries
    sandbox.simulate_drift("users.phone=mobile")  # a field eclictl does not read
    result = cli("doctor", "-o", "json")
    assert result.exit_code == 0
    users = _checks(result)["drift.users"]
    assert users["status"] == "info" and users["details"]["new_fields"] == ["mobile"]
    assert result.json()["counts"]["info"] == 1


def test_bare_array_where_an_object_was_expected_warns(cli: Any, sandbox: Any) -> None:
    rows = _page(sandbox, "/api/admin/users", page="1")["users"]
    sandbox.inject_fault(method="GET", path="/api/admin/users", status=200, body=rows)
    result = cli("doctor", "-o", "json")
    users = _checks(result)["drift.users"]
    assert users["status"] == "warn"
    assert users["details"]["shape"] == "a bare array where an object with 'users' was expected"
    assert result.exit_code == 0


def test_object_where_a_bare_array_was_expected(cli: Any, sandbox: Any) -> None:
    roles = _page(sandbox, "/api/roles")
    sandbox.inject_fault(method="GET", path="/api/roles", status=200, body={"roles": roles})
    checks = _checks(cli("doctor", "-o", "json"))
    assert checks["drift.roles"]["status"] == "warn"
    assert "the list is under 'roles'" in checks["drift.roles"]["summary"]
    sandbox.inject_fault(method="GET", path="/api/roles", status=200, body={"total": 4})
    result = cli("doctor", "-o", "json")
    assert _checks(result)["drift.roles"]["status"] == "fail" and result.exit_code == 1


def test_forbidden_route_is_skipped_not_drift(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(method="GET", path="/api/admin/users", status=403,
                         body={"error": "Insufficient permissions"})
    result = cli("doctor", "-o", "json")
    users = _checks(result)["drift.users"]
    assert users["status"] == "skip" and "403" in users["summary"] and "not a drift" in users["summary"]
    assert result.exit_code == 0


def test_disabled_feature_is_skipped(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(method="GET", path="/api/admin/tickets", status=503,
                         body={"error": "common.featureDisabled"})
    checks = _checks(cli("doctor", "-o", "json"))
    assert checks["drift.tickets"]["status"] == "skip" and "feature" in checks["drift.tickets"]["summary"]


def test_route_gone_fails(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(method="GET", path="/api/roles", status=404, body={"error": "Route not found"})
    result = cli("doctor", "-o", "json")
    roles = _checks(result)["drift.roles"]
    assert roles["status"] == "fail" and "gone or moved" in roles["summary"]
    assert result.exit_code == 1


def test_text_where_json_was_expected_fails(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(method="GET", path="/api/roles", status=200, body="[object Object]")
    roles = _checks(cli("doctor", "-o", "json"))["drift.roles"]
    assert roles["status"] == "fail" and "text/plain" in roles["summary"]


# -- written fields (Section.fields) ----------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    name: str
    type: Any = None


def _section(**kw: Any) -> Any:
    base = dict(name="things", path="/api/things", columns=(Col("id"), Col("name")), pages=PageSpec(), id_field="id",
                name_fields=("name",), sensitive={}, keep_secrets=frozenset(), filters=(), verbs=("list",),
                show_path=None, show_key=None, fields=())
    base.update(kw)
    return SimpleNamespace(**base)


def test_written_fields_missing_or_retyped_fail() -> None:
    from eclictl.doctor.drift import compare

    section = _section(fields=(Field("suspended", bool), Field("limit", "number"), Field("password", str)))
    ok = compare(section, [{"id": 1, "name": "a", "suspended": False, "limit": 2.5}])
    assert ok.status == "ok", ok  # password: a secret the client strips, never compared
    moved = compare(section, [{"id": 1, "name": "a", "isSuspended": False, "limit": "2"}])
    assert moved.status == "fail"
    assert moved.details["missing"] == ["suspended"]
    assert moved.details["type_changes"] == [{"field": "limit", "expected": "float/int", "got": "string"}]


def test_written_field_found_in_the_detail_record_is_not_missing() -> None:
    from eclictl.doctor.drift import compare

    section = _section(fields=(Field("notes", str),))
    assert compare(section, [{"id": 1, "name": "a"}], detail={"id": 1, "notes": "x"}).status == "ok"
    assert compare(section, [{"id": 1, "name": "a"}], detail={"id": 1}).status == "fail"


def test_sections_without_fields_are_read_fields_only() -> None:
    from eclictl.doctor.drift import compare

    section = _section()
    del section.fields
    assert compare(section, [{"id": 1, "name": "a", "extra": 1}]).status == "ok"
    assert compare(section, [{"id": 1, "title": "a"}]).details["missing"] == ["name"]


def test_computed_columns_are_not_expected_from_the_panel() -> None:
    from eclictl.doctor.drift import compare

    section = _section(columns=(Col("id"), Col("health.state", computed=True)))
    assert compare(section, [{"id": 1}]).status == "ok"


def test_declared_types() -> None:
    from typing import Optional

    from eclictl.doctor.drift import accepted_types

    assert accepted_types(int) == {"int"}
    assert accepted_types(Optional[str]) == {"string"}
    assert accepted_types("boolean") == {"bool"}
    assert accepted_types((int, str)) == {"int", "string"}
    assert accepted_types(list[int]) == {"array"}
    assert accepted_types("whatever") is None


def test_recorded_answers_of_the_real_panel_show_no_drift() -> None:
    """Every recorded 200 answer of a section's read route (tests/contract/samples) matches its declaration."""
    import glob

    from eclictl.doctor.drift import compare
    from eclictl.sections._spec import all_sections

    by_path: dict[str, list[Any]] = {}
    from pathlib import Path

    samples = Path(__file__).resolve().parents[1] / "contract" / "samples"
    for name in sorted(glob.glob(str(samples / "GET_*.json"))):
        with open(name, encoding="utf-8") as fh:
            sample = json.load(fh)
        if sample["status"] == 200 and "admin key" in (sample["request"].get("key_kind") or ""):
            by_path.setdefault(sample["request"]["path"].split("?")[0], []).append((name, sample["body"]))
    compared = 0
    for section in all_sections():
        for name, body in by_path.get(section.path, []):
            check = compare(section, body)
            assert check.status == "ok", (name, check.summary)
            compared += check.details["records"] > 0
    assert compared >= 15  # users, roles, eggs, tickets, logs, fraud... with records in them
