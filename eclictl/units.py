"""Sizes and CPU amounts, parsed one way for every verb (plans, users' limits, servers).

The grammar is the panel's own `parseSizeToMB` / `parseCpuInput` (backend/src/handlers/adminHandler.ts):
a bare number is MiB ("MB" on the panel, always binary: 1G = 1024), units b, k/kb, m/mb, g/gb, t/tb
(case-insensitive, an optional trailing "s", a decimal comma allowed); CPU is a percentage of one core
(150, "150%") or cores ("1.5 cores", "2 vcpu"; the panel reads "2 cpu" as 2 %, so it is refused). Routes that only take numbers (plans) get the MiB
integer computed here; routes that parse units themselves (user limits) get the text checked here.
"""

from __future__ import annotations

import re
from typing import Any

SIZE_RE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*(b|kb|k|mb|m|gb|g|tb|t)?s?$", re.I)
_FACTOR = {"b": 1 / (1024 * 1024), "k": 1 / 1024, "kb": 1 / 1024, "m": 1, "mb": 1, "g": 1024, "gb": 1024,
           "t": 1024 * 1024, "tb": 1024 * 1024}
SIZE_HELP = "MiB, or with a unit: 512M, 4G, 1.5T"


def _half_up(value: float) -> int:
    """JavaScript's Math.round (halves go up), not Python's banker's rounding."""
    import math

    return int(math.floor(value + 0.5))


def parse_size_mib(value: Any) -> int | None:
    """MiB for 4096, "4096", "4GB", "1.5t", "512 mb"; None when it is not a size."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _half_up(float(value)) if value >= 0 else None
    if not isinstance(value, str):
        return None
    m = SIZE_RE.match(value.strip().lower().replace(",", ".", 1))
    if not m:
        return None
    return _half_up(float(m.group(1)) * _FACTOR[(m.group(2) or "mb").lower()])


def parse_cpu_percent(value: Any) -> float | None:
    """Percent of one core for 150, "150%", "1.5 cores", "2 vcpu"; None when it is not a CPU amount."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if value >= 0 else None
    if not isinstance(value, str):
        return None
    text = value.strip().lower().replace(",", ".", 1)
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*(%|cores?|vcpus?|vcores?)?", text)  # "2 cpu" would be 2 %
    if not m:
        return None
    number = float(m.group(1))
    return number * 100 if m.group(2) and m.group(2) != "%" else number


def size_option(flag: str, raw: str | None) -> int | None:
    """A `--memory 4G` style option as MiB (UsageError on anything else)."""
    if raw is None:
        return None
    mib = parse_size_mib(raw)
    if mib is None:
        from eclictl.errors import UsageError

        raise UsageError(f"{flag} must be a size ({SIZE_HELP}), got '{raw}'")
    return mib


def human_duration(ms: float) -> str:
    """A duration in milliseconds as a person reads it: `850ms`, `12s`, `5m 3s`, `2h 0m`, `3d 4h`."""
    if ms < 1000:
        return f"{_half_up(ms)}ms"
    seconds = _half_up(ms / 1000)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"
