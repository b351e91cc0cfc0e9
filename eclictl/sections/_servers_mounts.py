"""`eclictl servers mounts`: host mounts (`/api/admin/mounts*`) and attaching them to servers.

The panel answers a new mount without its record, so create re-reads the list; edit always re-reads.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

import typer

from eclictl.errors import EclictlError, NotFoundError, UsageError
from eclictl.options import command
from eclictl.output.columns import Col
from eclictl.sections._fields import Bulk, Field, Write, add_writes
from eclictl.sections._servers_api import ServerArg, _server_path, server_id
from eclictl.sections._spec import Section, register

PATH = "/api/admin/mounts"
MOUNT_COLUMNS = (Col("id"), Col("name"), Col("source"), Col("target"), Col("read_only", "RO"),
                 Col("allowed_eggs", "EGGS"), Col("description", max_width=30))

mounts = typer.Typer(help="Host mounts: list, create, edit, delete, attach to / detach from servers.",
                     no_args_is_help=True)


def _mount_list(api: Any) -> list[dict[str, Any]]:
    return api.rows(PATH)


def _mount(api: Any, mount_id: int) -> dict[str, Any]:
    for row in _mount_list(api):
        if row.get("id") == mount_id:
            return row
    raise NotFoundError(f"no mount {mount_id}")


def _view(record: Any) -> Any:
    from eclictl.output.render import View

    return View(record, detail=True)


@mounts.command("list", epilog="Examples:\n\n  eclictl servers mounts list\n\n  eclictl servers mounts list -o json")
@command()
def mounts_list() -> Any:
    """List host mounts (sorted by name)."""
    from eclictl.context import current
    from eclictl.output.render import View

    return View(_mount_list(current().api), columns=MOUNT_COLUMNS, empty="no mounts")


def _created(ctx: Any, ident: Any, body: dict[str, Any], answer: Any) -> Any:
    found = [m for m in _mount_list(ctx.api) if all(m.get(k) == body[k] for k in ("name", "source", "target"))]
    if not found:
        raise EclictlError("the panel accepted the mount but it is not in the list")
    return max(found, key=lambda m: m.get("id") or 0)


CREATE, EDIT = ("create",), ("edit",)
MOUNTS = register(Section(
    name="servers mounts", help="Host mounts.", path=PATH, columns=MOUNT_COLUMNS, verbs=("create", "edit"),
    permission="admin:servers:manage", searchable=False,
    fields=(
        Field("name", "--name", str, "Mount name.", CREATE, required=True, show_default=False),
        Field("name", "--name", str, "New name.", EDIT),
        Field("source", "--source", str, "Host path.", required=True, show_default=False),
        Field("target", "--target", str, "Path inside the container.", CREATE, required=True, show_default=False),
        Field("target", "--target", str, "Container path.", EDIT),
        Field("description", "--description", str, "Free text."),
        Field("read_only", "--read-only", bool, "Mount read-only.", CREATE, default=False),
        Field("read_only", "--read-only/--writable", bool, "Access mode.", EDIT),
        Field("allowed_eggs", "--egg", list[int], "Allowed egg id (repeat; not enforced by the panel).", CREATE,
              param="egg"),
        Field("allowed_eggs", "--egg", list[int], "Allowed egg ids (replaces the list).", EDIT, param="egg"),
    ),
    writes=(
        Write("create", "Create a host mount (the panel answers without the new record; it is re-read).",
              "Examples:\n\n  eclictl servers mounts create --name maps --source /srv/maps "
              "--target /home/container/maps --read-only --egg 3", "POST", PATH, reread=_created, view=_view),
        Write("edit", "Change a mount (reaches Wings when each server next syncs).",
              "Examples:\n\n  eclictl servers mounts edit 2 --read-only\n\n"
              "  eclictl servers mounts edit 2 --target /data --writable", "PUT", f"{PATH}/{{id}}",
              ref="MOUNT", ref_help="Mount id.", ref_type=int, resolve=lambda ctx, ref, body, extras: ref,
              nothing=("nothing to change", "pass --name, --source, --target, --read-only..."),
              reread=lambda ctx, ident, body, answer: _mount(ctx.api, ident), view=_view),
    ),
))
add_writes(mounts, MOUNTS)


def _mount_ids(ctx: Any, items: list[str]) -> list[str]:
    bad = [i for i in items if not i.isdigit()]
    if bad:
        raise UsageError(f"mount ids are numbers: {', '.join(bad)}")
    return items


add_writes(mounts, replace(MOUNTS, writes=(
    Bulk("delete", "Delete mounts and detach them from every server.",
         "Examples:\n\n  eclictl servers mounts delete 2 --yes", "delete mounts", "MOUNT...",
         "Mount ids; '-' reads stdin.", lambda ctx, i: ctx.api.delete(f"{PATH}/{i}"), items=_mount_ids,
         dry_run=False, question=lambda items: f"Delete {len(items)} mount(s) and detach them from all servers?"),
)))


MountArg = Annotated[int, typer.Argument(metavar="MOUNT", help="Mount id.")]


def _link(ref: str, mount_id: int, attach: bool) -> dict[str, Any]:
    """attach/detach: the server's UUID, then its mount link added (POST) or removed (DELETE)."""
    from eclictl.context import current

    ctx = current()
    uuid = server_id(ref)
    if attach:
        ctx.api.post(_server_path(uuid, "/mounts"), {"mountId": mount_id})
        ctx.info("the panel does not sync on attach: the mount reaches Wings at the server's next sync")
    else:
        ctx.api.delete(_server_path(uuid, f"/mounts/{mount_id}"))
    return {"uuid": uuid, "mountId": mount_id, "attached": attach}


@mounts.command("attach", epilog="Examples:\n\n  eclictl servers mounts attach lobby-1 2")
@command(writes=True)
def mounts_attach(ref: ServerArg, mount_id: MountArg) -> Any:
    """Attach a mount to a server (applies at the server's next sync, e.g. an edit)."""
    return _link(ref, mount_id, attach=True)


@mounts.command("detach", epilog="Examples:\n\n  eclictl servers mounts detach lobby-1 2")
@command(writes=True)
def mounts_detach(ref: ServerArg, mount_id: MountArg) -> Any:
    """Detach a mount from a server."""
    return _link(ref, mount_id, attach=False)
