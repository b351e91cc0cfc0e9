"""Student verifications tab: `/api/admin/student-verifications*` (docs/panel/student-verifications.md).

The panel's queue of student status claims. Approving sets the user's `studentVerified`; rejecting
or deleting a record (or its proof) never clears it, so `reject` and `delete` check the users
afterwards and offer to clear the flag (`POST /api/admin/users/:id/deassign-student`), then verify.
A PUT that carries `adminNotes` overwrites them: `--note` is appended to what is there.
"""

from __future__ import annotations

from typing import Annotated, Any, Callable, Optional

import typer

from eclictl.options import YesOpt, bool_opt, command, opt
from eclictl.output.columns import Col
from eclictl.sections._spec import Filter, Section, build, user_ref

PATH = "/api/admin/student-verifications"
IDS_HELP = "Record ids; '-' reads them from stdin."
FLAG_PANEL = "Student flag"

STUDENTS = Section(
    name="student-verifications",
    help="Student verification queue: list, show, approve, reject, delete, delete-proof.",
    path=PATH,
    columns=(Col("id"), Col("userId", "USER"), Col("user.email", "EMAIL"), Col("status"), Col("proofType", "PROOF"),
             Col("createdAt", "CREATED"), Col("verifiedAt", "VERIFIED")),
    name_fields=(),
    permission="admin:student:verify",
    tab="studentVerifications",
    sensitive={"adminNotes": "pii", "proofUrl": "pii"},
    filters=(Filter("status", "Only this status: pending, verified, failed.", field="status"),
             Filter("user", "Only this user's records (id or exact e-mail).", field="userId", convert=user_ref)),
    verbs=("list", "show"),
    examples=(
        "eclictl student-verifications list --status pending",
        "eclictl student-verifications show 12 -o json --redact",
    ),
)

app = build(STUDENTS)


def _flagged(api: Any, user_id: Any) -> bool:
    profile = api.get(f"/api/admin/users/{user_id}/profile")
    return bool(isinstance(profile, dict) and profile.get("studentVerified"))


def _clear_flag(api: Any, user_id: Any, remove_portal: bool) -> str:
    """deassign-student, then re-read the profile: the flag must be gone."""
    api.post(f"/api/admin/users/{user_id}/deassign-student", {"removePortal": remove_portal})
    if _flagged(api, user_id):
        raise RuntimeError(f"user {user_id} still has studentVerified after deassign-student")
    return f"user {user_id}: studentVerified cleared"


def _run(refs: list[str], action: str, call: Callable[[Any, dict[str, Any]], Any], *, revokes: bool,
         clear: Optional[bool] = None, remove_portal: bool = False, confirm: str | None = None,
         yes: bool = False, skip: Callable[[dict[str, Any]], str | None] = lambda r: None) -> None:
    from eclictl.bulk import BulkRunner, finish
    from eclictl.context import current
    from eclictl.sections._fields import ask, numbers, on_listed

    ctx = current()
    items = numbers("student verification")(ctx, ctx.read_ids(refs))
    if confirm:
        ctx.confirm(ask(confirm)(items), yes=yes, what=action)
    known = STUDENTS.rows_by_id(ctx.api)
    flagged: set[Any] = set()
    if revokes:
        users = {known[i]["userId"] for i in items if i in known}
        flagged = {u for u in users if _flagged(ctx.api, u)}
        if flagged and clear is None and ctx.interactive:
            ids = ", ".join(str(u) for u in sorted(flagged))
            answer = ctx.prompt(f"{action} does not clear studentVerified of user(s) {ids}. Clear it too? [y/N]")
            clear = answer.strip().lower() in ("y", "yes")
    left: list[Any] = []

    def flag_step(rec: dict[str, Any]) -> Any:
        """After the write: the user's studentVerified, which the panel leaves set."""
        uid = rec.get("userId")
        if uid in flagged:
            if clear:
                return ("done", _clear_flag(ctx.api, uid, remove_portal))
            left.append(uid)
            return ("done", f"user {uid} still has studentVerified")
        return None

    step = on_listed(skip, lambda api, item, rec: call(api, rec), flag_step)
    one = lambda item: step(ctx, item, known)  # noqa: E731
    report = BulkRunner(ctx).run(action, items, one)
    if left:
        users = sorted(set(left))
        ctx.warn(f"user(s) {', '.join(str(u) for u in users)} keep studentVerified: the panel does not clear it; "
                 f"clear it with `eclictl users edit {users[0]} --set studentVerified=false` "
                 "(or use --clear-flag next time)")
    finish(ctx, report)


def _note(rec: dict[str, Any], note: str | None) -> dict[str, Any]:
    """Append to the existing notes (a PUT with adminNotes replaces them, e.g. an e-mail code)."""
    if not note:
        return {}
    old = rec.get("adminNotes")
    return {"adminNotes": f"{old}\n{note}" if old else note}


NoteOpt = opt(str, "--note", help="Appended to the record's admin notes.")
ClearOpt = opt(bool, "--clear-flag/--keep-flag", help="Also clear the user's studentVerified (deassign-student) and "
               "verify it; asked on a terminal when not given.", panel=FLAG_PANEL)
PortalOpt = bool_opt("--remove-portal", help="With --clear-flag: also turn an educational portal into free (limits "
                     "reset).", panel=FLAG_PANEL)


@app.command("approve", epilog="Examples:\n\n  eclictl student-verifications approve 12 --note 'enrolment letter ok'\n\n"
             "  eclictl student-verifications list --status pending -o ids | eclictl student-verifications approve -")
@command(bulk=True)
def approve(refs: Annotated[list[str], typer.Argument(metavar="ID...", help=IDS_HELP)], note: NoteOpt = None) -> Any:
    """Mark records verified (sets the user's studentVerified; no plan limits, no e-mail)."""
    _run(refs, "approve student verifications",
         lambda api, r: api.put(f"{PATH}/{r['id']}", {"status": "verified", **_note(r, note)}), revokes=False,
         skip=lambda r: "already verified" if r.get("status") == "verified" and not note else None)
    return None


@app.command("reject", epilog="Examples:\n\n  eclictl student-verifications reject 12 --note 'document unreadable'\n\n"
             "  eclictl student-verifications reject 12 --clear-flag")
@command(bulk=True)
def reject(refs: Annotated[list[str], typer.Argument(metavar="ID...", help=IDS_HELP)], note: NoteOpt = None,
           clear_flag: ClearOpt = None, remove_portal: PortalOpt = False) -> Any:
    """Mark records failed (the user's studentVerified stays unless --clear-flag)."""
    _run(refs, "reject student verifications",
         lambda api, r: api.put(f"{PATH}/{r['id']}", {"status": "failed", **_note(r, note)}), revokes=True,
         clear=clear_flag, remove_portal=remove_portal)
    return None


@app.command("delete", epilog="Examples:\n\n  eclictl student-verifications delete 12 --yes\n\n"
             "  eclictl student-verifications delete 12 13 --yes --clear-flag")
@command(bulk=True)
def delete(refs: Annotated[list[str], typer.Argument(metavar="ID...", help=IDS_HELP)], yes: YesOpt = False,
           clear_flag: ClearOpt = None, remove_portal: PortalOpt = False) -> Any:
    """Delete records and their proof files (the user's studentVerified stays unless --clear-flag)."""
    _run(refs, "delete student verifications", lambda api, r: api.delete(f"{PATH}/{r['id']}"), revokes=True,
         clear=clear_flag, remove_portal=remove_portal, yes=yes,
         confirm="Delete {n} student verification record(s) ({ids}) and their proof files? This cannot be undone.")
    return None


@app.command("delete-proof", epilog="Examples:\n\n  eclictl student-verifications delete-proof 12 --yes")
@command(bulk=True)
def delete_proof(refs: Annotated[list[str], typer.Argument(metavar="ID...", help=IDS_HELP)],
                 yes: YesOpt = False) -> Any:
    """Delete only the uploaded proof file (the record, its status and the user's flag stay)."""
    _run(refs, "delete student proofs", lambda api, r: api.delete(f"{PATH}/{r['id']}/proof"), revokes=False,
         yes=yes, confirm="Delete the proof file of {n} record(s) ({ids})? This cannot be undone.",
         skip=lambda r: "no proof file" if not r.get("proofUrl") else None)
    return None
