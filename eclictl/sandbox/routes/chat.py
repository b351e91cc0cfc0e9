"""Sandbox: chat channels and moderation (docs/panel/chat.md; backend/src/handlers/chatHandler.ts).

Behind the `chat` flag (all of `/api/chat*`; `/api/admin/chat/ip-logs` is not). Channel reads have no
auth hook; `/channels/all` lists listed, non-archived channels, `/channels` also unlisted ones (no
caller is known there, so the "listed or mine" filter never applies). Create, update and ban-create
return the bare entity: `text/plain` `[object Object]`. DELETE of a channel only archives it, and no
route can undo that. Moderator routes check `chat:manage` (S: API keys pass only with a root owner).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from eclictl.sandbox.auth import allowed
from eclictl.sandbox.router import HttpError, Raw, Request, js_number, route

OBJECT = Raw(200, "text/plain;charset=utf-8", b"[object Object]")
NOT_FOUND = "Channel not found"
NOT_AUTHORIZED = "Not authorized"


def ip_hash(ip: str) -> str:
    return hashlib.sha256(ip.encode()).hexdigest()[:16]


def poster_id(ip: str) -> str:
    digest = hashlib.sha256(ip.encode()).digest()
    chars = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(chars[b % len(chars)] for b in digest[:8])


def seed(state: Any, rng: Any) -> None:
    now = state.now()
    state.chat_channels = {}
    state.chat_members = []
    state.chat_messages = {}
    state.chat_ip_logs = {}
    state.chat_bans = {}
    plan = [("general", "General", "Talk about anything.", "community", 1, True),
            ("help-desk", "Help desk", "Ask the community.", "community", 3, True),
            ("anon-board", "Anonymous board", None, "public_anonymous", 1, True),
            ("staff-lounge", "Staff lounge", "Unlisted.", "community", 3, False),
            ("old-events", "Old events", None, "community", 1, True)]
    for i, (slug, name, desc, kind, creator, listed) in enumerate(plan, 1):
        stamp = state.iso(now - (50 - i) * 86400)
        state.chat_channels[i] = {"id": i, "slug": slug, "name": name, "description": desc, "type": kind,
                                  "createdById": creator, "isListed": listed, "isArchived": slug == "old-events",
                                  "isMature": False, "createdAt": stamp, "updatedAt": stamp}
        if kind == "community":
            state.chat_members.append({"channelId": i, "userId": creator, "role": "admin"})
    posts = [(1, None, 2, "198.51.100.7", "Hello everyone!"), (1, 1, 5, "198.51.100.8", "Welcome!"),
             (2, None, 2, "198.51.100.7", "How do I add a subdomain?"),
             (3, None, None, "203.0.113.45", "Buy cheap gold at spam.example"),
             (3, 4, None, "203.0.113.45", "Still selling gold"), (3, None, None, "192.0.2.9", "Anyone here?")]
    for mid, (channel, parent, user, ip, content) in enumerate(posts, 1):
        stamp = state.iso(now - (len(posts) - mid) * 1800 - 600)
        state.chat_messages[mid] = {
            "id": mid, "channelId": channel, "parentId": parent, "userId": user, "anonymousName": None,
            "posterId": poster_id(ip), "content": content, "displayName": None, "avatarUrl": None, "imageUrl": None,
            "isLocked": False, "isHidden": False, "hiddenById": None, "bumpedAt": stamp, "createdAt": stamp}
        state.chat_ip_logs[mid] = {"id": mid, "messageId": mid, "ipHash": ip_hash(ip), "channelId": channel,
                                   "createdAt": stamp}
    state.chat_bans[1] = {"id": 1, "ipHash": ip_hash("192.0.2.200"), "userId": None, "reason": "flooding",
                          "bannedById": 1, "expiresAt": state.iso(now - 3600), "createdAt": state.iso(now - 90000)}


def _mod(req: Request) -> None:
    if not allowed(req.principal, "S", "chat:manage", req.state):
        raise HttpError(403, NOT_AUTHORIZED)


def _channel(req: Request) -> dict[str, Any]:
    return req.row(req.state.chat_channels, NOT_FOUND)


def _counted(state: Any, channel: dict[str, Any]) -> dict[str, Any]:
    msgs = [m for m in state.chat_messages.values() if m["channelId"] == channel["id"]]
    return {**channel, "threadCount": sum(1 for m in msgs if m["parentId"] is None), "postCount": len(msgs)}


def _listing(state: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = sorted(rows, key=lambda c: (c["createdAt"], c["id"]), reverse=True)
    return [{**_counted(state, c), "isMember": True, "myRole": None} for c in rows]


@route("GET", "/api/chat/channels/all", auth=False)
def channels_all(req: Request) -> Any:
    rows = [c for c in req.state.chat_channels.values() if not c["isArchived"] and c["isListed"]]
    return _listing(req.state, rows)


@route("GET", "/api/chat/channels", auth=False)
def channels(req: Request) -> Any:
    kind = req.arg("type")
    rows = [c for c in req.state.chat_channels.values() if not c["isArchived"] and (not kind or c["type"] == kind)]
    return [{**row, "isMember": False, "myRole": None} for row in
            (_counted(req.state, c) for c in sorted(rows, key=lambda c: (c["createdAt"], c["id"]), reverse=True))]


@route("GET", "/api/chat/channels/:id", auth=False)
def channel(req: Request) -> Any:
    return {**_counted(req.state, _channel(req)), "isMember": False}


def _can_manage(req: Request, channel: dict[str, Any]) -> bool:
    uid = req.principal.user_id
    if channel["createdById"] == uid:
        return True
    if any(m["channelId"] == channel["id"] and m["userId"] == uid and m["role"] == "admin"
           for m in req.state.chat_members):
        return True
    return allowed(req.principal, "S", "chat:manage", req.state)


@route("PUT", "/api/chat/channels/:id")
def update_channel(req: Request) -> Any:
    channel = _channel(req)
    if not _can_manage(req, channel):
        raise HttpError(403, "Not authorized to manage this channel")
    body = req.json_object()
    name, slug = body.get("name"), body.get("slug")
    changes: dict[str, Any] = {}
    if isinstance(name, str) and name.strip():
        changes["name"] = name.strip()
    if isinstance(slug, str):
        s = re.sub(r"^-|-$", "", re.sub(r"[^a-z0-9-]+", "-", slug.lower()))[:64]
        if not s:
            raise HttpError(400, "Slug cannot be empty")
        clash = [c for c in req.state.chat_channels.values() if c["slug"] == s and c["id"] != channel["id"]]
        if any(not c["isArchived"] for c in clash):
            raise HttpError(400, "Slug already in use")
        if clash:
            raise RuntimeError("Duplicate entry for key 'slug'")  # the unique index counts archived rows: 500
        changes["slug"] = s
    if "description" in body:
        desc = body["description"]
        changes["description"] = (desc.strip() or None) if isinstance(desc, str) else None
    if "isMature" in body:
        changes["isMature"] = body["isMature"] is True
    channel.update(changes, updatedAt=req.state.iso())
    return OBJECT


@route("DELETE", "/api/chat/channels/:id")
def archive_channel(req: Request) -> Any:
    channel = _channel(req)
    if not _can_manage(req, channel):
        raise HttpError(403, "Not authorized to manage this channel")
    channel["isArchived"] = True
    return {"success": True}


def _message(req: Request) -> dict[str, Any]:
    return req.row(req.state.chat_messages, "Message not found", "messageId")


@route("DELETE", "/api/chat/channels/:id/messages/:messageId")
def delete_message(req: Request) -> Any:
    _mod(req)
    del req.state.chat_messages[_message(req)["id"]]  # replies stay; IP-log rows stay
    return {"success": True}


@route("POST", "/api/chat/channels/:id/messages/:messageId/hide")
def hide_message(req: Request) -> Any:
    _mod(req)
    _message(req).update(isHidden=True, hiddenById=req.principal.user_id)
    return {"success": True}


@route("POST", "/api/chat/channels/:id/messages/:messageId/unhide")
def unhide_message(req: Request) -> Any:
    _mod(req)
    _message(req).update(isHidden=False, hiddenById=None)
    return {"success": True}


@route("GET", "/api/admin/chat/ip-logs")
def ip_logs(req: Request) -> Any:
    _mod(req)
    raw = req.arg("messageId")
    wanted = js_number(raw) if raw else None
    rows = [r for r in req.state.chat_ip_logs.values() if not wanted or r["messageId"] == wanted]
    return sorted(rows, key=lambda r: (r["createdAt"], r["id"]), reverse=True)[:100]


@route("GET", "/api/chat/messages/lookup")
def lookup(req: Request) -> Any:
    _mod(req)
    ident, pid = req.arg("id"), req.arg("posterId")
    if ident:
        number = js_number(ident)
        msgs = [m for m in req.state.chat_messages.values() if number is not None and m["id"] == number]
    elif pid:
        msgs = sorted((m for m in req.state.chat_messages.values() if m["posterId"] == pid and m["parentId"] is None),
                      key=lambda m: m["createdAt"], reverse=True)[:50]
    else:
        raise HttpError(400, "Provide ?id= or ?posterId=")
    if not msgs:
        raise HttpError(404, "No messages found")
    out = []
    for m in msgs:
        log = next((r for r in req.state.chat_ip_logs.values() if r["messageId"] == m["id"]), None)
        out.append({"id": m["id"], "formattedId": str(m["id"]).zfill(9), "channelId": m["channelId"],
                    "posterId": m["posterId"], "userId": m["userId"], "content": m["content"][:200],
                    "createdAt": m["createdAt"], "ipHash": log["ipHash"] if log else None})
    return out


@route("GET", "/api/chat/ip-bans")
def bans(req: Request) -> Any:
    _mod(req)
    return sorted(req.state.chat_bans.values(), key=lambda b: (b["createdAt"], b["id"]), reverse=True)[:100]


@route("POST", "/api/chat/ip-bans")
def add_ban(req: Request) -> Any:
    _mod(req)
    body = req.json(default={}) or {}
    if not body.get("ipHash") and not body.get("userId"):
        raise HttpError(400, "Provide ipHash or userId")
    hours = js_number(str(body["hours"])) if body.get("hours") else None
    ban_id = req.state.next_id("chat_bans")
    req.state.chat_bans[ban_id] = {
        "id": ban_id, "ipHash": body.get("ipHash") or "", "userId": body.get("userId") or None,
        "reason": body.get("reason") or None, "bannedById": req.principal.user_id,
        "expiresAt": req.state.iso(req.state.now() + hours * 3600) if hours else None, "createdAt": req.state.iso()}
    return OBJECT


@route("POST", "/api/chat/ip-bans/:id/unban")
def unban(req: Request) -> Any:
    _mod(req)
    if req.state.chat_bans.pop(req.param_int("id"), None) is None:
        raise HttpError(404, "Ban not found")
    return {"success": True}


@route("POST", "/api/chat/messages/mass-delete")
def mass_delete(req: Request) -> Any:
    _mod(req)
    body = req.json(default={}) or {}
    pid, user, ip, hours = body.get("posterId"), body.get("userId"), body.get("ipHash"), body.get("hours")
    since = req.state.iso(req.state.now() - (js_number(str(hours or 24)) or 24) * 3600)
    if not pid and not user:
        raise HttpError(400, "Provide posterId or userId")
    state = req.state
    if ip:  # the IP hash replaces the poster/user filter entirely
        ids = {r["messageId"] for r in state.chat_ip_logs.values() if r["ipHash"] == ip and r["createdAt"] > since}
    else:
        ids = {m["id"] for m in state.chat_messages.values() if m["createdAt"] > since
               and (not pid or m["posterId"] == pid) and (not user or m["userId"] == user)}
    gone = [i for i in ids if state.chat_messages.pop(i, None) is not None]
    return {"deleted": len(gone)}
