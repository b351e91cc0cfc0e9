"""What a paginated fetch tells the user on stderr: progress on a terminal, and the first-page note.

The API client reports every page to a `FetchReporter` (eclictl/api/pagination.py calls it):

* progress: once a fetch has taken more than `DELAY` seconds, a `fetching page 4 (150 of 2000
  rows)...` line is drawn on stderr while each further page is awaited and erased when it arrives
  (so rows streamed to the same terminal never land on it); only when stdout and stderr are both
  terminals, never in pipes.
* the first-page note: a list that showed only the panel's first page while the panel stated more
  rows says so once, on stderr, in pipes too ("50 of 57 shown; --all for every page"). Only rows
  the renderer prints count (not a lookup that read one page to resolve a name).
"""

from __future__ import annotations

import threading
from typing import Callable, TextIO

#: Seconds a fetch runs before progress is shown.
DELAY = 0.5
_CLEAR = "\r\033[K"


class FetchReporter:
    def __init__(self, err: TextIO, *, progress: bool, clock: Callable[[], float],
                 rendering: Callable[[], bool]) -> None:
        self.err = err
        self.progress = progress
        self.clock = clock
        self.rendering = rendering
        self.started: float | None = None
        self.drawn = False
        self.notes: list[str] = []

    def fetching(self, page: int, rows: int, total: int | None) -> None:
        """Before each page request: draw the progress line once the fetch has taken a moment."""
        if not self.progress or threading.current_thread() is not threading.main_thread():
            return  # (bulk workers resolving names in parallel would draw over each other)
        now = self.clock()
        if self.started is None or page <= 1:
            self.started = now
            return
        if now - self.started < DELAY:
            return
        of = f" of {total}" if total is not None else ""
        self.err.write(f"{_CLEAR}fetching page {page} ({rows}{of} rows so far)...")
        self.err.flush()
        self.drawn = True

    def fetched(self) -> None:
        """A page arrived (or the fetch ended): erase the progress line."""
        if self.drawn:
            self.err.write(_CLEAR)
            self.err.flush()
            self.drawn = False

    def finished(self) -> None:
        self.fetched()
        self.started = None

    def partial(self, shown: int, total: int | None, total_pages: int | None) -> None:
        """Only the first page was shown while the panel stated more (said after the output)."""
        if not self.rendering():
            return
        if total is not None and total > shown:
            self.notes.append(f"{shown} of {total} shown; --all for every page")
        elif total_pages is not None and total_pages > 1:
            self.notes.append(f"page 1 of {total_pages} shown; --all for every page")

    def flush_notes(self) -> None:
        for note in dict.fromkeys(self.notes):
            self.err.write(note + "\n")
        self.notes.clear()
