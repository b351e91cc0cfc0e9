"""How a table fits a terminal: which columns give up room first, and relative times.

At 80 columns something must be cut. Free text (names, descriptions, messages) gives up room
first, then the header of a true/false column, then any header wider than its values, then other
values widest first, e-mails and times last; the id column never shrinks. Timestamps on a terminal read as `3d ago` (ISO everywhere a script may read:
pipes, json, csv, `-o wide`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Sequence

from eclictl.output.columns import Col

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
#: Record keys that hold free text even when a value is one word.
_TEXT_KEY = re.compile(r"^(first|last|middle|display)name$|description|message|reason|note|title|comment|content"
                       r"|summary|detail|text", re.IGNORECASE)
_RELATIVE = re.compile(r"^(in )?\d+(s|m|h|d|mo|y)( ago)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
ID, TEXT, FLAG, KEY, KEEP = "id", "text", "flag", "key", "keep"


def is_timestamp(key: str, value: Any) -> bool:
    """An ISO date-time the panel sent (a date of birth is a date, not an event: never relative)."""
    return isinstance(value, str) and bool(TIMESTAMP.match(value)) and "birth" not in key.lower()


def relative_time(value: str, now: float) -> str:
    """`3d ago`, `5m ago`, `in 2h`; the text itself when it does not parse."""
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        return value
    if when.tzinfo is None:
        from datetime import timezone

        when = when.replace(tzinfo=timezone.utc)
    delta = now - when.timestamp()
    ahead = delta < 0
    seconds = abs(delta)
    if seconds < 60:
        text = f"{int(seconds)}s"
    elif seconds < 3600:
        text = f"{int(seconds // 60)}m"
    elif seconds < 86400:
        text = f"{int(seconds // 3600)}h"
    elif seconds < 60 * 86400:
        text = f"{int(seconds // 86400)}d"
    elif seconds < 730 * 86400:
        text = f"{int(seconds // (30 * 86400))}mo"
    else:
        text = f"{int(seconds // (365 * 86400))}y"
    return f"in {text}" if ahead else f"{text} ago"


def column_kind(col: Col, values: Sequence[str], id_field: str | None) -> str:
    """id (never shrinks), flag (true/false), text (free text: shrinks first), keep (e-mails and
    times: shrink last) or key (the rest)."""
    last = col.key.split(".")[-1]
    if col.key == id_field or last in ("id", "uuid") or last.endswith(("Id", "_id", "Uuid")):
        return ID
    shown = [v for v in values if v]
    if shown and all(v in ("true", "false") for v in shown):
        return FLAG
    if shown and all(_EMAIL.match(v) or TIMESTAMP.match(v) or _RELATIVE.match(v) or "*" in v for v in shown):
        return KEEP  # ("*": an e-mail masked by --redact keeps its shape)
    if "@" not in "".join(shown[:20]) and (_TEXT_KEY.search(last) or any(
            (" " in v and len(v) >= 12) or v[:1] in ("{", "[") for v in shown)):
        return TEXT  # (a short value with a space, like `28 ms`, is not prose)
    return KEY


def fit_widths(cols: Sequence[Col], cells: list[list[str]], total: int, *, id_field: str | None = None,
               floor: int = 6, sample: int = 200) -> list[int]:
    """Column widths that fit `total`: free text shrinks first, then true/false headers, then headers
    wider than their values, then the widest of the rest (e-mails and times last); never the id column.

    (rich squeezes every column alike when a table is too wide, which cuts e-mails and dates while
    a description keeps its room.)
    """
    rows = cells[:sample]
    natural, kinds, values_width = [], [], []
    for i, c in enumerate(cols):
        values = [line[i] for line in rows]
        width = max([len(c.title)] + [len(v) for v in values])
        natural.append(min(width, c.max_width) if c.max_width else width)
        kinds.append(column_kind(c, values, id_field))
        values_width.append(max([len(v) for v in values] or [0]))
    minimum = [n if kind == ID else min(n, max(floor, min(len(c.title), 8)))
               for c, n, kind in zip(cols, natural, kinds)]
    widths = list(natural)
    excess = sum(widths) + 2 * max(len(widths) - 1, 0) - total
    stages = (
        [(i, minimum[i]) for i, k in enumerate(kinds) if k == TEXT],
        [(i, max(values_width[i], 4)) for i, k in enumerate(kinds) if k == FLAG],
        [(i, max(values_width[i], 5)) for i, k in enumerate(kinds) if k != ID],  # headers wider than values
        [(i, minimum[i]) for i, k in enumerate(kinds) if k == KEY],
        [(i, minimum[i]) for i, k in enumerate(kinds) if k != ID],
    )
    for stage in stages:
        while excess > 0:
            candidates = [i for i, low in stage if widths[i] > low]
            if not candidates:
                break
            widest = max(candidates, key=lambda i: widths[i])
            widths[widest] -= 1
            excess -= 1
    return widths
