"""Deletions tab: `/api/admin/deletions*` (docs/panel/accounts.md#deletion-requests).

A deletion request is approved with `PUT {status: approved}` (stored as `pending_deletion`:
the user is frozen for 14 days, then anonymised), rejected with `PUT {status: rejected}`,
run at once with `expedite`, or stopped with `cancel` (which also un-suspends the user, even
when they were suspended for another reason). Every verb checks the current status first so
repeated runs report `skipped` instead of failing.
"""

from __future__ import annotations

from typing import Annotated, Any, Callable

import typer

from eclictl.errors import UsageError
from eclictl.options import YesOpt, command
from eclictl.output.columns import Col
from eclictl.sections._spec import Filter, Section, build

PATH = "/api/admin/deletions"
STATUSES = ("pending", "approved", "rejected", "pending_deletion", "cancelled", "deleted")
IDS_HELP = "Deletion request ids; '-' reads them from stdin."

DELETIONS = Section(
    name="deletions",
    help="Account deletion requests: list, show, approve, reject, expedite, cancel.",
    path=PATH,
    columns=(Col("id"), Col("userId", "USER"), Col("user.email", "EMAIL"), Col("status"),
             Col("requestedAt", "REQUESTED"), Col("scheduledDeletionAt", "SCHEDULED"), Col("approvedBy", "BY")),
    name_fields=(),
    permission="deletions:write",
    tab="deletions",
    filters=(Filter("status", f"Only this status: {', '.join(STATUSES)}.", field="status"),),
    verbs=("list", "show"),
    examples=(
        "eclictl deletions list",
        "eclictl deletions list --status pending -o ids",
        "eclictl deletions show 12 -o json --redact",
    ),
)

app = build(DELETIONS)


def _run(refs: list[str], action: str, skip: Callable[[dict[str, Any]], str | None],
         call: Callable[[Any, int], Any], *, confirm: str | None = None, yes: bool = False) -> None:
    """Read ids, check each request's status, then call the panel per id (bulk report, exit 8)."""
    from eclictl.bulk import BulkRunner, finish
    from eclictl.context import current
    from eclictl.errors import NotFoundError

    ctx = current()
    items = ctx.read_ids(refs)
    bad = [i for i in items if not i.isdigit()]
    if bad:
        raise UsageError(f"deletion request ids are numbers, got '{bad[0]}'")
    if confirm:
        ctx.confirm(confirm.format(n=len(items), ids=", ".join(items[:10])), yes=yes, what=action)
    known = DELETIONS.rows_by_id(ctx.api)

    def one(item: str) -> Any:
        rec = known.get(item)
        if rec is None:
            raise NotFoundError("Not found")
        reason = skip(rec)
        if reason:
            return ("skipped", reason)
        call(ctx.api, int(item))
        return None

    finish(ctx, BulkRunner(ctx).run(action, items, one))


@app.command("approve", epilog="Examples:\n\n  eclictl deletions approve 12 --yes\n\n"
             "  eclictl deletions list --status pending -o ids | eclictl deletions approve - --yes")
@command(bulk=True)
def approve(refs: Annotated[list[str], typer.Argument(metavar="ID...", help=IDS_HELP)], yes: YesOpt = False) -> Any:
    """Approve requests: freeze (suspend) the user and schedule deletion in 14 days."""
    _run(refs, "approve deletions",
         lambda r: "already approved" if r.get("status") in ("pending_deletion", "approved") else None,
         lambda api, i: api.put(f"{PATH}/{i}", {"status": "approved"}),
         confirm="Approve {n} deletion request(s) ({ids})? Each user is frozen and deleted in 14 days.", yes=yes)
    return None


@app.command("reject", epilog="Examples:\n\n  eclictl deletions reject 12\n\n  eclictl deletions reject 12 13")
@command(bulk=True)
def reject(refs: Annotated[list[str], typer.Argument(metavar="ID...", help=IDS_HELP)]) -> Any:
    """Reject requests (the user is e-mailed; their account is untouched)."""
    _run(refs, "reject deletions",
         lambda r: "already rejected" if r.get("status") == "rejected" else None,
         lambda api, i: api.put(f"{PATH}/{i}", {"status": "rejected"}))
    return None


@app.command("expedite", epilog="Examples:\n\n  eclictl deletions expedite 12 --yes")
@command(bulk=True)
def expedite(refs: Annotated[list[str], typer.Argument(metavar="ID...", help=IDS_HELP)], yes: YesOpt = False) -> Any:
    """Delete (anonymise) approved users now instead of waiting for the schedule. Irreversible."""
    _run(refs, "expedite deletions",
         lambda r: "already deleted" if r.get("status") == "deleted" else None,
         lambda api, i: api.post(f"{PATH}/{i}/expedite"),
         confirm="Anonymise the users of {n} deletion request(s) ({ids}) NOW? This cannot be undone.", yes=yes)
    return None


@app.command("cancel", epilog="Examples:\n\n  eclictl deletions cancel 12")
@command(bulk=True)
def cancel(refs: Annotated[list[str], typer.Argument(metavar="ID...", help=IDS_HELP)]) -> Any:
    """Cancel scheduled deletions (also un-suspends the users, whatever the suspension's reason)."""
    _run(refs, "cancel deletions",
         lambda r: "already cancelled" if r.get("status") == "cancelled" else None,
         lambda api, i: api.post(f"{PATH}/{i}/cancel"))
    return None
