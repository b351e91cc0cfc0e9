"""Resolving a user reference (id or exact e-mail): shared by the users section, the `user_ref`
filter converter of eclictl/sections/_spec.py and other sections, so none of them imports the users
section for it.
"""

from __future__ import annotations

from typing import Any

from eclictl.api.pagination import PageSpec
from eclictl.errors import NotFoundError, RejectedError, UsageError

PATH = "/api/admin/users"
PAGES = PageSpec(items_key="users", page_param="page", page_size=50, total_key="total")


def resolve_user_id(api: Any, ref: str) -> int:
    """A user id for an id or an exact (case-insensitive) e-mail; other sections and filters use this.

    E-mails are looked up with `GET /api/admin/users?q=EMAIL` (a LIKE search), then matched
    exactly: none is exit 6, several are exit 7 with the candidates.
    """
    text = str(ref).strip()
    if text.isdigit():
        return int(text)
    if "@" not in text:
        raise UsageError(f"expected a user id or e-mail, got '{ref}'")
    wanted = text.lower()
    matches = [row for row in api.iterate(PATH, PAGES, {"q": text})
               if isinstance(row, dict) and str(row.get("email") or "").lower() == wanted]
    if not matches:
        raise NotFoundError(f"no user with e-mail '{text}'")
    if len(matches) > 1:
        found = ", ".join(f"{r.get('id')} ({r.get('email')})" for r in matches)
        raise RejectedError(f"e-mail '{text}' matches several users: {found}", hint="use the id")
    return int(matches[0]["id"])
