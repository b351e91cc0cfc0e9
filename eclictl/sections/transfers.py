"""Transfers tab: servers moving between nodes (docs/panel/transfers.md).

The panel has no global list: `list` asks every node for its incoming transfers. The progress
route has a side effect: once a server it saw transferring is gone from Wings' list, the panel
records it as moved to the destination, whether the transfer succeeded, failed or was cancelled.
So `progress` is never called implicitly (not by `list`, `start` or `cancel`), and every verb shows
the server's node before and after.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Optional

import typer

from eclictl.errors import EclictlError, UsageError
from eclictl.options import YesOpt, command
from eclictl.output.columns import Col
from eclictl.sections._spec import Filter, ListOpts, Section, add_list, build
from eclictl.writes import given

NODES_PATH = "/api/admin/nodes"
TRANSFER_PANEL = "Transfer"
POLL_WARNING = ("a progress poll after the server left Wings' transfer list records it as moved to the "
                "destination, even when the transfer failed or was cancelled")

TRANSFERS = Section(
    name="transfers",
    help="Server transfers between nodes: list, start, start-node, cancel, progress (never polled implicitly).",
    path="/api/admin/nodes/{id}/servers/transfers",
    columns=(Col("uuid"), Col("name", sensitive="servers"), Col("fromName", "FROM"), Col("toName", "TO"),
             Col("nodeId", "FROM ID"), Col("destinationNodeId", "TO ID")),
    id_field="uuid",
    id_type=str,
    permission="nodes:transfers",
    tab="transfers",
    sensitive={"name": "servers"},
    empty="no server is flagged as transferring",
    verbs=(),
    searchable=False,
    examples=("eclictl transfers list", "eclictl transfers progress 5f0c8a1e-..."),
)
app = build(TRANSFERS)


def _nodes(api: Any) -> dict[int, str]:
    """Node ids and names only (the node list also carries tokens and credentials)."""
    return {n["id"]: str(n.get("name") or n["id"]) for n in api.rows(NODES_PATH) if isinstance(n.get("id"), int)}


def _node_ref(api: Any, ref: str, names: dict[int, str] | None = None) -> int:
    names = names if names is not None else _nodes(api)
    if ref.isdigit() and int(ref) in names:
        return int(ref)
    hits = [i for i, n in names.items() if n == ref]
    if len(hits) != 1:
        raise UsageError(f"no node '{ref}'" if not hits else f"'{ref}' matches several nodes: use the id")
    return hits[0]


def _server(api: Any, uuid: str) -> dict[str, Any]:
    body = api.get(f"/api/admin/servers/{uuid}")
    cfg = body.get("server") if isinstance(body, dict) else None
    return cfg if isinstance(cfg, dict) else {}


def _where(cfg: dict[str, Any], names: dict[int, str]) -> str:
    node, dest = cfg.get("nodeId"), cfg.get("destinationNodeId")
    text = f"node {node} ({names.get(node, '?')})"
    return text + (f", flagged for node {dest} ({names.get(dest, '?')})" if dest is not None else "")


def _report(ctx: Any, uuid: str, before: dict[str, Any], after: dict[str, Any], names: dict[int, str],
            **extra: Any) -> dict[str, Any]:
    ctx.info(f"before: {_where(before, names)}")
    ctx.info(f"after:  {_where(after, names)}")
    return {"uuid": uuid, "nodeBefore": before.get("nodeId"), "nodeAfter": after.get("nodeId"),
            "destinationBefore": before.get("destinationNodeId"), "destinationAfter": after.get("destinationNodeId"),
            **extra}


def _transferring(ctx: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Each destination node's flagged servers, once each, with both node names."""
    names = _nodes(ctx.api)
    wanted = [_node_ref(ctx.api, params["node"], names)] if params.get("node") else sorted(names)
    rows: dict[str, dict[str, Any]] = {}
    for node_id in wanted:  # a 403 (no nodes:transfers) is reported, never shown as "no transfers"
        body = ctx.api.get(TRANSFERS.path.format(id=node_id))
        for row in (body.get("transferring") if isinstance(body, dict) else None) or []:
            if isinstance(row, dict) and row.get("uuid") not in rows:
                rows[row["uuid"]] = {**row, "fromName": names.get(row.get("nodeId")),
                                     "toName": names.get(row.get("destinationNodeId"))}
    return list(rows.values())


add_list(app, replace(
    TRANSFERS,
    filters=(Filter("node", "Only transfers into this node (id or name).", param="node"),),
    list_opts=ListOpts(limit=None, all=None, filters_first=True), list_rows=_transferring,
), "Servers flagged as moving, per destination node (a flag can outlive a failed start: a hint, not proof).",
    ("eclictl transfers list", "eclictl transfers list --node node-fra-1 -o json", "eclictl transfers list --web"))


ToOpt = Annotated[str, typer.Option("--to", help="Destination node (id or name).", rich_help_panel=TRANSFER_PANEL)]


@app.command("start", epilog="Examples:\n\n  eclictl transfers start 5f0c8a1e-... --to node-ams-2\n\n"
             "  eclictl transfers start 5f0c8a1e-... --to 2 --streams 4 --yes")
@command()
def start(
    uuid: Annotated[str, typer.Argument(metavar="UUID", help="The server to move.")],
    to: ToOpt,
    archive_format: Annotated[Optional[str], typer.Option("--archive-format", help="Passed to Wings (e.g. tar_zstd).",
                                                          rich_help_panel=TRANSFER_PANEL, show_default=False)] = None,
    compression: Annotated[Optional[str], typer.Option("--compression", help="Passed to Wings (e.g. good_compression).",
                                                       rich_help_panel=TRANSFER_PANEL, show_default=False)] = None,
    backups: Annotated[Optional[list[str]], typer.Option("--backup", help="Backup UUID to move along (repeatable).",
                                                         rich_help_panel=TRANSFER_PANEL, show_default=False)] = None,
    delete_source_backups: Annotated[bool, typer.Option("--delete-source-backups", help="With --backup: delete them "
                                                        "on the source.", rich_help_panel=TRANSFER_PANEL)] = False,
    streams: Annotated[Optional[int], typer.Option("--streams", min=0, max=16, help="Parallel streams (0-16).",
                                                   rich_help_panel=TRANSFER_PANEL, show_default=False)] = None,
    yes: YesOpt = False,
) -> Any:
    """Start moving one server (its allocations point at the target before Wings answers)."""
    from eclictl.context import current

    ctx = current()
    names = _nodes(ctx.api)
    target = _node_ref(ctx.api, to, names)
    before = _server(ctx.api, uuid)
    body: dict[str, Any] = {"node_uuid": target, **given(archive_format=archive_format or None,
                                                         compression_level=compression or None)}
    if backups:
        body.update(backups=list(backups), delete_source_backups=delete_source_backups)
    body.update(given(multiplex_streams=streams))
    ctx.confirm(f"Move server {uuid} from {_where(before, names)} to node {target} ({names[target]})?", yes=yes,
                what="start a transfer")
    try:
        answer = ctx.api.post(f"/api/servers/v1/{uuid}/transfer", body)
    except EclictlError:
        after = _server(ctx.api, uuid)
        if after.get("destinationNodeId") is not None and before.get("destinationNodeId") is None:
            ctx.warn("the panel kept the transfer flag and the target's IP in the allocations after this failure; "
                     "a retry gets 409 until both are fixed by hand")
        raise
    return _report(ctx, uuid, before, _server(ctx.api, uuid), names, answer=answer)


@app.command("start-node", epilog="Examples:\n\n  eclictl transfers start-node node-fra-1 --to node-ams-2 --yes\n\n"
             "  eclictl transfers start-node 1 --to 2 --server 5f0c8a1e-... --server 9b1d... --yes")
@command()
def start_node(
    node: Annotated[str, typer.Argument(metavar="NODE", help="Source node (id or name).")],
    to: ToOpt,
    servers: Annotated[Optional[list[str]], typer.Option("--server", help="Only this server UUID (repeatable; "
                                                         "default: every server on the node).",
                                                         rich_help_panel=TRANSFER_PANEL, show_default=False)] = None,
    yes: YesOpt = False,
) -> Any:
    """Move many servers off a node (the panel says only how many started; failures stay flagged)."""
    from eclictl.context import current

    ctx = current()
    names = _nodes(ctx.api)
    source, target = _node_ref(ctx.api, node, names), _node_ref(ctx.api, to, names)
    what = f"{len(servers)} server(s)" if servers else "every server"
    ctx.confirm(f"Move {what} from node {source} ({names[source]}) to node {target} ({names[target]})?", yes=yes,
                what="start transfers")
    body: dict[str, Any] = {"node_uuid": target}
    if servers:
        body["servers"] = list(servers)
    answer = ctx.api.post(f"/api/admin/nodes/{source}/servers/transfer", body)
    flagged = ctx.api.get(TRANSFERS.path.format(id=target))
    rows = [r for r in (flagged.get("transferring") if isinstance(flagged, dict) else None) or []
            if isinstance(r, dict) and r.get("nodeId") == source]
    affected = answer.get("affected") if isinstance(answer, dict) else None
    if isinstance(affected, int) and len(rows) > affected:
        ctx.warn(f"{len(rows)} server(s) are flagged for node {target} but the panel started {affected}: the others "
                 "failed at Wings and stay flagged (a retry skips them)")
    return {"affected": affected, "flagged": [r.get("uuid") for r in rows]}


@app.command("cancel", epilog="Examples:\n\n  eclictl transfers cancel 5f0c8a1e-... --yes")
@command(bulk=True)
def cancel(uuids: Annotated[list[str], typer.Argument(metavar="UUID...", help="Servers; '-' reads stdin.")],
           yes: YesOpt = False) -> Any:
    """Ask Wings to stop transfers (the panel keeps the flag: do not poll progress afterwards)."""
    from eclictl.bulk import confirm_and_run
    from eclictl.context import current

    ctx = current()
    items = ctx.read_ids(uuids)
    names = _nodes(ctx.api)

    def one(uuid: str) -> Any:
        before = _server(ctx.api, uuid)
        ctx.api.delete(f"/api/servers/v1/{uuid}/transfer")
        after = _server(ctx.api, uuid)
        return ("done", f"before: {_where(before, names)}; after: {_where(after, names)}")

    result = confirm_and_run(ctx, "cancel transfers", items, one, yes=yes,
                             question=f"Cancel the transfer of {len(items)} server(s)?", what="cancel transfers")
    ctx.warn(f"the panel still flags these servers as transferring; {POLL_WARNING}: check the node first")
    return result


@app.command("progress", epilog="Examples:\n\n  eclictl transfers progress 5f0c8a1e-...\n\n"
             "  eclictl transfers progress 5f0c8a1e-... -o json")
@command()
def progress(uuid: Annotated[str, typer.Argument(metavar="UUID", help="The server.")]) -> Any:
    """Ask once how far a transfer is; shows the server's node before and after (this GET can record a move)."""
    from eclictl.context import current

    ctx = current()
    names = _nodes(ctx.api)
    before = _server(ctx.api, uuid)
    body = ctx.api.get(f"/api/servers/v1/{uuid}/transfer")
    prog = body.get("progress") if isinstance(body, dict) else None
    after = _server(ctx.api, uuid)
    done, total = (prog or {}).get("archive_bytes_processed"), (prog or {}).get("bytes_total")
    percent = round(done * 100 / total, 1) if isinstance(done, (int, float)) and isinstance(total, (int, float)) \
        and total else None
    if prog is None:
        ctx.info("Wings reports no transfer running for this server")
    if before.get("nodeId") != after.get("nodeId"):
        ctx.warn(f"this poll recorded the server as moved to node {after.get('nodeId')}; {POLL_WARNING}. "
                 "Check that it really runs there")
    elif prog is None and before.get("destinationNodeId") is not None:
        ctx.warn(f"the panel still flags the server for node {before.get('destinationNodeId')}; {POLL_WARNING}")
    return _report(ctx, uuid, before, after, names, percent=percent, progress=prog)
