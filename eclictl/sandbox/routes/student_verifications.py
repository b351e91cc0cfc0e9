"""Sandbox: student verifications, `/api/admin/student-verifications*` (docs/panel/student-verifications.md).

Records live in `state.student_verifications` (id -> row). The list joins `{firstName, lastName,
email}` of the user (or null). A PUT to `failed` and both deletes leave the user's
`studentVerified` flag alone, as upstream does (backend/src/handlers/adminHandler.ts:3920-4028);
`POST /api/admin/users/:id/deassign-student` (:3173) is the way to clear it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from eclictl.sandbox.router import HttpError, Request, admin, route
from eclictl.sandbox.state import iso, now

GATE = admin("admin:student:verify")
# (status, proofType, has proof file, notes)
SEED = (
    ("pending", "enrollment_doc", True, None),
    ("pending", "school_email", False, "Email verification code: 481516"),
    ("verified", "github_screenshot", True, "GitHub Student Pack screenshot checked"),
    ("failed", "other", True, "Blurry photo, asked for a new one"),
    ("pending", "enrollment_doc", True, None),
    ("failed", "school_email", False, "Email verification code: 000000"),
    ("verified", "enrollment_doc", False, None),
)


def seed(state: Any, rng: Any) -> None:
    state.student_verifications = {}
    users = [u for _, u in sorted(state.users.items()) if u.get("role") not in ("*", "rootAdmin")
             and not u.get("deletedAt")][10:10 + len(SEED)]
    base = now(state)
    for n, (user, (status, kind, proof, notes)) in enumerate(zip(users, SEED), start=1):
        created = base - timedelta(days=40 - 3 * n)
        state.student_verifications[n] = {
            "id": n, "userId": user["id"], "status": status, "provider": "manual",
            "proofUrl": f"/uploads/student-proofs/{rng.getrandbits(64):016x}.pdf.enc" if proof else None,
            "proofType": kind, "adminNotes": notes, "createdAt": iso(created),
            "verifiedAt": iso(created + timedelta(days=1)) if status == "verified" else None,
        }
        if status in ("verified", "failed"):  # a rejected record does not clear an earlier approval
            user["studentVerified"] = True
            user["studentVerifiedAt"] = iso(created + timedelta(days=1))


def _find(req: Request) -> dict[str, Any]:
    return req.row(req.state.student_verifications, "Not found")


@route("GET", "/api/admin/student-verifications", gates=GATE)
def list_records(req: Request) -> Any:
    users = req.state.users
    out = []
    for rec in sorted(req.state.student_verifications.values(), key=lambda r: r["id"], reverse=True):
        user = users.get(rec["userId"])
        out.append({**rec, "user": {k: user.get(k) for k in ("firstName", "lastName", "email")} if user else None})
    return out


@route("PUT", "/api/admin/student-verifications/:id", gates=GATE)
def decide(req: Request) -> Any:
    rec = _find(req)
    body = req.json_object()
    status = body.get("status")
    if status not in ("verified", "failed"):  # the declared schema is not enforced
        raise HttpError(400, "status must be verified or failed")
    rec["status"] = status
    if "adminNotes" in body and body["adminNotes"] is not None:
        rec["adminNotes"] = str(body["adminNotes"])  # overwrites; String(null) would store "null"
    elif "adminNotes" in body:
        rec["adminNotes"] = "null"
    if status == "verified":
        rec["verifiedAt"] = iso(now(req.state))
        user = req.state.users.get(rec["userId"])
        if user is not None:
            user["studentVerified"] = True
            user["studentVerifiedAt"] = rec["verifiedAt"]
    else:
        rec["verifiedAt"] = None  # the user's flag stays as it was
    return {"success": True, "rec": dict(rec)}


@route("DELETE", "/api/admin/student-verifications/:id", gates=GATE)
def delete_record(req: Request) -> Any:
    rec = _find(req)
    del req.state.student_verifications[rec["id"]]
    return {"success": True}


@route("DELETE", "/api/admin/student-verifications/:id/proof", gates=GATE)
def delete_proof(req: Request) -> Any:
    rec = _find(req)
    rec["proofUrl"] = None  # 200 also when there was no file
    return {"success": True, "rec": dict(rec)}


@route("POST", "/api/admin/users/:id/deassign-student", gates=(("A", "admin:access"),))
def deassign_student(req: Request) -> Any:
    from eclictl.sandbox.auth import require
    from eclictl.sandbox.routes.servers import user_log

    require(req, "H", "admin:student:deassign")
    user = req.row(req.state.users, "User not found")
    remove_portal = req.json_object().get("removePortal")
    remove_portal = True if remove_portal is None else bool(remove_portal)
    user.update(studentVerified=False, studentVerifiedAt=None, studentVerifiedUntil=None, educationLimits=None)
    if remove_portal and user.get("portalType") == "educational":
        user.update(portalType="free", limits=None)
    caller = req.principal.user if req.principal else {}
    user_log(req.state, caller.get("id"), "admin-deassign-student", str(user["id"]), "user",
             {"removePortal": remove_portal})
    from eclictl.sandbox.state import public_user

    return {"success": True, "user": public_user(user, drop=())}  # the full row: the client strips secrets
