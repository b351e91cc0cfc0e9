"""Sandbox: tunnel devices and allocations (docs/panel/integrations.md#tunnels). Feature `tunnels`.

"Admin" here is the user role (`*`, `admin`, `rootAdmin`), not a permission; listing devices and
every allocation route also need the caller inside the `tunnel_feature` rollout (admins too).
Allocation lists show only the caller's own devices' allocations, even for admins.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import Any

from eclictl.sandbox.router import HttpError, Request, found, route
from eclictl.sandbox.state import iso, now, parse_iso

ADMIN_ROLES = {"*", "admin", "rootAdmin"}
ROLLOUT_KEY = "tunnel_feature"
CLIENT_TTL, SERVER_TTL = 86400, 365 * 86400


def _user(req: Request) -> dict[str, Any]:
    return getattr(req.principal, "user", None) or {}


def _is_admin_role(req: Request) -> bool:
    return _user(req).get("role") in ADMIN_ROLES


def _is_admin_key(req: Request) -> bool:
    p = req.principal
    key = getattr(p, "key", None)
    kind = getattr(p, "key_type", None) or getattr(p, "kind", None)
    if isinstance(key, dict):
        kind = key.get("type", kind)
    return kind == "admin"


def _rollout(state: Any) -> dict[str, Any] | None:
    table = getattr(state, "rollouts", None)
    rows = table.values() if isinstance(table, dict) else (table or [])
    return next((r for r in rows if isinstance(r, dict) and r.get("key") == ROLLOUT_KEY), None)


def _in_rollout(state: Any, user_id: Any) -> bool:
    rollout = _rollout(state)
    if rollout is None or not rollout.get("active", True):
        return False
    overrides = list(rollout.get("overrides") or [])
    extra = getattr(state, "rollout_overrides", None)
    if isinstance(extra, dict):
        overrides += [o for o in extra.values() if isinstance(o, dict) and o.get("rolloutId") == rollout.get("id")]
    if any(o.get("userId") == user_id for o in overrides if isinstance(o, dict)):
        return True
    from eclictl.sandbox.routes.rollouts import bucket as rollout_bucket

    bucket = rollout_bucket(ROLLOUT_KEY, user_id)  # murmur3_x86_32("<key>:<userId>") mod 10000, as the panel
    return int(rollout.get("hashRangeStart", 0)) <= bucket <= int(rollout.get("hashRangeEnd", 9999))


def _require_rollout(req: Request) -> None:
    if not _in_rollout(req.state, _user(req).get("id")):
        raise HttpError(403, "Tunnels feature is not yet available to you")


def _code(seed: str, n: int = 8) -> str:
    h = hashlib.sha256(seed.encode()).hexdigest().upper()
    return f"{h[:4]}-{h[4:n]}"


def seed(state: Any, rng: Any) -> None:
    table = getattr(state, "rollouts", None)
    if table is None:
        table = state.rollouts = {}
    if _rollout(state) is None and isinstance(table, dict):
        rid = max((k for k in table if isinstance(k, int)), default=0) + 1
        stamp = iso(now(state))
        table[rid] = {"id": rid, "name": "Tunnels", "description": "Tunnel agents and port forwarding",
                      "key": ROLLOUT_KEY, "active": True, "hashRangeStart": 0, "hashRangeEnd": 9999,
                      "treatment": "treatment", "overrides": [], "overrideCount": 0, "createdAt": stamp,
                      "updatedAt": stamp}
    ids = sorted(state.users) or [1]
    base = now(state)
    state.tunnel_devices, state.tunnel_allocations = {}, {}
    plan = [("edge-fra-1", "server", ids[0], True, True), ("edge-nyc-1", "server", ids[0], True, False),
            ("laptop", "client", ids[0], True, True), ("build-box", "client", ids[0], True, False),
            ("home-nas", "client", ids[min(3, len(ids) - 1)], True, True),
            ("agent", "client", ids[min(5, len(ids) - 1)], False, False),
            ("raspberry", "client", ids[min(8, len(ids) - 1)], True, False)]
    for i, (name, kind, owner, approved, online) in enumerate(plan, start=1):
        created = base - timedelta(days=30 - i * 3)
        state.tunnel_devices[i] = {
            "id": i, "device_code": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "user_code": _code(f"{name}{i}"), "name": name, "kind": kind,
            "serverType": "free_and_paid" if kind == "server" else None, "organisation": "Acme Hosting Ltd"
            if i == 5 else None, "approved": approved, "online": online,
            "lastSeenAt": iso(base - timedelta(minutes=i * 7)) if approved else None, "createdAt": iso(created),
            # internal columns (not in responses)
            "ownerUserId": owner, "fqdn": f"{name}.tunnel.eclipanel.test" if kind == "server" else None,
            "expiresAt": None if approved else iso(base + timedelta(minutes=10)), "tokenVersion": 1,
        }
    devices = state.tunnel_devices
    for n, (client, server, port, status) in enumerate([(3, 1, 25565, "active"), (3, 1, 8080, "active"),
                                                         (4, 2, 3000, "pending"), (3, 2, 22, "closed"),
                                                         (5, 1, 445, "active")], start=1):
        stamp = iso(base - timedelta(hours=n * 5))
        state.tunnel_allocations[n] = {
            "id": n, "host": devices[server]["fqdn"], "port": 40000 + n, "protocol": "tcp", "status": status,
            "localHost": "127.0.0.1", "localPort": port, "clientDevice": devices[client]["device_code"],
            "serverDevice": devices[server]["device_code"], "serverOnline": devices[server]["online"],
            "createdAt": stamp, "updatedAt": stamp}


PUBLIC_DEVICE = ("id", "device_code", "user_code", "name", "kind", "serverType", "organisation", "approved",
                 "online", "lastSeenAt", "createdAt")


def _public(device: dict[str, Any]) -> dict[str, Any]:
    return {k: device.get(k) for k in PUBLIC_DEVICE}


def _purge_expired(state: Any) -> None:
    current = now(state)
    for ident, dev in list(state.tunnel_devices.items()):
        expires = parse_iso(dev.get("expiresAt"))
        if not dev.get("approved") and expires is not None and expires < current:
            del state.tunnel_devices[ident]


@route("GET", "/api/tunnel/devices")
def list_devices(req: Request) -> Any:
    _require_rollout(req)
    _purge_expired(req.state)
    rows = list(req.state.tunnel_devices.values())
    if not _is_admin_role(req):
        me = _user(req).get("id")
        rows = [d for d in rows if d.get("kind") == "client" and d.get("ownerUserId") == me]
    return {"devices": [_public(d) for d in sorted(rows, key=lambda d: d["id"])]}


def _token(device: dict[str, Any]) -> str:
    return "tnl_" + hashlib.sha256(f"{device['device_code']}:{device['tokenVersion']}".encode()).hexdigest()[:40]


@route("POST", "/api/tunnel/devices")
def create_device(req: Request) -> Any:
    body = req.json_object()
    kind = body.get("kind") if body.get("kind") in ("client", "server") else "client"
    owner = body.get("owner_user_id", body.get("ownerUserId"))
    if (kind == "server" or owner is not None) and not _is_admin_role(req):
        raise HttpError(403, "forbidden")
    if owner is not None and req.state.users.get(owner) is None:
        raise HttpError(404, "owner_user_not_found")
    table = req.state.tunnel_devices
    ident = max(table, default=0) + 1
    code = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-device-{ident}-{len(table)}"))
    device = {"id": ident, "device_code": code, "user_code": _code(code), "name": body.get("name") or "agent",
              "kind": kind, "serverType": "free_and_paid" if kind == "server" else None, "organisation": None,
              "approved": True, "online": False, "lastSeenAt": None, "createdAt": iso(now(req.state)),
              "ownerUserId": owner if owner is not None else _user(req).get("id"),
              "fqdn": body.get("fqdn") if kind == "server" else None, "expiresAt": None, "tokenVersion": 1}
    table[ident] = device
    return {"device_code": code, "user_code": device["user_code"], "name": device["name"], "kind": kind,
            "fqdn": device["fqdn"], "access_token": _token(device), "token_type": "bearer", "expires_in": CLIENT_TTL
            if kind == "client" else SERVER_TTL}


@route("POST", "/api/tunnel/device/approve")
def approve_device(req: Request) -> Any:
    body = req.json_object()
    user_code = body.get("user_code") or body.get("userCode") or req.arg("user_code") or req.arg("userCode")
    device_code = body.get("device_code") or body.get("deviceCode") or req.arg("device_code") or req.arg("deviceCode")
    if not user_code and not device_code:
        raise HttpError(400, "missing_identifier")
    device = next((d for d in req.state.tunnel_devices.values()
                   if (user_code and d["user_code"] == user_code) or (device_code and d["device_code"] == device_code)),
                  None)
    if device is None:
        raise HttpError(404, "not_found")
    expires = parse_iso(device.get("expiresAt"))
    if not device.get("approved") and expires is not None and expires < now(req.state):
        raise HttpError(410, "enrollment_expired")
    if device.get("approved"):
        raise HttpError(409, "already_approved")
    kind = body.get("kind") or body.get("deviceKind") or device.get("kind")
    if kind == "server" and not _is_admin_role(req):
        raise HttpError(403, "forbidden")
    name = body.get("name") or body.get("deviceName")
    device.update(approved=True, kind=kind, expiresAt=None, name=name or device["name"],
                  serverType=body.get("server_type") or body.get("serverType") or device.get("serverType"),
                  ownerUserId=body.get("owner_user_id") or device.get("ownerUserId") or _user(req).get("id"))
    return {"ok": True}


def _by_path_id(req: Request, rows: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """The row `:id` names: the handler's own 400 `invalid_id` for NaN, 404 `not_found` for no row."""
    ident = req.param_checked("id")
    if ident is None:
        raise HttpError(400, "invalid_id")
    return found(rows, ident, "not_found")


@route("POST", "/api/tunnel/devices/:id/delete")
def delete_device(req: Request) -> Any:
    device = _by_path_id(req, req.state.tunnel_devices)
    if not (_is_admin_key(req) or _is_admin_role(req) or device.get("ownerUserId") == _user(req).get("id")):
        raise HttpError(403, "forbidden")
    code = device["device_code"]
    del req.state.tunnel_devices[device["id"]]
    for ident, alloc in list(req.state.tunnel_allocations.items()):
        if code in (alloc.get("clientDevice"), alloc.get("serverDevice")):
            del req.state.tunnel_allocations[ident]
    return {"ok": True}


@route("POST", "/api/tunnel/devices/:id/regenerate-token")
def regenerate_token(req: Request) -> Any:
    device = _by_path_id(req, req.state.tunnel_devices)
    if not (_is_admin_key(req) or _is_admin_role(req)):
        raise HttpError(403, "forbidden")
    if not device.get("approved"):
        raise HttpError(400, "not_approved")
    device["tokenVersion"] = int(device.get("tokenVersion", 1)) + 1
    return {"access_token": _token(device), "token_type": "bearer",
            "expires_in": CLIENT_TTL if device.get("kind") == "client" else SERVER_TTL}


def _own_codes(req: Request) -> set[str]:
    me = _user(req).get("id")
    return {d["device_code"] for d in req.state.tunnel_devices.values() if d.get("ownerUserId") == me}


def _allocation_or_error(req: Request) -> dict[str, Any]:
    _require_rollout(req)
    alloc = _by_path_id(req, req.state.tunnel_allocations)
    mine = _own_codes(req) & {alloc.get("clientDevice"), alloc.get("serverDevice")}
    if not (mine or _is_admin_role(req)):
        raise HttpError(403, "forbidden")
    return alloc


@route("GET", "/api/tunnel/allocations")
def list_allocations(req: Request) -> Any:
    _require_rollout(req)
    codes = _own_codes(req)
    rows = [a for a in req.state.tunnel_allocations.values() if a.get("clientDevice") in codes]
    return {"allocations": [dict(a) for a in sorted(rows, key=lambda a: a["id"])]}


@route("POST", "/api/tunnel/allocations/:id/close")
def close_allocation(req: Request) -> Any:
    alloc = _allocation_or_error(req)
    if alloc.get("status") == "closed":
        raise HttpError(409, "already_closed")
    alloc.update(status="closed", updatedAt=iso(now(req.state)))
    return {"ok": True}


@route("POST", "/api/tunnel/allocations/:id/edit")
def edit_allocation(req: Request) -> Any:
    alloc = _allocation_or_error(req)
    body = req.json_object()
    port = body.get("local_port", body.get("localPort"))
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise HttpError(400, "invalid_local_port")
    alloc.update(localPort=port, updatedAt=iso(now(req.state)))
    return {"allocation": dict(alloc)}


@route("POST", "/api/tunnel/allocations/:id/delete")
def delete_allocation(req: Request) -> Any:
    alloc = _allocation_or_error(req)
    del req.state.tunnel_allocations[alloc["id"]]
    return {"ok": True}
