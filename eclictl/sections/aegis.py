"""Aegis DDoS tab: `/api/nodes/aegis/*` (docs/panel/aegis.md). Read-only.

The numbers live in the memory of ONE backend process: the node daemons push to whichever instance
they reach, a restart empties everything, and with several backend instances each answers only for
the nodes that pushed to it. Nodes without a push in the last 10 minutes are missing. Blocked and
verified client addresses are personal data: masked by --redact.
"""

from __future__ import annotations

import time
from typing import Any

from eclictl.errors import UsageError
from eclictl.options import bool_opt, command, opt
from eclictl.output.columns import Col
from eclictl.sections._spec import FILTER_PANEL, Section, build

MEMORY_NOTE = ("Aegis data is held in the memory of the one backend process that answered: a restart empties it, "
               "and other backend instances may know other nodes")

AEGIS = Section(
    name="aegis",
    help="Aegis DDoS protection (read-only, from one backend process's memory): status, blocked, events.",
    path="/api/nodes/aegis/metrics",
    permission="nodes:read",
    tab="aegis",
    verbs=(),
    searchable=False,
    examples=("eclictl aegis status", "eclictl aegis blocked --node 1", "eclictl aegis events --open"),
)
app = build(AEGIS)

NodeOpt = opt(int, "--node", metavar="ID", help="Only this node id.", panel=FILTER_PANEL)
WebOpt = bool_opt("--web", help="Open this tab of the web portal instead.")
STATUS_COLUMNS = (Col("nodeId", "NODE"), Col("nodeName", "NAME"), Col("ageSec", "AGE"), Col("rps", "RPS"),
                  Col("dropRps", "DROP"), Col("blocklistCount", "BLOCKED"), Col("openAttacks", "ATTACKS"))
EVENT_COLUMNS = (Col("nodeId", "NODE"), Col("open"), Col("method"), Col("startTs", "START"), Col("durationSec", "SECS"),
                 Col("peakDropPps", "PEAK PPS"), Col("peakDropBps", "PEAK BPS"), Col("samples"))


def _get(ctx: Any, path: str, node: int | None = None) -> dict[str, Any]:
    body = ctx.api.get(path, {"nodeId": node} if node is not None else None)
    if not getattr(ctx, "_aegis_noted", False):  # once per run, however many reads a verb makes
        ctx._aegis_noted = True
        ctx.info(MEMORY_NOTE)
    return body if isinstance(body, dict) else {}


def _metrics(ctx: Any, node: int | None) -> dict[str, Any]:
    body = _get(ctx, AEGIS.path)  # the panel has no node filter here
    return {k: v for k, v in body.items() if isinstance(v, dict) and (node is None or k == str(node))}


def _active_types(entry: dict[str, Any]) -> set[str]:
    attacks = (entry.get("data") or {}).get("attacks")
    return {a.get("type") for a in attacks if isinstance(a, dict) and a.get("active") == 1} if isinstance(
        attacks, list) else set()


def _web(ctx: Any) -> Any:
    from eclictl.weblinks import open_tab

    return open_tab(ctx, "aegis")


@app.command("status", epilog="Examples:\n\n  eclictl aegis status\n\n  eclictl aegis status --node 1 -o json")
@command()
def aegis_status(node: NodeOpt = None, web: WebOpt = False) -> Any:
    """One row per node that pushed in the last 10 minutes: traffic, drops, blocked and open attacks."""
    from eclictl.context import current
    from eclictl.output.render import View

    ctx = current()
    if web:
        return _web(ctx)
    now_ms = time.time() * 1000
    rows = []
    for key, entry in sorted(_metrics(ctx, node).items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0):
        data = entry.get("data") if isinstance(entry.get("data"), dict) else {}
        traffic = data.get("traffic") if isinstance(data.get("traffic"), dict) else {}
        received = entry.get("receivedAt")
        rows.append({"nodeId": int(key) if key.isdigit() else key, "nodeName": entry.get("nodeName"),
                     "receivedAt": received,
                     "ageSec": round((now_ms - received) / 1000) if isinstance(received, (int, float)) else None,
                     "up": data.get("up"), "rps": traffic.get("rps"), "bps": traffic.get("bps"),
                     "dropRps": traffic.get("drop_rps"), "dropBps": traffic.get("drop_bps"),
                     "blocklistCount": data.get("blocklist_count"), "verifiedCount": data.get("verified_count"),
                     "openAttacks": len(_active_types(entry))})
    if node is not None and not rows:
        ctx.warn(f"node {node} has not pushed to this backend process in the last 10 minutes")
    return View(rows, columns=STATUS_COLUMNS, id_field="nodeId", sensitive={"nodeName": "servers"},
                empty="no node pushed Aegis metrics to this backend process in the last 10 minutes")


@app.command("blocked", epilog="Examples:\n\n  eclictl aegis blocked\n\n  eclictl aegis blocked --node 1 --verified -o json")
@command()
def aegis_blocked(
    node: NodeOpt = None,
    verified: bool_opt("--verified", help="List verified (allowed) addresses instead.") = False,
    web: WebOpt = False,
) -> Any:
    """Client addresses each node's daemon blocks (or has verified), as of its last push."""
    from eclictl.context import current
    from eclictl.output.render import View

    ctx = current()
    if web:
        return _web(ctx)
    field = "verified" if verified else "blocklist"
    rows = []
    for key, entry in sorted(_metrics(ctx, node).items()):
        data = entry.get("data") if isinstance(entry.get("data"), dict) else {}
        for ip in data.get(field) or []:
            rows.append({"nodeId": int(key) if key.isdigit() else key, "nodeName": entry.get("nodeName"), "ip": ip,
                         "list": field})
    return View(rows, columns=(Col("nodeId", "NODE"), Col("nodeName", "NAME"), Col("ip", "ADDRESS")),
                id_field="ip", sensitive={"nodeName": "servers"}, empty=f"no {field} addresses reported")


@app.command("events", epilog="Examples:\n\n  eclictl aegis events\n\n  eclictl aegis events --node 1 --open -o json")
@command()
def aegis_events(
    node: NodeOpt = None,
    open_only: bool_opt("--open", help="Only attacks still running.", panel=FILTER_PANEL) = False,
    web: WebOpt = False,
) -> Any:
    """Attack events per node: running ones first, then up to 200 closed ones, newest first."""
    from eclictl.context import current
    from eclictl.output.render import View

    ctx = current()
    if web:
        return _web(ctx)
    if node is not None and node < 0:
        raise UsageError("--node must be a node id")
    events = _get(ctx, "/api/nodes/aegis/attacks", node)
    active = {k: _active_types(v) for k, v in _metrics(ctx, node).items()}
    rows = []
    for key, items in sorted(events.items()):
        running = set(active.get(key, set()))
        for event in items if isinstance(items, list) else []:
            if not isinstance(event, dict):
                continue
            # The panel sets an open attack's endTs to the request time and lists open attacks first:
            # the first event of a type the daemon reported active in the node's last push is the open one.
            is_open = bool(event.get("type")) and event.get("type") in running
            running.discard(event.get("type"))
            if open_only and not is_open:
                continue
            rows.append({**event, "open": is_open, "endTs": None if is_open else event.get("endTs")})
    return View(rows, columns=EVENT_COLUMNS, id_field="startTs", empty="no attack events in this backend's memory")
