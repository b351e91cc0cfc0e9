"""Sandbox: panel metrics (docs/panel/observability.md#metrics).

Figures are computed from the other sandbox tables when they exist (users, organisations,
servers, tickets, orders, logs); `clear` empties the SOC usage table (`state.soc_data`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from eclictl.sandbox.router import Request, admin, route
from eclictl.sandbox.state import iso, now, parse_iso

GATE = admin("admin:metrics")
ONLINE = {"running", "online", "up", "healthy", "available"}
TRANSITIONING = {"starting", "stopping", "restarting", "installing", "transferring", "suspending", "unsuspending"}


def seed(state: Any, rng: Any) -> None:
    if getattr(state, "soc_data", None) is None:
        base = now(state)
        state.soc_data = {n: {"id": n, "serverUuid": f"srv-{n % 7}", "cpu": rng.randint(0, 100),
                              "memory": rng.randint(128, 8192), "timestamp": iso(base - timedelta(minutes=5 * n))}
                          for n in range(1, 121)}


def _table(state: Any, name: str) -> list[dict[str, Any]]:
    value = getattr(state, name, None)
    if isinstance(value, dict):
        return [v for v in value.values() if isinstance(v, dict)]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def _day(value: Any) -> str | None:
    dt = parse_iso(value)
    return dt.strftime("%Y-%m-%d") if dt else None


def _count_in(rows: list[dict[str, Any]], field: str, start: Any, end: Any) -> int:
    n = 0
    for r in rows:
        dt = parse_iso(r.get(field))
        if dt is not None and start <= dt < end:
            n += 1
    return n


def _growth(current: int, previous: int) -> float:
    if previous == 0:
        return 100.0 if current else 0.0
    return round((current - previous) / previous * 100, 1)


@route("GET", "/api/admin/metrics", gates=GATE)
def metrics(req: Request) -> Any:
    state = req.state
    try:
        days = int(req.arg("days") or 30)
    except ValueError:
        days = 30
    days = max(7, min(365, days))
    today = now(state).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=days - 1)
    end = today + timedelta(days=1)
    prev_start = start - timedelta(days=days)
    logs = _table(state, "user_logs")
    registrations = [r for r in logs if r.get("action") == "register"]
    org_logs = [r for r in logs if r.get("action") == "org:create"]
    server_actions = [r for r in logs if r.get("targetType") == "server"]
    tickets, orders = _table(state, "tickets"), _table(state, "orders")
    servers = _table(state, "servers")
    states = [str(s.get("status") or s.get("state") or "").lower() for s in servers]
    kyc, deletions = _table(state, "verifications"), _table(state, "deletions")
    summary = {
        "totalUsers": len(state.users), "totalOrganisations": len(_table(state, "organisations")),
        "totalServers": len(servers), "totalTickets": len(tickets), "totalOrders": len(orders),
        "serversOnline": sum(s in ONLINE for s in states),
        "serversTransitioning": sum(s in TRANSITIONING for s in states),
        "serversOffline": sum(s not in ONLINE and s not in TRANSITIONING for s in states),
        "registrationsCurrent": _count_in(registrations, "timestamp", start, end),
        "registrationsPrevious": _count_in(registrations, "timestamp", prev_start, start),
        "organisationsCurrent": _count_in(org_logs, "timestamp", start, end),
        "organisationsPrevious": _count_in(org_logs, "timestamp", prev_start, start),
        "ticketsCurrent": _count_in(tickets, "created", start, end),
        "ordersCurrent": _count_in(orders, "createdAt", start, end),
        "serverActions": _count_in(server_actions, "timestamp", start, end),
        "abuseReports": len(_table(state, "incidents")),
        "totalVerifications": len(kyc), "totalDeletions": len(deletions),
    }
    summary["registrationGrowthPercent"] = _growth(summary["registrationsCurrent"], summary["registrationsPrevious"])
    summary["organisationGrowthPercent"] = _growth(summary["organisationsCurrent"], summary["organisationsPrevious"])
    series = []
    cumulative = _count_in(registrations, "timestamp", start - timedelta(days=3650), start)
    for i in range(days):
        d0 = start + timedelta(days=i)
        d1 = d0 + timedelta(days=1)
        reg = _count_in(registrations, "timestamp", d0, d1)
        cumulative += reg
        series.append({"date": d0.strftime("%Y-%m-%d"), "registrations": reg, "cumulativeRegistrations": cumulative,
                       "organisations": _count_in(org_logs, "timestamp", d0, d1),
                       "tickets": _count_in(tickets, "created", d0, d1),
                       "orders": _count_in(orders, "createdAt", d0, d1),
                       "serverActions": _count_in(server_actions, "timestamp", d0, d1),
                       "verifications": _count_in(kyc, "createdAt", d0, d1),
                       "deletions": _count_in(deletions, "createdAt", d0, d1), "abuseReports": 0})
    return {"window": {"days": days, "start": iso(start), "end": iso(today)}, "summary": summary, "series": series}


@route("POST", "/api/admin/metrics/clear", gates=GATE)
def clear(req: Request) -> Any:
    table = getattr(req.state, "soc_data", None)
    deleted = len(table) if table is not None else 0
    if isinstance(table, (dict, list)):
        table.clear()
    return {"success": True, "deleted": deleted}
