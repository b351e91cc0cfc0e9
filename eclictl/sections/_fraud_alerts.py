"""Fraud alerts: reading them, `--since` times and the alert filter (`eclictl fraud`, `antiabuse`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Iterable

from eclictl.errors import UsageError
from eclictl.times import parse_since, parse_time

PATH = "/api/admin/fraud-alerts"


def fetch_alerts(api: Any) -> list[dict[str, Any]]:
    """Every alert (the panel has no filters or paging); non-object entries are ignored."""
    # api.rows also reads a future `{alerts: [...]}` envelope, and refuses an answer with no list at all
    return [row for row in api.rows(PATH) if row.get("id") is not None]


def _user_id(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class AlertFilter:
    """The client-side filters shared by `list` and `dismiss --all-matching`."""

    since: datetime | None = None
    reason: str | None = None
    suspended: bool | None = None
    cursor: datetime | None = None  # --since-last-run: alerts detected at or after it
    #: A user flagged by hand (`users edit --set fraudFlag=true`, the portal's edit form) has no
    #: fraudDetectedAt (adminHandler.ts PUT /admin/users/:id): --since cannot date it.
    include_undated: bool = False

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.since, self.reason, self.suspended, self.cursor))

    def matches(self, row: dict[str, Any]) -> bool:
        detected = parse_time(row.get("fraudDetectedAt"))
        if self.since is not None:
            if detected is None and not self.include_undated:
                return False
            if detected is not None and detected < self.since:
                return False
        # An alert without a detection time cannot be proven old: a cursor never skips it.
        if self.cursor is not None and detected is not None and detected < self.cursor:
            return False
        if self.reason is not None and self.reason.lower() not in str(row.get("fraudReason") or "").lower():
            return False
        if self.suspended is not None and bool(row.get("suspended")) != self.suspended:
            return False
        return True


    def left_out_undated(self, rows: Iterable[dict[str, Any]]) -> int:
        """How many rows --since left out only because they have no detection time."""
        if self.since is None or self.include_undated:
            return 0
        wider = replace(self, include_undated=True)
        return sum(1 for r in rows if parse_time(r.get("fraudDetectedAt")) is None and wider.matches(r))


def note_undated(ctx: Any, flt: AlertFilter, rows: Iterable[dict[str, Any]]) -> None:
    """Say how many hand-flagged alerts --since left out (they would otherwise vanish silently)."""
    count = flt.left_out_undated(rows)
    if count:
        ctx.info(f"note: {count} alert(s) flagged by hand have no detection time and were left out by --since; "
                 "add --include-undated to include them")


def _filter(since: str | None, reason: str | None, suspended: bool | None,
            include_undated: bool = False) -> AlertFilter:
    when = parse_since(since) if since else None
    if reason is not None and not reason.strip():
        raise UsageError("--reason-contains cannot be empty")
    if include_undated and when is None:
        raise UsageError("--include-undated only applies with --since")
    return AlertFilter(since=when, reason=reason, suspended=suspended, include_undated=include_undated)


def resolve_user_id(api: Any, ref: str) -> int:
    """An id, or the id of the user with exactly this e-mail (users.resolve_user_id)."""
    from eclictl.sections.users import resolve_user_id as resolve

    return resolve(api, ref)
