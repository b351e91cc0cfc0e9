"""Sandbox: Ecli Aegis DDoS metrics (docs/panel/aegis.md; backend/src/handlers/aegisHandler.ts).

Everything here lives in the memory of ONE backend process: the latest push per node (shown for 10 min),
up to 8640 history samples per node and up to 200 closed attacks per node. Gate: authenticate, then
`adminOk` — any API key passes (the permission check only runs without a key); a login needs
S(`nodes:read`). Refusal: 403 `{"error": "forbidden"}`. Node ids are JSON object keys (strings).
Open attacks are answered first, as copies whose `endTs` is the request time (never null).
"""

from __future__ import annotations

from typing import Any

from eclictl.sandbox.auth import allowed
from eclictl.sandbox.router import HttpError, Request, js_number, route

MAX_AGE_MS = 10 * 60 * 1000
METHOD_KEYS = ("drop_tcp_syn", "drop_udp_pps", "drop_icmp_pps", "drop_global_pps", "drop_mc_invalid",
               "drop_ssh_invalid", "drop_blocklist", "drop_other")


def _push(rng: Any, *, rps: int, drop: int, blocked: list[str], verified: list[str],
          attacks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"up": True,
            "traffic": {"rps": rps, "bps": rps * 900, "drop_rps": drop, "drop_bps": drop * 64},
            "packets": {"pass": rps * 86400, "drop_blocklist": 1200 * len(blocked), "drop_tcp_syn": drop * 300,
                        "drop_udp_pps": rng.randint(0, 5000), "drop_icmp_pps": 12, "drop_other": 3},
            "learned_ports": [{"port": 25565, "proto": "tcp"}, {"port": 19132, "proto": "udp"}],
            "blocklist_count": len(blocked), "blocklist": blocked,
            "verified_count": len(verified), "verified": verified, "attacks": attacks}


def seed(state: Any, rng: Any) -> None:
    now = int(state.now() * 1000)
    flood = {"type": "syn_flood", "active": 1, "rate": 48000, "rate_bps": 24_000_000}
    state.aegis_metrics = {
        1: {"nodeName": "node-1", "receivedAt": now - 4000,
            "data": _push(rng, rps=5200, drop=48000, blocked=["198.51.100.23", "198.51.100.24", "203.0.113.99"],
                          verified=["192.0.2.10", "192.0.2.11"], attacks=[flood])},
        2: {"nodeName": "node-2", "receivedAt": now - 7000,
            "data": _push(rng, rps=830, drop=0, blocked=[], verified=["192.0.2.30"], attacks=[])},
        4: {"nodeName": "node-4", "receivedAt": now - 25 * 60 * 1000,  # stale: not answered (10 min window)
            "data": _push(rng, rps=10, drop=0, blocked=[], verified=[], attacks=[])},
    }
    state.aegis_history = {}
    for node_id, base in ((1, 5000), (2, 800)):
        samples = []
        for i in range(30):
            methods = {k: 0 for k in METHOD_KEYS}
            drop = 48000 if node_id == 1 and i >= 27 else 0
            methods["drop_tcp_syn"] = drop * 10
            samples.append({"ts": now - (30 - i) * 10_000, "rps": base + rng.randint(-50, 50), "bps": base * 900,
                            "dropRps": drop, "dropBps": drop * 64, "methods": methods})
        state.aegis_history[node_id] = samples
    state.aegis_attacks = {1: [
        {"nodeId": 1, "startTs": now - 3 * 3600_000, "endTs": now - 3 * 3600_000 + 240_000, "durationSec": 240,
         "method": "UDP flood", "peakDropPps": 91000, "peakDropBps": 70_000_000, "avgDropPps": 52000,
         "avgDropBps": 41_000_000, "peakNetPps": 97000, "samples": 24, "type": "udp_flood"},
        {"nodeId": 1, "startTs": now - 26 * 3600_000, "endTs": now - 26 * 3600_000 + 60_000, "durationSec": 60,
         "method": "SYN flood", "peakDropPps": 12000, "peakDropBps": 6_000_000, "avgDropPps": 9000,
         "avgDropBps": 4_000_000, "peakNetPps": 15000, "samples": 6, "type": "syn_flood"}]}
    state.aegis_open = {"1:syn_flood": {
        "nodeId": 1, "startTs": now - 30_000, "endTs": None, "durationSec": 26, "method": "SYN flood",
        "peakDropPps": 48000, "peakDropBps": 24_000_000, "avgDropPps": 47000, "avgDropBps": 23_000_000,
        "peakNetPps": 53000, "samples": 3, "type": "syn_flood"}}


def _admin_ok(req: Request) -> None:
    principal = req.principal
    if principal.key is None and not allowed(principal, "S", "nodes:read", req.state):
        raise HttpError(403, "forbidden")


def _node_filter(req: Request) -> Any:
    """`q.nodeId ? Number(q.nodeId) : undefined`: NaN matches no node (the answer is `{}`)."""
    raw = req.arg("nodeId")
    if not raw:
        return None
    number = js_number(raw)
    return float("nan") if number is None else number


@route("GET", "/api/nodes/aegis/metrics")
def metrics(req: Request) -> Any:
    _admin_ok(req)
    now = req.state.now() * 1000
    return {str(k): v for k, v in req.state.aegis_metrics.items() if now - v["receivedAt"] < MAX_AGE_MS}


@route("GET", "/api/nodes/aegis/history")
def history(req: Request) -> Any:
    _admin_ok(req)
    wanted = _node_filter(req)
    return {str(k): v for k, v in req.state.aegis_history.items() if wanted is None or k == wanted}


@route("GET", "/api/nodes/aegis/attacks")
def attacks(req: Request) -> Any:
    _admin_ok(req)
    wanted = _node_filter(req)
    out: dict[int, list[dict[str, Any]]] = {k: list(v) for k, v in req.state.aegis_attacks.items()
                                             if wanted is None or k == wanted}
    now = int(req.state.now() * 1000)
    for event in req.state.aegis_open.values():
        if wanted is not None and event["nodeId"] != wanted:
            continue
        out[event["nodeId"]] = [{**event, "endTs": now}] + out.get(event["nodeId"], [])
    return {str(k): v for k, v in out.items()}
