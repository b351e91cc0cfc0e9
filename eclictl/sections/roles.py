"""Roles (RBAC): `/api/roles*` and `/api/permissions` (docs/panel/roles.md).

Quirks handled here: `GET /api/roles/:id` answers text/plain `[object Object]`, so roles are
read from `GET /api/roles`; permission rows are deleted by row id and the panel IGNORES the
role id in the path, so `revoke` only ever deletes rows that `GET /api/roles/:id/permissions`
lists for that very role; duplicates are allowed by the panel, so `grant` checks first; a role
with permissions, assignments or children cannot be deleted (500), so `delete` explains or,
with `--force`, removes permissions and assignments first. There is no route to change a
role's name, description or parent after creation.
"""

from __future__ import annotations

from typing import Annotated, Any, Callable

import typer

from eclictl.errors import EclictlError, RejectedError, UsageError
from eclictl.options import SAFETY_PANEL, DryRunOpt, YesOpt, bool_opt, command, opt
from eclictl.output.columns import Col
from eclictl.sections._roles_api import (KNOWN_UNCATALOGUED, PATH, _is_known_wildcard, _role_perms,  # noqa: F401
                                         _values, check_permission, check_permissions, create_role,
                                         fetch_catalogue, fetch_roles, find_role, grant_one, revoke_one)
from eclictl.sections._roles_code import (_check_max_affected, execute, export_toml,  # noqa: F401
                                          load_file, make_plan, plan_view)
from eclictl.sections._spec import Filter, Section, build


def _ctx() -> Any:
    from eclictl.context import current

    return current()

FILE_PANEL = "Roles as code"

def _perm_count(value: Any) -> str:
    return str(len(value)) if isinstance(value, list) else ""


ROLES = Section(
    name="roles",
    help="Roles and permissions (RBAC): list, show, create, delete, grant, revoke; roles as ",
    path=PATH,
    columns=(Col("id"), Col("name"), Col("description", max_width=40), Col("parentRole.name", "PARENT"),
             Col("permissions", "PERMS", fmt=_perm_count)),
    permission="roles:read",
    tab="roles",
    filters=(Filter("name", "Only roles whose name contains this text.", field="name"),),
    verbs=("list",),
    examples=("eclictl roles list", "eclictl roles list -o json", "eclictl roles list --name support"),
)

app = build(ROLES)


# -- show -----------------------------------------------------------------------------------
PERM_COLUMNS = (Col("permission"), Col("source"), Col("id"))


def role_detail(roles: list[dict[str, Any]], role: dict[str, Any]) -> dict[str, Any]:
    """The role with its own and inherited (direct parent only) permissions."""
    parent = role.get("parentRole") if isinstance(role.get("parentRole"), dict) else None
    if parent is None and role.get("parentRoleId") is not None:
        parent = next((r for r in roles if r.get("id") == role.get("parentRoleId")), None)
    if parent is not None and "permissions" not in parent:
        parent = next((r for r in roles if r.get("id") == parent.get("id")), parent)
    return {
        "id": role.get("id"), "name": role.get("name"), "description": role.get("description"),
        "parentRoleId": role.get("parentRoleId"), "parent": (parent or {}).get("name"),
        "permissions": sorted(role.get("permissions") or [], key=lambda p: str(p.get("value"))),
        "inheritedPermissions": sorted(({"id": p.get("id"), "value": p.get("value"), "from": parent.get("name")}
                                        for p in (parent or {}).get("permissions") or [] if isinstance(p, dict)),
                                       key=lambda p: str(p.get("value"))),
    }


#: The ROLE argument of the one-role verbs.
RoleArg = Annotated[str, typer.Argument(metavar="ROLE", help="Role id or name.")]


@app.command("show", epilog="Examples:\n\n  eclictl roles show support\n\n  eclictl roles show 3 -o json")
@command()
def show(ref: RoleArg) -> Any:
    """Show a role's permissions, marking those inherited from its parent role."""
    from eclictl.output.render import View

    ctx = _ctx()
    roles = fetch_roles(ctx.api)
    detail = role_detail(roles, find_role(roles, ref))
    rows = [{"permission": p.get("value"), "source": "own", "id": p.get("id")} for p in detail["permissions"]]
    rows += [{"permission": p.get("value"), "source": f"inherited from {p.get('from')}", "id": p.get("id")}
             for p in detail["inheritedPermissions"]]
    parent = next((r for r in roles if r.get("id") == detail["parentRoleId"]), None)
    if parent is not None and parent.get("parentRoleId") is not None:
        ctx.info(f"note: permissions of {parent.get('name')}'s own parent are NOT inherited "
                 "(the panel loads one level)")
    title = f"role {detail['name']} (id {detail['id']})" + (f": {detail['description']}"
                                                          if detail.get("description") else "")
    return View(rows, columns=PERM_COLUMNS, id_field="permission", title=title, json_data=detail,
                empty=f"role {detail['name']} has no permissions")


WildcardOpt = bool_opt("--allow-wildcard", help="Allow granting '*'.", panel=SAFETY_PANEL)


@app.command("create", epilog="Examples:\n\n  eclictl roles create support --description 'Support staff' "
             "-p admin:access -p users:read\n\n  eclictl roles create senior-support --parent support "
             "-p users:suspend")
@command(undoable=True)
def create(
    name: Annotated[str, typer.Argument(help="The new role's name (unique; cannot be renamed later).")],
    description: opt(str, "--description", "-d", help="What the role is for (cannot be changed later).") = None,
    parent: opt(str, "--parent", help="Parent role (id or name) whose permissions are inherited, one level "
                "deep.") = None,
    permissions: opt(list[str], "--permission", "-p", help="Grant this permission (repeatable).") = None,
    allow_wildcard: WildcardOpt = False,
) -> Any:
    """Create a role, optionally with a parent and permissions."""
    ctx = _ctx()
    if not name.strip():
        raise UsageError("the role name cannot be empty")
    perms = list(dict.fromkeys(permissions or []))
    roles = fetch_roles(ctx.api)
    clash = next((r for r in roles if r.get("name") == name), None)
    if clash is not None:  # the panel would answer 500
        raise RejectedError(f"role '{name}' already exists (id {clash.get('id')})")
    parent_id = int(find_role(roles, parent)["id"]) if parent else None
    check_permissions(ctx, perms, allow_wildcard=allow_wildcard)
    role = create_role(ctx, name, description, parent_id)
    from eclictl.safety.undo import remember

    remember(ctx, "role", name, before={"exists": False})  # undo deletes it again
    for perm in perms:
        grant_one(ctx, int(role["id"]), perm)
    roles = fetch_roles(ctx.api)
    return role_detail(roles, find_role(roles, str(role["id"])))


def _children_of(roles: list[dict[str, Any]], role_id: Any) -> list[str]:
    return [str(r.get("name")) for r in roles if r.get("parentRoleId") == role_id and r.get("id") != role_id]


def _remove_assignments(ctx: Any, role_id: int) -> int:
    """No route lists a role's users: scan every user's role links (slow on big panels)."""
    from eclictl.sections.users import USERS

    removed = 0
    for user in USERS.iter_rows(ctx.api, {}):
        uid = user.get("id") if isinstance(user, dict) else None
        if uid is None:
            continue
        for link in ctx.api.get(f"/api/users/{uid}/roles") or []:
            if isinstance(link, dict) and (link.get("role") or {}).get("id") == role_id:
                from eclictl.safety.undo import remember

                remember(ctx, "user-roles", uid)  # the user's roles before (undo assigns it again)
                ctx.api.delete(f"/api/users/{uid}/roles/{link['id']}")
                removed += 1
    return removed


@app.command("delete", epilog="Examples:\n\n  eclictl roles delete old-support --yes\n\n"
             "  eclictl roles delete old-support --force --yes   # revoke permissions and assignments first")
@command(undoable=True)
def delete(
    ref: RoleArg,
    force: bool_opt("--force", help="Revoke its permissions and remove it from every user first (the panel refuses "
                    "otherwise).", panel=SAFETY_PANEL) = False,
    yes: YesOpt = False,
) -> Any:
    """Delete a role (the panel refuses while it has permissions, users or child roles)."""
    from eclictl.api.errors import ApiServerError

    ctx = _ctx()
    roles = fetch_roles(ctx.api)
    role = find_role(roles, ref)
    role_id, name = int(role["id"]), str(role.get("name"))
    kids = _children_of(roles, role_id)
    if kids:
        raise RejectedError(f"role '{name}' is the parent of {', '.join(kids)}; the panel cannot delete it",
                            hint="delete those roles first (a parent cannot be changed after creation)")
    perms = _role_perms(ctx.api, role_id)
    if perms and not force:
        raise RejectedError(f"role '{name}' still has {len(perms)} permission(s); the panel refuses to delete "
                            "it (500)", hint="rerun with --force to revoke them (and remove assignments) first")
    ctx.confirm(f"Delete role '{name}' (id {role_id})" + (" and revoke its permissions" if perms else "") + "?",
                yes=yes, what="delete roles")
    from eclictl.safety.undo import remember

    remember(ctx, "role", name, rows=roles)  # undo recreates it (new id) with its permissions
    for row in perms:
        ctx.api.delete(f"{PATH}/{role_id}/permissions/{int(row['id'])}")
    removed = 0
    try:
        ctx.api.delete(f"{PATH}/{role_id}")
    except ApiServerError:
        if not force:
            raise RejectedError(f"the panel refused to delete role '{name}' (500): it is probably still "
                                "assigned to users", hint="rerun with --force to remove the assignments first")
        removed = _remove_assignments(ctx, role_id)
        ctx.api.delete(f"{PATH}/{role_id}")
    return {"id": role_id, "name": name, "deleted": True, "revokedPermissions": len(perms),
            "removedAssignments": removed}


# -- grant / revoke -------------------------------------------------------------------------
def _each_perm(ref: str, perms: list[str], action: str, step: Callable[..., Callable[[str], Any]]) -> None:
    """grant/revoke: the permissions (arguments or stdin), the role named by `ref`, every role
    remembered (for `eclictl undo` / --revert-after), then one permission at a time with the report.
    `step(ctx, items, roles, role)` reads what it needs first and returns the per-permission call."""
    from eclictl.bulk import BulkRunner, finish
    from eclictl.safety.undo import remember

    ctx = _ctx()
    items = ctx.read_ids(perms)
    roles = fetch_roles(ctx.api)
    role = find_role(roles, ref)
    one = step(ctx, items, roles, role)
    remember(ctx, "role", str(role.get("name")), rows=roles)
    finish(ctx, BulkRunner(ctx, concurrency=1).run(f"{action} role {role.get('name')}", items, one))


PermsArg = Annotated[list[str], typer.Argument(metavar="PERM...", help="Permission strings; '-' reads stdin.")]


@app.command("grant", epilog="Examples:\n\n  eclictl roles grant support users:read admin:kyc:view\n\n"
             "  eclictl roles grant students admin:student:verify\n\n"
             "  eclictl roles grant support users:suspend --revert-after 1h --reason 'weekend cover'")
@command(undoable=True)
def grant(
    ref: RoleArg,
    perms: PermsArg,
    allow_wildcard: WildcardOpt = False,
) -> Any:
    """Grant permissions to a role (one already granted is skipped, never duplicated)."""

    def step(ctx: Any, items: list[str], roles: list[dict[str, Any]], role: dict[str, Any]) -> Callable[[str], Any]:
        role_id = int(role["id"])
        check_permissions(ctx, items, allow_wildcard=allow_wildcard)
        held = set(_values(_role_perms(ctx.api, role_id)))

        def one(perm: str) -> Any:
            if perm in held:
                return ("skipped", "already granted")
            grant_one(ctx, role_id, perm)
            return None

        return one

    _each_perm(ref, perms, "grant to", step)
    return None


@app.command("revoke", epilog="Examples:\n\n  eclictl roles revoke support users:suspend\n\n"
             "  eclictl roles revoke support tickets:ban tickets:delete")
@command(undoable=True)
def revoke(
    ref: RoleArg,
    perms: PermsArg,
) -> Any:
    """Revoke permissions from a role (only that role's rows; never another role's)."""

    def step(ctx: Any, items: list[str], roles: list[dict[str, Any]], role: dict[str, Any]) -> Callable[[str], Any]:
        role_id = int(role["id"])
        inherited = set(_values(role_detail(roles, role)["inheritedPermissions"]))

        def one(perm: str) -> Any:
            if revoke_one(ctx, role_id, perm):
                return None
            if perm in inherited:
                return ("skipped", "not granted here: inherited from the parent role")
            return ("skipped", "not granted")

        return one

    _each_perm(ref, perms, "revoke from", step)
    return None


# -- the catalogue ----------------------------------------------------------------------------
CATALOGUE_COLUMNS = (Col("value", "PERMISSION"), Col("category"), Col("admin"), Col("description", max_width=60))
UNKNOWN_COLUMNS = (Col("value", "PERMISSION"), Col("roles"), Col("note"))


@app.command("permissions", epilog="Examples:\n\n  eclictl roles permissions\n\n"
             "  eclictl roles permissions --category KYC\n\n  eclictl roles permissions --unknown")
@command()
def permissions(
    category: opt(str, "--category", help="Only this category (case-insensitive).") = None,
    unknown: bool_opt("--unknown", help="Instead list strings granted on roles that the catalogue lacks.") = False,
) -> Any:
    """List the panel's permission catalogue (category, description, admin flag)."""
    from eclictl.output.render import View

    ctx = _ctx()
    catalogue = fetch_catalogue(ctx.api)
    if not unknown:
        rows = [p for p in catalogue if not category or str(p.get("category", "")).lower() == category.lower()]
        return View(rows, columns=CATALOGUE_COLUMNS, id_field="value", empty="no permissions")
    known = {str(p.get("value")) for p in catalogue}
    found: dict[str, list[str]] = {}
    for role in fetch_roles(ctx.api):
        for value in _values(role.get("permissions")):
            if value not in known:
                found.setdefault(value, []).append(str(role.get("name")))
    rows = []
    for value in sorted(found):
        if value in KNOWN_UNCATALOGUED:
            note = "checked by the panel; missing from the catalogue"
        elif _is_known_wildcard(value, known):
            note = "wildcard over catalogue entries"
        else:
            note = "unknown to the panel (typo?)"
        rows.append({"value": value, "roles": sorted(set(found[value])), "note": note})
    return View(rows, columns=UNKNOWN_COLUMNS, id_field="value", empty="every granted string is in the catalogue")


# -- roles as code ----------------------------------------------------------------------------
FileOpt = Annotated[str, typer.Option("--file", "-f", metavar="FILE", help="The roles TOML file.",
                                      rich_help_panel=FILE_PANEL)]
PruneOpt = bool_opt("--prune", help="Also delete panel roles the file does not list.", panel=FILE_PANEL)


@app.command("export", epilog="Examples:\n\n  eclictl roles export -f roles.toml\n\n  eclictl roles export > roles.toml")
@command(output=False)
def export(
    file: opt(str, "--file", "-f", metavar="FILE", help="Write to FILE (0600, replaced atomically) instead of stdout.",
              panel=FILE_PANEL) = None,
) -> Any:
    """Write every role (description, parent, sorted permissions) as TOML."""
    ctx = _ctx()
    text = export_toml(fetch_roles(ctx.api))
    from eclictl.files import note_exports_unmasked, write_private

    if file is None:
        ctx.io.stdout.write(text)
    else:
        write_private(file, text)
        ctx.info(f"wrote {text.count('[roles.')} role(s) to {file}")
    if file is not None or not ctx.io.stdout_tty:
        note_exports_unmasked(ctx)
    return None


@app.command("diff", epilog="Examples:\n\n  eclictl roles diff -f roles.toml\n\n"
             "  eclictl roles diff -f roles.toml --prune -o json\n\n"
             "  eclictl roles diff -f roles.toml >/dev/null || echo 'roles drifted'")
@command()
def diff(file: FileOpt, prune: PruneOpt = False) -> Any:
    """Print what `apply` would change; exit 0 when nothing, 1 when changes are pending."""
    from eclictl.errors import QuietExit
    ctx = _ctx()
    desired = load_file(file)
    plan = make_plan(desired, fetch_roles(ctx.api), prune=prune)
    catalogue = {str(p.get("value")) for p in fetch_catalogue(ctx.api)} if plan else set()
    for change in plan:
        if change["action"] == "grant":
            _soft_check(ctx, change["permission"], catalogue)
    if not plan:
        ctx.info(f"no changes: the panel matches {file}")
        return None
    ctx.emit(plan_view(plan))
    raise QuietExit(1)


def _soft_check(ctx: Any, perm: str, catalogue: set[str]) -> None:
    try:
        check_permission(ctx, perm, catalogue, allow_wildcard=True)
    except EclictlError:
        ctx.warn(f"'{perm}' is not a valid permission string")


@app.command("apply", epilog="Examples:\n\n  eclictl roles apply -f roles.toml --dry-run\n\n"
             "  eclictl roles apply -f roles.toml --yes\n\n  eclictl roles apply -f roles.toml --prune --yes\n\n"
             "  eclictl roles apply -f roles.toml --prune --yes --max-affected 3")
@command(undoable=True)
def apply(
    file: FileOpt,
    prune: PruneOpt = False,
    dry_run: DryRunOpt = False,
    allow_wildcard: bool_opt("--allow-wildcard", help="Allow the file to grant '*'.", panel=SAFETY_PANEL) = False,
    max_affected: opt(int, "--max-affected", min=0, metavar="N", help="Refuse (exit 7, nothing changed) when more "
                      "than N existing roles would be changed (grant/revoke) or deleted. Default: no limit, or 10 "
                      "with --prune.", panel=SAFETY_PANEL) = None,
    allow_empty: bool_opt("--allow-empty", help="With --prune, accept a file that lists no role (it plans to delete "
                          "every role).", panel=SAFETY_PANEL) = False,
    yes: YesOpt = False,
) -> Any:
    """Make the panel's roles match the file (creates parents first), then verify."""
    ctx = _ctx()
    desired = load_file(file)
    if prune and not desired.roles and not allow_empty:
        raise RejectedError(f"{file} lists no role: with --prune that deletes every role; nothing was changed",
                            hint="pass --allow-empty if that is really meant")
    roles = fetch_roles(ctx.api)
    plan = make_plan(desired, roles, prune=prune)
    _check_max_affected(plan, roles, max_affected if max_affected is not None else (10 if prune else None))
    if not plan:
        ctx.info(f"no changes: the panel matches {file}")
        return None
    grants = [c["permission"] for c in plan if c["action"] == "grant"]
    check_permissions(ctx, dict.fromkeys(grants), allow_wildcard=allow_wildcard)
    if dry_run:
        return plan_view(plan)
    destructive = [c for c in plan if c["action"] in ("revoke", "delete")]
    if destructive:
        ctx.confirm(f"Apply {len(plan)} change(s) from {file}, including {len(destructive)} revoke/delete?",
                    yes=yes, what="apply role changes")
    return execute(ctx, plan, desired, file, prune=prune)

