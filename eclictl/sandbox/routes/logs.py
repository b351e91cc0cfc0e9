"""Sandbox: activity logs, request logs, slow queries (docs/panel/observability.md#activity-logs, docs/panel/observability.md#slow-queries).

UserLog rows live in `state.user_logs` (id -> row; other route modules may append with
`add_log`), ApiRequestLog rows in `state.api_request_logs`, slow queries in `state.slow_queries`.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

from eclictl.sandbox.router import HttpError, Raw, Request, admin, route
from eclictl.sandbox.routes.announcements import tick
from eclictl.sandbox.state import iso, now
from eclictl.sandbox.routes.user_log import add_log, user_logs

EXPORT_CAP = 10_000
ACTIONS = [
    ("server:power:start", "server"), ("server:power:stop", "server"), ("login", None), ("register", "user"),
    ("admin:server:suspend", "server"), ("server:install:failed", "server"), ("org:create", "organisation"),
    ("apikey:create", "apikey"), ("server:crash", "server"), ("password:change", "user"),
    ("backup:create:error", "server"), ("profile:update", "user"),
]
ENDPOINTS = ["/api/servers", "/api/users/me", "/api/admin/users", "/api/tickets", "/api/auth/session",
             "/api/servers/:uuid/resources"]


def seed(state: Any, rng: Any) -> None:
    table = user_logs(state)
    ids = sorted(state.users) or [1]
    base = now(state)
    for n in range(240):
        action, target = ACTIONS[rng.randrange(len(ACTIONS))]
        uid = 0 if n % 11 == 0 else ids[rng.randrange(len(ids))]
        user = state.users.get(uid) or {}
        meta = None if uid == 0 else {"actor": f"{user.get('firstName', '')} {user.get('lastName', '')}".strip(),
                                      "actorEmail": user.get("email"), "serverName": f"mc-{rng.randint(100, 999)}"}
        add_log(state, uid, action, target_type=target, target_id=rng.randint(1, 400) if target else None,
                metadata=meta, ip=f"198.51.100.{rng.randint(2, 254)}",
                when=base - timedelta(minutes=(240 - n) * 37))
    state.api_request_logs = {}
    for n in range(1, 61):
        state.api_request_logs[n] = {
            "id": n, "userId": None, "organisationId": None, "endpoint": ENDPOINTS[n % len(ENDPOINTS)],
            "count": rng.randint(1, 400), "timestamp": iso(base - timedelta(minutes=(61 - n) * 10))}
    state.slow_queries = []
    for n in range(12):
        email = (state.users.get(ids[n % len(ids)]) or {}).get("email", "someone@example.com")
        state.slow_queries.insert(0, {
            "timestamp": iso(base - timedelta(minutes=(12 - n) * 13)), "durationMs": 200 + rng.randint(0, 4000),
            "query": "SELECT `User`.`id` FROM `user` `User` WHERE `User`.`email` = ?" if n % 2 else
            "SELECT * FROM `user_log` ORDER BY `timestamp` DESC LIMIT 200",
            **({"parameters": [email]} if n % 2 else {})})


def _enrich(state: Any, row: dict[str, Any], requests: bool) -> dict[str, Any]:
    uid = row.get("userId")
    user = state.users.get(uid) or {}
    if uid == 0:
        extra: dict[str, Any] = {"username": "System", "email": ""}
    else:
        name = f"{user.get('firstName') or ''} {user.get('lastName') or ''}".strip()
        extra = {"username": name or None, "email": user.get("email")}
    if not requests:
        extra["avatarUrl"] = user.get("avatarUrl")
    return {**row, **extra}


def _select(req: Request, log_type: str, user_id: int | None) -> list[dict[str, Any]]:
    tick(req.state)
    if log_type == "requests":
        rows = list(getattr(req.state, "api_request_logs", {}).values())
    else:
        rows = list(user_logs(req.state).values())
        if log_type == "serverErrors":
            rows = [r for r in rows if any(w in str(r.get("action", "")) for w in ("error", "crash", "failed"))]
    if user_id is not None:
        rows = [r for r in rows if r.get("userId") == user_id]
    rows.sort(key=lambda r: (r.get("timestamp") or "", r.get("id") or 0), reverse=True)
    return rows


def _int_arg(req: Request, name: str, default: int) -> int:
    try:
        return int(req.arg(name) or default)
    except ValueError:
        return default


@route("GET", "/api/admin/logs", gates=admin("logs:read"))
def list_logs(req: Request) -> Any:
    log_type = req.arg("type") or "audit"
    user_id = req.query_id("userId")  # Number(userId) into SQL: non-numeric is a 500 on the panel
    page = max(1, _int_arg(req, "page", 1))
    per = max(1, min(500, _int_arg(req, "per", 200)))
    rows = _select(req, log_type, user_id)
    chunk = rows[(page - 1) * per: page * per]
    requests = log_type == "requests"
    if chunk and not requests and all(r.get("userId") == 0 for r in chunk):
        # The panel looks users up with an empty id list here and fails (docs/panel/observability.md#activity-logs).
        raise HttpError(500, "Internal server error")
    nocount = (req.arg("nocount") or "").lower() in ("1", "true")
    return {"logs": [_enrich(req.state, r, requests) for r in chunk], "total": -1 if nocount else len(rows),
            "page": page, "per": per}


def _private(row: dict[str, Any], requests: bool) -> dict[str, Any]:
    out = dict(row)
    if requests:
        out["userId"] = "***" if out.get("userId") is not None else None
        out["organisationId"] = "***" if out.get("organisationId") is not None else None
        return out
    if out.get("userId") not in (0, None):
        out["userId"] = "***"
    for key in ("username", "email", "ipAddress"):
        out[key] = "***"
    return out


@route("GET", "/api/admin/logs/export", gates=admin("logs:read"))
def export_logs(req: Request) -> Any:
    log_type = req.arg("type") or "audit"
    raw_user = req.arg("userId")
    user_id = None
    if raw_user not in (None, ""):
        if not raw_user.isdigit():
            raise HttpError(400, "Invalid userId parameter")
        user_id = int(raw_user)
    requests = log_type == "requests"
    rows = _select(req, log_type, user_id)
    truncated = len(rows) > EXPORT_CAP
    rows = [_enrich(req.state, r, requests) for r in rows[:EXPORT_CAP]]
    if (req.arg("privateMode") or "").lower() in ("1", "true"):
        rows = [_private(r, requests) for r in rows]
    fmt = "json" if req.arg("format") == "json" else "csv"
    day = now(req.state).strftime("%Y-%m-%d")
    headers = {"Content-Disposition": f'attachment; filename="admin-logs-{log_type}-{day}.{fmt}"'}
    if truncated:
        headers["X-Truncated"] = "true"
    if fmt == "json":
        return Raw(200, "application/json", json.dumps(rows).encode(), headers)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if requests:
        cols = ["id", "timestamp", "userId", "organisationId", "endpoint", "count"]
        writer.writerow(cols)
        for r in rows:
            writer.writerow(["" if r.get(c) is None else r.get(c) for c in cols])
    else:
        cols = ["id", "timestamp", "userId", "username", "email", "action", "targetType", "targetId", "ipAddress",
                "isRead", "metadata", "source"]
        writer.writerow(cols)
        for r in rows:
            values = {**r, "metadata": json.dumps(r.get("metadata")) if r.get("metadata") is not None else "",
                      "source": "", "isRead": "true" if r.get("isRead") else "false"}
            writer.writerow(["" if values.get(c) is None else values.get(c) for c in cols])
    return Raw(200, "text/csv; charset=utf-8", b"\xef\xbb\xbf" + out.getvalue().encode(), headers)


@route("GET", "/api/admin/slow-queries", gates=admin("admin:metrics"))
def slow_queries(req: Request) -> Any:
    return [dict(q) for q in getattr(req.state, "slow_queries", [])[:100]]


@route("POST", "/api/admin/slow-queries/clear", gates=admin("admin:metrics"))
def clear_slow_queries(req: Request) -> Any:
    req.state.slow_queries = []
    return {"success": True}
