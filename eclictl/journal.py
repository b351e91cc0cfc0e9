"""The bulk journal: one JSON line per finished item, durable line by line, and resume from it.

Each line is `{"item", "status", "message", "at"}` (status: done | failed | skipped; `at` is UTC
ISO-8601). Every line is flushed and fsync'ed before the next item is reported, so a crash or a
Ctrl-C loses at most the line being written; `load_finished` ignores a torn last line.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

FINISHED = frozenset({"done", "skipped"})


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Journal:
    """Append-only, thread-safe; open it with `Journal(path)` and `close()` it (or use `with`)."""

    def __init__(self, path: str | os.PathLike[str], *, now: Callable[[], str] = _utc_now) -> None:
        self.path = Path(path)
        self._now = now
        self._lock = threading.Lock()
        self._file: Any = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()

    def record(self, item: str, status: str, message: str = "") -> None:
        line = json.dumps({"item": item, "status": status, "message": message, "at": self._now()},
                          ensure_ascii=False)
        with self._lock:
            if self._file is None:
                return
            self._file.write(line + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def read_entries(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every well-formed line of a journal (a missing file is an empty journal)."""
    entries: list[dict[str, Any]] = []
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a torn line from a crash mid-write
                if isinstance(entry, dict) and "item" in entry and "status" in entry:
                    entries.append(entry)
    except FileNotFoundError:
        return []
    return entries


def load_finished(path: str | os.PathLike[str]) -> dict[str, str]:
    """Items that need no new attempt: item -> status, for items ever journaled as done or skipped."""
    finished: dict[str, str] = {}
    for entry in read_entries(path):
        status = str(entry.get("status"))
        if status in FINISHED:
            finished[str(entry["item"])] = status
    return finished
