"""Issue #21.10: `-o csv` neutralises cells a spreadsheet would run; json/jsonl/tsv stay raw."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from eclictl.output.render import Renderer, RenderOptions, View

HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def render(fmt: str, data: Any) -> str:
    out = io.StringIO()
    Renderer(out, io.StringIO(), RenderOptions(fmt=fmt), tty=False).emit(data)
    return out.getvalue()


def test_csv_prefixes_formula_cells_in_lists_and_records() -> None:
    rows = [{"id": i, "name": text} for i, text in enumerate(HOSTILE)]
    parsed = list(csv.DictReader(io.StringIO(render("csv", View(rows)))))
    assert [r["name"] for r in parsed] == ["'" + t for t in HOSTILE]
    record = list(csv.reader(io.StringIO(render("csv", {"id": 1, "note": "=1+1"}))))
    assert record == [["id", "note"], ["1", "'=1+1"]]


def test_csv_leaves_numbers_and_plain_text() -> None:
    rows = [{"id": -5, "balance": -1.5, "name": "Jane", "when": "2026-01-01", "mail": "a@b.c"}]
    parsed = list(csv.reader(io.StringIO(render("csv", View(rows)))))
    assert parsed[1] == ["-5", "-1.5", "Jane", "2026-01-01", "a@b.c"]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "tsv"])
def test_other_formats_stay_raw(fmt: str) -> None:
    text = render(fmt, View([{"id": 1, "name": "=1+1"}, {"id": 2, "name": "@x"}]))
    assert "'=1+1" not in text and "=1+1" in text and "'@x" not in text


def test_a_user_name_reaches_csv_neutralised(cli: Any, sandbox: Any) -> None:
    user = next(u for u in sandbox.state.users.values() if u.get("role") is None)
    user["firstName"] = "=cmd|' /C calc'!A0"
    r = cli("users", "show", str(user["id"]), "-o", "csv")
    assert r.exit_code == 0, r
    row = dict(zip(*csv.reader(io.StringIO(r.stdout))))
    assert row["firstName"] == "'=cmd|' /C calc'!A0"
    assert cli("users", "show", str(user["id"]), "-o", "json").json()["firstName"] == "=cmd|' /C calc'!A0"
