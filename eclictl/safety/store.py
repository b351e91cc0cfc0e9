"""The state dir and its files: private (0700/0600), locked, append-only where it matters.

The audit trail and the undo records hold command lines, panel URLs and the state eclictl
changed, so nobody but the user may read them. Concurrent eclictl runs (cron jobs, a bulk run
and an operator at the same time) take an exclusive lock around every read-modify-write and
every append, so no line is interleaved or lost.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator, Mapping

TRAIL = "audit.jsonl"
UNDO_DIR = "undo"
REVERT_DIR = "revert"


def iso(epoch: float) -> str:
    """The UTC time stamp of trail lines, undo records and revert logs."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def local_user() -> str:
    """Who ran the command, as recorded in the trail and undo records."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in a bare container
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """`ECLICTL_STATE_DIR`; else `<ECLICTL_CONFIG_DIR>/state` when the config dir was moved (a portable
    or isolated set-up keeps its trail with its config); else the platform's state dir
    (~/.local/state/eclictl on Linux)."""
    env = os.environ if env is None else env
    override = env.get("ECLICTL_STATE_DIR")
    if override:
        return Path(override)
    if env.get("ECLICTL_CONFIG_DIR"):
        return Path(env["ECLICTL_CONFIG_DIR"]) / "state"
    import platformdirs

    return Path(platformdirs.user_state_dir("eclictl"))


def ensure_dir(path: Path) -> Path:
    """Create a private directory (0700); an existing one is tightened when we own it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        if os.name == "posix" and (path.stat().st_mode & 0o077):
            os.chmod(path, 0o700)
    return path


@contextlib.contextmanager
def locked(path: Path, timeout: float = 60.0) -> Iterator[None]:
    """An exclusive lock on `<path>.lock` (fcntl.flock; msvcrt on Windows), held for the block."""
    lock_path = path.with_name(path.name + ".lock")
    ensure_dir(lock_path.parent)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _acquire(fd, timeout)
        try:
            yield
        finally:
            _release(fd)
    finally:
        os.close(fd)


def _acquire(fd: int, timeout: float) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        deadline = time.monotonic() + timeout
        while True:
            try:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise OSError("timed out waiting for the lock") from None
                time.sleep(0.05)
    fcntl.flock(fd, fcntl.LOCK_EX)


def _release(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
        return
    fcntl.flock(fd, fcntl.LOCK_UN)


def append_line(path: Path, record: Mapping[str, Any]) -> None:
    """Append one JSON line (0600), under the lock, flushed to disk before the lock is released."""
    line = (json.dumps(dict(record), ensure_ascii=False, separators=(",", ":"), default=str) + "\n").encode()
    ensure_dir(path.parent)
    with locked(path):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            _private(path)
            view = memoryview(line)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)


def read_lines(path: Path) -> Iterator[dict[str, Any]]:
    """Every JSON object line; a torn or foreign line is skipped, never fatal."""
    try:
        fh = open(path, encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return
    with fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                yield entry


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Atomic replace, mode 0600 (callers hold the lock when they read-modify-write)."""
    ensure_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            with contextlib.suppress(OSError, AttributeError):
                os.fchmod(fh.fileno(), 0o600)
            json.dump(dict(data), fh, ensure_ascii=False, indent=1, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _private(path: Path) -> None:
    with contextlib.suppress(OSError):
        if os.name == "posix" and (path.stat().st_mode & 0o077):
            os.chmod(path, 0o600)
