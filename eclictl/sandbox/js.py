"""JavaScript's coercions, as the panel's handlers apply them to JSON values and path parameters.

`Number(x)`, `String(x)` and truthiness decide what the real panel stores or looks up, e.g.
`findOneBy({ id: Number(ctx.params.id) })`: "abc" is NaN, and NaN in SQL is a database error.
"""

from __future__ import annotations

import math
import re
from typing import Any

#: A missing JSON key: `undefined` (Number(undefined) is NaN, Number(null) is 0).
UNDEFINED: Any = object()
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def truthy(value: Any) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "")


def number(value: Any) -> float:
    """Number(x) for a JSON value or a path/query string; NaN is `math.nan`."""
    if value is UNDEFINED:
        return math.nan
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return 0.0 if not value else number(value[0]) if len(value) == 1 else math.nan
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        if text in ("Infinity", "+Infinity", "-Infinity"):
            return -math.inf if text.startswith("-") else math.inf
        if re.fullmatch(r"0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+", text):
            return float(int(text, 0))
        return float(text) if _NUMBER.match(text) else math.nan
    return math.nan


def string(value: Any) -> str:
    """String(x) for a JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ",".join("" if v is None else string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def lookup_id(value: Any) -> int | None:
    """The row id `findOneBy({ id: Number(x) })` looks for: None when no row can match.

    Raises `NotANumber` for NaN/Infinity, which the database rejects (the panel's global 500).
    """
    n = number(value)
    if math.isnan(n) or math.isinf(n):
        raise NotANumber(value)
    return int(n) if n.is_integer() else None


class NotANumber(ValueError):
    """A value that becomes NaN: bound into SQL it fails as `Unknown column 'NaN'`."""
