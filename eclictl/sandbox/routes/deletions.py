"""Sandbox: account deletion requests, `/api/admin/deletions*` (docs/panel/accounts.md#deletion-requests).

Requests live in `state.deletions` (id -> row) with one or more rows in every status. Approving
stores `pending_deletion` (not `approved`) and freezes the user; expedite anonymises the user row
(it is never removed); cancel un-suspends the user even when suspended for another reason.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from eclictl.sandbox.router import HttpError, Request, admin, route
from eclictl.sandbox.state import iso, now

GATE = admin("deletions:write")
GRACE = timedelta(days=14)
SEED_STATUSES = ("pending", "pending", "pending", "approved", "rejected", "pending_deletion", "pending_deletion",
                 "cancelled", "deleted")
ROOT_ROLES = ("*", "rootAdmin")


def _is_root(user: dict[str, Any] | None) -> bool:
    return bool(user) and user.get("role") in ROOT_ROLES


def anonymise(state: Any, user: dict[str, Any], when: Any) -> None:
    """What the deletion job does to a user row (docs/panel/accounts.md#deletion-requests, expedite)."""
    uid = user["id"]
    user.update({
        "firstName": "Deleted", "lastName": f"User {uid}", "middleName": None, "displayName": None,
        "email": f"deleted+{uid}+{int(when.timestamp())}@deleted.local", "address": None, "address2": None,
        "phone": None, "billingCompany": None, "billingCity": None, "billingState": None, "billingZip": None,
        "dateOfBirth": None, "avatarUrl": None, "sessions": [], "suspended": True, "deletedAt": iso(when),
        "passwordHash": "$argon2id$v=19$m=65536,t=2,p=1$deleted$" + f"{uid:08d}",
    })
    table = getattr(state, "verifications", None)
    if isinstance(table, dict):
        for rid in [k for k, v in table.items() if v.get("userId") == uid]:
            del table[rid]


def seed(state: Any, rng: Any) -> None:
    state.deletions = {}
    base = now(state)
    candidates = [u for _, u in sorted(state.users.items()) if not _is_root(u)][-len(SEED_STATUSES):]
    admin_id = next((k for k, u in sorted(state.users.items()) if _is_root(u)), 1)
    for n, (user, status) in enumerate(zip(candidates, SEED_STATUSES), start=1):
        requested = base - timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 23))
        rec = {"id": n, "userId": user["id"], "status": status, "requestedAt": iso(requested), "approvedAt": None,
               "scheduledDeletionAt": None, "autoSunset": n % 4 == 0, "deletedAt": None, "approvedBy": None,
               "idVerified": bool(user.get("idVerified"))}
        if status in ("approved", "pending_deletion", "deleted", "cancelled"):
            approved = requested + timedelta(days=1)
            rec.update(approvedAt=iso(approved), scheduledDeletionAt=iso(approved + GRACE), approvedBy=admin_id)
        if status == "rejected":
            rec["approvedBy"] = admin_id
        if status in ("pending", "approved", "pending_deletion"):
            user["deletionRequested"] = True
        if status in ("approved", "pending_deletion"):
            user.update(deletionApproved=True, pendingDeletionUntil=rec["scheduledDeletionAt"], suspended=True)
        if status == "deleted":
            rec["deletedAt"] = iso(requested + GRACE)
            anonymise(state, user, requested + GRACE)
        state.deletions[n] = rec


def _with_user(state: Any, rec: dict[str, Any]) -> dict[str, Any]:
    user = state.users.get(rec.get("userId"))
    subset = {k: user.get(k) for k in ("firstName", "lastName", "email")} if user else None
    return {**rec, "user": subset}


def _find(req: Request) -> dict[str, Any]:
    return req.row(req.state.deletions, "Not found")


@route("GET", "/api/admin/deletions", gates=GATE)
def list_deletions(req: Request) -> Any:
    rows = sorted(req.state.deletions.values(), key=lambda r: r.get("requestedAt") or "", reverse=True)
    return [_with_user(req.state, r) for r in rows]


@route("PUT", "/api/admin/deletions/:id", gates=GATE)
def decide(req: Request) -> Any:
    rec = _find(req)  # looked up before the body is read (adminHandler.ts)
    status = req.json_object().get("status")
    if status not in ("approved", "rejected"):
        raise HttpError(400, "Invalid status")
    user = req.state.users.get(rec.get("userId"))
    when = now(req.state)
    caller = getattr(getattr(req.principal, "user", None), "get", lambda _k: None)("id")
    if status == "approved":
        if _is_root(user):
            raise HttpError(403, "Super administrator accounts cannot be deleted")
        until = iso(when + GRACE)
        if user is not None:
            user.update(deletionRequested=True, deletionApproved=True, pendingDeletionUntil=until, suspended=True)
        rec.update(status="pending_deletion", approvedAt=iso(when), scheduledDeletionAt=until)
    else:
        rec["status"] = "rejected"
    rec["approvedBy"] = caller
    return {"success": True, "rec": dict(rec)}


@route("POST", "/api/admin/deletions/:id/expedite", gates=GATE)
def expedite(req: Request) -> Any:
    rec = _find(req)
    if rec.get("status") not in ("pending_deletion", "approved"):
        raise HttpError(400, "Deletion request is not in pending deletion state")
    user = req.state.users.get(rec.get("userId"))
    if _is_root(user):
        raise HttpError(403, "Super administrator accounts cannot be deleted")
    when = now(req.state)
    if user is not None:
        anonymise(req.state, user, when)
    rec.update(status="deleted", deletedAt=iso(when))
    return {"success": True, "rec": dict(rec)}


@route("POST", "/api/admin/deletions/:id/cancel", gates=GATE)
def cancel(req: Request) -> Any:
    rec = _find(req)
    if rec.get("status") != "pending_deletion":
        raise HttpError(400, "Only pending deletion requests can be cancelled")
    user = req.state.users.get(rec.get("userId"))
    if user is not None:
        frozen = bool(user.get("pendingDeletionUntil"))
        user.update(deletionRequested=False, deletionApproved=False, pendingDeletionUntil=None)
        if frozen:
            user["suspended"] = False
    rec["status"] = "cancelled"
    return {"success": True, "rec": dict(rec)}
