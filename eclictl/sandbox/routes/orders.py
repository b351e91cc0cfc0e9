"""Sandbox: /api/admin/orders* and /api/admin/payment-methods (docs/panel/billing.md#orders, docs/panel/billing.md#payments).

`/api/admin/orders` sits behind the `billing` prefix gate (handler.py). Payment routes
(confirm/reject, payment methods) use paymentHandler's own permission check: JWT sessions only
(any API key -> 401 `Unauthorized`), passing for role `*`, the exact permission, or a granted
`*` / `admin:*`; else 403 `Forbidden`. Seeded first (name order): the plans are seeded from here
when plans.py has not run yet, and users.py then finds both tables and leaves them alone.
"""

from __future__ import annotations

import calendar
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from eclictl.sandbox.router import HttpError, Raw, Request, admin, found, route, whole
from eclictl.sandbox.state import parse_iso

PER_PAGE = 50
ROOT_ROLES = ("*", "rootAdmin")
CONFIRMABLE = ("awaiting_payment", "payment_sent", "pending")
ACTIVE_LIKE = ("active", "paid", "completed")
EU = frozenset("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split())
ORDER_COLUMNS = ("id", "userId", "orgId", "items", "amount", "taxAmount", "taxRate", "discountAmount", "status",
                 "description", "planId", "notes", "paymentMethod", "paymentTxId", "paymentProvider", "cryptoAddress",
                 "cryptoAmount", "cryptoCurrency", "cryptoNetwork", "couponId", "couponCode", "createdAt", "expiresAt",
                 "billingType", "lifetimeBlockedAt", "lifetimeGraceEndsAt")


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(int(ts), timezone.utc)


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


_parse = parse_iso


def _add_month(dt: datetime) -> datetime:
    year, month = (dt.year + 1, 1) if dt.month == 12 else (dt.year, dt.month + 1)
    return dt.replace(year=year, month=month, day=min(dt.day, calendar.monthrange(year, month)[1]))


def new_order(oid: int, **values: Any) -> dict[str, Any]:
    """A complete Order row in the entity's column order."""
    row: dict[str, Any] = {col: None for col in ORDER_COLUMNS}
    row.update(id=oid, amount=0.0, taxAmount=0.0, taxRate=0.0, discountAmount=0.0, status="pending")
    row.update(values)
    return row


# -- seed ---------------------------------------------------------------------------------------

def seed(state: Any, rng: Any) -> None:
    if not getattr(state, "plans", None):
        from eclictl.sandbox.routes.plans import seed as seed_plans

        seed_plans(state, rng)
    state.orders = {}
    now = _dt(state.now())
    users = [u for _, u in sorted(state.users.items()) if u.get("role") not in ROOT_ROLES
             and not u.get("deletedAt") and not u.get("pendingDeletionUntil")]
    # (user index, plan id, status, days ago, extra)
    script: list[tuple[int, int | None, str, int, dict[str, Any]]] = [
        (0, 3, "active", 40, {}),
        (3, 2, "active", 20, {}),
        (6, 3, "active", 12, {"billingType": "lifetime"}),
        (9, 2, "awaiting_payment", 2, {"paymentMethod": "btc", "paymentProvider": "crypto",
                                       "cryptoAddress": "bc1qexampleaddr0000000000000000000sandbox",
                                       "cryptoAmount": "0.00011", "cryptoCurrency": "BTC",
                                       "cryptoNetwork": "bitcoin"}),
        (10, 3, "payment_sent", 1, {"paymentMethod": "paypal", "paymentProvider": "paypal",
                                    "paymentTxId": "PAYID-SANDBOX-7Q2"}),
        (11, 2, "pending", 3, {}),
        (12, None, "pending", 5, {"items": json.dumps([{"description": "Dedicated IP", "quantity": 1,
                                                        "price": 3.0}]), "description": "Dedicated IP add-on"}),
        (13, 2, "cancelled", 60, {"notes": "Payment rejected: chargeback on 2026-09-25T10:00:00.000Z"}),
        (14, 5, "active", 8, {"orgId": 1, "notes": "org_order:1;"}),
        (15, 3, "pending", 0, {"couponId": 2, "couponCode": "WINTER25", "discountAmount": 3.75}),
    ]
    for index, plan_id, status, days, extra in script:
        if index >= len(users):
            continue
        user = users[index]
        plan = state.plans.get(plan_id) if plan_id else None
        created = now - timedelta(days=days, hours=index)
        price = float(plan["price"]) if plan else 3.0
        rate = 19.0 if str(user.get("billingCountry") or "")[:2].upper() == "DE" else 0.0
        tax = round(price * rate / 100, 2)
        lifetime = extra.get("billingType") == "lifetime"
        oid = state.next_id("orders")
        order = new_order(
            oid, userId=user["id"], items=f"plan:{plan_id}" if plan else "admin:manual",
            amount=round(price + tax - float(extra.get("discountAmount") or 0), 2), taxAmount=tax, taxRate=rate,
            status=status, description=f"{plan['name']} plan" if plan else None, planId=plan_id,
            createdAt=_iso(created),
            expiresAt=_iso(created + (timedelta(days=36500) if lifetime else timedelta(days=30))),
            paymentTxId=f"tx_{user['id']:05d}_{oid:04d}" if status == "active" else None)
        order.update(extra)
        state.orders[oid] = order
        if status == "active" and plan:
            user["portalType"] = plan["type"]
            user["limits"] = _limits(plan)
    state.payment_methods = [
        {"id": "btc", "type": "crypto", "label": "Bitcoin", "enabled": True,
         "address": "bc1qpanelreceiving000000000000000000sandbox", "currency": "BTC", "network": "bitcoin",
         "instructions": "Send the exact amount; confirmations take ~30 minutes."},
        {"id": "paypal", "type": "paypal", "label": "PayPal", "enabled": True, "address": "payments@panel.example",
         "currency": "EUR"},
        {"id": "sepa", "type": "bank_transfer", "label": "SEPA transfer", "enabled": False,
         "address": "DE89 3704 0044 0532 0130 00", "currency": "EUR", "instructions": "Put the order id in the reference."},
    ]
    state.order_mailbox = []


def _limits(plan: dict[str, Any]) -> dict[str, Any]:
    limits = {k: plan.get(k) for k in ("memory", "disk", "cpu", "serverLimit", "databases", "backups")}
    limits["portsPerServer"] = plan.get("portCount")
    limits["tunnelPortCount"] = plan.get("tunnelPortCount")
    return limits


# -- helpers ------------------------------------------------------------------------------------

def _order(req: Request) -> dict[str, Any]:
    return req.row(req.state.orders, "Order not found")


def _num(value: Any, default: float = 0.0) -> float:
    if isinstance(value, bool) or value is None:
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _tax_rate(state: Any, user: dict[str, Any]) -> float:
    """docs/panel/settings.md#rule-strings: exact code, then EU, then *, then DEFAULT, else 0."""
    raw = (getattr(state, "settings", None) or {}).get("billingTaxRules") or ""
    rules: dict[str, float] = {}
    for entry in re.split(r"[\n,;]+", str(raw)):
        key, sep, value = entry.replace("=", ":").partition(":")
        if sep and key.strip():
            try:
                rules[key.strip().upper()] = max(0.0, min(100.0, float(value)))
            except ValueError:
                continue
    code = str(user.get("countryOverride") or user.get("billingCountry") or "")[:2].upper()
    for key in (code, "EU" if code in EU else "", "*", "DEFAULT"):
        if key and key in rules:
            return rules[key]
    return 0.0


def _apply_plan(state: Any, order: dict[str, Any], plan: dict[str, Any]) -> None:
    """Create/PUT path: user limits replaced by the plan's (org orders: the organisation's tier)."""
    orgs = getattr(state, "organisations", None) or {}
    if order.get("orgId") is not None and orgs.get(order["orgId"]) is not None:
        orgs[order["orgId"]].update(portalTier=plan.get("type"))
        return
    user = state.users.get(order.get("userId"))
    if user is not None:
        user["limits"] = _limits(plan)
        user["portalType"] = plan.get("type")


def _cancel_others(state: Any, order: dict[str, Any], *, personal_only: bool, note: str | None) -> list[int]:
    out = []
    for other in state.orders.values():
        if other is order or other.get("userId") != order.get("userId") or other.get("status") != "active":
            continue
        if personal_only and other.get("orgId"):
            continue
        other["status"] = "cancelled"
        if note:
            other["notes"] = f"{other['notes']}; {note}" if other.get("notes") else note
        out.append(other["id"])
    return out


def _payment_gate(req: Request, perm: str) -> None:
    """paymentHandler's requireAdminPermission: JWT users only; role `*`, exact perm, `*` or `admin:*`."""
    principal = req.principal
    if principal is None or getattr(principal, "key", None) is not None or getattr(principal, "via", "") != "jwt":
        raise HttpError(401, "Unauthorized")
    if principal.user.get("role") == "*":
        return
    from eclictl.sandbox.auth import role_permissions

    granted = role_permissions(req.state, principal.user_id)
    if perm in granted or "*" in granted or "admin:*" in granted:
        return
    raise HttpError(403, "Forbidden")


def _strict_body(req: Request, fields: tuple[str, ...]) -> dict[str, Any]:
    """A top-level (enforced) body schema: not an object, or a wrong-typed field -> 422."""
    try:
        body = req.json(None)
    except HttpError:
        raise HttpError(422, "Request error") from None
    if not isinstance(body, dict):
        raise HttpError(422, "Request error")
    for key in fields:
        if key in body and not isinstance(body[key], str):
            raise HttpError(422, "Request error")
    return body


# -- orders -------------------------------------------------------------------------------------

@route("GET", "/api/admin/orders", gates=admin("orders:view"))
def list_orders(req: Request) -> Any:
    state = req.state
    q = (req.arg("q") or "").strip()
    page = req.int_arg("page", 1)
    rows = list(state.orders.values())
    if q.isdigit():
        rows = [o for o in rows if o.get("userId") == int(q)]
    elif q:
        ids = {u["id"] for u in state.users.values() if q.lower() in str(u.get("email") or "").lower()}
        rows = [o for o in rows if o.get("userId") in ids]
    elif req.arg("userId"):
        uid = req.query_id("userId")  # an e-mail here is a 500 on the panel
        rows = [o for o in rows if o.get("userId") == uid]
    rows.sort(key=lambda o: (o.get("createdAt") or "", o["id"]), reverse=True)
    rows.sort(key=lambda o: 0 if o.get("status") in ("awaiting_payment", "payment_sent") else 1)
    chunk = rows[(page - 1) * PER_PAGE: page * PER_PAGE]
    return {"orders": [dict(o) for o in chunk], "total": len(rows), "page": page, "per": PER_PAGE}


@route("POST", "/api/admin/orders", gates=admin("orders:issue"))
def create_order(req: Request) -> Any:
    """adminHandler.ts: the plan id is NOT checked (an unknown one still gives an order with that planId,
    free and active when no amount is given); `amount` is the base (regional) price, the tax is only
    stored in taxAmount/taxRate; with a known plan `items` is replaced by a JSON line for it;
    `autoActivated: true` whenever a planId was given."""
    state = req.state
    body = req.json_object()
    if not body.get("userId"):
        raise HttpError(400, "userId required")
    user = found(state.users, whole(body["userId"]), "User not found")
    plan_id = whole(body["planId"]) if body.get("planId") not in (None, "", 0, False) else None
    plan = state.plans.get(plan_id) if plan_id is not None else None
    now = _dt(state.now())
    lifetime = body.get("billingType") == "lifetime"
    amount = _num(body.get("amount"))
    tax = _num(body.get("taxAmount"))
    rate = _num(body.get("taxRate"))
    if body.get("amount") is None and plan is not None:
        from eclictl.sandbox.routes.plans import regional_price

        regional = regional_price(state, plan["id"], str(user.get("countryOverride") or user.get("billingCountry") or ""))
        amount = float(regional if regional is not None else plan.get("price") or 0.0)
        if (user.get("countryOverride") or user.get("billingCountry")) and tax == 0 and rate == 0:
            rate = _tax_rate(state, user)
            tax = round(amount * rate / 100, 2)
    oid = state.next_id("orders")
    items = body.get("items") or (f"plan:{plan_id}" if plan_id is not None else "admin:manual")
    if plan is not None:
        price = _num(body.get("amount"), float(plan.get("price") or 0.0)) if body.get("amount") is not None \
            else float(plan.get("price") or 0.0)
        items = json.dumps([{"description": body.get("description") or plan["name"], "quantity": 1, "price": price}])
    elif isinstance(items, (list, dict)):
        items = json.dumps(items)
    order = new_order(
        oid, userId=user["id"], items=items, amount=amount, taxAmount=tax, taxRate=rate,
        status="active" if amount == 0 else "pending", description=body.get("description") or None,
        planId=plan_id, notes=body.get("notes") or None, createdAt=_iso(now),
        expiresAt=body.get("expiresAt") or _iso(now + timedelta(days=36500 if lifetime else 30)),
        billingType="lifetime" if lifetime else None)
    state.orders[oid] = order
    if amount == 0:  # the note names the order before it has an id, as on the panel
        _cancel_others(state, order, personal_only=True,
                       note=f"Replaced by order #undefined on {_iso(now)}")
    if plan_id is not None:
        if plan is not None:
            _apply_plan(state, order, plan)  # even while the order is still unpaid (known issue 6)
        return {"success": True, "order": dict(order), "autoActivated": True}
    return {"success": True, "order": dict(order)}


@route("PUT", "/api/admin/orders/:id", gates=admin("orders:update"))
def edit_order(req: Request) -> Any:
    state = req.state
    order = _order(req)
    body = req.json_object()
    if body.get("userId") is not None:
        order["userId"] = found(state.users, whole(body["userId"]), "User not found")["id"]
    if "status" in body:
        order["status"] = body["status"]  # no validation on the panel
    if "notes" in body:
        prefix = re.match(r"^org_order:\d+;", str(order.get("notes") or ""))
        text = body["notes"] or ""
        if prefix and not str(text).startswith(prefix.group(0)):
            text = prefix.group(0) + str(text)
        order["notes"] = text or None
    for key in ("expiresAt", "description"):
        if key in body:
            order[key] = body[key]
    if "amount" in body:
        order["amount"] = _num(body["amount"])
    if "planId" in body:
        order["planId"] = None if body["planId"] in (None, "") else body["planId"]
    if "items" in body:
        items = body["items"]
        order["items"] = json.dumps(items) if isinstance(items, (list, dict)) else items
    if order.get("status") in ACTIVE_LIKE and order.get("planId") is not None:
        plan = state.plans.get(order["planId"])
        if plan is not None:
            _apply_plan(state, order, plan)
    return {"success": True, "order": dict(order)}


@route("DELETE", "/api/admin/orders/:id", gates=admin("orders:delete"))
def delete_order(req: Request) -> Any:
    order = _order(req)  # 404 `Order not found` for unknown ids
    del req.state.orders[order["id"]]  # plan limits it granted stay
    return None


def _pdf(order: dict[str, Any], user: dict[str, Any] | None) -> bytes:
    name = " ".join(str(user.get(k) or "") for k in ("firstName", "lastName")).strip() if user else ""
    text = f"Invoice #{order['id']} - {name} - {order.get('amount')} EUR"
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out = b"%PDF-1.4\n"
    for n, obj in enumerate(objs, start=1):
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    return out + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n" + b"\n" * 70000  # padded: several stream chunks


@route("GET", "/api/admin/orders/:id/invoice", gates=admin("orders:view"))
def invoice(req: Request) -> Any:
    order = _order(req)
    body = _pdf(order, req.state.users.get(order.get("userId")))
    return Raw(200, "application/pdf", body, {"content-disposition": f'attachment; filename="invoice-{order["id"]}.pdf"',
                                               "content-length": str(len(body))})


@route("POST", "/api/admin/orders/:id/confirm-payment", gates=(("A", "admin:access"),))
def confirm_payment(req: Request) -> Any:
    body = _strict_body(req, ("txId", "notes"))  # Elysia validates the body schema before beforeHandle
    _payment_gate(req, "admin:payment:manage")
    state = req.state
    order = _order(req)
    if order.get("status") not in CONFIRMABLE:
        raise HttpError(400, "Cannot confirm this order in its current state")
    now = _dt(state.now())
    notes = str(order.get("notes") or "")
    renewal = "queue_for_renewal" in notes
    start = now
    if renewal:
        actives = [_parse(o.get("expiresAt")) for o in state.orders.values()
                   if o is not order and o.get("userId") == order.get("userId") and o.get("status") == "active"]
        latest = max((d for d in actives if d is not None), default=None)
        if latest is not None and latest > now:
            start = latest
    lifetime = order.get("billingType") == "lifetime"
    order["status"] = "active"
    if body.get("txId"):
        order["paymentTxId"] = body["txId"]
    order["expiresAt"] = _iso(start + timedelta(days=36500) if lifetime else _add_month(start))
    if body.get("notes"):
        order["notes"] = f"{notes}; {body['notes']}" if notes else body["notes"]
    if not renewal:
        _cancel_others(state, order, personal_only=False, note=f"Replaced by order #{order['id']} on {_iso(now)}")
    plan = state.plans.get(order.get("planId")) if order.get("planId") is not None else None
    user = state.users.get(order.get("userId"))
    if plan is not None and user is not None:  # modifies the user even for org orders
        limits = dict(user.get("limits") or {})
        for key, value in _limits(plan).items():
            current = limits.get(key)
            if isinstance(value, (int, float)) and (not isinstance(current, (int, float)) or current < value):
                limits[key] = value
        user["limits"] = limits
        user["portalType"] = plan.get("type")
    if user is not None:
        state.order_mailbox.append({"userId": user["id"], "subject": "Payment confirmed", "orderId": order["id"]})
    return {"success": True, "order": {"id": order["id"], "status": order["status"]}}


@route("POST", "/api/admin/orders/:id/reject-payment", gates=(("A", "admin:access"),))
def reject_payment(req: Request) -> Any:
    body = _strict_body(req, ("reason",))  # Elysia validates the body schema before beforeHandle
    _payment_gate(req, "orders:update")
    order = _order(req)
    if order.get("status") not in CONFIRMABLE:
        raise HttpError(400, "payment.cannotReject")
    reason = body.get("reason")
    line = f"Payment rejected{': ' + reason if reason else ''} on {_iso(_dt(req.state.now()))}"
    order["status"] = "cancelled"
    order["notes"] = f"{order['notes']}; {line}" if order.get("notes") else line
    return {"success": True, "order": {"id": order["id"], "status": order["status"]}}
