"""Plans and Orders tabs (docs/panel/billing.md) against the sandbox."""

from __future__ import annotations

import os
import stat
from typing import Any

import pytest


def _jwt(sandbox: Any, user_id: int = 1) -> dict[str, str]:
    """A login session: payment routes refuse every API key (401)."""
    from eclictl.sandbox.routes.core import start_session

    return {"ECLICTL_TOKEN": start_session(sandbox.state, sandbox.state.users[user_id])["token"]}


def _billing_off(sandbox: Any) -> None:
    sandbox.state.settings["featureToggles"] = {"billing": False}


def _orders_with(sandbox: Any, status: str) -> list[dict[str, Any]]:
    return [o for _, o in sorted(sandbox.state.orders.items()) if o.get("status") == status]


# -- plans -------------------------------------------------------------------------------------
def test_plans_list_show_and_filters(cli: Any, sandbox: Any) -> None:
    r = cli("plans", "list", "-o", "json")
    assert r.exit_code == 0, r
    prices = [p["price"] for p in r.json()]
    assert prices == sorted(prices) and len(r.json()) == len(sandbox.state.plans)
    r = cli("plans", "list", "--hidden", "-o", "json")
    assert [p["id"] for p in r.json()] == [p["id"] for p in sandbox.state.plans.values() if p["hiddenFromBilling"]]
    r = cli("plans", "list", "--type", "educational", "-o", "json")
    assert {p["type"] for p in r.json()} == {"educational"}
    r = cli("plans", "show", "Pro", "-o", "json")
    assert r.exit_code == 0 and r.json()["id"] == 3 and r.json()["boostPercent"] == 25


def test_plans_create_and_edit(cli: Any, sandbox: Any) -> None:
    r = cli("plans", "create", "--name", "Gold", "--type", "paid", "--price", "24.99", "--memory", "32768",
            "--hidden", "--features", '{"ddos": true}', "-o", "json")
    assert r.exit_code == 0, r
    pid = r.json()["id"]
    row = sandbox.state.plans[pid]
    assert (row["price"], row["memory"], row["hiddenFromBilling"], row["features"]) == (24.99, 32768, True,
                                                                                        {"ddos": True})
    assert row["portCount"] == 1 and row["tunnelPortCount"] == 10  # panel defaults
    r = cli("plans", "edit", "Gold", "--price", "19.5", "--memory", "16384", "--visible", "-o", "json")
    assert r.exit_code == 0, r
    assert (row["price"], row["memory"], row["hiddenFromBilling"]) == (19.5, 16384, False)
    assert r.json()["memory"] == 16384


def test_plans_edit_refuses_clears_the_panel_ignores(cli: Any, sandbox: Any) -> None:
    """planHandler.ts turns null and "" into undefined, which TypeORM's save() skips: nothing is cleared."""
    row = sandbox.state.plans[3]
    before = dict(row)
    for args in (["--price", "12.5", "--clear", "memory"], ["--description", ""], ["--features", "null"],
                 ["--set", "boostReason=null"], ["--set", "databases=null"]):
        r = cli("plans", "edit", "Pro", *args)
        assert r.exit_code == 2, (args, r)
        assert "the panel cannot clear" in r.stderr and len(r.stderr.strip().splitlines()) <= 2, (args, r)
    assert row == before and not [q for q in sandbox.requests if q[0] == "PUT"]
    # the raw PUT answer lacks the skipped key, as the panel's does
    r = cli("api", "PUT", "/api/admin/plans/3", "--input", "-", "-o", "json", stdin='{"description": null}')
    assert r.exit_code == 0, r
    assert "description" not in r.json()["plan"] and row["description"] == "Pro plan"


def test_plans_sizes_take_units_like_user_limits(cli: Any, sandbox: Any) -> None:
    r = cli("plans", "create", "--name", "Units", "--type", "paid", "--memory", "4G", "--disk", "1.5t",
            "--cpu", "1.5 cores", "-o", "json")
    assert r.exit_code == 0, r
    row = sandbox.state.plans[r.json()["id"]]
    assert (row["memory"], row["disk"], row["cpu"]) == (4096, 1572864, 150)
    r = cli("plans", "edit", "Units", "--memory", "512M", "--set", "disk=2GB")
    assert r.exit_code == 0, r
    assert (row["memory"], row["disk"]) == (512, 2048)
    r = cli("plans", "edit", "Units", "--memory", "lots")
    assert r.exit_code == 2 and "--memory must be a size" in r.stderr
    # the same words are accepted for a user's limits
    user = next(u for u in sandbox.state.users.values() if u.get("role") not in ("*", "rootAdmin"))
    r = cli("users", "edit", str(user["id"]), "--set", "limits.memory=4G", "--set", "limits.cpu=1.5 cores")
    assert r.exit_code == 0, r
    assert (user["limits"]["memory"], user["limits"]["cpu"]) == (4096, 150)


@pytest.mark.parametrize("args", [
    ("plans", "create", "--name", "X", "--type", "paid", "--price", "-1"),
    ("plans", "create", "--name", "X", "--type", "paid", "--price", "nan"),
    ("plans", "create", "--name", "X", "--type", "paid", "--memory", "-5"),
    ("plans", "create", "--name", "X", "--type", "paid", "--features", "[1]"),
    ("plans", "edit", "3"),
    ("plans", "edit", "3", "--clear", "price"),
    ("plans", "boost", "3", "--percent", "1001"),
    ("plans", "boost", "3"),
    ("plans", "boost", "3", "--percent", "10", "--expires", "tomorrow"),
    ("plans", "prices", "set", "3", "DEU", "4"),
    ("plans", "prices", "set", "3", "DE", "-4"),
])
def test_plans_bad_input_is_usage_error_before_any_request(cli: Any, sandbox: Any, args: tuple[str, ...]) -> None:
    before = len(sandbox.requests)
    snapshot = {k: dict(v) for k, v in sandbox.state.plans.items()}
    r = cli(*args)
    assert r.exit_code == 2, r
    assert len(sandbox.requests) == before and sandbox.state.plans == snapshot


def test_plans_errors_map_to_exit_codes(cli: Any, sandbox: Any) -> None:
    r = cli("plans", "edit", "999", "--price", "1")
    assert r.exit_code == 6 and "Plan not found" in r.stderr
    r = cli("plans", "create", "--name", "X", "--type", "paid", key="plain")
    assert r.exit_code == 5 and len(sandbox.state.plans) == 6
    r = cli("plans", "show", "Nope")
    assert r.exit_code == 6


def test_plans_boost_and_remove(cli: Any, sandbox: Any) -> None:
    r = cli("plans", "boost", "2", "--percent", "50", "--reason", "launch", "--expires", "2027-02-01T00:00:00Z")
    assert r.exit_code == 0, r
    plan = sandbox.state.plans[2]
    assert (plan["boostPercent"], plan["boostReason"], plan["boostExpiresAt"]) == (50, "launch",
                                                                                   "2027-02-01T00:00:00.000Z")
    assert plan["boostStartsAt"]
    r = cli("plans", "boost", "2", "--remove", "-o", "json")
    assert r.exit_code == 0 and r.json()["boostPercent"] == 0
    # the panel's DELETE sets the rest to undefined, which save() skips: dates and reason stay
    assert plan["boostPercent"] == 0 and plan["boostStartsAt"] and plan["boostReason"] == "launch"
    r = cli("plans", "boost", "999", "--remove")
    assert r.exit_code == 6


def test_plans_reapply_limits(cli: Any, sandbox: Any) -> None:
    users = [u for _, u in sorted(sandbox.state.users.items()) if u.get("role") not in ("*", "rootAdmin")]
    plain, custom = users[40], users[41]
    for user in (plain, custom):
        user["portalType"] = "enterprise"
    plain["limits"] = None
    custom["limits"] = {"memory": 1, "special": True}
    r = cli("plans", "reapply-limits", "Enterprise")
    assert r.exit_code == 2 and plain["limits"] is None  # destructive: --yes without a TTY
    r = cli("plans", "reapply-limits", "Enterprise", "--yes", "-o", "json")
    assert r.exit_code == 0, r
    matched = sum(1 for u in sandbox.state.users.values() if u.get("portalType") == "enterprise")
    assert r.json()["updated"] == matched and "not users changed" in r.stderr
    assert plain["limits"]["memory"] == sandbox.state.plans[5]["memory"]
    assert custom["limits"] == {"memory": 1, "special": True}
    r = cli("plans", "reapply-limits", "5", "--force", "--yes")
    assert r.exit_code == 0 and custom["limits"]["memory"] == sandbox.state.plans[5]["memory"]
    assert "special" not in custom["limits"]


def test_plans_delete(cli: Any, sandbox: Any) -> None:
    r = cli("plans", "delete", "6")
    assert r.exit_code == 2 and 6 in sandbox.state.plans
    r = cli("plans", "delete", "Legacy Pro", "--yes")
    assert r.exit_code == 0 and 6 not in sandbox.state.plans
    r = cli("plans", "delete", "999", "--yes")
    assert r.exit_code == 6
    r = cli("plans", "delete", "2", "999", "--yes")
    assert r.exit_code == 8 and 2 not in sandbox.state.plans


def test_plans_regional_prices(cli: Any, sandbox: Any) -> None:
    r = cli("plans", "prices", "list", "Pro", "-o", "json")
    assert r.exit_code == 0 and [p["countryCode"] for p in r.json()] == ["BR", "IN"]
    r = cli("plans", "prices", "set", "Pro", "de", "9.5")
    assert r.exit_code == 0, r
    rows = [p for p in sandbox.state.regional_prices.values() if p["planId"] == 3 and p["countryCode"] == "DE"]
    assert len(rows) == 1 and rows[0]["price"] == 9.5
    r = cli("plans", "prices", "set", "3", "DE", "8")
    assert r.exit_code == 0 and rows[0]["price"] == 8
    r = cli("plans", "prices", "remove", "3", "DE", "--yes")
    assert r.exit_code == 0 and rows[0] not in sandbox.state.regional_prices.values()
    r = cli("plans", "prices", "remove", "3", "FR", "--yes")
    assert r.exit_code == 6 and "Regional price not found" in r.stderr
    r = cli("plans", "prices", "list", "999")
    assert r.exit_code == 6


def test_plans_billing_flag_gates_only_the_list(cli: Any, sandbox: Any) -> None:
    _billing_off(sandbox)
    r = cli("plans", "list")
    assert r.exit_code == 9 and "billing" in r.stderr
    r = cli("plans", "edit", "3", "--price", "13")
    assert r.exit_code == 0 and sandbox.state.plans[3]["price"] == 13


# -- orders ------------------------------------------------------------------------------------
def test_orders_list_order_paging_and_filters(cli: Any, sandbox: Any) -> None:
    r = cli("orders", "list", "-o", "json")
    assert r.exit_code == 0, r
    statuses = [o["status"] for o in r.json()]
    assert statuses[:2] == ["payment_sent", "awaiting_payment"] or statuses[:2] == ["awaiting_payment",
                                                                                     "payment_sent"]
    uid = _orders_with(sandbox, "active")[0]["userId"]
    r = cli("orders", "list", "-q", str(uid), "-o", "json")
    assert r.json() and {o["userId"] for o in r.json()} == {uid}
    r = cli("orders", "list", "--status", "pending", "-o", "json")
    assert r.json() and {o["status"] for o in r.json()} == {"pending"}
    from eclictl.sandbox.routes.orders import new_order

    for n in range(60):
        oid = sandbox.state.next_id("orders")
        sandbox.state.orders[oid] = new_order(oid, userId=uid, createdAt=f"2020-01-01T00:00:{n:02d}.000Z")
    r = cli("orders", "list", "-o", "json")
    assert len(r.json()) == 50
    r = cli("orders", "list", "--all", "-o", "json")
    assert len(r.json()) == len(sandbox.state.orders)
    r = cli("orders", "list", "--page", "2", "-o", "json")
    assert len(r.json()) == len(sandbox.state.orders) - 50


def test_orders_show(cli: Any, sandbox: Any) -> None:
    order = _orders_with(sandbox, "awaiting_payment")[0]
    r = cli("orders", "show", str(order["id"]), "-o", "json")
    assert r.exit_code == 0 and r.json()["cryptoAddress"] == order["cryptoAddress"]
    r = cli("orders", "show", str(order["id"]), "-o", "json", "--redact")
    assert r.exit_code == 0 and order["cryptoAddress"] not in r.stdout
    r = cli("orders", "show", "99999")
    assert r.exit_code == 6


def test_orders_issue_with_plan_applies_it_at_once(cli: Any, sandbox: Any) -> None:
    user = sandbox.state.users[7]
    sandbox.state.settings["billingTaxRules"] = "DE:19\n*:0"
    user.update(billingCountry="DE", countryOverride=None, portalType="free")
    r = cli("orders", "issue", "7", "--plan", "5", "--notes", "deal", "-o", "json")
    assert r.exit_code == 0, r
    order = sandbox.state.orders[r.json()["id"]]
    assert (order["status"], order["planId"], order["notes"], order["taxRate"]) == ("pending", 5, "deal", 19.0)
    # amount is the base price; the tax only goes to taxAmount/taxRate (adminHandler.ts)
    assert (order["amount"], order["taxAmount"]) == (99.0, round(99.0 * 0.19, 2)) and "before payment" in r.stderr
    assert r.json()["autoActivated"] is True  # the panel says so whenever a planId is given
    assert order["items"].startswith("[") and '"Enterprise"' in order["items"]
    assert user["portalType"] == "enterprise" and user["limits"]["memory"] == sandbox.state.plans[5]["memory"]


def test_orders_issue_free_order_activates(cli: Any, sandbox: Any) -> None:
    old = _orders_with(sandbox, "active")[0]
    r = cli("orders", "issue", str(old["userId"]), "--amount", "0", "--description", "Goodwill", "--lifetime",
            "-o", "json")
    assert r.exit_code == 0, r
    new = sandbox.state.orders[r.json()["id"]]
    assert new["status"] == "active" and new["billingType"] == "lifetime" and "autoActivated" not in r.json()
    assert old["status"] == "cancelled" and "Replaced by order #" in old["notes"]


@pytest.mark.parametrize("args", [
    ("orders", "issue", "7", "--amount", "-1"),
    ("orders", "issue", "7", "--tax-rate", "101"),
    ("orders", "issue", "7", "--items", "[{\"price\": -3}]"),
    ("orders", "issue", "not-a-user"),
    ("orders", "issue", "7", "--expires", "soon"),
    ("orders", "edit", "abc", "--status", "active"),
    ("orders", "edit", "3"),
    ("orders", "edit", "3", "--amount", "inf"),
    ("orders", "edit", "3", "--plan", "2", "--clear-plan"),
    ("orders", "confirm-payment", "4", "5", "--tx-id", "X", "--yes"),
    ("orders", "delete", "x1", "--yes"),
    ("orders", "invoice", "abc", "-f", "-"),
])
def test_orders_bad_input_is_usage_error_before_any_request(cli: Any, sandbox: Any, args: tuple[str, ...]) -> None:
    before = len(sandbox.requests)
    count = len(sandbox.state.orders)
    r = cli(*args)
    assert r.exit_code == 2, r
    assert len(sandbox.requests) == before and len(sandbox.state.orders) == count


def test_orders_issue_errors(cli: Any, sandbox: Any) -> None:
    r = cli("orders", "issue", "987654")
    assert r.exit_code == 6 and "User not found" in r.stderr
    before = len(sandbox.state.orders)
    r = cli("orders", "issue", "7", "--plan", "999")
    assert r.exit_code == 6 and "no plan 999" in r.stderr
    assert len(sandbox.state.orders) == before  # refused before the POST
    r = cli("orders", "issue", "7", key="staff_client")
    assert r.exit_code == 5


def test_orders_edit(cli: Any, sandbox: Any) -> None:
    org_order = next(o for o in sandbox.state.orders.values() if str(o.get("notes") or "").startswith("org_order:"))
    r = cli("orders", "edit", str(org_order["id"]), "--notes", "renewed by phone", "--amount", "80", "-o", "json")
    assert r.exit_code == 0, r
    assert org_order["notes"].startswith("org_order:") and org_order["notes"].endswith("renewed by phone")
    assert org_order["amount"] == 80 and r.json()["amount"] == 80
    pending = _orders_with(sandbox, "pending")[0]
    r = cli("orders", "edit", str(pending["id"]), "--status", "frozen")
    assert r.exit_code == 0 and pending["status"] == "frozen" and "not a status" in r.stderr
    r = cli("orders", "edit", str(pending["id"]), "--clear-plan")
    assert r.exit_code == 0 and pending["planId"] is None
    r = cli("orders", "edit", "99999", "--status", "active")
    assert r.exit_code == 6 and "Order not found" in r.stderr
    r = cli("orders", "edit", str(pending["id"]), "--user", "987654")
    assert r.exit_code == 6


def test_orders_delete(cli: Any, sandbox: Any) -> None:
    victim = _orders_with(sandbox, "cancelled")[0]["id"]
    r = cli("orders", "delete", str(victim))
    assert r.exit_code == 2 and victim in sandbox.state.orders
    r = cli("orders", "delete", str(victim), "--yes")
    assert r.exit_code == 0 and victim not in sandbox.state.orders
    r = cli("orders", "delete", str(victim), "--yes")
    assert r.exit_code == 6 and "Order not found" in r.stderr  # the panel's own 404
    other = _orders_with(sandbox, "pending")[0]["id"]
    r = cli("orders", "delete", str(other), "99999", "--yes")
    assert r.exit_code == 8 and other not in sandbox.state.orders


def test_confirm_payment_needs_a_login_session(cli: Any, sandbox: Any) -> None:
    order = _orders_with(sandbox, "payment_sent")[0]
    r = cli("orders", "confirm-payment", str(order["id"]), "--yes")
    assert r.exit_code == 4 and "auth login" in r.stderr and order["status"] == "payment_sent"
    r = cli("orders", "confirm-payment", str(order["id"]), "--yes", key=None, env=_jwt(sandbox, 5))
    assert r.exit_code == 5 and order["status"] == "payment_sent"  # billing role: no admin:payment:manage


def test_confirm_payment(cli: Any, sandbox: Any) -> None:
    order = _orders_with(sandbox, "payment_sent")[0]
    uid = order["userId"]
    from eclictl.sandbox.routes.orders import new_order

    oid = sandbox.state.next_id("orders")
    sandbox.state.orders[oid] = old = new_order(oid, userId=uid, status="active", planId=2)
    r = cli("orders", "confirm-payment", str(order["id"]), "--yes")
    assert r.exit_code == 4
    r = cli("orders", "confirm-payment", str(order["id"]), "--tx-id", "TX-1", "--notes", "checked", "--yes",
            "-o", "json", key=None, env=_jwt(sandbox))
    assert r.exit_code == 0, r
    assert r.json() == {"id": order["id"], "status": "active"}
    assert (order["status"], order["paymentTxId"]) == ("active", "TX-1") and "checked" in order["notes"]
    assert old["status"] == "cancelled" and f"Replaced by order #{order['id']}" in old["notes"]
    assert sandbox.state.users[uid]["portalType"] == sandbox.state.plans[order["planId"]]["type"]
    r = cli("orders", "confirm-payment", str(order["id"]), "--yes", key=None, env=_jwt(sandbox))
    assert r.exit_code == 7 and "current state" in r.stderr
    r = cli("orders", "confirm-payment", "99999", "--yes", key=None, env=_jwt(sandbox))
    assert r.exit_code == 6
    r = cli("orders", "confirm-payment", str(order["id"]), key=None, env=_jwt(sandbox))
    assert r.exit_code == 2  # destructive: --yes without a TTY


def test_reject_payment(cli: Any, sandbox: Any) -> None:
    first, second = _orders_with(sandbox, "pending")[:2]
    env = _jwt(sandbox)
    r = cli("orders", "reject-payment", str(first["id"]), "--reason", "no funds", "--yes", key=None, env=env)
    assert r.exit_code == 0, r
    assert first["status"] == "cancelled" and "Payment rejected: no funds on " in first["notes"]
    r = cli("orders", "reject-payment", str(first["id"]), "--yes", key=None, env=env)
    assert r.exit_code == 7 and "only orders awaiting payment" in r.stderr and "payment.cannotReject" not in r.stderr
    r = cli("orders", "reject-payment", str(second["id"]), "99999", "--yes", key=None, env=env)
    assert r.exit_code == 8 and second["status"] == "cancelled"


def test_invoice_to_file(cli: Any, sandbox: Any, tmp_path: Any) -> None:
    order_id = next(iter(sandbox.state.orders))
    target = tmp_path / "inv.pdf"
    r = cli("orders", "invoice", str(order_id), "-f", str(target), "-o", "json")
    assert r.exit_code == 0, r
    data = target.read_bytes()
    assert data.startswith(b"%PDF") and r.json()["bytes"] == len(data)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    r = cli("orders", "invoice", str(order_id), "-f", str(target))
    assert r.exit_code == 2 and "exists" in r.stderr
    r = cli("orders", "invoice", "99999", "-f", str(tmp_path / "missing.pdf"))
    assert r.exit_code == 6 and not (tmp_path / "missing.pdf").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_invoice_to_stdout(cli: Any, sandbox: Any) -> None:
    order_id = next(iter(sandbox.state.orders))
    r = cli("orders", "invoice", str(order_id), "-f", "-")
    assert r.exit_code == 0 and r.stdout.encode("latin-1").startswith(b"%PDF-1.4")
    before = len(sandbox.requests)
    r = cli("orders", "invoice", str(order_id), "-f", "-", tty=True)
    assert r.exit_code == 2 and "terminal" in r.stderr and len(sandbox.requests) == before


def test_payment_methods_list(cli: Any, sandbox: Any) -> None:
    r = cli("orders", "payment-methods", "list", "-o", "json", key=None, env=_jwt(sandbox))
    assert r.exit_code == 0, r
    assert [m["id"] for m in r.json()] == [m["id"] for m in sandbox.state.payment_methods]
    r = cli("orders", "payment-methods", "list", "--enabled", "-o", "json", key=None, env=_jwt(sandbox))
    assert r.json() and all(m["enabled"] for m in r.json())
    r = cli("orders", "payment-methods", "list")
    assert r.exit_code == 4 and "login session" in r.stderr


def test_orders_billing_disabled(cli: Any, sandbox: Any) -> None:
    _billing_off(sandbox)
    count = len(sandbox.state.orders)
    for args in (("orders", "list"), ("orders", "issue", "7", "--amount", "5"),
                 ("orders", "delete", "1", "--yes")):
        r = cli(*args)
        assert r.exit_code == 9, (args, r)
    assert len(sandbox.state.orders) == count


def test_sandbox_create_order_does_not_check_the_plan_like_the_panel(cli: Any, sandbox: Any) -> None:
    """adminHandler.ts: an unknown planId still creates an order, free and active: why `issue` checks first."""
    r = cli("api", "POST", "/api/admin/orders", "--input", "-", "-o", "json",
            stdin='{"userId": 7, "planId": 999}')
    assert r.exit_code == 0, r
    order = sandbox.state.orders[r.json()["order"]["id"]]
    assert (order["planId"], order["status"], order["amount"], r.json()["autoActivated"]) == (999, "active", 0, True)


def test_orders_delete_makes_one_request_per_order(cli: Any, sandbox: Any) -> None:
    victim = _orders_with(sandbox, "cancelled")[0]["id"]
    before = len(sandbox.requests)
    r = cli("orders", "delete", str(victim), "--yes")
    assert r.exit_code == 0 and len(sandbox.requests) - before == 1


def test_orders_issue_without_plan_view_permission_warns_and_issues(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(method="GET", path="/api/admin/plans", status=403,
                         body={"error": "Insufficient permissions"})
    r = cli("orders", "issue", "7", "--plan", "2", "-o", "json")
    assert r.exit_code == 0, r
    assert "cannot check that plan 2 exists" in r.stderr
    assert sandbox.state.orders[r.json()["id"]]["planId"] == 2
