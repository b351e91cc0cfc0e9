"""Client-side permission matching (docs/panel/auth.md#permission-matching) for whoami and warnings."""

from __future__ import annotations

from typing import Iterable


def matches(granted: str, required: str) -> bool:
    """`*` matches all; a `*` segment matches the rest; a shorter granted prefix covers longer ones."""
    if granted == "*" or granted == required:
        return True
    g, r = granted.split(":"), required.split(":")
    if len(g) == 1 and len(r) == 1:
        return False
    for i, seg in enumerate(g):
        if seg == "*":
            return True
        if i >= len(r) or seg != r[i]:
            return False
    return len(g) <= len(r)


def holds(granted: Iterable[str], required: str) -> bool:
    return any(matches(g, required) for g in granted)


def is_root_role(role: object) -> bool:
    return role in ("*", "rootAdmin")
