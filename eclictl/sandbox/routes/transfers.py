"""Sandbox: server transfers between nodes (docs/panel/transfers.md, docs/panel/nodes.md#transfers).

State: a server's config carries `nodeId` and `destinationNodeId` (routes/servers.py);
`state.wings_transfers` is what the source Wings reports as running (uuid -> progress object);
`state.transfer_seen` is the backend process's in-memory set of servers it saw transferring
(backend/src/handlers/serverHandler.ts:4931-5135). Tests drive Wings with `wings_finish`.

Faithful quirks: a failed Wings start leaves `destinationNodeId` set (the handler assigns
`undefined` and saves, which the ORM skips); cancel only tells Wings; the progress GET, on a
server it saw before that is no longer in Wings' list, records the move (nodeId =
destination) whatever really happened.
"""

from __future__ import annotations

from typing import Any

from eclictl.sandbox.router import HttpError, Request, found, route
from eclictl.sandbox.routes.servers import node_online, nodes

NODE_GATE = (("A", "nodes:transfers"),)
SERVER_GATE = (("A", "transfer:execute"),)  # upstream also lets the owner and subusers with `settings` in


def seed(state: Any, rng: Any) -> None:
    state.wings_transfers = {}
    state.transfer_seen = set()
    configs = [c for _, c in sorted(state.servers.items()) if not c.get("hibernated") and not c.get("suspended")]
    node_ids = sorted(nodes(state))
    if len(configs) < 2 or len(node_ids) < 2:
        return
    moving, stale = configs[1], configs[2]
    for cfg in (moving, stale):
        cfg["destinationNodeId"] = next(n for n in node_ids if n != cfg["nodeId"])
    total = 4 * 1024 ** 3
    state.wings_transfers[moving["uuid"]] = {"archive_bytes_processed": total // 3, "bytes_total": total,
                                             "state": "archiving"}
    state.transfer_seen.add(moving["uuid"])  # the portal has been polling it


def wings_finish(state: Any, uuid: str) -> None:
    """Wings is done with a transfer (success, failure or cancel alike): it leaves Wings' list."""
    state.wings_transfers.pop(uuid, None)


def _cfg(req: Request) -> dict[str, Any]:
    """requireProvider('wings'): an unknown server is 404, a Proxmox one 400."""
    cfg = found(req.state.servers, req.params["id"], "Server not found")
    node = nodes(req.state).get(cfg.get("nodeId")) or {}
    if node.get("provider") == "proxmox":
        raise HttpError(400, "This endpoint is only available for Wings nodes")
    return cfg


def _number(value: Any) -> float | None:
    """`Number(x)` for a body value; None stands for NaN and 0 (both falsy in the handler)."""
    if value is None or isinstance(value, (dict, list)):
        return None
    try:
        n = float(value) if not isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None
    return n or None


@route("GET", "/api/admin/nodes/:nodeId/servers/transfers", gates=NODE_GATE)
def list_transfers(req: Request) -> Any:
    node_id = req.param_int("nodeId")
    configs = list(req.state.servers.values())
    # "outgoing" asks for destination == this node AND node == this node, which a transfer never is
    same = [c for c in configs if c.get("nodeId") == node_id and c.get("destinationNodeId") == node_id]
    incoming = [c for c in configs if c.get("destinationNodeId") == node_id]
    return {"transferring": [{k: c.get(k) for k in ("uuid", "name", "nodeId", "destinationNodeId", "createdAt")}
                             for c in same + incoming]}


@route("POST", "/api/admin/nodes/:nodeId/servers/transfer", gates=NODE_GATE)
def mass_transfer(req: Request) -> Any:
    state = req.state
    node_id = req.param_int("nodeId")
    body = req.json_object()
    if node_id not in nodes(state):
        raise HttpError(404, "Node not found")
    dest = _number(body.get("node_uuid"))
    if not dest:
        raise HttpError(400, "node_uuid (destination) is required")
    if dest == node_id:
        raise HttpError(409, "Cannot transfer to the same node")
    dest_id = int(dest) if dest == int(dest) else None
    if dest_id not in nodes(state):
        raise HttpError(404, "Destination node not found")
    given = body.get("servers")
    uuids = given if isinstance(given, list) and given else \
        [c["uuid"] for c in state.servers.values() if c.get("nodeId") == node_id]
    affected = 0
    for uuid in uuids:
        cfg = state.servers.get(uuid) if isinstance(uuid, str) else None
        if cfg is None or cfg.get("nodeId") != node_id or cfg.get("destinationNodeId") is not None:
            continue  # skipped silently
        cfg["destinationNodeId"] = dest_id
        if not node_online(state, node_id):
            continue  # Wings failed: the flag stays set (undefined is skipped by save), not counted
        state.wings_transfers[uuid] = {"archive_bytes_processed": 0, "bytes_total": 0, "state": "pending"}
        affected += 1
    return {"affected": affected}


def _move_allocations(state: Any, cfg: dict[str, Any], node_id: int) -> None:
    """The allocations now point at the target's IP, before Wings has answered."""
    node = nodes(state).get(node_id) or {}
    ip = node.get("defaultIp") or node.get("fqdn")
    alloc = cfg.get("allocations")
    if not ip or not isinstance(alloc, dict):
        return
    ports = sorted({int(p) for ps in (alloc.get("mappings") or {}).values() if isinstance(ps, list)
                    for p in ps if str(p).isdigit() and 0 < int(p) <= 65535})
    alloc = dict(alloc, mappings={ip: ports} if ports else {})
    if isinstance(alloc.get("default"), dict):
        alloc["default"] = dict(alloc["default"], ip=ip)
    cfg["allocations"] = alloc


@route("POST", "/api/servers/v1/:id/transfer", gates=SERVER_GATE)
def start_transfer(req: Request) -> Any:
    state = req.state
    cfg = _cfg(req)
    body = req.json_object()
    if cfg.get("destinationNodeId") is not None:
        raise HttpError(409, "Server is already being transferred")
    raw = body.get("node_uuid") if body.get("node_uuid") is not None else body.get("targetNodeId")
    target = _number(raw)
    if not target:
        raise HttpError(400, "node_uuid (target) is required")
    if target == cfg.get("nodeId"):
        raise HttpError(409, "Cannot transfer server to the same node")
    target_id = int(target) if target == int(target) else None
    if target_id not in nodes(state):
        raise HttpError(404, "Target node not found")
    _move_allocations(state, cfg, target_id)
    cfg["destinationNodeId"] = target_id
    if not node_online(state, cfg.get("nodeId")):
        # the clean-up assigns undefined, which save() skips: flag and allocations stay
        raise HttpError(500, "connect ECONNREFUSED")
    state.wings_transfers[cfg["uuid"]] = {"archive_bytes_processed": 0, "bytes_total": 0, "state": "pending"}
    state.transfer_seen.add(cfg["uuid"])
    return {"accepted": True}  # Wings answers 202 without a body


@route("DELETE", "/api/servers/v1/:id/transfer", gates=SERVER_GATE)
def cancel_transfer(req: Request) -> Any:
    state = req.state
    cfg = _cfg(req)
    if not node_online(state, cfg.get("nodeId")):
        raise HttpError(500, "connect ECONNREFUSED")
    if cfg["uuid"] not in state.wings_transfers:
        raise HttpError(409, "Server is not currently being transferred.")  # Wings' own answer, passed on
    wings_finish(state, cfg["uuid"])  # the panel's database is not touched
    return {"success": True}


@route("GET", "/api/servers/v1/:id/transfer")
def transfer_progress(req: Request) -> Any:
    state = req.state
    cfg = _cfg(req)
    uuid = cfg["uuid"]
    if not node_online(state, cfg.get("nodeId")):
        return {"progress": None}  # any error: progress null
    progress = state.wings_transfers.get(uuid)
    if progress:
        state.transfer_seen.add(uuid)
    elif uuid in state.transfer_seen:
        state.transfer_seen.discard(uuid)  # "vanished from Wings": recorded as moved, failed or not
        if cfg.get("destinationNodeId"):
            cfg["nodeId"] = cfg["destinationNodeId"]
            cfg["destinationNodeId"] = None  # update() binds undefined as NULL
    return {"progress": dict(progress) if progress else None}
