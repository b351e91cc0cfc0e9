"""Sandbox: organisations (docs/panel/orgs.md).

Tables: `state.organisations` (id -> Organisation row) and `state.org_members`
(id -> {id, orgId, userId, orgRole}). `state.org_delete_blocked` holds org ids that other rows
still reference (delete → 500, like the panel's foreign-key failure).
"""

from __future__ import annotations

from typing import Any

from eclictl.sandbox.router import HttpError, Request, admin, keys_where, route, whole
from eclictl.sandbox.state import table

PER_PAGE = 50
_ORGS = (("Northwind Hosting", "northwind"), ("Blue Lantern Games", "bluelantern"), ("Kestrel Labs", "kestrel"),
         ("Orbital Pixel Co", "orbitalpixel"), ("Fernhill School IT", "fernhill"), ("Cobalt Guild", "cobalt"),
         ("EcliPanel Staff", "ecli-staff"), ("Quietwater Studios", "quietwater"), ("Hollow Oak MC", "hollowoak"))
_TIERS = ("none", "pro", "enterprise", "educational")


def seed(state: Any, rng: Any) -> None:
    orgs = table(state, "organisations")
    members = table(state, "org_members")
    state.org_delete_blocked = set()
    users = sorted(k for k in (getattr(state, "users", None) or {}) if isinstance(k, int)) or [1]
    for i, (name, handle) in enumerate(_ORGS, start=1):
        owner = users[(i * 7) % len(users)]
        orgs[i] = {"id": i, "name": name, "handle": handle, "ownerId": owner, "portalTier": _TIERS[i % 4],
                   "planId": None, "status": "active", "expiresAt": None, "isStaff": handle == "ecli-staff",
                   "avatarUrl": f"https://cdn.eclipanel.test/orgs/{handle}.png" if i % 3 == 0 else None,
                   "createdAt": f"2024-{(i % 12) + 1:02d}-1{i % 10}T08:30:00.000Z"}
        _add_member(members, i, owner, "owner")
        for extra in rng.sample(users, k=min(len(users), 1 + i % 4)):
            if extra != owner:
                _add_member(members, i, extra, rng.choice(("member", "member", "admin")))


def _add_member(members: dict[int, dict[str, Any]], org_id: int, user_id: int, role: str) -> dict[str, Any]:
    for row in members.values():
        if row["orgId"] == org_id and row["userId"] == user_id:
            row["orgRole"] = role
            return row
    mid = max(members, default=0) + 1
    members[mid] = {"id": mid, "orgId": org_id, "userId": user_id, "orgRole": role}
    return members[mid]


def _member_rows(state: Any, org_id: int) -> list[dict[str, Any]]:
    return [m for m in table(state, "org_members").values() if m["orgId"] == org_id]


def _view(state: Any, org: dict[str, Any]) -> dict[str, Any]:
    owner = (getattr(state, "users", None) or {}).get(org.get("ownerId"))
    owner_view = ({"firstName": owner.get("firstName"), "lastName": owner.get("lastName"),
                   "email": owner.get("email")} if owner else None)
    return {**org, "owner": owner_view, "memberCount": len(_member_rows(state, org["id"])),
            "isStaff": bool(org.get("isStaff"))}


def _org(req: Request) -> dict[str, Any]:
    return req.row(table(req.state, "organisations"), "Organisation not found")


@route("GET", "/api/admin/organisations", gates=admin("org:read"))
def list_orgs(req: Request) -> Any:
    state = req.state
    rows = sorted(table(state, "organisations").values(), key=lambda o: o["id"])
    q = (req.arg("q") or "").strip().lower()
    if q:
        users = getattr(state, "users", None) or {}
        rows = [o for o in rows if q in str(o.get("name", "")).lower() or q in str(o.get("handle", "")).lower()
                or q in str((users.get(o.get("ownerId")) or {}).get("email", "")).lower()]
    page = req.int_arg("page", 1)
    start = (page - 1) * PER_PAGE
    return {"organisations": [_view(state, o) for o in rows[start:start + PER_PAGE]], "total": len(rows),
            "page": page, "per": PER_PAGE}


@route("PUT", "/api/admin/organisations/:id", gates=admin("org:write"))
def update_org(req: Request) -> Any:
    state = req.state
    org = _org(req)
    body = req.json_object()
    if "handle" in body and any(o is not org and o.get("handle") == body["handle"]
                                for o in table(state, "organisations").values()):
        raise HttpError(500, "Internal server error")  # unique index violation
    for key in ("name", "handle", "portalTier"):
        if key in body:
            org[key] = body[key]
    if "isStaff" in body:
        org["isStaff"] = bool(body["isStaff"])
    if "ownerId" in body and body["ownerId"] is not None:
        _set_owner(state, org, body["ownerId"])
    return {"success": True, "org": org}


def _set_owner(state: Any, org: dict[str, Any], user_id: Any) -> None:
    """New owner gets the owner membership (if the user exists); the previous owner becomes admin."""
    members = table(state, "org_members")
    previous = org.get("ownerId")
    org["ownerId"] = user_id  # stored even when the user does not exist
    if user_id in (getattr(state, "users", None) or {}):
        _add_member(members, org["id"], user_id, "owner")
    if previous is not None and previous != user_id:
        for row in members.values():
            if row["orgId"] == org["id"] and row["userId"] == previous:
                row["orgRole"] = "admin"


@route("POST", "/api/admin/organisations/:id/members", gates=admin("org:write"))
def add_member(req: Request) -> Any:
    state = req.state
    org = _org(req)
    body = req.json_object()
    if body.get("userId") in (None, ""):
        raise HttpError(400, "userId required")
    user_id = whole(body["userId"])
    if user_id not in (getattr(state, "users", None) or {}):
        raise HttpError(404, "User not found")
    role = body.get("orgRole") if body.get("orgRole") in ("member", "admin", "owner") else "member"
    if role == "owner":
        _set_owner(state, org, user_id)
    else:
        _add_member(table(state, "org_members"), org["id"], user_id, role)
    return 201, {"success": True}


@route("DELETE", "/api/admin/organisations/:id/members/:userId", gates=admin("org:write"))
def remove_member(req: Request) -> Any:
    state = req.state
    org = _org(req)
    user_id = req.param_int("userId")
    members = table(state, "org_members")
    keys = keys_where(members, "User not found in organisation", orgId=org["id"], userId=user_id)
    if org.get("ownerId") == user_id or any(members[k]["orgRole"] == "owner" for k in keys):
        raise HttpError(403, "Cannot remove organisation owner")
    for k in keys:
        del members[k]
    return {"success": True}


@route("DELETE", "/api/admin/organisations/:id", gates=admin("org:write"))
def delete_org(req: Request) -> Any:
    state = req.state
    org_id = req.param_int("id")
    orgs = table(state, "organisations")
    if org_id not in orgs:
        raise HttpError(404, "Organisation not found")  # looked up first (adminHandler.ts)
    if org_id in getattr(state, "org_delete_blocked", set()):
        raise HttpError(500, "Failed to delete organisation")
    members = table(state, "org_members")
    for k in [k for k, m in members.items() if m["orgId"] == org_id]:
        del members[k]
    del orgs[org_id]
    return {"success": True}
