"""Limits check: the panel's rate-limit headroom as seen by this run, and eclictl's own pacing.

The panel's global limiter (backend/src/app.ts) is a fixed window of 500 requests per 60 s per
client IP, and it announces nothing: no RateLimit-* or X-RateLimit-* headers, and no Retry-After
on its 429. So headroom is read from such headers only when a proxy in front of the panel adds
them; otherwise what this run can tell is whether the panel refused it (429) just now.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from eclictl.doctor.checks import FAIL, OK, SKIP, WARN, Check, Probe

PANEL_LIMIT_PER_MINUTE = 500
HEADROOM_WARN = 0.1
_PAIRS = (("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"),
          ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"))


def run(probe: Probe) -> list[Check]:
    checks = [headroom(probe.seen, probe.rate_limited) if probe.reachable else
              Check("limits.headroom", SKIP, "the panel did not answer: no rate-limit reading")]
    try:
        checks.append(pacing(probe.ctx.settings.rate))
    except Exception:  # noqa: BLE001 - a broken config is reported by the config checks
        pass
    return checks


def read_headers(headers: Mapping[str, str]) -> dict[str, int] | None:
    """limit/remaining/reset from RateLimit-*, X-RateLimit-* or a structured `RateLimit` header."""
    lower = {k.lower(): v for k, v in headers.items()}
    for limit_key, remaining_key, reset_key in _PAIRS:
        if remaining_key in lower:
            out = {"limit": _int(lower.get(limit_key)), "remaining": _int(lower.get(remaining_key)),
                   "reset": _int(lower.get(reset_key))}
            return out if out["remaining"] is not None else None
    combined = lower.get("ratelimit")
    if combined:
        found = dict(re.findall(r"(limit|remaining|reset|r|t)\s*=\s*(\d+)", combined))
        remaining = _int(found.get("remaining") or found.get("r"))
        if remaining is not None:
            return {"limit": _int(found.get("limit")), "remaining": remaining,
                    "reset": _int(found.get("reset") or found.get("t"))}
    return None


def _int(value: Any) -> int | None:
    try:
        return int(str(value).split(",")[0].split(";")[0].strip())
    except (TypeError, ValueError):
        return None


def headroom(seen: list[tuple[int, Mapping[str, str]]], rate_limited: bool) -> Check:
    """Judge the answers this run saw: a 429, announced headroom, or neither."""
    limited = rate_limited or any(status == 429 for status, _ in seen)
    readings = [r for r in (read_headers(h) for _, h in seen) if r]
    last = readings[-1] if readings else None
    details: dict[str, Any] = {"requests": len(seen), "announced": last, "refused": limited,
                               "panel_limit_per_minute": PANEL_LIMIT_PER_MINUTE}
    if limited:
        return Check("limits.headroom", FAIL, f"the panel refused requests with 429 during this check: its window "
                     f"({PANEL_LIMIT_PER_MINUTE} requests per 60 s per client IP) is full",
                     "wait up to 60 s; lower `rate` for bulk runs (eclictl config set rate 300); other clients "
                     "behind the same IP share the window", details)
    if last:
        left, limit = last["remaining"], last["limit"]
        of = f" of {limit}" if limit else ""
        reset = f", window resets in {last['reset']} s" if last.get("reset") is not None else ""
        if left <= 0:
            return Check("limits.headroom", FAIL, f"no requests left{of}{reset}",
                         "wait for the window to reset before running bulk jobs", details)
        if limit and left / limit < HEADROOM_WARN:
            return Check("limits.headroom", WARN, f"{left}{of} requests left{reset}",
                         "pause bulk jobs or lower `rate` until the window resets", details)
        return Check("limits.headroom", OK, f"{left}{of} requests left{reset}", details=details)
    return Check("limits.headroom", OK, f"no 429 in {len(seen)} requests; the panel announces no headroom (its "
                 f"limit: {PANEL_LIMIT_PER_MINUTE} requests per 60 s per client IP, fixed window)", details=details)


def pacing(rate: int) -> Check:
    details = {"rate_per_minute": rate, "panel_limit_per_minute": PANEL_LIMIT_PER_MINUTE}
    if rate == 0:
        return Check("limits.pacing", WARN, "bulk runs are unpaced (rate 0): a concurrent run can pass the panel's "
                     f"{PANEL_LIMIT_PER_MINUTE} requests per minute and get 429s",
                     "eclictl config set rate 450", details)
    if rate > PANEL_LIMIT_PER_MINUTE:
        return Check("limits.pacing", WARN, f"bulk runs are paced at {rate}/min, above the panel's "
                     f"{PANEL_LIMIT_PER_MINUTE}/min: they will meet 429s", "eclictl config set rate 450", details)
    return Check("limits.pacing", OK, f"bulk runs are paced at {rate}/min (the panel allows "
                 f"{PANEL_LIMIT_PER_MINUTE}/min per IP)", details=details)
