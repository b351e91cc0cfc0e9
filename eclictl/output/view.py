"""View: what a command returns when it says how its data is shown (kept apart so the detail
renderer can build one without importing the renderer that calls it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from eclictl.output.columns import Col, Group


@dataclass
class View:
    """What a command returns: data plus how to show it."""

    data: Any
    columns: Sequence[Col] | None = None
    detail: bool = False  # one record: key/value table
    id_field: str = "id"
    title: str | None = None
    sensitive: Mapping[str, str] = field(default_factory=dict)  # extra key -> redaction category
    empty: str | None = None  # said on stderr when a list is empty (TTY)
    json_data: Any = None  # what json should print when it differs from the rows (e.g. summaries)
    groups: Sequence[Group] = ()  # a detail view on a terminal, in titled parts (fields not named go last)
