"""Sandbox: audit routes (docs/panel/observability.md#server-audit-log, docs/panel/observability.md#admin-audit-trail).

* `GET /api/admin/audit/:uuid[/export]` read `state.user_logs` (shared with routes/logs.py and
  routes/servers.py) and anti-abuse incident submissions (routes/applications.py).
* `GET /api/soc/admin-audit[/report]` read `state.admin_audit` (id -> AdminAuditEntry), seeded here.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

from eclictl.sandbox.router import HttpError, Raw, Request, route
from eclictl.sandbox.state import iso, now, parse_iso, table

AUDIT_GATE = (("A", "admin:audit"), ("H", "admin:audit"))
EXPORT_CAP = 10_000
CSV_COLUMNS = ("id", "timestamp", "userId", "username", "email", "action", "targetType", "targetId", "ipAddress",
               "isRead", "metadata", "source")
_ACTIONS = ("admin:get:/api/admin/users", "admin:get:/api/admin/servers", "admin:post:/api/admin/servers/:id/suspend",
            "admin:get:/api/admin/tickets", "admin:put:/api/admin/settings", "soc:scan:run",
            "admin:get:/api/soc/overview", "admin:delete:/api/admin/users/:id")


def seed(state: Any, rng: Any) -> None:
    entries = table(state, "admin_audit")
    users = getattr(state, "users", None) or {}
    admins = [k for k, u in sorted(users.items()) if isinstance(u, dict) and u.get("role") in ("*", "rootAdmin", "admin")]
    admins = (admins or sorted(users)[:3] or [1])[:4]
    base = now(state)
    for n in range(1, 121):
        admin_id = admins[n % len(admins)]
        action = _ACTIONS[rng.randrange(len(_ACTIONS))]
        path = action.split(":", 2)[-1] if action.startswith("admin:") else None
        entries[n] = {"id": n, "adminUserId": admin_id, "action": action,
                      "targetId": None, "targetType": "api" if path else "soc",
                      "metadata": {"method": action.split(":")[1].upper(), "path": path, "query": "?page=1"}
                      if path else {"scan": "wings"},
                      "sessionId": f"sess-{admin_id}-{n // 20}", "durationMs": rng.randint(2_000, 300_000),
                      "ipAddress": f"198.51.100.{10 + admin_id % 200}",
                      "timestamp": iso(base - timedelta(minutes=(121 - n) * 45))}


# -- the SOC admin audit trail ----------------------------------------------------------------

def _soc_gate(req: Request) -> None:
    """S(soc:read): user-based; API keys pass only for a root owner. Failure is a bare 403 Forbidden."""
    from eclictl.sandbox.auth import require

    try:
        require(req, "S", "soc:read")
    except HttpError:
        raise HttpError(403, "Forbidden") from None


def _with_admin(state: Any, entry: dict[str, Any]) -> dict[str, Any]:
    user = (getattr(state, "users", None) or {}).get(entry.get("adminUserId")) or {}
    name = " ".join(p for p in (user.get("firstName"), user.get("lastName")) if p) or None
    return {**entry, "adminName": name, "adminEmail": user.get("email"), "adminAvatarUrl": user.get("avatarUrl")}


def _filtered(req: Request) -> list[dict[str, Any]]:
    rows = list(table(req.state, "admin_audit").values())
    admin_id = req.arg("adminUserId")
    if admin_id:
        rows = [r for r in rows if str(r.get("adminUserId")) == admin_id]
    action = req.arg("action")
    if action:
        rows = [r for r in rows if r.get("action") == action]
    since, until = parse_iso(req.arg("since")), parse_iso(req.arg("until"))
    if since:
        rows = [r for r in rows if (parse_iso(r.get("timestamp")) or since) >= since]
    if until:
        rows = [r for r in rows if (parse_iso(r.get("timestamp")) or until) <= until]
    return sorted(rows, key=lambda r: (r.get("timestamp") or "", r["id"]), reverse=True)


@route("GET", "/api/soc/admin-audit")
def admin_audit(req: Request) -> Any:
    _soc_gate(req)
    rows = _filtered(req)
    page = req.int_arg("page", 1, high=10**6)
    per = req.int_arg("perPage", 50, high=200)
    start = (page - 1) * per
    return {"entries": [_with_admin(req.state, r) for r in rows[start:start + per]], "total": len(rows)}


@route("GET", "/api/soc/admin-audit/report")
def admin_audit_report(req: Request) -> Any:
    _soc_gate(req)
    groups: dict[tuple[Any, str], dict[str, Any]] = {}
    for row in _filtered(req):
        key = (row.get("adminUserId"), row.get("action") or "")
        group = groups.setdefault(key, {"adminUserId": key[0], "action": key[1], "totalMs": 0, "count": 0})
        group["totalMs"] += int(row.get("durationMs") or 0)
        group["count"] += 1
    report = []
    for group in sorted(groups.values(), key=lambda g: g["totalMs"], reverse=True):
        named = _with_admin(req.state, {"adminUserId": group["adminUserId"]})
        report.append({**group, "adminName": named["adminName"], "totalMinutes": round(group["totalMs"] / 60000, 1)})
    return {"report": report}


# -- a server's audit log ---------------------------------------------------------------------

def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


def _userlog_rows(state: Any, value: str, full: bool) -> list[dict[str, Any]]:
    users = getattr(state, "users", None) or {}
    quoted = json.dumps(value)
    out = []
    for row in table(state, "user_logs").values():
        hit = row.get("targetType") in ("server", "mailbox") and str(row.get("targetId")) == value
        if not hit and full:
            hit = quoted in json.dumps(row.get("metadata"), ensure_ascii=False)
        if not hit:
            continue
        uid = row.get("userId")
        user = users.get(uid) or {}
        username = "System" if uid == 0 else " ".join(p for p in (user.get("firstName"), user.get("lastName")) if p)
        out.append({"id": row["id"], "timestamp": row.get("timestamp"), "userId": uid, "username": username,
                    "email": "" if uid == 0 else user.get("email"), "action": row.get("action"),
                    "targetId": row.get("targetId"), "targetType": row.get("targetType"),
                    "ipAddress": row.get("ipAddress"), "metadata": row.get("metadata"),
                    "isRead": row.get("isRead", False), "source": "userlog"})
    return sorted(out, key=lambda r: (str(r.get("timestamp") or ""), r["id"]), reverse=True)


def _incident_rows(state: Any, value: str) -> list[dict[str, Any]]:
    forms = getattr(state, "app_forms", None) or {}
    form = next((f for f in forms.values() if f.get("slug") == "antiabuse-incidents"), None)
    if form is None:
        return []
    out = []
    for sub in (getattr(state, "app_submissions", None) or {}).values():
        if sub.get("formId") != form["id"] or value not in str(sub.get("content") or ""):
            continue
        uid = sub.get("userId")
        meta = sub.get("meta") or {}
        out.append({"id": f"abuse-{sub['id']}", "timestamp": sub.get("createdAt"), "userId": uid,
                    "username": f"User #{uid}" if uid else "System", "email": None,
                    "action": f"antiabuse:{meta.get('detectionType') or 'incident'}", "targetId": value,
                    "targetType": "antiabuse", "ipAddress": sub.get("ipAddress"), "metadata": meta,
                    "isRead": False, "source": "antiabuse"})
    return sorted(out, key=lambda r: str(r.get("timestamp") or ""), reverse=True)


@route("GET", "/api/admin/audit/:uuid", gates=AUDIT_GATE)
def server_audit(req: Request) -> Any:
    value = req.params["uuid"]
    full = _truthy(req.arg("full"))
    page = req.int_arg("page", 1, high=10**6)
    per = req.int_arg("per", 100, high=500)
    logs = _userlog_rows(req.state, value, full)
    incidents = _incident_rows(req.state, value)
    start = (page - 1) * per
    total = (-1 if _truthy(req.arg("nocount")) else len(logs)) + len(incidents)
    # the two sources are paged separately: one page can hold up to 2 x per items
    return {"logs": logs[start:start + per] + incidents[start:start + per], "total": total, "page": page,
            "per": per}


@route("GET", "/api/admin/audit/:uuid/export", gates=AUDIT_GATE)
def server_audit_export(req: Request) -> Any:
    value = req.params["uuid"]
    full = _truthy(req.arg("full"))
    rows = _userlog_rows(req.state, value, full)[:EXPORT_CAP] + _incident_rows(req.state, value)[:EXPORT_CAP]
    stamp = now(req.state).strftime("%Y-%m-%d")
    fmt = "json" if req.arg("format") == "json" else "csv"
    headers = {"Content-Disposition": f'attachment; filename="audit-{value}-{stamp}.{fmt}"'}
    if len(rows) == EXPORT_CAP:
        headers["X-Truncated"] = "true"
    if fmt == "json":
        return Raw(200, "application/json", json.dumps(rows).encode(), headers)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else (json.dumps(row[c]) if c == "metadata" else row[c])
                         for c in CSV_COLUMNS])
    return Raw(200, "text/csv; charset=utf-8", ("\ufeff" + buf.getvalue()).encode("utf-8"), headers)
