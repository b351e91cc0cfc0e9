"""Tickets tab: `/api/admin/tickets*` (docs/panel/support.md#tickets, feature `ticketing`).

The panel has no single-ticket route: `show` searches the open, closed and archived lists.
`PUT /api/admin/tickets/:id` answers `{success, ticket}`; archiving answers success even for
ids that do not exist, so `archive` re-reads the archived list to report each id honestly.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

import typer

from eclictl.api.pagination import PageSpec
from eclictl.errors import NotFoundError, UsageError
from eclictl.options import DryRunOpt, bool_opt, command, opt
from eclictl.output.columns import Col
from eclictl.sections._fields import Field, Write, add_writes
from eclictl.sections._spec import Filter, Section, build, detail_view, register

PATH = "/api/admin/tickets"
#: The panel's statuses and their aliases: one table for list filters and for writes. Writes go through
#: normalizeTicketStatus (adminHandler.ts), which stores ANY other word as a new status; the list filter
#: knows only the canonical names and matches anything else literally, so `?status=pending` finds nothing.
STATUSES = ("opened", "awaiting_staff_reply", "replied", "closed")
STATUS_ALIASES = {
    "open": "opened", "opened": "opened", "pending": "awaiting_staff_reply", "waiting": "awaiting_staff_reply",
    "waiting_staff": "awaiting_staff_reply", "awaiting_staff_reply": "awaiting_staff_reply",
    "replied": "replied", "closed": "closed",
}
STATUS_HELP = "opened|pending|replied|closed (aliases: open, waiting, waiting_staff, awaiting_staff_reply)"
PRIORITIES = ("low", "medium", "high", "urgent")
EDIT_PANEL = "Fields (need tickets:write)"

TICKETS = Section(
    name="tickets",
    help="Support tickets: list, show, reply, set status, assign, edit, archive (feature 'ticketing').",
    path=PATH,
    pages=PageSpec(items_key="tickets", page_param="page", page_size=50, total_key="total"),
    columns=(
        Col("id"), Col("status"), Col("priority"), Col("subject", max_width=40), Col("user.email", "USER"),
        Col("assignedTo", "ASSIGNED"), Col("department", "DEPT"), Col("updatedAt", "UPDATED"),
    ),
    name_fields=(),
    permission="tickets:read",
    tab="tickets",
    # Ticket text, staff names and attachment URLs are personal data (docs/panel/support.md#tickets).
    sensitive={"subject": "pii", "message": "pii", "adminReply": "pii", "messages": "subtree",
               "attachments": "subtree"},
    filters=(
        Filter("query", "Digits: the owner's user id; else matches the owner's e-mail.", param="q", short="-q"),
        Filter("status", "opened|pending|replied|closed|archived (aliases: open, waiting, ...).",
               param="status", convert=lambda _api, value: normalise_status(value, listing=True)),
        Filter("priority", "low|medium|high|urgent (exact).", param="priority"),
        Filter("archived", "Only archived tickets.", param="archived", is_flag=True),
    ),
    verbs=("list",),
    examples=(
        "eclictl tickets list",
        "eclictl tickets list --status pending --priority urgent",
        "eclictl tickets list -q user@example.com --all -o json --redact",
        "eclictl tickets list --archived -o ids",
    ),
)

app = build(TICKETS)


def normalise_status(value: str, *, listing: bool = False) -> str:
    """The canonical status for a name or alias; an unknown word is refused with the valid list
    (the panel would store it as a new status, or filter on it literally and find nothing)."""
    word = value.strip().lower()
    if listing and word == "archived":
        return word
    if word in STATUS_ALIASES:
        return STATUS_ALIASES[word]
    valid = ", ".join(STATUSES + (("archived",) if listing else ()))
    hint = f"valid: {valid}; aliases: open, pending, waiting, waiting_staff"
    if word == "archived":
        hint = "archiving is not a status: use `eclictl tickets archive ID...`"
    raise UsageError(f"unknown ticket status '{value.strip()}'", hint=hint)


def _int_id(ref: str) -> int:
    try:
        return int(ref)
    except ValueError:
        raise UsageError(f"ticket ids are numbers, got '{ref}'") from None


def find_ticket(api: Any, ticket_id: int) -> dict[str, Any]:
    """Open, then closed, then archived lists: the panel has no GET for one ticket."""
    for params in ({}, {"status": "closed"}, {"archived": "true"}):
        for row in TICKETS.iter_rows(api, params):
            if isinstance(row, dict) and row.get("id") == ticket_id:
                return row
    raise NotFoundError(f"no ticket {ticket_id}")


def reread(api: Any, ticket_id: int, saved: Any) -> dict[str, Any]:
    """The ticket as the panel lists it now. The PUT answer names its owner, status and archive flag,
    so one narrow list read (`q=<owner id>` plus that status) finds it; else every list is searched."""
    if isinstance(saved, dict) and str(saved.get("userId") or "").isdigit() and saved.get("status"):
        params = {"q": str(saved["userId"])}
        params.update({"archived": "true"} if saved.get("archived") else {"status": str(saved["status"])})
        for row in TICKETS.iter_rows(api, params):
            if isinstance(row, dict) and row.get("id") == ticket_id:
                return row
    return find_ticket(api, ticket_id)


#: What a PUT may silently skip (adminHandler.ts PUT /admin/tickets/:id): assignedTo when null,
#: priority when empty, department unless a string, and every field but status/reply for a key
#: holding only admin:ticket:staff. Sent fields are compared with the re-read ticket.
VERIFIED = ("status", "priority", "department", "assignedTo", "aiDisabled", "adminReply")


def _update(ctx: Any, ticket_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """PUT, then read the ticket back: a field the panel ignored fails the command (exit 7)."""
    return _checked(ctx, ticket_id, body, ctx.api.put(f"{PATH}/{ticket_id}", body))


def _checked(ctx: Any, ticket_id: int, body: dict[str, Any], answer: Any) -> dict[str, Any]:
    from eclictl.writes import verify_applied

    saved = answer.get("ticket") if isinstance(answer, dict) else None
    fresh = reread(ctx.api, ticket_id, saved)
    sent = {k: body[k] for k in VERIFIED if k in body}
    expect: dict[str, Any] = {}
    if body.get("assignedTo") == UNASSIGNED:
        expect["assignedTo"] = lambda v: v in (None, UNASSIGNED)
    if isinstance(body.get("adminReply"), str) and not body["adminReply"].isascii():
        expect["adminReply"] = lambda v: isinstance(v, str) and bool(v.strip())  # the panel transliterates
    verify_applied(sent, fresh, what=f"ticket {ticket_id}", expect=expect)
    return fresh


@app.command("show", epilog="Examples:\n\n  eclictl tickets show 12\n\n  eclictl tickets show 12 -o json --redact")
@command()
def show(
    ref: Annotated[str, typer.Argument(metavar="ID", help="The ticket's id.")],
    web: bool_opt("--web", help="Open the web portal's tab instead.") = False,
) -> Any:
    """Show one ticket with its whole conversation."""
    from eclictl.context import current

    ctx = current()
    ticket_id = _int_id(ref)
    if web:
        from eclictl.weblinks import open_tab

        return open_tab(ctx, "tickets")
    return detail_view(TICKETS, find_ticket(ctx.api, ticket_id))


@app.command("reply", epilog="Examples:\n\n  eclictl tickets reply 12 \"Fixed, please try again.\"\n\n"
             "  eclictl tickets reply 12 - --status closed < answer.txt")
@command(writes=True)
def reply(
    ref: Annotated[str, typer.Argument(metavar="ID", help="The ticket's id.")],
    message: Annotated[str, typer.Argument(help="The reply text; '-' reads stdin.")],
    status: opt(str, "--status", help="Also set this status (default: the panel sets 'replied').") = None,
    as_user: bool_opt("--as-user", help="Post as the ticket's user (replyAs: user).") = False,
) -> Any:
    """Reply to a ticket as staff (no e-mail is sent to the user by this route)."""
    from eclictl.context import current

    ctx = current()
    ticket_id = _int_id(ref)
    text = ctx.io.stdin.read() if message == "-" else message
    if not text.strip():
        raise UsageError("the reply is empty")
    body: dict[str, Any] = {"reply": text.rstrip("\n"), "replyAs": "user" if as_user else "staff"}
    if status:
        body["status"] = normalise_status(status)
    return detail_view(TICKETS, _update(ctx, ticket_id, body))


def _bulk_update(ctx: Any, refs: list[str], action: str, body: dict[str, Any], dry_run: bool) -> Any:
    from eclictl.bulk import BulkRunner, finish
    from eclictl.output.render import View

    items = ctx.read_ids(refs)
    for item in items:
        _int_id(item)
    if dry_run:
        return View([{"item": i, "action": action, "body": body} for i in items], id_field="item")

    def one(item: str) -> Any:
        return _update(ctx, int(item), body)

    finish(ctx, BulkRunner(ctx).run(action, items, one))
    return None


@app.command("status", epilog="Examples:\n\n  eclictl tickets status closed 12 13\n\n"
             "  eclictl tickets list --status replied -o ids | eclictl tickets status closed -")
@command(bulk=True)
def set_status(
    status: Annotated[str, typer.Argument(help=STATUS_HELP + ".")],
    refs: Annotated[list[str], typer.Argument(metavar="ID...", help="Ticket ids; '-' reads stdin.")],
    dry_run: DryRunOpt = False,
) -> Any:
    """Set the status of tickets (the panel adds a 'Status changed' system message)."""
    from eclictl.context import current

    if not status.strip() or status.strip().isdigit():
        raise UsageError(f"'{status}' is not a status", hint="usage: eclictl tickets status STATUS ID...")
    value = normalise_status(status)
    return _bulk_update(current(), refs, f"set tickets to {value}", {"status": value}, dry_run)


#: `--unassign` sends 0: the panel skips `assignedTo: null` (`if (assignedTo != null)`, adminHandler.ts),
#: and 0 is what its own screens show as no assignee ("—"); nothing else reads the field.
UNASSIGNED = 0


@app.command("assign", epilog="Examples:\n\n  eclictl tickets assign 12 13 --to 7\n\n"
             "  eclictl tickets assign 12 --to staff@example.com\n\n  eclictl tickets assign 12 --unassign")
@command(bulk=True)
def assign(
    refs: Annotated[list[str], typer.Argument(metavar="ID...", help="Ticket ids; '-' reads stdin.")],
    to: opt(str, "--to", metavar="USER", help="Staff member to assign: user id or exact e-mail.") = None,
    unassign: bool_opt("--unassign", help="Clear the assignee. The panel ignores null here, so assignedTo "
                       "becomes 0, which the portal shows as unassigned.") = False,
    dry_run: DryRunOpt = False,
) -> Any:
    """Assign tickets to a staff member (needs tickets:write); each ticket is read back to confirm."""
    from eclictl.context import current

    if (to is None) == (not unassign):
        raise UsageError("give exactly one of --to USER or --unassign")
    ctx = current()
    if unassign:
        who = UNASSIGNED
    else:
        from eclictl.sections.users import resolve_user_id

        who = resolve_user_id(ctx.api, str(to))
    return _bulk_update(ctx, refs, "assign tickets", {"assignedTo": who}, dry_run)


def _priority(value: str) -> str:
    if value.lower() not in PRIORITIES:
        raise UsageError(f"unknown priority '{value}'", hint=f"one of {', '.join(PRIORITIES)}")
    return value.lower()


EDIT = ("edit",)
TICKETS = register(replace(TICKETS, fields=(
    Field("priority", "--priority", str, "low|medium|high|urgent.", EDIT, panel=EDIT_PANEL, check=_priority),
    Field("department", "--department", str, "Department name.", EDIT, panel=EDIT_PANEL),
    Field("aiDisabled", "--ai-enabled/--ai-disabled", bool, "Let the AI assistant act.", EDIT, panel=EDIT_PANEL,
          param="ai", to_body=lambda enabled: not enabled),
    Field("adminReply", "--admin-reply", str, "Set the adminReply field directly.", EDIT, panel=EDIT_PANEL,
          sensitive=True),
), writes=(
    Write("edit", "Edit a ticket's priority, department, AI switch or admin reply (needs tickets:write).",
          "Examples:\n\n  eclictl tickets edit 12 --priority urgent --department billing\n\n"
          "  eclictl tickets edit 12 --ai-disabled", "PUT", f"{PATH}/{{id}}", ref="ID", ref_help="The ticket's id.",
          nothing=("nothing to change", "pass --priority, --department, --ai-disabled or --admin-reply"),
          resolve=lambda ctx, ref, body, extras: _int_id(ref), reread=_checked),
)))
add_writes(app, TICKETS, "edit")


@app.command("archive", epilog="Examples:\n\n  eclictl tickets archive 12 13\n\n"
             "  eclictl tickets list --status closed -o ids | eclictl tickets archive -\n\n"
             "  eclictl tickets archive 12 --undo")
@command()
def archive(
    refs: Annotated[list[str], typer.Argument(metavar="ID...", help="Ticket ids; '-' reads stdin.")],
    undo: bool_opt("--undo", help="Unarchive instead.") = False,
    dry_run: DryRunOpt = False,
) -> Any:
    """Archive (or --undo: unarchive) tickets; each id is checked against the archived list afterwards."""
    from eclictl.bulk import BulkRunner, finish
    from eclictl.context import current
    from eclictl.output.render import View

    ctx = current()
    items = ctx.read_ids(refs)
    ids = [_int_id(i) for i in items]
    action = "unarchive tickets" if undo else "archive tickets"
    if dry_run:
        return View([{"item": i, "action": action} for i in items], id_field="item")
    ctx.api.post(f"{PATH}/archive", {"ids": ids, "archived": not undo})
    archived = {row.get("id") for row in TICKETS.iter_rows(ctx.api, {"archived": "true"}) if isinstance(row, dict)}

    def check(item: str) -> Any:
        if (int(item) in archived) != undo:
            return None
        raise NotFoundError("the panel answered success but the ticket did not change (does it exist?)")

    finish(ctx, BulkRunner(ctx, concurrency=1).run(action, items, check))
    return None
