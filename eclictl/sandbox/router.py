"""Route table of the sandbox panel.

Every portal section adds one module under `eclictl/sandbox/routes/` that declares
its routes with `@route(...)` and (optionally) a `seed(state, rng)` function. The
handler discovers the modules, so adding a section never edits a shared file.

Gates follow docs/panel/auth.md#gates:
  ("A", p)  authorize(p) middleware   ("H", p) in-handler requireAdminPermission(p)
  ("S", p)  bare hasPermissionSync(p) ("PAGE", "") requireAdminPageAccess
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

Gate = tuple[str, str]

#: The usual admin route: A(admin:access) + H(<granular>).
def admin(perm: str) -> tuple[Gate, ...]:
    return (("A", "admin:access"), ("H", perm))


class HttpError(Exception):
    """Raise from a route to answer with `{"error": message}` (plus extra keys)."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"error": message, **extra}
        self.headers: dict[str, str] = {}


@dataclass
class Raw:
    """A non-JSON answer (text/plain `[object Object]`, binary downloads, HTML)."""

    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    state: Any
    params: dict[str, str] = field(default_factory=dict)
    principal: Any = None  # sandbox.auth.Principal once authenticated

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def json(self, default: Any = None) -> Any:
        """The body as JSON; a malformed body is the panel's 400 `Request error`."""
        if not self.body or not self.body.strip():
            return default
        try:
            return json.loads(self.body)
        except ValueError:
            raise HttpError(400, "Request error") from None

    def json_object(self, reading: str | None = None) -> dict[str, Any]:
        """The body as a handler destructures it: the JSON object, or {} for anything else (no body, an
        array, a number); a malformed body is the 400 `Request error`. With `reading`, a body that is no
        object fails like `body.<reading>` on undefined does: the panel's global 500."""
        body = self.json(None)
        if isinstance(body, dict):
            return body
        if reading is not None:
            raise RuntimeError(f"Cannot read properties of undefined (reading '{reading}')")
        return {}

    def int_arg(self, name: str, default: int, low: int = 1, high: int | None = None) -> int:
        """A whole-number query argument (`page`, `per`, `limit`) as these handlers read it: `default` when
        absent, empty or not an integer, then kept within low..high."""
        raw = self.arg(name)
        try:
            number = int(raw) if raw else default
        except ValueError:
            number = default
        number = max(low, number)
        return number if high is None else min(high, number)

    def row(self, rows: dict[Any, Any], missing: str, param: str = "id") -> Any:
        """The row the path id names (`findOneBy({ id: Number(ctx.params.id) })`), or 404 `missing`."""
        return found(rows, self.param_int(param), missing)

    def remove(self, rows: dict[Any, Any], missing: str, param: str = "id") -> Any:
        """Delete the row the path id names and return it, or 404 `missing`."""
        key = self.param_int(param)
        found(rows, key, missing)
        return rows.pop(key)

    def query_id(self, name: str) -> Any:
        """A numeric query filter the panel passes through `Number(x)` into SQL (`o.userId = :uid`):
        None when absent or empty, the number otherwise; NaN ("user@example.com") makes the query
        fail, which the panel answers with its global 500 (recorded live on `GET /api/admin/orders`)."""
        raw = self.arg(name)
        if raw is None or not raw.strip():
            return None
        number = js_number(raw)
        if number is None:
            raise HttpError(500, "Internal server error")
        return int(number) if float(number).is_integer() else number

    def param_int(self, name: str) -> int | None:
        """A path id as `findOneBy({ id: Number(ctx.params.id) })` sees it: a fraction matches no row
        (None); NaN ("abc") fails in SQL, the panel's global 500 (recorded live on a user profile)."""
        from eclictl.sandbox.js import NotANumber, lookup_id

        if name not in self.params:
            return None
        try:
            return lookup_id(self.params[name])
        except NotANumber:
            raise HttpError(500, "Internal server error") from None

    def param_checked(self, name: str) -> int | None:
        """A path id for handlers that check `isNaN(id)` themselves (and answer their own 400):
        None for NaN or a fraction, never the 500."""
        try:
            return self.param_int(name)
        except HttpError:
            return None


def found(rows: dict[Any, Any], key: Any, missing: str) -> Any:
    """rows[key], or the panel's 404 `{"error": missing}` when there is no such row."""
    row = rows.get(key)
    if row is None:
        raise HttpError(404, missing)
    return row


def keys_where(rows: dict[Any, Any], missing: str, **where: Any) -> list[Any]:
    """The keys of the rows whose fields equal `where` (a link table's rows), or 404 `missing` for none."""
    keys = [k for k, row in rows.items() if all(row.get(name) == value for name, value in where.items())]
    if not keys:
        raise HttpError(404, missing)
    return keys


def whole(value: Any) -> int | None:
    """Python's int(value) for an id sent in a body ("7" -> 7, 1.9 -> 1); None where int() refuses it
    ("abc", null, a list), so that no row matches."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def js_number(text: str) -> float | None:
    """JavaScript's Number(text) for a query string: decimal, exponent or 0x/0o/0b; None for NaN."""
    t = text.strip()
    if not t:
        return 0.0
    if re.fullmatch(r"0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+", t):
        return float(int(t, 0))
    if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?Infinity", t):
        return float(t.replace("Infinity", "inf"))
    return None


Handler = Callable[[Request], Any]


@dataclass
class Route:
    method: str
    pattern: str
    regex: re.Pattern[str]
    handler: Handler
    auth: bool
    gates: tuple[Gate, ...]


ROUTES: list[Route] = []


def _compile(pattern: str) -> re.Pattern[str]:
    parts = []
    for seg in pattern.strip("/").split("/"):
        if seg.startswith(":"):
            parts.append(f"(?P<{seg[1:]}>[^/]+)")
        else:
            parts.append(re.escape(seg))
    return re.compile("^/" + "/".join(parts) + "/?$")


def route(method: str, pattern: str, *, auth: bool = True, gates: tuple[Gate, ...] = ()) -> Callable[[Handler], Handler]:
    """Register a handler. `pattern` is the full path, e.g. `/api/admin/users/:id`."""

    def register(fn: Handler) -> Handler:
        ROUTES.append(Route(method.upper(), pattern, _compile(pattern), fn, auth, tuple(gates)))
        return fn

    return register


def match(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """(route, params, path_known). path_known is True when only the method differed."""
    path_known = False
    for r in ROUTES:
        m = r.regex.match(path)
        if not m:
            continue
        if r.method == method or (method == "HEAD" and r.method == "GET"):
            return r, m.groupdict(), True
        path_known = True
    return None, {}, path_known
