"""Which writes may be sent again after they may have reached the panel: one declaration per route.

EcliPanel has no Idempotency-Key. A write (POST/PUT/PATCH/DELETE) is re-sent without a declaration
only when it provably never reached a handler: a connect error (nothing was sent) or a 429 (the rate
limiter in backend/src/app.ts answers before any handler runs). After a 5xx, a timeout or a reset
once sent, only a route declared REPEATABLE here is re-sent; anything else (and any route missing
from this table) is reported as "may have been applied" instead.

The declarations are a table in api/writes.txt (one route a line, paths in the sandbox's template
syntax: `:name` = one path segment), checked by tests/unit/test_writes.py against every write call
site and sandbox route.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REPEATABLE = "repeatable"  # a repeat leaves the panel as one send would
ONCE = "once"  # a repeat could act twice: never re-sent once it may have reached the handler


@dataclass(frozen=True)
class Write:
    method: str
    path: str
    policy: str
    reason: str

    @property
    def repeatable(self) -> bool:
        return self.policy == REPEATABLE


_GONE = "delete by id: a repeat finds it gone (a 404 after a resend counts as done)"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _load(path: Path = Path(__file__).with_name("writes.txt")) -> tuple[Write, ...]:
    """Read the table; a malformed line is a bug in the package, so it fails loudly at import."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        method, route, policy, reason = (line.split(None, 3) + ["", "", "", ""])[:4]
        if method not in WRITE_METHODS or policy not in (REPEATABLE, ONCE) or not reason:
            raise ValueError(f"{path.name}:{number}: expected METHOD PATH repeatable|once REASON: {line!r}")
        rows.append(Write(method, route, policy, _GONE + reason[len("=gone"):] if reason.startswith("=gone")
                          else reason))
    return tuple(rows)


WRITES: tuple[Write, ...] = _load()


def _regex(template: str) -> re.Pattern[str]:
    parts = ["[^/]+" if seg.startswith(":") else re.escape(seg) for seg in template.strip("/").split("/")]
    return re.compile("^/" + "/".join(parts) + "/?$")


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[Write, re.Pattern[str], int], ...]:
    rows = [(w, _regex(w.path), w.path.count(":")) for w in WRITES]
    return tuple(sorted(rows, key=lambda r: r[2]))  # literal segments win: /eggs/import before /eggs/:id


def lookup(method: str, path: str) -> Write | None:
    """The declaration for a concrete request path (query string ignored), or None."""
    method = method.upper()
    path = path.split("?", 1)[0]
    for write, regex, _ in _compiled():
        if write.method == method and regex.match(path):
            return write
    return None


def may_resend(method: str, path: str) -> bool:
    """May this request be sent again after it may have reached a handler?"""
    method = method.upper()
    if method not in WRITE_METHODS:
        return True  # GET/HEAD/OPTIONS read
    write = lookup(method, path)
    return write is not None and write.repeatable
