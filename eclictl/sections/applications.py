"""Applications tab: `/api/admin/applications/*` (docs/panel/support.md#applications).

Nested groups: `applications forms ...`, `applications invites ...`, `applications submissions ...`.
The panel gates these routes on the caller's *role* (admin, rootAdmin or *), not on a permission,
and on the `applications` feature flag (503 → exit 9).
"""

from __future__ import annotations

from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from eclictl.errors import NotFoundError, RejectedError, UsageError
from eclictl.inputs import loads_json
from eclictl.options import SAFETY_PANEL, DryRunOpt, YesOpt, bool_opt, command, opt
from eclictl.output.columns import Col
from eclictl.sections._fields import Bulk, Field, Write, add_writes
from eclictl.sections._spec import Filter, Section, build

BASE = "/api/admin/applications"
FORM_PANEL = "Form"
ANTIABUSE_SLUG = "antiabuse-incidents"

app = typer.Typer(name="applications", help="Applications: forms, invite links and submissions (staff "
                  "applications, abuse reports).", no_args_is_help=True, add_completion=False,
                  context_settings={"help_option_names": ["-h", "--help"]}, rich_markup_mode="rich")

FORMS = Section(
    name="applications forms",
    help="Application forms: list, show, create, edit, delete.",
    path=f"{BASE}/forms",
    columns=(Col("id"), Col("title"), Col("slug"), Col("kind"), Col("visibility"), Col("status"),
             Col("publicLink", "LINK"), Col("createdAt", "CREATED")),
    name_fields=("slug", "title"),
    delete_path=f"{BASE}/forms/{{id}}",
    permission="applications:manage",
    tab="applications",
    filters=(Filter("kind", "Only staff_application or abuse_report forms.", field="kind"),
             Filter("status", "Only active, archived or closed forms.", field="status")),
    verbs=("list", "show"),
    searchable=False,
    examples=("eclictl applications forms list", "eclictl applications forms list --kind abuse_report -o json",
              "eclictl applications forms show staff-2025", "eclictl applications forms show 3 -o json"),
)
forms = build(FORMS)
app.add_typer(forms, name="forms")

SUBMISSIONS = Section(
    name="applications submissions",
    help="Submissions: list, show, decide (accept/reject/archive), delete.",
    path=f"{BASE}/submissions",
    columns=(Col("id"), Col("form.title", "FORM"), Col("status"), Col("user.email", "USER"),
             Col("ipAddress", "IP"), Col("reviewedAt", "REVIEWED"), Col("createdAt", "CREATED")),
    name_fields=(),
    permission="applications:manage",
    tab="applications",
    sensitive={"meta": "subtree"},
    filters=(Filter("status", "pending, accepted, rejected or archived (server-side).", param="status"),
             Filter("form", "Only submissions of this form id (server-side).", param="formId")),
    verbs=("list", "show"),
    searchable=False,
    examples=("eclictl applications submissions list --status pending",
              "eclictl applications submissions list --form 3 -o json --redact",
              "eclictl applications submissions show 17"),
)
submissions = build(SUBMISSIONS)
app.add_typer(submissions, name="submissions")

invites = typer.Typer(help="Invite links of private_invite forms: list, create, revoke.", no_args_is_help=True)
app.add_typer(invites, name="invites")


def form_id(ref: str) -> int:
    from eclictl.context import current

    return int(FORMS.resolve_id(current().api, ref))


# -- forms ------------------------------------------------------------------------------------

class Kind(str, Enum):
    staff_application = "staff_application"
    abuse_report = "abuse_report"


class Visibility(str, Enum):
    public_anonymous = "public_anonymous"
    public_users = "public_users"
    private_invite = "private_invite"


class FormStatus(str, Enum):
    active = "active"
    archived = "archived"
    closed = "closed"


def _schema(path: Optional[Path]) -> Any:
    """A form schema from a JSON file ({questions: [...]}, or a bare questions array), or stdin with '-'."""
    if path is None:
        return None
    from eclictl.context import current

    try:
        text = current().io.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        data = loads_json(text)
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the schema from {path}: {exc}") from None
    if isinstance(data, list):
        data = {"questions": data}
    if not isinstance(data, dict) or not isinstance(data.get("questions", []), list):
        raise UsageError("the schema must be {\"questions\": [...]} or an array of questions")
    if len(data.get("questions", [])) > 120:
        raise UsageError("a form holds at most 120 questions")
    return data


def _title(title: str) -> str:
    if not title.strip() or len(title) > 200:
        raise UsageError("--title must be 1-200 characters")
    return title


def _answered_form(ctx: Any, ident: Any, body: dict[str, Any], answer: Any) -> Any:
    """The form the panel answered with ({form: ...}); else, after an edit, the form read again."""
    form = answer.get("form") if isinstance(answer, dict) else None
    if isinstance(form, dict):
        return form
    return FORMS.fetch(ctx.api, str(ident)) if ident is not None else (answer or {})


FORM_FIELDS = (
    Field("title", "--title", str, "Title (max 200).", required=True, check=_title, panel=FORM_PANEL),
    Field("description", "--description", str, "Text shown above the questions.", panel=FORM_PANEL),
    Field("kind", "--kind", Kind, "Form kind.", panel=FORM_PANEL),
    Field("visibility", "--visibility", Visibility, "Who may submit.", panel=FORM_PANEL),
    Field("status", "--status", FormStatus, "Form status.", panel=FORM_PANEL),
    Field("slug", "--slug", str, "URL slug (made unique by the panel).", panel=FORM_PANEL),
    Field("maxSubmissionsPerUser", "--max-per-user", int, "Submissions per user.", min=1, panel=FORM_PANEL),
    Field("ipCooldownSeconds", "--ip-cooldown", int, "Seconds between submissions per IP (anonymous forms: at "
          "least 3600).", min=0, panel=FORM_PANEL),
    Field("schema", "--schema", Path, "JSON file with {questions: [...]}; '-' reads stdin.", check=_schema,
          panel=FORM_PANEL),
)
add_writes(forms, replace(FORMS, fields=FORM_FIELDS, writes=(
    Write("create", "Create an application form.",
          "Examples:\n\n  eclictl applications forms create --title 'Staff 2025' --schema questions.json\n\n"
          "  eclictl applications forms create --title 'Beta testers' --visibility private_invite -o json",
          "POST", f"{BASE}/forms", reread=_answered_form),
    Write("edit", "Change a form (only the options given).",
          "Examples:\n\n  eclictl applications forms edit 3 --status closed\n\n"
          "  eclictl applications forms edit staff-2025 --schema questions.json --dry-run",
          "PUT", f"{BASE}/forms/{{id}}", ref="FORM", ref_help="Form id, slug or exact title.",
          resolve=lambda ctx, ref, body, extras: form_id(ref), reread=_answered_form, dry_run=True,
          nothing=("nothing to change", "pass --title, --status, --schema..."),
          dry_run_view=lambda ident, method, path, body: {"id": ident, "method": method, "path": path, "body": body}),
)))


@forms.command("delete", epilog="Examples:\n\n  eclictl applications forms delete 3 --yes\n\n"
               "  eclictl applications forms delete antiabuse-incidents --force --yes")
@command(bulk=True)
def forms_delete(
    refs: Annotated[list[str], typer.Argument(metavar="FORM...", help="Form ids or slugs; '-' reads stdin.")],
    yes: YesOpt = False,
    force: bool_opt("--force", help="Allow deleting the anti-abuse incident form (erases incident history and server "
                    "abuse reports).", panel=SAFETY_PANEL) = False,
    dry_run: DryRunOpt = False,
) -> Any:
    """Delete forms together with their invites and ALL their submissions."""
    from eclictl.bulk import BulkRunner, finish
    from eclictl.context import current
    from eclictl.output.render import View

    ctx = current()
    items = ctx.read_ids(refs)
    rows = {str(f.get("id")): f for f in FORMS.iter_rows(ctx.api)}
    chosen = [_pick_form(rows, ref) for ref in items]
    protected = [f for f in chosen if f and f.get("slug") == ANTIABUSE_SLUG]
    if protected and not force:
        raise RejectedError(f"form {protected[0].get('id')} ({ANTIABUSE_SLUG}) holds the anti-abuse incident "
                            "history; refusing without --force")
    if dry_run:
        return View([{"item": ref, "action": "delete", "title": f.get("title") if f else None}
                     for ref, f in zip(items, chosen)], id_field="item")
    ctx.confirm(f"Delete {len(items)} form(s) with all their submissions and invites?", yes=yes,
                what="delete forms")
    lookup = dict(zip(items, chosen))

    def one(ref: str) -> Any:
        form = lookup.get(ref)
        if form is None:  # the panel answers success for unknown ids: check first
            raise NotFoundError(f"no form '{ref}'")
        ctx.api.delete(f"{BASE}/forms/{form['id']}")

    report = BulkRunner(ctx).run("delete forms", items, one)
    finish(ctx, report)
    return None


def _pick_form(rows: dict[str, dict[str, Any]], ref: str) -> dict[str, Any] | None:
    if ref in rows:
        return rows[ref]
    matches = [f for f in rows.values() if ref in (f.get("slug"), f.get("title"))]
    if len(matches) > 1:
        raise RejectedError(f"'{ref}' matches several forms: {', '.join(str(f.get('id')) for f in matches)}")
    return matches[0] if matches else None


# -- invites ----------------------------------------------------------------------------------

INVITE_COLUMNS = (Col("id"), Col("label"), Col("email"), Col("uses"), Col("maxUses", "MAX"),
                  Col("expiresAt", "EXPIRES"), Col("revoked"), Col("link"))


@invites.command("list", epilog="Examples:\n\n  eclictl applications invites list beta-testers\n\n"
                 "  eclictl applications invites list 4 -o json")
@command()
def invites_list(ref: Annotated[str, typer.Argument(metavar="FORM", help="Form id, slug or exact title.")]) -> Any:
    """List a form's invite links (each link is a secret: anyone holding it may submit)."""
    from eclictl.context import current
    from eclictl.output.render import View

    ctx = current()
    rows = ctx.api.rows(f"{BASE}/forms/{form_id(ref)}/invites")
    return View(rows, columns=INVITE_COLUMNS, empty="no invites")


@invites.command("create", epilog="Examples:\n\n  eclictl applications invites create beta-testers --label "
                 "'Jane' --email jane@example.com --max-uses 1 --expires-hours 72")
@command(writes=True)
def invites_create(
    ref: Annotated[str, typer.Argument(metavar="FORM", help="A private_invite form's id, slug or title.")],
    label: opt(str, "--label", help="Note for staff.") = None,
    email: opt(str, "--email", help="Who it is for.") = None,
    max_uses: opt(int, "--max-uses", min=1, help="Uses before it stops working.") = None,
    expires_hours: opt(int, "--expires-hours", min=1, help="Lifetime in hours.") = None,
) -> Any:
    """Create an invite link for a private_invite form (prints the link once)."""
    from eclictl.context import current

    ctx = current()
    body = {k: v for k, v in {"label": label, "email": email, "maxUses": max_uses,
                              "expiresHours": expires_hours}.items() if v is not None}
    res = ctx.api.post(f"{BASE}/forms/{form_id(ref)}/invites", body) or {}
    invite = res.get("invite") if isinstance(res.get("invite"), dict) else {}
    ctx.info("anyone holding this link can submit the form")
    return {**invite, "link": res.get("link")}


add_writes(invites, replace(FORMS, name="applications invites", writes=(
    Bulk("revoke", "Revoke invite links (soft: they stay listed as revoked).",
         "Examples:\n\n  eclictl applications invites revoke 8 --yes", "revoke invites", "INVITE...",
         "Invite ids; '-' reads stdin.", lambda ctx, i: ctx.api.delete(f"{BASE}/invites/{i}"),
         items=lambda ctx, items: _int_ids(items, "invite"), dry_run=False,
         question=lambda items: f"Revoke {len(items)} invite link(s)?"),
)))


def _int_ids(items: list[str], what: str) -> list[str]:
    bad = [i for i in items if not i.isdigit()]
    if bad:
        raise UsageError(f"{what} ids are numbers: {', '.join(bad)}")
    return items


# -- submissions ------------------------------------------------------------------------------

class Decision(str, Enum):
    accepted = "accepted"
    rejected = "rejected"
    pending = "pending"
    archived = "archived"


_DECISION_ALIASES = {"accept": "accepted", "reject": "rejected", "archive": "archived", "reopen": "pending"}


@submissions.command("decide", epilog="Examples:\n\n  eclictl applications submissions decide accepted 17\n\n"
                     "  eclictl applications submissions decide reject 17 18 --yes\n\n"
                     "  eclictl applications submissions list --status pending --form 3 -o ids | "
                     "eclictl applications submissions decide archived - --yes")
@command(bulk=True)
def submissions_decide(
    decision: Annotated[str, typer.Argument(metavar="STATUS", help="accepted, rejected, archived or pending "
                                            "(also accept, reject, archive, reopen).")],
    ids: Annotated[list[str], typer.Argument(metavar="SUBMISSION...", help="Submission ids; '-' reads stdin.")],
    yes: YesOpt = False,
    dry_run: bool_opt("--dry-run", help="List what would change.", panel=SAFETY_PANEL) = False,
) -> Any:
    """Set submissions' status (accept, reject, archive, or back to pending)."""
    from eclictl.bulk import confirm_and_run
    from eclictl.context import current

    status = _DECISION_ALIASES.get(decision.lower(), decision.lower())
    if status not in {d.value for d in Decision}:
        raise UsageError(f"unknown status '{decision}'", hint="use accepted, rejected, archived or pending")
    ctx = current()
    items = _int_ids(ctx.read_ids(ids), "submission")
    return confirm_and_run(ctx, f"mark submissions {status}", items,
                           lambda i: ctx.api.put(f"{BASE}/submissions/{i}", {"status": status}), yes=yes,
                           question=f"Mark {len(items)} submissions {status}?" if len(items) > 1 else None,
                           what=f"mark submissions {status}", dry_run=dry_run, dry_action=status)


@submissions.command("delete", epilog="Examples:\n\n  eclictl applications submissions delete 17 --yes\n\n"
                     "  eclictl applications submissions list --status archived -o ids | "
                     "eclictl applications submissions delete - --yes")
@command()
def submissions_delete(
    ids: Annotated[list[str], typer.Argument(metavar="SUBMISSION...", help="Submission ids; '-' reads stdin.")],
    yes: YesOpt = False,
    dry_run: DryRunOpt = False,
) -> Any:
    """Delete submissions (several at once use the panel's bulk-delete; the result is re-checked)."""
    from eclictl.bulk import BulkReport, ItemResult, finish
    from eclictl.context import current
    from eclictl.output.render import View

    ctx = current()
    items = _int_ids(ctx.read_ids(ids), "submission")
    if dry_run:
        return View([{"item": i, "action": "delete"} for i in items], id_field="item")
    ctx.confirm(f"Delete {len(items)} submission(s)?", yes=yes, what="delete submissions")
    before = {str(s.get("id")) for s in SUBMISSIONS.iter_rows(ctx.api)}
    present = [i for i in items if i in before]
    if len(present) == 1:
        ctx.api.delete(f"{BASE}/submissions/{present[0]}")
    elif present:
        ctx.api.post(f"{BASE}/submissions/bulk-delete", {"ids": [int(i) for i in present]})
    after = {str(s.get("id")) for s in SUBMISSIONS.iter_rows(ctx.api)} if present else before
    report = BulkReport("delete submissions")
    for i in items:
        if i not in before:
            report.results.append(ItemResult(i, "failed", "not found"))
        elif i in after:
            report.results.append(ItemResult(i, "failed", "still present after delete"))
        else:
            report.results.append(ItemResult(i, "done"))
    finish(ctx, report)
    return None

