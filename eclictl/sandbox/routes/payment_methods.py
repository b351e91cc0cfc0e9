"""Sandbox: payment methods, `/api/admin/payment-methods` (docs/panel/payment-methods.md).

The list is one panel setting (`state.payment_methods`, seeded by routes/orders.py). POST replaces
it whole, with no version check. The body schema is enforced before the handler runs (422
`Request error`), then the handler's own checks (400) and clean-up: strings trimmed, empty
`currency`/`instructions` dropped, unknown keys dropped (backend/src/handlers/paymentHandler.ts:28-80, :326-385).
"""

from __future__ import annotations

from typing import Any

from eclictl.sandbox.router import HttpError, Request, route
from eclictl.sandbox.routes.orders import _payment_gate

TYPES = ("crypto", "paypal", "bank_transfer", "other")
NETWORKS = ("bitcoin", "ethereum", "usdt_erc20", "usdt_trc20", "litecoin", "monero", "solana", "lightning")
GATE = (("A", "admin:access"),)


def _schema_ok(body: Any) -> bool:
    """The route's top-level `body:` schema (TypeBox): enforced, any mismatch is 422."""
    if not isinstance(body, dict) or not isinstance(body.get("methods"), list):
        return False
    for m in body["methods"]:
        if not isinstance(m, dict) or m.get("type") not in TYPES:
            return False
        if not all(isinstance(m.get(k), str) for k in ("id", "label", "address")):
            return False
        if not isinstance(m.get("enabled"), bool):
            return False
        if any(k in m and not isinstance(m[k], str) for k in ("currency", "network", "instructions")):
            return False
    return True


def _valid(m: dict[str, Any]) -> bool:
    return bool(m["id"]) and bool(m["label"].strip()) and bool(m["address"].strip()) \
        and ("network" not in m or m["network"] in NETWORKS)


def _clean(m: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": m["id"], "type": m["type"], "label": m["label"].strip(), "enabled": m["enabled"],
                           "address": m["address"].strip()}
    if m.get("currency"):
        out["currency"] = m["currency"].strip()  # "  " is truthy: stored as ""
    if m.get("network"):
        out["network"] = m["network"]
    if m.get("instructions"):
        out["instructions"] = m["instructions"].strip()
    return out


@route("GET", "/api/admin/payment-methods", gates=GATE)
def list_methods(req: Request) -> Any:
    _payment_gate(req, "admin:payment:manage")
    return {"methods": [dict(m) for m in req.state.payment_methods]}


@route("POST", "/api/admin/payment-methods", gates=GATE)
def save_methods(req: Request) -> Any:
    try:
        body = req.json(None)
    except HttpError:
        raise HttpError(422, "Request error") from None
    if not _schema_ok(body):  # validation runs before the handler's own permission check
        raise HttpError(422, "Request error")
    _payment_gate(req, "admin:payment:manage")
    methods = body["methods"]
    if len(methods) > 20:
        raise HttpError(400, "Too many payment methods (max 20)")
    clean = []
    for m in methods:
        if not _valid(m):
            raise HttpError(400, f"Invalid payment method data for method {m.get('id') or 'unknown'}")
        clean.append(_clean(m))
    req.state.payment_methods = clean
    return {"success": True, "methods": [dict(m) for m in clean]}
