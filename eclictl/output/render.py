"""emit(): normalise → redact → select columns → render, for every command.

Formats: table (rich, TTY), tsv (piped default), json, jsonl, csv, ids. json/jsonl/csv/ids
stream: rows are written as they arrive, so `list --all` runs in constant memory. csv is for
spreadsheets: a text cell starting with = + - @ tab or CR gets a leading `'` (CSV injection);
json, jsonl and tsv keep every value as the panel sent it.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping, Sequence, TextIO

from eclictl.errors import UsageError
from eclictl.output.columns import Col, auto_columns, cell_text, get_path
from eclictl.output.redact import Redactor


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


@dataclass
class RenderOptions:
    fmt: str = "tsv"
    columns: list[str] | None = None
    no_headers: bool = False
    redactor: Redactor = field(default_factory=lambda: Redactor(()))
    color: bool = False
    width: int | None = None


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
        declared = list(view.columns or [])
        if not declared and isinstance(first, dict):
            declared = auto_columns(first)
        if not self.opts.columns:
            return declared
        known = {c.key: c for c in declared}
        valid = set(known)
        if isinstance(first, dict):
            valid |= set(first)
        chosen = []
        for key in self.opts.columns:
            if key in known:
                chosen.append(known[key])
            elif key in valid or (first is None and not declared) or "." in key:
                chosen.append(Col(key))
            else:
                raise UsageError(f"unknown column '{key}'",
                                 hint=f"valid columns: {', '.join(sorted(valid))}")
        return chosen

    def _emit_rows(self, rows: Iterator[Any], view: View) -> None:
        fmt = self.opts.fmt
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

    def _rich_table(self, rows: list[dict[str, Any]], cols: list[Col], view: View) -> None:
        from rich.console import Console
        from rich.table import Table

        console = Console(file=self.out, no_color=not self.opts.color, highlight=False,
                          force_terminal=self.tty, width=self.opts.width, soft_wrap=False)
        if not rows:
            if view.empty is not None:
                console.print(view.empty, style="dim")
            elif self.tty:
                console.print("(no results)", style="dim")
            return
        table = Table(title=view.title, show_header=not self.opts.no_headers, header_style="bold",
                      box=None, pad_edge=False, expand=False)
        cells = [[cell_text(get_path(row, c.key), c.fmt) for c in cols] for row in rows]
        widths = fit_widths(cols, cells, console.width, id_field=view.id_field)
        for c, width in zip(cols, widths):
            table.add_column(c.title, overflow="ellipsis", no_wrap=True, width=width)
        for line in cells:
            table.add_row(*line, style=None)
        console.print(table)

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
        else:
            from rich.console import Console
            from rich.table import Table

            console = Console(file=self.out, no_color=not self.opts.color, highlight=False,
                              force_terminal=self.tty, width=self.opts.width)
            table = Table(title=view.title, show_header=False, box=None, pad_edge=False)
            table.add_column("field", style="bold")
            table.add_column("value", overflow="fold")
            for key, value in _flatten(record):
                table.add_row(key, cell_text(value))
            console.print(table)

    def _write_json_value(self, value: Any) -> None:
        self.out.write(dumps(value) + "\n")


def fit_widths(cols: Sequence[Col], cells: list[list[str]], total: int, *, id_field: str | None = None,
               floor: int = 6, sample: int = 200) -> list[int]:
    """Column widths that fit `total`: shrink the widest columns first, never the id column.

    (rich squeezes every column alike when a table is too wide, which can erase a short id or
    state column while a long description keeps its room.)
    """
    natural = []
    for i, c in enumerate(cols):
        width = max([len(c.title)] + [len(line[i]) for line in cells[:sample]])
        natural.append(min(width, c.max_width) if c.max_width else width)
    minimum = [n if c.key == id_field else min(n, max(floor, min(len(c.title), 8))) for c, n in zip(cols, natural)]
    widths = list(natural)
    excess = sum(widths) + 2 * max(len(widths) - 1, 0) - total
    while excess > 0:
        candidates = [i for i, w in enumerate(widths) if w > minimum[i]]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i])
        widths[widest] -= 1
        excess -= 1
    return widths


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
