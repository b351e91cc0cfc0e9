"""The request log: a small bounded ring file of what `-v` showed, for `eclictl doctor --bundle`.

Only summaries are kept: method, path, status, time, size, and the body as a shape (field names
and types, never values). The query keeps its parameter names only; e-mail and IP addresses in a
path are masked before the line is written. The file lives in the state dir (0600) and holds the
last KEEP requests: when it grows past MAX_BYTES it is cut back to its newest KEEP lines.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

FILE = "requests.jsonl"
KEEP = 200
MAX_BYTES = 256 * 1024
_DEPTH = 4
_KEYS = 40


def shape(value: Any, depth: int = 0) -> Any:
    """A JSON value's skeleton: objects keep their keys (masked when they look personal), arrays show
    their first item's shape and their length, scalars become their type name."""
    from eclictl.output.redact import scrub

    if isinstance(value, dict):
        if depth >= _DEPTH:
            return "object"
        items = list(value.items())
        out: dict[str, Any] = {scrub(str(k)): shape(v, depth + 1) for k, v in items[:_KEYS]}
        if len(items) > _KEYS:
            out["…"] = f"{len(items) - _KEYS} more keys"
        return out
    if isinstance(value, list):
        if depth >= _DEPTH or not value:
            return f"array[{len(value)}]"
        return {"array": len(value), "item": shape(value[0], depth + 1)}
    return type_name(value)


# bool before int: True is an int in Python, but a bool in JSON.
_JSON_TYPES: tuple[tuple[type, str], ...] = ((bool, "bool"), (int, "int"), (float, "float"), (str, "string"),
                                             (list, "array"), (dict, "object"))


def type_name(value: Any) -> str:
    """The JSON type of a value: null, bool, int, float, string, array, object."""
    if value is None:
        return "null"
    for kind, name in _JSON_TYPES:
        if isinstance(value, kind):
            return name
    return type(value).__name__


def summary(method: str, path: str, params: Mapping[str, Any] | None, status: int, elapsed_ms: float,
            size: int, body: Any = None, is_json: bool = False, error: str | None = None) -> dict[str, Any]:
    """One line of the log (nothing personal: see the module docstring)."""
    import time

    from eclictl.output.redact import scrub

    entry: dict[str, Any] = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "method": method,
                             "path": scrub(path), "status": status, "ms": round(elapsed_ms, 1), "bytes": size}
    if params:
        entry["query"] = sorted(scrub(str(k)) for k in params)
    if is_json:
        entry["shape"] = shape(body)
    if error:
        entry["error"] = error
    return entry


class RequestLog:
    """Appends summaries to `<state dir>/requests.jsonl`, keeping the newest KEEP lines."""

    def __init__(self, path: Path, keep: int = KEEP, max_bytes: int = MAX_BYTES) -> None:
        self.path = path
        self.keep = keep
        self.max_bytes = max_bytes

    def __call__(self, entry: Mapping[str, Any]) -> None:
        from eclictl.safety.store import ensure_dir, locked

        line = (json.dumps(dict(entry), ensure_ascii=False, separators=(",", ":"), default=str) + "\n").encode()
        try:
            ensure_dir(self.path.parent)
            with locked(self.path):
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, line)
                    size = os.fstat(fd).st_size
                finally:
                    os.close(fd)
                if size > self.max_bytes:
                    self._trim()
        except OSError:
            return  # the log is a help for bug reports: never fail a command over it

    def _trim(self) -> None:
        """Keep the newest lines (atomic replace, 0600; the caller holds the lock)."""
        import tempfile

        lines = self.path.read_bytes().splitlines(keepends=True)[-self.keep:]
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}-", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.writelines(lines)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def entries(self, last: int | None = None) -> list[dict[str, Any]]:
        from eclictl.safety.store import read_lines

        rows = list(read_lines(self.path))
        return rows[-last:] if last else rows


def request_log(env: Mapping[str, str]) -> RequestLog:
    from eclictl.safety.store import state_dir

    return RequestLog(state_dir(env) / FILE)
