"""Announcements tab: `POST /api/admin/product-updates` (docs/panel/support.md#announcements).

An announcement is an e-mail broadcast. The panel queues a job and answers `recipients: 0`;
a runner sends one job per minute. There is no endpoint for jobs: `list` and `status` read
the sender's activity log (`admin-send-product-update[:error]`, `GET /api/admin/logs`, needs
logs:read). Only the first 1000 users (DB order) are ever considered; `excludeSuspended` has no
effect (suspended and inactive users are always skipped).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Iterator

import typer

from eclictl.api.pagination import PageSpec
from eclictl.errors import NotFoundError, UsageError
from eclictl.options import SAFETY_PANEL, DryRunOpt, YesOpt, bool_opt, command, opt
from eclictl.output.columns import Col
from eclictl.sections._spec import FILTER_PANEL, Section, build

PATH = "/api/admin/product-updates"
LOGS_PATH = "/api/admin/logs"
ACTION = "admin-send-product-update"
MESSAGE_PANEL = "Message"
AUDIENCE_PANEL = "Audience"

ANNOUNCEMENTS = Section(
    name="announcements",
    help="Product-update e-mail broadcasts: send (preview with --dry-run, --test to yourself), list, status.",
    path=PATH,
    permission="admin:announcements",
    tab="announcements",
    sensitive={"message": "pii", "subject": "pii"},
    verbs=(),
    searchable=False,
    examples=("eclictl announcements send --subject 'Maintenance' --message-file notes.md --dry-run",),
)

app = build(ANNOUNCEMENTS)

COLUMNS = (Col("logId", "LOG"), Col("at", "TIME"), Col("status"), Col("subject", max_width=50),
           Col("recipients"), Col("force"), Col("adminId", "ADMIN"))


def _message_text(ctx: Any, message: str | None, message_file: Path | None) -> str:
    if (message is None) == (message_file is None):
        raise UsageError("give exactly one of --message TEXT or --message-file FILE ('-' = stdin)")
    if message is not None:
        return message
    return ctx.read_text(message_file)


@app.command("send", epilog="Examples:\n\n"
             "  eclictl announcements send --subject 'Maintenance tonight' --message-file notes.md --dry-run\n\n"
             "  eclictl announcements send --subject 'Maintenance tonight' --message-file notes.md --test\n\n"
             "  eclictl announcements send --subject 'Maintenance tonight' --message-file notes.md --yes")
@command()
def send(
    subject: Annotated[str, typer.Option("--subject", "-s", help="Subject (the panel appends ' — Eclipse Systems').",
                                         rich_help_panel=MESSAGE_PANEL)],
    message: opt(str, "--message", "-m", help="Markdown body.", panel=MESSAGE_PANEL) = None,
    message_file: opt(Path, "--message-file", "-F", help="Markdown body from a file ('-' = stdin).",
                      panel=MESSAGE_PANEL) = None,
    test: bool_opt("--test", help="Send only to your own e-mail address, now.", panel=AUDIENCE_PANEL) = False,
    force: bool_opt("--force", help="Ignore users' product-update opt-in (mail everyone).",
                    panel=AUDIENCE_PANEL) = False,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
) -> Any:
    """Queue an e-mail broadcast to opted-in users (asks first; --test mails only you)."""
    from eclictl.context import current

    ctx = current()
    text = _message_text(ctx, message, message_file)
    if not subject.strip() or not text.strip():
        raise UsageError("subject and message must not be empty")
    body: dict[str, Any] = {"subject": subject, "message": text, "test": test, "force": force}
    if dry_run:
        return _preview(body)
    if not test:
        who = "EVERY active user with a verified e-mail" if force else "every opted-in user"
        ctx.confirm(f"E-mail '{subject}' to {who} (first 1000 users only)?", yes=yes,
                    what="send a broadcast e-mail")
    answer = ctx.api.post(PATH, body)
    answer = answer if isinstance(answer, dict) else {"success": True}
    if not test:
        ctx.info(f"queued: the runner sends one broadcast per minute; check with "
                 f"`eclictl announcements status --subject {subject!r}`")
    return {"subject": subject, "test": test, "force": force, **answer}


def _preview(body: dict[str, Any]) -> dict[str, Any]:
    test = body["test"]
    return {
        "dryRun": True,
        "subject": body["subject"] + (" — Eclipse Systems (TEST)" if test else " — Eclipse Systems"),
        "audience": "you only (test)" if test else
        ("all active users with a verified e-mail (--force ignores opt-in)" if body["force"]
         else "active users with a verified e-mail who opted in to product updates"),
        "limit": None if test else "only the first 1000 users (database order) are considered",
        "message": body["message"],
        "request": {"method": "POST", "path": PATH, "body": body},
    }


def _entries(ctx: Any, user: str | None, pages: int) -> Iterator[dict[str, Any]]:
    """Broadcast completions from the activity log, newest first."""
    from eclictl.sections._spec import user_ref

    user_id = None if user is None else user_ref(ctx.api, user)  # a non-number is a 500 on the panel
    spec = PageSpec(items_key="logs", page_param="page", size_param="per", page_size=500, total_key="total",
                    max_pages=pages)
    for row in ctx.api.iterate(LOGS_PATH, spec, {"type": "audit", "userId": user_id}):
        action = row.get("action") if isinstance(row, dict) else None
        if isinstance(action, str) and action.startswith(ACTION):
            yield _entry(row)


def _entry(row: dict[str, Any]) -> dict[str, Any]:
    meta = row.get("metadata") if isinstance(row.get("metadata"), dict) else {}
    action = row.get("action", "")
    status = "failed" if action.endswith(":error") else ("test-sent" if action.endswith("-test") else "completed")
    return {"logId": row.get("id"), "at": row.get("timestamp"), "status": status, "subject": meta.get("subject"),
            "recipients": meta.get("recipients"), "force": meta.get("force"), "adminId": row.get("userId"),
            "error": meta.get("error"), "action": action}


@app.command("list", epilog="Examples:\n\n  eclictl announcements list\n\n  eclictl announcements list --user 1 -o json")
@command()
def list_broadcasts(
    user: opt(str, "--user", "-u", metavar="USER", help="Only broadcasts sent by this admin: user id or exact e-mail "
              "(much faster).", panel=FILTER_PANEL) = None,
    pages: Annotated[int, typer.Option("--pages", help="Read at most this many pages of 500 log entries.",
                                       min=1)] = 10,
) -> Any:
    """List finished broadcasts (and test sends) from the activity log (needs logs:read)."""
    from eclictl.context import current
    from eclictl.output.render import View

    ctx = current()
    return View(_entries(ctx, user, pages), columns=COLUMNS, id_field="logId", sensitive=ANNOUNCEMENTS.sensitive,
                empty="no finished broadcasts in the log (queued ones appear within about a minute per job)")


@app.command("status", epilog="Examples:\n\n  eclictl announcements status --subject 'Maintenance tonight'\n\n"
             "  eclictl announcements status --user 1 -o json")
@command()
def status(
    subject: opt(str, "--subject", "-s", help="The broadcast's subject (exact).") = None,
    user: opt(str, "--user", "-u", metavar="USER", help="The sending admin: user id or exact e-mail.",
              panel=FILTER_PANEL) = None,
    pages: Annotated[int, typer.Option("--pages", help="Read at most this many pages of 500 log entries.",
                                       min=1)] = 10,
    pending_ok: bool_opt("--pending-ok", help="Exit 0 (status: pending) when no completion is logged yet, instead of "
                         "6.", panel=SAFETY_PANEL) = False,
) -> Any:
    """Show whether the latest broadcast (or the one with --subject) finished, and how many got it."""
    from eclictl.context import current

    ctx = current()
    for entry in _entries(ctx, user, pages):
        if entry["status"] == "test-sent":
            continue
        if subject is None or entry.get("subject") == subject:
            return entry
    if pending_ok:
        return {"subject": subject, "status": "pending", "recipients": None,
                "note": "no completion logged yet: queued jobs run one per minute"}
    raise NotFoundError(f"no finished broadcast{f' with subject {subject!r}' if subject else ''} in the log",
                        hint="a queued broadcast is logged when the runner finishes it (one job per minute); "
                             "--pending-ok exits 0")
