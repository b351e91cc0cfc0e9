"""Reading JSON the user hands to eclictl (files, stdin, option values), safe against hostile input.

`json.loads` raises RecursionError on `[[[[…` nested a few thousand deep, and a document that
parses at depth 900 still overflows the recursive walks that follow (redaction, linting, secret
stripping). Every JSON (and TOML) document eclictl reads from the user goes through
`loads_json`/`check_depth`: deeper than MAX_DEPTH is bad input, reported as a ValueError (JSON)
or a UsageError (exit 2) like any other malformed file. No CLI imports: eggs_lib uses it too.
"""

from __future__ import annotations

import json
from typing import Any

#: Far deeper than any egg, role, settings or request document; far below the recursion limit.
MAX_DEPTH = 64


class TooDeep(ValueError):
    """A document nested deeper than MAX_DEPTH (a ValueError, so `except ValueError` reports it)."""

    def __init__(self) -> None:
        super().__init__(f"nested deeper than {MAX_DEPTH} levels")
        self.msg = str(self)


def depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True when lists/objects nest deeper than `limit` (iterative: never recurses itself)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list, tuple)))
    return False


def loads_json(text: str | bytes) -> Any:
    """json.loads that raises ValueError (never RecursionError) for documents nested too deeply."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise TooDeep() from None
    if depth_exceeds(value):
        raise TooDeep()
    return value


def check_depth(value: Any, source: str) -> None:
    """UsageError (exit 2) naming `source` when `value` nests deeper than MAX_DEPTH."""
    if depth_exceeds(value):
        from eclictl.errors import UsageError

        raise UsageError(f"{source}: nested deeper than {MAX_DEPTH} levels")
