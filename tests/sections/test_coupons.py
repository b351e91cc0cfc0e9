"""coupons against the sandbox panel (docs/panel/coupons.md)."""

from __future__ import annotations

from typing import Any


def _code(sandbox: Any, code: str) -> dict[str, Any]:
    return next(c for c in sandbox.state.coupons.values() if c["code"] == code)


def _writes(sandbox: Any) -> list[tuple[str, str, int]]:
    return [q for q in sandbox.requests if q[0] in ("POST", "PUT", "DELETE")]


def test_list_filters_json_and_table(cli: Any, sandbox: Any) -> None:
    r = cli("coupons", "list", "-o", "json")
    assert r.exit_code == 0, r
    assert [c["id"] for c in r.json()] == [5, 4, 3, 2, 1]  # newest first
    assert cli("coupons", "list", "--inactive", "-o", "ids").stdout.split() == ["5"]
    assert cli("coupons", "list", "--expired", "-o", "ids").stdout.split() == ["4"]
    assert cli("coupons", "list", "--code-prefix", "spr", "-o", "ids").stdout.split() == ["2"]
    table = cli("coupons", "list", tty=True)
    assert table.exit_code == 0 and "WELCOME10" in table.stdout and "CODE" in table.stdout


def test_show_by_code_any_case_and_uses(cli: Any, sandbox: Any) -> None:
    r = cli("coupons", "show", "spring25", "-o", "json")
    assert r.exit_code == 0 and r.json()["id"] == 2
    r = cli("coupons", "show", "SPRING25", "--uses", "-o", "json")
    assert sorted(u["userId"] for u in r.json()) == [2, 5, 8]
    assert cli("coupons", "show", "NOPE").exit_code == 6


def test_create_normalises_the_code_and_reads_back(cli: Any, sandbox: Any) -> None:
    r = cli("coupons", "create", "--code", " summer10 ", "--type", "percentage", "--value", "10", "--max-uses", "100",
            "--expires", "2027-06-30", "-o", "json")
    assert r.exit_code == 0, r
    row = _code(sandbox, "SUMMER10")
    assert row["maxUsesTotal"] == 100 and row["expiresAt"] == "2027-06-30T00:00:00.000Z"
    assert "trimmed and upper-cased" in r.stderr
    assert r.json()["code"] == "SUMMER10"
    assert [q[:2] for q in _writes(sandbox)] == [("POST", "/api/admin/coupons")]


def test_create_checks_locally_before_sending(cli: Any, sandbox: Any) -> None:
    assert cli("coupons", "create", "--type", "percentage", "--value", "150").exit_code == 2
    assert cli("coupons", "create", "--type", "percentage", "--value", "0").exit_code == 2
    assert cli("coupons", "create", "--type", "fixed", "--value", "-1").exit_code == 2
    assert cli("coupons", "create", "--type", "bogus", "--value", "5").exit_code == 2
    assert cli("coupons", "create", "--type", "fixed").exit_code == 2
    assert cli("coupons", "create", "--type", "fixed", "--value", "5", "--expires", "soon").exit_code == 2
    assert not _writes(sandbox)


def test_create_existing_code_is_rejected(cli: Any, sandbox: Any) -> None:
    r = cli("coupons", "create", "--code", "welcome10", "--type", "fixed", "--value", "5")
    assert r.exit_code == 7 and "already exists" in r.stderr


def test_edit_cannot_clear_and_explains(cli: Any, sandbox: Any) -> None:
    r = cli("coupons", "edit", "SPRING25", "--max-uses", "none")
    assert r.exit_code == 2 and "cannot clear --max-uses" in r.stderr and "very large" in r.stderr
    r = cli("coupons", "edit", "SPRING25", "--expires", "never")
    assert r.exit_code == 2 and "disable" in r.stderr
    assert not _writes(sandbox)


def test_edit_type_needs_value(cli: Any, sandbox: Any) -> None:
    r = cli("coupons", "edit", "FIVEOFF", "--type", "percentage")
    assert r.exit_code == 2 and "--value" in r.stderr
    r = cli("coupons", "edit", "FIVEOFF", "--type", "percentage", "--value", "120")
    assert r.exit_code == 2
    r = cli("coupons", "edit", "FIVEOFF", "--type", "percentage", "--value", "15", "-o", "json")
    assert r.exit_code == 0, r
    row = _code(sandbox, "FIVEOFF")
    assert (row["discountType"], row["discountValue"]) == ("percentage", 15.0)


def test_edit_value_checked_against_stored_type(cli: Any, sandbox: Any) -> None:
    assert cli("coupons", "edit", "SPRING25", "--value", "250").exit_code == 2
    assert _code(sandbox, "SPRING25")["discountValue"] == 25.0


def test_panel_ignoring_null_is_caught_by_the_read_back(sandbox: Any) -> None:
    """The sandbox keeps the old limit when PUT sends null (what the panel does)."""
    import json

    key = sandbox.keys["admin"]
    status, _, body = sandbox.handle("PUT", "/api/admin/coupons/2", {}, {"X-API-Key": key},
                                     json.dumps({"maxUsesTotal": None, "expiresAt": None}).encode(), "t")
    assert status == 200 and json.loads(body)["success"] is True
    assert sandbox.state.coupons[2]["maxUsesTotal"] == 100 and sandbox.state.coupons[2]["expiresAt"]


def test_disable_enable_bulk_and_skip(cli: Any, sandbox: Any) -> None:
    assert cli("coupons", "disable", "SPRING25", "FIVEOFF").exit_code == 2  # no terminal, no --yes
    r = cli("coupons", "disable", "SPRING25", "FIVEOFF", "STAFFONLY", "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert not _code(sandbox, "SPRING25")["isActive"] and not _code(sandbox, "FIVEOFF")["isActive"]
    assert "already disabled" in r.stdout + r.stderr
    assert cli("coupons", "enable", "2").exit_code == 0 and _code(sandbox, "SPRING25")["isActive"]


def test_delete_drops_history_after_confirming(cli: Any, sandbox: Any) -> None:
    assert cli("coupons", "delete", "SPRING25").exit_code == 2
    r = cli("coupons", "delete", "SPRING25", "--yes")
    assert r.exit_code == 0, r
    assert 2 not in sandbox.state.coupons and not sandbox.state.coupon_uses
    assert cli("coupons", "delete", "SPRING25", "--yes").exit_code == 8


def test_billing_flag_off_is_exit_9(cli: Any, sandbox: Any) -> None:
    sandbox.state.settings.setdefault("featureToggles", {})["billing"] = False
    r = cli("coupons", "list")
    assert r.exit_code == 9, r


def test_web_link(cli: Any) -> None:
    assert cli("coupons", "list", "--web").stdout.strip().endswith("?tab=coupons")
