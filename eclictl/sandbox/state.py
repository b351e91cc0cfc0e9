"""In-memory tables of the sandbox panel, and the deterministic core seed.

Tables are plain dicts `id -> row dict` so route modules and tests can read and poke them
directly (`sandbox.state.users[3]["suspended"]`). Rows keep the column order of the real
entities, because the CLI's raw output follows whatever order the panel sends.
"""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable

#: Fixed "now" of the seed data, so seeded timestamps never depend on the wall clock.
SEED_EPOCH = datetime(2026, 11, 24, 6, 15, 11, tzinfo=timezone.utc).timestamp()
SANDBOX_PASSWORD = "sandbox-password"
SANDBOX_TOTP = "123456"

#: The User entity's columns, in the order the panel serialises them (docs/panel/users.md#the-user-row, recorded samples).
USER_COLUMNS: tuple[str, ...] = (
    "id", "createdAt", "lastLoginAt", "lastPanelActivityAt", "serverSunsetNoticeSentAt", "sunsetNoticeSentAt",
    "firstName", "middleName", "lastName", "displayName", "title", "gender", "address", "address2", "phone",
    "dateOfBirth", "parentId", "billingCompany", "billingCity", "billingState", "billingZip", "billingCountry",
    "fraudFlag", "fraudReason", "fraudDetectedAt", "email", "passwordHash", "role", "orgRole", "portalType",
    "nodeId", "limits", "settings", "sessions", "emailVerified", "studentVerified", "studentVerifiedAt",
    "studentVerifiedUntil", "educationLimits", "idVerified", "twoFactorEnabled", "twoFactorSecret",
    "twoFactorRecoveryCodes", "suspended", "inactive", "supportBanned", "supportBanReason", "deletionRequested",
    "deletionApproved", "pendingDeletionUntil", "deletedAt", "avatarUrl", "githubLogin", "githubProfileUrl",
    "githubAvatarUrl", "contributorTitle", "contributorActivity", "guideShown", "voteWarnings", "countryOverride",
    "termsConsentVersion", "consent", "consentVersion", "consentAt",
)
USER_DEFAULTS: dict[str, Any] = {
    "orgRole": "member", "portalType": "free", "fraudFlag": False, "emailVerified": True, "studentVerified": False,
    "idVerified": False, "twoFactorEnabled": False, "suspended": False, "inactive": False, "supportBanned": False,
    "deletionRequested": False, "deletionApproved": False, "guideShown": False, "voteWarnings": 0,
}
SECRET_USER_FIELDS = ("passwordHash", "sessions", "twoFactorSecret", "twoFactorRecoveryCodes")


def password_hash(password: str, salt: str) -> str:
    """A fake argon2-looking hash; the sandbox only needs to compare, never to be secure."""
    digest = hashlib.sha256(f"{salt}:{password}".encode()).hexdigest()
    return f"$argon2id$v=19$m=65536,t=3,p=4${salt}${digest}"


def check_password(row: dict[str, Any], password: str) -> bool:
    stored = row.get("passwordHash")
    if not isinstance(stored, str) or stored.count("$") < 5:
        return False
    salt = stored.split("$")[4]
    return password_hash(password, salt) == stored


class State:
    """All tables of one sandbox panel; `clock` is injectable so tests never sleep."""

    def __init__(self, seed: int = 0, clock: Callable[[], float] | None = None) -> None:
        self.seed = seed
        # looked up per State (not bound at import), so a test that holds time.time still holds the seed too
        self.clock: Callable[[], float] = clock or time.time
        self.offset = 0.0
        self.lock = threading.RLock()
        self.token_ttl = 3600
        self.users: dict[int, dict[str, Any]] = {}
        self.apikeys: dict[int, dict[str, Any]] = {}
        self.roles: dict[int, dict[str, Any]] = {}
        self.permissions: dict[int, dict[str, Any]] = {}
        self.user_roles: dict[int, dict[str, Any]] = {}
        self.passkeys: dict[int, dict[str, Any]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}  # login token -> {userId, sessionId, expires, csrf}
        self.pending_2fa: dict[str, dict[str, Any]] = {}  # tempToken -> {userId, expires}
        self.apikey_creations: list[tuple[float, str, int]] = []  # (time, ip, userId)
        self.settings: dict[str, Any] = {}
        self.keys: dict[str, str] = {}
        self._ids: dict[str, int] = {}

    # -- copies (Sandbox.snapshot) ---------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """Everything but the lock and the clock (a copy runs on the wall clock again)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("lock", "clock")}

    def __setstate__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
        self.lock = threading.RLock()
        self.clock = time.time

    # -- time -----------------------------------------------------------------------------
    def now(self) -> float:
        return float(self.clock()) + self.offset

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock forward (token expiry, rate windows, simulated cron jobs)."""
        self.offset += seconds

    def iso(self, ts: float | None = None) -> str:
        """`2026-11-24T06:15:11.000Z`: the panel's format; MySQL DATETIME keeps whole seconds."""
        value = self.now() if ts is None else ts
        return datetime.fromtimestamp(int(value), timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    # -- ids ------------------------------------------------------------------------------
    def next_id(self, table: str) -> int:
        """Auto-increment per table; starts above any id already present in `state.<table>`."""
        with self.lock:
            existing = getattr(self, table, None)
            floor = 0
            if isinstance(existing, dict):
                floor = max((k for k in existing if isinstance(k, int)), default=0)
            value = max(self._ids.get(table, 0), floor) + 1
            self._ids[table] = value
            return value

    # -- lookups --------------------------------------------------------------------------
    def user_by_email(self, email: str) -> dict[str, Any] | None:
        wanted = email.strip().lower()
        return next((u for u in self.users.values() if str(u.get("email") or "").lower() == wanted), None)

    def role_by_name(self, name: str) -> dict[str, Any] | None:
        return next((r for r in self.roles.values() if r["name"] == name), None)

    def role_values(self, role_id: int) -> list[str]:
        return [p["value"] for _, p in sorted(self.permissions.items()) if p["roleId"] == role_id]

    def passkey_count(self, user_id: int) -> int:
        # Counted once per change of the passkey table, not per user row (a 100k-user list stays fast).
        stamp = (len(self.passkeys), next(reversed(self.passkeys), None))
        if getattr(self, "_passkey_stamp", None) != stamp:
            counts: dict[Any, int] = {}
            for p in self.passkeys.values():
                counts[p.get("userId")] = counts.get(p.get("userId"), 0) + 1
            self._passkey_counts, self._passkey_stamp = counts, stamp
        return self._passkey_counts.get(user_id, 0)


def table(state: Any, name: str, factory: Callable[[], Any] = dict) -> Any:
    """`state.<name>`, created empty by whichever route module touches it first (modules seed in name
    order, and some read a table another module owns)."""
    value = getattr(state, name, None)
    if value is None:
        value = factory()
        setattr(state, name, value)
    return value


def next_key(rows: dict[Any, Any]) -> int:
    """One above the highest integer key of `rows` (1 for none): the next auto-increment id."""
    return max((k for k in rows if isinstance(k, int)), default=0) + 1


def now(state: Any) -> datetime:
    """The sandbox clock as an aware UTC datetime (with its milliseconds, unlike `State.iso()`)."""
    return datetime.fromtimestamp(state.now(), timezone.utc)


def iso(moment: datetime) -> str:
    """`2026-11-24T06:15:11.123Z`: a datetime in the panel's JSON date format, milliseconds kept."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(value: Any) -> datetime | None:
    """An ISO-8601 string (with `Z` or an offset, or naive = UTC) as an aware datetime; else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def public_user(row: dict[str, Any], drop: tuple[str, ...] = ("passwordHash", "sessions")) -> dict[str, Any]:
    """A copy of a user row without `drop` (the panel's usual sanitising)."""
    return {k: v for k, v in row.items() if k not in drop}


def user_brief(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if not row:
        return None
    return {"firstName": row.get("firstName"), "lastName": row.get("lastName"), "email": row.get("email")}


def new_user(**values: Any) -> dict[str, Any]:
    """A complete User row: every column present, nulls where empty (docs/panel/users.md#the-user-row)."""
    row = {col: USER_DEFAULTS.get(col) for col in USER_COLUMNS}
    unknown = set(values) - set(USER_COLUMNS)
    if unknown:
        raise KeyError(f"not User columns: {sorted(unknown)}")
    row.update(values)
    return row
