"""Company mailboxes tab: `/api/admin/company-mailboxes*` (docs/panel/mailboxes.md).

A shared inbox over the panel's database copy of the company mailboxes (contact, security, legal,
hq; an alias such as `support` opens its whole mailbox). The traps handled here: a delete can
answer success without moving anything (so it is verified), send and reply are never retried and
the Sent copy is checked, a rotated password is shown once (terminal or 0600 file only), and
`purge-from` deletes matching mail in every mailbox of the panel, customers' included.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Optional

import typer

from eclictl.api.pagination import PageSpec
from eclictl.errors import NotFoundError, RejectedError, UsageError
from eclictl.options import YesOpt, command
from eclictl.output.columns import Col
from eclictl.sections._mailbox_lib import FOLDERS, PATH, _iter_folder, _page
from eclictl.sections._spec import FILTER_PANEL, ListOpts, Section, add_list, build

MAIL_PANEL = "Message"
BOX_HELP = "Mailbox local part or alias: contact (hi, support, hello), security, legal (abuse), hq."

MAILBOXES = Section(
    name="mailboxes",
    help="Company mailboxes: list, messages, show, mark, delete, send, reply, rotate-password, purge-from.",
    path=PATH,
    pages=PageSpec(items_key="mailboxes"),
    columns=(Col("localPart", "MAILBOX"), Col("email"), Col("aliases"), Col("provisioned"), Col("unreadCount", "UNREAD")),
    id_field="localPart",
    id_type=str,
    permission="admin:mailbox:contact",
    tab="company-mailboxes",
    verbs=(),
    examples=("eclictl mailboxes list", "eclictl mailboxes messages support --unread"),
)
MESSAGE_COLUMNS = (Col("id"), Col("receivedAt", "RECEIVED"), Col("fromAddress", "FROM", max_width=36),
                   Col("subject", max_width=40, sensitive="pii"), Col("read"), Col("replied"), Col("folder"))
MESSAGE_SENSITIVE = {"subject": "pii", "html": "pii", "messageId": "pii", "attachments": "pii"}
app = build(MAILBOXES)

BoxArg = Annotated[str, typer.Argument(metavar="MAILBOX", help=BOX_HELP)]
FolderOpt = Annotated[Optional[str], typer.Option("--folder", help="INBOX (default), Sent, Trash or Junk.",
                                                  rich_help_panel=FILTER_PANEL, show_default=False)]


def _ctx() -> Any:
    from eclictl.context import current

    return current()


def _box(box: str) -> str:
    if "@" in box:
        raise UsageError(f"give the mailbox's local part (e.g. 'support'), not '{box}'")
    return box.strip().lower()


def find_message(api: Any, box: str, ident: str, folder: str | None = None) -> dict[str, Any]:
    """The panel has no route for one message: look through the folder(s) of the list."""
    if not ident.isdigit():
        raise UsageError(f"message ids are numbers, got '{ident}'")
    for name in ([folder.upper()] if folder else FOLDERS):
        for msg in _iter_folder(api, box, name):
            if str(msg.get("id")) == ident:
                return msg
    raise NotFoundError(f"no message {ident} in mailbox '{box}'" + (f" folder {folder}" if folder else ""))


def _boxes(ctx: Any, params: dict[str, Any]) -> list[Any]:
    from eclictl.api.pagination import extract_items

    return extract_items(ctx.api.get(PATH), "mailboxes", f"GET {PATH}")


def _boxes_view(boxes: Any) -> Any:
    """Aliases joined into one column; `-o json` keeps the panel's answer as it is."""
    from eclictl.output.render import View

    boxes = list(boxes)
    rows = [dict(m, aliases=", ".join(a.get("localPart", "") for a in m.get("aliases") or [] if isinstance(a, dict)))
            for m in boxes if isinstance(m, dict)]
    return View(rows, columns=MAILBOXES.columns, id_field="localPart", empty="no mailbox you may open",
                json_data=boxes)


add_list(app, replace(MAILBOXES, list_opts=ListOpts(limit=None, all=None), list_rows=_boxes, list_render=_boxes_view),
         "The company mailboxes you may open, with aliases and unread counts.",
         ("eclictl mailboxes list", "eclictl mailboxes list --web"))


@app.command("messages", epilog="Examples:\n\n  eclictl mailboxes messages support --unread\n\n"
             "  eclictl mailboxes messages legal --folder Trash -q invoice --limit 50 -o json")
@command()
def messages(
    box: BoxArg, folder: FolderOpt = None,
    unread: Annotated[Optional[bool], typer.Option("--unread/--read", help="Only unread (or only read) messages.",
                                                   rich_help_panel=FILTER_PANEL, show_default=False)] = None,
    replied: Annotated[Optional[bool], typer.Option("--replied/--not-replied", help="Only (not) replied messages.",
                                                    rich_help_panel=FILTER_PANEL, show_default=False)] = None,
    query: Annotated[Optional[str], typer.Option("--query", "-q", help="Text in subject, sender or body.",
                                                 rich_help_panel=FILTER_PANEL, show_default=False)] = None,
    page: Annotated[int, typer.Option("--page", min=1, help="Page number.")] = 1,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100, help="Messages per page (1-100).")] = 20,
    full: Annotated[bool, typer.Option("--full", help="Keep body and html in the output (untrusted HTML).")] = False,
) -> Any:
    """List one folder, newest first (served from the panel's copy; new mail shows on the next call)."""
    from eclictl.output.render import View

    ctx = _ctx()
    params: dict[str, Any] = {"folder": (folder or "INBOX").upper(), "page": page, "limit": limit}
    if unread is not None:
        params["unread" if unread else "read"] = "true"
    if replied is not None:
        params["replied"] = "true" if replied else "false"
    if query:
        params["q"] = query
    meta, rows = _page(ctx.api, _box(box), params)
    if not full:
        rows = [{k: v for k, v in m.items() if k not in ("body", "html")} for m in rows]
    if ctx.io.stderr_tty and meta:
        ctx.info(f"page {meta.get('page')} of {max(1, -(-int(meta.get('total') or 0) // limit))}, "
                 f"{meta.get('total')} message(s), {meta.get('unreadCount')} unread in INBOX")
    return View(rows, columns=MESSAGE_COLUMNS, sensitive=MESSAGE_SENSITIVE, empty="no messages",
                json_data={"meta": meta, "messages": rows})


@app.command("show", epilog="Examples:\n\n  eclictl mailboxes show support 42\n\n"
             "  eclictl mailboxes show support 42 --html message.html")
@command()
def show(box: BoxArg, ident: Annotated[str, typer.Argument(metavar="ID", help="Message id.")], folder: FolderOpt = None,
         html: Annotated[Optional[str], typer.Option("--html", metavar="FILE", help="Save the rendered HTML to FILE "
                                                     "(0600; never opened: it is untrusted).", show_default=False)] = None
         ) -> Any:
    """Show one message (looked up in the folder lists); --html saves its HTML to a file."""
    from eclictl.output.render import View

    ctx = _ctx()
    box = _box(box)
    msg = find_message(ctx.api, box, ident, folder)
    if html:
        from eclictl.files import note_exports_unmasked, write_private

        resp = ctx.api.request("GET", f"{PATH}/{box}/messages/{ident}/html", expect_json=False)
        write_private(html, resp.text)
        ctx.info(f"wrote the message's HTML to {html}")
        note_exports_unmasked(ctx)
    return View(msg, detail=True, sensitive=MESSAGE_SENSITIVE)


IdsArg = Annotated[list[str], typer.Argument(metavar="ID...", help="Message ids; '-' reads them from stdin.")]


@app.command("mark", epilog="Examples:\n\n  eclictl mailboxes mark support 42 43 --read\n\n"
             "  eclictl mailboxes messages support --read -o ids | eclictl mailboxes mark support - --unread")
@command(bulk=True)
def mark(box: BoxArg, refs: IdsArg,
         read: Annotated[Optional[bool], typer.Option("--read/--unread", help="Required: the state to set.",
                                                      show_default=False)] = None) -> Any:
    """Mark messages read or unread (the panel's copy only; IMAP flags stay)."""
    from eclictl.bulk import BulkRunner, finish

    if read is None:
        raise UsageError("say --read or --unread (the panel takes a missing value as unread)")
    ctx = _ctx()
    box, items = _box(box), ctx.read_ids(refs)
    finish(ctx, BulkRunner(ctx).run("mark messages", items,
                                    lambda i: ctx.api.post(f"{PATH}/{box}/messages/{i}/read", {"read": read})))
    return None


@app.command("delete", epilog="Examples:\n\n  eclictl mailboxes delete support 42 --yes\n\n"
             "  eclictl mailboxes delete legal 7 --folder Trash --yes   # permanent")
@command(bulk=True)
def delete(box: BoxArg, refs: IdsArg, folder: FolderOpt = None, yes: YesOpt = False) -> Any:
    """Move messages to Trash (in Trash: delete for good), then check that they really moved."""
    from eclictl.bulk import BulkRunner, finish

    ctx = _ctx()
    box, items = _box(box), ctx.read_ids(refs)
    ctx.confirm(f"Delete {len(items)} message(s) from {box} ({', '.join(items[:10])})? Messages already in Trash "
                "are deleted for good.", yes=yes, what="delete messages")

    def one(ident: str) -> Any:
        msg = find_message(ctx.api, box, ident, folder)
        where = str(msg.get("folder") or "INBOX").upper()
        ctx.api.delete(f"{PATH}/{box}/messages/{ident}")
        if where == "TRASH":
            if any(str(m.get("id")) == ident for m in _iter_folder(ctx.api, box, "TRASH")):
                raise RejectedError("no-op: the panel answered success but the message is still in Trash")
            return ("done", "deleted for good")
        if any(str(m.get("id")) == ident for m in _iter_folder(ctx.api, box, where)):
            raise RejectedError(f"no-op: the panel answered success but the message is still in {where} (it looks "
                                "only in the IMAP INBOX; panel-made Sent copies cannot be deleted)")
        if not any(str(m.get("id")) == ident for m in _iter_folder(ctx.api, box, "TRASH")):
            raise RejectedError("the message left its folder but is not in Trash")
        return ("done", "moved to Trash")

    finish(ctx, BulkRunner(ctx).run("delete messages", items, one))
    return None


def _text(body: str | None, body_file: str | None) -> str | None:
    if body is not None and body_file is not None:
        raise UsageError("give --body or --body-file, not both")
    if body_file is None:
        return body
    return _ctx().read_text(body_file)


def _mail(box: str, original: str | None, to: str | None, subject: str | None, body: str | None,
          body_file: str | None, cc: str | None, bcc: str | None, priority: str | None, template: str,
          preview: bool, yes: bool) -> Any:
    ctx = _ctx()
    box = _box(box)
    text = _text(body, body_file)
    if not (text or "").strip():
        raise UsageError("the message needs a body: --body or --body-file")
    if template not in ("plain", "notification"):
        raise UsageError("--template must be plain or notification (an unknown name mails the recipient an error)")
    payload = {k: v for k, v in {"to": to, "cc": cc, "bcc": bcc, "subject": subject, "body": text,
                                 "priority": priority, "template": template}.items() if v}
    if preview:
        return ctx.api.post(f"{PATH}/{box}/preview", payload)
    msg = find_message(ctx.api, box, original, "INBOX") if original else None
    target = to or (msg or {}).get("fromAddress")
    if not target:
        raise UsageError("--to is required")
    ctx.confirm(f"Send an e-mail from {box} to {target}? It cannot be recalled.", yes=yes, what="send e-mail")
    if original:  # both declared ONCE: never re-sent after they may have reached the panel
        ctx.api.post(f"{PATH}/{box}/messages/{original}/reply", payload)
    else:
        ctx.api.post(f"{PATH}/{box}/send", payload)
    _, sent = _page(ctx.api, box, {"folder": "SENT", "limit": 1})
    copy = sent[0] if sent else {}
    if copy.get("toAddress") != str(target).strip():
        ctx.warn("the newest Sent copy does not match this e-mail: check the Sent folder before sending again")
    return {"sent": True, "to": target, "subject": copy.get("subject"), "sentCopyId": copy.get("id")}


ToOpt = Annotated[Optional[str], typer.Option("--to", help="Recipient address.", rich_help_panel=MAIL_PANEL,
                                              show_default=False)]
SubjectOpt = Annotated[Optional[str], typer.Option("--subject", help="Subject line.", rich_help_panel=MAIL_PANEL,
                                                   show_default=False)]
BodyOpt = Annotated[Optional[str], typer.Option("--body", help="Plain text body.", rich_help_panel=MAIL_PANEL,
                                                show_default=False)]
BodyFileOpt = Annotated[Optional[str], typer.Option("--body-file", metavar="FILE", help="Read the body from FILE "
                                                    "('-': stdin).", rich_help_panel=MAIL_PANEL, show_default=False)]
CcOpt = Annotated[Optional[str], typer.Option("--cc", help="Cc address(es).", rich_help_panel=MAIL_PANEL,
                                              show_default=False)]
BccOpt = Annotated[Optional[str], typer.Option("--bcc", help="Bcc address(es).", rich_help_panel=MAIL_PANEL,
                                               show_default=False)]
PriorityOpt = Annotated[Optional[str], typer.Option("--priority", help="low, normal or high.",
                                                    rich_help_panel=MAIL_PANEL, show_default=False)]
TemplateOpt = Annotated[str, typer.Option("--template", help="plain or notification.", rich_help_panel=MAIL_PANEL)]
PreviewOpt = Annotated[bool, typer.Option("--preview", help="Render only (sends nothing).", rich_help_panel=MAIL_PANEL)]


@app.command("send", epilog="Examples:\n\n  eclictl mailboxes send support --to jane@example.com --subject Hi "
             "--body-file reply.txt --yes\n\n  eclictl mailboxes send support --to jane@example.com --body hi --preview")
@command()
def send(box: BoxArg, to: ToOpt = None, subject: SubjectOpt = None, body: BodyOpt = None,
         body_file: BodyFileOpt = None, cc: CcOpt = None, bcc: BccOpt = None, priority: PriorityOpt = None,
         template: TemplateOpt = "plain", preview: PreviewOpt = False, yes: YesOpt = False) -> Any:
    """Send a new e-mail from the mailbox (never retried), then check its Sent copy."""
    if not to and not preview:
        raise UsageError("--to is required")
    return _mail(box, None, to, subject, body, body_file, cc, bcc, priority, template, preview, yes)


@app.command("reply", epilog="Examples:\n\n  eclictl mailboxes reply support 42 --body-file answer.txt --yes")
@command()
def reply(box: BoxArg, ident: Annotated[str, typer.Argument(metavar="ID", help="The INBOX message to answer.")],
          to: ToOpt = None, subject: SubjectOpt = None, body: BodyOpt = None, body_file: BodyFileOpt = None,
          cc: CcOpt = None, bcc: BccOpt = None, priority: PriorityOpt = None, template: TemplateOpt = "plain",
          yes: YesOpt = False) -> Any:
    """Reply from the main address (never retried; default recipient: the sender), then check the Sent copy."""
    return _mail(box, ident, to, subject, body, body_file, cc, bcc, priority, template, False, yes)


@app.command("rotate-password", epilog="Examples:\n\n  eclictl mailboxes rotate-password security\n\n"
             "  eclictl mailboxes rotate-password security --secret-file pw.txt --yes")
@command()
def rotate_password(
    box: BoxArg,
    secret_file: Annotated[Optional[str], typer.Option("--secret-file", metavar="FILE", help="Write the new password "
                                                       "to FILE (0600) instead of the terminal.",
                                                       show_default=False)] = None,
    yes: YesOpt = False,
) -> Any:
    """Set a new mailbox password (the old one stops working); shown once, on a terminal or in a 0600 file."""
    ctx = _ctx()
    box = _box(box)
    if secret_file is None and not ctx.io.stdout_tty:
        raise UsageError("the new password is printed only to a terminal", hint="use --secret-file FILE (0600)")
    ctx.confirm(f"Rotate the password of mailbox {box}? Mail clients using the old one stop working.", yes=yes,
                what="rotate a mailbox password")
    body = ctx.api.request("POST", f"{PATH}/{box}/rotate-password", keep=frozenset({"password"})).data or {}
    password = body.get("password")
    if not isinstance(password, str) or not password:
        raise RejectedError("the panel answered without a password: rotate again only after checking the mailbox")
    info = {"localPart": body.get("localPart"), "email": body.get("email"), "sogoUrl": body.get("sogoUrl")}
    if secret_file is not None:
        from eclictl.files import write_private

        write_private(secret_file, password + "\n")
        ctx.info(f"wrote the new password of {info['email']} to {secret_file}")
        return info
    return {**info, "password": password}


@app.command("purge-from", epilog="Examples:\n\n  eclictl mailboxes purge-from spammer@bulk.example.biz\n\n"
             "  eclictl mailboxes purge-from spammer@bulk.example.biz --yes --confirm-address spammer@bulk.example.biz")
@command()
def purge_from(
    address: Annotated[str, typer.Argument(metavar="ADDRESS", help="The sender's full e-mail address.")],
    yes: YesOpt = False,
    confirm_address: Annotated[Optional[str], typer.Option("--confirm-address", metavar="ADDRESS", help="The "
                                                           "address typed again (for scripts; else it is asked).",
                                                           show_default=False)] = None,
    wait: Annotated[int, typer.Option("--wait", min=0, help="Seconds to wait for the result in the audit log.")] = 60,
) -> Any:
    """Delete every message from ADDRESS in every mailbox of the panel, customers' too (root only; no undo)."""
    from eclictl.sections._mailbox_purge import purge

    return purge(_ctx(), address.strip(), yes=yes, confirm_address=confirm_address, wait=wait)
