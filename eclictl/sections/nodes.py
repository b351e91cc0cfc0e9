"""Nodes tab: `/api/nodes*` and `/api/admin/nodes` (docs/panel/nodes.md).

Node rows carry secrets (the Wings `token`, encrypted root credentials, `proxmoxSecret`;
docs/panel/nodes.md#the-node-row). Reads use `GET /api/nodes` (token and root credentials already
dropped by the panel) and every node record is passed through `clean()` before it can reach a
renderer; only `eclictl nodes token` prints a secret. Health is the panel's own verdict from its
30 s pings (docs/panel/nodes.md#heartbeats-and-health), recomputed client-side from `GET /api/nodes/heartbeats`.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Optional

import typer

from eclictl.api.pagination import PageSpec
from eclictl.errors import NotFoundError, UsageError
from eclictl.options import DryRunOpt, bool_opt, command, opt
from eclictl.output.columns import Col
from eclictl.sections._fields import Bulk, add_writes
from eclictl.sections._spec import FILTER_PANEL, Section, build, detail_view, register
from eclictl.sections._nodes_fields import (NODE_SECRETS, NODE_TYPES, _assignments,
                                            _check_ranges, _named)
from eclictl.sections._nodes_health import (PATH, _all_points, _get_dated, _seconds_ago, _server_counts,
                                            _since_seconds, _with_health, health_of, sparkline)

WATCH_PANEL = "Watch"
NEW_PANEL = "Node settings"
MIN_WATCH = 2.0


def _age(value: Any) -> str:
    seconds = _seconds_ago(value)
    if seconds is None:
        return str(value)
    if seconds < 120:
        return f"{int(seconds)}s ago"
    if seconds < 7200:
        return f"{int(seconds // 60)}m ago"
    if seconds < 172800:
        return f"{int(seconds // 3600)}h ago"
    return f"{int(seconds // 86400)}d ago"


def _ms(value: Any) -> str:
    return f"{value} ms"


COLUMNS = (
    Col("id"), Col("name"), Col("endpoint", "FQDN/URL", max_width=40, computed=True), Col("provider"),
    Col("nodeType", "TYPE"), Col("health.state", "HEALTH", computed=True),
    Col("health.latencyMs", "LATENCY", fmt=_ms, computed=True),
    Col("health.lastSeenAt", "LAST PING", fmt=_age, computed=True), Col("serverCount", "SERVERS", computed=True),
)
HEALTH_COLUMNS = (
    Col("id"), Col("name"), Col("state", "HEALTH"), Col("reason", max_width=40), Col("statusPage", "STATUS PAGE"),
    Col("lastStatus", "PING"), Col("latencyMs", "LATENCY", fmt=_ms), Col("lastSeenAt", "LAST SEEN", fmt=_age),
)
POINT_COLUMNS = (Col("timestamp"), Col("status"), Col("responseMs", "MS"), Col("errorMessage", "ERROR", max_width=50))

NODES = Section(
    name="nodes",
    help="Nodes: list, show, health, heartbeats, create/edit/delete, token.",
    path=PATH,
    pages=PageSpec(items_key=None),
    columns=COLUMNS,
    name_fields=("name", "nodeId", "fqdn"),
    show_path=None,
    delete_path=f"{PATH}/{{id}}",
    permission="nodes:read",
    tab="nodes",
    verbs=("list", "show", "delete"),
    examples=("eclictl nodes list --unhealthy", "eclictl nodes show node-fra-1", "eclictl nodes health --watch 10",
              "eclictl nodes delete 7 --yes"),
)
# Verbs are all hand-written below (health and secrets need care); the registry keeps the full
# declaration so section-wide tests and `search` still see list/show/delete.
app = build(dataclasses.replace(NODES, verbs=()))
register(NODES)


# -- helpers ---------------------------------------------------------------------------------

def clean(value: Any) -> Any:
    """A copy without node secrets, at any depth (defensive: the panel may add relations)."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if k not in NODE_SECRETS}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def _nodes(ctx: Any) -> list[dict[str, Any]]:
    return [clean(n) for n in NODES.iter_rows(ctx.api) if isinstance(n, dict)]


def _resolve(ctx: Any, ref: str) -> dict[str, Any]:
    """A node by id, exact name, Wings UUID or FQDN (from the node list)."""
    if not ref.strip():
        raise UsageError("a node id or name is required")
    return clean(NODES.resolve(ctx.api, ref))


def _node_id(ctx: Any, ref: str) -> int:
    if ref.isdigit():
        return int(ref)
    ident = _resolve(ctx, ref).get("id")
    if not isinstance(ident, int):
        raise NotFoundError(f"no node '{ref}'")
    return ident


def _redact_guard(ctx: Any) -> None:
    if ctx.redact_categories():
        raise UsageError("refusing to print a node token while redaction is on",
                         hint="tokens are secrets, not personal data: re-run with --no-redact if you must")


# -- list / show -----------------------------------------------------------------------------

@app.command("list", epilog="Examples:\n\n  eclictl nodes list\n\n  eclictl nodes list --unhealthy\n\n"
             "  eclictl nodes list --type paid --no-servers -o json")
@command()
def list_nodes(
    unhealthy: bool_opt("--unhealthy", help="Only nodes the panel considers unhealthy (last ping failed or older than "
                        "120 s).", panel=FILTER_PANEL) = False,
    node_type: opt(str, "--type", help="free, paid, free_and_paid or enterprise.", panel=FILTER_PANEL) = None,
    servers: bool_opt("--servers/--no-servers", help="Count servers per node (one extra, slow call that needs "
                      "admin:servers:read).") = True,
    web: bool_opt("--web", help="Open the portal's Nodes tab instead.") = False,
) -> Any:
    """List nodes with their health (panel pings) and server counts; never shows secrets."""
    from eclictl.context import current
    from eclictl.output.render import View

    ctx = current()
    if web:
        from eclictl.weblinks import open_tab

        return open_tab(ctx, "nodes")
    if node_type is not None and node_type not in NODE_TYPES:
        raise UsageError(f"--type must be one of {', '.join(NODE_TYPES)}")
    nodes = _nodes(ctx)
    points = _all_points(ctx)
    counts = _server_counts(ctx) if servers else None
    rows = [_with_health(n, points.get(str(n.get("id"))), counts) for n in nodes]
    if node_type:
        rows = [r for r in rows if r.get("nodeType") == node_type]
    if unhealthy:
        rows = [r for r in rows if r["health"]["state"] == "unhealthy"]
    return View(rows, columns=COLUMNS, id_field="id", empty="no nodes found")


#: The node argument of the one-node verbs.
NodeArg = Annotated[str, typer.Argument(metavar="ID|NAME", help="Node id, name, Wings UUID or FQDN.")]


@app.command("show", epilog="Examples:\n\n  eclictl nodes show 3\n\n  eclictl nodes show node-fra-1 -o json")
@command()
def show(node: NodeArg) -> Any:
    """Show one node with its 24 h ping summary (secrets are never shown)."""
    from eclictl.context import current

    ctx = current()
    ident = _node_id(ctx, node)
    body = ctx.api.get(f"{PATH}/{ident}")
    record = clean(body) if isinstance(body, dict) else {"id": ident}
    beats = _get_dated(ctx, f"{PATH}/{ident}/heartbeats")
    beats = beats if isinstance(beats, dict) else {}
    record["health"] = health_of(beats.get("points"))
    summary = beats.get("summary")
    if isinstance(summary, dict):
        record["health"]["uptimePct24h"] = summary.get("uptime_pct")
        record["health"]["avgMs24h"] = summary.get("avg_ms")
    return detail_view(NODES, record)


# -- health ----------------------------------------------------------------------------------

def _health_rows(ctx: Any, node: str | None) -> list[dict[str, Any]]:
    nodes = _nodes(ctx)
    if node is not None:
        wanted = _resolve(ctx, node).get("id")
        nodes = [n for n in nodes if n.get("id") == wanted]
    points = _all_points(ctx)
    return [{"id": n.get("id"), "name": n.get("name"), **health_of(points.get(str(n.get("id"))))} for n in nodes]


def _health_table(ctx: Any, rows: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    from eclictl.output.columns import cell_text, get_path

    redactor = ctx.redactor()
    table = Table(title="Node health (panel pings; unhealthy: newest failed or over 120 s old)",
                  header_style="bold")
    for col in HEALTH_COLUMNS:
        table.add_column(col.title)
    for raw in rows:
        row = redactor.record(raw)
        cells = [cell_text(get_path(row, c.key), c.fmt) for c in HEALTH_COLUMNS]
        style = "red" if row.get("state") == "unhealthy" else None
        table.add_row(*cells, style=style)
    return table


@app.command("health", epilog="Examples:\n\n  eclictl nodes health\n\n  eclictl nodes health node-ams-2\n\n"
             "  eclictl nodes health --watch 10\n\n  eclictl nodes health -o json | jq '.[] | select(.state==\"unhealthy\")'")
@command()
def health(
    node: Annotated[Optional[str], typer.Argument(metavar="[ID|NAME]", help="Only this node.",
                                                  show_default=False)] = None,
    watch: Annotated[Optional[float], typer.Option(
        "--watch", metavar="SECONDS", help=f"Redraw a live table every SECONDS (>= {MIN_WATCH:g}) until Ctrl-C. "
        "Needs a terminal and table output; otherwise it is a usage error (loop `-o json` in scripts).",
        rich_help_panel=WATCH_PANEL, show_default=False)] = None,
    iterations: Annotated[Optional[int], typer.Option("--iterations", hidden=True, min=1)] = None,
) -> Any:
    """The panel's health verdict per node: state, last ping latency and age (panel→node pings)."""
    from eclictl.context import current
    from eclictl.output.render import View

    ctx = current()
    if watch is None:
        rows = _health_rows(ctx, node)
        return View(rows, columns=HEALTH_COLUMNS, id_field="id", empty="no nodes found")
    if watch < MIN_WATCH:
        raise UsageError(f"--watch must be at least {MIN_WATCH:g} seconds")
    if not ctx.io.stdout_tty or ctx.output_format != "table":
        raise UsageError("--watch needs a terminal and table output",
                         hint="in scripts run `eclictl nodes health -o json` in a loop")
    from rich.console import Console
    from rich.live import Live

    console = Console(file=ctx.io.stdout, force_terminal=True, no_color=ctx.no_color)
    with Live(console=console, auto_refresh=False) as live:
        ctx.every(watch, lambda: live.update(_health_table(ctx, _health_rows(ctx, node)), refresh=True),
                  iterations=iterations)
    return None


# -- heartbeats ------------------------------------------------------------------------------


@app.command("heartbeats", epilog="Examples:\n\n  eclictl nodes heartbeats 2\n\n"
             "  eclictl nodes heartbeats node-ams-2 --since 30m\n\n  eclictl nodes heartbeats 2 --since 7d -o json")
@command()
def heartbeats(
    node: NodeArg,
    since: Annotated[str, typer.Option("--since", help="How far back: 30m, 6h, 2d (max 7d) or an ISO time.",
                                       rich_help_panel=FILTER_PANEL)] = "24h",
    limit: opt(int, "--limit", "-n", help="Only the newest N pings.", panel=FILTER_PANEL) = None,
) -> Any:
    """The panel's pings of one node (30 s apart), oldest first, with a latency sparkline on a terminal."""
    from eclictl.context import current
    from eclictl.output.render import View

    ctx = current()
    back = _since_seconds(since)
    if limit is not None and limit < 1:
        raise UsageError("--limit must be at least 1")
    ident = _node_id(ctx, node)
    window = "24h" if back <= 86400 else "7d"
    body = _get_dated(ctx, f"{PATH}/{ident}/heartbeats", {"window": window})
    body = body if isinstance(body, dict) else {}
    points = [p for p in body.get("points") or [] if isinstance(p, dict)]
    if not points:  # the panel answers an unknown node with no pings and 100 % uptime
        from eclictl.sections._exists import confirm_exists

        confirm_exists(ctx, lambda: ctx.api.get(f"{PATH}/{ident}"), f"no node {ident}")
    cutoff = back
    kept = [p for p in points if (_seconds_ago(p.get("timestamp")) or 0) <= cutoff]
    if limit is not None:
        kept = kept[-limit:]
    if ctx.io.stderr_tty and kept:
        ms = [p.get("responseMs") for p in kept]
        nums = [v for v in ms if isinstance(v, (int, float))]
        ctx.io.stderr.write(f"latency {sparkline(ms[-80:])}  min {min(nums, default=0)} ms · "
                            f"max {max(nums, default=0)} ms · {len(kept)} pings\n")
    summary = body.get("summary") if isinstance(body.get("summary"), dict) else {}
    return View(kept, columns=POINT_COLUMNS, id_field="timestamp", empty="no pings in that window",
                json_data={"node": ident, "points": kept, "summary": summary})


# -- create / edit / delete ------------------------------------------------------------------


def _read_token(ctx: Any, token: str | None, generate: bool) -> str:
    if generate == (token is not None):
        raise UsageError("give exactly one of --token and --generate-token")
    if token == "-":
        token = ctx.io.stdin.read().strip()
        if not token:
            raise UsageError("no token on stdin")
    if token is not None:
        return token
    body = ctx.api.request("GET", f"{PATH}/generate-token", keep=frozenset({"token"})).data
    value = body.get("token") if isinstance(body, dict) else None
    if not isinstance(value, str) or not value:
        raise UsageError("the panel did not return a token")
    return value


def _node_view(body: Any, fallback: dict[str, Any]) -> Any:
    node = body.get("node") if isinstance(body, dict) else None
    return detail_view(NODES, clean(node) if isinstance(node, dict) else fallback)


def _node_body(name: str | None, url: str | None, fqdn: str | None, node_type: str | None, uuid: str | None,
               deployments: bool | None, assignments: list[str] | None, *, creating: bool) -> dict[str, Any]:
    """create/edit: the named options, then the --set pairs, as one body with every field checked."""
    pairs = _named(name=name, url=url, fqdn=fqdn, nodeType=node_type, nodeId=uuid,
                   deploymentsDisabled=None if deployments is None else not deployments)
    return _assignments(pairs + list(assignments or []), creating=creating)


NameOpt = opt(str, "--name", help="Unique node name.", panel=NEW_PANEL)
UrlOpt = opt(str, "--url", help="Public Wings URL, e.g. https://fra1.example:8080.", panel=NEW_PANEL)
FqdnOpt = opt(str, "--fqdn", help="Node host name.", panel=NEW_PANEL)
TypeOpt = opt(str, "--type", help="free, paid, free_and_paid or enterprise.", panel=NEW_PANEL)
UuidOpt = opt(str, "--uuid", help="Wings node UUID (nodeId).", panel=NEW_PANEL)
DeployOpt = opt(bool, "--deployments/--no-deployments", help="Allow new servers on this node.", panel=NEW_PANEL)
SetOpt = opt(list[str], "--set", metavar="FIELD=VALUE", help="Any writable field, typed and checked before sending. "
             "Empty/null values are refused on edit: the panel ignores them (only ipv6ExcludedPorts= clears).",
             panel=NEW_PANEL)


@app.command("create", epilog="Examples:\n\n  eclictl nodes create --name node-fra-2 --url https://fra2.example:8080 "
             "--generate-token\n\n  echo \"$WINGS_TOKEN\" | eclictl nodes create --name fra-3 --url https://fra3.example:8080 "
             "--token - --type paid --set portRangeStart=25565 --set portRangeEnd=25665")
@command()
def create(
    name: NameOpt = None,
    url: UrlOpt = None,
    token: opt(str, "--token", help="The Wings token; '-' reads it from stdin.", panel=NEW_PANEL) = None,
    generate_token: bool_opt("--generate-token", help="Let the panel mint a random token (needs nodes:read-creds; "
                             "read it later with `eclictl nodes token`).", panel=NEW_PANEL) = False,
    fqdn: FqdnOpt = None,
    node_type: TypeOpt = None,
    uuid: UuidOpt = None,
    deployments: DeployOpt = None,
    assignments: SetOpt = None,
    dry_run: DryRunOpt = False,
) -> Any:
    """Register a node; every field is validated first (the panel saves before it validates)."""
    from eclictl.context import current

    ctx = current()
    body = _node_body(name, url, fqdn, node_type, uuid, deployments, assignments, creating=True)
    if not body.get("name") or not body.get("url"):
        raise UsageError("--name and --url are required")
    if body.get("provider") == "proxmox":
        raise UsageError("Proxmox nodes need a secret; create them in the web portal")
    _check_ranges(body)
    if dry_run:
        return detail_view(NODES, body)
    body["token"] = _read_token(ctx, token, generate_token)
    answer = ctx.api.post(PATH, body)
    ctx.info("node created; show its Wings token with `eclictl nodes token <id>`")
    return _node_view(answer, {k: v for k, v in body.items() if k != "token"})


@app.command("edit", epilog="Examples:\n\n  eclictl nodes edit node-fra-1 --no-deployments "
             "--set deploymentNotice='Maintenance until 18:00'\n\n  eclictl nodes edit 3 --set serverLimit=80 --set cost=49.5")
@command(writes=True)
def edit(
    node: NodeArg,
    name: NameOpt = None,
    url: UrlOpt = None,
    fqdn: FqdnOpt = None,
    node_type: TypeOpt = None,
    uuid: UuidOpt = None,
    deployments: DeployOpt = None,
    assignments: SetOpt = None,
) -> Any:
    """Change node settings (`PUT /api/nodes/:id`); the token cannot be changed and fields cannot be cleared."""
    from eclictl.context import current

    ctx = current()
    body = _node_body(name, url, fqdn, node_type, uuid, deployments, assignments, creating=False)
    if not body:
        raise UsageError("nothing to change", hint="pass --set field=value or a named option")
    _check_ranges(body)
    ident = _node_id(ctx, node)  # always the numeric id: a UUID makes the panel answer "node": null
    answer = ctx.api.put(f"{PATH}/{ident}", body)
    fresh = answer.get("node") if isinstance(answer, dict) else None  # the handler re-reads it after saving
    if not isinstance(fresh, dict):
        fresh = ctx.api.get(f"{PATH}/{ident}")
    record = clean(fresh) if isinstance(fresh, dict) else None
    if record is not None:
        record = {**record, "orgId": (record.get("organisation") or {}).get("id", record.get("orgId"))}
    from eclictl.writes import verify_applied

    verify_applied(body, record, what=f"node {ident}", skip=NODE_SECRETS)
    return detail_view(NODES, {k: v for k, v in record.items() if k != "orgId" or "orgId" in fresh})


def _delete_node(ctx: Any, ref: str) -> Any:
    from eclictl.api.errors import ApiServerError

    ident = _node_id(ctx, ref)
    try:
        ctx.api.delete(f"{PATH}/{ident}")
    except ApiServerError as exc:
        raise ApiServerError(f"{exc.message} (servers still mapped to node {ident}? move or delete them first)",
                             status=exc.status, method=exc.method, path=exc.path, body=exc.body) from None
    return None


def _some(ctx: Any, items: list[str]) -> list[str]:
    if not items:
        raise UsageError("no nodes given")
    return items


NODES = register(dataclasses.replace(NODES, writes=(
    Bulk("delete", "Delete nodes (fails while servers are still mapped to the node; move them first).",
         "Examples:\n\n  eclictl nodes delete 7 --yes\n\n  eclictl nodes list --unhealthy -o ids | eclictl nodes delete - --yes",
         "delete nodes", "ID|NAME...", "Nodes; '-' reads ids from stdin.", _delete_node, items=_some,
         question=lambda items: f"Delete {len(items)} node(s): {', '.join(items[:10])}? Servers on them lose their node."),
)))
add_writes(app, NODES, "delete")


# -- the one secret --------------------------------------------------------------------------

@app.command("token", epilog="Examples:\n\n  eclictl nodes token 3\n\n  eclictl nodes token node-fra-1 --no-redact "
             "| wl-copy")
@command()
def token(node: NodeArg) -> Any:
    """Print the node's Wings token (a secret: only this command shows it; refused under --redact)."""
    from eclictl.context import current
    from eclictl.output.render import View

    ctx = current()
    _redact_guard(ctx)
    ident = _node_id(ctx, node)
    body = ctx.api.request("GET", f"{PATH}/{ident}/token", keep=frozenset({"token"})).data
    value = body.get("token") if isinstance(body, dict) else None
    if not isinstance(value, str) or not value:
        raise NotFoundError(f"the panel returned no token for node {ident}")
    return View(value, json_data={"id": ident, "token": value})
