"""Backup configurations tab: `/api/admin/backup-configurations*` (docs/panel/backup-configs.md).

A catalogue of backup storage back ends (local, s3, restic, pbs, kopia) with a free JSON `config`
that holds storage credentials: every verb hides its values unless `--show-secrets` is given on a
terminal. Nothing else in the panel reads these rows: creating or editing one changes no node.
Reads need `admin:read`, writes `admin:write` (in a client key's own list; `admin:access` is not enough).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Annotated, Any

import typer

from eclictl.api.pagination import PageSpec
from eclictl.errors import NotFoundError, RejectedError, UsageError
from eclictl.options import command
from eclictl.output.columns import Col
from eclictl.sections._fields import Bulk, Field, Write, add_writes
from eclictl.sections._spec import Filter, ListOpts, Section, add_list, build, register

PATH = "/api/admin/backup-configurations"
HIDDEN = "<hidden>"
DISKS = ("local", "s3", "restic", "pbs", "kopia")
UUID_RE = re.compile(r"^[0-9a-fA-F-]{36}$")
NO_EFFECT = "backup configurations are a catalogue only: no node reads them, so this changes nothing on the nodes"
EDIT_PANEL = "Fields"

BACKUP_CONFIGS = Section(
    name="backup-configs",
    help="Backup storage configurations (catalogue only): list, show, create, edit, delete.",
    path=PATH,
    pages=PageSpec(items_key="data"),
    columns=(Col("uuid"), Col("name"), Col("backupDisk", "DISK"), Col("shared"),
             Col("maintenanceEnabled", "MAINTENANCE"), Col("updatedAt", "UPDATED")),
    id_field="uuid",
    id_type=str,
    show_path=f"{PATH}/{{id}}",
    delete_path=f"{PATH}/{{id}}",
    permission="admin:read",
    tab="backup-configs",
    verbs=("list", "show", "delete"),
    examples=("eclictl backup-configs list", "eclictl backup-configs show 'S3 offsite (demo)' -o json",
              "eclictl backup-configs create --name Offsite --disk s3 --config-file s3.json",
              "eclictl backup-configs edit Offsite --no-maintenance",
              "eclictl backup-configs delete Offsite --yes"),
)
app = build(replace(BACKUP_CONFIGS, verbs=()))
register(BACKUP_CONFIGS)  # every verb is below: the config blob is hidden in all of them

SHOW_SECRETS = "Show the values inside `config` (storage credentials); only on a terminal."
ShowSecretsOpt = Annotated[bool, typer.Option("--show-secrets", help=SHOW_SECRETS)]
WebOpt = Annotated[bool, typer.Option("--web", help="Open this tab of the web portal instead.")]


def hide_config(row: Any, show: bool) -> Any:
    """`config` keeps its keys, every value becomes <hidden> (whatever --redact says)."""
    if not isinstance(row, dict) or show or not isinstance(row.get("config"), dict):
        return row
    return {**row, "config": {k: _hide(v) for k, v in row["config"].items()}}


def _hide(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _hide(v) for k, v in value.items()}
    return HIDDEN if value not in (None, "") else value


def _check_show(ctx: Any, show: bool) -> None:
    if show and not ctx.io.stdout_tty:
        raise UsageError("--show-secrets prints storage credentials only to a terminal",
                         hint="run it in a terminal; piped output never carries them")


def _keep() -> frozenset[str]:
    """Ask the client to keep credential-named keys (`password`, `secret`...): `config` is then hidden
    here as a whole (keys shown, values <hidden>), so the user sees which settings exist."""
    from eclictl.api.secrets import SECRET_FIELDS

    return SECRET_FIELDS


def _rows(ctx: Any) -> list[dict[str, Any]]:
    from eclictl.api.pagination import rows_of

    return rows_of(ctx.api.request("GET", PATH, keep=_keep()).data, "data", f"GET {PATH}")


def resolve(ctx: Any, ref: str) -> str:
    """A UUID as given, or the UUID of the one configuration with this exact name."""
    if UUID_RE.match(ref):
        return ref
    matches = [r for r in _rows(ctx) if r.get("name") == ref]
    if len(matches) > 1:
        raise RejectedError(f"'{ref}' matches several backup configurations: "
                            f"{', '.join(str(r.get('uuid')) for r in matches)}", hint="use the uuid")
    if not matches:
        raise NotFoundError(f"no backup configuration '{ref}'")
    return str(matches[0]["uuid"])


def _fetch(ctx: Any, ident: str) -> dict[str, Any]:
    body = ctx.api.request("GET", f"{PATH}/{ident}", keep=_keep()).data
    if not isinstance(body, dict):
        raise NotFoundError(f"no backup configuration '{ident}'")
    return body


def _view(rows: Any, *, detail: bool = False) -> Any:
    from eclictl.output.render import View

    if detail:
        return View(rows, detail=True, id_field="uuid")
    return View(rows, columns=BACKUP_CONFIGS.columns, id_field="uuid", empty="no backup configurations found")


def _config_file(ctx: Any, path: str) -> dict[str, Any]:
    from eclictl.inputs import loads_json

    text = ctx.read_text(path, label=f"--config-file {path}")
    try:
        value = loads_json(text)
    except ValueError as exc:
        raise UsageError(f"--config-file {path} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise UsageError(f"--config-file {path} must hold a JSON object")
    return value


def _name(value: str) -> str:
    name = value.strip()
    if not 1 <= len(name) <= 255:
        raise UsageError("--name must be 1-255 characters (after trimming)")
    return name


def _disk(value: str) -> str:
    if value not in DISKS:
        raise UsageError(f"--disk must be one of {', '.join(DISKS)}")
    return value


def _listed(ctx: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    _check_show(ctx, params.get("show_secrets", False))
    return [hide_config(r, params.get("show_secrets", False)) for r in _rows(ctx)]


add_list(app, replace(
    BACKUP_CONFIGS,
    filters=(Filter("disk", "Only this back end (local, s3, restic, pbs, kopia).",
                    match=lambda row, disk: row.get("backupDisk") == disk),
             Filter("show_secrets", SHOW_SECRETS, is_flag=True, param="show_secrets", panel=None)),
    list_opts=ListOpts(limit=None, all=None, filters_first=True), list_rows=_listed,
    list_render=_view,
), "List backup configurations, newest first (config values hidden).",
    ("eclictl backup-configs list", "eclictl backup-configs list --disk s3 -o json"))


@app.command("show", epilog="Examples:\n\n  eclictl backup-configs show 'S3 offsite (demo)'\n\n"
             "  eclictl backup-configs show 3f2a...-uuid --show-secrets")
@command()
def backup_configs_show(
    ref: Annotated[str, typer.Argument(metavar="UUID|NAME", help="The configuration's uuid or exact name.")],
    show_secrets: ShowSecretsOpt = False,
    web: WebOpt = False,
) -> Any:
    """Show one backup configuration (config values hidden unless --show-secrets on a terminal)."""
    from eclictl.context import current

    ctx = current()
    if web:
        from eclictl.weblinks import open_tab

        return open_tab(ctx, "backup-configs")
    _check_show(ctx, show_secrets)
    return _view(hide_config(_fetch(ctx, resolve(ctx, ref)), show_secrets), detail=True)


def _prepare(ctx: Any, body: dict[str, Any], extras: dict[str, Any]) -> None:
    """The config blob comes from a file (or stdin); create sends no empty description."""
    if "description" in body and body["description"] == "":
        del body["description"]
    if extras.get("config_file") is not None:
        body["config"] = _config_file(ctx, extras["config_file"])


def _resolve_ref(ctx: Any, ref: str, body: dict[str, Any], extras: dict[str, Any]) -> str:
    return resolve(ctx, ref)


def _verified(ctx: Any, ident: Any, sent: dict[str, Any], answer: Any) -> Any:
    """Re-read and compare what was sent (the panel stores PUT bodies without checks); a create
    must answer the new uuid."""
    from eclictl.sections._readback import require_stored

    if ident is None:
        ident = answer.get("uuid") if isinstance(answer, dict) else None
        if not ident:
            raise RejectedError("the panel did not return the new configuration's uuid",
                                hint="check `eclictl backup-configs list` before creating it again")
        ctx.info(f"created {ident}; {NO_EFFECT}")
    else:
        ctx.info(NO_EFFECT)
    row = _fetch(ctx, ident)
    return require_stored(ctx, f"backup configuration {ident}", sent, row, _view(hide_config(row, False), detail=True),
                          secret=frozenset({"config"}))


def _shown(view: Any) -> Any:
    return view  # _verified already built the view (config hidden)


FIELDS = (
    Field("name", "--name", str, "1-255 characters.", verbs=("create",), required=True, panel=EDIT_PANEL,
          check=_name),
    Field("name", "--name", str, verbs=("edit",), panel=EDIT_PANEL, check=_name),
    Field("backupDisk", "--disk", str, "local, s3, restic, pbs or kopia.", verbs=("create",), default="local",
          panel=EDIT_PANEL, check=_disk),
    Field("backupDisk", "--disk", str, verbs=("edit",), panel=EDIT_PANEL, check=_disk),
    Field("shared", "--shared", bool, "Mark it shared.", verbs=("create",), default=False, panel=EDIT_PANEL),
    Field("shared", "--shared/--not-shared", bool, verbs=("edit",), panel=EDIT_PANEL),
    Field("maintenanceEnabled", "--no-maintenance", bool, "Maintenance off (default on).", verbs=("create",),
          default=False, panel=EDIT_PANEL, to_body=lambda off: not off),
    Field("maintenanceEnabled", "--maintenance/--no-maintenance", bool, verbs=("edit",), panel=EDIT_PANEL),
    Field("description", "--description", str, verbs=("create",), panel=EDIT_PANEL),
    Field("description", "--description", str, "'' clears it.", verbs=("edit",), panel=EDIT_PANEL,
          to_body=lambda text: text or None),
)
CONFIG_FILE = "--config-file"
WRITES = (
    Write("create", "Create a backup configuration (never retried: a repeat would make a duplicate).",
          "Examples:\n\n  eclictl backup-configs create --name Offsite --disk s3 --config-file s3.json"
          "\n\n  eclictl backup-configs create --name 'Local disk' --shared",
          "POST", PATH, fields=("name", "disk", "description", "config_file", "shared", "no_maintenance"),
          extra=(Field("config", CONFIG_FILE, str, "JSON object with the storage settings; '-' reads stdin.",
                       param="config_file", metavar="FILE", panel=EDIT_PANEL),),
          prepare=_prepare, reread=_verified, view=_shown),
    Write("edit", "Change the given fields only (checked here: the panel stores whatever it gets).",
          "Examples:\n\n  eclictl backup-configs edit Offsite --no-maintenance\n\n"
          "  eclictl backup-configs edit Offsite --config-file s3-rotated.json --name 'Offsite (rotated)'",
          "PUT", f"{PATH}/{{id}}", fields=("name", "disk", "description", "config_file", "shared", "maintenance"),
          extra=(Field("config", CONFIG_FILE, str, "Replaces the whole config object; '-' reads stdin.",
                       param="config_file", metavar="FILE", panel=EDIT_PANEL),),
          ref="UUID|NAME", ref_help="The configuration's uuid or exact name.", resolve=_resolve_ref,
          nothing=("nothing to change: give at least one field option", None),
          prepare=_prepare, reread=_verified, view=_shown),
)
BACKUP_CONFIGS = register(replace(BACKUP_CONFIGS, fields=FIELDS, writes=WRITES))
add_writes(app, BACKUP_CONFIGS)


add_writes(app, replace(BACKUP_CONFIGS, writes=(
    Bulk("delete", "Delete backup configurations (hard delete; asks first, --yes in scripts).",
         "Examples:\n\n  eclictl backup-configs delete Offsite\n\n"
         "  eclictl backup-configs list --disk kopia -o ids | eclictl backup-configs delete - --yes",
         "delete backup configurations", "UUID|NAME...", "Uuids or names; '-' reads stdin.",
         lambda ctx, ref: ctx.api.delete(f"{PATH}/{resolve(ctx, ref)}"),
         question=lambda items: f"Delete {len(items)} backup configuration(s): {', '.join(items[:10])}?",
         dry_help="List what would be deleted."),
)))
