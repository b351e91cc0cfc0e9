"""Servers tab: `/api/admin/servers*`, mounts and Wings sync (../shared/api/servers.md).

Actions that reach Wings fail with a bare 404/502 when the server's node is offline; every such
verb asks the list route (which knows node health) and explains the failure instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Callable, Optional

import typer

from eclictl.api.pagination import PageSpec
from eclictl.errors import EclictlError, ExitCode, NotFoundError, RejectedError, UsageError
from eclictl.options import SAFETY_PANEL, DryRunOpt, YesOpt, command, parse_assignments
from eclictl.output.columns import Col
from eclictl.sections._spec import Filter, Section, build, detail_view

EDIT_PANEL = "Changes"
LIMITS_PANEL = "Limits"
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")

#: What --redact masks beyond the built-in PII keys (servers.md §6); `environment` values (also
#: inside a live item's `configuration`) may hold passwords, so the whole subtree is masked.
SENSITIVE = {"name": "servers", "suspendedBy": "pii", "dmcaBy": "pii", "suspendedReason": "pii",
             "dmcaReason": "pii", "emailRecipient": "pii", "environment": "subtree"}


@dataclass(frozen=True)
class ServerSection(Section):
    """Server ids are UUID strings; anything else is looked up as an exact name."""

    def coerce_id(self, ref: str) -> Any:
        return ref if _UUID_RE.match(ref.strip()) else None


SERVERS = ServerSection(
    name="servers",
    help="Servers: list, show, create, edit, power, suspend, throttle, dedicated IPs, mounts, Wings sync.",
    path="/api/admin/servers",
    pages=PageSpec(items_key="servers", page_param="page", page_size=50, total_key="total"),
    columns=(Col("uuid", "UUID"), Col("name"), Col("status"), Col("nodeName", "NODE"),
             Col("userId", "OWNER"), Col("is_suspended", "SUSPENDED"), Col("eggId", "EGG")),
    id_field="uuid",
    id_type=str,
    search_param="q",
    show_path="/api/admin/servers/{id}",
    show_key="server",
    permission="admin:servers:read",
    tab="servers",
    web_param="viewServer",
    sensitive=SENSITIVE,
    filters=(
        Filter("query", "Substring of the name, UUID or node name (server-side).", param="q", short="-q"),
        Filter("status", "Only this status: running, offline, suspended, unavailable (node offline), "
                         "unknown, hibernated...", field="status"),
        Filter("node", "Only servers whose node name contains this.", field="nodeName"),
        Filter("suspended", "Only suspended servers.", field="is_suspended", is_flag=True),
    ),
    verbs=("list", "show"),
    examples=(
        "eclictl servers list -q minecraft",
        "eclictl servers list --status unavailable -o json",
        "eclictl servers list --all -o ids --suspended",
        "eclictl servers show 0b6c8a52-6f0e-4d8e-9a51-2f1d6a0c1e01",
        "eclictl servers show lobby-1 -o json --redact",
    ),
)

app = build(SERVERS)


# -- helpers ----------------------------------------------------------------------------------

class NodeOfflineError(EclictlError):
    """The panel could not reach the Wings node hosting the server."""

    exit_code = ExitCode.ERROR


def server_id(ref: str) -> str:
    """A server UUID for a reference (UUID or exact name)."""
    from eclictl.context import current

    return str(SERVERS.resolve_id(current().api, ref.strip()))


def _norm(value: Any) -> str:
    return str(value or "").replace("-", "").lower()


def _server_path(uuid: str, suffix: str = "") -> str:
    return f"/api/admin/servers/{uuid}{suffix}"


def live_item(api: Any, uuid: str) -> dict[str, Any] | None:
    """The server's list item, which tells whether its node answered (status unavailable/unknown)."""
    from eclictl.api.errors import ApiError

    try:
        for row in SERVERS.iter_rows(api, {"q": uuid}, limit=200):
            if _norm(row.get("uuid")) == _norm(uuid):
                return row
    except ApiError:
        return None
    return None


def explain(api: Any, uuid: str, exc: Exception, action: str) -> Exception:
    """Turn a bare 404/502 from a node-touching route into 'node X is offline' when that is why."""
    from eclictl.api.errors import ApiError, ApiNotFoundError, ApiStatusError

    if not isinstance(exc, ApiStatusError) or exc.status not in (404, 502, 504):
        return exc
    try:
        body = api.get(_server_path(uuid)) or {}
    except ApiNotFoundError:
        return NotFoundError(f"no server '{uuid}'")
    except ApiError:
        return exc
    server = body.get("server") if isinstance(body, dict) and isinstance(body.get("server"), dict) else {}
    item = live_item(api, uuid) or {}
    node = item.get("nodeName") or (f"#{server['nodeId']}" if server.get("nodeId") is not None else "?")
    status = item.get("status")
    if status == "unavailable":
        err = NodeOfflineError(f"{action} {uuid}: node {node} is offline; the panel could not reach Wings",
                               hint="nothing was changed on Wings; retry when the node is back "
                                    "(its heartbeats: eclictl nodes list)")
        return err
    if status == "unknown" or exc.status in (502, 504):
        err = NodeOfflineError(f"{action} {uuid}: node {node} did not answer for this server "
                               f"(Wings unreachable, or it no longer has the server): {exc.message}",
                               hint="check the node; `eclictl servers sync to-wings` recreates missing servers")
        err.exit_code = exc.exit_code if status == "unknown" and exc.status == 404 else ExitCode.ERROR
        return err
    return exc


def act(api: Any, uuid: str, action: str, call: Callable[[], Any]) -> Any:
    """Run a node-touching request; failures are explained (offline node, missing server)."""
    from eclictl.api.errors import ApiError

    try:
        return call()
    except ApiError as exc:
        raise explain(api, uuid, exc, action) from None


def warn_if_offline(ctx: Any, uuid: str, what: str) -> None:
    """Routes that swallow Wings errors still say success: tell the user when Wings missed it."""
    item = live_item(ctx.api, uuid)
    if item and item.get("status") in ("unavailable", "unknown"):
        ctx.warn(f"node {item.get('nodeName') or '?'} is {'offline' if item['status'] == 'unavailable' else 'not answering'}: "
                 f"{what} is saved in the panel but Wings was not updated; it applies at the next sync")


def _size(value: str | None, flag: str = "--memory") -> Any:
    """Sizes go to the panel as typed: 2048 (MB) or '2G' (the panel parses units, with the grammar
    units.py checks here first)."""
    if value is None:
        return None
    from eclictl.units import size_option

    size_option(flag, value)
    text = value.strip()
    return int(text) if text.isdigit() else text


def _cpu(value: str | None) -> Any:
    if value is None:
        return None
    from eclictl.units import parse_cpu_percent

    if parse_cpu_percent(value) is None:
        raise UsageError(f"--cpu must be a percentage (100 = one core), '150%' or '1.5 cores', got '{value}'")
    text = value.strip()
    return int(text) if text.isdigit() else text


def _owner(ctx: Any, ref: str | None) -> int | None:
    if ref is None:
        return None
    from eclictl.sections.users import resolve_user_id

    return resolve_user_id(ctx.api, ref)


def _pick(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


# -- create / edit ----------------------------------------------------------------------------

@app.command("create", epilog="Examples:\n\n  eclictl servers create --node 1 --owner 42 --egg 3 --name lobby "
             "--memory 2G --disk 20G --cpu 150\n\n  eclictl servers create --node 2 --name test -o json")
@command(writes=True)
def create(
    node: Annotated[int, typer.Option("--node", help="Node id to create the server on.", show_default=False)],
    owner: Annotated[Optional[str], typer.Option("--owner", metavar="USER", help="Owner: user id or exact e-mail "
                                                 "(default: you; an id is not checked).", show_default=False)] = None,
    egg: Annotated[Optional[int], typer.Option("--egg", help="Egg id (an unknown id is silently ignored).",
                                               show_default=False)] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Server name.", show_default=False)] = None,
    memory: Annotated[Optional[str], typer.Option("--memory", help="MB or a size like 2G [1024].",
                                                  rich_help_panel=LIMITS_PANEL, show_default=False)] = None,
    disk: Annotated[Optional[str], typer.Option("--disk", help="MB or a size like 20G [10240].",
                                                rich_help_panel=LIMITS_PANEL, show_default=False)] = None,
    cpu: Annotated[Optional[str], typer.Option("--cpu", help="Percent of one core (150) or '1.5 cores' [100].",
                                               rich_help_panel=LIMITS_PANEL, show_default=False)] = None,
) -> Any:
    """Create a server on a node (Wings installs it; no ports are assigned)."""
    from eclictl.context import current

    ctx = current()
    body = _pick(nodeId=node, userId=_owner(ctx, owner), eggId=egg, name=name, memory=_size(memory),
                 disk=_size(disk, "--disk"), cpu=_cpu(cpu))
    created = ctx.api.post("/api/admin/servers", body, timeout=90.0) or {}
    uuid = created.get("uuid")
    ctx.info(f"created server {uuid} on node {node}; no ports are assigned: add them with "
             f"`eclictl servers edit {uuid} --allocation IP:PORT`")
    if not uuid:
        return created
    return detail_view(SERVERS, SERVERS.fetch(ctx.api, str(uuid)))


def _allocations(values: list[str]) -> list[dict[str, Any]]:
    """IP:PORT[=FQDN] values; the first is the default allocation."""
    out: list[dict[str, Any]] = []
    for i, raw in enumerate(values):
        spec, _, fqdn = raw.partition("=")
        host, sep, port = spec.rpartition(":")
        host = host.strip("[]")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise UsageError(f"--allocation expects IP:PORT[=FQDN], got '{raw}'")
        entry: dict[str, Any] = {"ip": host, "port": int(port), "is_default": i == 0}
        if fqdn:
            entry["fqdn"] = fqdn
        out.append(entry)
    return out


def _env_pairs(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in values:
        if "=" not in pair:
            raise UsageError(f"--env expects KEY=VALUE, got '{pair}'")
        key, value = pair.split("=", 1)
        out[key.strip()] = value
    return out


@app.command("edit", epilog="Examples:\n\n  eclictl servers edit lobby-1 --memory 4G --cpu 200\n\n"
             "  eclictl servers edit 0b6c8a52-6f0e-4d8e-9a51-2f1d6a0c1e01 --env MOTD=hello --unset-env DEBUG\n\n"
             "  eclictl servers edit lobby-1 --allocation 203.0.113.10:25565 --allocation 203.0.113.10:25566\n\n"
             "  eclictl servers edit lobby-1 --set oomDisabled=true --dry-run")
@command()
def edit(
    ref: Annotated[str, typer.Argument(metavar="SERVER", help="Server UUID or exact name.")],
    name: Annotated[Optional[str], typer.Option("--name", rich_help_panel=EDIT_PANEL, show_default=False,
                                                help="New name.")] = None,
    description: Annotated[Optional[str], typer.Option("--description", rich_help_panel=EDIT_PANEL,
                                                       help="New description.", show_default=False)] = None,
    owner: Annotated[Optional[str], typer.Option("--owner", metavar="USER", help="Transfer to this user: id "
                                                 "(not validated) or exact e-mail.", rich_help_panel=EDIT_PANEL,
                                                 show_default=False)] = None,
    egg: Annotated[Optional[int], typer.Option("--egg", help="Egg id.", rich_help_panel=EDIT_PANEL,
                                               show_default=False)] = None,
    memory: Annotated[Optional[str], typer.Option("--memory", help="MB or size like 4G.",
                                                  rich_help_panel=LIMITS_PANEL, show_default=False)] = None,
    disk: Annotated[Optional[str], typer.Option("--disk", help="MB or size like 40G.",
                                                rich_help_panel=LIMITS_PANEL, show_default=False)] = None,
    cpu: Annotated[Optional[str], typer.Option("--cpu", help="Percent of one core, or '2 cores'.",
                                               rich_help_panel=LIMITS_PANEL, show_default=False)] = None,
    swap: Annotated[Optional[int], typer.Option("--swap", help="Swap in MB.", rich_help_panel=LIMITS_PANEL,
                                                show_default=False)] = None,
    threads: Annotated[Optional[str], typer.Option("--threads", help="CPU pinning like 0-3,5 (the panel cannot "
                                                   "clear it: an empty value is ignored).",
                                                   rich_help_panel=LIMITS_PANEL, show_default=False)] = None,
    env: Annotated[Optional[list[str]], typer.Option("--env", help="KEY=VALUE; merged into the current "
                                                     "environment (the panel replaces it whole).",
                                                     rich_help_panel=EDIT_PANEL, show_default=False)] = None,
    unset_env: Annotated[Optional[list[str]], typer.Option("--unset-env", help="Remove this variable.",
                                                           rich_help_panel=EDIT_PANEL, show_default=False)] = None,
    allocation: Annotated[Optional[list[str]], typer.Option(
        "--allocation", help="IP:PORT[=FQDN]; replaces all allocations (dedicated IPs stay); first = default.",
        rich_help_panel=EDIT_PANEL, show_default=False)] = None,
    clear_allocations: Annotated[bool, typer.Option("--clear-allocations", help="Remove every allocation "
                                                    "except dedicated IPs.", rich_help_panel=EDIT_PANEL)] = False,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Any other field=value (typed), e.g. "
                                                      "hibernated=true, ioWeight=300.",
                                                      rich_help_panel=EDIT_PANEL, show_default=False)] = None,
    dry_run: DryRunOpt = False,
) -> Any:
    """Change a server's settings and limits, then sync it to Wings."""
    from eclictl.context import current

    ctx = current()
    if allocation and clear_allocations:
        raise UsageError("--allocation and --clear-allocations are exclusive")
    body: dict[str, Any] = parse_assignments(set_ or [])
    body.update(_pick(name=name, description=description, eggId=egg, memory=_size(memory),
                      disk=_size(disk, "--disk"), cpu=_cpu(cpu), swap=swap, threads=threads))
    from eclictl.writes import refuse_clears

    # adminHandler.ts PUT /admin/servers/:id: an empty `threads` becomes undefined (kept as it was).
    refuse_clears(body, ("threads",), where="a server")
    if owner is not None:
        body["userId"] = _owner(ctx, owner)
    if allocation:
        body["allocations"] = _allocations(allocation)
    if clear_allocations:
        body["allocations"] = []
    uuid = server_id(ref)
    if env or unset_env:
        current_env = (SERVERS.fetch(ctx.api, uuid).get("environment") or {})
        merged = {**current_env, **_env_pairs(env or [])}
        for key in unset_env or []:
            merged.pop(key, None)
        body["environment"] = merged
    if not body:
        raise UsageError("nothing to change", hint="pass an option such as --memory, --name or --set field=value")
    if dry_run:
        return {"uuid": uuid, "method": "PUT", "path": _server_path(uuid), "body": body}
    result = ctx.api.put(_server_path(uuid), body) or {}
    warn_if_offline(ctx, uuid, "the change")
    server = result.get("server") if isinstance(result, dict) else None
    return detail_view(SERVERS, server if isinstance(server, dict) else SERVERS.fetch(ctx.api, uuid))


# -- delete / suspend / power (bulk) ----------------------------------------------------------

def _bulk(ctx: Any, refs: list[str], action: str, yes: bool, dry_run: bool, fn: Callable[[str], Any],
          *, confirm: bool = True) -> Any:
    """Shared shape of the multi-server verbs: ids from args or stdin, confirm, per-item report."""
    from eclictl.bulk import confirm_and_run

    items = ctx.read_ids(refs)
    question = f"{action.capitalize()} {len(items)} server(s): {', '.join(items[:10])}?" if confirm else None
    return confirm_and_run(ctx, f"{action} servers", items, fn, question=question, what=f"{action} servers",
                           yes=yes, dry_run=dry_run, dry_action=action)


RefsArg = Annotated[list[str], typer.Argument(metavar="SERVER...", help="UUIDs or exact names; '-' reads stdin.")]
BulkDryRun = Annotated[bool, typer.Option("--dry-run", help="List what would be done; do nothing.",
                                          rich_help_panel=SAFETY_PANEL)]


@app.command("delete", epilog="Examples:\n\n  eclictl servers delete 0b6c8a52-6f0e-4d8e-9a51-2f1d6a0c1e01 --yes\n\n"
             "  eclictl servers list -q old- -o ids | eclictl servers delete - --dry-run")
@command(bulk=True)
def delete(refs: RefsArg, yes: YesOpt = False, dry_run: BulkDryRun = False) -> Any:
    """Delete servers on Wings and in the panel (a server whose node is gone cannot be deleted)."""
    from eclictl.context import current

    ctx = current()

    def one(ref: str) -> Any:
        uuid = server_id(ref)
        return act(ctx.api, uuid, "delete", lambda: ctx.api.delete(_server_path(uuid)))

    return _bulk(ctx, refs, "delete", yes, dry_run, one)


@app.command("suspend", epilog="Examples:\n\n  eclictl servers suspend lobby-1 --reason 'crypto mining'\n\n"
             "  eclictl servers list -q miner -o ids | eclictl servers suspend - --reason abuse --yes\n\n"
             "  eclictl servers suspend 0b6c8a52-6f0e-4d8e-9a51-2f1d6a0c1e01 --dmca --reason 'DMCA #123' --yes")
@command(bulk=True)
def suspend(
    refs: RefsArg,
    reason: Annotated[Optional[str], typer.Option("--reason", "-r", help="Shown to the owner [Suspended by "
                                                  "administrator].", show_default=False)] = None,
    dmca: Annotated[bool, typer.Option("--dmca", help="Mark as a DMCA takedown (deletion date +30 days).")] = False,
    yes: YesOpt = False,
    dry_run: BulkDryRun = False,
) -> Any:
    """Suspend servers: kill them, stop them on Wings, notify the owner."""
    from eclictl.context import current

    ctx = current()
    body = _pick(reason=reason, dmca=True if dmca else None)

    def one(ref: str) -> Any:
        uuid = server_id(ref)
        res = act(ctx.api, uuid, "suspend", lambda: ctx.api.post(_server_path(uuid, "/suspend"), body)) or {}
        if res.get("emailSent"):
            return ("done", "owner notified")
        return ("done", f"owner not notified: {res.get('emailReason') or 'unknown reason'}")

    return _bulk(ctx, refs, "suspend", yes, dry_run, one)


@app.command("unsuspend", epilog="Examples:\n\n  eclictl servers unsuspend lobby-1 --yes\n\n"
             "  eclictl servers list --suspended -o ids | eclictl servers unsuspend - --dry-run")
@command(bulk=True)
def unsuspend(refs: RefsArg, yes: YesOpt = False, dry_run: BulkDryRun = False) -> Any:
    """Lift suspensions (DMCA flags stay: such servers remain suspended on Wings)."""
    from eclictl.context import current

    ctx = current()

    def one(ref: str) -> Any:
        uuid = server_id(ref)
        server = SERVERS.fetch(ctx.api, uuid)
        act(ctx.api, uuid, "unsuspend", lambda: ctx.api.post(_server_path(uuid, "/unsuspend")))
        if server.get("dmca"):
            return ("done", "DMCA flags remain set: Wings keeps the server suspended")
        return ("done", "")

    return _bulk(ctx, refs, "unsuspend", yes, dry_run, one)


class PowerAction(str, Enum):
    start = "start"
    stop = "stop"
    restart = "restart"
    kill = "kill"


@app.command("power", epilog="Examples:\n\n  eclictl servers power start lobby-1\n\n"
             "  eclictl servers power restart 0b6c8a52-6f0e-4d8e-9a51-2f1d6a0c1e01 --yes\n\n"
             "  eclictl servers list --node node-2 -o ids | eclictl servers power stop - --yes")
@command(bulk=True)
def power(
    action: Annotated[PowerAction, typer.Argument(help="start, stop, restart or kill.")],
    refs: RefsArg,
    yes: YesOpt = False,
    dry_run: BulkDryRun = False,
) -> Any:
    """Start, stop, restart or kill servers (stop/restart/kill ask first; --yes in scripts)."""
    from eclictl.context import current

    ctx = current()
    verb = action.value

    def one(ref: str) -> Any:
        uuid = server_id(ref)
        res = act(ctx.api, uuid, verb, lambda: ctx.api.post(_server_path(uuid, "/power"), {"action": verb},
                                                            timeout=60.0))
        if isinstance(res, dict) and res.get("success") is False:
            why = res.get("message") or res.get("error") or "the panel refused"
            if res.get("blockedByDice"):
                why = f"blocked by the panel's gambling mode (roll {res.get('roll')}): {why}"
            raise RejectedError(why)
        return ("done", "synced to Wings first" if isinstance(res, dict) and res.get("synced") else "")

    return _bulk(ctx, refs, verb, yes, dry_run, one, confirm=verb != "start")


@app.command("mark-started", epilog="Examples:\n\n  eclictl servers mark-started lobby-1")
@command(writes=True)
def mark_started(ref: Annotated[str, typer.Argument(metavar="SERVER", help="Server UUID or exact name.")]) -> Any:
    """Treat any console output as 'started' (for eggs whose startup line never matches)."""
    from eclictl.context import current

    ctx = current()
    uuid = server_id(ref)
    res = ctx.api.post(_server_path(uuid, "/mark-started")) or {}
    warn_if_offline(ctx, uuid, "the start detection override")
    return {"uuid": uuid, "success": bool(res.get("success", True)), "processConfig": res.get("processConfig")}


def _duration(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text)
    if not m:
        raise UsageError(f"--duration expects seconds or 30s/15m/2h/1d, got '{text}'")
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


@app.command("throttle", epilog="Examples:\n\n  eclictl servers throttle lobby-1\n\n"
             "  eclictl servers throttle lobby-1 --cpu 10 --duration 2h --reason 'mining suspected'")
@command(writes=True)
def throttle(
    ref: Annotated[str, typer.Argument(metavar="SERVER", help="Server UUID or exact name.")],
    cpu: Annotated[Optional[int], typer.Option("--cpu", help="CPU cap in percent, 5-100 [panel default 20].",
                                               show_default=False)] = None,
    duration: Annotated[Optional[str], typer.Option("--duration", help="30s-1d, e.g. 900, 15m, 2h [panel "
                                                    "default 15m].", show_default=False)] = None,
    reason: Annotated[Optional[str], typer.Option("--reason", help="Why (max 600 characters).",
                                                  show_default=False)] = None,
    source: Annotated[Optional[str], typer.Option("--source", help="Who asked (max 120) [antiabuse].",
                                                  show_default=False)] = None,
) -> Any:
    """Cap a server's CPU for a while (anti-abuse); the panel restores it afterwards."""
    from eclictl.context import current

    ctx = current()
    if cpu is not None and not 5 <= cpu <= 100:
        raise UsageError("--cpu must be between 5 and 100")
    seconds = _duration(duration) if duration is not None else None
    if seconds is not None and not 30 <= seconds <= 86400:
        raise UsageError("--duration must be between 30 s and 1 day")
    if reason is not None and len(reason) > 600:
        raise UsageError("--reason is limited to 600 characters")
    if source is not None and len(source) > 120:
        raise UsageError("--source is limited to 120 characters")
    uuid = server_id(ref)
    body = _pick(cpuLimitPercent=cpu, durationSeconds=seconds, reason=reason, source=source)
    res = act(ctx.api, uuid, "throttle", lambda: ctx.api.post(_server_path(uuid, "/throttle"), body)) or {}
    ctx.info("the restore timer lives in the panel process: a panel restart keeps the cap (servers.md §4)")
    return res


# -- dedicated IPs ----------------------------------------------------------------------------

dedicated_ip = typer.Typer(help="Dedicated IPs of KVM servers (feature dedicatedIps).", no_args_is_help=True)
app.add_typer(dedicated_ip, name="dedicated-ip")


def _ip_type(ip: str, given: str | None) -> str:
    import ipaddress

    try:
        version = ipaddress.ip_address(ip).version
    except ValueError:
        raise UsageError(f"'{ip}' is not an IP address") from None
    detected = "ipv4" if version == 4 else "ipv6"
    if given and given != detected:
        raise UsageError(f"{ip} is an {detected} address, not {given}")
    return detected


@dedicated_ip.command("add", epilog="Examples:\n\n  eclictl servers dedicated-ip add vm-1 203.0.113.50\n\n"
                      "  eclictl servers dedicated-ip add vm-1 2001:db8::50 --fqdn vm1.example.net")
@command(writes=True)
def ip_add(
    ref: Annotated[str, typer.Argument(metavar="SERVER", help="Server UUID or exact name.")],
    ip: Annotated[str, typer.Argument(help="The IPv4 or IPv6 address.")],
    type_: Annotated[Optional[str], typer.Option("--type", help="ipv4 or ipv6 (detected).",
                                                 show_default=False)] = None,
    fqdn: Annotated[Optional[str], typer.Option("--fqdn", help="Host name for the address.",
                                                show_default=False)] = None,
) -> Any:
    """Assign a dedicated IP to a KVM server and sync it."""
    from eclictl.context import current

    ctx = current()
    kind = _ip_type(ip, type_)
    uuid = server_id(ref)
    res = ctx.api.post(_server_path(uuid, "/dedicated-ip"), _pick(ip=ip, type=kind, fqdn=fqdn)) or {}
    warn_if_offline(ctx, uuid, "the dedicated IP")
    return {"uuid": uuid, "ip": res.get("ip", ip), "type": res.get("type", kind), "assigned": True}


@dedicated_ip.command("remove", epilog="Examples:\n\n  eclictl servers dedicated-ip remove vm-1 203.0.113.50")
@command(writes=True)
def ip_remove(
    ref: Annotated[str, typer.Argument(metavar="SERVER", help="Server UUID or exact name.")],
    ip: Annotated[str, typer.Argument(help="The address to remove.")],
) -> Any:
    """Remove a dedicated IP (and its port mappings) from a server."""
    from eclictl.context import current

    ctx = current()
    _ip_type(ip, None)
    uuid = server_id(ref)
    res = ctx.api.request("DELETE", _server_path(uuid, "/dedicated-ip"), json_body={"ip": ip}).data or {}
    warn_if_offline(ctx, uuid, "the removal")
    return {"uuid": uuid, "removed": res.get("removed", ip)}


# -- abuse reports ----------------------------------------------------------------------------

@app.command("abuse-reports", epilog="Examples:\n\n  eclictl servers abuse-reports lobby-1\n\n"
             "  eclictl servers abuse-reports lobby-1 -o json --redact")
@command()
def abuse_reports(ref: Annotated[str, typer.Argument(metavar="SERVER", help="Server UUID or exact name.")]) -> Any:
    """Anti-abuse incidents about a server (only the panel's 200 most recent are searched)."""
    from eclictl.context import current
    from eclictl.output.render import View

    ctx = current()
    uuid = server_id(ref)
    body = ctx.api.get(_server_path(uuid, "/abuse-reports")) or {}
    rows = body.get("reports") if isinstance(body, dict) else body
    if not rows:  # the panel answers an unknown UUID with no reports, too
        from eclictl.sections._exists import confirm_exists

        confirm_exists(ctx, lambda: ctx.api.get(_server_path(uuid)), f"no server {uuid}")
    cols = (Col("id"), Col("createdAt", "CREATED"), Col("status"), Col("detectionType", "DETECTION"),
            Col("enforcementAction", "ACTION"), Col("suspendSuccess", "SUSPENDED"), Col("nodeName", "NODE"),
            Col("sourceIp", "SOURCE"), Col("reason", max_width=40))
    return View(rows or [], columns=cols, sensitive=SENSITIVE, empty="no abuse reports")


# -- sync -------------------------------------------------------------------------------------

sync = typer.Typer(help="Sync server configurations between the panel and Wings.", no_args_is_help=True)
app.add_typer(sync, name="sync")


@sync.command("to-wings", epilog="Examples:\n\n  eclictl servers sync to-wings --yes")
@command()
def sync_to_wings(yes: YesOpt = False) -> Any:
    """Queue creating every panel server missing on its node (runs egg install scripts)."""
    from eclictl.context import current

    ctx = current()
    ctx.confirm("Create every server missing on Wings (install scripts run unless skipped)?", yes=yes,
                what="sync servers to Wings")
    res = ctx.api.post("/api/admin/sync-wings") or {}
    ctx.info("runs in the background; the counts appear in your activity log (eclictl logs list --user <you>)")
    return res


@sync.command("from-wings", epilog="Examples:\n\n  eclictl servers sync from-wings --yes -o json")
@command()
def sync_from_wings(yes: YesOpt = False) -> Any:
    """Import servers that exist on Wings but not in the panel (with default limits, you as owner)."""
    from eclictl.context import current
    from eclictl.errors import PartialFailure

    ctx = current()
    ctx.confirm("Import unknown Wings servers? New configs get default limits and you as owner.", yes=yes,
                what="import servers from Wings")
    res = ctx.api.post("/api/admin/servers/sync-from-wings", timeout=600.0) or {}
    errors = res.get("errors") or [] if isinstance(res, dict) else []
    if res.get("created"):
        ctx.warn("imported servers have default limits and you as owner; fix them with `servers edit` "
                 "before the next sync pushes those defaults to Wings")
    if errors:
        ctx.emit(res)
        for line in errors:
            ctx.warn(str(line))
        raise PartialFailure(f"sync from Wings: {len(errors)} node(s) could not be read")
    return res


# -- mounts (list, create, edit, delete: eclictl/sections/_servers_mounts.py) ------------------

from eclictl.sections._servers_mounts import mounts  # noqa: E402

app.add_typer(mounts, name="mounts")


@mounts.command("attach", epilog="Examples:\n\n  eclictl servers mounts attach lobby-1 2")
@command(writes=True)
def mounts_attach(
    ref: Annotated[str, typer.Argument(metavar="SERVER", help="Server UUID or exact name.")],
    mount_id: Annotated[int, typer.Argument(metavar="MOUNT", help="Mount id.")],
) -> Any:
    """Attach a mount to a server (applies at the server's next sync, e.g. an edit)."""
    from eclictl.context import current

    ctx = current()
    uuid = server_id(ref)
    ctx.api.post(_server_path(uuid, "/mounts"), {"mountId": mount_id})
    ctx.info("the panel does not sync on attach: the mount reaches Wings at the server's next sync")
    return {"uuid": uuid, "mountId": mount_id, "attached": True}


@mounts.command("detach", epilog="Examples:\n\n  eclictl servers mounts detach lobby-1 2")
@command(writes=True)
def mounts_detach(
    ref: Annotated[str, typer.Argument(metavar="SERVER", help="Server UUID or exact name.")],
    mount_id: Annotated[int, typer.Argument(metavar="MOUNT", help="Mount id.")],
) -> Any:
    """Detach a mount from a server."""
    from eclictl.context import current

    ctx = current()
    uuid = server_id(ref)
    ctx.api.delete(_server_path(uuid, f"/mounts/{mount_id}"))
    return {"uuid": uuid, "mountId": mount_id, "attached": False}
