"""Rate pacing for bulk runs: a thread-safe token bucket (GCRA form) under a requests/minute budget.

Pure: the clock and the sleep are injected, so tests drive it with a fake clock and never sleep.
`rate` is a budget per minute (0 or None = unlimited); `burst` is how many starts may happen back
to back before the interval applies (1 = strictly one start every 60/rate seconds).
"""

from __future__ import annotations

import threading
import time
from typing import Callable


class Pacer:
    def __init__(self, rate: int | float | None, *, burst: int = 1,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate is not None and rate < 0:
            raise ValueError("rate must be >= 0")
        self.rate = float(rate or 0)
        self.burst = max(1, int(burst))
        self.interval = 60.0 / self.rate if self.rate else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tat: float | None = None  # theoretical arrival time of the next conforming start
        self.waited = 0.0  # total seconds spent waiting (for reports and tests)

    @property
    def unlimited(self) -> bool:
        return not self.rate

    def reserve(self) -> float:
        """Claim the next slot; return how long the caller must wait before using it (no sleeping)."""
        if self.unlimited:
            return 0.0
        with self._lock:
            now = self._clock()
            tat = now if self._tat is None else max(self._tat, now)
            allowed_at = tat - (self.burst - 1) * self.interval
            wait = max(0.0, allowed_at - now)
            self._tat = tat + self.interval
            return wait

    def acquire(self) -> float:
        """Wait (through the injected sleep) until a start is allowed; returns the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
            with self._lock:
                self.waited += wait
        return wait

    def pause(self, seconds: float) -> None:
        """Push the next allowed start `seconds` into the future (after a 429: the window is full)."""
        if seconds <= 0:
            return
        with self._lock:
            now = self._clock()
            resume_at = now + seconds + (self.burst - 1) * self.interval
            self._tat = max(self._tat or now, resume_at)
