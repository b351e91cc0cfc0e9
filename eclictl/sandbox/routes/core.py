"""Sandbox core routes: health, the caller's own user, login sessions, API keys, RBAC roles.

Sources: docs/panel/auth.md (credentials, API keys), docs/panel/roles.md#routes and
docs/panel/conventions.md. The quirks are reproduced on purpose (bare-entity
`[object Object]`, 500s from DB constraints, ids ignored in paths, secrets in embedded users)
because the CLI has to cope with them.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime
from typing import Any

from eclictl.sandbox.auth import ROOT_ROLES, SUSPENDED, Principal, allowed, check_gate, holds, role_permissions
from eclictl.sandbox.catalogue import entries
from eclictl.sandbox.js import UNDEFINED, NotANumber, lookup_id
from eclictl.sandbox.router import HttpError, Raw, Request, found, route
from eclictl.sandbox.state import SANDBOX_TOTP, check_password

HOUR, DAY = 3600.0, 86400.0
LOGIN_IP_LIMIT, LOGIN_EMAIL_LIMIT = (20, 60.0), (10, 600.0)
TWOFA_LIMIT = (10, 60.0)
KEY_IP_LIMIT, KEY_USER_LIMIT = (10, HOUR), (5, DAY)

#: The /api/users/me response schema (docs/panel/users.md#show-one-user), in order; `?` = dropped when null.
ME_FIELDS = ("id", "email", "firstName", "middleName?", "lastName", "title?", "gender?", "displayName?", "address",
             "address2?", "phone?", "billingCompany?", "billingCity?", "billingState?", "billingZip?",
             "billingCountry?", "fraudFlag", "fraudReason?", "fraudDetectedAt?", "role?", "orgRole?", "portalType",
             "nodeId?", "limits?", "settings?", "dateOfBirth?", "ageVerificationRequired", "emailVerified",
             "studentVerified", "studentVerifiedAt?", "educationLimits?", "idVerified", "twoFactorEnabled",
             "suspended", "inactive", "deletionRequested", "deletionApproved", "avatarUrl?")


# -- helpers -------------------------------------------------------------------------------------
def _ip(req: Request) -> str:
    h = req.headers
    return h.get("cf-connecting-ipv6") or h.get("cf-connecting-ip") or h.get("x-sandbox-client") or "127.0.0.1"


def _hits(req: Request, bucket: str, who: str, limit: tuple[int, float]) -> int | None:
    """Sliding-window limiter on the sandbox clock; returns retryAfter seconds when over."""
    table: dict[tuple[str, str], list[float]] = req.state.__dict__.setdefault("route_limits", {})
    now = req.state.now()
    times = [t for t in table.get((bucket, who), []) if now - t < limit[1]]
    table[(bucket, who)] = times
    if len(times) >= limit[0]:
        return max(1, int(limit[1] - (now - times[0])) + 1)
    times.append(now)
    return None


def me_view(row: dict[str, Any]) -> dict[str, Any]:
    """The response-schema-stripped user: declared fields only, optional nulls dropped."""
    out: dict[str, Any] = {}
    for spec in ME_FIELDS:
        name = spec.rstrip("?")
        value = row.get(name, False if name == "ageVerificationRequired" else None)
        if name == "dateOfBirth" and isinstance(value, str):
            value = value[:10]
        if value is None:
            continue
        out[name] = value
    return out


#: GET /api/auth/session builds its user by hand from these fields (authHandler.ts, the session route);
#: falsy optional text becomes null there.
_SESSION_TEXT = ("middleName", "title", "gender", "displayName", "address", "address2", "phone", "billingCompany",
                 "billingCity", "billingState", "billingZip", "billingCountry", "countryOverride")


def _orgs_of(state: Any, uid: int) -> list[dict[str, Any]]:
    members = getattr(state, "org_members", None) or {}
    out = []
    for org in (getattr(state, "organisations", None) or {}).values():
        role = "owner" if org.get("ownerId") == uid else next(
            (m.get("orgRole") for m in members.values() if m.get("orgId") == org.get("id") and m.get("userId") == uid),
            None)
        if role:
            out.append({**{k: org.get(k) for k in ("id", "name", "handle", "portalTier", "avatarUrl")},
                        "orgRole": role})
    return out


def session_user(state: Any, principal: Principal) -> dict[str, Any]:
    """The session route's user: an explicit field list, never the raw row (no fraud or deletion fields)."""
    from eclictl.sandbox.routes.settings import geo_rules, user_level

    user, uid = principal.user, principal.user_id
    orgs = _orgs_of(state, uid)
    primary = orgs[0] if orgs else None
    level = user_level(geo_rules(state), user.get("billingCountry"))
    out: dict[str, Any] = {"id": uid, "email": user.get("email"), "firstName": user.get("firstName")}
    out["middleName"] = user.get("middleName") or None
    out["lastName"] = user.get("lastName")
    out.update({name: user.get(name) or None for name in _SESSION_TEXT[1:]})
    out.update({
        "tier": user.get("portalType"), "role": user.get("role"),
        "emailVerified": bool(user.get("emailVerified", False)),
        "passkeyCount": len([p for p in (getattr(state, "passkeys", None) or {}).values()
                             if isinstance(p, dict) and p.get("userId") == uid]),
        "studentVerified": bool(user.get("studentVerified")), "studentVerifiedAt": user.get("studentVerifiedAt"),
        "termsConsentVersion": user.get("termsConsentVersion") or None,
        "twoFactorEnabled": bool(user.get("twoFactorEnabled")), "avatarUrl": user.get("avatarUrl") or None,
        "supportBanned": bool(user.get("supportBanned")), "supportBanReason": user.get("supportBanReason") or None,
        "dateOfBirth": (user.get("dateOfBirth") or None) and str(user["dateOfBirth"])[:10],
        "parentId": user.get("parentId"),
        "org": {k: v for k, v in primary.items() if k != "orgRole"} if primary else None,
        "orgs": orgs, "orgRole": primary["orgRole"] if primary else "member",
        "limits": user.get("limits") or user.get("educationLimits") or None, "nodeId": user.get("nodeId") or None,
        "settings": user.get("settings") or None,
        "permissions": role_permissions(state, uid) if principal.via == "jwt" else [],
        "usesLegacyPasswordHash": False, "geoBlockLevel": level, "idVerificationAllowed": level < 1,
        "kycRequired": False, "kycVerified": True, "guideShown": user.get("guideShown") is True,
        "serverSunsetNoticeSentAt": user.get("serverSunsetNoticeSentAt"),
    })
    if principal.via == "jwt":
        out["sessionId"] = (principal.session or {}).get("sessionId")
    return out


def _jwt_like(state: Any, user_id: int, session_id: str, exp: float) -> str:
    """JWT-shaped (so clients can read `exp`) but opaque to the sandbox, which looks it up."""
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    head = part({"alg": "HS256", "typ": "JWT"})
    body = part({"userId": user_id, "sessionId": session_id, "iat": int(state.now()), "exp": int(exp)})
    return f"{head}.{body}.{secrets.token_urlsafe(32)}"


def start_session(state: Any, user: dict[str, Any]) -> dict[str, Any]:
    session_id = secrets.token_hex(16)
    expires = state.now() + state.token_ttl
    token = _jwt_like(state, user["id"], session_id, expires)
    csrf = secrets.token_hex(32)
    state.sessions[token] = {"userId": user["id"], "sessionId": session_id, "expires": expires, "csrf": csrf}
    user["sessions"] = [*(user.get("sessions") or []), session_id]
    user["lastLoginAt"] = user["lastPanelActivityAt"] = state.iso()
    # The handler builds a `user` object too, but the route's response schema ({token, csrfToken,
    # twoFactorRequired, tempToken}) drops it: the real answer has no user (authHandler.ts).
    return {"token": token, "csrfToken": csrf}


# -- health, me, auth ----------------------------------------------------------------------------
@route("GET", "/health", auth=False)
def health(req: Request) -> Any:
    return {"status": "ok"}


@route("GET", "/api/users/me")
def users_me(req: Request) -> Any:
    return me_view(req.principal.user)


@route("GET", "/api/auth/session")
def auth_session(req: Request) -> Any:
    return {"user": session_user(req.state, req.principal)}


@route("POST", "/api/auth/login", auth=False)
def login(req: Request) -> Any:
    body = req.json({})
    if not isinstance(body, dict) or not isinstance(body.get("email"), str) \
            or not isinstance(body.get("password"), str):
        raise HttpError(422, "Request error")  # the enforced body schema
    state, email = req.state, body["email"].strip().lower()
    for bucket, who, limit in (("login-ip", _ip(req), LOGIN_IP_LIMIT), ("login-email", email, LOGIN_EMAIL_LIMIT)):
        wait = _hits(req, bucket, who, limit)
        if wait:
            err = HttpError(429, "Too many login attempts. Please try again later.", retryAfter=wait)
            err.headers["retry-after"] = str(wait)
            raise err
    user = state.user_by_email(email)
    if user is None or not check_password(user, body["password"]):
        raise HttpError(401, "Invalid credentials")  # auth.invalidCredentials (authHandler.ts)
    if user.get("suspended") and user.get("role") not in ROOT_ROLES:
        raise HttpError(403, SUSPENDED)
    if user.get("twoFactorEnabled"):
        temp = secrets.token_urlsafe(32)
        state.pending_2fa[temp] = {"userId": user["id"], "expires": state.now() + 300}
        return {"twoFactorRequired": True, "tempToken": temp}
    return start_session(state, user)


@route("POST", "/api/auth/2fa/verify-login", auth=False)
def verify_login(req: Request) -> Any:
    body = req.json({}) or {}
    if not isinstance(body, dict) or not isinstance(body.get("tempToken"), str) or any(
            k in body and not isinstance(body[k], str) for k in ("token", "backupCode", "emailCode")):
        raise HttpError(422, "Request error")  # the enforced body schema: tempToken required
    wait = _hits(req, "2fa-ip", _ip(req), TWOFA_LIMIT)
    if wait:
        err = HttpError(429, "rate_limited", retryAfter=wait)
        err.headers["retry-after"] = str(wait)
        raise err
    state = req.state
    pending = state.pending_2fa.get(str(body.get("tempToken") or ""))
    if pending is None or pending["expires"] <= state.now():
        raise HttpError(401, "Invalid or expired temporary token")
    user = state.users.get(pending["userId"])
    if user is None:
        raise HttpError(401, "User not found")
    codes = user.get("twoFactorRecoveryCodes") or []
    if str(body.get("token") or "") == SANDBOX_TOTP or str(body.get("emailCode") or "") == SANDBOX_TOTP:
        pass
    elif body.get("backupCode") in codes:
        user["twoFactorRecoveryCodes"] = [c for c in codes if c != body["backupCode"]]
    else:
        raise HttpError(401, "Invalid 2FA code")
    del state.pending_2fa[body["tempToken"]]
    return start_session(state, user)


@route("POST", "/api/auth/logout")
def logout(req: Request) -> Any:
    session = req.principal.session
    if session is not None:
        user = req.principal.user
        user["sessions"] = [s for s in user.get("sessions") or [] if s != session["sessionId"]]
        for token, row in list(req.state.sessions.items()):
            if row is session:
                del req.state.sessions[token]
    return {"success": True}


@route("GET", "/api/auth/csrf-token")
def csrf_token(req: Request) -> Any:
    session = req.principal.session
    if session is None:
        raise HttpError(401, "Unauthorized")  # an API key has no session id (authHandler.ts)
    return {"csrfToken": session["csrf"]}


# -- API keys (docs/panel/auth.md#api-keys) ------------------------------------------------------
def key_view(state: Any, row: dict[str, Any], with_key: bool = False) -> dict[str, Any]:
    """The key with its full owner row embedded, secrets and all, as the panel sends it."""
    out: dict[str, Any] = {"id": row["id"]}
    if with_key:
        out["key"] = row["key"]
    out.update({"name": row["name"], "type": row["type"], "permissions": row.get("permissions"),
                "createdAt": row["createdAt"], "expiresAt": row.get("expiresAt")})
    owner = state.users.get(row.get("userId"))
    out["user"] = dict(owner) if owner else None
    return out


@route("GET", "/api/apikeys", gates=(("A", "apikeys:read"),))
def apikeys_list(req: Request) -> Any:
    return [key_view(req.state, row) for _, row in sorted(req.state.apikeys.items())]


@route("GET", "/api/apikeys/my")
def apikeys_my(req: Request) -> Any:
    p: Principal = req.principal
    if p.key is not None:
        return [key_view(req.state, p.key)]
    return [key_view(req.state, r) for _, r in sorted(req.state.apikeys.items()) if r.get("userId") == p.user_id]


@route("GET", "/api/apikeys/:id")
def apikeys_get(req: Request) -> Any:
    row = req.row(req.state.apikeys, "not found")
    p: Principal = req.principal
    if not (p.key_type == "admin" or (p.key is not None and p.key["id"] == row["id"])
            or allowed(p, "S", "apikeys:read") or row.get("userId") == p.user_id):
        raise HttpError(403, "Forbidden")
    return key_view(req.state, row)


def _expiry(state: Any, value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return state.iso(datetime.fromisoformat(value.strip().replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


@route("POST", "/api/apikeys", gates=(("A", "apikeys:create"),))
def apikeys_create(req: Request) -> Any:
    state, p = req.state, req.principal
    body = req.json({}) or {}
    if not isinstance(body, dict) or not body.get("name") or body.get("type") not in ("client", "admin"):
        raise HttpError(400, "name and valid type required")
    owner = p.user
    if "userId" in body and body["userId"] is not None and body["userId"] != p.user_id:
        if not allowed(p, "H", "users:write"):
            raise HttpError(403, "Not allowed to create keys for other users")
        owner = state.users.get(body["userId"]) if isinstance(body["userId"], int) else None
        if owner is None:
            raise HttpError(404, "User not found")
    if body["type"] == "admin" and not (p.is_root or (p.via == "jwt" and "*" in p.permissions)):
        raise HttpError(403, "Only system administrators with * permission can create admin API keys")
    if p.user.get("role") != "*":
        for bucket, who, limit in (("key-ip", _ip(req), KEY_IP_LIMIT), ("key-user", str(p.user_id), KEY_USER_LIMIT)):
            wait = _hits(req, bucket, who, limit)
            if wait:
                err = HttpError(429, "rate_limited", retryAfter=wait)
                err.headers["retry-after"] = str(wait)
                raise err
    wanted = body.get("permissions") if isinstance(body.get("permissions"), list) else []
    kept = [w for w in wanted if isinstance(w, str) and allowed(p, "S", w)]  # silently dropped otherwise
    kid = state.next_id("apikeys")
    row = {"id": kid, "key": secrets.token_hex(32), "name": str(body["name"]), "type": body["type"],
           "permissions": kept, "userId": owner["id"], "createdAt": state.iso(),
           "expiresAt": _expiry(state, body.get("expiresAt"))}
    state.apikeys[kid] = row
    return {"success": True, "apiKey": row["key"], "id": kid, "entry": key_view(state, row, with_key=True)}


@route("DELETE", "/api/apikeys/:id")
def apikeys_delete(req: Request) -> Any:
    row = req.state.apikeys.get(req.param_int("id"))
    if row is None or row.get("userId") != req.principal.user_id:
        check_gate(req.principal, "A", "apikeys:delete", req.state)  # owners skip the permission
    if row is not None:
        del req.state.apikeys[row["id"]]
    return {"success": True}


# -- roles (docs/panel/roles.md#routes) ----------------------------------------------------------
def role_brief(role: dict[str, Any]) -> dict[str, Any]:
    return {"id": role["id"], "name": role["name"], "description": role.get("description"),
            "parentRoleId": role.get("parentRoleId")}


def perm_rows(state: Any, role_id: int) -> list[dict[str, Any]]:
    return [{"id": p["id"], "value": p["value"]} for _, p in sorted(state.permissions.items())
            if p["roleId"] == role_id]


def role_view(state: Any, role: dict[str, Any], parent: bool = True) -> dict[str, Any]:
    out = {**role_brief(role), "permissions": perm_rows(state, role["id"])}
    if parent:
        up = state.roles.get(role.get("parentRoleId"))
        out["parentRole"] = role_view(state, up, parent=False) if up else None
    return out


def _role(req: Request) -> dict[str, Any]:
    return req.row(req.state.roles, "Role not found")


@route("GET", "/api/roles", gates=(("A", "roles:read"),))
def roles_list(req: Request) -> Any:
    return [role_view(req.state, r) for _, r in sorted(req.state.roles.items())]


@route("GET", "/api/roles/:id", gates=(("A", "roles:read"),))
def roles_get(req: Request) -> Any:
    _role(req)
    return Raw(200, "text/plain;charset=utf-8", b"[object Object]")  # the bare-entity bug (docs/panel/conventions.md#bare-entities-answer-object-object)


@route("GET", "/api/roles/:id/permissions", gates=(("A", "roles:read"),))
def roles_permissions(req: Request) -> Any:
    return perm_rows(req.state, _role(req)["id"])


@route("POST", "/api/roles", gates=(("A", "roles:create"),))
def roles_create(req: Request) -> Any:
    state = req.state
    body = req.json({}) or {}
    if not isinstance(body, dict):
        raise HttpError(500, "Internal server error")
    name, parent_id = body.get("name"), body.get("parentRoleId")
    if not isinstance(name, (str, int, float)) or isinstance(name, bool) or str(name) == "" \
            or state.role_by_name(str(name)) is not None:
        raise HttpError(500, "Internal server error")  # NOT NULL / UNIQUE constraint
    if parent_id is not None and parent_id not in state.roles:
        raise HttpError(500, "Internal server error")  # foreign key
    rid = state.next_id("roles")
    description = body.get("description")
    state.roles[rid] = {"id": rid, "name": str(name), "description": description if description is not None else None,
                        "parentRoleId": parent_id}
    return {"success": True, "role": role_view(state, state.roles[rid])}


@route("DELETE", "/api/roles/:id", gates=(("A", "roles:delete"),))
def roles_delete(req: Request) -> Any:
    state, role = req.state, _role(req)
    rid = role["id"]
    if any(p["roleId"] == rid for p in state.permissions.values()) \
            or any(u.get("roleId") == rid for u in state.user_roles.values()) \
            or any(r.get("parentRoleId") == rid for r in state.roles.values()):
        raise HttpError(500, "Internal server error")  # no cascade declared
    del state.roles[rid]
    return {"success": True}


@route("POST", "/api/roles/:id/permissions", gates=(("A", "permissions:assign"),))
def roles_add_permission(req: Request) -> Any:
    state, role = req.state, _role(req)
    value = req.json_object().get("value")
    if value is None or isinstance(value, (dict, list)):
        raise HttpError(500, "Internal server error")  # NOT NULL
    pid = state.next_id("permissions")
    state.permissions[pid] = {"id": pid, "value": str(value), "roleId": role["id"]}
    return {"success": True, "perm": {"value": str(value), "role": role_brief(role), "id": pid}}


@route("DELETE", "/api/roles/:id/permissions/:permId", gates=(("A", "permissions:assign"),))
def roles_remove_permission(req: Request) -> Any:
    req.remove(req.state.permissions, "Permission not found", "permId")  # :id is ignored, like the panel
    return {"success": True}


@route("GET", "/api/permissions", gates=(("A", "roles:read"),))
def permissions_catalogue(req: Request) -> Any:
    return entries()


@route("POST", "/api/users/:id/roles", gates=(("A", "roles:assign"),))
def user_roles_add(req: Request) -> Any:
    state = req.state
    user = req.row(state.users, "User not found")
    try:  # findOneBy({ id: Number(roleId) }): a missing roleId is NaN, a database error
        role_id = lookup_id(req.json_object().get("roleId", UNDEFINED))
    except NotANumber:
        raise HttpError(500, "Internal server error") from None
    role = found(state.roles, role_id, "Role not found")
    urid = state.next_id("user_roles")
    state.user_roles[urid] = {"id": urid, "userId": user["id"], "roleId": role["id"]}  # duplicates allowed
    return {"success": True, "ur": {"id": urid, "user": dict(user), "role": role_brief(role)}}


@route("GET", "/api/users/:id/roles", gates=(("A", "roles:read"),))
def user_roles_list(req: Request) -> Any:
    state, uid = req.state, req.param_int("id")
    return [{"id": link["id"], "role": role_brief(state.roles[link["roleId"]])}
            for _, link in sorted(state.user_roles.items())
            if link.get("userId") == uid and link.get("roleId") in state.roles]


@route("DELETE", "/api/users/:id/roles/:urId", gates=(("A", "roles:assign"),))
def user_roles_remove(req: Request) -> Any:
    req.remove(req.state.user_roles, "Not found", "urId")  # :id is ignored, like the panel
    return {"success": True}


__all__ = ["me_view", "key_view", "role_view", "role_brief", "start_session", "holds"]
