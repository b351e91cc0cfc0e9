"""Databases tab: `/api/admin/database-hosts*`, `/api/admin/databases` (docs/panel/integrations.md#databases).

The panel checks `databases:read` (GET) / `databases:write` (the rest) against the *user*: an API key
works only when its owner is root, whatever its type. A denial arrives as **422 `Request error`**
(declared 403 schema, empty body); on these routes 422 has no other cause, so it is reported as a
permission error (exit 5). Host passwords are credentials: the panel answers `"***"`, and eclictl drops
the field anyway; new passwords are read from a file or stdin, never from the command line.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from eclictl.errors import NotFoundError, RejectedError, UsageError
from eclictl.options import command
from eclictl.output.columns import Col
from eclictl.sections._fields import Bulk, Field, Write, add_writes
from eclictl.sections._spec import Filter, ListOpts, Section, add_list, build, detail_view, register

HOSTS_PATH = "/api/admin/database-hosts"
DBS_PATH = "/api/admin/databases"
HOST_PANEL = "Host"
#: Credential fields never rendered, whatever the panel sends.
CREDENTIALS = frozenset({"password", "rootPassword", "passwordHash"})

HOSTS = Section(
    name="databases hosts",
    help="Database hosts (MariaDB/MySQL servers): list, show, create, edit, delete, test.",
    path=HOSTS_PATH,
    columns=(Col("id"), Col("name"), Col("host"), Col("port"), Col("username", "USER"), Col("nodeId", "NODE"),
             Col("maxDatabases", "MAX DBS"), Col("createdAt", "CREATED")),
    delete_path=f"{HOSTS_PATH}/{{id}}",
    permission="databases:read",
    tab="databases",
    sensitive={"username": "pii"},
    verbs=("list", "show"),
    searchable=False,
    examples=("eclictl databases hosts list", "eclictl databases hosts show fra-mariadb -o json"),
)
DATABASES = Section(
    name="databases",
    help="Databases: server databases and the database hosts they live on.",
    path=DBS_PATH,
    columns=(Col("id"), Col("name"), Col("label"), Col("username", "USER"), Col("serverUuid", "SERVER"),
             Col("hostId", "HOST"), Col("createdAt", "CREATED")),
    name_fields=("name",),
    permission="databases:read",
    tab="databases",
    sensitive={"username": "pii"},
    filters=(Filter("server", "Only databases of this server UUID.", field="serverUuid"),
             Filter("host", "Only databases on this host id or name.", field="hostId")),
    verbs=("list",),
    searchable=False,
    examples=("eclictl databases list", "eclictl databases list --host fra-mariadb -o json"),
)

app = build(replace(DATABASES, verbs=()))
hosts_app = build(replace(HOSTS, verbs=()))
register(DATABASES)  # the verbs below are hand-written (422 = denied, credentials dropped)
register(HOSTS)
app.add_typer(hosts_app, name="hosts")


# -- helpers -------------------------------------------------------------------------------

def _call(ctx: Any, method: str, path: str, body: Any = None) -> Any:
    """One request; the panel's odd denials on these routes become a permission error (exit 5).

    requireDatabasePermission sets 403 and returns no body, so the declared 403 schema turns the answer
    into 422 `Request error` (an empty 403 is handled the same way, in case the schema check is skipped).
    """
    from eclictl.api.errors import ApiPermissionError, ApiStatusError

    level = "read" if method == "GET" else "write"
    try:
        return ctx.api.request(method, path, json_body=body).data
    except ApiStatusError as exc:
        denied_422 = exc.status == 422
        denied_403 = exc.status == 403 and not (isinstance(exc.body, dict) and exc.body.get("error"))
        if not (denied_422 or denied_403):
            raise
        raise ApiPermissionError(
            f"denied: the panel answers {exc.status} {'Request error' if denied_422 else '(empty body)'} "
            f"when databases:{level} is missing",
            status=exc.status, method=method, path=path, body=exc.body,
            hint=f"these routes check databases:{level} on the user: use a root-owned key or a login "
                 f"holding databases:{level}") from None


def _clean(row: Any) -> Any:
    if isinstance(row, dict):
        return {k: v for k, v in row.items() if k not in CREDENTIALS}
    return row


def _hosts(ctx: Any) -> list[dict[str, Any]]:
    from eclictl.api.pagination import rows_of

    return [_clean(r) for r in rows_of(_call(ctx, "GET", HOSTS_PATH), None, f"GET {HOSTS_PATH}")]


def _find_host(ctx: Any, ref: str) -> dict[str, Any]:
    rows = _hosts(ctx)
    if ref.isdigit():
        hit = next((r for r in rows if str(r.get("id")) == ref), None)
        if hit is not None:
            return hit
    named = [r for r in rows if str(r.get("name", "")) == ref]
    if len(named) > 1:
        raise RejectedError(f"'{ref}' matches several database hosts: "
                            f"{', '.join(str(r.get('id')) for r in named)}", hint="use the id")
    if not named:
        raise NotFoundError(f"no database host '{ref}'")
    return named[0]


def _host_id(ctx: Any, ref: str) -> int:
    return int(ref) if ref.isdigit() else int(_find_host(ctx, ref)["id"])


_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def check_host(host: str) -> str:
    """A host name or IP address; no scheme, port or path (they go in their own options)."""
    value = host.strip()
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    labels = value.rstrip(".").split(".")
    if not value or len(value) > 253 or not all(_LABEL.match(label) for label in labels):
        raise UsageError(f"--host must be a host name or IP address (no scheme, port or path), got '{host}'")
    return value


def check_port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise UsageError(f"--port must be 1-65535, got {port}")
    return port


def read_password(ctx: Any, password: Optional[str], password_file: Optional[Path], *, required: bool) -> str | None:
    """The new password from `--password -` (stdin) or `--password-file`; never a visible argument."""
    if password is not None and password != "-":
        raise UsageError("refusing a password on the command line (shell history, ps): "
                         "use --password - to read stdin, or --password-file FILE")
    if password is not None and password_file is not None:
        raise UsageError("give one of --password - or --password-file, not both")
    if password == "-":
        text = ctx.io.stdin.read()
    elif password_file is not None:
        text = ctx.read_text(password_file, label="--password-file", dash=False)
    elif required:
        raise UsageError("a password is required: --password - (stdin) or --password-file FILE")
    else:
        return None
    value = text.rstrip("\r\n")
    if not value:
        raise UsageError("the password is empty")
    return value


def _host_detail(record: Any) -> Any:
    return detail_view(HOSTS, _clean(record))


# -- databases list --------------------------------------------------------------------------

NEVER_PAGES = ListOpts(all="Fetch everything (the panel never pages).")


def _host_ref(api: Any, ref: str) -> int:
    from eclictl.context import current

    return _host_id(current(), ref)


def _databases(ctx: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    from eclictl.api.pagination import rows_of

    return [_clean(r) for r in rows_of(_call(ctx, "GET", DBS_PATH), None, f"GET {DBS_PATH}")]


add_list(app, replace(DATABASES, filters=(DATABASES.filters[0], replace(DATABASES.filters[1], convert=_host_ref)),
                      list_opts=NEVER_PAGES, list_rows=_databases),
         "List every server database, newest first (filters apply client-side: the route has none).",
         ("eclictl databases list", "eclictl databases list --host fra-mariadb -o json",
          "eclictl databases list --server 1b7c2f0e-... --limit 5"))


# -- hosts -----------------------------------------------------------------------------------

add_list(hosts_app, replace(HOSTS, filters=(Filter("node", "Only hosts bound to this node id.", field="nodeId",
                                                   type=int),),
                            list_opts=NEVER_PAGES, list_rows=lambda ctx, params: _hosts(ctx)),
         "List database hosts (passwords are never shown).",
         ("eclictl databases hosts list", "eclictl databases hosts list --node 2 -o json"))


HostArg = Annotated[str, typer.Argument(metavar="ID|NAME", help="Host id or exact name.")]


@hosts_app.command("show", epilog="Examples:\n\n  eclictl databases hosts show 1\n\n"
                   "  eclictl databases hosts show fra-mariadb -o json")
@command()
def hosts_show(ref: HostArg) -> Any:
    """Show one database host (picked from the host list; there is no show route)."""
    from eclictl.context import current

    return _host_detail(_find_host(current(), ref))


def _text(flag: str, message: str = "{flag} must not be empty") -> Any:
    def check(value: str) -> str:
        if not value.strip():
            raise UsageError(message.format(flag=flag))
        return value.strip()
    return check


def _node(hint: str) -> Any:
    def check(node: int) -> int:
        if node < 1:
            raise UsageError("--node must be a node id (1 or more)" + hint)
        return node
    return check


def _capacity(value: int) -> int:
    if value < 0:
        raise UsageError("--max-databases must be 0 (unlimited) or more")
    return value


def _password(creating: bool) -> Any:
    """The password from --password - or --password-file (required on create)."""
    def prepare(ctx: Any, body: dict[str, Any], extras: dict[str, Any]) -> None:
        secret = read_password(ctx, extras.get("password"), extras.get("password_file"), required=creating)
        if secret == "***" and not creating:
            raise UsageError("'***' is the panel's placeholder and would be ignored; give the real password")
        if secret is not None:
            body["password"] = secret
    return prepare


def _created(ctx: Any, ident: Any, body: dict[str, Any], answer: Any) -> Any:
    if isinstance(answer, dict) and answer.get("id") is not None:
        return answer
    return next((r for r in _hosts(ctx) if r.get("name") == body["name"] and r.get("host") == body["host"]),
                {k: v for k, v in body.items() if k != "password"})


def _edited(ctx: Any, ident: Any, body: dict[str, Any], answer: Any) -> Any:
    if not isinstance(answer, dict) or answer.get("id") is None:
        answer = _find_host(ctx, str(ident))
    if "host" in body or "port" in body or "username" in body or "password" in body:
        ctx.info(f"the panel did not test the new settings: eclictl databases hosts test {ident}")
    return answer


CREATE, EDIT = ("create",), ("edit",)
BOTH = "--name and --username must not be empty"
HOST_FIELDS = (
    Field("name", "--name", str, "Display name.", CREATE, required=True, panel=HOST_PANEL, show_default=True,
          check=_text("--name", BOTH)),
    Field("name", "--name", str, "New display name.", EDIT, panel=HOST_PANEL, check=_text("--name")),
    Field("host", "--host", str, "Host name or IP address of the MariaDB/MySQL server.", CREATE, required=True,
          panel=HOST_PANEL, show_default=True, check=check_host),
    Field("host", "--host", str, "New host name or IP.", EDIT, panel=HOST_PANEL, check=check_host),
    Field("port", "--port", int, "TCP port.", CREATE, default=3306, panel=HOST_PANEL, check=check_port),
    Field("port", "--port", int, "New TCP port.", EDIT, panel=HOST_PANEL, check=check_port),
    Field("username", "--username", str, "A user allowed to create databases and users.", CREATE, required=True,
          panel=HOST_PANEL, show_default=True, check=_text("--username", BOTH), sensitive=True),
    Field("username", "--username", str, "New user name.", EDIT, panel=HOST_PANEL, check=_text("--username"),
          sensitive=True),
    Field("nodeId", "--node", int, "Bind to this node id (servers on it use this host first).", CREATE,
          panel=HOST_PANEL, check=_node("")),
    Field("nodeId", "--node", int, "Bind to this node id (the panel cannot unbind).", EDIT, panel=HOST_PANEL,
          check=_node("; the panel cannot unbind a host")),
    Field("maxDatabases", "--max-databases", int, "Capacity; 0 = unlimited.", CREATE, default=0, panel=HOST_PANEL,
          check=_capacity),
    Field("maxDatabases", "--max-databases", int, "Capacity; 0 = unlimited.", EDIT, panel=HOST_PANEL,
          check=_capacity),
    Field("password", type=str, verbs=(), secret=True, help="The host password (from stdin or a file)."),
)
PASSWORD_OPTIONS = (
    Field("password", "--password", str, "Read the password from stdin ('-' only; never type it as an argument).",
          metavar="-", panel=HOST_PANEL),
    Field("password", "--password-file", Path, "Read the password from FILE (first line, trailing newline "
          "dropped).", metavar="FILE", panel=HOST_PANEL, options=(("dir_okay", False),)),
)
HOST_WRITES = (
    Write("create", "Add a database host; the panel connects with these credentials first and refuses if it cannot.",
          "Examples:\n\n  eclictl databases hosts create --name fra-2 --host "
          "db2.fra.example.com --username root --password-file ./root.pw\n\n"
          "  pass show db/fra-2 | eclictl databases hosts create --name fra-2 --host 10.0.0.5 "
          "--port 3307 --username panel --password - --node 3 --max-databases 200",
          "POST", HOSTS_PATH, extra=PASSWORD_OPTIONS, prepare=_password(True), send=_call, reread=_created,
          fields=("name", "host", "username", "password", "password_file", "port", "node", "max_databases"),
          view=_host_detail),
    Write("edit", "Change a database host; unlike create, the panel does not test the new settings (run `test`).",
          "Examples:\n\n  eclictl databases hosts edit fra-mariadb --max-databases 500\n\n"
          "  eclictl databases hosts edit 2 --password-file ./new.pw",
          "PUT", f"{HOSTS_PATH}/{{id}}", ref="ID|NAME", ref_help="Host id or exact name.", extra=PASSWORD_OPTIONS,
          fields=("name", "host", "port", "username", "password", "password_file", "node", "max_databases"),
          nothing=("nothing to change: give at least one option (see --help)", None), prepare=_password(False),
          resolve=lambda ctx, ref, body, extras: _host_id(ctx, ref), send=_call, reread=_edited, view=_host_detail),
)
HOSTS = register(replace(HOSTS, fields=HOST_FIELDS, writes=HOST_WRITES))
add_writes(hosts_app, HOSTS)


@hosts_app.command("test", epilog="Examples:\n\n  eclictl databases hosts test fra-mariadb\n\n"
                   "  eclictl databases hosts list -o ids | xargs -n1 eclictl databases hosts test")
@command(writes=True)
def hosts_test(ref: HostArg) -> Any:
    """Check that the panel can log in to the host and run SELECT 1 (exit 7 when it cannot)."""
    from eclictl.api.errors import ApiValidationError
    from eclictl.context import current

    ctx = current()
    ident = _host_id(ctx, ref)
    try:
        answer = _call(ctx, "POST", f"{HOSTS_PATH}/{ident}/test")
    except ApiValidationError as exc:
        raise RejectedError(f"database host {ref}: {exc.message}",
                            hint="check host, port and credentials: eclictl databases hosts edit") from None
    answer = answer if isinstance(answer, dict) else {}
    return {"id": ident, "success": bool(answer.get("success", True)),
            "message": answer.get("message") or "Connection successful"}


HOSTS = register(replace(HOSTS, writes=(*HOSTS.writes, Bulk(
    "delete", "Delete database hosts (the panel refuses hosts that still hold databases: 409).",
    "Examples:\n\n  eclictl databases hosts delete 3 --yes\n\n  eclictl databases hosts delete legacy old-nyc --yes",
    "delete database hosts", "ID|NAME...", "Host ids or names; '-' reads stdin.",
    lambda ctx, item: _call(ctx, "DELETE", f"{HOSTS_PATH}/{_host_id(ctx, item)}"),
    question=lambda items: f"Delete {len(items)} database host(s): {', '.join(items[:10])}?",
    dry_action="delete database host"))))
add_writes(hosts_app, HOSTS, "delete")
