"""Column declarations shared by sections, the renderer and the docs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Col:
    """One column: `key` is a dotted path into the record (`user.email`)."""

    key: str
    header: str | None = None
    fmt: Callable[[Any], str] | None = None
    #: a redaction category beyond the built-in PII keys: "pii", "servers" or "orgs"
    sensitive: str | None = None
    max_width: int | None = None
    #: eclictl computes this column (e.g. a node's health): not a panel field, so `doctor` does not
    #: expect it in the panel's answer
    computed: bool = False

    @property
    def title(self) -> str:
        return self.header or self.key.split(".")[-1].upper()


def get_path(record: Any, dotted: str) -> Any:
    value = record
    for part in dotted.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def cell_text(value: Any, fmt: Callable[[Any], str] | None = None) -> str:
    """Plain text for table/tsv/csv cells."""
    if fmt is not None and value is not None:
        try:
            return fmt(value)
        except Exception:  # a formatter must never crash a listing
            pass
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return str(value)


def auto_columns(record: dict[str, Any], limit: int = 8) -> list[Col]:
    """Columns for data with no declaration: the scalar fields, id first."""
    keys = [k for k, v in record.items() if not isinstance(v, (dict, list))]
    if "id" in keys:
        keys.remove("id")
        keys.insert(0, "id")
    return [Col(k) for k in keys[:limit]]


@dataclass(frozen=True)
class Group:
    """A titled part of a detail view on a terminal (`users show`: identity, billing, security...).

    `fields` are record keys (dotted paths allowed) in display order; one holding a list of records
    is drawn as a small table, with `tables[field]` as its columns when declared.
    """

    title: str
    fields: tuple[str, ...]
    tables: tuple[tuple[str, tuple[Col, ...]], ...] = ()

    def columns_for(self, key: str) -> tuple[Col, ...] | None:
        return dict(self.tables).get(key)
