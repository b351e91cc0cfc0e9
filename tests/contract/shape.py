"""Compare the *shape* of two JSON values: what a recorded panel response promises the CLI.

Values differ between the live panel and the sandbox; keys and types must not. Rules:
dict key sets equal (recursively; a dict whose keys are data, such as `{"Java 17": image}`, is a
map and only its value shapes count), int and float alike, None (and the recorder's placeholders for
scrubbed secrets) match anything, every actual list item is compared with the sample's items merged
(first item wins; keys missing from some sample items are optional).
"""

from __future__ import annotations

import re
from typing import Any

#: Values the recorder replaced (secrets): they match any value.
REDACTED = frozenset({"<redacted-by-sampler>", "<scrubbed>", "<key>", "<jwt>", "<csrf>"})


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


_FIELD = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")


def is_map(value: dict[str, Any], other: dict[str, Any]) -> bool:
    """Keys that are not identifiers (spaces, dots, slashes, digits first) are data, not fields."""
    return any(not _FIELD.match(str(k)) for k in [*value, *other])


def shape_diff(expected: Any, actual: Any, path: str = "$", allow_extra: frozenset[str] = frozenset(),
               maps: frozenset[str] = frozenset(), optional: frozenset[str] = frozenset(),
               free: frozenset[str] = frozenset()) -> list[str]:
    """Differences between the shapes, as readable `path: problem` lines (empty = same shape).

    `maps`: key names whose dict values are maps (data keys), compared by value shape only; an empty
    sample object `{}` is a map with no entries (nothing to compare).
    `free`: key names whose values are free-form JSON (an audit entry's `metadata`, whose keys depend
    on the action): only the kind (object, list, string...) is compared.
    `allow_extra`: optional fields: an actual object may add them or lack them, whatever the sample shows.
    """
    if expected is None or actual is None or (isinstance(expected, str) and expected in REDACTED):
        return []
    if _kind(expected) != _kind(actual):
        return [f"{path}: expected {_kind(expected)}, got {_kind(actual)} ({actual!r:.80})"]
    problems: list[str] = []
    key = path.rsplit(".", 1)[-1]
    if key in free:
        return []
    if isinstance(expected, dict) and (not expected or key in maps or is_map(expected, actual)):
        if expected:
            first = next(iter(expected.values()))
            for k, v in actual.items():
                problems += shape_diff(first, v, f"{path}[{k!r}]", allow_extra, maps, free=free)
        return problems
    if isinstance(expected, dict):
        missing = sorted(set(expected) - set(actual) - optional - allow_extra)
        extra = sorted(set(actual) - set(expected) - allow_extra)
        if missing:
            problems.append(f"{path}: missing keys {missing}")
        if extra:
            problems.append(f"{path}: extra keys {extra}")
        for name in expected:
            if name in actual:
                problems += shape_diff(expected[name], actual[name], f"{path}.{name}", allow_extra, maps, free=free)
    elif isinstance(expected, list) and expected:
        template, optional = merge_items(expected)
        for i, item in enumerate(actual):
            problems += shape_diff(template, item, f"{path}[{i}]", allow_extra, maps, optional, free)
    return problems


def merge_items(items: list[Any]) -> tuple[Any, frozenset[str]]:
    """One template for a list's items: the first item, widened with keys other items add.

    Keys absent from some sample items are optional (e.g. a catalogue entry without `description`).
    """
    dicts = [i for i in items if isinstance(i, dict)]
    if len(dicts) != len(items) or not dicts:
        return items[0], frozenset()
    template: dict[str, Any] = {}
    for item in dicts:
        for k, v in item.items():
            if template.get(k) is None:
                template[k] = v
    optional = frozenset(k for k in template if any(k not in d for d in dicts))
    return template, optional


def is_error_body(value: Any) -> bool:
    """The panel's `{"error": "<message>"}` (a few errors add fields such as `retryAfter`)."""
    return isinstance(value, dict) and isinstance(value.get("error"), str)


def content_family(content_type: str | None) -> str:
    """`application/json;charset=utf-8` -> `application/json`."""
    return (content_type or "").split(";")[0].strip().lower()
