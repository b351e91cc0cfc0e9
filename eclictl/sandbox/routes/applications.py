"""Sandbox: application forms, invites and submissions (docs/panel/support.md#applications).

Tables: `state.app_forms`, `state.app_invites`, `state.app_submissions` (id -> row). Access is by
the caller's *role* (`*`, `admin`, `rootAdmin`), not by permission; the `applications` feature
prefix gate (503) is the handler's. Anti-abuse incidents are submissions of the form with slug
`antiabuse-incidents` (routes/servers.py seeds them and reads them for abuse reports).
"""

from __future__ import annotations

import re
from typing import Any

from eclictl.sandbox.router import HttpError, Request, route
from eclictl.sandbox.state import next_key, table

BASE = "/api/admin/applications"
ADMIN_ROLES = ("*", "admin", "rootAdmin")
QUESTION_TYPES = ("short_text", "long_text", "email", "number", "select", "multi_select", "checkbox", "date", "url")
STATUSES = ("pending", "accepted", "rejected", "archived")
ANTIABUSE_SLUG = "antiabuse-incidents"

_STAFF_QUESTIONS = [
    {"id": "q1", "label": "Why do you want to join the staff team?", "type": "long_text", "required": True},
    {"id": "q2", "label": "Contact e-mail", "type": "email", "required": True},
    {"id": "q3", "label": "Timezone", "type": "select", "required": False, "options": ["UTC-5", "UTC", "UTC+1", "UTC+8"]},
]
_APPLICANT_TEXT = (
    "Hi, I'm Priya Raman (priya.raman@example.net). I have moderated two Minecraft networks for 3 years.",
    "My name is Tomasz Wójcik, reach me at t.wojcik@example.org or +48 601 234 567. I know Linux well.",
    "I'm Aiyana Redcloud. I help people on the Discord every day and would love to do it officially.",
    "Hello! Leon Hartmann here (leon.h@example.com), DevOps student from Bremen.",
    "This is Keanu Alapa, previously support lead at a small VPS host. Email keanu.alapa@example.net.",
)


def seed(state: Any, rng: Any) -> None:
    forms = table(state, "app_forms")
    table(state, "app_invites")
    subs = table(state, "app_submissions")
    _form(forms, "Staff application 2025", "staff-2025", "staff_application", "public_users", _STAFF_QUESTIONS,
          "2025-01-10T10:00:00.000Z")
    beta = _form(forms, "Closed beta testers", "beta-testers", "staff_application", "private_invite",
                 _STAFF_QUESTIONS[:2], "2025-02-14T09:00:00.000Z")
    _form(forms, "Anti-abuse incidents", ANTIABUSE_SLUG, "abuse_report", "private_invite", [],
          "2024-11-01T00:00:00.000Z")
    _form(forms, "Report abuse", "report-abuse", "abuse_report", "public_anonymous",
          [{"id": "q1", "label": "What happened?", "type": "long_text", "required": True}],
          "2025-03-01T08:00:00.000Z", cooldown=3600)
    invites = table(state, "app_invites")
    invites[1] = {"id": 1, "formId": beta["id"], "token": "inv_4f9c2a77d1e84b0c9a", "label": "Discord mods",
                  "email": "mods@bluelantern.example", "uses": 2, "maxUses": 10,
                  "expiresAt": "2025-12-31T00:00:00.000Z", "revoked": False, "createdBy": 1,
                  "createdAt": "2025-02-15T09:00:00.000Z"}
    users = getattr(state, "users", None) or {}
    user_ids = sorted(k for k in users if isinstance(k, int))[:30] or [None]
    for n in range(12):
        sid = next_key(subs)
        uid = user_ids[rng.randrange(len(user_ids))]
        subs[sid] = {"id": sid, "formId": 1 if n % 3 else 2, "userId": uid,
                     "ipAddress": f"198.51.100.{rng.randint(2, 254)}", "status": STATUSES[n % 4] if n > 3 else "pending",
                     "content": _APPLICANT_TEXT[n % len(_APPLICANT_TEXT)],
                     "meta": {"userAgent": "Mozilla/5.0", "answers": 3}, "reviewedBy": None, "reviewedAt": None,
                     "createdAt": f"2025-03-{10 + n:02d}T1{n % 10}:00:00.000Z",
                     "updatedAt": f"2025-03-{10 + n:02d}T1{n % 10}:00:00.000Z"}


def _form(forms: dict[int, dict[str, Any]], title: str, slug: str, kind: str, visibility: str,
          questions: list[dict[str, Any]], created: str, cooldown: int = 0) -> dict[str, Any]:
    fid = next_key(forms)
    forms[fid] = {"id": fid, "title": title, "description": None, "kind": kind, "slug": slug,
                  "visibility": visibility, "status": "active", "schema": {"questions": questions},
                  "active": True, "requiresAccount": visibility != "public_anonymous",
                  "maxSubmissionsPerUser": 1, "ipCooldownSeconds": cooldown, "publicLink": f"/forms/{slug}",
                  "createdBy": 1, "createdAt": created, "updatedAt": created}
    return forms[fid]


def add_incident(state: Any, server_uuid: str, *, reason: str, detection: str, action: str, node_name: str,
                 source_ip: str, target_ip: str, created: str, suspended: bool) -> None:
    """An anti-abuse incident (a submission of the antiabuse-incidents form) about a server."""
    forms = table(state, "app_forms")
    form = next((f for f in forms.values() if f.get("slug") == ANTIABUSE_SLUG), None)
    if form is None:
        return
    subs = table(state, "app_submissions")
    sid = next_key(subs)
    subs[sid] = {"id": sid, "formId": form["id"], "userId": None, "ipAddress": source_ip, "status": "pending",
                 "content": f"[{detection}] {reason} on server {server_uuid} ({source_ip} -> {target_ip})",
                 "meta": {"serverId": server_uuid, "reason": reason, "detectionType": detection,
                          "enforcementAction": action, "suspendAttempted": suspended, "suspendSuccess": suspended,
                          "nodeName": node_name, "sourceIp": source_ip, "targetIp": target_ip},
                 "reviewedBy": None, "reviewedAt": None, "createdAt": created, "updatedAt": created}


# -- access -----------------------------------------------------------------------------------

def _gate(req: Request) -> None:
    """Role-based: the applications:manage permission is not consulted (docs/panel/support.md#applications)."""
    principal = req.principal
    user = getattr(principal, "user", None) if principal is not None else None
    if not isinstance(user, dict) or user.get("role") not in ADMIN_ROLES:
        raise HttpError(403, "Forbidden")


def _slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:80] or "form"


def _unique_slug(forms: dict[int, dict[str, Any]], wanted: str, own_id: int | None = None) -> str:
    taken = {f["slug"] for f in forms.values() if f["id"] != own_id}
    slug, n = wanted, 2
    while slug in taken:
        slug, n = f"{wanted}-{n}", n + 1
    return slug


def _schema(value: Any) -> dict[str, Any]:
    value = value if isinstance(value, dict) else {}
    questions = []
    for i, q in enumerate((value.get("questions") or [])[:120]):
        if not isinstance(q, dict):
            continue
        kind = q.get("type") if q.get("type") in QUESTION_TYPES else "short_text"
        item = {"id": str(q.get("id") or f"q{i + 1}"), "label": str(q.get("label") or ""), "type": kind,
                "required": bool(q.get("required"))}
        if q.get("placeholder"):
            item["placeholder"] = q["placeholder"]
        if isinstance(q.get("options"), list):
            item["options"] = [str(o) for o in q["options"][:100]]
        questions.append(item)
    out: dict[str, Any] = {"questions": questions}
    for key in ("title", "description"):
        if value.get(key):
            out[key] = value[key]
    return out


def _apply(form: dict[str, Any], body: dict[str, Any], forms: dict[int, dict[str, Any]]) -> None:
    if "title" in body:
        form["title"] = str(body["title"])[:200]
    if "description" in body:
        form["description"] = body["description"]
    if "kind" in body:
        form["kind"] = "abuse_report" if body["kind"] in ("abuse", "abuse_report") else "staff_application"
    if body.get("visibility") in ("public_anonymous", "public_users", "private_invite"):
        form["visibility"] = body["visibility"]
        form["requiresAccount"] = body["visibility"] != "public_anonymous"
    if body.get("status") in ("active", "archived", "closed"):
        form["status"] = body["status"]
        form["active"] = body["status"] == "active"
    if "schema" in body:
        form["schema"] = _schema(body["schema"])
    if body.get("slug") or "slug" not in form:
        form["slug"] = _unique_slug(forms, _slugify(str(body.get("slug") or form["title"])), form.get("id"))
        form["publicLink"] = f"/forms/{form['slug']}"
    if body.get("maxSubmissionsPerUser") is not None:
        try:
            form["maxSubmissionsPerUser"] = max(1, int(body["maxSubmissionsPerUser"]))
        except (TypeError, ValueError):
            pass
    if body.get("ipCooldownSeconds") is not None:
        try:
            form["ipCooldownSeconds"] = max(0, int(body["ipCooldownSeconds"]))
        except (TypeError, ValueError):
            pass
    if form["visibility"] == "public_anonymous":
        form["ipCooldownSeconds"] = max(3600, int(form.get("ipCooldownSeconds") or 0))


# -- forms ------------------------------------------------------------------------------------

@route("GET", f"{BASE}/forms")
def list_forms(req: Request) -> Any:
    _gate(req)
    forms = table(req.state, "app_forms").values()
    return sorted(forms, key=lambda f: (f.get("createdAt") or "", f["id"]), reverse=True)


@route("POST", f"{BASE}/forms")
def create_form(req: Request) -> Any:
    _gate(req)
    body = req.json_object()
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        raise HttpError(400, "title is required")
    forms = table(req.state, "app_forms")
    now = req.state.iso()
    form: dict[str, Any] = {"id": next_key(forms), "title": title[:200], "description": None,
                            "kind": "staff_application", "visibility": "public_users", "status": "active",
                            "schema": {"questions": []}, "active": True, "requiresAccount": True,
                            "maxSubmissionsPerUser": 1, "ipCooldownSeconds": 0,
                            "createdBy": (getattr(req.principal, "user", None) or {}).get("id"),
                            "createdAt": now, "updatedAt": now}
    _apply(form, body, forms)
    forms[form["id"]] = form
    return {"success": True, "form": form}


def _form_or_404(req: Request) -> dict[str, Any]:
    return req.row(table(req.state, "app_forms"), "Form not found")


@route("PUT", f"{BASE}/forms/:id")
def update_form(req: Request) -> Any:
    _gate(req)
    form = _form_or_404(req)
    body = req.json_object()
    _apply(form, body, table(req.state, "app_forms"))
    form["updatedAt"] = req.state.iso()
    return {"success": True, "form": form}


@route("DELETE", f"{BASE}/forms/:id")
def delete_form(req: Request) -> Any:
    _gate(req)
    fid = req.param_int("id")
    state = req.state
    table(state, "app_forms").pop(fid, None)
    for name in ("app_invites", "app_submissions"):
        rows = table(state, name)
        for k in [k for k, v in rows.items() if v.get("formId") == fid]:
            del rows[k]
    return {"success": True}  # always, even for unknown ids


# -- invites ----------------------------------------------------------------------------------

def _invite_view(invite: dict[str, Any], form: dict[str, Any] | None) -> dict[str, Any]:
    slug = (form or {}).get("slug", "")
    return {**invite, "link": f"/forms/{slug}?invite={invite['token']}"}


@route("GET", f"{BASE}/forms/:id/invites")
def list_invites(req: Request) -> Any:
    _gate(req)
    form = _form_or_404(req)
    rows = [i for i in table(req.state, "app_invites").values() if i["formId"] == form["id"]]
    return [_invite_view(i, form) for i in sorted(rows, key=lambda i: i["id"], reverse=True)]


@route("POST", f"{BASE}/forms/:id/invites")
def create_invite(req: Request) -> Any:
    _gate(req)
    form = _form_or_404(req)
    if form.get("visibility") != "private_invite":
        raise HttpError(400, "Invite links are only available for private_invite forms")
    body = req.json_object()
    invites = table(req.state, "app_invites")
    iid = next_key(invites)
    expires = None
    if body.get("expiresHours"):
        from datetime import datetime, timedelta

        try:
            base = datetime.fromisoformat(req.state.iso().replace("Z", "+00:00"))
            expires = (base + timedelta(hours=float(body["expiresHours"]))).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        except (TypeError, ValueError):
            expires = None
    invite = {"id": iid, "formId": form["id"], "token": f"inv_{iid:04d}{abs(hash((form['id'], iid))) % 10**12:012d}",
              "label": body.get("label"), "email": body.get("email"), "uses": 0,
              "maxUses": body.get("maxUses"), "expiresAt": expires, "revoked": False,
              "createdBy": (getattr(req.principal, "user", None) or {}).get("id"), "createdAt": req.state.iso()}
    invites[iid] = invite
    view = _invite_view(invite, form)
    return {"success": True, "invite": invite, "link": view["link"]}


@route("DELETE", f"{BASE}/invites/:inviteId")
def revoke_invite(req: Request) -> Any:
    _gate(req)
    invite = req.row(table(req.state, "app_invites"), "Invite not found", "inviteId")
    invite["revoked"] = True
    return {"success": True}


# -- submissions ------------------------------------------------------------------------------

def _submission_view(state: Any, sub: dict[str, Any]) -> dict[str, Any]:
    form = table(state, "app_forms").get(sub.get("formId"))
    user = (getattr(state, "users", None) or {}).get(sub.get("userId"))
    user_view = ({"id": user.get("id"), "email": user.get("email"), "firstName": user.get("firstName"),
                  "lastName": user.get("lastName"), "suspended": bool(user.get("suspended"))} if user else None)
    return {**sub, "form": form, "user": user_view}


@route("GET", f"{BASE}/submissions")
def list_submissions(req: Request) -> Any:
    _gate(req)
    rows = list(table(req.state, "app_submissions").values())
    status = req.arg("status")
    if status:
        rows = [s for s in rows if s.get("status") == status]
    form_id = req.arg("formId")
    if form_id:
        rows = [s for s in rows if str(s.get("formId")) == form_id]
    rows.sort(key=lambda s: (s.get("createdAt") or "", s["id"]), reverse=True)
    return [_submission_view(req.state, s) for s in rows]


# registered before `submissions/:id` so the static segment wins, like the panel's router
@route("POST", f"{BASE}/submissions/bulk-delete")
def bulk_delete(req: Request) -> Any:
    _gate(req)
    ids = req.json_object().get("ids")
    if not isinstance(ids, list) or not ids:
        raise HttpError(400, "ids array is required")
    subs = table(req.state, "app_submissions")
    deleted = 0
    for raw in ids:
        try:
            key = int(raw)
        except (TypeError, ValueError):
            continue
        if subs.pop(key, None) is not None:
            deleted += 1
    return {"success": True, "deleted": deleted, "requested": len(ids)}


@route("PUT", f"{BASE}/submissions/:id")
def decide(req: Request) -> Any:
    _gate(req)
    status = req.json_object().get("status")
    if status not in STATUSES:
        raise HttpError(400, "Invalid status")
    sub = req.row(table(req.state, "app_submissions"), "Submission not found")
    sub["status"] = status
    sub["reviewedBy"] = (getattr(req.principal, "user", None) or {}).get("id")
    sub["reviewedAt"] = sub["updatedAt"] = req.state.iso()
    return {"success": True, "submission": _submission_view(req.state, sub)}


@route("DELETE", f"{BASE}/submissions/:id")
def delete_submission(req: Request) -> Any:
    _gate(req)
    table(req.state, "app_submissions").pop(req.param_int("id"), None)
    return {"success": True}  # always
