"""Replay one recorded panel answer (tests/contract/samples/*.json) against a sandbox and compare.

A sample file is `{"request": {method, path, auth, key_kind, body}, "status", "content_type", "body"}`.
`compare()` returns readable problems (empty = the sandbox answered like the real panel):

* status: exactly the same code (200 is not 201; a 200 for a missing id is a 200).
* content type: the same family (`application/json`, `text/plain`, `text/csv`).
* text/plain: the same text (the panel's `[object Object]` bodies).
* text/csv: the same BOM, header row and line ends; no data rows where the sample has none.
* JSON errors (`{"error": ...}` with status >= 400): the same keys and the same message text,
  raw i18n keys and database errors included.
* other JSON: the same shape (tests/contract/shape.py); `metadata` (audit and log entries) is
  free-form JSON whose keys depend on the action, so only its kind is compared.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.contract.shape import content_family, is_error_body, shape_diff

BOM = "\ufeff"
FREE_FORM = frozenset({"metadata"})


def csv_problems(want: str, got: str) -> list[str]:
    """CSV exports: values differ per panel, the framing must not."""
    problems = []
    if want.startswith(BOM) != got.startswith(BOM):
        problems.append(f"csv: BOM expected={want.startswith(BOM)} got={got.startswith(BOM)}")
    want_nl = "\r\n" if "\r\n" in want else "\n"
    want_header = want.lstrip(BOM).split(want_nl, 1)[0]
    got_header = got.lstrip(BOM).replace("\r\n", "\n").split("\n", 1)[0]
    if want_header != got_header:
        problems.append(f"csv: header {got_header!r} != {want_header!r}")
    if want_nl in want and "\n" in got.strip() and ("\r\n" in got) != (want_nl == "\r\n"):
        problems.append("csv: line ends differ (the panel writes CRLF)")
    if want_nl not in want.strip() and got.strip().lstrip(BOM).count("\n"):
        problems.append("csv: the panel sends only the header row here")
    return problems


def _fixed(text: str, variable: str | None) -> str:
    return re.sub(variable, "<variable>", text) if variable else text


def compare(sample: dict[str, Any], status: int, content_type: str | None, text: str,
            extra: frozenset[str] = frozenset(), variable: str | None = None) -> list[str]:
    """Problems between a recorded answer and the sandbox's (status, content type, body text).

    `extra`: optional keys the sandbox may add or lack whatever this sample shows.
    `variable`: a regular expression for the part of an error text that differs per environment.
    """
    want_status = sample["status"]
    if status != want_status:
        return [f"status {status} != {want_status}: {text[:300]}"]
    family = content_family(sample["content_type"])
    if content_family(content_type) != family:
        return [f"content type {content_type!r} != {sample['content_type']!r}: {text[:200]}"]
    want = sample["body"]
    if family == "text/csv":
        return csv_problems(want, text)
    if family != "application/json":
        return [] if text == want else [f"body {text[:200]!r} != {want[:200]!r}"]
    try:
        got = json.loads(text)
    except ValueError:
        return [f"not JSON: {text[:200]!r}"]
    if is_error_body(want) and want_status >= 400:
        if not is_error_body(got) or set(got) != set(want):
            return [f"error body {got!r:.300} != {want!r:.300}"]
        if _fixed(got["error"], variable) != _fixed(want["error"], variable):
            return [f"error text {got['error']!r} != {want['error']!r}"]
        return []
    return shape_diff(want, got, allow_extra=extra, free=FREE_FORM)
