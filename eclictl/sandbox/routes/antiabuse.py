"""Sandbox: anti-abuse incidents, `/api/admin/antiabuse/*` (docs/panel/fraud.md#anti-abuse-incidents).

Incidents are rows of `state.app_submissions` whose form has the slug `antiabuse-incidents`
(routes/applications.py creates the form; routes/servers.py seeds three incidents). This module
seeds about thirty more, in every status, on every node, over several weeks. Because route
modules seed in name order and this one runs before applications.py, its rows are prepared in
`seed()` and written into the submissions table on first use (`incidents(state)`).

Quirks reproduced: the list fetches a capped window of the newest rows and filters/sorts/pages in
memory (so `total` undercounts), `aiRiskScore`/`aiCategory`/... read `aiAssessment.riskScore` etc.
while the stored assessment uses `final*` names (always null), there is no `status` filter, unknown
ids in bulk requests are ignored.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

from eclictl.sandbox.router import HttpError, Request, admin, found, route
from eclictl.sandbox.state import SEED_EPOCH

GATE = admin("admin:antiabuse")
BASE = "/api/admin/antiabuse"
SLUG = "antiabuse-incidents"
WINDOW_CAP = 5000
ACTIONS = {"resolve": "accepted", "solved": "accepted", "accepted": "accepted",
           "dismiss": "rejected", "dismissed": "rejected", "rejected": "rejected",
           "archive": "archived", "archived": "archived",
           "pending": "pending", "reopen": "pending", "open": "pending"}
BAD_ACTION = "invalid action, expected resolve|dismiss|archive|pending"
DETECTIONS = (("cpu_miner", "Sustained 100% CPU with xmrig stratum traffic", "suspend"),
              ("ddos_outbound", "Outbound UDP flood to a single host", "suspend"),
              ("port_scan", "Horizontal scan of 22/tcp across a /16", "throttle"),
              ("spam_smtp", "High-volume SMTP to many recipients", "block"),
              ("phishing", "Phishing kit hosted on the web server", "notify"),
              ("bruteforce", "SSH brute force from the container", "throttle"))
NODES = ("fsn-1", "fsn-2", "nbg-1", "hel-1")
STATUSES = ("pending", "pending", "pending", "accepted", "rejected", "archived")
HOUR = 3600.0


def _iso(ts: float) -> str:
    dt = datetime.fromtimestamp(ts, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


# -- seed -------------------------------------------------------------------------------------

def seed(state: Any, rng: Any) -> None:
    pending = []
    for n in range(30):
        detection, reason, action = DETECTIONS[n % len(DETECTIONS)]
        node = NODES[(n * 7) % len(NODES)]
        created = SEED_EPOCH - (n * 31 + rng.randint(0, 20)) * HOUR
        status = STATUSES[n % len(STATUSES)]
        src = f"203.0.113.{rng.randint(2, 254)}"
        dst = f"198.51.100.{rng.randint(2, 254)}"
        server = f"{rng.getrandbits(32):08x}-5b1c-4a7e-9d2f-{rng.getrandbits(48):012x}"
        owner = f"{('lena', 'omar', 'yuki', 'marco', 'ines')[n % 5]}.{('berg', 'haddad', 'sato', 'rossi', 'costa')[n % 5]}"
        meta = {
            "source": "wings", "detector": "wings", "serverId": server, "serverName": f"{owner}-mc-{n:02d}",
            "nodeId": 1 + NODES.index(node), "nodeName": node, "reason": reason, "detectionType": detection,
            "enforcementAction": action, "strikeCount": 1 + n % 4, "sourceIp": src, "targetIp": dst,
            "targetPort": (22, 25, 80, 443, 3333, 53)[n % 6], "suspectedServerIds": [server],
            "suspectedServerNames": [f"{owner}-mc-{n:02d}"], "suspendAttempted": action == "suspend",
            "suspendSuccess": action == "suspend" and n % 5 != 0,
            "metrics": {"cpuPercent": 80 + n % 20, "pps": 1000 * (n + 1), "connections": 40 + n,
                        "peer": f"{dst}:{(22, 25, 80, 443, 3333, 53)[n % 6]}"},
            "recentEvents": [{"at": _iso(created - 60 * k), "srcIp": src, "dstIp": dst,
                              "detail": f"{detection} sample {k} from {src}"} for k in range(3)],
            "aiAssessment": ({"finalRiskScore": 40 + (n * 13) % 60, "finalCategory": ("medium", "high", "critical")[n % 3],
                              "finalAction": action, "finalConfidence": 0.7, "summary":
                              f"Likely {detection.replace('_', ' ')} on {node}"} if n % 2 == 0 else None),
            "raw": {"serverId": server, "reason": reason, "sourceIp": src, "targetIp": dst,
                    "contact": f"{owner}@example.net"},
            "userAgent": "wings-antiabuse/1.4.2", "updateCount": n % 3,
            "lastUpdateAt": _iso(created + HOUR) if n % 3 else None,
            "resolution": None,
        }
        reviewed = _iso(created + 2 * HOUR) if status != "pending" else None
        if reviewed:
            meta["resolution"] = {"action": status, "note": f"Checked by on-call ({owner} contacted)",
                                  "at": reviewed, "by": 1}
        pending.append({"formId": None, "userId": None, "ipAddress": f"10.{NODES.index(node)}.0.{10 + n % 5}",
                        "status": status,
                        "content": f"[{detection}] {reason}\nServer {meta['serverName']} ({server}) on {node}\n"
                                   f"Source {src} -> target {dst}. Owner contact {owner}@example.net",
                        "meta": meta, "reviewedBy": 1 if reviewed else None, "reviewedAt": reviewed,
                        "createdAt": _iso(created), "updatedAt": reviewed or _iso(created)})
    state.antiabuse_seed_pending = pending
    state.antiabuse_agents = [
        {"agentId": f"wings@{node}", "detectorName": "wings", "nodeName": node,
         "secondsAgo": 30 if i < 3 else 7200, "version": "1.4.2"}
        for i, node in enumerate(NODES)]


def _form(state: Any) -> dict[str, Any] | None:
    forms = getattr(state, "app_forms", None) or {}
    return next((f for f in forms.values() if f.get("slug") == SLUG), None)


def incidents(state: Any) -> dict[int, dict[str, Any]]:
    """The incident rows (id -> submission), writing the prepared seed rows on first use."""
    form = _form(state)
    if form is None:
        return {}
    subs = getattr(state, "app_submissions", None)
    if subs is None:
        subs = state.app_submissions = {}
    pending = getattr(state, "antiabuse_seed_pending", None)
    if pending:
        state.antiabuse_seed_pending = []
        for row in pending:
            sid = max([k for k in subs if isinstance(k, int)], default=0) + 1
            subs[sid] = {"id": sid, **row, "formId": form["id"]}
    return {k: v for k, v in subs.items() if v.get("formId") == form["id"]}


def _require_form(state: Any) -> dict[int, dict[str, Any]]:
    if _form(state) is None:
        raise HttpError(404, "antiabuse incidents form not found")
    return incidents(state)


# -- list -------------------------------------------------------------------------------------

def _int(value: str | None, default: int) -> int:
    try:
        return int(float(value)) if value not in (None, "") else default
    except ValueError:
        return default


def _item(sub: dict[str, Any]) -> dict[str, Any]:
    meta = sub.get("meta") if isinstance(sub.get("meta"), dict) else {}
    ai = meta.get("aiAssessment") if isinstance(meta.get("aiAssessment"), dict) else {}
    return {
        "id": sub["id"], "createdAt": sub.get("createdAt"), "status": sub.get("status"),
        "reviewedAt": sub.get("reviewedAt"), "serverId": meta.get("serverId"), "serverName": meta.get("serverName"),
        "suspectedServerIds": list(meta.get("suspectedServerIds") or []),
        "suspectedServerNames": list(meta.get("suspectedServerNames") or []),
        "detectionType": meta.get("detectionType") or "unknown",
        "enforcementAction": meta.get("enforcementAction") or "unknown",
        "strikeCount": meta.get("strikeCount"), "reason": meta.get("reason"), "nodeName": meta.get("nodeName"),
        "sourceIp": meta.get("sourceIp"), "targetIp": meta.get("targetIp"), "targetPort": meta.get("targetPort"),
        "suspendAttempted": bool(meta.get("suspendAttempted")), "suspendSuccess": bool(meta.get("suspendSuccess")),
        # docs/panel/fraud.md#list-incidents: the list reads names the stored assessment does not use -> null
        "aiRiskScore": ai.get("riskScore"), "aiCategory": ai.get("category"), "aiSummary": ai.get("summary"),
        "aiRecommendedAction": ai.get("recommendedAction"), "aiConfidence": ai.get("confidence"),
        "metrics": meta.get("metrics"), "recentEvents": meta.get("recentEvents"),
    }


def _agents(state: Any) -> list[dict[str, Any]]:
    """Heartbeats relative to the sandbox clock: three agents alive, one silent for two hours."""
    now = state.now()
    out = []
    for agent in getattr(state, "antiabuse_agents", None) or []:
        ago = float(agent.get("secondsAgo") or 0)
        out.append({"agentId": agent["agentId"], "detectorName": agent["detectorName"],
                    "nodeName": agent["nodeName"], "lastSeenAt": _iso(now - ago), "ageMs": int(ago * 1000),
                    "active": ago < 120, "version": agent["version"]})
    return out


@route("GET", f"{BASE}/incidents", gates=GATE)
def list_incidents(req: Request) -> Any:
    page = max(1, _int(req.arg("page"), 1))
    limit = max(1, min(500, _int(req.arg("limit"), 100)))
    sort = "aiRisk" if req.arg("sort") == "aiRisk" else "createdAt"
    order = "asc" if (req.arg("order") or "").lower() == "asc" else "desc"
    rows = sorted(incidents(req.state).values(), key=lambda s: (s.get("createdAt") or "", s["id"]), reverse=True)
    window = min(max(page * limit * 4, limit), WINDOW_CAP)
    items = [_item(s) for s in rows[:window]]
    min_risk = req.arg("minRisk")
    if min_risk not in (None, ""):
        threshold = _int(min_risk, 0)
        items = [i for i in items if isinstance(i["aiRiskScore"], (int, float)) and i["aiRiskScore"] >= threshold]
    detection = (req.arg("detectionType") or "").lower()
    if detection:
        items = [i for i in items if detection in str(i["detectionType"]).lower()]
    action = (req.arg("action") or "").lower()
    if action:
        items = [i for i in items if action in str(i["enforcementAction"]).lower()]
    if sort == "aiRisk":
        items.sort(key=lambda i: (i["aiRiskScore"] or 0, i["createdAt"] or ""), reverse=order == "desc")
    else:
        items.sort(key=lambda i: (i["createdAt"] or "", i["id"]), reverse=order == "desc")
    total = len(items)
    return {"items": items[(page - 1) * limit: page * limit], "total": total, "page": page, "limit": limit,
            "totalPages": max(1, math.ceil(total / limit)) if total else 0, "sort": sort, "order": order,
            "agents": _agents(req.state)}


# -- mutations --------------------------------------------------------------------------------

def _incident_id(req: Request) -> int:
    value = req.param_checked("id")
    if value is None or value <= 0:
        raise HttpError(400, "valid incident id is required")
    return value


def _status_for(body: dict[str, Any]) -> str:
    word = body.get("action") if body.get("action") is not None else body.get("status")
    status = ACTIONS.get(str(word or "").strip().lower())
    if status is None:
        raise HttpError(400, BAD_ACTION)
    return status


def _ids(body: dict[str, Any]) -> list[int]:
    raw = body.get("ids")
    out: list[int] = []
    for value in raw if isinstance(raw, list) else []:
        try:
            number = float(value) if not isinstance(value, bool) else math.nan
        except (TypeError, ValueError):
            continue
        if math.isfinite(number) and number > 0 and number == int(number) and int(number) not in out:
            out.append(int(number))
    if not out:
        raise HttpError(400, "ids array is required")
    return out


def _review(req: Request, sub: dict[str, Any], status: str, note: Any) -> None:
    caller = req.principal.user.get("id") if req.principal is not None else None
    when = req.state.iso()
    meta = sub.get("meta") if isinstance(sub.get("meta"), dict) else {}
    meta["resolution"] = {"action": status, "note": None if note is None else str(note)[:800], "at": when,
                          "by": caller}
    sub.update(status=status, reviewedBy=caller, reviewedAt=when, updatedAt=when, meta=meta)


@route("POST", f"{BASE}/incidents/:id/status", gates=GATE)
def set_status(req: Request) -> Any:
    incident_id = _incident_id(req)
    rows = _require_form(req.state)
    body = req.json_object()
    status = _status_for(body)
    sub = found(rows, incident_id, "incident not found")
    _review(req, sub, status, body.get("note"))
    return {"success": True, "id": incident_id, "status": status, "reviewedAt": sub["reviewedAt"]}


@route("POST", f"{BASE}/incidents/bulk-status", gates=GATE)
def bulk_status(req: Request) -> Any:
    body = req.json_object()
    ids = _ids(body)
    rows = _require_form(req.state)
    status = _status_for(body)
    hits = [rows[i] for i in ids if i in rows]
    for sub in hits:
        _review(req, sub, status, body.get("note"))
    return {"success": True, "updated": len(hits), "requested": len(ids), "status": status}


@route("DELETE", f"{BASE}/incidents/:id", gates=GATE)
def delete_incident(req: Request) -> Any:
    incident_id = _incident_id(req)
    rows = _require_form(req.state)
    if incident_id not in rows:
        raise HttpError(404, "incident not found")
    del req.state.app_submissions[incident_id]
    return {"success": True, "deleted": 1}


@route("POST", f"{BASE}/incidents/bulk-delete", gates=GATE)
def bulk_delete(req: Request) -> Any:
    body = req.json_object()
    ids = _ids(body)
    rows = _require_form(req.state)
    gone = [i for i in ids if i in rows]
    for incident_id in gone:
        del req.state.app_submissions[incident_id]
    return {"success": True, "deleted": len(gone), "requested": len(ids)}
