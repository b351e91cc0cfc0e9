"""Servers tab: `/api/admin/servers*`, mounts and Wings sync (docs/panel/servers.md).

Actions that reach Wings fail with a bare 404/502 when the server's node is offline; every such
verb asks the list route (which knows node health) and explains the failure instead.
"""

from __future__ import annotations

from dataclasses import replace
from enum import Enum
from typing import Annotated, Any, Callable

import typer

from eclictl.errors import RejectedError, UsageError
from eclictl.options import SAFETY_PANEL, DryRunOpt, YesOpt, bool_opt, command, opt, parse_assignments
from eclictl.output.columns import Col
from eclictl.sections._servers_api import (SENSITIVE, SERVERS, ServerArg, _allocations, _cpu, _duration,  # noqa: F401
                                           _env_pairs, _ip_type, _owner, _server_path, _size, act, server_id,
                                           warn_if_offline)
from eclictl.sections._fields import Bulk, Field, Write, add_writes
from eclictl.sections._spec import build, detail_view, register
from eclictl.writes import given

EDIT_PANEL = "Changes"
LIMITS_PANEL = "Limits"


app = build(SERVERS)


# -- helpers ----------------------------------------------------------------------------------


# -- create / edit ----------------------------------------------------------------------------

def _owner_id(ref: str) -> int | None:
    from eclictl.context import current

    return _owner(current(), ref)


def _send_create(ctx: Any, method: str, path: str, body: dict[str, Any]) -> Any:
    return ctx.api.post(path, body, timeout=90.0) or {}  # the panel waits for Wings


def _created(ctx: Any, ident: Any, body: dict[str, Any], created: Any) -> Any:
    uuid = created.get("uuid")
    ctx.info(f"created server {uuid} on node {body['nodeId']}; no ports are assigned: add them with "
             f"`eclictl servers edit {uuid} --allocation IP:PORT`")
    if not uuid:
        return created
    return detail_view(SERVERS, SERVERS.fetch(ctx.api, str(uuid)))


CREATE = ("create",)
SERVERS = register(replace(SERVERS, fields=(
    Field("nodeId", "--node", int, "Node id to create the server on.", CREATE, required=True, show_default=False),
    Field("userId", "--owner", str, "Owner: user id or exact e-mail (default: you; an id is not checked).", CREATE,
          metavar="USER", check=_owner_id),
    Field("eggId", "--egg", int, "Egg id (an unknown id is silently ignored).", CREATE),
    Field("name", "--name", str, "Server name.", CREATE, sensitive=True),
    Field("memory", "--memory", str, "MB or a size like 2G [1024].", CREATE, panel=LIMITS_PANEL, check=_size),
    Field("disk", "--disk", str, "MB or a size like 20G [10240].", CREATE, panel=LIMITS_PANEL,
          check=lambda v: _size(v, "--disk")),
    Field("cpu", "--cpu", str, "Percent of one core (150) or '1.5 cores' [100].", CREATE, panel=LIMITS_PANEL,
          check=_cpu),
), writes=(
    Write("create", "Create a server on a node (Wings installs it; no ports are assigned).",
          "Examples:\n\n  eclictl servers create --node 1 --owner 42 --egg 3 --name lobby "
          "--memory 2G --disk 20G --cpu 150\n\n  eclictl servers create --node 2 --name test -o json",
          "POST", "/api/admin/servers", send=_send_create, reread=_created, view=lambda shown: shown),
)))
add_writes(app, SERVERS)


@app.command("edit", epilog="Examples:\n\n  eclictl servers edit lobby-1 --memory 4G --cpu 200\n\n"
             "  eclictl servers edit 0b6c8a52-6f0e-4d8e-9a51-2f1d6a0c1e01 --env MOTD=hello --unset-env DEBUG\n\n"
             "  eclictl servers edit lobby-1 --allocation 203.0.113.10:25565 --allocation 203.0.113.10:25566\n\n"
             "  eclictl servers edit lobby-1 --set oomDisabled=true --dry-run")
@command()
def edit(
    ref: ServerArg,
    name: opt(str, "--name", panel=EDIT_PANEL, help="New name.") = None,
    description: opt(str, "--description", panel=EDIT_PANEL, help="New description.") = None,
    owner: opt(str, "--owner", metavar="USER", help="Transfer to this user: id (not validated) or exact e-mail.",
               panel=EDIT_PANEL) = None,
    egg: opt(int, "--egg", help="Egg id.", panel=EDIT_PANEL) = None,
    memory: opt(str, "--memory", help="MB or size like 4G.", panel=LIMITS_PANEL) = None,
    disk: opt(str, "--disk", help="MB or size like 40G.", panel=LIMITS_PANEL) = None,
    cpu: opt(str, "--cpu", help="Percent of one core, or '2 cores'.", panel=LIMITS_PANEL) = None,
    swap: opt(int, "--swap", help="Swap in MB.", panel=LIMITS_PANEL) = None,
    threads: opt(str, "--threads", help="CPU pinning like 0-3,5 (the panel cannot clear it: an empty value is "
                 "ignored).", panel=LIMITS_PANEL) = None,
    env: opt(list[str], "--env", help="KEY=VALUE; merged into the current environment (the panel replaces it whole).",
             panel=EDIT_PANEL) = None,
    unset_env: opt(list[str], "--unset-env", help="Remove this variable.", panel=EDIT_PANEL) = None,
    allocation: opt(list[str], "--allocation", help="IP:PORT[=FQDN]; replaces all allocations (dedicated IPs stay); "
                    "first = default.", panel=EDIT_PANEL) = None,
    clear_allocations: bool_opt("--clear-allocations", help="Remove every allocation except dedicated IPs.",
                                panel=EDIT_PANEL) = False,
    set_: opt(list[str], "--set", help="Any other field=value (typed), e.g. hibernated=true, ioWeight=300.",
              panel=EDIT_PANEL) = None,
    dry_run: DryRunOpt = False,
) -> Any:
    """Change a server's settings and limits, then sync it to Wings."""
    from eclictl.context import current

    ctx = current()
    if allocation and clear_allocations:
        raise UsageError("--allocation and --clear-allocations are exclusive")
    body: dict[str, Any] = parse_assignments(set_ or [])
    body.update(given(name=name, description=description, eggId=egg, memory=_size(memory),
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
    return confirm_and_run(ctx, f"{action} servers", items, fn, question=_ask(action)(items) if confirm else None,
                           what=f"{action} servers", yes=yes, dry_run=dry_run, dry_action=action)


def _ask(action: str) -> Callable[[list[str]], str]:
    return lambda items: f"{action.capitalize()} {len(items)} server(s): {', '.join(items[:10])}?"


def _servers_verb(action: str, summary: str, epilog: str, one: Callable[..., Any]) -> Bulk:
    """A multi-server verb without options of its own (`_bulk` serves those with options)."""
    return Bulk(action, summary, epilog, f"{action} servers", "SERVER...", "UUIDs or exact names; '-' reads stdin.",
                one, question=_ask(action), dry_action=action, dry_help="List what would be done; do nothing.")


RefsArg = Annotated[list[str], typer.Argument(metavar="SERVER...", help="UUIDs or exact names; '-' reads stdin.")]
BulkDryRun = bool_opt("--dry-run", help="List what would be done; do nothing.", panel=SAFETY_PANEL)


def _delete(ctx: Any, ref: str) -> Any:
    uuid = server_id(ref)
    return act(ctx.api, uuid, "delete", lambda: ctx.api.delete(_server_path(uuid)))


add_writes(app, replace(SERVERS, writes=(
    _servers_verb("delete", "Delete servers on Wings and in the panel (a server whose node is gone cannot be deleted).",
                  "Examples:\n\n  eclictl servers delete 0b6c8a52-6f0e-4d8e-9a51-2f1d6a0c1e01 --yes\n\n"
                  "  eclictl servers list -q old- -o ids | eclictl servers delete - --dry-run", _delete),
)))


@app.command("suspend", epilog="Examples:\n\n  eclictl servers suspend lobby-1 --reason 'crypto mining'\n\n"
             "  eclictl servers list -q miner -o ids | eclictl servers suspend - --reason abuse --yes\n\n"
             "  eclictl servers suspend 0b6c8a52-6f0e-4d8e-9a51-2f1d6a0c1e01 --dmca --reason 'DMCA #123' --yes")
@command(bulk=True)
def suspend(
    refs: RefsArg,
    reason: opt(str, "--reason", "-r", help="Shown to the owner [Suspended by administrator].") = None,
    dmca: bool_opt("--dmca", help="Mark as a DMCA takedown (deletion date +30 days).") = False,
    yes: YesOpt = False,
    dry_run: BulkDryRun = False,
) -> Any:
    """Suspend servers: kill them, stop them on Wings, notify the owner."""
    from eclictl.context import current

    ctx = current()
    body = given(reason=reason, dmca=True if dmca else None)

    def one(ref: str) -> Any:
        uuid = server_id(ref)
        res = act(ctx.api, uuid, "suspend", lambda: ctx.api.post(_server_path(uuid, "/suspend"), body)) or {}
        if res.get("emailSent"):
            return ("done", "owner notified")
        return ("done", f"owner not notified: {res.get('emailReason') or 'unknown reason'}")

    return _bulk(ctx, refs, "suspend", yes, dry_run, one)


def _unsuspend(ctx: Any, ref: str) -> Any:
    uuid = server_id(ref)
    server = SERVERS.fetch(ctx.api, uuid)
    act(ctx.api, uuid, "unsuspend", lambda: ctx.api.post(_server_path(uuid, "/unsuspend")))
    if server.get("dmca"):
        return ("done", "DMCA flags remain set: Wings keeps the server suspended")
    return ("done", "")


add_writes(app, replace(SERVERS, writes=(
    _servers_verb("unsuspend", "Lift suspensions (DMCA flags stay: such servers remain suspended on Wings).",
                  "Examples:\n\n  eclictl servers unsuspend lobby-1 --yes\n\n"
                  "  eclictl servers list --suspended -o ids | eclictl servers unsuspend - --dry-run", _unsuspend),
)))


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
def mark_started(ref: ServerArg) -> Any:
    """Treat any console output as 'started' (for eggs whose startup line never matches)."""
    from eclictl.context import current

    ctx = current()
    uuid = server_id(ref)
    res = ctx.api.post(_server_path(uuid, "/mark-started")) or {}
    warn_if_offline(ctx, uuid, "the start detection override")
    return {"uuid": uuid, "success": bool(res.get("success", True)), "processConfig": res.get("processConfig")}


@app.command("throttle", epilog="Examples:\n\n  eclictl servers throttle lobby-1\n\n"
             "  eclictl servers throttle lobby-1 --cpu 10 --duration 2h --reason 'mining suspected'")
@command(writes=True)
def throttle(
    ref: ServerArg,
    cpu: opt(int, "--cpu", help="CPU cap in percent, 5-100 [panel default 20].") = None,
    duration: opt(str, "--duration", help="30s-1d, e.g. 900, 15m, 2h [panel default 15m].") = None,
    reason: opt(str, "--reason", help="Why (max 600 characters).") = None,
    source: opt(str, "--source", help="Who asked (max 120) [antiabuse].") = None,
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
    body = given(cpuLimitPercent=cpu, durationSeconds=seconds, reason=reason, source=source)
    res = act(ctx.api, uuid, "throttle", lambda: ctx.api.post(_server_path(uuid, "/throttle"), body)) or {}
    ctx.info("the restore timer lives in the panel process: a panel restart before it fires keeps the cap for good")
    return res


# -- dedicated IPs ----------------------------------------------------------------------------

dedicated_ip = typer.Typer(help="Dedicated IPs of KVM servers (feature dedicatedIps).", no_args_is_help=True)
app.add_typer(dedicated_ip, name="dedicated-ip")


@dedicated_ip.command("add", epilog="Examples:\n\n  eclictl servers dedicated-ip add vm-1 203.0.113.50\n\n"
                      "  eclictl servers dedicated-ip add vm-1 2001:db8::50 --fqdn vm1.example.net")
@command(writes=True)
def ip_add(
    ref: ServerArg,
    ip: Annotated[str, typer.Argument(help="The IPv4 or IPv6 address.")],
    type_: opt(str, "--type", help="ipv4 or ipv6 (detected).") = None,
    fqdn: opt(str, "--fqdn", help="Host name for the address.") = None,
) -> Any:
    """Assign a dedicated IP to a KVM server and sync it."""
    from eclictl.context import current

    ctx = current()
    kind = _ip_type(ip, type_)
    uuid = server_id(ref)
    res = ctx.api.post(_server_path(uuid, "/dedicated-ip"), given(ip=ip, type=kind, fqdn=fqdn)) or {}
    warn_if_offline(ctx, uuid, "the dedicated IP")
    return {"uuid": uuid, "ip": res.get("ip", ip), "type": res.get("type", kind), "assigned": True}


@dedicated_ip.command("remove", epilog="Examples:\n\n  eclictl servers dedicated-ip remove vm-1 203.0.113.50")
@command(writes=True)
def ip_remove(
    ref: ServerArg,
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
def abuse_reports(ref: ServerArg) -> Any:
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


# -- mounts: eclictl/sections/_servers_mounts.py ----------------------------------------------

from eclictl.sections._servers_mounts import mounts  # noqa: E402

app.add_typer(mounts, name="mounts")


