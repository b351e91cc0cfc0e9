"""The bulk journal: one JSON line per finished item, durable line by line, and resume from it.

The first line is a header naming what wrote the journal:
`{"journal": "eclictl", "version": 1, "action", "command", "params", "panel", "profile", "at"}`.
Each further line is `{"item", "status", "message", "at"}` (status: done | failed | skipped; `at`
is UTC ISO-8601). Every line is flushed and fsync'ed before the next item is reported, so a crash
or a Ctrl-C loses at most the line being written. A line torn by `kill -9` is ended with a newline
before anything is appended, and the reader recovers a record glued to a torn line (journals
written before that fix), so a torn line never hides the record after it.

`--resume` refuses a journal whose header names another command, other arguments or another
panel: its "done" items say nothing about this run. Journals without a header (older eclictl)
are still read, with a warning.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

from eclictl.errors import UsageError

FINISHED = frozenset({"done", "skipped"})
MAGIC = "eclictl"
#: Header fields that must match for a journal to be resumed or appended to.
IDENTITY = ("action", "command", "params", "panel")


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_header(identity: Mapping[str, Any], now: str) -> dict[str, Any]:
    return {"journal": MAGIC, "version": 1, **{k: identity.get(k) for k in (*IDENTITY, "profile")}, "at": now}


def is_header(entry: Any) -> bool:
    return isinstance(entry, dict) and entry.get("journal") == MAGIC


class Journal:
    """Append-only, thread-safe; open it with `Journal(path)` and `close()` it (or use `with`).

    A new (or empty) file starts with a header made from `identity`; an existing one gets a
    newline first when its last line was torn.
    """

    def __init__(self, path: str | os.PathLike[str], *, now: Callable[[], str] = _utc_now,
                 identity: Mapping[str, Any] | None = None) -> None:
        self.path = Path(path)
        self._now = now
        self._lock = threading.Lock()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise UsageError(f"cannot write the journal {self.path}: {exc.strerror or exc}") from None
        self._file: Any = os.fdopen(fd, "a", encoding="utf-8")
        size = os.fstat(fd).st_size
        if size == 0:
            self._write(json.dumps(make_header(identity or {}, now()), ensure_ascii=False))
        elif not _ends_with_newline(self.path):
            self._write("")  # end the torn line, so the next record starts on its own line

    def _write(self, line: str) -> None:
        self._file.write(line + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def record(self, item: str, status: str, message: str = "") -> None:
        line = json.dumps({"item": item, "status": status, "message": message, "at": self._now()},
                          ensure_ascii=False)
        with self._lock:
            if self._file is None:
                return
            self._write(line)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


def _parse_line(line: str) -> list[dict[str, Any]]:
    """The record(s) of one line; a torn record followed by a whole one yields the whole one."""
    try:
        entry = json.loads(line)
        return [entry] if isinstance(entry, dict) else []
    except (ValueError, RecursionError):
        pass
    decoder = json.JSONDecoder()
    start = line.find("{", 1)
    while start != -1:
        try:
            entry, end = decoder.raw_decode(line, start)
        except (ValueError, RecursionError):
            start = line.find("{", start + 1)
            continue
        if isinstance(entry, dict) and "item" in entry and not line[end:].strip():
            return [entry]
        start = line.find("{", start + 1)
    return []  # only a torn line from a crash mid-write


def read_journal(path: str | os.PathLike[str]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(header or None, every well-formed record); a missing file is an empty journal."""
    header: dict[str, Any] | None = None
    entries: list[dict[str, Any]] = []
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                for entry in _parse_line(line):
                    if is_header(entry):
                        header = header or entry
                    elif "item" in entry and "status" in entry:
                        entries.append(entry)
    except FileNotFoundError:
        return None, []
    except IsADirectoryError:
        raise UsageError(f"the journal {path} is a directory") from None
    except OSError as exc:
        raise UsageError(f"cannot read the journal {path}: {exc.strerror or exc}") from None
    return header, entries


def read_entries(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every well-formed record of a journal (a missing file is an empty journal)."""
    return read_journal(path)[1]


def load_finished(path: str | os.PathLike[str]) -> dict[str, str]:
    """Items that need no new attempt: item -> status, for items ever journaled as done or skipped."""
    finished: dict[str, str] = {}
    for entry in read_entries(path):
        status = str(entry.get("status"))
        if status in FINISHED:
            finished[str(entry["item"])] = status
    return finished


def _describe(header: Mapping[str, Any]) -> str:
    what = header.get("action") or header.get("command") or "another command"
    params = header.get("params")
    bits = [f"'{what}'"]
    if params:
        bits.append("with " + ", ".join(f"{k}={v!r}" for k, v in sorted(params.items()))[:200])
    if header.get("panel"):
        bits.append(f"on {header['panel']}")
    return " ".join(bits)


def mismatch(header: Mapping[str, Any], identity: Mapping[str, Any]) -> str | None:
    """Which identity field differs between a journal's header and this run (None: it matches).

    Fields this run does not know yet (None), e.g. the action name before the runner starts, are
    not compared.
    """
    for key in IDENTITY:
        mine = identity.get(key)
        if mine is None:
            continue
        if header.get(key) != mine:
            return key
    return None


def check_journal(path: str | os.PathLike[str], identity: Mapping[str, Any], *, resume: bool,
                  warn: Callable[[str], None] | None = None) -> None:
    """Refuse (UsageError, before anything is sent) a journal this run must not use.

    `resume`: the file must exist. Either way, an existing journal must have been written by the
    same command with the same arguments against the same panel; a header-less one only warns.
    """
    target = Path(path)
    flag = "--resume" if resume else "--journal"
    if target.is_dir():
        raise UsageError(f"{flag} {path}: is a directory")
    if resume and not target.exists():
        raise UsageError(f"--resume {path}: no such journal",
                         hint="start the run with --journal FILE; --resume continues such a run")
    if target.exists():
        header, entries = read_journal(target)
        if header is None and not entries and target.stat().st_size > 0:
            raise UsageError(f"{flag} {path}: not an eclictl journal (no header, no item lines): refusing to "
                             "use it", hint="give a new file name, or an earlier --journal file")
        if header is None:
            if entries and warn is not None:
                warn(f"{path} has no header (written by an older eclictl): cannot check that it belongs "
                     "to this command")
        else:
            field = mismatch(header, identity)
            if field is not None:
                raise UsageError(f"{flag} {path}: the journal was written by {_describe(header)}, not by this "
                                 f"run ({field} differs): refusing to use it",
                                 hint="re-run the same command line to resume, or use a new --journal file")
    if not resume or target.exists():
        _check_writable(target, flag)


def _check_writable(target: Path, flag: str) -> None:
    """Open for append (creating it only for the test) so an unwritable path fails before any request."""
    existed = target.exists()
    try:
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError as exc:
        raise UsageError(f"{flag} {target}: cannot write: {exc.strerror or exc}") from None
    os.close(fd)
    if not existed:
        try:
            target.unlink()
        except OSError:
            pass
