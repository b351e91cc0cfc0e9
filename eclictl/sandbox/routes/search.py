"""Sandbox: global search, dashboard stats and counts, SOC overview and usage (docs/panel/search.md).

Reads other modules' tables at request time and tolerates their absence: `users`, `organisations`,
`servers` + `wings_servers` + `nodes` + `offline_nodes` (routes/servers.py), `orders`, `tickets`,
`verifications`, `student_verifications`, `deletions`, `user_logs`, `app_forms` + `app_submissions`
(anti-abuse incidents are submissions of the `antiabuse-incidents` form), `feedback`,
`security_findings`. Own tables: `soc_data` rows `{id, serverId, metrics, timestamp}` (routes/metrics.py
may have created the table first, with an older row shape that is adapted on read) and
`api_request_log` (empty, as on the panel: the logger runs before authentication, docs/panel/search.md#soc-usage).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from eclictl.sandbox.router import Request, route
from eclictl.sandbox.state import iso, now, parse_iso

LIMIT = 20
ADMIN_GATE = (("A", "admin:access"), ("PAGE", ""))
ANTIABUSE_SLUG = "antiabuse-incidents"
ORG_FIELDS = ("id", "name", "handle", "ownerId", "portalTier", "planId", "status", "expiresAt", "isStaff",
              "avatarUrl", "createdAt")
ORDER_FIELDS = ("id", "userId", "orgId", "items", "amount", "taxAmount", "taxRate", "status", "description",
                "planId", "notes", "paymentMethod", "paymentTxId", "paymentProvider", "cryptoAddress", "cryptoAmount",
                "cryptoCurrency", "cryptoNetwork", "couponId", "couponCode", "discountAmount", "createdAt",
                "expiresAt", "billingType", "lifetimeBlockedAt", "lifetimeGraceEndsAt")
_DIGITS = re.compile(r"^\d+$")


def _rows(state: Any, name: str) -> list[dict[str, Any]]:
    """A table's rows in key order, whatever container another module chose (absent = empty)."""
    value = getattr(state, name, None)
    if isinstance(value, dict):
        return [v for _, v in sorted(value.items(), key=lambda kv: str(kv[0]).zfill(12)) if isinstance(v, dict)]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def _like(haystack: Any, needle: str) -> bool:
    """MySQL `LIKE %q%` with the default case-insensitive collation."""
    return isinstance(haystack, str) and needle.lower() in haystack.lower()


_parse = parse_iso


# -- seed -------------------------------------------------------------------------------------

def seed(state: Any, rng: Any) -> None:
    """SOC rows for real server UUIDs (so the user view has something), and an empty request log."""
    table = getattr(state, "soc_data", None)
    if not isinstance(table, dict):
        table = {}
        state.soc_data = table
    servers = [s for s in _rows(state, "servers") if s.get("uuid")]
    base = now(state)
    next_id = max((k for k in table if isinstance(k, int)), default=0) + 1
    for n, cfg in enumerate(servers[:6]):
        for m in range(3):
            table[next_id] = {"id": next_id, "serverId": cfg["uuid"],
                              "metrics": {"cpu": rng.randint(0, 100), "memoryBytes": rng.randint(1, 8) * 2**28,
                                          "connections": rng.randint(0, 40),
                                          "topSources": [f"198.51.100.{rng.randint(2, 254)}"]},
                              "timestamp": iso(base - timedelta(minutes=7 * (n * 3 + m)))}
            next_id += 1
    if getattr(state, "api_request_log", None) is None:
        state.api_request_log = {}


# -- search (docs/panel/search.md#search) -----------------------------------------------------

def _id_or_like(state: Any, name: str, q: str, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    """The first LIMIT rows of a table by id: all for no q, the one id for digits, else a LIKE on `columns`."""
    rows = sorted(_rows(state, name), key=lambda r: r.get("id") or 0)
    if q and _DIGITS.match(q):
        rows = [r for r in rows if r.get("id") == int(q)]
    elif q:
        rows = [r for r in rows if any(_like(r.get(column), q) for column in columns)]
    return rows[:LIMIT]


def _search_users(state: Any, q: str) -> list[dict[str, Any]]:
    # names are compared too, but they are encrypted at rest: they never match
    return [dict(u) for u in _id_or_like(state, "users", q, ("email",))]


def _search_orgs(state: Any, q: str) -> list[dict[str, Any]]:
    return [{k: o.get(k) for k in ORG_FIELDS} for o in _id_or_like(state, "organisations", q, ("name", "handle"))]


def _all_servers(state: Any) -> list[dict[str, Any]]:
    """Every healthy node's Wings list, node by node, then config-only servers (status hibernated|unknown)."""
    from eclictl.sandbox.routes import servers as srv

    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for node_id in sorted(srv.nodes(state)):
        if not srv.node_online(state, node_id):
            continue  # an unreachable node contributes nothing
        for live in srv.wings(state, node_id).values():
            if srv._norm(live.get("uuid")) in seen:
                continue
            seen.add(srv._norm(live.get("uuid")))
            items.append(srv._live_item(state, srv.nodes(state)[node_id], live))
    for cfg in _rows(state, "servers"):
        if cfg.get("uuid") and srv._norm(cfg["uuid"]) not in seen:
            seen.add(srv._norm(cfg["uuid"]))
            item = srv._db_item(state, cfg)
            item["status"] = "hibernated" if cfg.get("hibernated") else "unknown"
            items.append(item)
    return items


def _search_servers(state: Any, q: str) -> list[dict[str, Any]]:
    try:
        items = _all_servers(state)
    except Exception:  # noqa: BLE001 - the panel answers `servers: []` on any listing error
        return []
    if q:
        low = q.lower()
        items = [s for s in items if str(s.get("id") or s.get("uuid") or "").lower().startswith(low)
                 or any(low in str(s.get(k) or "").lower() for k in ("name", "uuid", "nodeName"))]
    return items[:LIMIT]


def _search_orders(state: Any, q: str) -> list[dict[str, Any]]:
    users = getattr(state, "users", None) or {}
    orders = _rows(state, "orders")
    if q and _DIGITS.match(q):
        n = int(q)
        orders = [o for o in orders if o.get("id") == n or o.get("userId") == n]
    elif q:
        orders = [o for o in orders if _like((users.get(o.get("userId")) or {}).get("email"), q)
                  or _like(o.get("status"), q) or _like(o.get("description"), q)]
    orders.sort(key=lambda o: str(o.get("createdAt") or ""), reverse=True)
    return [{k: o.get(k) for k in ORDER_FIELDS} for o in orders[:LIMIT]]


@route("GET", "/api/admin/search", gates=ADMIN_GATE)
def search(req: Request) -> Any:
    state = req.state
    q = (req.arg("q") or "").strip()
    return {"users": _search_users(state, q), "organisations": _search_orgs(state, q),
            "servers": _search_servers(state, q), "orders": _search_orders(state, q)}


# -- stats and counts (docs/panel/search.md#stats, docs/panel/search.md#counts) ---------------

def _count(rows: list[dict[str, Any]], field: str, value: Any) -> int:
    return sum(1 for r in rows if r.get(field) == value)


def _submissions(state: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(anti-abuse incidents, submissions of every other form)."""
    abuse_forms = {f.get("id") for f in _rows(state, "app_forms") if f.get("slug") == ANTIABUSE_SLUG}
    subs = _rows(state, "app_submissions")
    return ([s for s in subs if s.get("formId") in abuse_forms], [s for s in subs if s.get("formId") not in abuse_forms])


def _total_servers(state: Any) -> int:
    try:
        from eclictl.sandbox.routes import servers as srv

        total = 0
        for node_id in srv.nodes(state):
            if srv.node_online(state, node_id):
                total += len(srv.wings(state, node_id))
            else:
                total += sum(1 for c in _rows(state, "servers") if c.get("nodeId") == node_id)
        return total
    except Exception:  # noqa: BLE001
        return len(_rows(state, "servers"))


def _response_times(tickets: list[dict[str, Any]]) -> tuple[float | None, int]:
    """Mean ms from a user message to the next staff reply, over the given tickets."""
    intervals: list[float] = []
    for t in tickets:
        waiting: datetime | None = None
        for msg in t.get("messages") or []:
            if not isinstance(msg, dict):
                continue
            at = _parse(msg.get("created"))
            if at is None:
                continue
            if msg.get("sender") == "user" and waiting is None:
                waiting = at
            elif msg.get("sender") == "staff" and waiting is not None:
                intervals.append((at - waiting).total_seconds() * 1000)
                waiting = None
    if not intervals:
        return None, 0
    return round(sum(intervals) / len(intervals)), len(intervals)


@route("GET", "/api/admin/stats", gates=ADMIN_GATE)
def stats(req: Request) -> Any:
    state = req.state
    users, tickets = _rows(state, "users"), _rows(state, "tickets")
    kyc, deletions = _rows(state, "verifications"), _rows(state, "deletions")
    abuse, others = _submissions(state)
    cutoff = now(state) - timedelta(days=30)
    recent = [t for t in tickets if not t.get("aiMarkedSpam")
              and any((d := _parse(t.get(k))) is not None and d >= cutoff for k in ("created", "updatedAt"))]
    avg30, n30 = _response_times(recent)
    avg_all, n_all = _response_times(tickets[:2000])
    feedback = [f for f in _rows(state, "feedback") if "elo" not in str(f.get("type") or f.get("source") or "")]
    return {
        "totalUsers": len(users), "totalServers": _total_servers(state), "totalNodes": len(_rows(state, "nodes")),
        "totalOrganisations": len(_rows(state, "organisations")),
        "pendingTickets": _count(tickets[:2000], "status", "open"),  # new tickets are `opened`: undercounts
        "pendingVerifications": _count(kyc, "status", "pending"), "pendingDeletions": _count(deletions, "status", "pending"),
        "fraudAlerts": sum(1 for u in users if u.get("fraudFlag") is True),
        "serverActions": _count(_rows(state, "user_logs"), "targetType", "server"),
        "abuseReports": len(abuse), "pendingApplications": _count(others, "status", "pending"),
        "totalVerifications": len(kyc), "totalDeletions": len(deletions), "totalFeedback": len(feedback),
        "avgTicketResponseMs": avg30, "avgTicketResponseSampleCount": n30,
        "avgTicketResponseMsLast30": avg30, "avgTicketResponseSampleCountLast30": n30,
        "avgTicketResponseMsGlobal": avg_all, "avgTicketResponseSampleCountGlobal": n_all,
    }


@route("GET", "/api/admin/counts", gates=(("PAGE", ""),))  # no A(admin:access) on the panel
def counts(req: Request) -> Any:
    state = req.state
    return {
        "kycPending": _count(_rows(state, "verifications"), "status", "pending"),
        "studentPending": _count(_rows(state, "student_verifications"), "status", "pending"),
        "ticketsOpen": _count(_rows(state, "tickets"), "status", "open"),
        "fraudUsers": sum(1 for u in _rows(state, "users") if u.get("fraudFlag") is True),
        "ordersPending": _count(_rows(state, "orders"), "status", "payment_sent"),
        "socAlerts": _count(_rows(state, "security_findings"), "status", "open"),
    }


# -- SOC overview and usage (docs/panel/search.md#soc-overview, docs/panel/search.md#soc-usage) ---

def _soc_row(row: dict[str, Any]) -> dict[str, Any]:
    """The SocData shape; rows written by routes/metrics.py's seed keep their numbers as `metrics`."""
    metrics = row.get("metrics")
    if not isinstance(metrics, dict):
        metrics = {k: v for k, v in row.items() if k not in ("id", "serverId", "serverUuid", "timestamp")}
    return {"id": row.get("id"), "serverId": row.get("serverId") or row.get("serverUuid"), "metrics": metrics,
            "timestamp": row.get("timestamp")}


def _owned_uuids(state: Any, user_id: Any) -> set[str]:
    """Servers Wings reports as owned by the caller (every reachable node is queried)."""
    try:
        from eclictl.sandbox.routes import servers as srv

        owned: set[str] = set()
        for node_id in srv.nodes(state):
            if not srv.node_online(state, node_id):
                continue
            for live in srv.wings(state, node_id).values():
                cfg = (getattr(state, "servers", None) or {}).get(live.get("uuid")) or {}
                if live.get("owner", cfg.get("userId")) == user_id:
                    owned.add(str(live.get("uuid")))
        return owned
    except Exception:  # noqa: BLE001
        return set()


@route("GET", "/api/soc/overview")  # authenticated only; the view depends on S(soc:read)
def soc_overview(req: Request) -> Any:
    from eclictl.sandbox.auth import allowed

    state = req.state
    rows = sorted((_soc_row(r) for r in _rows(state, "soc_data")),
                  key=lambda r: (str(r.get("timestamp") or ""), r.get("id") or 0), reverse=True)
    if allowed(req.principal, "S", "soc:read", state):
        return rows[:500]
    owned = _owned_uuids(state, req.principal.user_id)
    return [r for r in rows if r.get("serverId") in owned][:200]


def _usage(req: Request, field: str) -> Any:
    wanted = req.param_int("id")
    grouped: dict[str, int] = {}
    for row in _rows(req.state, "api_request_log"):
        if wanted is not None and row.get(field) == wanted:
            endpoint = str(row.get("endpoint") or "")
            grouped[endpoint] = grouped.get(endpoint, 0) + 1
    return [{"endpoint": e, "count": str(n)} for e, n in grouped.items()]  # raw COUNT(*) -> string


@route("GET", "/api/soc/usage/user/:id")  # authenticated only: no permission check at all
def soc_usage_user(req: Request) -> Any:
    return _usage(req, "userId")


@route("GET", "/api/soc/usage/org/:id")
def soc_usage_org(req: Request) -> Any:
    return _usage(req, "organisationId")
