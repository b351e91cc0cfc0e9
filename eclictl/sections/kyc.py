"""KYC tab: ID verification records, `/api/admin/verifications*` (docs/panel/accounts.md#kyc-id-verification-records).

`approve` / `reject` set the record to verified / failed and the user's `idVerified` flag;
the panel sends no e-mail and has no field for a reason. `delete-files` removes only the
attached documents: the record and its status stay. Attachment URLs are null unless the
caller may see them (S(admin:kyc:view:id): admin keys of non-root owners never can).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

import typer

from eclictl.options import command, opt
from eclictl.output.columns import Col
from eclictl.sections._fields import Bulk, add_writes, ask, numbers, on_record, records, run_bulk
from eclictl.sections._spec import Filter, Section, build

PATH = "/api/admin/verifications"
IDS_HELP = "Verification record ids; '-' reads them from stdin."

KYC = Section(
    name="kyc",
    help="KYC (ID verification) records: list, show, approve, reject, delete-files.",
    path=PATH,
    columns=(Col("id"), Col("userId", "USER"), Col("user.email", "EMAIL"), Col("status"), Col("provider"),
             Col("verifiedAt", "VERIFIED"), Col("idDocumentUrl", "DOCUMENT", max_width=32)),
    name_fields=(),
    permission="admin:kyc:view",
    tab="kyc",
    filters=(Filter("status", "Only this status: pending, verified, failed.", field="status"),),
    verbs=("list", "show"),
    examples=(
        "eclictl kyc list --status pending",
        "eclictl kyc list -o json --redact",
        "eclictl kyc show 7",
    ),
)

app = build(KYC)


def _verb(verb: str, summary: str, epilog: str, action: str, skip: Any, call: Any, *, note: str = "",
          question: str | None = None) -> Bulk:
    """A KYC verb: ids checked as numbers, each record's status checked first (skipped when done)."""
    return Bulk(verb, summary, epilog, action, "ID...", IDS_HELP, on_record(skip, call, note),
                items=numbers("verification"), lookup=records(KYC), question=ask(question) if question else None,
                yes=question is not None, dry_run=False)


def _reject(note: str = "") -> Bulk:
    """`reject`, its --reason (when given) shown as each item's message."""
    return _verb("reject", "Mark records failed (clears the user's idVerified; no e-mail is sent).",
                 "Examples:\n\n  eclictl kyc reject 7\n\n  eclictl kyc reject 7 --reason 'document expired'",
                 "reject KYC", lambda r: "already failed" if r.get("status") == "failed" else None,
                 lambda api, i: api.put(f"{PATH}/{i}", {"status": "failed"}), note=note)


add_writes(app, replace(KYC, writes=(
    _verb("approve", "Mark records verified (sets the user's idVerified; no e-mail is sent).",
          "Examples:\n\n  eclictl kyc approve 7\n\n  eclictl kyc list --status pending -o ids | eclictl kyc approve -",
          "approve KYC", lambda r: "already verified" if r.get("status") == "verified" else None,
          lambda api, i: api.put(f"{PATH}/{i}", {"status": "verified"})),
)))


REJECT = _reject()


@app.command("reject", help=REJECT.summary, epilog=REJECT.epilog)
@command(bulk=True)
def reject(
    refs: Annotated[list[str], typer.Argument(metavar="ID...", help=IDS_HELP)],
    reason: opt(str, "--reason", help="Shown in this report only: the panel has no reason field and e-mails "
                "nobody.") = None,
) -> Any:
    from eclictl.context import current

    if reason:
        current().warn("the panel stores no reason for KYC decisions and sends no e-mail; "
                       "tell the user yourself (e.g. in a ticket)")
    return run_bulk(_reject(reason or ""), refs)


add_writes(app, replace(KYC, writes=(
    _verb("delete-files", "Delete the ID document and selfie files (the record and its status remain).",
          "Examples:\n\n  eclictl kyc delete-files 7 --yes\n\n"
          "  eclictl kyc list --status failed -o ids | eclictl kyc delete-files - --yes",
          "delete KYC files", lambda r: None, lambda api, i: api.delete(f"{PATH}/{i}"),
          question="Delete the attached ID files of {n} record(s) ({ids})? This cannot be undone."),
)))
