"""Sandbox: user feedback (docs/panel/support.md#feedback, feedbackHandler.ts).

Both admin routes need only A(admin:access). The list pages with `page`/`limit` (1-100, default 50),
filters on an exact `rating`, and leaves out ELO vote feedback (messages starting "ELO vote feedback";
null messages are kept). Each row embeds a brief `user` (null when the user is gone).
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from eclictl.sandbox.router import HttpError, Request, route
from eclictl.sandbox.state import iso, now

ADMIN = (("A", "admin:access"),)
MESSAGES = (
    "Love the new console, but the file manager is slow on big folders.",
    "Support answered within minutes, thanks!",
    "Please add more locations in Asia. My players in Tokyo get 200 ms.",
    "Billing page confused me: I was charged twice? Contact me at {email}",
    "Server keeps crashing after the last egg update.",
    "Great value for the free tier.",
    "The KYC flow rejected my passport photo three times.",
    None,
)


def seed(state: Any, rng: Any) -> None:
    base = now(state)
    users = sorted(state.users) or [1]
    state.feedback = {}
    for i in range(1, 31):
        uid = rng.choice(users[:120])
        if i in (7, 19):
            uid = max(users) + 1000 + i  # the user was deleted since
        message = rng.choice(MESSAGES)
        if message and "{email}" in message:
            message = message.format(email=(state.users.get(uid) or {}).get("email", "someone@example.com"))
        if i in (5, 12, 23):
            message = f"ELO vote feedback: match {rng.randint(100, 999)} {rng.choice(('upvote', 'downvote'))}"
        state.feedback[i] = {"id": i, "userId": uid, "rating": rng.randint(0, 5), "message": message,
                             "createdAt": iso(base - timedelta(hours=i * 13 + rng.randint(0, 12)))}


def _number(raw: str | None) -> float:
    """JS Number(...) for a query string: '' -> 0, junk -> NaN."""
    if raw is None:
        return math.nan
    text = raw.strip()
    if not text:
        return 0.0
    try:
        return float(text)
    except ValueError:
        return math.nan


def _or(value: float, default: float) -> float:
    return default if math.isnan(value) or value == 0 else value


def _brief(user: dict[str, Any] | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {k: user.get(k) for k in ("id", "firstName", "lastName", "email", "avatarUrl")}


@route("GET", "/api/admin/feedback", gates=ADMIN)
def list_feedback(req: Request) -> Any:
    page = int(max(1, _or(_number(req.arg("page")), 1)))
    limit = int(min(100, max(1, _or(_number(req.arg("limit")), 50))))
    raw_rating = req.arg("rating")
    rating = _number(raw_rating) if raw_rating else math.nan
    rows = [f for f in req.state.feedback.values()
            if not (isinstance(f.get("message"), str) and f["message"].startswith("ELO vote feedback"))]
    if not math.isnan(rating):
        rows = [f for f in rows if f.get("rating") == rating]
    rows.sort(key=lambda f: (f.get("createdAt") or "", f["id"]), reverse=True)
    window = rows[(page - 1) * limit:(page - 1) * limit + limit]
    data = [{"id": f["id"], "rating": f["rating"], "message": f.get("message"), "createdAt": f.get("createdAt"),
             "user": _brief(req.state.users.get(f.get("userId")))} for f in window]
    return {"data": data, "total": len(rows), "page": page, "limit": limit}


@route("DELETE", "/api/admin/feedback/:id", gates=ADMIN)
def delete_feedback(req: Request) -> Any:
    ident = _number(req.params.get("id"))
    if math.isnan(ident) or ident == 0:
        raise HttpError(400, "Invalid feedback ID")
    row = req.state.feedback.pop(int(ident), None) if ident == int(ident) else None
    if row is None:
        raise HttpError(404, "Feedback not found")
    return {"success": True}
