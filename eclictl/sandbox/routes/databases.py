"""Sandbox: database hosts and server databases (docs/panel/integrations.md#databases).

The panel (backend/src/handlers/databaseHandler.ts) checks `databases:read` / `databases:write` with a
bare hasPermissionSync (user-based: an API key works only when its owner is root, whatever its type).
Its denial sets no usable body while the route declares a 403 response schema, so a denial arrives as
**422 `{"error":"Request error"}`**. Passwords are stored in plaintext and always answered as `"***"`.

Creating a host, and the `test` route, open a real MariaDB connection: here the reachable servers are
`state.database_servers[(host, port)] = {username: password}`; anything else fails like a timeout.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from eclictl.sandbox.auth import allowed
from eclictl.sandbox.router import HttpError, Request, route
from eclictl.sandbox.state import iso, now

NOT_FOUND = "Database host not found"
REQUIRED = "name, host, username and password are required"
MASKED = "***"
HOST_FIELDS = ("id", "name", "host", "port", "username", "password", "nodeId", "maxDatabases", "createdAt")


def seed(state: Any, rng: Any) -> None:
    base = now(state)
    state.database_servers = {
        ("db1.fra.eclipanel.test", 3306): {"root": "fra1-" + uuid.UUID(int=rng.getrandbits(128)).hex[:16]},
        ("db2.nyc.eclipanel.test", 3307): {"panel": "nyc2-" + uuid.UUID(int=rng.getrandbits(128)).hex[:16]},
    }
    plan = [("fra-mariadb", "db1.fra.eclipanel.test", 3306, "root", 1, 0),
            ("nyc-mysql", "db2.nyc.eclipanel.test", 3307, "panel", 2, 50),
            ("legacy", "10.20.0.9", 3306, "admin", None, 10)]
    state.database_hosts = {}
    for i, (name, host, port, user, node, cap) in enumerate(plan, start=1):
        known = state.database_servers.get((host, port), {})
        state.database_hosts[i] = {
            "id": i, "name": name, "host": host, "port": port, "username": user,
            "password": known.get(user, "decommissioned-" + uuid.UUID(int=rng.getrandbits(128)).hex[:12]),
            "nodeId": node, "maxDatabases": cap, "createdAt": iso(base - timedelta(days=200 - i * 30))}
    state.server_databases = {}
    for n in range(1, 8):
        server = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        slug, suffix = server.replace("-", "")[:8], uuid.UUID(int=rng.getrandbits(128)).hex[:6]
        state.server_databases[n] = {
            "id": n, "serverUuid": server, "hostId": 1 if n <= 4 else 2, "name": f"s{slug}_{suffix}",
            "username": f"u{slug}_{suffix}", "password": uuid.UUID(int=rng.getrandbits(128)).hex[:24],
            "label": rng.choice(("minecraft", "website", "bot", None)),
            "createdAt": iso(base - timedelta(days=60 - n * 7, hours=n))}


def _require(req: Request, level: str) -> None:
    """requireDatabasePermission: a denial is 422 `Request error` (declared 403 schema, empty body)."""
    if req.principal is None:
        raise HttpError(401, "Unauthorized")
    if not allowed(req.principal, "S", f"databases:{level}", req.state):
        raise HttpError(422, "Request error")


def _public(row: dict[str, Any], fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    out = {k: row.get(k) for k in (fields or tuple(row))}
    out["password"] = MASKED
    return out


_PASSWORD = re.compile(r"""(['"]?password['"]?\s*[:=]\s*)[^'"\s,;}]+""", re.IGNORECASE)
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def _clean(message: str) -> str:
    """sanitizeError (backend/src/utils/sanitizeError.ts): first line only, `password: X` -> `password: ***`.

    So `(using password: YES)` arrives as `(using password: ***` (the closing parenthesis is eaten too).
    """
    return _PASSWORD.sub(r"\1***", message.split("\n", 1)[0].strip())


def _connect(state: Any, host: Any, port: Any, username: Any, password: Any) -> str | None:
    """None when the credentials open a connection, else the driver's message as the panel cleans it."""
    servers = getattr(state, "database_servers", {}) or {}
    try:
        port_no = int(port)
    except (TypeError, ValueError):
        return _clean(f"(conn:-1, no: 45012, SQLState: 08S01) Invalid port {port!r}")
    accounts = servers.get((host, port_no))
    if accounts is None:
        return _clean("(conn:-1, no: 45012, SQLState: 08S01) Connection timeout: failed to create socket after 1000ms")
    if accounts.get(username) != password:
        # The server answered: its connection id is positive, and it names the panel's host as it sees it.
        conn = state.next_id("database_connections")
        client = "localhost" if host in LOCAL_HOSTS else "panel"
        return _clean(f"(conn:{conn}, no: 1045, SQLState: 28000) Access denied for user '{username}'@'{client}' "
                      f"(using password: YES)")
    return None


def _host(req: Request) -> dict[str, Any]:
    return req.row(req.state.database_hosts, NOT_FOUND)


@route("GET", "/api/admin/database-hosts")
def list_hosts(req: Request) -> Any:
    _require(req, "read")
    return [_public(h, HOST_FIELDS) for _, h in sorted(req.state.database_hosts.items())]


@route("POST", "/api/admin/database-hosts")
def create_host(req: Request) -> Any:
    _require(req, "write")
    body = req.json({})
    if not isinstance(body, dict):
        raise HttpError(500, "Internal server error")  # destructuring null throws
    name, host, username, password = (body.get(k) for k in ("name", "host", "username", "password"))
    port = body.get("port", 3306)
    if not name or not host or not username or not password:
        raise HttpError(400, REQUIRED)
    failure = _connect(req.state, host, port, username, password)
    if failure:
        raise HttpError(400, f"Cannot connect to database server: {failure}")
    ident = req.state.next_id("database_hosts")
    row = {"id": ident, "name": name, "host": host, "port": port, "username": username, "password": password,
           "nodeId": body.get("nodeId"), "maxDatabases": body.get("maxDatabases", 0),
           "createdAt": iso(now(req.state))}
    req.state.database_hosts[ident] = row
    return 201, _public(row, HOST_FIELDS)


@route("PUT", "/api/admin/database-hosts/:id")
def update_host(req: Request) -> Any:
    _require(req, "write")
    row = _host(req)
    body = req.json({})
    if not isinstance(body, dict):
        raise HttpError(500, "Internal server error")
    for key in ("name", "host", "port", "username", "maxDatabases"):
        if key in body and body[key] is not None:
            row[key] = body[key]
    if body.get("password") not in (None, MASKED):
        row["password"] = body["password"]
    answer = _public(row, HOST_FIELDS)
    if "nodeId" in body:
        if body["nodeId"]:
            row["nodeId"] = answer["nodeId"] = body["nodeId"]
        else:  # `nodeId || undefined`: TypeORM skips undefined, so the stored value stays
            answer.pop("nodeId", None)
    return answer


@route("DELETE", "/api/admin/database-hosts/:id")
def delete_host(req: Request) -> Any:
    _require(req, "write")
    row = _host(req)
    in_use = sum(1 for d in req.state.server_databases.values() if d.get("hostId") == row["id"])
    if in_use:
        raise HttpError(409, f"Cannot delete: {in_use} database(s) are using this host")
    del req.state.database_hosts[row["id"]]
    return {"success": True}


@route("POST", "/api/admin/database-hosts/:id/test")
def test_host(req: Request) -> Any:
    _require(req, "write")
    row = _host(req)
    failure = _connect(req.state, row.get("host"), row.get("port"), row.get("username"), row.get("password"))
    if failure:
        raise HttpError(400, f"Connection failed: {failure}")
    return {"success": True, "message": "Connection successful"}


@route("GET", "/api/admin/databases")
def list_databases(req: Request) -> Any:
    _require(req, "read")
    rows = sorted(req.state.server_databases.values(), key=lambda d: (d.get("createdAt") or "", d["id"]),
                  reverse=True)
    return [_public(d) for d in rows]
