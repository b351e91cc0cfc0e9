"""Times, parsed and written one way for every verb: panel dates, `--since` values and the panel's ISO form.

The panel writes dates as JavaScript's `toISOString()` (`2025-05-01T12:34:56.000Z`); users may give a
date, an ISO time with or without a zone (UTC when none), or a duration back from now (`--since 30d`).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from eclictl.errors import UsageError

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$", re.I)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def parse_since(text: str, *, now: datetime | None = None, option: str = "--since") -> datetime:
    """`30d`, `12h`, `90m`, `2w`, `45s` before now, or a date / ISO timestamp (UTC when no zone)."""
    match = _DURATION.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        return (now or utcnow()) - timedelta(**{_UNITS[unit]: amount})
    when = parse_time(text.strip())
    if when is None:
        raise UsageError(f"{option} expects a duration (30d, 12h, 90m, 2w) or a date (2025-05-01), got '{text}'")
    return when


def parse_time(value: Any) -> datetime | None:
    """A panel date (`2025-05-01T12:34:56.000Z`) or user date as an aware datetime; None if unparseable."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
