"""Authentication and the four permission-check kinds of the panel (docs/panel/auth.md#credentials, docs/panel/auth.md#gates).

The messages and status codes are the panel's own, because the CLI maps them to exit codes and
prints them verbatim; route modules call `require(req, kind, perm)` for in-handler checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eclictl.sandbox.router import HttpError, Request

ROOT_ROLES = ("*", "rootAdmin")
SUSPENDED = "Account is suspended. Please contact support."
FROZEN = "Account is pending deletion and currently frozen"
KYC_EXEMPT = ("/api/auth/", "/api/id-verification", "/api/sessions/", "/api/users/me")


@dataclass
class Principal:
    """Who is calling: the owner row, the key row (None for a login token), and role permissions."""

    user: dict[str, Any]
    key: dict[str, Any] | None = None
    via: str = "jwt"  # "apikey" | "jwt"
    permissions: list[str] = field(default_factory=list)
    session: dict[str, Any] | None = None

    @property
    def is_root(self) -> bool:
        return self.user.get("role") in ROOT_ROLES

    @property
    def key_type(self) -> str | None:
        return self.key.get("type") if self.key else None

    @property
    def user_id(self) -> int:
        return int(self.user["id"])


def matches(granted: str, required: str) -> bool:
    """docs/panel/auth.md#permission-matching: `*`, exact, `*` segment = rest, and a shorter granted prefix covers longer ones."""
    if granted == "*" or granted == required:
        return True
    want = required.split(":")
    for i, seg in enumerate(granted.split(":")):
        if seg == "*":
            return True
        if i >= len(want) or seg != want[i]:
            return False
    return True


def holds(granted: list[str] | None, required: str) -> bool:
    return any(isinstance(g, str) and matches(g, required) for g in granted or [])


def role_permissions(state: Any, user_id: int) -> list[str]:
    """docs/panel/roles.md#models: every role of the user plus each role's direct parent (one level), deduplicated."""
    out: list[str] = []
    for _, link in sorted(state.user_roles.items()):
        if link.get("userId") != user_id or link.get("roleId") not in state.roles:
            continue
        role = state.roles[link["roleId"]]
        ids = [role["id"]] + ([role["parentRoleId"]] if role.get("parentRoleId") in state.roles else [])
        for rid in ids:
            out.extend(v for v in state.role_values(rid) if v not in out)
    return out


def _key_row(state: Any, raw: str) -> dict[str, Any] | None:
    row = next((k for k in state.apikeys.values() if k.get("key") == raw), None)
    if row is None:
        return None
    expires = _parse(row.get("expiresAt"))
    if expires is not None and expires <= state.now():
        return None
    return row


def _parse(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _from_key(state: Any, row: dict[str, Any]) -> Principal:
    owner = state.users.get(row.get("userId"))
    if owner is None:
        raise HttpError(401, "User not found")
    return Principal(user=owner, key=row, via="apikey")  # role assignments are not loaded for keys


def _api_key(state: Any, raw: str) -> Principal:
    row = _key_row(state, raw)
    if row is None:
        raise HttpError(401, "Invalid API key")
    return _from_key(state, row)


def _bearer(req: Request, token: str) -> Principal:
    state = req.state
    session = state.sessions.get(token)
    if session is not None and session["expires"] > state.now():
        return _jwt(req, session)
    row = _key_row(state, token)  # a failed JWT is retried as a raw API key (confirmed live)
    if row is not None:
        return _from_key(state, row)
    raise HttpError(401, "Invalid token")


def _jwt(req: Request, session: dict[str, Any]) -> Principal:
    """A session JWT. No X-CSRF-Token check: the panel's csrfProtection (backend/src/middleware/csrf.ts)
    runs as a global beforeHandle before the route's `authenticate` has decoded the JWT, so for plain
    HTTP routes it finds no session id and lets the write through (a Bearer POST /api/apikeys without
    the header is accepted live). eclictl sends the header anyway; tests assert it does."""
    state = req.state
    user = state.users.get(session["userId"])
    if user is None:
        raise HttpError(401, "User not found")
    if session["sessionId"] not in (user.get("sessions") or []):
        raise HttpError(401, "Invalid session")
    principal = Principal(user=user, via="jwt", permissions=role_permissions(state, user["id"]), session=session)
    if not principal.is_root:
        if user.get("suspended"):
            raise HttpError(403, SUSPENDED)
        frozen = _parse(user.get("pendingDeletionUntil"))
        if frozen is not None and frozen > state.now():
            raise HttpError(403, FROZEN)
        _kyc_gate(req, user)
    return principal


def _kyc_gate(req: Request, user: dict[str, Any]) -> None:
    """docs/panel/auth.md#credentials: users from a `kycRequiredCountries` country need a verified ID record (JWT only)."""
    raw = req.state.settings.get("kycRequiredCountries") or ""
    wanted = {c.strip().upper() for c in (raw.split(",") if isinstance(raw, str) else raw) if str(c).strip()}
    country = str(user.get("billingCountry") or "").upper()
    if not wanted or not (country in wanted or country[:2] in wanted):
        return
    path = req.path
    if path.startswith(KYC_EXEMPT) or (path.startswith("/api/users/") and path.rsplit("/", 1)[-1].isdigit()):
        return
    for row in (getattr(req.state, "verifications", None) or {}).values():
        owner = row.get("userId", (row.get("user") or {}).get("id") if isinstance(row.get("user"), dict) else None)
        if owner == user["id"] and row.get("status") == "verified":
            return
    raise HttpError(403, "KYC verification required. Please verify your identity first.", kycRequired=True,
                    kycVerified=False)


def authenticate(req: Request) -> Principal:
    """docs/panel/auth.md#credentials: Authorization (ApiKey/Bearer/bare), then X-API-Key, then the `token` cookie."""
    headers = req.headers
    auth = headers.get("authorization") or ""
    if auth:
        if auth.startswith("ApiKey "):
            return _api_key(req.state, auth[len("ApiKey "):])
        if auth.startswith("Bearer "):
            return _bearer(req, auth[len("Bearer "):])
        if len(auth) > 20 and " " not in auth:
            return _bearer(req, auth)
        raise HttpError(401, "Invalid token format")
    if headers.get("x-api-key"):
        return _api_key(req.state, headers["x-api-key"])
    cookie = _cookie(headers.get("cookie") or "", "token")
    if cookie:
        return _bearer(req, cookie)
    raise HttpError(401, "Missing token")


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        k, _, v = part.strip().partition("=")
        if k == name and v:
            return v
    return None


def _default_fallback(state: Any, principal: Principal) -> None:
    """docs/panel/roles.md#models: no role permissions -> the `default` role's, written into the request's list."""
    if principal.permissions:
        return
    role = state.role_by_name("default") if state is not None else None
    if role is not None:
        principal.permissions.extend(state.role_values(role["id"]))


def allowed(principal: Principal | None, kind: str, perm: str, state: Any = None) -> bool:
    """Would this check pass? (docs/panel/auth.md#gates). `state` enables the A-gate `default` fallback."""
    if principal is None:
        return False
    if kind == "A":
        if principal.key is not None:
            return principal.key_type == "admin" or holds(principal.key.get("permissions"), perm)
        if principal.is_root:
            return True
        _default_fallback(state, principal)
        return holds(principal.permissions, perm)
    if principal.key is not None:
        if kind in ("H", "PAGE") and principal.key_type == "admin":
            return True
        return principal.is_root
    if principal.is_root:
        return True
    if kind == "PAGE":
        from eclictl.sandbox.catalogue import ADMIN_PAGE_PERMISSIONS

        return any(holds(principal.permissions, p) for p in ("admin:access", *ADMIN_PAGE_PERMISSIONS))
    return holds(principal.permissions, perm)


def check_gate(principal: Principal | None, kind: str, perm: str, state: Any = None) -> None:
    """Raise the panel's exact 401/403 for a failed check."""
    if allowed(principal, kind, perm, state):
        return
    if principal is None:
        raise HttpError(401, "Unauthorized")
    if kind == "A":
        raise HttpError(403, "Insufficient permissions (api key)" if principal.key is not None
                        else "Insufficient permissions")
    if kind == "PAGE":
        raise HttpError(403, "Admin page access required.")
    if kind == "H":
        raise HttpError(403, f"Admin permission {perm} required.")
    raise HttpError(403, "Forbidden")


def require(req: Request, kind: str, perm: str) -> None:
    """In-handler check for route modules, e.g. `require(req, "H", "users:suspend")`."""
    check_gate(req.principal, kind, perm, req.state)
