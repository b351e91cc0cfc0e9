"""Sandbox: support tickets (docs/panel/support.md#tickets). Feature `ticketing` (503 by prefix)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from eclictl.sandbox import js
from eclictl.sandbox.auth import allowed
from eclictl.sandbox.router import HttpError, Request, admin, route
from eclictl.sandbox.state import iso, now, parse_iso

PER = 50
ALIASES = {
    "open": "opened", "opened": "opened", "pending": "awaiting_staff_reply", "awaiting_staff_reply":
    "awaiting_staff_reply", "waiting": "awaiting_staff_reply", "waiting_staff": "awaiting_staff_reply",
    "replied": "replied", "closed": "closed",
}
#: The list filter's own table (adminHandler.ts GET /admin/tickets): only canonical names are keys,
#: and each matches its stored spellings; any other word is matched literally (`pending` finds nothing).
FILTER_STATUSES = {
    "opened": ("open", "opened"),
    "awaiting_staff_reply": ("pending", "awaiting_staff_reply", "waiting", "waiting_staff"),
    "replied": ("replied",),
    "closed": ("closed",),
}
SUBJECTS = [
    ("Server won't start after egg update", "My Minecraft server crashes on boot since yesterday's update."),
    ("Refund for duplicate payment", "I was charged twice for order #1042, please refund one payment."),
    ("Cannot verify my e-mail", "The verification link says expired. Please resend to {email}."),
    ("Request for dedicated IP", "We need a dedicated IPv4 for our game server network."),
    ("SFTP login fails", "SFTP says permission denied from 203.0.113.57 although my password is right."),
    ("Account locked after 2FA reset", "I lost my phone and cannot log in. My phone is +44 7700 900123."),
    ("Abuse report: phishing site", "A server on your network hosts a phishing page, see attached screenshot."),
    ("Upgrade to Pro plan", "How do I move my servers to the Pro plan without downtime?"),
    ("Backups missing", "The backup list for my server is empty since last week."),
    ("Invoice address wrong", "Please change the invoice address to 12 Harbour Street, Leeds LS1 4AB."),
]
PRIORITIES = ["low", "medium", "medium", "high", "urgent"]
STATUSES = ["opened", "awaiting_staff_reply", "replied", "closed", "opened", "awaiting_staff_reply"]


def seed(state: Any, rng: Any) -> None:
    state.tickets = {}
    users = [u for _, u in sorted(state.users.items())][:40] or [{"id": 1, "email": "user@example.com"}]
    base = now(state)
    for i in range(1, 37):
        user = users[(i * 7) % len(users)]
        subject, text = SUBJECTS[i % len(SUBJECTS)]
        created = base - timedelta(hours=rng.randint(1, 24 * 14), minutes=rng.randint(0, 59))
        status = STATUSES[i % len(STATUSES)]
        messages = [{"id": _msg_id(created, 2 * i), "sender": "user",
                     "message": text.format(email=user.get("email", "")), "created": iso(created)}]
        if status in ("replied", "closed"):  # a reply through the portal's ticket page (ticketHandler.ts)
            messages.append({"id": _msg_id(created, 2 * i + 1), "sender": "staff",
                             "message": "Thanks, we are looking into it.",
                             "created": iso(created + timedelta(hours=2)), "staffId": 1,
                             "staffName": "Morgan Reyes", "staffDisplayName": "Morgan (Support)",
                             "staffLegalName": "Morgan A. Reyes"})
        if i % 9 == 0:
            messages[0]["attachments"] = [f"https://cdn.example.com/tickets/{i}/screenshot.png"]
        state.tickets[i] = {
            "id": i, "userId": user["id"], "subject": subject, "message": messages[0]["message"],
            "status": status, "priority": PRIORITIES[i % len(PRIORITIES)],
            "assignedTo": 1 if i % 4 == 0 else None, "department": ["support", "billing", "abuse"][i % 3],
            "adminReply": messages[1]["message"] if len(messages) > 1 else None,
            "aiTouched": i % 5 == 0, "aiMarkedSpam": False, "aiClosed": status == "closed" and i % 2 == 0,
            "aiDisabled": False, "archived": i > 32, "messages": messages,
            "created": iso(created), "updatedAt": iso(created + timedelta(hours=len(messages))),
        }
    state.ticket_next_id = 37


def _msg_id(created: datetime, seq: int) -> str:
    """ticketHandler.ts makeMsgId: `m_<ms since epoch, base 36>_<counter, base 36>`."""
    return f"m_{_b36(int(created.timestamp() * 1000))}_{_b36(seq)}"


def _b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def _holds(req: Request, perm: str) -> bool:
    return allowed(req.principal, "H", perm, req.state)


def _order_key(ticket: dict[str, Any], current: datetime) -> tuple[int, str]:
    created = parse_iso(ticket.get("created")) or current
    waiting = (current - created) >= timedelta(hours=48)
    prio = ticket.get("priority")
    if prio == "urgent":
        group = 0
    elif prio in ("high", "medium") and waiting:
        group = 1
    elif prio in ("high", "medium") or (prio == "low" and waiting):
        group = 2
    else:
        group = 3
    return group, ticket.get("created") or ""


def _user_of(state: Any, user_id: Any) -> dict[str, Any] | None:
    user = state.users.get(user_id)
    if not user:
        return None
    return {"firstName": user.get("firstName"), "lastName": user.get("lastName"), "email": user.get("email")}


def _matches_q(state: Any, ticket: dict[str, Any], q: str) -> bool:
    if q.isdigit():
        return ticket.get("userId") == int(q)
    user = state.users.get(ticket.get("userId")) or {}
    # Names are encrypted at rest: only the e-mail can match a LIKE.
    return q.lower() in str(user.get("email", "")).lower()


@route("GET", "/api/admin/tickets", gates=(("A", "admin:access"),))
def list_tickets(req: Request) -> Any:
    if not (_holds(req, "tickets:read") or _holds(req, "admin:ticket:staff")):
        raise HttpError(403, "Forbidden")
    state = req.state
    page = req.int_arg("page", 1)
    q = (req.arg("q") or "").strip()
    priority = req.arg("priority")
    status = (req.arg("status") or "").strip().lower()
    archived_only = status == "archived" or (not status and (req.arg("archived") or "").lower() in ("true", "1", "yes"))
    rows = []
    for t in state.tickets.values():
        if archived_only != bool(t.get("archived")):
            continue
        if status and status != "archived" and t.get("status") not in FILTER_STATUSES.get(status, (status,)):
            continue
        if not status and not archived_only and t.get("status") == "closed" and not t.get("aiClosed"):
            continue
        if priority and t.get("priority") != priority:
            continue
        if q and not _matches_q(state, t, q):
            continue
        rows.append(t)
    current = now(state)
    rows.sort(key=lambda t: _order_key(t, current))
    chunk = rows[(page - 1) * PER: page * PER]
    return {"tickets": [{**t, "user": _user_of(state, t.get("userId"))} for t in chunk], "total": len(rows),
            "page": page, "per": PER}


@route("PUT", "/api/admin/tickets/:id", gates=(("A", "admin:access"),))
def update_ticket(req: Request) -> Any:
    full = _holds(req, "tickets:write")
    staff = full or _holds(req, "admin:ticket:staff")
    if not staff:
        raise HttpError(403, "Admin permission tickets:write required.")
    ticket = req.row(req.state.tickets, "Ticket not found")
    body = req.json_object()
    stamp = iso(now(req.state))
    messages = ticket.setdefault("messages", [])
    if full:
        # adminHandler.ts applies these only when present in a usable form: `assignedTo: null` (and a
        # falsy priority, a non-string department, a non-boolean AI switch) is silently skipped.
        if body.get("priority"):
            ticket["priority"] = body["priority"]
        if body.get("assignedTo") is not None:
            ticket["assignedTo"] = _js_number(body["assignedTo"])
        if isinstance(body.get("department"), str):
            ticket["department"] = body["department"]
        for key in ("aiDisabled", "aiTouched"):
            if isinstance(body.get(key), bool):
                ticket[key] = body[key]
        if "archived" in body:
            ticket["archived"] = js.truthy(body["archived"])
    new_status = _normalise(body["status"]) if js.truthy(body.get("status")) else None
    if new_status is not None and new_status != ticket.get("status"):
        messages.append({"sender": "system", "message": f"Status changed from {ticket.get('status') or 'unknown'} "
                         f"to {new_status}.", "created": stamp})
        ticket["status"] = new_status
    reply = body.get("reply")
    if isinstance(reply, str) and reply.strip():
        sender = "user" if body.get("replyAs") == "user" else "staff"
        text = _transliterate(reply.strip())
        messages.append({"sender": sender, "message": text, "created": stamp})
        if sender == "staff":
            ticket["adminReply"] = text
        if new_status is None:
            ticket["status"] = "replied" if sender == "staff" else "awaiting_staff_reply"
    elif full and "adminReply" in body:
        ticket["adminReply"] = _transliterate(js.string(body["adminReply"]))  # null becomes the text "null"
    ticket["updatedAt"] = stamp
    return {"success": True, "ticket": dict(ticket)}


def _normalise(status: Any) -> str:
    """normalizeTicketStatus (adminHandler.ts): aliases to the canonical name, anything else lower-cased."""
    word = js.string(status).lower()
    return ALIASES.get(word, word or "opened")


def _js_number(value: Any) -> Any:
    """JavaScript's Number(x) for the values a client sends ("" -> 0, "7" -> 7, junk -> NaN as None)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return int(value) if float(value).is_integer() else value
    text = str(value).strip()
    if not text:
        return 0
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() else number


def _transliterate(text: str) -> str:
    table = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2192": "->", "\u2013": "-",
             "\u2014": "-"}
    out = "".join(table.get(ch, ch) for ch in text)
    return "".join("?" if ord(ch) >= 0x1F000 else ch for ch in out)


@route("POST", "/api/admin/tickets/archive", gates=admin("tickets:write"))
def archive(req: Request) -> Any:
    body = req.json_object()
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids:
        raise HttpError(400, "ids array is required")
    numbers = [i for i in ids if isinstance(i, (int, float)) and not isinstance(i, bool)]
    if not numbers:
        raise HttpError(500, "Internal server error")
    flag = bool(body.get("archived"))
    for ident in numbers:
        ticket = req.state.tickets.get(int(ident))
        if ticket is not None:
            ticket["archived"] = flag
            ticket["updatedAt"] = iso(now(req.state))
    return {"success": True}
