"""Sandbox: nodes and node health (docs/panel/nodes.md).

Tables: `state.nodes` (id -> full Node row, secrets included, column order of docs/panel/nodes.md#the-node-row),
`state.node_heartbeats` (node id -> list of NodeHeartbeat points, oldest first) and
`state.node_orgs` (node id -> organisation id, the `organisation` relation).
This module seeds before servers.py, which then spreads its servers over these nodes.

Seeded health (docs/panel/nodes.md#heartbeats-and-health): 1 and 3 healthy, 2 healthy but slow with past failures, 4 unhealthy
(recent pings fail), 5 silent (newest ping 20 min old: unhealthy, "offline" on the status page),
6 a Proxmox node never pinged (no rows: counted as healthy). A node id in `state.offline_nodes`
(servers.py's switch) additionally gets a failing ping "now", so both models agree.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from typing import Any

from eclictl.sandbox.router import HttpError, Raw, Request, admin, found, route
from eclictl.sandbox.state import table

NODE_TYPES = ("free", "paid", "free_and_paid", "enterprise")
PROVIDERS = ("wings", "proxmox")
STALE_S = 120
REFUSED = "ECONNREFUSED: Unable to connect. Is the computer able to access the url?"
ABORTED = "The operation was aborted."

#: Node columns in entity order (docs/panel/nodes.md#the-node-row); `organisation` is a relation, added per route.
COLUMNS: dict[str, Any] = {
    "id": None, "nodeId": None, "name": None, "url": None, "backendWingsUrl": None, "token": None,
    "provider": "wings", "nodeType": "free", "rootUser": None, "rootPassword": None, "proxmoxHost": None,
    "proxmoxTokenId": None, "proxmoxRealm": None, "proxmoxNode": None, "proxmoxStorage": None,
    "proxmoxBridge": None, "proxmoxSecret": None, "portRangeStart": None, "portRangeEnd": None,
    "defaultIp": None, "fqdn": None, "ipv6Subnet": None, "ipv6ExcludedPorts": None, "ipv6ReservedCount": None,
    "cost": 0, "memory": None, "disk": None, "cpu": None, "serverLimit": None, "useSSL": True,
    "allowedOrigin": None, "sftpPort": 2022, "sftpProxyPort": None, "deploymentsDisabled": False,
    "deploymentNotice": None, "lastHeartbeatAt": None, "wingsVersion": None, "configVersion": None,
    "pendingCommand": None,
}
SECRET_COLUMNS = ("token", "rootUser", "rootPassword")  # what /api/nodes and /api/nodes/:id drop

# (name, provider, nodeType, health profile)
_SEED = (
    ("node-fra-1", "wings", "free_and_paid", "healthy"),
    ("node-ams-2", "wings", "free_and_paid", "slow"),
    ("node-nyc-3", "wings", "paid", "healthy"),
    ("node-sgp-4", "wings", "free", "failing"),
    ("node-lon-5", "wings", "enterprise", "silent"),
    ("pve-waw-1", "proxmox", "enterprise", "never"),
)


def _hex(seed: str, n: int = 64) -> str:
    out = ""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}:{i}".encode()).hexdigest()
        i += 1
    return out[:n]


def new_node(**values: Any) -> dict[str, Any]:
    row = dict(COLUMNS)
    row.update(values)
    return row


# -- seed -------------------------------------------------------------------------------------

def seed(state: Any, rng: Any) -> None:
    nodes = table(state, "nodes")
    beats = table(state, "node_heartbeats")
    table(state, "node_orgs")
    table(state, "offline_nodes", set)
    if nodes:
        return
    now = state.now()
    for i, (name, provider, node_type, profile) in enumerate(_SEED, start=1):
        host = f"{name}.eclipanel.test"
        row = new_node(
            id=i, nodeId=None, name=name, url=f"https://{host}:8080", token=_hex(f"node-token-{state.seed}-{i}"),
            provider=provider, nodeType=node_type, portRangeStart=25565, portRangeEnd=25665,
            defaultIp=f"203.0.113.{10 + i}", fqdn=host, memory=65536, disk=1024000, cpu=1600, serverLimit=50,
            cost=round(rng.uniform(20, 120), 2), sftpPort=2022)
        if provider == "wings":
            row["nodeId"] = _uuid(rng)
            row["rootUser"] = "enc:" + _hex(f"ru-{i}", 32)
            row["rootPassword"] = "enc:" + _hex(f"rp-{i}", 48)
        else:
            row.update(url=f"https://{host}:8006", proxmoxHost=f"https://{host}:8006",
                       proxmoxTokenId="root@pam!eclipanel", proxmoxRealm="pam", proxmoxNode="pve",
                       proxmoxStorage="local", proxmoxBridge="vmbr0", proxmoxSecret=_uuid(rng),
                       portRangeStart=None, portRangeEnd=None)
        if i == 1:
            row.update(ipv6Subnet="2001:db8:10::/48", ipv6ExcludedPorts="22,2022", ipv6ReservedCount=16,
                       lastHeartbeatAt=state.iso(now - 15), wingsVersion="1.11.13-ecli.4",
                       configVersion="9f1c2ab47e0d3c55")
        if i == 2:
            row["backendWingsUrl"] = "http://10.20.0.2:8080"
        if profile == "silent":
            row.update(deploymentsDisabled=True,
                       deploymentNotice="London is in maintenance; deploy to Frankfurt or Amsterdam.")
        nodes[i] = row
        beats[i] = _history(state, rng, now, profile)


def _uuid(rng: Any) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def _history(state: Any, rng: Any, now: float, profile: str) -> list[dict[str, Any]]:
    """Six hours of 30 s pings, oldest first, shaped by the node's health profile."""
    if profile == "never":
        return []
    points: list[dict[str, Any]] = []
    count = 720
    end = now - 10
    if profile == "silent":
        end = now - 20 * 60  # the last ping is 20 minutes old
    for k in range(count):
        ts = end - (count - 1 - k) * 30
        recent = k >= count - 6
        if profile == "healthy":
            point = ("ok", rng.randint(18, 70), None)
        elif profile == "slow":
            point = ("ok", rng.randint(700, 2600), None)
            if k % 97 == 13:
                point = ("error", 8000 + rng.randint(0, 40), ABORTED)
        elif profile == "failing":
            point = ("ok", rng.randint(40, 120), None)
            if recent or k % 53 == 7:
                point = ("error", rng.randint(30, 90), "HTTP 502") if k % 2 else ("error", 8001, ABORTED)
        else:  # silent: worked, then connections were refused, then the pinger lost it
            point = ("ok", rng.randint(25, 60), None)
            if k >= count - 20:
                point = ("error", rng.randint(1, 5), REFUSED)
        status, ms, err = point
        points.append({"timestamp": state.iso(ts), "responseMs": ms, "status": status, "errorMessage": err})
    return points


# -- helpers ----------------------------------------------------------------------------------

def points(state: Any, node_id: Any) -> list[dict[str, Any]]:
    """Stored pings plus, for a node switched off by tests (`offline_nodes`), a failing one now."""
    stored = list((getattr(state, "node_heartbeats", None) or {}).get(node_id) or [])
    if node_id in (getattr(state, "offline_nodes", None) or set()):
        stored.append({"timestamp": state.iso(), "responseMs": 3, "status": "error", "errorMessage": REFUSED})
    return stored


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def unhealthy_ids(state: Any) -> list[int]:
    """docs/panel/nodes.md#heartbeats-and-health: newest ping not ok, or older than 120 s; no pings at all = healthy."""
    out = []
    for node_id in table(state, "nodes"):
        pts = points(state, node_id)
        if pts and (pts[-1]["status"] != "ok" or state.now() - _epoch(pts[-1]["timestamp"]) > STALE_S):
            out.append(node_id)
    return out


def _node_or_404(state: Any, node_id: Any) -> dict[str, Any]:
    node = found(table(state, "nodes"), node_id, "Node not found")
    return node


def _numeric(req: Request, name: str = "id") -> int | None:
    raw = req.params.get(name, "")
    try:
        return int(raw) if re.fullmatch(r"-?\d+", raw.strip() or "x") else int(float(raw))
    except ValueError:
        return None


def _node(req: Request) -> dict[str, Any]:
    """The node the path names, or 404. Resolvable id (docs/panel/nodes.md#routes): canonical integer -> id,
    else nodeId as given, else without dashes."""
    nodes, raw = table(req.state, "nodes"), req.params["id"]
    if re.fullmatch(r"-?(0|[1-9]\d*)", raw) and int(raw) in nodes:
        return nodes[int(raw)]
    for wanted in (raw, raw.replace("-", "")):
        for node in nodes.values():
            if node.get("nodeId") == wanted:
                return node
    raise HttpError(404, "Node not found")


def _org(state: Any, node_id: int) -> Any:
    org_id = table(state, "node_orgs").get(node_id)
    if org_id is None:
        return None
    org = (getattr(state, "organisations", None) or {}).get(org_id)
    return dict(org) if isinstance(org, dict) else None


def _safe(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k not in SECRET_COLUMNS}


def _with_org(state: Any, node: dict[str, Any]) -> dict[str, Any]:
    return {**node, "organisation": _org(state, node["id"])}


def require_admin_ctx(req: Request) -> None:
    """nodeHandler's requireAdminCtx: admin key, root, or `nodes:read` (users; root-owned keys)."""
    from eclictl.sandbox.auth import allowed

    if req.principal is None:
        raise HttpError(401, "Unauthorized")
    if not allowed(req.principal, "H", "nodes:read", req.state):
        raise HttpError(403, "Node administration required.")


def _truthy(value: Any) -> bool:
    return value is True or value == "true"


def _dated(state: Any, body: Any) -> Raw:
    """JSON with the HTTP `Date` header real servers send (from the sandbox clock, so
    `state.advance()` ages pings for clients that judge staleness by the server's time)."""
    import json
    from email.utils import formatdate

    return Raw(200, "application/json;charset=utf-8", json.dumps(body).encode(),
               {"Date": formatdate(int(state.now()), usegmt=True)})


def _js_int(value: Any) -> int | None:
    """`Number(value)` when it is an integer (JS `Number.isInteger`), else None."""
    if value is None:
        return 0  # Number(null) === 0
    if isinstance(value, bool):
        return int(value)
    num = _number(value) if not (isinstance(value, str) and not value.strip()) else 0
    return num if isinstance(num, int) else None


def _apply(body: dict[str, Any], node: dict[str, Any], *, creating: bool) -> None:
    """The field handling create and update share, in the handler's order (nodeHandler.ts).

    The handler writes `x || undefined` / `null -> undefined` for "clear", and TypeORM's save()
    skips undefined properties: an empty string or null therefore changes NOTHING (the stored
    value stays). Only `ipv6ExcludedPorts` really takes "" (and null becomes the text "null").
    Mutates `node`; callers pass a copy and commit it only when no HttpError was raised.
    """
    def keep_or(key: str, value: Any) -> None:
        if value not in ("", None, 0, False):
            node[key] = value

    for key in ("portRangeStart", "portRangeEnd"):
        if key in body and (creating or body[key] is not None):
            parsed = _js_int(body[key])
            if parsed is None or not 1 <= parsed <= 65535:
                raise HttpError(400, "portRangeStart must be an integer between 1 and 65535" if key == "portRangeStart"
                                else "portRangeEnd must be an integer between 1 and 65535")
            node[key] = parsed
    start, end = node.get("portRangeStart"), node.get("portRangeEnd")
    if isinstance(start, int) and isinstance(end, int) and start > end:
        raise HttpError(400, "portRangeStart must be less than or equal to portRangeEnd")
    if not creating and "defaultIp" in body:
        keep_or("defaultIp", body["defaultIp"])
    if "ipv6Subnet" in body:
        raw = body["ipv6Subnet"]
        if raw:
            try:
                text = str(raw).strip()
                net = ipaddress.ip_network(text, strict=False)
                if net.version != 6 or "/" not in text:
                    raise ValueError
            except ValueError:
                raise HttpError(400, "Invalid IPv6 subnet CIDR") from None
        keep_or("ipv6Subnet", raw)
    if "ipv6ExcludedPorts" in body:
        raw = body["ipv6ExcludedPorts"]
        if isinstance(raw, list):
            node["ipv6ExcludedPorts"] = ",".join(str(p).strip() for p in raw if str(p).strip())
        elif isinstance(raw, str):
            node["ipv6ExcludedPorts"] = raw
        else:
            node["ipv6ExcludedPorts"] = "null" if raw is None else str(raw)
    if "ipv6ReservedCount" in body:
        parsed = _js_int(body["ipv6ReservedCount"])
        if parsed is None or not 0 <= parsed <= 10000:
            raise HttpError(400, "Invalid ipv6ReservedCount")
        node["ipv6ReservedCount"] = parsed
    if "fqdn" in body:
        keep_or("fqdn", body["fqdn"])
    if not creating:
        for key in ("cost", "memory", "disk", "cpu", "serverLimit"):
            if key in body and body[key] is not None:
                node[key] = _number(body[key])
        for key in ("proxmoxHost", "proxmoxTokenId", "proxmoxSecret", "proxmoxRealm", "proxmoxNode",
                    "proxmoxStorage", "proxmoxBridge"):
            if key in body:
                keep_or(key, body[key])
    if "useSSL" in body:
        node["useSSL"] = _truthy(body["useSSL"])
    if "allowedOrigin" in body:
        keep_or("allowedOrigin", body["allowedOrigin"])
    for key in ("sftpPort", "sftpProxyPort"):
        if key in body and body[key] is not None:
            node[key] = _number(body[key])
    if not creating and "backendWingsUrl" in body:
        keep_or("backendWingsUrl", body["backendWingsUrl"])
    if "deploymentsDisabled" in body:
        node["deploymentsDisabled"] = _truthy(body["deploymentsDisabled"])
    if "deploymentNotice" in body:
        keep_or("deploymentNotice", body["deploymentNotice"])


def _number(value: Any) -> Any:
    try:
        num = float(value)
    except (TypeError, ValueError):
        return None  # Number("x") is NaN; MySQL stores NULL
    return int(num) if num.is_integer() else num


def _check_node_id(value: Any) -> None:
    if value and isinstance(value, str) and not re.fullmatch(r"[0-9a-fA-F]{32}", value.replace("-", "")):
        raise HttpError(400, "nodeId must be a 32-character UUID")


# -- routes: static /api/nodes/* segments first (docs/panel/nodes.md#routes) -----------------

@route("GET", "/api/admin/nodes", gates=admin("nodes:read"))
def admin_list(req: Request) -> Any:
    """Every node with ALL columns, secrets included, no relations (docs/panel/nodes.md#read)."""
    return [dict(n) for n in table(req.state, "nodes").values()]


@route("GET", "/api/nodes")
def list_nodes(req: Request) -> Any:
    require_admin_ctx(req)
    return [_with_org(req.state, _safe(n)) for n in table(req.state, "nodes").values()]


@route("GET", "/api/nodes/heartbeats")
def all_heartbeats(req: Request) -> Any:
    require_admin_ctx(req)
    return _dated(req.state, {str(node_id): points(req.state, node_id)[-200:]
                              for node_id in table(req.state, "nodes")})


@route("GET", "/api/nodes/generate-token", gates=(("A", "nodes:read-creds"),))
def generate_token(req: Request) -> Any:
    import secrets

    return {"token": secrets.token_hex(32)}


@route("GET", "/api/nodes/my-health")
def my_health(req: Request) -> Any:
    user_id = (req.principal.user or {}).get("id") if req.principal else None
    bad = set(unhealthy_ids(req.state))
    out = []
    for node_id in sorted(bad):
        owns = any(cfg.get("nodeId") == node_id and cfg.get("userId") == user_id
                   for cfg in (getattr(req.state, "servers", None) or {}).values())
        if owns:
            out.append({"id": node_id, "name": req.state.nodes[node_id]["name"]})
    return out


@route("POST", "/api/nodes", gates=(("A", "nodes:create"),))
def create_node(req: Request) -> Any:
    body = req.json_object()
    if not body.get("name") or not body.get("url") or not body.get("token"):
        raise HttpError(400, "name, url and token are required")
    _check_node_id(body.get("nodeId"))
    provider = body.get("provider") if body.get("provider") in PROVIDERS else "wings"
    if provider == "proxmox" and not (body.get("proxmoxHost") and body.get("proxmoxTokenId")
                                      and body.get("proxmoxSecret")):
        raise HttpError(400, "Proxmox host, token ID, and secret are required for Proxmox nodes")
    state = req.state
    nodes = table(state, "nodes")
    if any(n.get("name") == body["name"] for n in nodes.values()):
        raise HttpError(500, "Internal server error")  # unique index violation
    node_id = state.next_id("nodes")
    # nodeService.registerNode saves these columns first; everything else is set on the entity
    # afterwards and saved only when no later validation answers 400 (docs/panel/nodes.md#create-edit-delete).
    node = new_node(id=node_id, nodeId=body.get("nodeId"), name=str(body["name"]), url=str(body["url"]),
                    token=str(body["token"]), provider=provider, backendWingsUrl=body.get("backendWingsUrl"))
    nodes[node_id] = node
    table(state, "node_heartbeats").setdefault(node_id, [])
    full = dict(node)
    if provider == "proxmox":
        full.update(proxmoxHost=body["proxmoxHost"], proxmoxTokenId=body["proxmoxTokenId"],
                    proxmoxSecret=body["proxmoxSecret"], proxmoxRealm="pam", proxmoxNode="pve",
                    proxmoxStorage="local", proxmoxBridge="vmbr0")
        for key in ("proxmoxRealm", "proxmoxNode", "proxmoxStorage", "proxmoxBridge"):
            if body.get(key):
                full[key] = body[key]
    if body.get("nodeType") in NODE_TYPES:
        full["nodeType"] = body["nodeType"]
    full["useSSL"] = str(body["url"]).lower().startswith("https://")
    _apply(body, full, creating=True)
    nodes[node_id] = full
    return {"success": True, "node": dict(full)}


@route("GET", "/api/nodes/:id")
def get_node(req: Request) -> Any:
    require_admin_ctx(req)
    return _safe(_node(req))


@route("PUT", "/api/nodes/:id", gates=(("A", "nodes:*"),))
def update_node(req: Request) -> Any:
    state = req.state
    node = _node(req)
    body = req.json_object()
    work = dict(node)  # the handler saves only after every check passed: a 400 changes nothing
    if "nodeId" in body:
        _check_node_id(body["nodeId"])
        if body["nodeId"]:
            work["nodeId"] = body["nodeId"]  # "" -> undefined: TypeORM keeps the old value
    if "url" in body:
        if body["url"] is None:
            raise HttpError(500, "Internal server error")  # NOT NULL column
        work["url"] = body["url"]
    if "name" in body:
        if body["name"] is None:
            raise HttpError(500, "Internal server error")
        work["name"] = body["name"]
    if "nodeType" in body:
        if body["nodeType"] not in NODE_TYPES:
            raise HttpError(400, f"nodeType must be one of: {', '.join(NODE_TYPES)}")
        work["nodeType"] = body["nodeType"]
    org_id = _number(body["orgId"]) if body.get("orgId") else None  # falsy -> undefined: no unassign
    if "provider" in body and body["provider"] not in PROVIDERS:
        raise HttpError(400, f"provider must be one of: {', '.join(PROVIDERS)}")
    _apply(body, work, creating=False)
    if "provider" in body:
        work["provider"] = body["provider"]
    node.update(work)
    if org_id is not None:
        table(state, "node_orgs")[node["id"]] = org_id
    raw = req.params["id"]
    numeric = _number(raw) if re.fullmatch(r"-?\d+(\.\d+)?", raw) else None
    again = table(state, "nodes").get(numeric) if isinstance(numeric, int) else None
    return {"success": True, "node": _with_org(state, dict(again)) if again else None}


@route("DELETE", "/api/nodes/:id", gates=(("A", "nodes:*"),))
def delete_node(req: Request) -> Any:
    state = req.state
    node = _node(req)
    if any(cfg.get("nodeId") == node["id"] for cfg in (getattr(state, "servers", None) or {}).values()):
        raise HttpError(500, "Internal server error")  # server mappings still reference the node (docs/panel/nodes.md#create-edit-delete)
    del state.nodes[node["id"]]
    table(state, "node_heartbeats").pop(node["id"], None)
    table(state, "node_orgs").pop(node["id"], None)
    return {"success": True}


@route("GET", "/api/nodes/:id/heartbeats")
def node_heartbeats(req: Request) -> Any:
    require_admin_ctx(req)
    state = req.state
    window = req.arg("window", "24h")
    hours = 168 if window == "7d" else 24
    since = state.now() - hours * 3600
    node_id = _numeric(req)
    rows = [p for p in points(state, node_id) if _epoch(p["timestamp"]) >= since] if node_id is not None else []
    total = len(rows)
    ok = sum(1 for r in rows if r["status"] == "ok")
    valid = [r["responseMs"] for r in rows if r.get("responseMs") is not None]
    return _dated(state, {"points": rows,
                          "summary": {"uptime_pct": round(ok / total * 1000) / 10 if total else 100,
                                      "avg_ms": round(sum(valid) / len(valid)) if valid else None,
                                      "total_checks": total, "window": window}})


@route("GET", "/api/nodes/:id/token", gates=(("A", "nodes:read-creds"),))
def node_token(req: Request) -> Any:
    node = _node_or_404(req.state, _numeric(req))
    return {"token": node["token"]}
