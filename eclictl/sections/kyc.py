"""KYC tab: ID verification records, `/api/admin/verifications*` (docs/panel/accounts.md#kyc-id-verification-records).

`approve` / `reject` set the record to verified / failed and the user's `idVerified` flag;
the panel sends no e-mail and has no field for a reason. `delete-files` removes only the
attached documents: the record and its status stay. Attachment URLs are null unless the
caller may see them (S(admin:kyc:view:id): admin keys of non-root owners never can).
"""

from __future__ import annotations

from typing import Annotated, Any, Callable, Optional

import typer

from eclictl.errors import UsageError
from eclictl.options import YesOpt, command
from eclictl.output.columns import Col
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


def _run(refs: list[str], action: str, skip: Callable[[dict[str, Any]], str | None],
         call: Callable[[Any, int], Any], *, confirm: str | None = None, yes: bool = False,
         note: str = "") -> None:
    from eclictl.bulk import BulkRunner, finish
    from eclictl.context import current
    from eclictl.errors import NotFoundError

    ctx = current()
    items = ctx.read_ids(refs)
    bad = [i for i in items if not i.isdigit()]
    if bad:
        raise UsageError(f"verification ids are numbers, got '{bad[0]}'")
    if confirm:
        ctx.confirm(confirm.format(n=len(items), ids=", ".join(items[:10])), yes=yes, what=action)
    known = KYC.rows_by_id(ctx.api)

    def one(item: str) -> Any:
        rec = known.get(item)
        if rec is None:
            raise NotFoundError("Not found")
        reason = skip(rec)
        if reason:
            return ("skipped", reason)
        call(ctx.api, int(item))
        return ("done", note) if note else None

    finish(ctx, BulkRunner(ctx).run(action, items, one))


@app.command("approve", epilog="Examples:\n\n  eclictl kyc approve 7\n\n"
             "  eclictl kyc list --status pending -o ids | eclictl kyc approve -")
@command(bulk=True)
def approve(refs: Annotated[list[str], typer.Argument(metavar="ID...", help=IDS_HELP)]) -> Any:
    """Mark records verified (sets the user's idVerified; no e-mail is sent)."""
    _run(refs, "approve KYC", lambda r: "already verified" if r.get("status") == "verified" else None,
         lambda api, i: api.put(f"{PATH}/{i}", {"status": "verified"}))
    return None


@app.command("reject", epilog="Examples:\n\n  eclictl kyc reject 7\n\n"
             "  eclictl kyc reject 7 --reason 'document expired'")
@command(bulk=True)
def reject(
    refs: Annotated[list[str], typer.Argument(metavar="ID...", help=IDS_HELP)],
    reason: Annotated[Optional[str], typer.Option("--reason", help="Shown in this report only: the panel has no "
                                                  "reason field and e-mails nobody.", show_default=False)] = None,
) -> Any:
    """Mark records failed (clears the user's idVerified; no e-mail is sent)."""
    from eclictl.context import current

    if reason:
        current().warn("the panel stores no reason for KYC decisions and sends no e-mail; "
                       "tell the user yourself (e.g. in a ticket)")
    _run(refs, "reject KYC", lambda r: "already failed" if r.get("status") == "failed" else None,
         lambda api, i: api.put(f"{PATH}/{i}", {"status": "failed"}), note=reason or "")
    return None


@app.command("delete-files", epilog="Examples:\n\n  eclictl kyc delete-files 7 --yes\n\n"
             "  eclictl kyc list --status failed -o ids | eclictl kyc delete-files - --yes")
@command(bulk=True)
def delete_files(refs: Annotated[list[str], typer.Argument(metavar="ID...", help=IDS_HELP)],
                 yes: YesOpt = False) -> Any:
    """Delete the ID document and selfie files (the record and its status remain)."""
    _run(refs, "delete KYC files", lambda r: None, lambda api, i: api.delete(f"{PATH}/{i}"),
         confirm="Delete the attached ID files of {n} record(s) ({ids})? This cannot be undone.", yes=yes)
    return None
