"""Sandbox: company mailboxes, `/api/admin/company-mailboxes*` (docs/panel/mailboxes.md).

State: `state.mailbox_accounts` (userId -> account; the four company boxes use userIds -1..-4,
customers' personal boxes their own id), `state.mail_messages` (id -> the panel's database copy,
plus `imapFolder`: where the message really is on the IMAP server, None = not there),
`state.mail_outbox` (what SMTP was asked to send). Switches for tests: `state.smtp_error`,
`state.dovecot_master` (False: every delete fails), `state.mailbox_purge_running` (409).
Upstream: backend/src/handlers/adminHandler.ts:10505-11120, backend/src/services/imapFetcher.ts:287.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from eclictl.sandbox.router import HttpError, Raw, Request, found, route
from eclictl.sandbox.state import iso, now

DOMAIN = "eclipanel.test"
SOGO_URL = f"https://mail.{DOMAIN}/SOGo"
BOXES = (("contact", -1, ("hi", "support", "hello")), ("security", -2, ()), ("legal", -3, ("abuse",)),
         ("hq", -4, ()))
DEPARTMENTS = {"contact": "Support", "security": "Security", "legal": "Legal", "hq": "HQ"}
SENDERS = ('"Jonas Becker" <jonas.becker@example.com>', "noreply@status.example.org",
           '"DMARC Aggregate Report" <dmarcreport@reports.example.net>', '"Lina Park" <lina.park@example.org>',
           "spam-king@bulk.example.biz")
SUBJECTS = ("Server will not start after update", "Invoice question", "Report domain: eclipanel.test",
            "Abuse report: port scan from 203.0.113.40", "CHEAP HOSTING 90% OFF")


def seed(state: Any, rng: Any) -> None:
    state.mailbox_accounts = {}
    state.mail_messages = {}
    state.mail_outbox = []
    state.smtp_error = None
    state.dovecot_master = True
    state.mailbox_purge_running = False
    for local, uid, _ in BOXES[:3]:  # `hq` has no account row: not provisioned
        state.mailbox_accounts[uid] = _account(uid, f"{local}@{DOMAIN}", rng)
    customers = [u for _, u in sorted(state.users.items()) if u.get("role") not in ("*", "rootAdmin")][:2]
    for user in customers:
        state.mailbox_accounts[user["id"]] = _account(user["id"], f"user{user['id']}@{DOMAIN}", rng)
    base = now(state)
    n = 0
    for uid in sorted(state.mailbox_accounts):
        for k in range(6 if uid < 0 else 2):
            n += 1
            folder = ("INBOX", "INBOX", "INBOX", "Junk", "Trash", "Sent")[k % 6] if uid < 0 else "INBOX"
            sender = SENDERS[(n + k) % len(SENDERS)] if folder != "Sent" else state.mailbox_accounts[uid]["email"]
            state.mail_messages[n] = {
                "id": n, "userId": uid, "messageId": f"<m{n}.{rng.getrandbits(32):08x}@mx.example>",
                "fromAddress": sender, "toAddress": state.mailbox_accounts[uid]["email"],
                "subject": SUBJECTS[n % len(SUBJECTS)], "body": f"Hello,\n\nmessage {n} text.\n",
                "html": f"<p>message {n}</p>" if n % 2 else None,
                "receivedAt": iso(base - timedelta(hours=7 * n)), "read": k % 2 == 1, "replied": False,
                "folder": folder, "isSpam": folder == "Junk", "isVirus": False,
                "spamScore": 9.5 if folder == "Junk" else None, "virusName": None, "attachments": None,
                "imapFolder": None if folder == "Sent" else folder,  # Sent copies exist only in the database
            }
    state.mail_messages[2]["imapFolder"] = None  # already gone from IMAP: a delete is a silent no-op


def _account(uid: int, email: str, rng: Any) -> dict[str, Any]:
    return {"id": 100 + uid if uid < 0 else uid, "userId": uid, "email": email, "enabled": True,
            "password": f"{rng.getrandbits(64):016x}"}


def _entry(address: str) -> tuple[str, int, tuple[str, ...]] | None:
    a = address.lower()
    return next((b for b in BOXES if b[0] == a or a in b[2]), None)


def _may(req: Request, entry: tuple[str, int, tuple[str, ...]]) -> bool:
    from eclictl.sandbox.auth import allowed

    return any(allowed(req.principal, "S", f"admin:mailbox:{name}", req.state) for name in (entry[0], *entry[2]))


def _load(req: Request) -> tuple[tuple[str, int, tuple[str, ...]], dict[str, Any]]:
    entry = _entry(req.params["address"])
    if entry is None:
        raise HttpError(404, "Company mailbox not found")
    if not _may(req, entry):
        raise HttpError(403, "Forbidden")
    account = found(req.state.mailbox_accounts, entry[1],
                    "Company mailbox is not provisioned yet. Run the mailbox sync job or try again later.")
    return entry, account


def _message(req: Request, account: dict[str, Any]) -> dict[str, Any]:
    msg = req.state.mail_messages.get(req.param_checked("id"))  # NaN: the lookup's catch gives null
    if msg is None or msg["userId"] != account["userId"]:
        raise HttpError(404, "Mailbox message not found")
    return msg


def _log(req: Request, action: str, target: str, metadata: dict[str, Any] | None = None) -> None:
    from eclictl.sandbox.routes.servers import user_log

    caller = req.principal.user if req.principal else {}
    user_log(req.state, caller.get("id"), action, target, "mailbox", metadata)


def _item(msg: dict[str, Any]) -> dict[str, Any]:
    out = {"id": msg["id"], "messageId": msg.get("messageId") or None, "fromAddress": msg.get("fromAddress") or None,
           "toAddress": msg.get("toAddress") or None, "subject": msg.get("subject") or "No subject",
           "body": msg.get("body") or "", "html": msg.get("html") or None, "receivedAt": msg["receivedAt"],
           "read": bool(msg.get("read")), "replied": bool(msg.get("replied")), "folder": msg.get("folder") or "INBOX",
           "isSpam": bool(msg.get("isSpam")), "isVirus": bool(msg.get("isVirus")), "spamScore": msg.get("spamScore"),
           "virusName": msg.get("virusName") or None, "attachments": msg.get("attachments") or None}
    return {k: v for k, v in out.items() if v is not None}  # `undefined` keys are left out of the JSON


@route("GET", "/api/admin/company-mailboxes")
def list_mailboxes(req: Request) -> Any:
    state = req.state
    visible = [b for b in BOXES if _may(req, b)]
    if not visible:
        raise HttpError(403, "Forbidden")
    out = []
    for local, uid, aliases in visible:
        account = state.mailbox_accounts.get(uid)
        unread = sum(1 for m in state.mail_messages.values() if m["userId"] == uid and m["folder"] == "INBOX"
                     and not m["read"]) if account else 0
        out.append({"localPart": local, "email": account["email"] if account else f"{local}@{DOMAIN}",
                    "aliases": [{"address": f"{a}@{DOMAIN}", "localPart": a} for a in aliases],
                    "provisioned": account is not None, "unreadCount": unread})
    return {"mailboxes": out, "sogoUrl": SOGO_URL}


def _number(text: str | None) -> float:
    try:
        return float(text) if text not in (None, "") else 0.0
    except ValueError:
        return 0.0


@route("GET", "/api/admin/company-mailboxes/:address/messages")
def list_messages(req: Request) -> Any:
    _, account = _load(req)
    folder = (req.arg("folder") or "INBOX").upper()
    page = max(1, int(_number(req.arg("page")) or 1))
    limit = min(100, max(1, int(_number(req.arg("limit")) or 20)))
    q = (req.arg("q") or "").strip().lower()
    rows = [m for m in req.state.mail_messages.values()
            if m["userId"] == account["userId"] and str(m["folder"]).upper() == folder]  # case-insensitive collation
    if q:
        rows = [m for m in rows if any(q in str(m.get(k) or "").lower() for k in ("subject", "fromAddress", "body"))]
    if req.arg("unread") == "true":
        rows = [m for m in rows if not m["read"]]
    if req.arg("read") == "true":
        rows = [m for m in rows if m["read"]]
    replied = (req.arg("replied") or "").strip()
    if replied in ("true", "false"):
        rows = [m for m in rows if m["replied"] == (replied == "true")]
    rows.sort(key=lambda m: m["receivedAt"], reverse=True)
    unread = sum(1 for m in req.state.mail_messages.values()
                 if m["userId"] == account["userId"] and m["folder"] == "INBOX" and not m["read"])
    return {"meta": {"page": page, "limit": limit, "total": len(rows), "unreadCount": unread},
            "messages": [_item(m) for m in rows[(page - 1) * limit: page * limit]]}


@route("GET", "/api/admin/company-mailboxes/:address/messages/:id/html")
def message_html(req: Request) -> Any:
    _, account = _load(req)
    msg = _message(req, account)
    text = msg.get("html") or f"<pre>{msg.get('body') or ''}</pre>"  # not escaped
    return Raw(200, "text/html; charset=utf-8", text.encode())


@route("POST", "/api/admin/company-mailboxes/:address/messages/:id/read")
def mark_read(req: Request) -> Any:
    _, account = _load(req)
    msg = _message(req, account)
    msg["read"] = bool(req.json_object().get("read"))  # missing `read` means unread
    _log(req, "admin:mailbox:read", account["email"], {"messageId": msg["id"], "read": msg["read"]})
    return {"success": True}


def _imap_delete(state: Any, msg: dict[str, Any], folder: str, permanent: bool) -> bool:
    """deleteMessageFromMailbox: look in `folder` only; not found there is success with no change."""
    if not state.dovecot_master:
        return False
    if str(msg.get("imapFolder") or "").upper() != folder.upper():
        return True
    if permanent or folder.upper() == "TRASH":
        msg["imapFolder"] = None
    else:
        msg["imapFolder"] = "Trash"
        msg["folder"] = "Trash"
    return True


@route("DELETE", "/api/admin/company-mailboxes/:address/messages/:id")
def delete_message(req: Request) -> Any:
    _, account = _load(req)
    msg = _message(req, account)
    if str(msg.get("folder") or "").upper() == "TRASH":
        if not _imap_delete(req.state, msg, "Trash", False):
            raise HttpError(500, "Failed to delete mailbox message")
        del req.state.mail_messages[msg["id"]]
        _log(req, "admin:mailbox:delete", account["email"], {"messageId": msg["id"], "folder": "Trash",
                                                              "permanent": True})
        return {"success": True}
    if not _imap_delete(req.state, msg, "INBOX", False):  # always INBOX, whatever the message's folder
        raise HttpError(500, "Failed to delete mailbox message")
    _log(req, "admin:mailbox:delete", account["email"], {"messageId": msg["id"], "folder": "INBOX",
                                                          "permanent": False})
    return {"success": True}


def _send(req: Request, entry: Any, account: dict[str, Any], original: dict[str, Any] | None) -> Any:
    state = req.state
    body = req.json_object()
    to = str(body.get("to") or (original or {}).get("fromAddress") or "").strip()
    if not to:
        raise HttpError(400, "Recipient email address is required")
    text = str(body.get("body") or "").strip()
    html = body.get("html") if isinstance(body.get("html"), str) else None
    if not text and not html:
        raise HttpError(400, "Message body or HTML content is required")
    subject = str(body.get("subject") or "").strip() or (
        "Re: " + re.sub(r"^re:\s*", "", str(original["subject"]), flags=re.I) if original and original.get("subject")
        else "")
    name = f"EclipseSystems {DEPARTMENTS[entry[0]]}"
    template = str(body.get("template") or "").strip()
    if template and template != "plain":
        html = f"<p>{text}</p>" if template == "notification" else f'Template "{template}" not found.'
    final_text = text or ("See HTML content" if html else "")
    if state.smtp_error:
        return 500, {"error": "Failed to send email", "details": str(state.smtp_error)}
    message_id = f"<{len(state.mail_outbox) + 1}.{account['userId'] & 0xffff:04x}@{DOMAIN}>"
    state.mail_outbox.append({"from": f"{name} <{account['email']}>", "to": to,
                              "cc": str(body.get("cc") or "").strip() or None,
                              "bcc": str(body.get("bcc") or "").strip() or None, "subject": subject,
                              "text": final_text, "html": html,
                              "inReplyTo": (original or {}).get("messageId"), "priority": body.get("priority")})
    new_id = max(state.mail_messages, default=0) + 1
    state.mail_messages[new_id] = {
        "id": new_id, "userId": account["userId"], "messageId": message_id, "fromAddress": account["email"],
        "toAddress": to, "subject": subject, "body": final_text, "html": html, "receivedAt": iso(now(state)),
        "read": True, "replied": False, "folder": "Sent", "isSpam": False, "isVirus": False, "spamScore": None,
        "virusName": None, "attachments": None, "imapFolder": None}
    if original is not None:
        original["replied"] = True
    _log(req, "admin:mailbox:reply" if original else "admin:mailbox:send", account["email"], {"to": to})
    return {"success": True}


@route("POST", "/api/admin/company-mailboxes/:address/send")
def send(req: Request) -> Any:
    entry, account = _load(req)
    return _send(req, entry, account, None)


@route("POST", "/api/admin/company-mailboxes/:address/messages/:id/reply")
def reply(req: Request) -> Any:
    entry, account = _load(req)
    return _send(req, entry, account, _message(req, account))


@route("POST", "/api/admin/company-mailboxes/:address/preview")
def preview(req: Request) -> Any:
    entry, account = _load(req)
    body = req.json_object()
    text = str(body.get("body") or "").strip()
    html = body.get("html") if isinstance(body.get("html"), str) else None
    name = f"EclipseSystems {DEPARTMENTS[entry[0]]}"
    out = html or "<pre>" + text.replace("&", "&amp;").replace("<", "&lt;") + "</pre>"
    template = str(body.get("template") or "").strip()
    if template and template != "plain":
        out = f"<p>{text}</p>" if template == "notification" else f'Template "{template}" not found.'
    return {"html": out, "from": f"{name} <{account['email']}>", "subject": str(body.get("subject") or "").strip()}


@route("POST", "/api/admin/company-mailboxes/:address/rotate-password")
def rotate_password(req: Request) -> Any:
    entry, account = _load(req)
    import secrets

    account["password"] = secrets.token_urlsafe(15)  # the previous password stops working
    _log(req, "admin:mailbox:rotate", account["email"])
    return {"success": True, "localPart": entry[0], "email": account["email"], "password": account["password"],
            "sogoUrl": SOGO_URL}


@route("POST", "/api/admin/company-mailboxes/purge-from")
def purge_from(req: Request) -> Any:
    state = req.state
    try:
        body = req.json(None)
    except HttpError:
        raise HttpError(422, "Request error") from None
    if not isinstance(body, dict) or not isinstance(body.get("from"), str) or not body["from"]:
        raise HttpError(422, "Request error")  # the enforced body schema: {from: string, minLength 1}
    if req.principal.user.get("role") not in ("rootAdmin", "*"):  # the key owner's role for API keys
        raise HttpError(403, "Forbidden")
    needle = body["from"].strip()
    if not needle:
        raise HttpError(400, "Recipient email address is required")
    if state.mailbox_purge_running:
        raise HttpError(409, "A mailbox purge is already running")
    # runs in the background upstream; here it is done before the answer, the log row comes the same way
    accounts = [a for a in state.mailbox_accounts.values() if a.get("enabled")]
    deleted = failed = 0
    for account in accounts:
        for msg in [m for m in state.mail_messages.values() if m["userId"] == account["userId"]
                    and needle.lower() in str(m.get("fromAddress") or "").lower()]:
            if _imap_delete(state, msg, str(msg.get("folder") or "INBOX"), True):
                del state.mail_messages[msg["id"]]
                deleted += 1
            else:
                failed += 1
    _log(req, "admin:mailbox:purge", needle, {"from": needle, "deleted": deleted, "failed": failed,
                                               "mailboxes": len(accounts), "background": True})
    return {"success": True, "queued": True}
