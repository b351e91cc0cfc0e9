"""Deletions tab: `/api/admin/deletions*` (docs/panel/accounts.md#deletion-requests).

A deletion request is approved with `PUT {status: approved}` (stored as `pending_deletion`:
the user is frozen for 14 days, then anonymised), rejected with `PUT {status: rejected}`,
run at once with `expedite`, or stopped with `cancel` (which also un-suspends the user, even
when they were suspended for another reason). Every verb checks the current status first so
repeated runs report `skipped` instead of failing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from eclictl.output.columns import Col
from eclictl.sections._fields import Bulk, add_writes, ask, numbers, on_record, records
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


def _verb(verb: str, summary: str, epilog: str, skip: Any, call: Any, question: str | None = None) -> Bulk:
    """A deletions verb: ids checked as numbers, each request's status checked first (skipped when done)."""
    return Bulk(verb, summary, epilog, f"{verb} deletions", "ID...", IDS_HELP, on_record(skip, call),
                items=numbers("deletion request"), lookup=records(DELETIONS),
                question=ask(question) if question else None, yes=question is not None, dry_run=False)


add_writes(app, replace(DELETIONS, writes=(
    _verb("approve", "Approve requests: freeze (suspend) the user and schedule deletion in 14 days.",
          "Examples:\n\n  eclictl deletions approve 12 --yes\n\n"
          "  eclictl deletions list --status pending -o ids | eclictl deletions approve - --yes",
          lambda r: "already approved" if r.get("status") in ("pending_deletion", "approved") else None,
          lambda api, i: api.put(f"{PATH}/{i}", {"status": "approved"}),
          "Approve {n} deletion request(s) ({ids})? Each user is frozen and deleted in 14 days."),
    _verb("reject", "Reject requests (the user is e-mailed; their account is untouched).",
          "Examples:\n\n  eclictl deletions reject 12\n\n  eclictl deletions reject 12 13",
          lambda r: "already rejected" if r.get("status") == "rejected" else None,
          lambda api, i: api.put(f"{PATH}/{i}", {"status": "rejected"})),
    _verb("expedite", "Delete (anonymise) approved users now instead of waiting for the schedule. Irreversible.",
          "Examples:\n\n  eclictl deletions expedite 12 --yes",
          lambda r: "already deleted" if r.get("status") == "deleted" else None,
          lambda api, i: api.post(f"{PATH}/{i}/expedite"),
          "Anonymise the users of {n} deletion request(s) ({ids}) NOW? This cannot be undone."),
    _verb("cancel", "Cancel scheduled deletions (also un-suspends the users, whatever the suspension's reason).",
          "Examples:\n\n  eclictl deletions cancel 12",
          lambda r: "already cancelled" if r.get("status") == "cancelled" else None,
          lambda api, i: api.post(f"{PATH}/{i}/cancel")),
)))
