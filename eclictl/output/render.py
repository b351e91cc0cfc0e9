"""emit(): normalise → redact → select columns → render, for every command.

Formats: table (rich, TTY), wide (a table that cuts nothing), tsv (piped default), json, jsonl, csv,
ids. json/jsonl/csv/ids stream: rows are written as they arrive, so `list --all` runs in constant
memory (unless --sort-by needs them all first). csv is for
spreadsheets: a text cell starting with = + - @ tab or CR gets a leading `'` (CSV injection);
json, jsonl and tsv keep every value as the panel sent it.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping, Sequence, TextIO

from eclictl.errors import UsageError
from eclictl.output.columns import Col, Group, auto_columns, cell_text, get_path
from eclictl.output.layout import fit_widths, is_timestamp, relative_time
from eclictl.output.redact import Redactor
from eclictl.output.view import View

__all__ = ["View", "RenderOptions", "Renderer"]


@dataclass
class RenderOptions:
    fmt: str = "tsv"
    columns: list[str] | None = None
    no_headers: bool = False
    redactor: Redactor = field(default_factory=lambda: Redactor(()))
    color: bool = False
    width: int | None = None
    sort_by: str | None = None  # FIELD, -FIELD or FIELD:desc (a column key or header)
    now: float | None = None  # epoch seconds: timestamps in a terminal table read `3d ago`


def _json_default(value: Any) -> Any:
    return str(value)


def dumps(value: Any, *, pretty: bool = True) -> str:
    if pretty:
        return json.dumps(value, indent=2, ensure_ascii=False, default=_json_default)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_json_default)


class Renderer:
    def __init__(self, out: TextIO, err: TextIO, options: RenderOptions, *, tty: bool) -> None:
        self.out = out
        self.err = err
        self.opts = options
        self.tty = tty

    # -- the single path ------------------------------------------------------------------
    def emit(self, result: Any) -> None:
        view = result if isinstance(result, View) else View(result, detail=isinstance(result, dict))
        redactor = self.opts.redactor.extended(view.sensitive)
        if view.json_data is not None and self.opts.fmt in ("json",):
            self._write_json_value(redactor.record(view.json_data))
            return
        data = view.data
        if data is None:
            return
        if isinstance(data, str):
            self.out.write(redactor.text(data) + ("" if data.endswith("\n") else "\n"))
            return
        if view.detail or isinstance(data, dict):
            self._emit_detail(redactor.record(data), view)
            return
        rows: Iterator[Any] = (redactor.record(row) for row in data)
        self._emit_rows(rows, view)

    # -- lists ----------------------------------------------------------------------------
    def _columns_for(self, view: View, first: Any) -> list[Col]:
        declared = self._declared(view, first)
        if not self.opts.columns:
            return declared
        return [resolve_column(key, declared, first) for key in self.opts.columns]

    @staticmethod
    def _declared(view: View, first: Any) -> list[Col]:
        declared = list(view.columns or [])
        if not declared and isinstance(first, dict):
            declared = auto_columns(first)
        return declared

    def _sorted(self, rows: Iterator[Any], view: View) -> Iterator[Any]:
        """--sort-by: every row first (no streaming), then a stable sort; empty values last."""
        spec = (self.opts.sort_by or "").strip()
        desc = spec.startswith("-") or spec.lower().endswith(":desc")
        name = spec.lstrip("-").rsplit(":", 1)[0] if ":" in spec else spec.lstrip("-")
        if not name:
            raise UsageError("--sort-by needs a field name", hint="e.g. --sort-by createdAt or --sort-by -id")
        items = list(rows)
        first = items[0] if items else None
        key = resolve_column(name, self._declared(view, first), first if isinstance(first, dict) else None,
                             option="--sort-by").key
        return iter(sort_rows(items, key, descending=desc))

    def _emit_rows(self, rows: Iterator[Any], view: View) -> None:
        fmt = self.opts.fmt
        if self.opts.sort_by:
            rows = self._sorted(rows, view)
        first = next(rows, None)
        if first is not None and not isinstance(first, dict):
            first = {"value": first}
            rows = ({"value": r} for r in rows)
        cols = self._columns_for(view, first)
        all_rows = _chain(first, rows)
        if fmt == "json":
            self._stream_json_array(all_rows, cols if self.opts.columns else None)
        elif fmt == "jsonl":
            for row in all_rows:
                self.out.write(dumps(_select(row, cols) if self.opts.columns else row, pretty=False) + "\n")
                self.out.flush()
        elif fmt == "ids":
            for row in all_rows:
                value = get_path(row, view.id_field)
                if value is not None:
                    self.out.write(f"{value}\n")
        elif fmt == "csv":
            writer = CsvWriter(self.out)
            if not self.opts.no_headers:
                writer.writerow([c.key for c in cols])
            for row in all_rows:
                writer.writerow([csv_cell(get_path(row, c.key)) for c in cols])
                self.out.flush()
        elif fmt == "tsv":
            if self.tty and not self.opts.no_headers:
                self.out.write("\t".join(c.title for c in cols) + "\n")
            for row in all_rows:
                self.out.write("\t".join(_tsv_cell(cell_text(get_path(row, c.key), c.fmt)) for c in cols) + "\n")
                self.out.flush()
        else:
            self._rich_table(list(all_rows), cols, view)

    def _stream_json_array(self, rows: Iterable[dict[str, Any]], cols: list[Col] | None) -> None:
        self.out.write("[")
        first = True
        for row in rows:
            item = _select(row, cols) if cols else row
            text = "\n".join("  " + line for line in dumps(item).splitlines())
            self.out.write(("\n" if first else ",\n") + text)
            first = False
            self.out.flush()
        self.out.write("\n]\n" if not first else "]\n")

    def _console(self, width: int | None = None) -> Any:
        from rich.console import Console

        return Console(file=self.out, no_color=not self.opts.color, highlight=False, force_terminal=self.tty,
                       width=width or self.opts.width, soft_wrap=False)

    def _cell(self, value: Any, col: Col) -> str:
        """Table text: relative times on a terminal (not in `-o wide`, pipes or machine formats)."""
        if (self.tty and self.opts.fmt == "table" and self.opts.now is not None and col.fmt is None
                and is_timestamp(col.key.split(".")[-1], value)):
            return relative_time(value, self.opts.now)
        return cell_text(value, col.fmt)

    def _rich_table(self, rows: list[dict[str, Any]], cols: list[Col], view: View, *, indent: int = 0,
                    console: Any = None) -> None:
        from rich.padding import Padding
        from rich.table import Table

        console = console or self._console()
        if not rows:
            if view.empty is not None:
                console.print(view.empty, style="dim")
            elif self.tty:
                console.print("(no results)", style="dim")
            return
        wide = self.opts.fmt == "wide"
        cells = [[self._cell(get_path(row, c.key), c) for c in cols] for row in rows]
        if wide:
            from rich.cells import cell_len

            widths = [max([cell_len(c.title)] + [cell_len(line[i]) for line in cells]) for i, c in enumerate(cols)]
            console = self._console(width=indent + sum(widths) + 2 * max(len(widths) - 1, 0) + 1)
        else:
            widths = fit_widths(cols, cells, console.width - indent, id_field=view.id_field)
        table = Table(title=view.title, show_header=not self.opts.no_headers, header_style="bold",
                      box=None, pad_edge=False, expand=False)
        for c, width in zip(cols, widths):
            table.add_column(c.title, overflow="ellipsis", no_wrap=True, width=width)
        for line in cells:
            table.add_row(*line, style=None)
        console.print(Padding(table, (0, 0, 0, indent), expand=False) if indent else table)

    # -- single records -------------------------------------------------------------------
    def _emit_detail(self, record: Any, view: View) -> None:
        fmt = self.opts.fmt
        cols = None
        if self.opts.columns and isinstance(record, dict):
            cols = self._columns_for(view, record)
            record = _select(record, cols)
        if fmt == "json":
            self._write_json_value(record)
        elif fmt == "jsonl":
            self.out.write(dumps(record, pretty=False) + "\n")
        elif fmt == "ids":
            value = get_path(record, view.id_field) if isinstance(record, dict) else record
            if value is not None:
                self.out.write(f"{value}\n")
        elif fmt == "csv":
            writer = CsvWriter(self.out)
            keys = list(record) if isinstance(record, dict) else ["value"]
            if not self.opts.no_headers:
                writer.writerow(keys)
            writer.writerow([csv_cell(record.get(k)) for k in keys] if isinstance(record, dict)
                            else [csv_cell(record)])
        elif fmt == "tsv":
            for key, value in _flatten(record):
                self.out.write(f"{key}\t{_tsv_cell(cell_text(value))}\n")
        elif view.groups and isinstance(record, dict) and cols is None:
            from eclictl.output.detail import render_groups

            render_groups(self, record, view)
        else:
            from rich.table import Table

            console = self._console()
            table = Table(title=view.title, show_header=False, box=None, pad_edge=False)
            table.add_column("field", style="bold")
            table.add_column("value", overflow="fold")
            for key, value in _flatten(record):
                table.add_row(key, self._cell(value, Col(key)))
            console.print(table)

    def _write_json_value(self, value: Any) -> None:
        self.out.write(dumps(value) + "\n")


def resolve_column(name: str, declared: Sequence[Col], first: Any, *, option: str = "--columns") -> Col:
    """A column named by its key, or by the header a table shows (`reason` -> fraudReason), any case."""
    known = {c.key: c for c in declared}
    if name in known:
        return known[name]
    low = name.lower()
    for c in declared:
        if c.title.lower() == low or c.key.lower() == low:
            return c
    fields = list(first) if isinstance(first, dict) else []
    if name in fields or "." in name or (first is None and not declared):
        return Col(name)
    for field_name in fields:
        if field_name.lower() == low:
            return Col(field_name)
    shown = [c.key + (f" ({c.title})" if c.title.lower() != c.key.lower() else "") for c in declared]
    rest = sorted(f for f in fields if f not in known)
    hint = f"valid columns: {', '.join(shown) or '(none)'}"
    if rest:
        hint += f"; other fields: {', '.join(rest)}"
    what = "column" if option == "--columns" else f"{option} field"
    raise UsageError(f"unknown {what} '{name}'", hint=hint)


def sort_rows(rows: list[Any], key: str, *, descending: bool = False) -> list[Any]:
    """Numbers by value, text case-insensitively; rows without the field stay last either way."""
    values = [(get_path(row, key) if isinstance(row, dict) else row) for row in rows]
    present = [(v, row) for v, row in zip(values, rows) if v is not None and v != ""]
    missing = [row for v, row in zip(values, rows) if v is None or v == ""]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v, _ in present)

    def order(pair: tuple[Any, Any]) -> Any:
        value = pair[0]
        return value if numeric else cell_text(value).lower()

    present.sort(key=order, reverse=descending)
    return [row for _, row in present] + missing


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    if first is None:
        return
    yield first
    yield from rest


def _select(row: dict[str, Any], cols: Sequence[Col]) -> dict[str, Any]:
    return {c.key: get_path(row, c.key) for c in cols}


class CsvWriter:
    """csv.writer with LF line ends that also quotes rows holding a CR (csv quotes only the line
    terminator's characters, so a bare CR would otherwise split the row in a reader)."""

    def __init__(self, out: TextIO) -> None:
        self._plain = csv.writer(out, lineterminator="\n")
        self._quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writerow(self, cells: Sequence[str]) -> None:
        (self._quoted if any("\r" in c for c in cells) else self._plain).writerow(cells)


#: A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A csv cell; text that a spreadsheet would run as a formula gets a leading `'` (numbers stay)."""
    text = cell_text(value)
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def _tsv_cell(text: str) -> str:
    return text.replace("\t", " ").replace("\n", " ")


def _flatten(record: Any, prefix: str = "", depth: int = 0) -> Iterator[tuple[str, Any]]:
    """Nested dicts become dotted keys (two levels); lists stay compact JSON."""
    if not isinstance(record, dict):
        yield (prefix or "value", record)
        return
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and depth < 1:
            yield from _flatten(value, name + ".", depth + 1)
        else:
            yield (name, value)
