"""Sandbox: admin short URLs (docs/panel/integrations.md#short-urls, adminHandler.ts).

Permissions use dotted names (`admin.shorturl.add`, `.remove`, `.edit.any`, `.edit.own`), which match
only exactly or through `*`. List = A(admin:access) + PAGE, then `admin.shorturl.edit.any` (S) decides
all vs own rows. The declared response schema needs `ownerId` to be a number or absent: a row whose
owner is null makes list/create/update answer 422 `Request error`. `code` is unique across both
prefixes in the database, so reusing a code under the other prefix passes the 409 check and fails 500.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from eclictl.sandbox.auth import allowed
from eclictl.sandbox.router import HttpError, Request, admin, route
from eclictl.sandbox.state import iso, now

RESERVED_ROOT_CODES = frozenset({
    "login", "register", "dashboard", "api", "favicon.ico", "_next", "static", "legal", "license",
    "verify-email", "forgot-password", "reset-password", "restore-email", "tunnel", "wings", "docs", "checks",
    "organisations", "servers", "billing", "identity", "mailbox", "settings", "tickets", "admin", "public",
    "health", "logout", "orders", "plans", "a",
})
CODE_RE = re.compile(r"^[a-z0-9_-]{1,64}$")
FIELDS = ("id", "code", "prefix", "targetUrl", "active", "ownerId", "createdAt")
INVALID_CODE = "Invalid short URL code."
INVALID_TARGET = "Invalid target URL."
RESERVED = "This root path is reserved and cannot be used."
EXISTS = "Short URL code already exists for this prefix."
NOT_FOUND = "Short URL not found."
DENIED = "Permission denied."


def seed(state: Any, rng: Any) -> None:
    base = now(state)
    plan = [("discord", "a", "https://discord.gg/eclipanel", 1),
            ("status", "root", "https://status.eclipanel.test/", 1),
            ("docs-install", "a", "/docs/install", 3),
            ("promo-spring", "a", "https://eclipanel.test/plans?c=spring", 3),
            ("wiki", "root", "https://wiki.eclipanel.test/", 6),
            ("gh", "a", "https://github.com/eclipanel", 1)]
    state.short_urls = {}
    for i, (code, prefix, target, owner) in enumerate(plan, start=1):
        stamp = iso(base - timedelta(days=90 - i * 11, minutes=rng.randint(0, 600)))
        state.short_urls[i] = {"id": i, "code": code, "prefix": prefix, "targetUrl": target, "active": True,
                               "ownerId": owner, "createdAt": stamp, "updatedAt": stamp}


def normalize_code(value: Any) -> str:
    return re.sub(r"^/+|/+$", "", str(value or "").strip()).lower()


def redirect_target(value: Any) -> str | None:
    """getRedirectTarget: a path starting with a single `/`, or an absolute http(s) URL (normalised)."""
    text = str(value or "").strip()
    if not text:
        return None
    if text.startswith("/") and not text.startswith("//"):
        return text
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, parts.fragment))


def _public(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row.get(k) for k in FIELDS}
    if out["ownerId"] is None:  # t.Optional(t.Number()) rejects null: the whole response becomes 422
        raise HttpError(422, "Request error")
    return out


def _validate(state: Any, code: str, prefix: str, target: str | None, self_id: int | None) -> None:
    if not code or not CODE_RE.match(code):
        raise HttpError(400, INVALID_CODE)
    if not target:
        raise HttpError(400, INVALID_TARGET)
    if prefix == "root" and code in RESERVED_ROOT_CODES:
        raise HttpError(400, RESERVED)
    for row in state.short_urls.values():
        if row["code"] != code or row["id"] == self_id:
            continue
        if row["prefix"] == prefix:
            raise HttpError(409, EXISTS)
        raise HttpError(500, "Internal server error")  # unique(code) across prefixes


@route("GET", "/api/admin/shorturls", gates=(("A", "admin:access"), ("PAGE", "")))
def list_short_urls(req: Request) -> Any:
    rows = list(req.state.short_urls.values())
    if not allowed(req.principal, "S", "admin.shorturl.edit.any", req.state):
        me = req.principal.user.get("id")
        rows = [r for r in rows if r.get("ownerId") == me]
    return [_public(r) for r in sorted(rows, key=lambda r: (r["prefix"], r["code"]))]


@route("POST", "/api/admin/shorturls", gates=admin("admin.shorturl.add"))
def create_short_url(req: Request) -> Any:
    body = req.json_object()
    code = normalize_code(body.get("code"))
    prefix = "root" if str(body.get("prefix") or "a") == "root" else "a"
    target = redirect_target(body.get("targetUrl"))
    _validate(req.state, code, prefix, target, None)
    ident = req.state.next_id("short_urls")
    stamp = iso(now(req.state))
    row = {"id": ident, "code": code, "prefix": prefix, "targetUrl": target, "active": True,
           "ownerId": req.principal.user.get("id"), "createdAt": stamp, "updatedAt": stamp}
    req.state.short_urls[ident] = row
    return _public(row)


@route("PUT", "/api/admin/shorturls/:id", gates=(("A", "admin:access"),))
def update_short_url(req: Request) -> Any:
    row = req.row(req.state.short_urls, NOT_FOUND)
    if not allowed(req.principal, "S", "admin.shorturl.edit.any", req.state):
        own = row.get("ownerId") == req.principal.user.get("id")
        if not own or not allowed(req.principal, "S", "admin.shorturl.edit.own", req.state):
            raise HttpError(403, DENIED)
    body = req.json_object()
    code = normalize_code(body.get("code") or row["code"])
    prefix = "root" if str(body.get("prefix") or row["prefix"]) == "root" else "a"
    target = redirect_target(body.get("targetUrl") or row["targetUrl"])
    _validate(req.state, code, prefix, target, row["id"])
    row.update(code=code, prefix=prefix, targetUrl=target, updatedAt=iso(now(req.state)))
    return _public(row)


@route("DELETE", "/api/admin/shorturls/:id", gates=admin("admin.shorturl.remove"))
def delete_short_url(req: Request) -> Any:
    row = req.row(req.state.short_urls, NOT_FOUND)
    del req.state.short_urls[row["id"]]
    return {"success": True}
