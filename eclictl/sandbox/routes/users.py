"""Sandbox: /api/admin/users* (docs/panel/users.md#routes)."""

from __future__ import annotations

from typing import Any

from eclictl.sandbox.router import Request, admin, route
from eclictl.sandbox.state import iso, next_key, now, public_user, table

PER_PAGE = 50


@route("GET", "/api/admin/users", gates=admin("users:read"))
def list_users(req: Request) -> Any:
    """q: all digits = exact id; else e-mail substring (names are encrypted and never match)."""
    state = req.state
    q = (req.arg("q") or "").strip()
    page = req.int_arg("page", 1)
    start = (page - 1) * PER_PAGE
    if q:
        rows = [u for _, u in sorted(state.users.items())]
        if q.isdigit():
            rows = [u for u in rows if u["id"] == int(q)]
        else:
            rows = [u for u in rows if q.lower() in str(u.get("email") or "").lower()]
        total, chunk = len(rows), rows[start: start + PER_PAGE]
    else:
        # Ids are handed out in increasing order, so insertion order is id order: page through
        # the dict without sorting it (a 100,000-user sandbox serves every page quickly).
        from itertools import islice

        total, chunk = len(state.users), list(islice(state.users.values(), start, start + PER_PAGE))
    users = [{**public_user(u), "passkeyCount": state.passkey_count(u["id"])} for u in chunk]
    return {"users": users, "total": total, "page": page, "per": PER_PAGE}



# ---------------------------------------------------------------------------------------------
# Issue #3: the rest of /api/admin/users* (docs/panel/users.md#routes). Plans and orders live in
# `state.plans` / `state.orders` (created here when no other module did); AI links in
# `state.user_ai_links`; synchronous exports are recorded in `state.user_exports`.
# ---------------------------------------------------------------------------------------------
import re as _re
from datetime import date as _date, datetime as _datetime, timedelta as _timedelta

from eclictl.sandbox.router import HttpError as _HttpError, Request as _Request, admin as _admin, route as _route

_ROOT_ROLES = ("*", "rootAdmin")
_EU_UK = frozenset("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE GB UK".split())
_PLANS = (
    (1, "Free", "free", 0.0, {"memory": 1024, "disk": 10240, "cpu": 100, "serverLimit": 1, "databases": 1, "backups": 1}),
    (2, "Starter", "paid", 4.99, {"memory": 4096, "disk": 30720, "cpu": 200, "serverLimit": 3, "databases": 3, "backups": 3}),
    (3, "Pro", "paid", 14.99, {"memory": 16384, "disk": 102400, "cpu": 400, "serverLimit": 10, "databases": 10, "backups": 10}),
    (4, "Student", "educational", 0.0, {"memory": 4096, "disk": 20480, "cpu": 200, "serverLimit": 2, "databases": 2, "backups": 2}),
    (5, "Enterprise", "enterprise", 99.0, {"memory": 65536, "disk": 512000, "cpu": 1600, "serverLimit": 50, "databases": 50, "backups": 50}),
)
_FREE_FALLBACK = {"memory": 1024, "disk": 10240, "cpu": 1, "serverLimit": 1, "databases": 1, "backups": 1,
                  "portsPerServer": 1, "tunnelPortCount": 1, "emailsPerDay": 3, "emailQueue": 3}


def _seed_plans_and_orders(state: Any, rng: Any) -> None:
    plans = table(state, "plans")
    if not plans:
        for pid, name, ptype, price, limits in _PLANS:
            plans[pid] = {"id": pid, "name": name, "type": ptype, "price": price, "description": f"{name} plan",
                          "memory": limits["memory"], "disk": limits["disk"], "cpu": limits["cpu"],
                          "serverLimit": limits["serverLimit"], "databases": limits["databases"],
                          "backups": limits["backups"], "portCount": 2, "tunnelPortCount": 1,
                          "isDefault": pid in (1, 4), "hidden": False}
    orders = table(state, "orders")
    if any(isinstance(o, dict) and o.get("planId") for o in orders.values()):
        return
    base = now(state)
    users = [u for _, u in sorted(state.users.items()) if u.get("role") not in _ROOT_ROLES][:12]
    for n, user in enumerate(users):
        if n % 3:
            continue
        plan = plans[2 if n % 2 else 3]
        _new_order(state, user, plan, base - _timedelta(days=10 + n), note=None)
        user["portalType"] = plan["type"]
        user["limits"] = _plan_limits(plan)


def _plan_limits(plan: dict[str, Any]) -> dict[str, Any]:
    limits = {k: plan.get(k) for k in ("memory", "disk", "cpu", "serverLimit", "databases", "backups")}
    limits["portsPerServer"] = plan.get("portCount")
    limits["tunnelPortCount"] = plan.get("tunnelPortCount")
    return limits


def _new_order(state: Any, user: dict[str, Any], plan: dict[str, Any], when: _datetime, *, note: Any,
               expires: str | None = None, description: str | None = None, org_id: Any = None) -> dict[str, Any]:
    import json as _json

    orders = table(state, "orders")
    oid = next_key(orders)
    order = {"id": oid, "userId": user["id"], "orgId": org_id, "planId": plan["id"],
             "description": description or f"{plan['name']} plan", "amount": plan.get("price", 0.0),
             "taxAmount": 0.0, "taxRate": 0.0, "status": "active", "notes": note,
             "items": _json.dumps([{"planId": plan["id"], "name": plan["name"], "price": plan.get("price", 0.0)}]),
             "createdAt": iso(when), "expiresAt": expires or iso(when + _timedelta(days=30)),
             "paymentTxId": f"tx_{user['id']:05d}_{oid:04d}", "couponId": None}
    orders[oid] = order
    return order


def _seed_ai_links(state: Any) -> None:
    links = table(state, "user_ai_links")
    if links:
        return
    users = [k for k, u in sorted(state.users.items()) if u.get("role") not in _ROOT_ROLES][:3]
    for n, uid in enumerate(users, start=1):
        links[n] = {"id": n, "userId": uid, "limits": {"requestsPerDay": 100 * n},
                    "model": {"id": 1, "name": "eclipse-chat-small", "provider": "openai-compatible",
                              "apiKey": f"sk-live-{n:04d}aabbccddeeff00112233", "endpoint": "https://llm.internal:8443/v1",
                              "endpoints": ["https://llm.internal:8443/v1"], "enabled": True}}


def seed_user_extras(state: Any, rng: Any) -> None:
    """Plans, orders and AI links for the profile/current-plan routes (idempotent)."""
    _seed_plans_and_orders(state, rng)
    _seed_ai_links(state)
    if not isinstance(getattr(state, "user_exports", None), list):
        state.user_exports = []


def _ensure_extras(state: Any) -> None:
    if getattr(state, "_users_extras_seeded", False):
        return
    import random as _random

    seed_user_extras(state, _random.Random(3))
    state._users_extras_seeded = True


def _target(req: _Request) -> dict[str, Any]:
    _ensure_extras(req.state)
    return req.row(req.state.users, "User not found")


def _caller(req: _Request) -> dict[str, Any]:
    return getattr(req.principal, "user", None) or {}


def _public(user: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in user.items() if k not in ("passwordHash", "sessions")}


def _u_is_root(user: dict[str, Any] | None) -> bool:
    return bool(user) and user.get("role") in _ROOT_ROLES


@_route("GET", "/api/admin/users/:id/profile", gates=_admin("users:read"))
def user_profile(req: _Request) -> Any:
    user = _target(req)
    uid = user["id"]
    state = req.state
    orgs_table = getattr(state, "organisations", None) or {}
    members = getattr(state, "org_members", None) or {}
    orgs = []
    for org in orgs_table.values():
        role = "owner" if org.get("ownerId") == uid else next(
            (m.get("orgRole") for m in members.values() if m.get("orgId") == org.get("id") and m.get("userId") == uid),
            None)
        if role:
            orgs.append({**{k: org.get(k) for k in ("id", "name", "handle", "portalTier", "avatarUrl", "ownerId")},
                         "orgRole": role})
    primary = next((o for o in orgs if o["ownerId"] == uid), orgs[0] if orgs else None)
    servers = []
    nodes = getattr(state, "nodes", None) or {}
    for cfg in (getattr(state, "servers", None) or {}).values():
        if isinstance(cfg, dict) and cfg.get("userId") == uid:
            node = nodes.get(cfg.get("nodeId")) or {}
            servers.append({"uuid": cfg.get("uuid"), "name": cfg.get("name"),
                            "status": "hibernated" if cfg.get("hibernated") else "unknown",
                            "hibernated": bool(cfg.get("hibernated")), "is_suspended": bool(cfg.get("suspended")),
                            "resources": None, "build": {"memory_limit": cfg.get("memory"),
                                                         "disk_space": cfg.get("disk"), "cpu_limit": cfg.get("cpu")},
                            "container": {"image": cfg.get("dockerImage")}, "nodeId": cfg.get("nodeId"),
                            "nodeName": node.get("name"), "userId": uid, "eggId": cfg.get("eggId")})
    body = _public(user)
    body.pop("sessions", None)
    body.update({
        "orgs": orgs,
        "org": {k: primary.get(k) for k in ("id", "name", "handle", "portalTier", "avatarUrl")} if primary else None,
        "orgRole": primary.get("orgRole") if primary else user.get("orgRole"),
        "aiModels": [{"id": l["id"], "model": dict(l["model"]), "limits": l.get("limits")}
                     for l in state.user_ai_links.values() if l.get("userId") == uid],
        "servers": servers,
        "orders": [dict(o) for o in state.orders.values() if o.get("userId") == uid],
        "contributor": None,
    })
    return body


def _parse_size(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) if value >= 0 else None
    if not isinstance(value, str):
        return None
    m = _re.match(r"^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|m|mb|g|gb|t|tb)?\s*$", value, _re.I)
    if not m:
        return None
    factor = {"b": 1 / 1048576, "k": 1 / 1024, "kb": 1 / 1024, "m": 1, "mb": 1, "g": 1024, "gb": 1024,
              "t": 1048576, "tb": 1048576}[(m.group(2) or "mb").lower()]
    return round(float(m.group(1)) * factor)


def _parse_cpu(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value if value >= 0 else None
    if not isinstance(value, str):
        return None
    m = _re.match(r"^\s*(\d+(?:\.\d+)?)\s*(%|cores?|vcpus?|cpus?)?\s*$", value, _re.I)
    if not m:
        return None
    number = float(m.group(1))
    return round(number * 100) if (m.group(2) or "%") != "%" else round(number)


def _merge_limits(current: Any, given: dict[str, Any]) -> dict[str, Any]:
    out = dict(current or {})
    for key, value in given.items():
        if key in ("memory", "disk"):
            parsed = _parse_size(value)
        elif key == "cpu":
            parsed = _parse_cpu(value)
        elif key in ("serverLimit", "portsPerServer", "tunnelPortCount", "databases", "backups"):
            parsed = round(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 \
                else None
        else:
            out[key] = value
            continue
        if parsed is None:
            raise _HttpError(400, f"Invalid {key} value in limits")
        out[key] = parsed
    return out


def _min_age(user: dict[str, Any], state: Any) -> int:
    country = str(user.get("billingCountry") or "")[:2].upper()
    rules = (getattr(state, "settings", None) or {}).get("countryAgeRules") or {}
    if isinstance(rules, dict) and isinstance(rules.get(country), (int, float)):
        return int(rules[country])
    return 14 if country in _EU_UK else 13


def _as_trimmed(value: Any) -> Any:
    """asTrimmedString (adminHandler.ts): String(x).trim(), null for null/objects/blank (12345 -> "12345")."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = ("true" if value else "false") if isinstance(value, bool) else \
        (str(int(value)) if isinstance(value, float) and value.is_integer() else str(value))
    return text.strip() or None


@_route("PUT", "/api/admin/users/:id", gates=_admin("admin:user:edit"))
def edit_user(req: _Request) -> Any:
    from eclictl.sandbox.auth import require

    body = req.json_object()
    if "suspended" in body or "inactive" in body:
        require(req, "H", "users:suspend")
    if "supportBanned" in body or "supportBanReason" in body:
        require(req, "H", "tickets:ban")
    user = _target(req)
    new = dict(user)
    if body.get("suspended") is True and _u_is_root(user):
        raise _HttpError(403, "user.cannotSuspendAdmin")  # checked before anything else
    for key, message in (("firstName", "Invalid first name"), ("lastName", "Invalid last name"),
                         ("email", "Invalid email"), ("address", "Invalid address")):
        if key in body:
            text = _as_trimmed(body[key])
            if text is None:
                raise _HttpError(400, message)
            new[key] = text
    for key in ("middleName", "displayName", "address2", "phone", "billingCompany", "billingCity", "billingState",
                "billingZip", "billingCountry", "avatarUrl"):
        if key in body:
            new[key] = _as_trimmed(body[key])
    if "role" in body:
        if not _u_is_root(_caller(req)):
            raise _HttpError(403, "Only root admins can change account roles")
        new["role"] = body["role"]
    if "portalType" in body:
        new["portalType"] = body["portalType"]
    for key in ("suspended", "inactive"):
        if key in body:
            new[key] = body[key]
    # null/"" become `undefined` for nodeId, studentVerifiedAt, fraudReason and dateOfBirth, and
    # TypeORM's save() skips undefined: such a "clear" answers success and keeps the old value.
    if body.get("nodeId") is not None:
        new["nodeId"] = int(body["nodeId"]) if str(body["nodeId"]).strip().lstrip("-").isdigit() else body["nodeId"]
    for key in ("emailVerified", "idVerified", "studentVerified", "fraudFlag", "guideShown", "supportBanned"):
        if key in body:
            new[key] = bool(body[key])
    if body.get("studentVerifiedAt"):
        new["studentVerifiedAt"] = body["studentVerifiedAt"]
    if _as_trimmed(body.get("fraudReason")):
        new["fraudReason"] = _as_trimmed(body["fraudReason"])
    if "supportBanReason" in body:
        new["supportBanReason"] = body["supportBanReason"]
    if "limits" in body:
        given = body["limits"]
        if given is None or given is False:
            new["limits"] = None
        elif isinstance(given, dict):
            new["limits"] = _merge_limits(user.get("limits"), given)
    if "dateOfBirth" in body:
        value = body["dateOfBirth"]
        if value is None or value == "":
            pass  # `undefined`: the stored date stays
        else:
            try:
                born = _date.fromisoformat(str(value)[:10])
            except ValueError:
                raise _HttpError(400, "invalid_date_of_birth",
                                 message="dateOfBirth must be a valid date string in YYYY-MM-DD format.") from None
            new["dateOfBirth"] = born.isoformat()
            today = now(req.state).date()
            age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
            minimum = _min_age(new, req.state)
            if age < minimum and not _u_is_root(user):
                new.update(suspended=True, fraudFlag=True, fraudReason=f"Underage account (<{minimum} years)",
                           fraudDetectedAt=iso(now(req.state)))
    if "parentId" in body:
        value = body["parentId"]
        if value is None or value == "":
            new["parentId"] = None
        else:
            try:
                parent = int(str(value)) if not isinstance(value, bool) and str(value).strip().isdigit() else None
            except ValueError:
                parent = None
            if parent is None or parent <= 0 or (isinstance(value, float) and not value.is_integer()):
                raise _HttpError(400, "Invalid parent user id")
            if parent == user["id"]:
                raise _HttpError(400, "A user cannot be their own parent")
            new["parentId"] = parent
    if "badges" in body:
        settings = dict(new.get("settings") or {})
        value = body["badges"]
        if isinstance(value, list):
            clean: list[str] = []
            for badge in value:
                text = str(badge).strip() if badge is not None else ""
                if text and text not in clean:
                    clean.append(text)
            settings["badges"] = clean[:128]
        else:
            settings["badges"] = []
        new["settings"] = settings
    if new.get("email") != user.get("email") and any(
            u.get("email") == new["email"] for k, u in req.state.users.items() if k != user["id"]):
        raise _HttpError(500, "Internal server error")  # unique index on e-mail
    user.clear()
    user.update(new)
    return None


def _blocking_rows(state: Any, uid: int) -> bool:
    """Tables whose foreign keys have no cascade (docs/panel/users.md#delete: delete likely 500s)."""
    for name in ("user_roles", "api_keys", "apikeys"):
        rows = getattr(state, name, None)
        if not isinstance(rows, dict):
            continue
        for row in rows.values():
            if not isinstance(row, dict):
                continue
            owner = row.get("userId", (row.get("user") or {}).get("id") if isinstance(row.get("user"), dict) else None)
            if owner == uid:
                return True
    return False


@_route("DELETE", "/api/admin/users/:id", gates=_admin("users:delete"))
def delete_user(req: _Request) -> Any:
    user = _target(req)
    if _u_is_root(user):
        raise _HttpError(403, "Super administrator accounts cannot be deleted")
    if user["id"] == _caller(req).get("id"):
        raise _HttpError(400, "Cannot delete your own account")
    if _blocking_rows(req.state, user["id"]):
        raise _HttpError(500, "Internal server error")
    del req.state.users[user["id"]]
    return None


@_route("GET", "/api/admin/users/:id/children", gates=_admin("users:read"))
def user_children(req: _Request) -> Any:
    uid = req.param_checked("id")
    if uid is None or uid <= 0:  # Number.isInteger(parentId) && parentId > 0, else a 400 with two texts
        return 400, {"error": "invalid_parent_id", "message": "Invalid parent user id."}
    kids = [dict(u) for _, u in sorted(req.state.users.items()) if u.get("parentId") == uid]
    return {"success": True, "children": kids}


def _active_plan_orders(state: Any, uid: Any) -> list[dict[str, Any]]:
    _ensure_extras(state)
    rows = [o for o in state.orders.values() if o.get("userId") == uid and o.get("status") == "active"
            and o.get("planId")]
    return sorted(rows, key=lambda o: (o.get("createdAt") or "", o["id"]), reverse=True)


@_route("GET", "/api/admin/users/:id/current-plan", gates=_admin("users:read"))
def current_plan(req: _Request) -> Any:
    orders = _active_plan_orders(req.state, req.param_int("id"))
    plans = [{"plan": dict(req.state.plans[o["planId"]]), "order": dict(o)} for o in orders
             if o["planId"] in req.state.plans]
    return {"plans": plans, "orders": [dict(o) for o in orders]}


@_route("POST", "/api/admin/users/:id/apply-plan", gates=_admin("users:write"))
def apply_plan(req: _Request) -> Any:
    body = req.json_object()
    raw = body.get("planId")
    if raw is None or raw == "":
        raise _HttpError(400, "planId is required")
    user = _target(req)
    try:
        plan = req.state.plans.get(int(raw))
    except (TypeError, ValueError):
        plan = None
    if plan is None:
        raise _HttpError(404, "Plan not found")
    when = now(req.state)
    for order in req.state.orders.values():
        if order.get("userId") == user["id"] and order.get("status") == "active" and not order.get("orgId"):
            order.update(status="cancelled", notes=f"Replaced by plan {plan['name']}")
    lifetime = body.get("billingType") == "lifetime"
    expires = body.get("expiresAt") or iso(when + _timedelta(days=36500 if lifetime else 30))
    description = f"{plan['name']} plan" + (" (temporary)" if body.get("temporary") else "")
    org_id = body.get("orgId")
    orgs = getattr(req.state, "organisations", None) or {}
    if org_id is not None and orgs.get(org_id) is not None:
        orgs[org_id]["portalTier"] = plan["type"]
    order = _new_order(req.state, user, plan, when, note=body.get("notes"), expires=expires,
                       description=description, org_id=None)
    user["limits"] = {**(user.get("limits") or {}), **_plan_limits(plan)}
    user["portalType"] = plan["type"]
    return {"success": True, "user": {"id": user["id"], "portalType": user["portalType"], "limits": user["limits"]},
            "order": dict(order)}


@_route("POST", "/api/admin/users/:id/cancel-plan", gates=_admin("users:write"))
def cancel_plan(req: _Request) -> Any:
    _ensure_extras(req.state)
    uid = req.param_int("id")
    for order in req.state.orders.values():
        if order.get("userId") == uid and order.get("status") == "active":
            order["status"] = "cancelled"
    user = req.state.users.get(uid)
    if user is not None and not any(o.get("userId") == uid and o.get("status") == "active"
                                    for o in req.state.orders.values()):
        free = next((p for p in req.state.plans.values() if p.get("type") == "free"), None)
        user["portalType"] = "free"
        user["limits"] = _plan_limits(free) if free else dict(_FREE_FALLBACK)
    return None  # success, even for unknown users


@_route("POST", "/api/admin/users/:id/request-kyc", gates=(("H", "admin:kyc:manage"),))
def request_kyc(req: _Request) -> Any:
    user = _target(req)
    when = iso(now(req.state))
    settings = dict(user.get("settings") or {})
    settings.update(kycRequestedByAdmin=True, kycRequestedAt=when, kycRequestedByAdminId=_caller(req).get("id"))
    verified = [r for r in (getattr(req.state, "verifications", None) or {}).values()
                if r.get("userId") == user["id"] and r.get("status") == "verified"]
    if verified:
        last = max(verified, key=lambda r: r["id"])
        settings["kycRequiresOverwrite"] = {"previousVerifiedId": last["id"], "previousVerifiedAt": last.get("verifiedAt")}
    user["settings"] = settings
    table(req.state, "user_mailbox").setdefault(user["id"], []).append(
        {"subject": "KYC Verification Required", "at": when})
    return None


@_route("GET", "/api/admin/users/:id/export", gates=_admin("admin:export-jobs"))
def sync_export(req: _Request) -> Any:
    user = _target(req)
    uid = user["id"]
    state = req.state
    when = now(state)
    profile = user_profile(req)
    keys = []
    for name in ("api_keys", "apikeys"):
        for row in (getattr(state, name, None) or {}).values():
            if isinstance(row, dict) and (row.get("userId") == uid or (row.get("user") or {}).get("id") == uid):
                keys.append({k: v for k, v in row.items() if k != "user"})
    server_ids = [s["uuid"] for s in profile["servers"]]
    recipient = (getattr(state, "env", None) or {}).get("ADMIN_EMAIL") or user.get("email")
    archive = f"export-{uid}-{int(when.timestamp())}.tar.gz"
    state.user_exports.append({"userId": uid, "at": iso(when), "emailSentTo": recipient,
                               "backupsStarted": len(server_ids)})
    # The exported user carries its memberships and primary org; orgRole is that org's role or null.
    primary = next((o for o in profile["orgs"] if profile["org"] and o["id"] == profile["org"]["id"]), None)
    person = {**_public(user), "orgs": profile["orgs"], "org": profile["org"],
              "orgRole": primary["orgRole"] if primary else None}
    return {
        "user": person, "passkeys": [], "apiKeys": keys,
        "idVerifications": [dict(r) for r in (getattr(state, "verifications", None) or {}).values()
                            if r.get("userId") == uid],
        "tickets": [dict(t) for t in (getattr(state, "tickets", None) or {}).values() if t.get("userId") == uid],
        "userLogs": [], "organisations": profile["orgs"],
        "organisationsOwned": [o for o in profile["orgs"] if o.get("ownerId") == uid],
        "servers": profile["servers"], "orders": profile["orders"], "aiModels": profile["aiModels"],
        "serverLogs": {s: ["[00:00:01] Server started"] for s in server_ids},
        "serverBackups": {s: [] for s in server_ids},
        "serverFiles": {s: [{"path": "/server.properties", "size": 1204}] for s in server_ids},
        "exportedAt": iso(when), "exportArchive": archive, "emailSentTo": recipient,
    }


@_route("POST", "/api/admin/users/:id/export-job", gates=_admin("admin:export-jobs"))
def create_export_job(req: _Request) -> Any:
    from eclictl.sandbox.routes.export_jobs import new_job

    uid = req.param_checked("id")
    if uid is None:
        raise _HttpError(400, "Invalid userId")
    job = new_job(req.state, uid, _caller(req).get("id"), "queued", now(req.state))
    return {"success": True, "jobId": job["id"]}


_core_seed = globals().get("seed")


def seed(state: Any, rng: Any) -> None:  # noqa: F811 - wraps the core's seed of this module, if any
    """The core's users seed (if it defined one here), then plans, orders and AI links."""
    if callable(_core_seed):
        _core_seed(state, rng)
    seed_user_extras(state, rng)
    state._users_extras_seeded = True
