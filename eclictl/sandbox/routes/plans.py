"""Sandbox: /api/admin/plans* and /api/admin/regional-prices* (docs/panel/billing.md#plans, docs/panel/billing.md#regional-prices).

Plan routes have only the `authorize('admin:plans:*')` gate (no `admin:access`); only the list
checks the `billing` feature (in the handler, so its 503 names the flag). Regional prices come from
backend/src/handlers/regionalPriceHandler.ts (same gates: view / manage), (docs/panel/billing.md#regional-prices).
Seeded before users.py (name order): users.py sees `state.plans` and leaves it alone.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

from eclictl.sandbox.router import HttpError, Request, route
from eclictl.sandbox.state import parse_iso

#: id, name, type, price, (memory, disk, cpu, serverLimit, databases, backups), default, hidden
_SEED = (
    (1, "Free", "free", 0.0, (1024, 10240, 100, 1, 1, 1), True, False),
    (2, "Starter", "paid", 4.99, (4096, 30720, 200, 3, 3, 3), False, False),
    (3, "Pro", "paid", 14.99, (16384, 102400, 400, 10, 10, 10), False, False),
    (4, "Student", "educational", 0.0, (4096, 20480, 200, 2, 2, 2), True, False),
    (5, "Enterprise", "enterprise", 99.0, (65536, 512000, 1600, 50, 50, 50), False, False),
    (6, "Legacy Pro", "paid", 9.99, (8192, 51200, 300, 5, 5, 5), False, True),
)
LIMIT_FIELDS = ("memory", "disk", "cpu", "serverLimit", "databases", "backups", "emailSendDailyLimit",
                "emailSendQueueLimit")
PLAN_FIELDS = ("name", "type", "price", "description", *LIMIT_FIELDS, "portCount", "tunnelPortCount", "isDefault",
               "hiddenFromBilling", "features", "boostPercent", "boostStartsAt", "boostExpiresAt", "boostReason")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def new_plan(pid: int, **values: Any) -> dict[str, Any]:
    """A complete Plan row in the entity's column order (nulls where empty)."""
    row: dict[str, Any] = {"id": pid, "name": None, "type": None, "price": 0.0, "description": None}
    row.update({k: None for k in LIMIT_FIELDS})
    row.update(databases=0, backups=0)  # NOT NULL DEFAULT 0 (backend/src/models/plan.entity.ts)
    row.update({"portCount": 1, "tunnelPortCount": 10, "isDefault": False, "hiddenFromBilling": False,
                "features": None, "boostPercent": 0, "boostStartsAt": None, "boostExpiresAt": None,
                "boostReason": None})
    row.update(values)
    return row


def seed(state: Any, rng: Any) -> None:
    """Idempotent: orders.py (seeded first, by name order) calls it to reference the plans."""
    if getattr(state, "_plans_seeded", False):
        return
    state._plans_seeded = True
    state.plans = {}
    for pid, name, ptype, price, limits, default, hidden in _SEED:
        memory, disk, cpu, servers, dbs, backups = limits
        state.plans[pid] = new_plan(
            pid, name=name, type=ptype, price=price, description=f"{name} plan", memory=memory, disk=disk, cpu=cpu,
            serverLimit=servers, databases=dbs, backups=backups, emailSendDailyLimit=20 * servers,
            emailSendQueueLimit=None if ptype == "free" else 100, portCount=2, tunnelPortCount=1 if price == 0 else 10,
            isDefault=default, hiddenFromBilling=hidden,
            features={"prioritySupport": True} if ptype == "enterprise" else None)
    boosted = state.plans[3]
    boosted.update(boostPercent=25, boostStartsAt=_iso(state.now() - 86400),
                   boostExpiresAt=_iso(state.now() + 29 * 86400), boostReason="Winter sale")
    state.regional_prices = {
        1: {"id": 1, "planId": 2, "countryCode": "IN", "price": 1.99},
        2: {"id": 2, "planId": 3, "countryCode": "BR", "price": 7.49},
        3: {"id": 3, "planId": 3, "countryCode": "IN", "price": 5.99},
    }


def _billing_enabled(state: Any) -> bool:
    from eclictl.sandbox.handler import _flags

    return _flags(getattr(state, "settings", None) or {}).get("billing") is not False


def _plan(req: Request) -> dict[str, Any]:
    return req.row(req.state.plans, "Plan not found")


def _num(value: Any) -> Any:
    """JS Number(x): numbers stay, numeric strings convert, anything else is NaN (-> null in JSON)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() else number


def _column(value: Any) -> Any:
    """Number(x) written to a numeric column: NaN (`"cheap"`) makes the save fail, the panel's global 500."""
    number = _num(value)
    if number is None:
        raise HttpError(500, "Internal server error")
    return number


def _apply(plan: dict[str, Any], body: dict[str, Any], creating: bool = False) -> None:
    """planHandler.ts: a create keeps the column default for a null count, an edit stores Number(null) = 0."""
    for key in ("name", "type"):
        if key in body:
            plan[key] = body[key]
    if "price" in body:
        plan["price"] = 0 if body["price"] is None else _column(body["price"])
    if "description" in body:
        plan["description"] = body["description"] or None
    for key in LIMIT_FIELDS:
        if key in body and body[key] is not None:  # null is `undefined`: the column default stays
            plan[key] = _column(body[key])
    for key in ("portCount", "tunnelPortCount", "boostPercent"):
        if key in body and not (creating and body[key] is None):
            plan[key] = 0 if body[key] is None else _column(body[key])
    for key in ("isDefault", "hiddenFromBilling"):
        if key in body:
            plan[key] = bool(body[key])
    if "features" in body:
        plan["features"] = body["features"]
    for key in ("boostStartsAt", "boostExpiresAt", "boostReason"):
        if key in body:
            plan[key] = body[key] or None


@route("GET", "/api/admin/plans", gates=(("A", "admin:plans:view"),))
def list_plans(req: Request) -> Any:
    if not _billing_enabled(req.state):
        return 503, {"error": "Feature 'billing' is disabled"}
    return [dict(p) for p in sorted(req.state.plans.values(), key=lambda p: (p.get("price") or 0, p["id"]))]


@route("POST", "/api/admin/plans", gates=(("A", "admin:plans:manage"),))
def create_plan(req: Request) -> Any:
    body = req.json_object()
    if not body.get("name") or not body.get("type"):
        raise HttpError(400, "name and type are required")
    plan = new_plan(0)
    _apply(plan, {k: v for k, v in body.items() if k in PLAN_FIELDS}, creating=True)
    if plan.get("price") is None:
        plan["price"] = 0.0
    pid = plan["id"] = req.state.next_id("plans")  # only once the row could be written
    req.state.plans[pid] = plan
    return {"success": True, "plan": dict(plan)}


#: PUT maps these to `undefined` when null (and, for the text/date ones, when empty): TypeORM's save()
#: skips undefined properties, so the column keeps its value, and the answer's plan lacks the key.
_UNDEFINED_WHEN_NULL = (*LIMIT_FIELDS, "features")
_UNDEFINED_WHEN_FALSY = ("description", "boostStartsAt", "boostExpiresAt", "boostReason")


@route("PUT", "/api/admin/plans/:id", gates=(("A", "admin:plans:manage"),))
def edit_plan(req: Request) -> Any:
    """planHandler.ts: a null limit/features or an empty description/boost field cannot clear anything."""
    plan = _plan(req)
    body = {k: v for k, v in req.json_object().items() if k in PLAN_FIELDS}
    skipped = {k for k in _UNDEFINED_WHEN_NULL if k in body and body[k] is None}
    skipped |= {k for k in _UNDEFINED_WHEN_FALSY if k in body and not body[k]}
    _apply(plan, {k: v for k, v in body.items() if k not in skipped})
    return {"success": True, "plan": {k: v for k, v in plan.items() if k not in skipped}}


def _plan_limits(plan: dict[str, Any]) -> dict[str, Any]:
    limits: dict[str, Any] = {k: plan[k] for k in LIMIT_FIELDS if plan.get(k) is not None}
    if plan.get("portCount") is not None:
        limits["portCount"] = limits["portsPerServer"] = plan["portCount"]
    if plan.get("tunnelPortCount") is not None:
        limits["tunnelPortCount"] = plan["tunnelPortCount"]
    if (plan.get("boostPercent") or 0) > 0 and plan.get("boostStartsAt") and plan.get("boostExpiresAt"):
        limits.update({k: plan.get(k) for k in ("boostPercent", "boostStartsAt", "boostExpiresAt", "boostReason")})
    return limits


def _custom(user_limits: Any, plan_limits: dict[str, Any]) -> bool:
    if not isinstance(user_limits, dict) or not user_limits or not plan_limits:
        return False
    if any(k not in plan_limits for k in user_limits):
        return True
    return any(user_limits.get(k) is not None and str(user_limits[k]) != str(v) for k, v in plan_limits.items())


@route("POST", "/api/admin/plans/:id/reapply-limits", gates=(("A", "admin:plans:reapply"),))
def reapply_limits(req: Request) -> Any:
    """The panel does this in the background; `updated` counts matching users, not changed ones."""
    plan = _plan(req)
    body = req.json_object()
    force = req.arg("force") == "true" or body.get("force") is True
    limits = _plan_limits(plan)
    users = [u for u in req.state.users.values() if u.get("portalType") == plan.get("type")]
    changed = 0
    for user in users:
        educational = plan.get("type") == "educational"
        scoped = (user.get("educationLimits") or user.get("limits")) if educational else user.get("limits")
        if not force and _custom(scoped, limits):
            continue
        if educational:
            user["educationLimits"] = {**(user.get("educationLimits") or {}), **limits} if limits else None
            user["limits"] = {**(user.get("limits") or {}), **limits} if limits else None
        else:
            user["limits"] = dict(limits) if limits else None
        changed += 1
    req.state.plan_reapply_log = [*getattr(req.state, "plan_reapply_log", []),
                                  {"planId": plan["id"], "force": force, "matched": len(users), "changed": changed}]
    return {"success": True, "updated": len(users)}


@route("PUT", "/api/admin/plans/:id/boost", gates=(("A", "admin:plans:manage"),))
def boost_plan(req: Request) -> Any:
    plan = _plan(req)
    body = req.json_object()
    percent = body.get("percent")
    number = _num(percent) if percent is not None else None
    if number is None or number < 0 or number > 1000:
        raise HttpError(400, "Boost percent must be between 0 and 1000")
    now = req.state.now()
    expires = body.get("expiresAt")
    parsed = parse_iso(expires) if isinstance(expires, str) and expires else None
    plan.update(boostPercent=number, boostStartsAt=_iso(now),
                boostExpiresAt=_iso(parsed.timestamp()) if parsed else (expires or _iso(now + 30 * 86400)),
                boostReason=body.get("reason") or None)
    return {"success": True, "plan": dict(plan)}


@route("DELETE", "/api/admin/plans/:id/boost", gates=(("A", "admin:plans:manage"),))
def unboost_plan(req: Request) -> Any:
    plan = _plan(req)
    # The panel sets the dates and reason to `undefined`, which save() skips: only the percent changes.
    plan.update(boostPercent=0)
    return None


@route("DELETE", "/api/admin/plans/:id", gates=(("A", "admin:plans:delete"),))
def delete_plan(req: Request) -> Any:
    plan = _plan(req)  # no check for users or orders still on the plan
    del req.state.plans[plan["id"]]
    return None


# -- regional prices (regionalPriceHandler.ts) -------------------------------------------------

@route("GET", "/api/admin/regional-prices/:planId", gates=(("A", "admin:plans:view"),))
def list_regional(req: Request) -> Any:
    pid = req.param_int("planId")
    if pid not in req.state.plans:
        raise HttpError(404, "Plan not found")
    rows = [dict(r) for r in req.state.regional_prices.values() if r.get("planId") == pid]
    return sorted(rows, key=lambda r: r.get("countryCode") or "")


@route("POST", "/api/admin/regional-prices/:planId", gates=(("A", "admin:plans:manage"),))
def set_regional(req: Request) -> Any:
    pid = req.param_int("planId")
    if pid not in req.state.plans:
        raise HttpError(404, "Plan not found")
    body = req.json_object()
    code = body.get("countryCode")
    if not isinstance(code, str) or len(code) != 2:
        raise HttpError(400, "Invalid country code")
    price = body.get("price")
    number = _num(price) if price is not None and not isinstance(price, bool) else None
    if number is None or not math.isfinite(number) or number < 0:
        raise HttpError(400, "Invalid price")
    code = code.upper()
    table = req.state.regional_prices
    existing = next((r for r in table.values() if r.get("planId") == pid and r.get("countryCode") == code), None)
    if existing is not None:
        existing["price"] = number
        return {"success": True, "regionalPrice": dict(existing)}
    rid = req.state.next_id("regional_prices")
    table[rid] = {"id": rid, "planId": pid, "countryCode": code, "price": number}
    return {"success": True, "regionalPrice": dict(table[rid])}


@route("DELETE", "/api/admin/regional-prices/:planId/:countryCode", gates=(("A", "admin:plans:manage"),))
def delete_regional(req: Request) -> Any:
    pid = req.param_int("planId")
    code = str(req.params.get("countryCode") or "").upper()
    table = req.state.regional_prices
    rid = next((k for k, r in table.items() if r.get("planId") == pid and r.get("countryCode") == code), None)
    if rid is None:
        raise HttpError(404, "Regional price not found")
    del table[rid]
    return None


def regional_price(state: Any, plan_id: Any, country: str) -> float | None:
    """Used by order creation: the plan's price for a country, if one is set."""
    code = (country or "")[:2].upper()
    for row in (getattr(state, "regional_prices", None) or {}).values():
        if row.get("planId") == plan_id and row.get("countryCode") == code:
            return row.get("price")
    return None

