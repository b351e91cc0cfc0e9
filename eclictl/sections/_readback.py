"""Verify a write by reading the record back: for routes whose answer proves nothing (`[object Object]`,
"success" for a value that was silently ignored, a PUT that stores anything)."""

from __future__ import annotations

from typing import Any, Callable, Mapping

Same = Callable[[str, Any, Any], bool]


def equal(key: str, sent: Any, stored: Any) -> bool:
    """Numbers compare by value (5 == 5.0); everything else exactly."""
    if isinstance(sent, (int, float)) and not isinstance(sent, bool) and isinstance(stored, (int, float)):
        return float(sent) == float(stored)
    return sent == stored


def mismatches(sent: Mapping[str, Any], stored: Mapping[str, Any], same: Same = equal) -> list[str]:
    return [k for k, v in sent.items() if not same(k, v, stored.get(k))]


def require_stored(ctx: Any, what: str, sent: Mapping[str, Any], stored: Mapping[str, Any], view: Any,
                   same: Same = equal, hint: str | None = None, secret: frozenset[str] = frozenset()) -> Any:
    """Return `view` when every sent field reads back as sent; else print it and fail (exit 1) naming
    the fields the panel did not store (the values of `secret` fields are never quoted)."""
    from eclictl.errors import EclictlError

    bad = mismatches(sent, stored, same)
    if not bad:
        return view
    ctx.emit(view)
    detail = ", ".join(f"{k} differs from what was sent" if k in secret else f"{k} is {stored.get(k)!r} (sent {sent[k]!r})"
                       for k in bad)
    raise EclictlError(f"{what}: the panel did not store {detail}", hint=hint)
