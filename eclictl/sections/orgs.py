"""Organisations tab: `/api/admin/organisations*` (docs/panel/orgs.md)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Annotated, Any

import typer

from eclictl.api.pagination import PageSpec
from eclictl.errors import NotFoundError
from eclictl.options import YesOpt, command
from eclictl.output.columns import Col
from eclictl.sections._fields import Bulk, Field, Write, add_writes
from eclictl.sections._spec import Filter, Section, build, register

EDIT_PANEL = "Changes"
EDIT = ("edit",)

@dataclass(frozen=True)
class OrgSection(Section):
    def resolve(self, api: Any, ref: str) -> dict[str, Any]:
        """`q` searches names, handles and owner e-mails but not ids: look ids up in the full list."""
        if ref.strip().isdigit():
            for row in self.iter_rows(api):
                if str(row.get("id")) == ref.strip():
                    return row
            raise NotFoundError(f"no organisation '{ref}'")
        return super().resolve(api, ref)


ORGS = OrgSection(
    name="orgs",
    help="Organisations: list, show, edit, delete, add and remove members.",
    path="/api/admin/organisations",
    pages=PageSpec(items_key="organisations", page_param="page", page_size=50, total_key="total"),
    columns=(Col("id"), Col("name"), Col("handle"), Col("owner.email", "OWNER"), Col("memberCount", "MEMBERS"),
             Col("portalTier", "TIER"), Col("status"), Col("isStaff", "STAFF"), Col("createdAt", "CREATED")),
    name_fields=("handle", "name"),
    search_param="q",
    permission="org:read",
    tab="organisations",
    sensitive={"name": "orgs", "handle": "orgs"},
    filters=(
        Filter("query", "Search name, handle or owner e-mail (server-side).", param="q", short="-q"),
        Filter("tier", "Only this portal tier.", field="portalTier"),
        Filter("staff", "Only staff organisations.", field="isStaff", is_flag=True),
    ),
    verbs=("list", "show"),
    examples=(
        "eclictl orgs list -q acme",
        "eclictl orgs list --staff -o json --redact",
        "eclictl orgs show 12",
        "eclictl orgs show acme -o json",
    ),
)

app = build(ORGS)


def org_id(ref: str) -> int:
    """An organisation id for an id, handle or exact name."""
    from eclictl.context import current

    return int(ORGS.resolve_id(current().api, ref))


def find_org(api: Any, ref: str) -> dict[str, Any]:
    return ORGS.resolve(api, ref)


def _user_id(ref: str) -> int:
    """Members are users; accept an id or an exact e-mail (looked up like `users show`)."""
    if ref.isdigit():
        return int(ref)
    from eclictl.context import current
    from eclictl.sections.users import USERS

    return int(USERS.resolve_id(current().api, ref))


def _edited(ctx: Any, oid: Any, body: dict[str, Any], answer: Any) -> Any:
    org = answer.get("org") if isinstance(answer, dict) else None
    return org if isinstance(org, dict) else find_org(ctx.api, str(oid))


ORGS = register(replace(ORGS, verbs=("list", "show", "edit"), fields=(
    Field("name", "--name", str, "New name.", EDIT, panel=EDIT_PANEL),
    Field("handle", "--handle", str, "New handle (unique; a duplicate fails with a 500).", EDIT, panel=EDIT_PANEL),
    Field("portalTier", "--tier", str, "Portal tier, e.g. none, pro, enterprise.", EDIT, panel=EDIT_PANEL),
    Field("ownerId", "--owner", str, "New owner (user id or e-mail); the old owner becomes admin.", EDIT,
          panel=EDIT_PANEL, check=_user_id, sensitive=True),
    Field("isStaff", "--staff/--no-staff", bool, "Staff organisation flag.", EDIT, panel=EDIT_PANEL),
), writes=(
    Write("edit", "Change an organisation's name, handle, tier, owner or staff flag.",
          "Examples:\n\n  eclictl orgs edit 12 --name 'Acme Hosting' --tier pro\n\n"
          "  eclictl orgs edit acme --owner 42\n\n  eclictl orgs edit acme --staff --dry-run",
          "PUT", "/api/admin/organisations/{id}", ref="ORG", ref_help="Organisation id, handle or exact name.",
          nothing=("nothing to change", "pass --name, --handle, --tier, --owner or --staff"),
          resolve=lambda ctx, ref, body, extras: org_id(ref), reread=_edited, dry_run=True,
          dry_run_view=lambda oid, method, path, body: {"id": oid, "method": method, "path": path, "body": body}),
)))
add_writes(app, ORGS)


def _delete_org(ctx: Any, ref: str) -> Any:
    org = find_org(ctx.api, ref)  # the panel answers success for unknown ids: check first
    ctx.api.delete(f"/api/admin/organisations/{org['id']}")


ORGS = register(replace(ORGS, writes=(*ORGS.writes, Bulk(
    "delete", "Delete organisations (memberships go; fails while servers or orders still reference one).",
    "Examples:\n\n  eclictl orgs delete 12 --yes\n\n  eclictl orgs list -q spam -o ids | eclictl orgs delete - --dry-run",
    "delete orgs", "ORG...", "Ids, handles or names; '-' reads stdin.", _delete_org,
    question=lambda items: f"Delete {len(items)} organisation(s): {', '.join(items[:10])}?", dry_action="delete"))))
add_writes(app, ORGS, "delete")


members = typer.Typer(help="Organisation members: add (or change role) and remove.", no_args_is_help=True)
app.add_typer(members, name="members")


class OrgRole(str, Enum):
    member = "member"
    admin = "admin"
    owner = "owner"


@members.command("add", epilog="Examples:\n\n  eclictl orgs members add acme 42\n\n"
                 "  eclictl orgs members add 12 jane@example.com --role admin\n\n"
                 "  eclictl orgs members add acme 42 --role owner   # the old owner becomes admin")
@command(writes=True)
def members_add(
    ref: Annotated[str, typer.Argument(metavar="ORG", help="Organisation id, handle or exact name.")],
    user: Annotated[str, typer.Argument(metavar="USER", help="User id or e-mail.")],
    role: Annotated[OrgRole, typer.Option("--role", help="Membership role.")] = OrgRole.member,
) -> Any:
    """Add a user to an organisation, or change an existing member's role."""
    from eclictl.context import current

    ctx = current()
    oid, uid = org_id(ref), _user_id(user)
    ctx.api.post(f"/api/admin/organisations/{oid}/members", {"userId": uid, "orgRole": role.value})
    return {"orgId": oid, "userId": uid, "orgRole": role.value, "member": True}


@members.command("remove", epilog="Examples:\n\n  eclictl orgs members remove acme 42 --yes\n\n"
                 "  echo '42 43' | eclictl orgs members remove acme - --yes")
@command(bulk=True)
def members_remove(
    ref: Annotated[str, typer.Argument(metavar="ORG", help="Organisation id, handle or exact name.")],
    users: Annotated[list[str], typer.Argument(metavar="USER...", help="User ids or e-mails; '-' reads stdin.")],
    yes: YesOpt = False,
) -> Any:
    """Remove members from an organisation (the owner cannot be removed)."""
    from eclictl.bulk import confirm_and_run
    from eclictl.context import current

    ctx = current()
    items = ctx.read_ids(users)
    oid = org_id(ref)
    return confirm_and_run(ctx, f"remove members of org {oid}", items,
                           lambda user: ctx.api.delete(f"/api/admin/organisations/{oid}/members/{_user_id(user)}"),
                           question=f"Remove {len(items)} member(s) from organisation {oid}?", what="remove members",
                           yes=yes)
