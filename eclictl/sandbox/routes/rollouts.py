"""Sandbox: rollouts and per-user overrides (docs/panel/settings.md#rollouts).

Mirrors backend/src/handlers/rolloutHandler.ts + services/rolloutService.ts, quirks included:
every admin route is gated by A(admin:access) only; POST/PUT return the bare entity, which the
panel sends as text/plain `[object Object]`; inputs go through JS `Boolean()`/`Number()`/`String()`
(so `"false"` is true and `null` becomes the string "null"); DB failures are 400 with the raw
MySQL message; deleting a rollout leaves its overrides behind (no foreign key); the active-rollout
list behind `GET /api/rollouts` is cached for 30 s.

Tables: `state.rollouts` (id -> entity row) and `state.rollout_overrides` (id -> override row),
the layout tunnels.py reads for its `tunnel_feature` gate.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from eclictl.sandbox import js
from eclictl.sandbox.router import HttpError, Raw, Request, keys_where, route
from eclictl.sandbox.state import SEED_EPOCH

GATES = (("A", "admin:access"),)
HASH_RANGE = 10000
CACHE_TTL = 30.0
OBJECT_TEXT = b"[object Object]"
LIMITS = {"name": 128, "key": 64, "treatment": 32}
INT_MIN, INT_MAX = -(2 ** 31), 2 ** 31 - 1
#: TypeORM's name for the unique index on rollout.key: "IDX_" + sha1("rollout_key")[:26] (DefaultNamingStrategy).
KEY_INDEX = "IDX_" + hashlib.sha1(b"rollout_key").hexdigest()[:26]


# -- the panel's hash, transcribed from rolloutService.ts (charCodeAt & 0xff, JS 32-bit maths) --------
def _imul(a: int, b: int) -> int:
    return ((a & 0xFFFF) * b + ((((a >> 16) & 0xFFFF) * b & 0xFFFF) << 16)) & 0xFFFFFFFF


def murmur3_js(key: str, seed: int = 0) -> int:
    units = key.encode("utf-16-le")
    codes = [units[i] for i in range(0, len(units), 2)]  # charCodeAt(i) & 0xff
    length = len(codes)
    remainder = length & 3
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h1 = seed & 0xFFFFFFFF
    i = 0
    while i < length - remainder:
        k1 = codes[i] | codes[i + 1] << 8 | codes[i + 2] << 16 | codes[i + 3] << 24
        k1 = _imul(k1, c1)
        k1 = ((k1 << 15) | (k1 >> 17)) & 0xFFFFFFFF
        k1 = _imul(k1, c2)
        h1 ^= k1
        h1 = ((h1 << 13) | (h1 >> 19)) & 0xFFFFFFFF
        h1 = (h1 * 5 + 0xE6546B64) & 0xFFFFFFFF
        i += 4
    k1 = 0
    if remainder >= 3:
        k1 ^= codes[i + 2] << 16
    if remainder >= 2:
        k1 ^= codes[i + 1] << 8
    if remainder >= 1:
        k1 ^= codes[i]
        k1 = _imul(k1, c1)
        k1 = ((k1 << 15) | (k1 >> 17)) & 0xFFFFFFFF
        k1 = _imul(k1, c2)
        h1 ^= k1
    h1 ^= length
    h1 ^= h1 >> 16
    h1 = _imul(h1, 0x85EBCA6B)
    h1 ^= h1 >> 13
    h1 = _imul(h1, 0xC2B2AE35)
    h1 ^= h1 >> 16
    return h1


def bucket(key: str, user_id: Any) -> int:
    return murmur3_js(f"{key}:{_js_string(user_id)}") % HASH_RANGE


# -- JS coercions the handler applies (eclictl/sandbox/js.py) ---------------------------------
_js_bool, _js_number, _js_string = js.truthy, js.number, js.string


def _db_int(column: str, value: float, clause: str = "field list") -> int:
    """What MariaDB does with a JS number bound to an INT column (strict mode).

    NaN/Infinity reach the SQL text as bare words: an unknown column `in 'field list'` for an INSERT,
    `in 'SET'` for an UPDATE (recorded live).
    """
    if math.isnan(value) or math.isinf(value):
        raise HttpError(400, f"Unknown column '{'NaN' if math.isnan(value) else 'Infinity'}' in '{clause}'")
    stored = int(math.floor(abs(value) + 0.5)) * (1 if value >= 0 else -1)
    if not INT_MIN <= stored <= INT_MAX:
        raise HttpError(400, f"Out of range value for column '{column}' at row 1")
    return stored


def _db_check(row: dict[str, Any], state: Any, own_id: int | None) -> None:
    for column, limit in LIMITS.items():
        if isinstance(row.get(column), str) and len(row[column]) > limit:
            raise HttpError(400, f"Data too long for column '{column}' at row 1")
    for other in state.rollouts.values():
        if other.get("id") != own_id and other.get("key") == row.get("key"):
            raise HttpError(400, f"Duplicate entry '{row.get('key')}' for key '{KEY_INDEX}'")


def _path_id(req: Request, name: str = "id") -> float:
    """`Number(ctx.params.id)`; 0 and NaN are the handler's 400."""
    return _js_number(req.params.get(name, ""))


def _valid(value: float) -> bool:
    return not (math.isnan(value) or value == 0)


def _rollout_id(req: Request) -> float:
    """`Number(ctx.params.id)`, or the handler's 400 for 0 and NaN."""
    ident = _path_id(req)
    if not _valid(ident):
        raise HttpError(400, "Invalid rollout ID")
    return ident


# -- seed ---------------------------------------------------------------------------------------
def seed(state: Any, rng: Any) -> None:
    state.rollouts = getattr(state, "rollouts", None) or {}
    state.rollout_overrides = getattr(state, "rollout_overrides", None) or {}
    state.rollout_cache = None
    users = sorted(state.users) or [1]
    base = SEED_EPOCH  # seeded timestamps never depend on the wall clock
    plan = [  # key, name, description, active, start, end, treatment, age in days
        ("tunnel_feature", "Tunnels", "Tunnel agents and port forwarding", True, 0, 9999, "treatment", 90),
        ("new_dashboard", "New dashboard", "Redesigned server dashboard", True, 0, 4999, "v2", 30),
        ("beta_billing", "Billing v2 beta", "Usage-based billing preview", False, 0, 999, "beta", 20),
        ("dark_launch", "AI console (dark launch)", "", True, 0, -1, "treatment", 7),
    ]
    for key, name, description, active, start, end, treatment, age in plan:
        if any(r.get("key") == key for r in state.rollouts.values()):
            continue
        rid = state.next_id("rollouts")
        stamp = state.iso(base - age * 86400)
        state.rollouts[rid] = {"id": rid, "name": name, "description": description, "key": key, "active": active,
                               "hashRangeStart": start, "hashRangeEnd": end, "treatment": treatment,
                               "createdAt": stamp, "updatedAt": stamp}
    by_key = {r["key"]: r["id"] for r in state.rollouts.values()}
    for n, (key, user, treatment) in enumerate([("new_dashboard", users[min(1, len(users) - 1)], "control"),
                                                ("dark_launch", users[0], None),
                                                ("dark_launch", users[min(2, len(users) - 1)], "early")]):
        oid = state.next_id("rollout_overrides")
        state.rollout_overrides[oid] = {"id": oid, "rolloutId": by_key[key], "userId": user, "treatment": treatment,
                                        "createdAt": state.iso(base - (6 - n) * 3600)}


# -- views ----------------------------------------------------------------------------------------
def _overrides(state: Any, rollout_id: Any) -> list[dict[str, Any]]:
    rows = [o for o in state.rollout_overrides.values() if o.get("rolloutId") == rollout_id]
    rows.sort(key=lambda o: (o.get("createdAt") or "", o.get("id") or 0), reverse=True)
    return [{"id": o["id"], "userId": o["userId"], "treatment": o.get("treatment"), "createdAt": o.get("createdAt")}
            for o in rows]


def _listed(state: Any, r: dict[str, Any]) -> dict[str, Any]:
    overrides = _overrides(state, r.get("id"))
    return {"id": r.get("id"), "name": r.get("name"), "description": r.get("description"), "key": r.get("key"),
            "active": r.get("active"), "hashRangeStart": r.get("hashRangeStart"),
            "hashRangeEnd": r.get("hashRangeEnd"), "treatment": r.get("treatment"),
            "overrideCount": len(overrides), "overrides": overrides, "createdAt": r.get("createdAt"),
            "updatedAt": r.get("updatedAt")}


def _newest_first(rows: Any) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (r.get("createdAt") or "", r.get("id") or 0), reverse=True)


# -- admin routes -----------------------------------------------------------------------------------
@route("GET", "/api/admin/rollouts", gates=GATES)
def list_rollouts(req: Request) -> Any:
    return [_listed(req.state, r) for r in _newest_first(req.state.rollouts.values())]


@route("POST", "/api/admin/rollouts", gates=GATES)
def create_rollout(req: Request) -> Any:
    body = req.json_object()
    if not _js_bool(body.get("name")) or not _js_bool(body.get("key")):
        raise HttpError(400, "name and key are required")
    stamp = req.state.iso()
    row: dict[str, Any] = {
        "id": None, "name": _js_string(body["name"]).strip(),
        "description": _js_string(body["description"]).strip() if _js_bool(body.get("description")) else "",
        "key": _js_string(body["key"]).strip(),
        "active": _js_bool(body["active"]) if "active" in body else True,
        "hashRangeStart": _db_int("hashRangeStart", _js_number(body["hashRangeStart"]))
        if "hashRangeStart" in body else 0,
        "hashRangeEnd": _db_int("hashRangeEnd", _js_number(body["hashRangeEnd"])) if "hashRangeEnd" in body else 9999,
        "treatment": _js_string(body["treatment"]).strip() if _js_bool(body.get("treatment")) else "treatment",
        "createdAt": stamp, "updatedAt": stamp,
    }
    _db_check(row, req.state, None)
    row["id"] = req.state.next_id("rollouts")
    req.state.rollouts[row["id"]] = row
    return Raw(201, "text/plain;charset=utf-8", OBJECT_TEXT)  # the bare entity (docs/panel/conventions.md#bare-entities-answer-object-object)


@route("PUT", "/api/admin/rollouts/:id", gates=GATES)
def update_rollout(req: Request) -> Any:
    ident = _rollout_id(req)
    body = req.json(None)
    if body is None:
        raise HttpError(500, "Internal server error")  # `body.name` on undefined
    body = body if isinstance(body, dict) else {}
    data: dict[str, Any] = {}
    for column in ("name", "description", "key", "treatment"):
        if column in body:
            data[column] = _js_string(body[column]).strip()
    if "active" in body:
        data["active"] = _js_bool(body["active"])
    rollout = req.state.rollouts.get(int(ident)) if float(ident).is_integer() else None
    if rollout is None:
        raise HttpError(404, "Rollout not found")  # looked up before anything is written
    for column in ("hashRangeStart", "hashRangeEnd"):
        if column in body:
            data[column] = _db_int(column, _js_number(body[column]), "SET")
    candidate = {**rollout, **data}
    _db_check(candidate, req.state, rollout["id"])
    if candidate != rollout:
        candidate["updatedAt"] = req.state.iso()
    rollout.update(candidate)
    return Raw(200, "text/plain;charset=utf-8", OBJECT_TEXT)


@route("DELETE", "/api/admin/rollouts/:id", gates=GATES)
def delete_rollout(req: Request) -> Any:
    ident = _rollout_id(req)
    if not float(ident).is_integer() or req.state.rollouts.pop(int(ident), None) is None:
        raise HttpError(404, "Rollout not found")
    return {"success": True}  # overrides stay behind: rolloutId is not a foreign key


@route("GET", "/api/admin/rollouts/:id/overrides", gates=GATES)
def list_overrides(req: Request) -> Any:
    ident = _rollout_id(req)
    return _overrides(req.state, int(ident)) if float(ident).is_integer() else []


@route("POST", "/api/admin/rollouts/:id/overrides", gates=GATES)
def add_override(req: Request) -> Any:
    ident = _rollout_id(req)
    body = req.json_object()
    user_id = _js_number(body.get("userId")) if "userId" in body else math.nan
    if not _valid(user_id):
        raise HttpError(400, "Valid userId is required")
    user = _db_int("userId", user_id)
    rollout_id = _db_int("rolloutId", ident)
    sent = "treatment" in body
    treatment = (_js_string(body["treatment"]).strip() or None) if sent else None
    if treatment is not None and len(treatment) > LIMITS["treatment"]:
        raise HttpError(400, "Data too long for column 'treatment' at row 1")
    table = req.state.rollout_overrides
    row = next((o for o in table.values() if o.get("rolloutId") == rollout_id and o.get("userId") == user), None)
    if row is None:
        oid = req.state.next_id("rollout_overrides")
        row = table[oid] = {"id": oid, "rolloutId": rollout_id, "userId": user, "treatment": treatment,
                            "createdAt": req.state.iso()}
    elif sent:
        row["treatment"] = treatment
    return 201, {"id": row["id"], "userId": row["userId"], "treatment": row.get("treatment"),
                 "createdAt": row.get("createdAt")}


@route("DELETE", "/api/admin/rollouts/:id/overrides/:userId", gates=GATES)
def remove_override(req: Request) -> Any:
    ident, user_id = _rollout_id(req), _path_id(req, "userId")
    if not _valid(user_id):
        raise HttpError(400, "Invalid userId")
    table = req.state.rollout_overrides
    for k in keys_where(table, "Override not found", rolloutId=ident, userId=user_id):
        del table[k]
    return {"success": True}


# -- the user-facing evaluation ------------------------------------------------------------------------
def _active_cached(state: Any) -> list[dict[str, Any]]:
    """`withRedisCache('rollouts:active:v1', 30)`: admin edits take up to 30 s to show."""
    cache = getattr(state, "rollout_cache", None)
    now = state.now()
    if not cache or now - cache[0] >= CACHE_TTL:
        rows = [dict(r) for r in state.rollouts.values() if r.get("active")]
        cache = state.rollout_cache = (now, rows)
    return cache[1]


@route("GET", "/api/rollouts")
def my_rollouts(req: Request) -> Any:
    user = getattr(req.principal, "user", None) or {}
    user_id = user.get("id")
    if not user_id:
        return {}
    mine = {o.get("rolloutId"): o for o in req.state.rollout_overrides.values() if o.get("userId") == user_id}
    result: dict[str, Any] = {}
    for rollout in _active_cached(req.state):
        override = mine.get(rollout.get("id"))
        if override:
            result[rollout["key"]] = {"inRollout": True,
                                      "treatment": override.get("treatment") if override.get("treatment") is not None
                                      else rollout.get("treatment")}
            continue
        b = bucket(rollout["key"], user_id)
        inside = rollout.get("hashRangeStart", 0) <= b <= rollout.get("hashRangeEnd", 9999)
        result[rollout["key"]] = {"inRollout": inside, "treatment": rollout.get("treatment") if inside else None}
    return result
