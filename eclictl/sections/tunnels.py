"""Tunnels tab: `/api/tunnel/*` (docs/panel/integrations.md#tunnels, feature `tunnels`).

There are no admin tunnel routes: the portal uses the normal ones, where "admin" means the user
role `*`, `admin` or `rootAdmin`, and device and allocation lists also need the caller to be in
the `tunnel_feature` rollout (admins included). The allocation list shows only allocations of
the caller's own or organisation's devices, even for admins.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Optional

import typer

from eclictl.api.pagination import PageSpec
from eclictl.errors import UsageError
from eclictl.options import YesOpt, command
from eclictl.output.columns import Col
from eclictl.sections._fields import Bulk, Field, Write, add_writes, listed, numbers
from eclictl.sections._spec import Filter, ListOpts, Section, add_list, build, detail_view, group

DEVICES_PATH = "/api/tunnel/devices"
ALLOC_PATH = "/api/tunnel/allocations"
NEW_PANEL = "New device"

TUNNELS = Section(
    name="tunnels",
    help="Tunnel devices (agents) and port allocations (feature 'tunnels').",
    path=DEVICES_PATH,
    permission="tunnels:read",
    tab="tunnels",
    verbs=(),
    searchable=False,
    examples=("eclictl tunnels devices list", "eclictl tunnels allocations list"),
)


def _part(name: str, help: str, columns: tuple[Col, ...], **more: Any) -> Section:
    """A part of the tab: rows at /api/tunnel/<name> under the key <name>, read with tunnels:read."""
    return Section(name=name, help=help, path=f"/api/tunnel/{name}", pages=PageSpec(items_key=name), columns=columns,
                   permission="tunnels:read", tab="tunnels", **more)


DEVICES = _part("devices", "Tunnel devices (client and server agents): list, show, create, approve, delete.", (
    Col("id"), Col("name"), Col("kind"), Col("user_code", "CODE"), Col("organisation", "ORG"),
    Col("serverType", "TYPE"), Col("approved"), Col("online"), Col("lastSeenAt", "LAST SEEN"),
), name_fields=("name", "user_code", "device_code"), sensitive={"organisation": "orgs"})
ALLOCATIONS = _part("allocations", "Tunnel port allocations: list, show, edit, close, delete.", (
    Col("id"), Col("host"), Col("port"), Col("protocol", "PROTO"), Col("status"), Col("localHost", "LOCAL"),
    Col("localPort", "LPORT"), Col("clientDevice", "CLIENT", max_width=12),
    Col("serverDevice", "SERVER", max_width=12), Col("serverOnline", "SRV-ONLINE"),
), name_fields=())

app = build(TUNNELS)
devices_app = group(DEVICES.name, DEVICES.help, app)
allocations_app = group(ALLOCATIONS.name, ALLOCATIONS.help, app)


def _ok_or_none(body: Any) -> Any:
    return body if isinstance(body, dict) else None


def _post(path_for: Any, *, skip_conflict: str | None = None) -> Any:
    """One item: POST to its action route (these routes act by POST); a 409 is `skipped` where that means done."""
    def one(ctx: Any, item: str) -> Any:
        from eclictl.api.errors import ApiConflictError

        try:
            return ctx.api.post(path_for(item))
        except ApiConflictError:
            if skip_conflict:
                return ("skipped", skip_conflict)
            raise
    return one


def _ask(action: str, *, always: bool = True) -> Any:
    return lambda items: f"{action.capitalize()}: {listed(items)}?" if always or len(items) > 1 else None


# -- devices ---------------------------------------------------------------------------------

def _records(section: Section) -> Any:
    """The section's own fetch for `list`: its rows, records only."""
    return lambda ctx, params: (r for r in section.iter_rows(ctx.api) if isinstance(r, dict))


def _is(key: str) -> Any:
    """A filter matching one field exactly (as the panel spells it); an empty value keeps every row."""
    return lambda row, value: not value or row.get(key) == value


UNPAGED = ListOpts(limit=None, all=None, web=None)
add_list(devices_app, replace(
    DEVICES,
    filters=(Filter("kind", "client or server.", match=_is("kind")),
             Filter("online", "Only connected (or disconnected) devices.", off="offline"),
             Filter("pending", "Only devices not approved yet.", is_flag=True,
                    match=lambda row, value: not row.get("approved"))),
    list_opts=UNPAGED, list_rows=_records(DEVICES),
), "List tunnel devices (admins see all; needs the tunnel_feature rollout).",
    ("eclictl tunnels devices list", "eclictl tunnels devices list --kind server --offline -o json"))


@devices_app.command("show", epilog="Examples:\n\n  eclictl tunnels devices show 3\n\n"
                     "  eclictl tunnels devices show edge-fra-1")
@command()
def devices_show(ref: Annotated[str, typer.Argument(metavar="ID|NAME|CODE",
                                                    help="Device id, name, user code or device code.")]) -> Any:
    """Show one tunnel device (from the device list)."""
    from eclictl.context import current

    return detail_view(DEVICES, DEVICES.resolve(current().api, ref))


@devices_app.command("create", epilog="Examples:\n\n  eclictl tunnels devices create --name laptop\n\n"
                     "  eclictl tunnels devices create --kind server --name edge-fra-2 --fqdn fra2.tunnel.example.com "
                     "--owner 1")
@command(writes=True)
def devices_create(
    name: Annotated[str, typer.Option("--name", help="Device name.", rich_help_panel=NEW_PANEL)] = "agent",
    kind: Annotated[str, typer.Option("--kind", help="client or server (server needs an admin role).",
                                      rich_help_panel=NEW_PANEL)] = "client",
    owner: Annotated[Optional[str], typer.Option("--owner", metavar="USER", help="Owner: user id or exact e-mail "
                                                 "(admin role only).",
                                                 rich_help_panel=NEW_PANEL, show_default=False)] = None,
    fqdn: Annotated[Optional[str], typer.Option("--fqdn", help="Public host name (server devices).",
                                                rich_help_panel=NEW_PANEL, show_default=False)] = None,
) -> Any:
    """Create an already-approved device and print its access token (shown only here)."""
    from eclictl.context import current

    ctx = current()
    if kind not in ("client", "server"):
        raise UsageError("--kind must be client or server")
    if fqdn and kind != "server":
        raise UsageError("--fqdn is for server devices (--kind server)")
    body: dict[str, Any] = {"name": name, "kind": kind}
    if owner is not None:
        from eclictl.sections._spec import user_ref

        body["owner_user_id"] = user_ref(ctx.api, owner)
    if fqdn:
        body["fqdn"] = fqdn
    answer = ctx.api.post(DEVICES_PATH, body) or {}
    ctx.info("store the access_token now: it is not shown again (client tokens last 90 days, server 365)")
    return answer


@devices_app.command("approve", epilog="Examples:\n\n  eclictl tunnels devices approve ABCD-1234\n\n"
                     "  eclictl tunnels devices approve ABCD-1234 --name build-box --owner 42")
@command(writes=True)
def devices_approve(
    code: Annotated[str, typer.Argument(help="The enrollment's user code (or a device code UUID).")],
    name: Annotated[Optional[str], typer.Option("--name", help="Name the device.", show_default=False)] = None,
    kind: Annotated[Optional[str], typer.Option("--kind", help="client or server.", show_default=False)] = None,
    server_type: Annotated[Optional[str], typer.Option("--server-type", help="free, paid, free_and_paid or "
                                                       "enterprise.", show_default=False)] = None,
    owner: Annotated[Optional[str], typer.Option("--owner", metavar="USER", help="Owner: user id or exact e-mail.",
                                                 show_default=False)] = None,
    org: Annotated[Optional[int], typer.Option("--org", help="Organisation id.", show_default=False)] = None,
) -> Any:
    """Approve a pending device enrollment by its code."""
    from eclictl.context import current

    ctx = current()
    looks_uuid = len(code) == 36 and code.count("-") == 4
    body: dict[str, Any] = {"device_code" if looks_uuid else "user_code": code}
    from eclictl.sections._spec import user_ref

    owner_id = None if owner is None else user_ref(ctx.api, owner)
    for key, value in (("name", name), ("kind", kind), ("server_type", server_type), ("owner_user_id", owner_id),
                       ("organisation_id", org)):
        if value is not None:
            body[key] = value
    answer = ctx.api.post("/api/tunnel/device/approve", body)
    return {"code": code, "approved": True, **(_ok_or_none(answer) or {})}


@devices_app.command("regenerate-token", epilog="Examples:\n\n  eclictl tunnels devices regenerate-token 3 --yes")
@command()
def devices_regenerate(
    ref: Annotated[str, typer.Argument(metavar="ID", help="Device id.")],
    yes: YesOpt = False,
) -> Any:
    """Issue a new access token for a device (admin role); the agent must be reconfigured."""
    from eclictl.context import current

    ctx = current()
    if not ref.isdigit():
        raise UsageError(f"device ids are numbers, got '{ref}'")
    ctx.confirm(f"Issue a new access token for device {ref}?", yes=yes, what="regenerate a device token")
    answer = ctx.api.post(f"{DEVICES_PATH}/{ref}/regenerate-token") or {}
    return {"id": int(ref), **answer}


add_writes(devices_app, replace(DEVICES, writes=(
    Bulk("delete", "Delete devices and their allocations (connected server agents are told to unbind).",
         "Examples:\n\n  eclictl tunnels devices delete 3 --yes\n\n"
         "  eclictl tunnels devices list --pending -o ids | eclictl tunnels devices delete - --yes",
         "delete tunnel devices", "ID...", "Device ids; '-' reads stdin.",
         _post(lambda i: f"{DEVICES_PATH}/{i}/delete"), question=_ask("delete tunnel devices"),
         items=numbers("device"), dry_action="delete tunnel devices"),
)))


# -- allocations -----------------------------------------------------------------------------

add_list(allocations_app, replace(
    ALLOCATIONS,
    filters=(Filter("status", "pending, active or closed.", match=_is("status")),
             Filter("device", "Only this client or server device code.", match=lambda row, value: not value or
                    value in (row.get("clientDevice"), row.get("serverDevice")))),
    list_opts=UNPAGED, list_rows=_records(ALLOCATIONS),
), "List allocations of your own and your organisations' devices (also for admins).",
    ("eclictl tunnels allocations list", "eclictl tunnels allocations list --status active -o json"))


@allocations_app.command("show", epilog="Examples:\n\n  eclictl tunnels allocations show 7")
@command()
def allocations_show(ref: Annotated[str, typer.Argument(metavar="ID", help="Allocation id.")]) -> Any:
    """Show one allocation (from the allocation list)."""
    from eclictl.context import current

    if not ref.isdigit():
        raise UsageError(f"allocation ids are numbers, got '{ref}'")
    return detail_view(ALLOCATIONS, ALLOCATIONS.resolve(current().api, ref))


def _allocation_id(ctx: Any, ref: str, body: dict[str, Any], extras: dict[str, Any]) -> str:
    return numbers("allocation")(ctx, [ref])[0]


def _edited_allocation(ctx: Any, ident: str, body: dict[str, Any], answer: Any) -> dict[str, Any]:
    """The answer's allocation; the panel's answer may lack it: then what was sent."""
    allocation = answer.get("allocation") if isinstance(answer, dict) else None
    return allocation if isinstance(allocation, dict) else {"id": int(ident), "localPort": body["local_port"]}


add_writes(allocations_app, replace(ALLOCATIONS, fields=(
    Field("local_port", "--local-port", int, "The port on the client side (1-65535).", verbs=("edit",),
          required=True, required_on=("edit",), min=1, max=65535),
), writes=(
    Write("edit", "Change the local port an allocation forwards to.",
          "Examples:\n\n  eclictl tunnels allocations edit 7 --local-port 8080", "POST", ALLOC_PATH + "/{id}/edit",
          ref="ID", ref_help="Allocation id.", resolve=_allocation_id, reread=_edited_allocation),
)))


add_writes(allocations_app, replace(ALLOCATIONS, writes=(
    Bulk("close", "Close allocations (the server agent unbinds the port).",
         "Examples:\n\n  eclictl tunnels allocations close 7 8\n\n"
         "  eclictl tunnels allocations list --status active -o ids | eclictl tunnels allocations close - --yes",
         "close tunnel allocations", "ID...", "Allocation ids; '-' reads stdin.",
         _post(lambda i: f"{ALLOC_PATH}/{i}/close", skip_conflict="already closed"),
         question=_ask("close tunnel allocations", always=False), items=numbers("allocation"),
         dry_action="close tunnel allocations"),
    Bulk("delete", "Delete allocations.", "Examples:\n\n  eclictl tunnels allocations delete 7 --yes",
         "delete tunnel allocations", "ID...", "Allocation ids; '-' reads stdin.",
         _post(lambda i: f"{ALLOC_PATH}/{i}/delete"), question=_ask("delete tunnel allocations"),
         items=numbers("allocation"), dry_action="delete tunnel allocations"),
)))
