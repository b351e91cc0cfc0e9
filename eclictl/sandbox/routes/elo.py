"""Sandbox: ELO admin (docs/panel/elo.md; backend/src/handlers/adminHandler.ts, eloHandler.ts).

Gate A(`admin:access`), behind the `elo` flag. PUT copies text fields through `String(x).trim()` (JSON
null becomes the text "null"), clamps numbers (`Math.round`, so a non-numeric value is NaN and a 500),
re-computes the linked server's memory/disk/CPU from the score on EVERY write (`syncEloResources`),
suspends on `disqualified`, and e-mails the owner whenever the body carries a valid `moderationStatus`,
changed or not. Reset: score 1000, k 24, counters 0. Lists page with `page`/`per`.
"""

from __future__ import annotations

import math
from typing import Any

from eclictl.sandbox import js
from eclictl.sandbox.router import HttpError, Request, found, js_number, route

PATH = "/api/admin/elo"
GATE = (("A", "admin:access"),)
STATUSES = ("active", "changes_requested", "disqualified")
ELO_SUSPENSION = ("This ELO project has been disqualified. Please back up your data and delete this server. "
                  "If you believe this was in error, contact support.")
BASE = {"memory": 1024, "disk": 10240, "cpu": 100}
MIN = {"memory": 256, "disk": 2048, "cpu": 20}
MAX = {"memory": 24576, "disk": 512000, "cpu": 1200}
SUBJECTS = {"changes_requested": 'ELO Project "{t}" needs changes',
            "disqualified": 'ELO Project "{t}" has been disqualified',
            "active": 'ELO Project "{t}" has been re-qualified'}


def seed(state: Any, rng: Any) -> None:
    state.elo_projects = {}
    state.elo_votes = {}
    state.elo_devlogs = {}
    state.elo_linked = False
    plan = [("Pixel Forge", "A voxel art server with weekly builds.", 1420, 12, 9, 3, 8, "active", True),
            ("Redstone Lab", "Logic circuits and tutorials.", 1185, 9, 5, 4, 11, "active", False),
            ("Skyblock Classic", None, 990, 14, 6, 8, 14, "changes_requested", False),
            ("Copy Paste SMP", "Looks familiar.", 760, 7, 1, 6, 20, "disqualified", False)]
    now = state.now()
    for i, (title, desc, score, votes, wins, losses, owner, status, well) in enumerate(plan, 1):
        state.elo_projects[i] = {
            "id": i, "serverId": None, "userId": owner, "eloScore": score, "kFactor": 24 if votes < 10 else 16,
            "totalVotes": votes, "wins": wins, "losses": losses, "skipTokensRemaining": 5, "maxSkipTokens": 5,
            "title": title, "description": desc, "tags": ["minecraft"], "readme": None,
            "githubUrl": f"https://github.example.test/demo/project-{i}", "demoUrl": None, "screenshots": [],
            "isWellMade": well, "moderationStatus": status, "moderationNote": None,
            "disqualifiedAt": state.iso(now - 86400) if status == "disqualified" else None,
            "disqualifiedBy": 1 if status == "disqualified" else None, "orphanedAt": None,
            "lastActiveAt": state.iso(now - i * 3600), "createdAt": state.iso(now - (90 - i) * 86400)}
    for vote_id in range(1, 7):
        a, b = 1 + vote_id % 3, 1 + (vote_id + 1) % 4
        if a == b:
            b = 4
        state.elo_votes[vote_id] = {"id": vote_id, "voterId": 10 + vote_id, "projectAId": a, "projectBId": b,
                                    "winnerId": a, "eloDeltaA": 12, "eloDeltaB": -12,
                                    "createdAt": state.iso(now - vote_id * 7200)}
    state.elo_devlogs = {1: {"id": 1, "projectId": 1}, 2: {"id": 2, "projectId": 1}}


def _link(state: Any) -> None:
    """Servers are seeded after this module: link each project to a server on first use."""
    if state.elo_linked:
        return
    state.elo_linked = True
    servers = list((getattr(state, "servers", None) or {}).values())
    for project, server in zip(state.elo_projects.values(), servers[-len(state.elo_projects):]):
        project["serverId"] = server["uuid"]
        if project["moderationStatus"] == "disqualified":
            server.update(suspended=True, suspendedReason=ELO_SUSPENSION)


def resources(score: float, student: bool, well_made: bool, disqualified: bool) -> dict[str, int]:
    """calculateEloResources in backend/src/services/eloService.ts."""
    if disqualified:
        return dict(MIN)
    mult = max(0.2, min(12, score / 1000))
    out = {}
    for key, base in BASE.items():
        value = _round(base * mult)
        if student:
            value = _round(value * 1.2)
        if well_made:
            value = _round(value * 1.25)
        out[key] = max(MIN[key], min(MAX[key], value))
    return out


def _round(x: float) -> int:
    return int(math.floor(x + 0.5))  # JavaScript Math.round


def _sync(state: Any, project: dict[str, Any]) -> None:
    server = (getattr(state, "servers", None) or {}).get(project.get("serverId"))
    if server is None:
        return
    owner = state.users.get(project["userId"]) or {}
    disq = project["moderationStatus"] == "disqualified"
    server.update(resources(project["eloScore"], bool(owner.get("studentVerified")), project["isWellMade"], disq))
    if disq:
        server.update(suspended=True, suspendedReason=ELO_SUSPENSION)
    elif server.get("suspended") and "ELO project has been disqualified" in str(server.get("suspendedReason") or ""):
        server.update(suspended=False, suspendedReason=None)


#: Static siblings of `/api/admin/elo/:id` on the panel (votes, reports, voters lists) that this sandbox
#: does not serve: answered like any unknown route rather than as a bad project id.
NOT_SERVED = frozenset({"votes", "reports", "voters"})


def _id(req: Request) -> int:
    raw = req.params["id"]
    if raw in NOT_SERVED:
        raise HttpError(404, "Route not found")
    number = js_number(raw)
    if number is None:
        raise HttpError(400, "Invalid project ID")
    return int(number) if float(number).is_integer() else -1


def _project(req: Request) -> dict[str, Any]:
    _link(req.state)
    project = found(req.state.elo_projects, _id(req), "Project not found")
    return project


def _owner(state: Any, user_id: int) -> dict[str, Any] | None:
    return state.users.get(user_id)


def _common(state: Any, p: dict[str, Any]) -> dict[str, Any]:
    owner = _owner(state, p["userId"])
    server = (getattr(state, "servers", None) or {}).get(p.get("serverId")) if p.get("serverId") else None
    name = (owner.get("displayName") or f"{owner.get('firstName')} {owner.get('lastName')}") if owner else "Unknown"
    out = {"ownerName": name, "ownerEmail": owner.get("email") if owner else None,
           "serverName": server.get("name") if server else None,
           "serverStatus": "suspended" if server and server.get("suspended") else ("active" if server else "orphaned")}
    if owner is None:
        out.pop("ownerEmail")  # `owner?.email` is undefined: the key is absent
    if server is None:
        out.pop("serverName")
    return out


def _page(req: Request) -> tuple[int, int]:
    page = max(1, int(js_number(req.arg("page") or "1") or 1))
    per = min(100, max(1, int(js_number(req.arg("per") or "50") or 50)))
    return page, per


@route("GET", PATH, gates=GATE)
def list_projects(req: Request) -> Any:
    _link(req.state)
    page, per = _page(req)
    search = (req.arg("search") or "").strip().lower()
    rows = [p for p in req.state.elo_projects.values()
            if not search or search in str(p.get("title") or "").lower() or search in str(p.get("serverId") or "").lower()]
    rows.sort(key=lambda p: p["eloScore"], reverse=True)
    chunk = rows[(page - 1) * per: page * per]
    keys = ("id", "serverId", "userId", "title", "description", "eloScore", "kFactor", "totalVotes", "wins", "losses",
            "skipTokensRemaining", "maxSkipTokens", "githubUrl", "screenshots", "readme")
    out = []
    for p in chunk:
        row = {k: p.get(k) for k in keys}
        row["title"] = p.get("title") or f"Project #{p['id']}"
        row.update(_common(req.state, p))
        row.update({k: p.get(k) for k in ("isWellMade", "moderationStatus", "moderationNote", "lastActiveAt",
                                          "createdAt")})
        out.append(row)
    return {"projects": out, "total": len(rows), "page": page, "per": per, "totalPages": math.ceil(len(rows) / per)}


@route("GET", PATH + "/:id", gates=GATE)
def get_project(req: Request) -> Any:
    p = _project(req)
    keys = ("id", "serverId", "userId", "title", "description", "tags", "eloScore", "kFactor", "totalVotes", "wins",
            "losses", "skipTokensRemaining", "maxSkipTokens", "lastActiveAt", "createdAt")
    row = {k: p.get(k) for k in keys}
    row.update(_common(req.state, p))
    row.update({k: p.get(k) for k in ("isWellMade", "moderationStatus", "moderationNote")})
    row["devlogCount"] = sum(1 for d in req.state.elo_devlogs.values() if d["projectId"] == p["id"])
    row["totalVoteRecords"] = sum(1 for v in req.state.elo_votes.values() if p["id"] in (v["projectAId"], v["projectBId"]))
    return row


def _text(value: Any) -> str:
    """`String(x).trim()`: null is "null", true is "true", arrays are joined."""
    return js.string(value).strip()


def _clamp(value: Any, low: int, high: int) -> int:
    if value is None:
        number: float | None = 0.0  # Math.round(null) is 0
    elif isinstance(value, bool):
        number = float(value)
    elif isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        number = js_number(value)
    else:
        number = None
    if number is None:
        raise RuntimeError("Incorrect integer value: 'NaN'")  # NaN reaches SQL: the panel's 500
    return max(low, min(high, _round(number)))


@route("PUT", PATH + "/:id", gates=GATE)
def update_project(req: Request) -> Any:
    p = _project(req)
    body = req.json_object(reading="eloScore")
    if "eloScore" in body:
        p["eloScore"] = _clamp(body["eloScore"], 100, 99999)
    if "kFactor" in body:
        p["kFactor"] = _clamp(body["kFactor"], 8, 64)
    for key in ("title", "description"):
        if key in body:
            p[key] = _text(body[key])
    if "skipTokensRemaining" in body:
        p["skipTokensRemaining"] = _clamp(body["skipTokensRemaining"], 0, p["maxSkipTokens"])
    for key in ("readme", "githubUrl", "demoUrl"):
        if key in body:
            p[key] = _text(body[key]) or None
    if "screenshots" in body:
        p["screenshots"] = body["screenshots"] if isinstance(body["screenshots"], list) else None
    if "isWellMade" in body:
        value = body["isWellMade"]
        p["isWellMade"] = bool(value) and value != 0 and value != ""
    status = body.get("moderationStatus")
    if status in STATUSES:
        was = p["moderationStatus"] == "disqualified"
        p["moderationStatus"] = status
        if status == "disqualified" and not was:
            p.update(disqualifiedAt=req.state.iso(), disqualifiedBy=req.principal.user_id)
        elif status != "disqualified":
            p.update(disqualifiedAt=None, disqualifiedBy=None)
    if "moderationNote" in body:
        p["moderationNote"] = _text(body["moderationNote"]) or None
    _sync(req.state, p)
    if status in STATUSES:  # any valid status in the body mails the owner, changed or not
        owner = _owner(req.state, p["userId"])
        if owner and owner.get("email"):
            sent = getattr(req.state, "sent_mail", None)
            if sent is None:
                sent = req.state.sent_mail = []
            sent.append({"to": owner["email"], "template": "notification", "at": req.state.iso(),
                         "subject": SUBJECTS[status].format(t=p.get("title"))})
    return {k: p[k] for k in ("id", "eloScore", "kFactor", "isWellMade", "moderationStatus")}


@route("POST", PATH + "/:id/reset", gates=GATE)
def reset_project(req: Request) -> Any:
    p = _project(req)
    p.update(eloScore=1000, kFactor=24, totalVotes=0, wins=0, losses=0, skipTokensRemaining=p["maxSkipTokens"])
    _sync(req.state, p)
    return {"id": p["id"], "eloScore": 1000, "message": "Project reset to 1000 ELO"}


@route("DELETE", PATH + "/:id", gates=GATE)
def delete_project(req: Request) -> Any:
    p = _project(req)
    state = req.state
    state.elo_devlogs = {k: d for k, d in state.elo_devlogs.items() if d["projectId"] != p["id"]}
    state.elo_votes = {k: v for k, v in state.elo_votes.items() if p["id"] not in (v["projectAId"], v["projectBId"])}
    del state.elo_projects[p["id"]]
    return {"message": "Project deleted"}
