"""Which failures are safe to retry, and how long to wait.

EcliPanel has no Idempotency-Key, so a write is re-sent only when the panel provably did not
process it: a connect error (nothing was sent) or a 429 (the global rate limiter in app.ts
answers before any handler runs, so the request had no effect). After a 5xx, a timeout or a
reset, only reads and the routes api/writes.txt declares repeatable are sent again.
"""

from __future__ import annotations

import random
from email.utils import parsedate_to_datetime

from eclictl.api.writes import may_resend

RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})
MAX_RETRY_AFTER = 60.0


def may_retry_status(method: str, status: int, path: str) -> bool:
    if status == 429:
        return True  # rejected by the rate limiter before any handler ran: safe for every method
    return status in RETRY_STATUSES and may_resend(method, path)


def may_retry_read_error(method: str, path: str) -> bool:
    """A read error means the request may have reached the panel: reads and repeatable writes only."""
    return may_resend(method, path)


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            import time

            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return max(0.0, min(seconds, MAX_RETRY_AFTER))


def backoff(attempt: int, *, status: int | None = None, retry_after: float | None = None,
            rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number `attempt` (0-based).

    The real panel's 429 has no Retry-After and a 60 s fixed window, so 429s back off longer.
    """
    if retry_after is not None:
        return retry_after
    rng = rng or random
    if status == 429:
        base = min(4.0 * 2**attempt, MAX_RETRY_AFTER)
    else:
        base = min(0.5 * 2**attempt, 8.0)
    return base * (0.75 + 0.5 * rng.random())
