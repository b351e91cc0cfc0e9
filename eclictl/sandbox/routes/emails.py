"""Sandbox: users' outbound e-mails (docs/panel/support.md#outbound-e-mails).

Faithful to the leak: each item embeds the sender's complete user row (password hash, 2FA
secret, sessions...). eclictl must drop it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from eclictl.sandbox.router import Request, admin, route
from eclictl.sandbox.state import iso, now

SUBJECTS = ["Invoice #{n}", "Re: your server quote", "Meeting notes", "Welcome to our Discord",
            "Password reset for the game panel", "Weekly backup report"]
RECIPIENTS = ["alex.morgan@example.net", "billing@contoso.example", "jamie.lee@example.org",
              "support@fabrikam.example", "priya.patel@example.com"]


def seed(state: Any, rng: Any) -> None:
    state.outbound_emails = {}
    ids = sorted(state.users)[:20] or [1]
    base = now(state)
    for n in range(1, 61):
        user = state.users.get(ids[n % len(ids)]) or {"id": ids[0], "email": "user@example.com"}
        status = ["sent", "sent", "sent", "queued", "failed"][n % 5]
        created = base - timedelta(hours=(61 - n) * 5)
        state.outbound_emails[n] = {
            "id": n, "userId": user["id"], "fromAddress": user.get("email"), "toAddress": RECIPIENTS[n % 5],
            "cc": RECIPIENTS[(n + 1) % 5] if n % 7 == 0 else None, "bcc": None,
            "subject": SUBJECTS[n % len(SUBJECTS)].format(n=1000 + n),
            "body": f"Hello,\n\nplease find the details below. Call me on +1 555 01{n:02d}.\n",
            "html": f"<p>Hello,</p><p>details below. Call me on +1 555 01{n:02d}.</p>",
            "status": status, "favorite": n % 9 == 0, "scheduledAt": None,
            "sentAt": iso(created + timedelta(seconds=30)) if status == "sent" else None,
            "attempts": 3 if status == "failed" else (0 if status == "queued" else 1),
            "failureReason": "550 5.1.1 mailbox unavailable" if status == "failed" else None,
            "messageId": f"<{n}.{user['id']}@mail.eclipanel.test>" if status == "sent" else None,
            "createdAt": iso(created), "updatedAt": iso(created + timedelta(minutes=1)),
        }


@route("GET", "/api/admin/outbound-emails", gates=admin("admin:outbound-emails"))
def list_emails(req: Request) -> Any:
    page = req.int_arg("page", 1)
    per = req.int_arg("per", 50, high=200)
    q = (req.arg("q") or "").lower()
    user_id = req.query_id("userId")  # Number(userId) into SQL: an e-mail is a 500 on the panel
    status = req.arg("status")
    rows = []
    for row in getattr(req.state, "outbound_emails", {}).values():
        if q and not any(q in str(row.get(k) or "").lower() for k in ("toAddress", "fromAddress", "subject", "body")):
            continue
        if user_id is not None and row.get("userId") != user_id:
            continue
        if status and row.get("status") != status:
            continue
        rows.append(row)
    rows.sort(key=lambda r: r["id"], reverse=True)
    chunk = rows[(page - 1) * per: page * per]
    return {"items": [{**r, "user": dict(req.state.users.get(r.get("userId")) or {}) or None} for r in chunk],
            "total": len(rows)}
