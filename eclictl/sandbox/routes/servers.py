"""Sandbox: servers, mounts and Wings sync (docs/panel/servers.md).

Tables: `state.servers` (uuid -> ServerConfig row), `state.mounts` (id -> mount),
`state.server_mounts` (id -> link). Wings is simulated per node: `state.wings_servers`
(node id -> {uuid -> live Wings server}); a node id in `state.offline_nodes` is unhealthy and
unreachable (tests: `sandbox.state.offline_nodes.add(2)`), which reproduces docs/panel/servers.md#how-wings-is-reached.
"""

from __future__ import annotations

import ipaddress
import re
import uuid as uuidlib
from datetime import datetime, timedelta, timezone
from typing import Any

from eclictl.sandbox.router import HttpError, Raw, Request, admin, found, keys_where, route, whole
from eclictl.sandbox.state import table

PER_PAGE = 50
OBJECT_TEXT = b"[object Object]"

_NODE_NAMES = ("node-fra-1", "node-ams-2", "node-nyc-3")
_SERVER_NAMES = ("lobby-1", "survival-eu", "discord-bot-tess", "valheim-friends", "api-staging",
                 "creative-build", "rust-weekly", "terraria-kids", "paper-test", "skyblock-2",
                 "factorio-lan", "ark-island", "bot-musicbox", "web-portfolio", "satisfactory-co")
_IMAGES = ("ghcr.io/pterodactyl/yolks:java_17", "ghcr.io/pterodactyl/yolks:nodejs_18",
           "ghcr.io/pterodactyl/yolks:python_3.11")


# -- shared tables (whichever module touches them first creates them) -------------------------

def nodes(state: Any) -> dict[int, dict[str, Any]]:
    return table(state, "nodes")


def offline(state: Any) -> set[int]:
    return table(state, "offline_nodes", set)


def wings(state: Any, node_id: Any) -> dict[str, dict[str, Any]]:
    return table(state, "wings_servers").setdefault(node_id, {})


def node_online(state: Any, node_id: Any) -> bool:
    return node_id in nodes(state) and node_id not in offline(state)


def now_iso(state: Any) -> str:
    try:
        value = state.iso()
        if isinstance(value, str):
            return value
    except Exception:  # noqa: BLE001 - an older core without iso()
        pass
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _plus_days(iso: str, days: int) -> str:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")) + timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _next_id(state: Any, name: str, rows: dict[Any, Any]) -> int:
    try:
        return int(state.next_id(name))
    except Exception:  # noqa: BLE001
        return max([k for k in rows if isinstance(k, int)] or [0]) + 1


def user_log(state: Any, user_id: Any, action: str, target_id: Any = None, target_type: str | None = None,
             metadata: dict[str, Any] | None = None, ip: str | None = "198.51.100.23") -> None:
    """Append a UserLog row (the activity/audit log read by `GET /api/admin/logs` and audit routes)."""
    logs = table(state, "user_logs")
    new_id = max([k for k in logs if isinstance(k, int)], default=0) + 1  # same scheme as routes/logs.py
    logs[new_id] = {"id": new_id, "userId": user_id, "action": action,
                    "targetId": None if target_id is None else str(target_id), "targetType": target_type,
                    "metadata": metadata, "isRead": False, "ipAddress": ip, "timestamp": now_iso(state)}


def caller(req: Request) -> dict[str, Any]:
    principal = req.principal
    user = getattr(principal, "user", None) if principal is not None else None
    return user if isinstance(user, dict) else {}


def feature_on(state: Any, name: str) -> bool:
    """Feature flags as the settings route stores them (unknown flag = on, like the panel's defaults)."""
    settings = getattr(state, "settings", None) or {}
    for key in ("featureToggles", "panelFeatureToggles", "features"):
        flags = settings.get(key) if isinstance(settings, dict) else None
        if isinstance(flags, dict) and name in flags:
            return bool(flags[name])
    flags = getattr(state, "feature_flags", None)
    if isinstance(flags, dict) and name in flags:
        return bool(flags[name])
    return True


def _require(req: Request, kind: str, perm: str) -> None:
    from eclictl.sandbox.auth import require

    require(req, kind, perm)


# -- seed -------------------------------------------------------------------------------------

def seed(state: Any, rng: Any) -> None:
    if not nodes(state):
        for i, name in enumerate(_NODE_NAMES, start=1):
            state.nodes[i] = {"id": i, "name": name, "fqdn": f"{name}.eclipanel.test",
                              "url": f"https://{name}.eclipanel.test:8080", "provider": "wings",
                              "nodeType": "free_and_paid", "deploymentsDisabled": False, "deploymentNotice": None}
    offline(state)
    table(state, "wings_servers")
    state.servers = {}
    user_ids = sorted(k for k in (getattr(state, "users", None) or {}) if isinstance(k, int))[:40] or [1]
    node_ids = sorted(nodes(state))
    for i, name in enumerate(_SERVER_NAMES):
        uid = str(uuidlib.UUID(int=rng.getrandbits(128), version=4))
        node_id = node_ids[i % len(node_ids)]
        created = _plus_days("2025-01-01T09:00:00.000Z", i * 7)
        cfg = _config(uid, node_id, rng.choice(user_ids), name, created)
        cfg.update(memory=rng.choice((1024, 2048, 4096, 8192)), disk=rng.choice((10240, 20480, 51200)),
                   cpu=rng.choice((100, 150, 200, 400)), eggId=1 + i % 3, dockerImage=_IMAGES[i % 3])
        cfg["environment"] = {"SERVER_MEMORY": str(cfg["memory"]), "RCON_PASSWORD": f"rcon-{rng.randrange(10**6):06d}"}
        cfg["allocations"] = {"default": {"ip": f"203.0.113.{10 + node_id}", "port": 25565 + i},
                              "mappings": {f"203.0.113.{10 + node_id}": [25565 + i]}}
        if name == "web-portfolio":
            cfg["kvmPassthroughEnabled"] = True
        if name == "rust-weekly":
            cfg.update(suspended=True, suspendedBy="Mara Lindqvist", suspendedReason="Crypto mining",
                       suspendedAt="2025-04-02T10:15:00.000Z")
        if name == "ark-island":
            cfg["hibernated"] = True
        state.servers[uid] = cfg
        if name != "ark-island":  # hibernated servers are not on Wings any more
            wings(state, node_id)[uid] = _live(cfg, "running" if i % 3 else "offline")
    orphan = str(uuidlib.UUID(int=rng.getrandbits(128), version=4))  # on Wings, unknown to the panel
    wings(state, node_ids[0])[orphan] = {"uuid": orphan, "state": "offline", "suspended": False,
                                         "name": "imported-legacy", "environment": {}}
    state.mounts = {}
    for mid, (name, src, dst, ro) in enumerate((("maps", "/srv/shared/maps", "/home/container/maps", True),
                                                ("plugins", "/srv/shared/plugins", "/home/container/plugins", False)),
                                               start=1):
        state.mounts[mid] = {"id": mid, "name": name, "description": None, "source": src, "target": dst,
                             "read_only": ro, "allowed_eggs": [1], "createdAt": "2025-02-01T12:00:00.000Z",
                             "updatedAt": "2025-02-01T12:00:00.000Z"}
    state.server_mounts = {}
    _seed_incidents(state, rng)


def _seed_incidents(state: Any, rng: Any) -> None:
    """Anti-abuse incidents live as application submissions (routes/applications.py)."""
    from eclictl.sandbox.routes.applications import add_incident

    by_name = {c["name"]: c for c in state.servers.values()}
    for n, (name, reason, detection) in enumerate((("rust-weekly", "Sustained 100% CPU with xmrig signature",
                                                    "cpu_miner"),
                                                   ("rust-weekly", "Outbound SYN flood", "ddos_outbound"),
                                                   ("bot-musicbox", "Port scan of 10.0.0.0/8", "port_scan"))):
        cfg = by_name.get(name)
        if cfg is None:
            continue
        node = nodes(state).get(cfg["nodeId"]) or {}
        add_incident(state, cfg["uuid"], reason=reason, detection=detection,
                     action="suspend" if n == 0 else "throttle", node_name=node.get("name"),
                     source_ip=f"203.0.113.{10 + cfg['nodeId']}", target_ip=f"192.0.2.{rng.randint(2, 254)}",
                     created=f"2025-04-0{n + 1}T03:1{n}:00.000Z", suspended=n == 0)


def _config(uid: str, node_id: int, user_id: int, name: str | None, created: str) -> dict[str, Any]:
    return {
        "uuid": uid, "nodeId": node_id, "destinationNodeId": None, "userId": user_id, "orgId": None,
        "name": name, "description": None, "suspended": False, "suspendedBy": None, "suspendedReason": None,
        "suspendedAt": None, "dmca": False, "dmcaBy": None, "dmcaReason": None, "dmcaAt": None,
        "dmcaDeletionAt": None, "ignoreAntiAbuse": False, "hibernated": False, "desiredPowerState": False,
        "environment": {}, "dockerImage": None, "startup": None, "memory": 1024, "disk": 10240, "cpu": 100,
        "swap": 0, "ioWeight": 500, "threads": None, "oomDisabled": False, "kvmPassthroughEnabled": False,
        "vmType": None, "eggId": None, "skipEggScripts": False, "autoSyncOnEggChange": True,
        "installing": False, "allocations": None, "schedules": None, "processConfig": None,
        "lastActivityAt": None, "maxDatabases": 0, "maxBackups": 0, "createdAt": created,
    }


def _live(cfg: dict[str, Any], state_name: str) -> dict[str, Any]:
    return {"uuid": cfg["uuid"], "state": state_name, "suspended": bool(cfg.get("suspended") or cfg.get("dmca")),
            "name": cfg.get("name"), "environment": dict(cfg.get("environment") or {})}


def _sync(state: Any, cfg: dict[str, Any]) -> bool:
    """Wings re-fetches the configuration from the DB (docs/panel/servers.md#how-wings-is-reached); False when unreachable."""
    node_id = cfg.get("nodeId")
    if not node_online(state, node_id):
        return False
    live = wings(state, node_id).get(cfg["uuid"])
    if live is None:
        return False
    live["suspended"] = bool(cfg.get("suspended") or cfg.get("dmca"))
    live["name"] = cfg.get("name")
    live["environment"] = dict(cfg.get("environment") or {})
    if live["suspended"]:
        live["state"] = "offline"
    return True


# -- list / show ------------------------------------------------------------------------------

def _norm(value: Any) -> str:
    return str(value or "").replace("-", "").lower()


def _live_item(state: Any, node: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    cfg = state.servers.get(live["uuid"]) or next(
        (c for c in state.servers.values() if _norm(c["uuid"]) == _norm(live["uuid"])), None)
    suspended = bool((cfg or {}).get("suspended") or live.get("suspended"))
    mem_limit = ((cfg or {}).get("memory") or 1024) * 1024 * 1024
    running = live["state"] == "running"
    return {
        "state": live["state"], "is_suspended": suspended,
        "utilization": {"memory_bytes": mem_limit // 3 if running else 0, "memory_limit_bytes": mem_limit,
                        "disk_bytes": 734003200, "state": live["state"],
                        "network": {"rx_bytes": 1048576 if running else 0, "rx_packets": 900 if running else 0,
                                    "tx_bytes": 524288 if running else 0, "tx_packets": 700 if running else 0},
                        "cpu_absolute": 12.5 if running else 0, "cpu_limit_absolute": (cfg or {}).get("cpu", 100),
                        "uptime": 3600000 if running else 0},
        "configuration": {"uuid": live["uuid"], "meta": {"name": live.get("name"), "description": None},
                          "suspended": live.get("suspended", False), "environment": live.get("environment", {}),
                          "allocations": (cfg or {}).get("allocations"),
                          "build": {"memory_limit": (cfg or {}).get("memory"), "disk_space": (cfg or {}).get("disk"),
                                    "cpu_limit": (cfg or {}).get("cpu")}},
        "uuid": live["uuid"],
        "status": "suspended" if suspended else (live.get("state") or "offline"),
        "name": (cfg or {}).get("name") or live.get("name") or live["uuid"],
        "nodeName": node.get("name"), "nodeId": node.get("id"), "eggId": (cfg or {}).get("eggId"),
    }


def _db_item(state: Any, cfg: dict[str, Any]) -> dict[str, Any]:
    node = nodes(state).get(cfg.get("nodeId")) or {}
    if cfg.get("hibernated"):
        status = "hibernated"
    elif node and not node_online(state, node.get("id")):
        status = "unavailable"
    else:
        status = "unknown"
    build = {"memory_limit": cfg.get("memory"), "disk_space": cfg.get("disk"), "cpu_limit": cfg.get("cpu")}
    if cfg.get("threads"):
        build["threads"] = cfg["threads"]
    return {"uuid": cfg["uuid"], "name": cfg.get("name") or cfg["uuid"], "status": status,
            "hibernated": bool(cfg.get("hibernated")), "is_suspended": bool(cfg.get("suspended")),
            "resources": None, "build": build, "container": {"image": cfg.get("dockerImage")},
            "nodeId": cfg.get("nodeId"), "nodeName": node.get("name"), "userId": cfg.get("userId"),
            "eggId": cfg.get("eggId")}


@route("GET", "/api/admin/servers", gates=admin("admin:servers:read"))
def list_servers(req: Request) -> Any:
    state = req.state
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for node_id in sorted(nodes(state)):
        if not node_online(state, node_id):
            continue  # unhealthy nodes are skipped; their servers come from the DB as "unavailable"
        for live in wings(state, node_id).values():
            if _norm(live["uuid"]) in seen:
                continue
            seen.add(_norm(live["uuid"]))
            items.append(_live_item(state, nodes(state)[node_id], live))
    for cfg in state.servers.values():
        if _norm(cfg["uuid"]) not in seen:
            seen.add(_norm(cfg["uuid"]))
            items.append(_db_item(state, cfg))
    q = (req.arg("q") or "").strip().lower()
    if q:
        items = [i for i in items if q in str(i.get("name") or "").lower() or q in i["uuid"].lower()
                 or q in str(i.get("nodeName") or "").lower()]
    page = req.int_arg("page", 1)
    start = (page - 1) * PER_PAGE
    return {"servers": items[start:start + PER_PAGE], "total": len(items), "page": page, "per": PER_PAGE}


def _cfg(req: Request, message: str = "Server not found") -> dict[str, Any]:
    cfg = found(req.state.servers, req.params.get("id", ""), message)
    return cfg


@route("GET", "/api/admin/servers/:id", gates=admin("admin:servers:read"))
def show_server(req: Request) -> Any:
    return {"server": _cfg(req)}


# -- create / edit / delete -------------------------------------------------------------------

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|m|mb|g|gb|t|tb)?s?\s*$", re.I)
_FACTOR = {"b": 1 / (1024 * 1024), "k": 1 / 1024, "kb": 1 / 1024, "m": 1, "mb": 1, "g": 1024, "gb": 1024,
           "t": 1024 * 1024, "tb": 1024 * 1024}


def parse_size(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise HttpError(400, f"Invalid {what} value")
    if isinstance(value, (int, float)):
        if value < 0:
            raise HttpError(400, f"Invalid {what} value")
        return int(round(value))
    m = _SIZE.match(str(value))
    if not m:
        raise HttpError(400, f"Invalid {what} value")
    return int(round(float(m.group(1)) * _FACTOR[(m.group(2) or "m").lower()]))


def parse_cpu(value: Any) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0:
            raise HttpError(400, "Invalid cpu value")
        return int(round(value))
    text = str(value).strip().lower()
    m = re.match(r"^(\d+(?:\.\d+)?)\s*%?$", text)
    if m:
        return int(round(float(m.group(1))))
    m = re.match(r"^(\d+(?:\.\d+)?)\s*(cores?|vcpus?|cpus?)$", text)
    if m:
        return int(round(float(m.group(1)) * 100))
    raise HttpError(400, "Invalid cpu value")


@route("POST", "/api/admin/servers", gates=admin("admin:servers:write"))
def create_server(req: Request) -> Any:
    state = req.state
    body = req.json({}) or {}
    if body.get("nodeId") in (None, ""):
        raise HttpError(400, "nodeId is required")
    node_id = whole(body["nodeId"])
    node = found(nodes(state), node_id, "Node not found")
    if node.get("deploymentsDisabled"):
        raise HttpError(403, node.get("deploymentNotice") or "This node is temporarily unavailable for deployments")
    memory = parse_size(body["memory"], "memory") if body.get("memory") is not None else 1024
    disk = parse_size(body["disk"], "disk") if body.get("disk") is not None else 10240
    cpu = parse_cpu(body["cpu"]) if body.get("cpu") is not None else 100
    uid = str(uuidlib.uuid4())
    owner = body.get("userId") if body.get("userId") is not None else caller(req).get("id")
    cfg = _config(uid, node_id, owner, body.get("name"), now_iso(state))
    cfg.update(memory=memory, disk=disk, cpu=cpu, dockerImage="ghcr.io/pterodactyl/yolks:nodejs_18",
               startup="node index.js")
    egg_id = body.get("eggId")
    if egg_id is not None and egg_id in (getattr(state, "eggs", None) or {}):
        cfg["eggId"] = egg_id
    state.servers[uid] = cfg
    if not node_online(state, node_id):
        del state.servers[uid]  # Wings failed: config and mapping are rolled back
        raise HttpError(502, "Unable to connect. Is the computer able to access the url?")
    wings(state, node_id)[uid] = _live(cfg, "offline")
    user_log(state, owner, "admin-create-server", uid, "server", {"by": caller(req).get("email")})
    return {"uuid": uid, "nodeId": node_id}


_THREADS = re.compile(r"^([0-9][0-9,\- ]*)?$")  # the panel: /^[0-9][0-9,\- ]*$/ or empty


@route("PUT", "/api/admin/servers/:id", gates=admin("admin:servers:manage"))
def update_server(req: Request) -> Any:
    cfg = _cfg(req)
    body = req.json_object()
    for key in ("name", "description", "dockerImage", "startup"):
        if key in body:
            cfg[key] = body[key]
    for key in ("userId", "eggId"):
        if key in body:
            cfg[key] = body[key]
    if "memory" in body:
        cfg["memory"] = parse_size(body["memory"], "memory")
    if "disk" in body:
        cfg["disk"] = parse_size(body["disk"], "disk")
    if "cpu" in body:
        cfg["cpu"] = parse_cpu(body["cpu"])
    for key in ("swap", "ioWeight"):
        if key in body:
            try:
                cfg[key] = int(body[key])
            except (TypeError, ValueError):
                pass
    if "threads" in body:
        text = str(body["threads"] if body["threads"] is not None else "").strip()
        if not _THREADS.match(text):
            raise HttpError(400, "Invalid cpu value")
        if text:
            cfg["threads"] = text  # '' becomes undefined: the stored pinning stays (adminHandler.ts)
    for key in ("oomDisabled", "hibernated", "ignoreAntiAbuse", "autoSyncOnEggChange"):
        if key in body:
            cfg[key] = bool(body[key]) if not isinstance(body[key], str) else body[key] != ""
    if "environment" in body and isinstance(body["environment"], dict):
        cfg["environment"] = {str(k): "" if v is None else str(v) for k, v in body["environment"].items()}
    if "allocations" in body:
        cfg["allocations"] = _rebuild_allocations(cfg.get("allocations") or {}, body["allocations"])
    _sync(req.state, cfg)  # errors ignored
    return {"success": True, "server": cfg}


def _rebuild_allocations(old: dict[str, Any], entries: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"mappings": {}}
    if old.get("dedicatedIps"):
        out["dedicatedIps"] = old["dedicatedIps"]
    if not isinstance(entries, list) or not entries:
        return out
    entries = [e for e in entries if isinstance(e, dict) and e.get("ip")]
    if not entries:
        return out
    default = next((e for e in entries if e.get("is_default")), entries[0])
    out["default"] = {"ip": default["ip"], "port": default.get("port")}
    fqdns: dict[str, str] = {}
    for e in entries:
        out["mappings"].setdefault(e["ip"], []).append(e.get("port"))
        if e.get("fqdn"):
            host = f"[{e['ip']}]" if ":" in str(e["ip"]) else e["ip"]
            fqdns[f"{host}:{e.get('port')}"] = e["fqdn"]
    if fqdns:
        out["fqdns"] = fqdns
    return out


def _probe(state: Any, cfg: dict[str, Any], *, own_first: bool) -> int | None:
    """The first reachable node whose Wings knows the server (docs/panel/servers.md#how-wings-is-reached)."""
    order = sorted(nodes(state))
    if own_first and cfg.get("nodeId") in order:
        order.remove(cfg["nodeId"])
        order.insert(0, cfg["nodeId"])
    for node_id in order:
        if node_online(state, node_id) and cfg["uuid"] in wings(state, node_id):
            return node_id
    return None


@route("DELETE", "/api/admin/servers/:id", gates=admin("admin:servers:delete"))
def delete_server(req: Request) -> Any:
    state = req.state
    cfg = state.servers.get(req.params["id"]) or {"uuid": req.params["id"]}
    node_id = _probe(state, cfg, own_first=False)
    if node_id is None:
        raise HttpError(404, "Server not found on any node")  # the DB row is kept
    wings(state, node_id).pop(cfg["uuid"], None)
    state.servers.pop(cfg["uuid"], None)  # only the config row: mapping and mount links stay
    return {"success": True}


# -- power / suspend / throttle ---------------------------------------------------------------

@route("POST", "/api/admin/servers/:id/power", gates=admin("admin:servers:manage"))
def power(req: Request) -> Any:
    state = req.state
    action = req.json_object().get("action")
    if action not in ("start", "stop", "restart", "kill"):
        raise HttpError(400, "Invalid action. Must be start, stop, restart or kill.")
    cfg = _cfg(req)
    if cfg.get("nodeId") not in nodes(state):
        raise HttpError(404, "Server not found")
    if cfg.get("hibernated") and action in ("start", "restart"):
        raise HttpError(403, "Server is hibernated and cannot be started or restarted")
    if not node_online(state, cfg["nodeId"]):
        raise HttpError(502, "The operation was aborted.")
    live = found(wings(state, cfg["nodeId"]), cfg["uuid"], "Server not found on node after sync attempt")
    live["state"] = "running" if action in ("start", "restart") else "offline"
    cfg["desiredPowerState"] = action in ("start", "restart")
    user_log(state, caller(req).get("id"), f"server:power:{action}", cfg["uuid"], "server")
    return {"success": True, "data": None}


@route("POST", "/api/admin/servers/:id/mark-started", gates=admin("admin:servers:manage"))
def mark_started(req: Request) -> Any:
    cfg = _cfg(req)
    process = dict(cfg.get("processConfig") or {})
    startup = dict(process.get("startup") or {})
    startup["done"] = [" "]
    process["startup"] = startup
    cfg["processConfig"] = process
    if cfg.get("nodeId") not in nodes(req.state):
        raise HttpError(404, "Node not found for server")
    _sync(req.state, cfg)
    return {"success": True, "processConfig": process}


def _admin_name(user: dict[str, Any]) -> str:
    full = " ".join(p for p in (user.get("firstName"), user.get("lastName")) if p)
    return full or user.get("email") or "admin panel"


def _owner_notice(state: Any, cfg: dict[str, Any], skip_reason: str | None) -> dict[str, Any]:
    if skip_reason:
        return {"emailSent": False, "emailSkipped": True, "emailReason": skip_reason, "emailRecipient": None}
    owner = (getattr(state, "users", None) or {}).get(cfg.get("userId"))
    if owner is None:
        return {"emailSent": False, "emailSkipped": True, "emailReason": "owner not found", "emailRecipient": None}
    if not owner.get("email"):
        return {"emailSent": False, "emailSkipped": True, "emailReason": "owner email not found",
                "emailRecipient": None}
    return {"emailSent": True, "emailSkipped": False, "emailReason": None, "emailRecipient": owner["email"]}


@route("POST", "/api/admin/servers/:id/suspend", gates=admin("admin:servers:suspend"))
def suspend(req: Request) -> Any:
    state = req.state
    cfg = _cfg(req, "Server not found on any node")
    body = req.json_object()
    dmca = bool(body.get("dmca"))
    reason = body.get("reason") or ("DMCA takedown" if dmca else "Suspended by administrator")
    if _probe(state, cfg, own_first=True) is None:
        raise HttpError(404, "Server not found on any node")
    already = cfg.get("dmca") if dmca else cfg.get("suspended")
    who = _admin_name(caller(req))
    at = now_iso(state)
    cfg.update(suspended=True, suspendedBy=who, suspendedReason=reason, suspendedAt=at)
    if dmca:
        cfg.update(dmca=True, dmcaBy=who, dmcaReason=reason, dmcaAt=at, dmcaDeletionAt=_plus_days(at, 30))
    _sync(state, cfg)  # kill + sync: Wings stops it
    skip = ("server already marked DMCA" if dmca else "server already suspended") if already else None
    user_log(state, caller(req).get("id"), "admin:server:dmca" if dmca else "admin:server:suspend", cfg["uuid"],
             "server", {"reason": reason, "by": who})
    return {"success": True, **_owner_notice(state, cfg, skip)}


@route("POST", "/api/admin/servers/:id/unsuspend", gates=admin("admin:servers:suspend"))
def unsuspend(req: Request) -> Any:
    state = req.state
    cfg = _cfg(req, "Server not found on any node")
    if _probe(state, cfg, own_first=True) is None:
        raise HttpError(404, "Server not found on any node")
    cfg.update(suspended=False, suspendedBy=None, suspendedReason=None, suspendedAt=None)  # DMCA stays
    _sync(state, cfg)
    user_log(state, caller(req).get("id"), "admin:server:unsuspend", cfg["uuid"], "server")
    return {"success": True}


def _clamp(value: Any, low: int, high: int, default: int) -> int:
    if value is None:
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        return low
    return int(max(low, min(high, number)))


@route("POST", "/api/admin/servers/:id/throttle", gates=admin("admin:antiabuse"))
def throttle(req: Request) -> Any:
    state = req.state
    cfg = _cfg(req, "Server config not found")
    body = req.json_object()
    cap = _clamp(body.get("cpuLimitPercent"), 5, 100, 20)
    duration = _clamp(body.get("durationSeconds"), 30, 86400, 900)
    reason = str(body.get("reason") or "antiabuse throttle")[:600]
    source = str(body.get("source") or "antiabuse")[:120]
    if _probe(state, cfg, own_first=False) is None:
        raise HttpError(404, "Server not found on any node")
    restore = cfg.get("cpu")
    cfg["cpu"] = cap
    return {"success": True, "serverId": cfg["uuid"], "cpuLimitPercent": cap, "restoreCpu": restore,
            "durationSeconds": duration, "reason": reason, "source": source, "mode": "temporary_cpu_cap"}


# -- dedicated IPs ----------------------------------------------------------------------------

def _dedicated_gate(req: Request) -> None:
    """Feature flag first, then the permission (docs/panel/servers.md#dedicated-ips)."""
    if not feature_on(req.state, "dedicatedIps"):
        raise HttpError(503, "Feature 'dedicatedIps' is disabled")
    _require(req, "H", "admin:servers:manage")


@route("POST", "/api/admin/servers/:id/dedicated-ip", gates=(("A", "admin:access"),))
def add_dedicated_ip(req: Request) -> Any:
    _dedicated_gate(req)
    body = req.json_object()
    ip, kind = body.get("ip"), body.get("type")
    if not ip or not kind:
        raise HttpError(400, "ip and type are required")
    if kind not in ("ipv4", "ipv6"):
        raise HttpError(400, "type must be ipv4 or ipv6")
    try:
        ipaddress.IPv4Address(ip) if kind == "ipv4" else ipaddress.IPv6Address(ip)
    except ValueError:
        raise HttpError(400, "Invalid IPv4 address format" if kind == "ipv4" else "Invalid IPv6 address format") from None
    cfg = _cfg(req)
    if not cfg.get("kvmPassthroughEnabled"):
        raise HttpError(400, "Dedicated IP assignment is only supported for KVM servers.")
    if cfg.get("nodeId") not in nodes(req.state):
        raise HttpError(400, "Server node not found")
    alloc = cfg.get("allocations") or {"mappings": {}}
    if any(d.get("ip") == ip for d in alloc.get("dedicatedIps") or []):
        raise HttpError(400, "This IP is already assigned as a dedicated IP to this server.")
    for other in req.state.servers.values():
        if other is cfg or other.get("nodeId") != cfg.get("nodeId"):
            continue
        oalloc = other.get("allocations") or {}
        if any(d.get("ip") == ip for d in oalloc.get("dedicatedIps") or []):
            raise HttpError(400, "This IP is already in use as a dedicated IP on this node.")
        if ip in (oalloc.get("mappings") or {}):
            raise HttpError(400, "This IP is already in use in allocations on this node.")
    entry = {"ip": ip, "type": kind, **({"fqdn": body["fqdn"]} if body.get("fqdn") else {})}
    alloc.setdefault("dedicatedIps", []).append(entry)
    cfg["allocations"] = alloc
    _sync(req.state, cfg)
    user_log(req.state, caller(req).get("id"), "server:dedicated-ip:assign", cfg["uuid"], "server", {"ip": ip})
    return {"success": True, "ip": ip, "type": kind}


@route("DELETE", "/api/admin/servers/:id/dedicated-ip", gates=(("A", "admin:access"),))
def remove_dedicated_ip(req: Request) -> Any:
    _dedicated_gate(req)
    ip = req.json_object().get("ip")
    if not ip:
        raise HttpError(400, "ip is required")
    cfg = _cfg(req)
    alloc = cfg.get("allocations") or {}
    entries = alloc.get("dedicatedIps") or []
    if not any(d.get("ip") == ip for d in entries):
        raise HttpError(404, "Dedicated IP not found on this server.")
    alloc["dedicatedIps"] = [d for d in entries if d.get("ip") != ip]
    (alloc.get("mappings") or {}).pop(ip, None)
    _sync(req.state, cfg)
    user_log(req.state, caller(req).get("id"), "server:dedicated-ip:deassign", cfg["uuid"], "server", {"ip": ip})
    return {"success": True, "removed": ip}


# -- abuse reports ----------------------------------------------------------------------------

@route("GET", "/api/admin/servers/:id/abuse-reports", gates=admin("admin:servers:read"))
def abuse_reports(req: Request) -> Any:
    state = req.state
    forms = getattr(state, "app_forms", None) or {}
    form = next((f for f in forms.values() if f.get("slug") == "antiabuse-incidents"), None)
    if form is None:
        return {"reports": []}
    subs = sorted((s for s in (getattr(state, "app_submissions", None) or {}).values()
                   if s.get("formId") == form["id"]), key=lambda s: s.get("createdAt") or "", reverse=True)[:200]
    reports = []
    for s in subs:
        meta = s.get("meta") or {}
        if str(meta.get("serverId") or meta.get("serverUuid") or "") != req.params["id"]:
            continue
        reports.append({"id": s["id"], "status": s.get("status"), "createdAt": s.get("createdAt"),
                        "reason": meta.get("reason"), "detectionType": meta.get("detectionType"),
                        "enforcementAction": meta.get("enforcementAction"),
                        "suspendAttempted": bool(meta.get("suspendAttempted")),
                        "suspendSuccess": bool(meta.get("suspendSuccess")), "nodeName": meta.get("nodeName"),
                        "sourceIp": meta.get("sourceIp"), "targetIp": meta.get("targetIp")})
    return {"reports": reports}


# -- mounts -----------------------------------------------------------------------------------

def _mount_gate(req: Request) -> None:
    """`admin.mounts.add/remove` or `admin:servers:manage`; the error names the first."""
    from eclictl.sandbox.router import HttpError as _E

    try:
        _require(req, "H", "admin.mounts.add/remove")
    except _E:
        try:
            _require(req, "H", "admin:servers:manage")
        except _E:
            raise HttpError(403, "Admin permission admin.mounts.add/remove required.") from None


@route("GET", "/api/admin/mounts", gates=admin("admin:servers:manage"))
def list_mounts(req: Request) -> Any:
    return sorted(req.state.mounts.values(), key=lambda m: (str(m.get("name")), m["id"]))


@route("POST", "/api/admin/mounts", gates=admin("admin:servers:manage"))
def create_mount(req: Request) -> Any:
    body = req.json_object()
    if not body.get("name") or not body.get("source") or not body.get("target"):
        raise HttpError(400, "name, source, and target are required")
    mounts = req.state.mounts
    mid = _next_id(req.state, "mounts", mounts)
    at = now_iso(req.state)
    mounts[mid] = {"id": mid, "name": body["name"], "description": body.get("description"),
                   "source": body["source"], "target": body["target"], "read_only": bool(body.get("read_only")),
                   "allowed_eggs": body.get("allowed_eggs"), "createdAt": at, "updatedAt": at}
    return Raw(201, "text/plain;charset=utf-8", OBJECT_TEXT)  # the bare entity quirk


@route("PUT", "/api/admin/mounts/:id", gates=admin("admin:servers:manage"))
def update_mount(req: Request) -> Any:
    mount = req.row(req.state.mounts, "Mount not found")
    body = req.json_object()
    for key in ("name", "description", "source", "target", "allowed_eggs"):
        if key in body:
            mount[key] = body[key]
    if "read_only" in body:
        mount["read_only"] = bool(body["read_only"])
    mount["updatedAt"] = now_iso(req.state)
    return Raw(200, "text/plain;charset=utf-8", OBJECT_TEXT)


@route("DELETE", "/api/admin/mounts/:id", gates=admin("admin:servers:manage"))
def delete_mount(req: Request) -> Any:
    mid = req.param_int("id")
    if req.state.mounts.pop(mid, None) is None:
        raise HttpError(404, "Mount not found")
    links = table(req.state, "server_mounts")
    for link_id in [k for k, v in links.items() if v.get("mountId") == mid]:
        del links[link_id]
    return {"success": True}


@route("POST", "/api/admin/servers/:id/mounts", gates=(("A", "admin:access"),))
def attach_mount(req: Request) -> Any:
    _mount_gate(req)
    mount_id = req.json_object().get("mountId")
    if mount_id in (None, ""):
        raise HttpError(400, "mountId is required")
    try:
        mount_id = int(mount_id)
    except (TypeError, ValueError):
        raise HttpError(404, "Mount not found") from None
    if mount_id not in req.state.mounts:
        raise HttpError(404, "Mount not found")
    links = table(req.state, "server_mounts")
    if any(v["serverUuid"] == req.params["id"] and v["mountId"] == mount_id for v in links.values()):
        raise HttpError(409, "Mount already attached")
    link_id = _next_id(req.state, "server_mounts", links)
    links[link_id] = {"id": link_id, "serverUuid": req.params["id"], "mountId": mount_id,
                      "createdAt": now_iso(req.state)}  # the server is not checked, like the panel
    return Raw(201, "text/plain;charset=utf-8", OBJECT_TEXT)


@route("DELETE", "/api/admin/servers/:id/mounts/:mountId", gates=(("A", "admin:access"),))
def detach_mount(req: Request) -> Any:
    _mount_gate(req)
    links = table(req.state, "server_mounts")
    mount_id = req.param_int("mountId")
    for k in keys_where(links, "Mount link not found", serverUuid=req.params["id"], mountId=mount_id):
        del links[k]
    return {"success": True}


# -- Wings sync -------------------------------------------------------------------------------

@route("POST", "/api/admin/sync-wings", gates=admin("nodes:read"))
def sync_to_wings(req: Request) -> Any:
    state = req.state
    me = caller(req).get("id")
    user_log(state, me, "admin:sync-to-wings:started")
    counts = {"created": 0, "exists": 0, "auth_failed": 0, "errors": 0, "node_not_found": 0, "node_offline": 0}
    for cfg in state.servers.values():  # the background job, run at once in the sandbox
        node_id = cfg.get("nodeId")
        if node_id not in nodes(state):
            counts["node_not_found"] += 1
        elif not node_online(state, node_id):
            counts["node_offline"] += 1
        elif cfg["uuid"] in wings(state, node_id):
            counts["exists"] += 1
        else:
            wings(state, node_id)[cfg["uuid"]] = _live(cfg, "offline")
            counts["created"] += 1
    summary = ", ".join(f"{k} {v}" for k, v in counts.items())
    user_log(state, me, f"admin:sync-to-wings:completed - {summary}", metadata=counts)
    return {"status": "queued", "message": "Sync to Wings has been queued and will complete in the background. "
                                           "Check your activity log for updates."}


@route("POST", "/api/admin/servers/sync-from-wings", gates=admin("nodes:read"))
def sync_from_wings(req: Request) -> Any:
    state = req.state
    created, skipped, errors = 0, 0, []
    known = {_norm(u) for u in state.servers}
    for node_id in sorted(nodes(state)):
        node = nodes(state)[node_id]
        if node_id in offline(state):
            errors.append(f"Node {node.get('name')}: The operation was aborted.")
            continue
        for uid, live in wings(state, node_id).items():
            if _norm(uid) in known:
                skipped += 1
                continue
            cfg = _config(uid, node_id, caller(req).get("id"), live.get("name"), now_iso(state))
            cfg["oomDisabled"] = True  # the import's defaults (docs/panel/servers.md#sync-with-wings)
            state.servers[uid] = cfg
            known.add(_norm(uid))
            created += 1
    return {"success": True, "created": created, "skipped": skipped, "errors": errors}
