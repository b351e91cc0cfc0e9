"""Node health: heartbeat times, the healthy/unhealthy rule, server counts and sparklines (`eclictl nodes`)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from eclictl.errors import UsageError
from eclictl.times import parse_time

PATH = "/api/nodes"


STALE_S = 120  # docs/panel/nodes.md#heartbeats-and-health: newest ping older than this = unhealthy


SPARK = "▁▂▃▄▅▆▇█"


def _now() -> datetime:
    """The panel's time when known (immune to local clock skew), else the local clock."""
    from eclictl.context import current

    stamp = getattr(current(), "nodes_server_now", None)
    return stamp if isinstance(stamp, datetime) else datetime.now(timezone.utc)


def _get_dated(ctx: Any, path: str, params: dict[str, Any] | None = None) -> Any:
    """GET and remember the panel's clock from the `Date` header (pings are judged by it)."""
    from email.utils import parsedate_to_datetime

    resp = ctx.api.request("GET", path, params=params)
    stamp: datetime | None = None
    try:
        stamp = parsedate_to_datetime(resp.headers.get("date", ""))
    except (TypeError, ValueError, IndexError):
        stamp = None
    if stamp is not None and stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    ctx.nodes_server_now = stamp
    return resp.data


def _seconds_ago(value: Any) -> float | None:
    moment = parse_time(value)
    return None if moment is None else max(0.0, (_now() - moment).total_seconds())


def health_of(points: Any) -> dict[str, Any]:
    """The panel's health verdict plus the status-page class (docs/panel/nodes.md#heartbeats-and-health), from a node's pings (oldest first)."""
    pts = [p for p in points if isinstance(p, dict)] if isinstance(points, list) else []
    if not pts:
        return {"state": "healthy", "reason": "no pings recorded (counted as healthy)", "statusPage": "offline",
                "lastStatus": None, "latencyMs": None, "lastSeenAt": None, "errorMessage": None}
    last = pts[-1]
    age = _seconds_ago(last.get("timestamp"))
    status = last.get("status")
    failed = f"last ping {status}: {last.get('errorMessage') or 'no message'}"
    if age is None or age > STALE_S:
        state, reason = "unhealthy", "no ping for over 120 s" + ("" if status == "ok" else f"; {failed}")
    elif status != "ok":
        state, reason = "unhealthy", failed
    else:
        state, reason = "healthy", "last ping ok"
    if age is not None and age <= STALE_S and status == "ok":
        page = "online"
    elif age is not None and age <= 600:
        page = "degraded"
    else:
        page = "offline"
    return {"state": state, "reason": reason, "statusPage": page, "lastStatus": status,
            "latencyMs": last.get("responseMs"), "lastSeenAt": last.get("timestamp"),
            "errorMessage": last.get("errorMessage")}


def _all_points(ctx: Any) -> dict[str, Any]:
    body = _get_dated(ctx, f"{PATH}/heartbeats")
    return body if isinstance(body, dict) else {}


def _server_counts(ctx: Any) -> dict[Any, int] | None:
    """Servers per node id from `GET /api/admin/servers` (needs admin:servers:read; slow on big panels).

    That route pages by `page` (50 a page, `{servers, total, page, per}`) and its rows carry `uuid`,
    not `id`, so it is paged here by `total`/`per` and de-duplicated by uuid.
    """
    from eclictl.api.errors import ApiBadResponseError, ApiStatusError
    from eclictl.api.pagination import rows_of

    counts: dict[Any, int] = {}
    seen: set[str] = set()
    page = 1
    try:
        while page <= 10_000:
            body = ctx.api.get("/api/admin/servers", params={"page": page})
            items = rows_of(body, "servers", "GET /api/admin/servers")
            fresh = 0
            for item in items:
                key = str(item.get("uuid") or "").replace("-", "").lower()
                if key:
                    if key in seen:
                        continue
                    seen.add(key)
                fresh += 1
                if item.get("nodeId") is not None:
                    counts[str(item["nodeId"])] = counts.get(str(item["nodeId"]), 0) + 1
            total = body.get("total") if isinstance(body, dict) else None
            per = body.get("per") if isinstance(body, dict) else None
            if not fresh or (isinstance(total, int) and len(seen) >= total) \
                    or (isinstance(per, int) and len(items) < per) or not isinstance(body, dict):
                break
            page += 1
    except (ApiStatusError, ApiBadResponseError) as exc:  # never a count of 0 the panel did not give
        ctx.warn(f"server counts unavailable ({exc}); use --no-servers to skip them")
        return None
    return counts


def _with_health(node: dict[str, Any], points: Any, counts: dict[Any, int] | None) -> dict[str, Any]:
    row = dict(node)
    row["endpoint"] = node.get("fqdn") or node.get("url")  # what the FQDN/URL column shows
    row["health"] = health_of(points)
    if counts is not None:
        row["serverCount"] = counts.get(str(node.get("id")), 0)
    return row


_DURATION = re.compile(r"^(\d+)\s*([smhd])$")


def _since_seconds(value: str) -> float:
    """`30m`, `6h`, `2d` or an ISO time -> seconds back from now (panel keeps 7 days)."""
    text = value.strip().lower()
    m = _DURATION.match(text)
    if m:
        seconds = int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    else:
        moment = parse_time(value.strip())
        if moment is None:
            raise UsageError(f"--since expects a duration like 30m, 6h, 7d or an ISO time, got '{value}'")
        seconds = (_now() - moment).total_seconds()
    if seconds <= 0:
        raise UsageError("--since must be in the past")
    if seconds > 7 * 86400:
        raise UsageError("--since reaches back more than 7 days; the panel purges pings after 7 days")
    return seconds


def sparkline(values: list[Any]) -> str:
    nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not nums:
        return ""
    low, high = min(nums), max(nums)
    span = (high - low) or 1
    return "".join(SPARK[min(len(SPARK) - 1, int((v - low) / span * (len(SPARK) - 1)))] for v in nums)
