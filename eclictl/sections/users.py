"""Users tab: `/api/admin/users*` and `/api/users/:id/roles*` (docs/panel/users.md, docs/panel/roles.md).

Quirks handled here (docs/panel/users.md#show-one-user,
docs/panel/users.md#edit, docs/panel/users.md#export): there is no GET for one user, so `show` combines the profile,
the role links and the current plan; `PUT` answers only `{success}`, so `edit` re-reads the row;
`cancel-plan` answers success for unknown users, so ids are checked first; the synchronous
`export` is a GET with heavy side effects (backups, e-mail), so it asks first and never retries.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Callable

import typer

from eclictl.errors import NotFoundError
from eclictl.options import DryRunOpt, YesOpt, bool_opt, command, opt
from eclictl.output.columns import Col, Group
from eclictl.sections._fields import Bulk, add_writes
from eclictl.sections._spec import Filter, Section, build, detail_view
from eclictl.sections._users_lib import PAGES, PATH, resolve_user_id
from eclictl.sections._users_fields import _check_date, _edited_view, parse_edit, verify_edit
from eclictl.sections._users_rows import (CHILD_COLUMNS, PLAN_COLUMNS, ROLE_LINK_COLUMNS, _clean_export, _link_row,
                                         _links, _optional, _plan_rows, _strip_ai_endpoints)
from eclictl.writes import given

EDIT_PANEL = "Fields"
PLAN_PANEL = "Plan options"
USER_REF = "User id or exact e-mail."
USER_REFS = "User ids or e-mails; '-' reads them from stdin."


#: `users show` on a terminal (json and tsv print the record as the panel sends it).
SHOW_GROUPS = (
    Group("Identity", ("id", "email", "firstName", "middleName", "lastName", "displayName", "title", "gender",
                       "dateOfBirth", "role", "orgRole", "portalType", "parentId", "org", "orgs", "nodeId",
                       "createdAt", "lastLoginAt", "lastPanelActivityAt", "countryOverride", "avatarUrl",
                       "githubLogin", "githubProfileUrl", "githubAvatarUrl", "contributorTitle")),
    Group("Billing", ("address", "address2", "phone", "billingCompany", "billingCity", "billingState",
                      "billingZip", "billingCountry", "currentPlan.plans", "limits"),
          tables=(("currentPlan.plans", (Col("plan.id", "PLAN"), Col("plan.name", "NAME"), Col("plan.type", "TYPE"),
                                         Col("plan.price", "PRICE"), Col("order.id", "ORDER"),
                                         Col("order.expiresAt", "EXPIRES"))),)),
    Group("Security", ("suspended", "inactive", "emailVerified", "idVerified", "studentVerified",
                       "studentVerifiedAt", "studentVerifiedUntil", "twoFactorEnabled", "fraudFlag", "fraudReason",
                       "fraudDetectedAt", "supportBanned", "supportBanReason", "voteWarnings", "deletionRequested",
                       "deletionApproved", "pendingDeletionUntil", "deletedAt", "consent", "consentVersion",
                       "consentAt", "termsConsentVersion")),
    Group("Roles", ("roles",), tables=(("roles", (Col("id", "LINK"), Col("role.id", "ROLE"), Col("role.name", "NAME"),
                                                  Col("role.description", "DESCRIPTION"))),)),
    Group("Servers", ("servers",), tables=(("servers", (
        Col("uuid"), Col("name"), Col("status"), Col("is_suspended", "SUSPENDED"), Col("nodeName", "NODE"),
        Col("eggId", "EGG"))),)),
    Group("Orders", ("orders",), tables=(("orders", (
        Col("id"), Col("status"), Col("description"), Col("amount"), Col("billingType", "BILLING"),
        Col("createdAt", "CREATED"), Col("expiresAt", "EXPIRES"))),)),
)


class _UserSection(Section):
    """Users are addressed by id or by exact (case-insensitive) e-mail."""

    def resolve_id(self, api: Any, ref: str) -> Any:
        return resolve_user_id(api, ref)


USERS = _UserSection(
    name="users",
    help="Users: list (find with --query), show, edit, suspend, delete, plans, roles, KYC, exports.",
    path=PATH,
    pages=PAGES,
    groups=SHOW_GROUPS,
    columns=(
        Col("id"), Col("email"), Col("firstName", "FIRST"), Col("lastName", "LAST"), Col("role"),
        Col("portalType", "PORTAL"), Col("suspended"), Col("fraudFlag", "FRAUD"), Col("createdAt", "CREATED"),
    ),
    name_fields=("email",),
    search_param="q",
    show_path="/api/admin/users/{id}/profile",
    delete_path="/api/admin/users/{id}",
    permission="users:read",
    tab="users",
    web_param="viewUser",
    filters=(
        Filter("query", "Search by e-mail or id (names are encrypted at rest and never match).",
               param="q", short="-q"),
        Filter("suspended", "Only suspended users (filtered locally: fetches every page).", field="suspended",
               is_flag=True),
        Filter("fraud", "Only fraud-flagged users (filtered locally).", field="fraudFlag", is_flag=True),
        Filter("portal", "Only this portal type: free, paid, educational, enterprise (filtered locally).",
               field="portalType"),
    ),
    verbs=("list",),
    examples=(
        "eclictl users list --query @example.com",
        "eclictl users list --all -o jsonl --redact",
        "eclictl users list --query spam -o ids | eclictl users suspend - --yes",
        "eclictl users list --suspended --portal paid",
    ),
)

app = build(USERS)


# -- resolving users (resolve_user_id: eclictl/sections/_users_lib.py) ----------------------
def user_row(api: Any, user_id: int) -> dict[str, Any]:
    """The list row of one user (`q=<digits>` is an exact id match); exit 6 when absent."""
    for row in USERS.iter_rows(api, {"q": str(user_id)}, all_pages=False):
        if isinstance(row, dict) and row.get("id") == user_id:
            return row
    raise NotFoundError(f"no user {user_id}", hint="User not found")


def _ctx() -> Any:
    from eclictl.context import current

    return current()


# -- show -----------------------------------------------------------------------------------


@app.command("show", epilog="Examples:\n\n  eclictl users show 42\n\n"
             "  eclictl users show jane@example.com -o json\n\n  eclictl users show 42 --redact")
@command()
def show(
    ref: Annotated[str, typer.Argument(metavar="ID|EMAIL", help=USER_REF)],
    web: bool_opt("--web", help="Open the user in the web portal instead.") = False,
) -> Any:
    """Show one user: profile, orgs, servers, orders, roles and current plan."""
    ctx = _ctx()
    user_id = resolve_user_id(ctx.api, ref)
    if web:
        from eclictl.weblinks import open_tab

        return open_tab(ctx, "users", viewUser=user_id)
    profile = ctx.api.get(f"{PATH}/{user_id}/profile")
    if not isinstance(profile, dict):
        profile = user_row(ctx.api, user_id)
    _strip_ai_endpoints(profile)
    profile["roles"] = _optional(ctx, "roles", lambda: ctx.api.get(f"/api/users/{user_id}/roles"))
    profile["currentPlan"] = _optional(ctx, "current plan", lambda: ctx.api.get(f"{PATH}/{user_id}/current-plan"))
    return detail_view(USERS, profile)


# -- edit -----------------------------------------------------------------------------------


@app.command("edit", epilog="Examples:\n\n  eclictl users edit 42 --set firstName=Jane --set phone=null\n\n"
             "  eclictl users edit 42 --set limits.memory=4GB --set limits.cpu=200\n\n"
             "  eclictl users edit 42 --set 'badges=[\"beta\"]' --dry-run\n\n"
             "  eclictl users edit 42 --set role=rootAdmin   # root callers only")
@command()
def edit(
    ref: Annotated[str, typer.Argument(metavar="ID|EMAIL", help=USER_REF)],
    sets: Annotated[list[str], typer.Option(
        "--set", "-s", help="field=value (true/false, null, numbers and JSON are typed). Fields: "
        "names, address, billing*, phone, email, role (root only), portalType, nodeId, suspended/inactive "
        "(users:suspend), supportBanned/supportBanReason (tickets:ban), emailVerified, idVerified, "
        "studentVerified, fraudFlag, fraudReason, limits (object or null; limits.memory=2GB), "
        "dateOfBirth, parentId, badges (JSON array).", rich_help_panel=EDIT_PANEL)],
    dry_run: DryRunOpt = False,
) -> Any:
    """Change fields of a user (validated locally before anything is sent)."""
    ctx = _ctx()
    body = parse_edit(sets)
    user_id = resolve_user_id(ctx.api, ref)
    if dry_run:
        return {"id": user_id, "method": "PUT", "path": f"{PATH}/{user_id}", "body": body}
    if body.get("limits") is None and "limits" in body:
        ctx.warn("limits=null clears ALL of the user's limits")
    ctx.api.put(f"{PATH}/{user_id}", body)
    row = user_row(ctx.api, user_id)
    verify_edit(user_id, body, row)
    return _edited_view(row, body)


# -- suspend / unsuspend / delete -----------------------------------------------------------
def _set_suspended(ctx: Any, ref: str, value: bool) -> Any:
    user_id = resolve_user_id(ctx.api, ref)
    row = user_row(ctx.api, user_id)
    if bool(row.get("suspended")) == value:
        return ("skipped", "already suspended" if value else "not suspended")
    ctx.api.put(f"{PATH}/{user_id}", {"suspended": value})
    return None


add_writes(app, replace(USERS, writes=(
    Bulk("suspend", "Suspend users (needs users:suspend; e-mails each user; root users cannot be suspended).",
         "Examples:\n\n  eclictl users suspend 42 43 --yes\n\n"
         "  eclictl users list --query spam -o ids | eclictl users suspend - --yes",
         "suspend users", "ID...", USER_REFS, lambda ctx, ref: _set_suspended(ctx, ref, True), dry_action="suspend",
         question=lambda items: f"Suspend {len(items)} user(s): {', '.join(items[:10])}?"),
    Bulk("unsuspend", "Lift the suspension of users (needs users:suspend).",
         "Examples:\n\n  eclictl users unsuspend 42\n\n"
         "  eclictl users list --suspended -o ids | eclictl users unsuspend -",
         "unsuspend users", "ID...", USER_REFS, lambda ctx, ref: _set_suspended(ctx, ref, False), yes=False,
         dry_run=False),
    Bulk("delete", "Hard-delete users (not the GDPR flow: prefer `eclictl deletions`; root users are refused).",
         "Examples:\n\n  eclictl users delete 42 --yes\n\n"
         "  eclictl users list --query @spam.test -o ids | eclictl users delete - --yes",
         "delete users", "ID...", USER_REFS, lambda ctx, ref: ctx.api.delete(f"{PATH}/{resolve_user_id(ctx.api, ref)}"),
         question=lambda items: f"Permanently delete {len(items)} user(s): {', '.join(items[:10])}?"),
)))


# -- plans ----------------------------------------------------------------------------------


@app.command("plan", epilog="Examples:\n\n  eclictl users plan 42\n\n  eclictl users plan jane@example.com -o json")
@command()
def plan(ref: Annotated[str, typer.Argument(metavar="ID|EMAIL", help=USER_REF)]) -> Any:
    """Show a user's current plan(s) and the active orders behind them."""
    from eclictl.output.render import View

    ctx = _ctx()
    user_id = resolve_user_id(ctx.api, ref)
    body = ctx.api.get(f"{PATH}/{user_id}/current-plan")
    if not (body or {}).get("plans") and not (body or {}).get("orders"):
        user_row(ctx.api, user_id)  # the panel answers empty arrays for unknown users
    return View(_plan_rows(body), columns=PLAN_COLUMNS, id_field="planId", empty="no active plan",
                json_data={"userId": user_id, **(body if isinstance(body, dict) else {})})


@app.command("apply-plan", epilog="Examples:\n\n  eclictl users apply-plan 42 3 --yes\n\n"
             "  eclictl users apply-plan 42 3 --lifetime --notes 'partner deal' --yes")
@command()
def apply_plan(
    ref: Annotated[str, typer.Argument(metavar="ID|EMAIL", help=USER_REF)],
    plan_id: Annotated[int, typer.Argument(metavar="PLAN", help="The plan's id.")],
    temporary: bool_opt("--temporary", help="Mark the order '(temporary)' (no automatic revert).",
                        panel=PLAN_PANEL) = False,
    expires_at: opt(str, "--expires-at", help="Expiry date (default: 30 days).", panel=PLAN_PANEL) = None,
    lifetime: bool_opt("--lifetime", help="A lifetime order (billingType lifetime).", panel=PLAN_PANEL) = False,
    notes: opt(str, "--notes", help="Order notes.", panel=PLAN_PANEL) = None,
    org: opt(int, "--org", help="Also set this organisation's tier.", panel=PLAN_PANEL) = None,
    yes: YesOpt = False,
) -> Any:
    """Put a user on a plan (cancels their other non-org active orders; needs users:write)."""
    ctx = _ctx()
    if expires_at:
        _check_date("--expires-at", expires_at[:10])
    user_id = resolve_user_id(ctx.api, ref)
    body = {"planId": plan_id, **given(temporary=True if temporary else None, expiresAt=expires_at or None,
                                       billingType="lifetime" if lifetime else None, notes=notes or None,
                                       orgId=org)}
    ctx.confirm(f"Apply plan {plan_id} to user {user_id}? Their other active orders are cancelled.", yes=yes,
                what="apply a plan")
    answer = ctx.api.post(f"{PATH}/{user_id}/apply-plan", body)
    return answer if isinstance(answer, dict) else {"success": True}


@app.command("cancel-plan", epilog="Examples:\n\n  eclictl users cancel-plan 42 --yes")
@command()
def cancel_plan(ref: Annotated[str, typer.Argument(metavar="ID|EMAIL", help=USER_REF)], yes: YesOpt = False) -> Any:
    """Cancel every active order of a user (org orders too); back to the free plan when none remain."""
    ctx = _ctx()
    user_id = resolve_user_id(ctx.api, ref)
    user_row(ctx.api, user_id)  # the panel answers success for unknown users
    before = ctx.api.get(f"{PATH}/{user_id}/current-plan") or {}
    ctx.confirm(f"Cancel every active order of user {user_id}?", yes=yes, what="cancel plans")
    ctx.api.post(f"{PATH}/{user_id}/cancel-plan")
    row = user_row(ctx.api, user_id)
    orders = [o.get("id") for o in (before.get("orders") or []) if isinstance(o, dict)]
    return {"id": user_id, "cancelledOrders": orders, "portalType": row.get("portalType"),
            "limits": row.get("limits")}


# -- KYC request, exports, children -------------------------------------------------------
add_writes(app, replace(USERS, writes=(
    Bulk("request-kyc", "Ask users to (re-)verify their identity (mailbox message; needs admin:kyc:manage).",
         "Examples:\n\n  eclictl users request-kyc 42\n\n  eclictl users request-kyc 42 43 44",
         "request KYC", "ID...", USER_REFS,
         lambda ctx, ref: ctx.api.post(f"{PATH}/{resolve_user_id(ctx.api, ref)}/request-kyc"),
         yes=False, dry_run=False),
)))


@app.command("export", epilog="Examples:\n\n  eclictl users export 42 --file user-42.json --yes\n\n"
             "  eclictl users export 42 --yes --redact > u42.json\n\n"
             "  eclictl users export-job 42   # the queued alternative (preferred)")
@command()
def export(
    ref: Annotated[str, typer.Argument(metavar="ID|EMAIL", help=USER_REF)],
    file: opt(str, "--file", "-f", metavar="FILE", help="Write the JSON export to FILE (0600, replaced atomically; "
              "real values even in privacy mode) instead of stdout.", panel="Output") = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait: the panel gathers everything "
                                           "in-request.", min=1, rich_help_panel="Connection")] = 900.0,
    yes: YesOpt = False,
) -> Any:
    """Run the synchronous full export (starts backups on every server and e-mails an archive)."""
    ctx = _ctx()
    user_id = resolve_user_id(ctx.api, ref)
    ctx.confirm(f"Export user {user_id} now? This starts a backup on each of their servers and e-mails the "
                "archive.", yes=yes, what="run a synchronous export")
    api = ctx.build_client()
    api.max_retries = 0  # a retried GET would start the backups and e-mail again
    try:
        data = api.request("GET", f"{PATH}/{user_id}/export", timeout=timeout).data
    finally:
        api.close()
    data = _clean_export(data if isinstance(data, dict) else {})
    if file is None:
        ctx.output = ctx.output or "json"
        return data  # shown like any output: masked in privacy mode
    from eclictl.files import note_exports_unmasked, write_private
    from eclictl.output.render import dumps

    write_private(file, dumps(data) + "\n")
    note_exports_unmasked(ctx)
    ctx.info(f"export of user {user_id} written to {file}; archive e-mailed to {data.get('emailSentTo')}")
    return None


@app.command("export-job", epilog="Examples:\n\n  eclictl users export-job 42\n\n"
             "  eclictl export-jobs show $(eclictl users export-job 42 -o ids)")
@command(writes=True)
def export_job(ref: Annotated[str, typer.Argument(metavar="ID|EMAIL", help=USER_REF)]) -> Any:
    """Queue an export job for a user (the panel's runner builds the archive within minutes)."""
    from eclictl.output.render import View

    ctx = _ctx()
    user_id = resolve_user_id(ctx.api, ref)
    user_row(ctx.api, user_id)  # the panel queues jobs for missing users that fail later
    answer = ctx.api.post(f"{PATH}/{user_id}/export-job") or {}
    return View({"userId": user_id, "jobId": answer.get("jobId")}, detail=True, id_field="jobId")


@app.command("children", epilog="Examples:\n\n  eclictl users children 42\n\n  eclictl users children 42 -o ids")
@command()
def children(ref: Annotated[str, typer.Argument(metavar="ID|EMAIL", help=USER_REF)]) -> Any:
    """List the sub-accounts whose parentId is this user."""
    from eclictl.output.render import View

    ctx = _ctx()
    user_id = resolve_user_id(ctx.api, ref)
    body = ctx.api.get(f"{PATH}/{user_id}/children") or {}
    rows = body.get("children") if isinstance(body, dict) else body
    if not rows:
        user_row(ctx.api, user_id)  # a missing parent answers an empty list
    return View(rows or [], columns=CHILD_COLUMNS, empty="no child accounts")


# -- role assignments ----------------------------------------------------------------------


@app.command("roles", epilog="Examples:\n\n  eclictl users roles 42\n\n  eclictl users roles jane@example.com -o json")
@command()
def roles(ref: Annotated[str, typer.Argument(metavar="ID|EMAIL", help=USER_REF)]) -> Any:
    """List the RBAC roles assigned to a user (the legacy `role` column is separate)."""
    from eclictl.output.render import View

    ctx = _ctx()
    user_id = resolve_user_id(ctx.api, ref)
    links = _links(ctx.api, user_id)
    if not links:
        user_row(ctx.api, user_id)  # an unknown user answers []
    return View([_link_row(link) for link in links], columns=ROLE_LINK_COLUMNS, id_field="roleId",
                empty="no roles assigned")


def _role_items(ctx: Any, role_refs: list[str]) -> list[dict[str, Any]]:
    from eclictl.sections._roles_api import fetch_roles, find_role

    catalogue = fetch_roles(ctx.api)
    found: dict[int, dict[str, Any]] = {}
    for ref in role_refs:
        role = find_role(catalogue, ref)
        found.setdefault(int(role["id"]), role)
    return list(found.values())


def _each_role(ref: str, role_refs: list[str], action: str, one: Callable[..., Any], *, exists: bool = False) -> None:
    """What assign and unassign share: the user (`exists`: checked first), each named role once, the
    user's role links (remembered for `eclictl undo` / --revert-after), then `one(ctx, user_id, role,
    links)` per role, one at a time, with the per-role report."""
    from eclictl.bulk import BulkRunner, finish
    from eclictl.safety.undo import remember

    ctx = _ctx()
    user_id = resolve_user_id(ctx.api, ref)
    if exists:
        user_row(ctx.api, user_id)
    by_name = {str(r["name"]): r for r in _role_items(ctx, role_refs)}
    links = _links(ctx.api, user_id)
    remember(ctx, "user-roles", user_id, rows=links)
    finish(ctx, BulkRunner(ctx, concurrency=1).run(action.format(user_id), list(by_name),
                                                   lambda name: one(ctx, user_id, by_name[name], links)))


@app.command("assign", epilog="Examples:\n\n  eclictl users assign 42 support\n\n"
             "  eclictl users assign jane@example.com support billing\n\n"
             "  eclictl users assign 42 support --revert-after 8h --reason 'on call tonight'")
@command(undoable=True)
def assign(
    ref: Annotated[str, typer.Argument(metavar="ID|EMAIL", help=USER_REF)],
    role_refs: Annotated[list[str], typer.Argument(metavar="ROLE...", help="Role ids or names.")],
) -> Any:
    """Give a user roles (idempotent: a role the user already holds is skipped, never duplicated)."""

    def one(ctx: Any, user_id: int, role: dict[str, Any], links: list[dict[str, Any]]) -> Any:
        if role["id"] in {(link.get("role") or {}).get("id") for link in links}:
            return ("skipped", "already assigned")
        ctx.api.post(f"/api/users/{user_id}/roles", {"roleId": int(role["id"])})
        return None

    return _each_role(ref, role_refs, "assign roles to user {}", one, exists=True)


@app.command("unassign", epilog="Examples:\n\n  eclictl users unassign 42 support\n\n"
             "  eclictl users unassign 42 support billing")
@command(undoable=True)
def unassign(
    ref: Annotated[str, typer.Argument(metavar="ID|EMAIL", help=USER_REF)],
    role_refs: Annotated[list[str], typer.Argument(metavar="ROLE...", help="Role ids or names.")],
) -> Any:
    """Take roles away from a user (every duplicate link of the role is removed)."""

    def one(ctx: Any, user_id: int, role: dict[str, Any], links: list[dict[str, Any]]) -> Any:
        mine = [link for link in links if (link.get("role") or {}).get("id") == role["id"]]
        if not mine:
            return ("skipped", "not assigned")
        for link in mine:
            ctx.api.delete(f"/api/users/{user_id}/roles/{link['id']}")
        return None

    return _each_role(ref, role_refs, "unassign roles from user {}", one)
