"""Sandbox: KYC (ID verification) records, `/api/admin/verifications*` (docs/panel/accounts.md#kyc-id-verification-records).

Records live in `state.verifications` (id -> row), seeded in every status, some with their files
already deleted. Attachment URLs are nulled unless S(admin:kyc:view:id) passes, which an admin
key of a non-root owner never does.
"""

from __future__ import annotations

from typing import Any

from eclictl.sandbox.auth import allowed
from eclictl.sandbox.router import HttpError, Request, admin, route
from eclictl.sandbox.state import iso, now

SEED_STATUSES = ("pending", "pending", "pending", "verified", "verified", "failed", "pending", "failed",
                 "verified", "pending")
PROVIDERS = ("manual", "manual", "stripe_identity")


def seed(state: Any, rng: Any) -> None:
    state.verifications = {}
    users = [u for _, u in sorted(state.users.items()) if u.get("role") not in ("*", "rootAdmin")
             and not u.get("deletedAt")][:len(SEED_STATUSES)]
    base = now(state)
    from datetime import timedelta

    for n, (user, status) in enumerate(zip(users, SEED_STATUSES), start=1):
        token = "%032x" % rng.getrandbits(128)
        files = n % 5 != 0  # some records already had their files deleted
        state.verifications[n] = {
            "id": n, "userId": user["id"], "status": status, "provider": PROVIDERS[n % len(PROVIDERS)],
            "verifiedAt": iso(base - timedelta(days=n)) if status == "verified" else None,
            "idDocumentUrl": f"/uploads/id-docs/{token}-id.jpg" if files else None,
            "selfieUrl": f"/uploads/id-docs/{token}-selfie.jpg" if files else None,
        }
        if status == "verified":
            user["idVerified"] = True


def _may_see_files(req: Request) -> bool:
    return allowed(req.principal, "S", "admin:kyc:view:id", req.state)


def _find(req: Request) -> dict[str, Any]:
    return req.row(req.state.verifications, "Not found")


@route("GET", "/api/admin/verifications", gates=admin("admin:kyc:view"))
def list_verifications(req: Request) -> Any:
    show_files = _may_see_files(req)
    out = []
    for rec in sorted(req.state.verifications.values(), key=lambda r: r["id"], reverse=True):
        user = req.state.users.get(rec.get("userId"))
        row = {**rec, "user": {k: user.get(k) for k in ("firstName", "lastName", "email")} if user else None}
        if not show_files:
            row["idDocumentUrl"] = row["selfieUrl"] = None
        out.append(row)
    return out


@route("PUT", "/api/admin/verifications/:id", gates=admin("admin:kyc:manage"))
def decide(req: Request) -> Any:
    status = req.json_object().get("status")
    if status not in ("verified", "failed"):
        raise HttpError(400, "status must be verified or failed")
    rec = _find(req)
    user = req.state.users.get(rec.get("userId"))
    rec["status"] = status
    rec["verifiedAt"] = iso(now(req.state)) if status == "verified" else None
    if user is not None:
        user["idVerified"] = status == "verified"
    return {"success": True, "rec": dict(rec)}


@route("DELETE", "/api/admin/verifications/:id", gates=admin("admin:kyc:manage"))
def delete_files(req: Request) -> Any:
    rec = _find(req)
    rec["idDocumentUrl"] = rec["selfieUrl"] = None
    return {"success": True, "rec": dict(rec)}
