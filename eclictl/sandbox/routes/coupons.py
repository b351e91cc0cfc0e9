"""Sandbox: coupons (docs/panel/coupons.md; backend/src/handlers/couponHandler.ts).

Gate A(`admin:access`), behind the `billing` flag. Codes are stored exactly as sent (redemption looks
them up trimmed and upper-cased); PUT turns `null` into "no change" (TypeORM skips `undefined`), so a
limit or the expiry can never be cleared; a PUT that changes `discountType` alone does not re-check the
stored value; a missing or non-numeric `discountValue` passes the checks and fails in SQL (500);
`isActive` goes through `Boolean()` on PUT ("false" is true). DELETE also drops every use record.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from eclictl.sandbox.router import HttpError, Request, js_number, route

PATH = "/api/admin/coupons"
GATE = (("A", "admin:access"),)
NOT_FOUND = "Coupon not found"
EXISTS = "A coupon with this code already exists"
BAD_TYPE = "coupon.discounttype_must_be_percentage_or_fixed"  # the translation is missing upstream
BAD_PERCENT = "Percentage discount must be between 0 and 100"
BAD_FIXED = "Fixed discount must be greater than 0"
LIMITS = ("minOrderAmount", "maxDiscountAmount", "maxUsesTotal", "maxUsesPerUser")
CODE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def seed(state: Any, rng: Any) -> None:
    state.coupons = {}
    state.coupon_uses = {}
    day = 86400
    plan = [("WELCOME10", "percentage", 10, None, None, None, 1, None, True),
            ("SPRING25", "percentage", 25, 5.0, 20.0, 100, 1, 30 * day, True),
            ("FIVEOFF", "fixed", 5, 10.0, None, 50, 2, None, True),
            ("EXPIRED15", "percentage", 15, None, None, None, 1, -10 * day, True),
            ("STAFFONLY", "percentage", 100, None, None, 3, 1, None, False)]
    now = state.now()
    for i, (code, kind, value, min_order, max_disc, max_total, per_user, expires, active) in enumerate(plan, 1):
        state.coupons[i] = {
            "id": i, "code": code, "discountType": kind, "discountValue": float(value), "minOrderAmount": min_order,
            "maxDiscountAmount": max_disc, "maxUsesTotal": max_total, "maxUsesPerUser": per_user,
            "currentUsesTotal": 0, "expiresAt": state.iso(now + expires) if expires is not None else None,
            "isActive": active, "createdBy": 1, "createdAt": state.iso(now - (60 - i) * day)}
    for user_id in (2, 5, 8):  # fake customers who used SPRING25
        use_id = state.next_id("coupon_uses")
        state.coupon_uses[use_id] = {"id": use_id, "couponId": 2, "userId": user_id,
                                     "usedAt": state.iso(now - rng.randint(1, 20) * day)}
        state.coupons[2]["currentUsesTotal"] += 1


def _find(req: Request) -> dict[str, Any]:
    return req.row(req.state.coupons, NOT_FOUND)


def _js_lt(value: Any, limit: float) -> bool:
    number = _num(value)
    return number is not None and number < limit


def _num(value: Any) -> float | None:
    """JavaScript's Number() for a JSON value; None for NaN (undefined, objects, non-numeric text)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if value is None:
        return 0.0
    if isinstance(value, str):
        return js_number(value)
    return None


_ABSENT = object()


def _check_value(kind: str, value: Any) -> None:
    """The handler's range checks, with JavaScript comparisons: `undefined` and NaN compare false (a
    missing or non-numeric value passes), `null` compares as 0."""
    number = None if value is _ABSENT else _num(value)
    if kind == "percentage" and number is not None and (number < 0 or number > 100):
        raise HttpError(400, BAD_PERCENT)
    if kind == "fixed" and number is not None and number <= 0:
        raise HttpError(400, BAD_FIXED)


def _stored_number(value: Any) -> float:
    number = None if value is _ABSENT else _num(value)
    if number is None or number != number:
        raise RuntimeError("Unknown column 'NaN' in 'field list'")  # Number(x) is NaN: SQL error, 500
    return number


def _date(value: Any) -> str:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise RuntimeError("Incorrect datetime value: 'Invalid Date'") from None  # 500
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _code_taken(state: Any, code: str, but: int | None = None) -> bool:
    # utf8mb4_unicode_ci: case-insensitive, trailing spaces ignored
    want = code.rstrip(" ").lower()
    return any(c["code"].rstrip(" ").lower() == want and c["id"] != but for c in state.coupons.values())


@route("GET", PATH, gates=GATE)
def list_coupons(req: Request) -> Any:
    rows = sorted(req.state.coupons.values(), key=lambda c: (c["createdAt"], c["id"]), reverse=True)
    return {"coupons": rows}


@route("GET", PATH + "/:id", gates=GATE)
def get_coupon(req: Request) -> Any:
    coupon = _find(req)
    uses = sorted((u for u in req.state.coupon_uses.values() if u["couponId"] == coupon["id"]),
                  key=lambda u: u["usedAt"], reverse=True)[:500]
    return {"coupon": coupon, "uses": uses}


@route("POST", PATH, gates=GATE)
def create_coupon(req: Request) -> Any:
    body = req.json_object(reading="code")
    code = body.get("code") or _random_code(req.state)
    if _code_taken(req.state, str(code)):
        raise HttpError(400, EXISTS)
    kind = body.get("discountType")
    if kind not in ("percentage", "fixed"):
        raise HttpError(400, BAD_TYPE)
    value = body.get("discountValue", _ABSENT)
    _check_value(kind, value)
    coupon: dict[str, Any] = {"code": code, "discountType": kind, "discountValue": _stored_number(value)}
    for key in LIMITS:
        if body.get(key) is not None:
            coupon[key] = _stored_number(body[key])
    coupon["currentUsesTotal"] = 0
    if body.get("expiresAt"):
        coupon["expiresAt"] = _date(body["expiresAt"])
    coupon.update({"isActive": body.get("isActive") is not False, "createdBy": req.principal.user_id,
                   "createdAt": req.state.iso()})
    coupon["id"] = req.state.next_id("coupons")
    stored = {"minOrderAmount": None, "maxDiscountAmount": None, "maxUsesTotal": None, "maxUsesPerUser": None,
              "expiresAt": None, **coupon}
    req.state.coupons[coupon["id"]] = stored
    return {"success": True, "coupon": coupon}  # unset limits are absent from the answer


def _random_code(state: Any) -> str:
    import random

    rng = random.Random(f"coupon:{state.next_id('coupon_codes')}")
    return "".join(rng.choice(CODE_CHARS) for _ in range(10))


@route("PUT", PATH + "/:id", gates=GATE)
def update_coupon(req: Request) -> Any:
    coupon = _find(req)
    body = req.json_object(reading="code")
    if "code" in body:
        if body["code"] != coupon["code"] and _code_taken(req.state, str(body["code"]), but=coupon["id"]):
            raise HttpError(400, EXISTS)
    kind = body.get("discountType")
    if "discountType" in body and kind not in ("percentage", "fixed"):
        raise HttpError(400, BAD_TYPE)
    if "discountValue" in body:
        _check_value(kind or coupon["discountType"], body["discountValue"])
    changes: dict[str, Any] = {}
    if "code" in body:
        changes["code"] = body["code"]
    if "discountType" in body:
        changes["discountType"] = kind
    if "discountValue" in body:
        changes["discountValue"] = _stored_number(body["discountValue"])
    for key in LIMITS:
        if body.get(key) is not None:  # null -> undefined -> skipped by save(): the old value stays
            changes[key] = _stored_number(body[key])
    if body.get("expiresAt"):
        changes["expiresAt"] = _date(body["expiresAt"])
    if "isActive" in body:
        value = body["isActive"]
        changes["isActive"] = bool(value) and value != 0 and value != ""  # Boolean(): "false" is true
    coupon.update(changes)
    return {"success": True, "coupon": coupon}


@route("DELETE", PATH + "/:id", gates=GATE)
def delete_coupon(req: Request) -> Any:
    coupon = _find(req)
    for use_id in [k for k, u in req.state.coupon_uses.items() if u["couponId"] == coupon["id"]]:
        del req.state.coupon_uses[use_id]
    del req.state.coupons[coupon["id"]]
    return {"success": True}
