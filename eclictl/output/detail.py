"""One record on a terminal, in titled groups (`View(groups=...)`): the human face of `show` verbs.

Each group lists its fields as `key  value`; a field holding a list of records becomes a small
table under the group's title; a nested object is spread as `key.sub`. Empty fields are left out
(a dim line says how many, and where to see them); fields no group names come last under `Other`,
so nothing the panel sent is lost. Only the table format uses this: json, tsv and the rest print
the record as before.
"""

from __future__ import annotations

from typing import Any, Iterator

from eclictl.output.columns import Col, Group, auto_columns, get_path
from eclictl.output.view import View

_EMPTY = (None, "", [], {})


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _pairs(key: str, value: Any, depth: int = 0) -> Iterator[tuple[str, Any]]:
    """`key value`, with nested objects spread (`limits.memory`, `settings.notifications.billing`)."""
    if isinstance(value, dict) and value and depth < 3:
        for sub, inner in value.items():
            yield from _pairs(f"{key}.{sub}", inner, depth + 1)
    else:
        yield key, value


def render_groups(renderer: Any, record: dict[str, Any], view: Any) -> None:
    from rich.padding import Padding
    from rich.table import Table

    console = renderer._console()
    named = {f.split(".")[0] for g in view.groups for f in g.fields}
    rest = tuple(k for k in record if k not in named)
    groups = list(view.groups) + ([Group("Other", rest)] if rest else [])
    hidden = 0
    first = True
    for group in groups:
        scalars: list[tuple[str, Any]] = []
        tables: list[tuple[str, list[dict[str, Any]]]] = []
        for field in group.fields:
            value = get_path(record, field)
            if _is_records(value):
                tables.append((field, value))
                continue
            for key, inner in _pairs(field, value):
                if inner in _EMPTY or (isinstance(inner, (list, dict)) and not inner):
                    hidden += 1
                else:
                    scalars.append((key, inner))
        if not scalars and not tables:
            continue
        if not first:
            console.print()
        first = False
        console.print(group.title, style="bold")
        if scalars:
            table = Table(show_header=False, box=None, pad_edge=False)
            table.add_column("field", style="dim" if renderer.opts.color else None, no_wrap=True)
            table.add_column("value", overflow="fold")
            for key, value in scalars:
                table.add_row(key, renderer._cell(value, Col(key)))
            console.print(Padding(table, (0, 0, 0, 2), expand=False))
        for field, rows in tables:
            cols = list(group.columns_for(field) or auto_columns(rows[0], limit=6))
            label = field.split(".")[-1]
            if scalars or len(tables) > 1 or label.lower() != group.title.lower():
                console.print(Padding(f"{label} ({len(rows)})", (0, 0, 0, 2), expand=False))
            renderer._rich_table(rows, cols, View(rows, columns=cols, id_field=cols[0].key), indent=4,
                                 console=console)
    if hidden and renderer.tty:
        console.print(f"({hidden} empty field(s) not shown; -o json for the full record)", style="dim")
