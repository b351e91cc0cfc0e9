"""The sandbox Request readers every route module shares, and what they answer like the panel."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eclictl.sandbox import Sandbox
from eclictl.sandbox.router import HttpError, Request, found, keys_where, whole


def _req(body: bytes = b"", query: dict[str, list[str]] | None = None, **params: str) -> Request:
    return Request("PUT", "/x", query or {}, {}, body, None, dict(params))


@pytest.mark.parametrize("body", [b"", b"  ", b"[]", b"[1]", b"5", b'"text"', b"null", b"true"])
def test_json_object_reads_anything_but_an_object_as_empty(body: bytes) -> None:
    assert _req(body).json_object() == {}


def test_json_object_passes_an_object_and_rejects_malformed_json() -> None:
    assert _req(b'{"a": 1}').json_object() == {"a": 1}
    with pytest.raises(HttpError) as exc:
        _req(b"{nope").json_object()
    assert (exc.value.status, exc.value.body) == (400, {"error": "Request error"})


def test_json_object_reading_fails_like_a_field_read_on_undefined() -> None:
    with pytest.raises(RuntimeError, match=r"^Cannot read properties of undefined \(reading 'code'\)$"):
        _req(b"[]").json_object(reading="code")
    assert _req(b'{"code": "X"}').json_object(reading="code") == {"code": "X"}


@pytest.mark.parametrize(("raw", "expected"), [
    (None, 7), ("", 7), ("abc", 7), ("2abc", 7), ("1.5", 7), ("3", 3), (" 4 ", 4), ("0", 1), ("-9", 1), ("999", 50),
])
def test_int_arg_defaults_then_clamps(raw: str | None, expected: int) -> None:
    query = {} if raw is None else {"per": [raw]}
    assert _req(query=query).int_arg("per", 7, high=50) == expected


def test_row_and_remove_answer_the_named_404() -> None:
    rows: dict[Any, Any] = {3: {"id": 3}}
    assert _req(id="3").row(rows, "Thing not found") == {"id": 3}
    for raw in ("4", "3.5"):  # no such row; a fraction matches no row either
        with pytest.raises(HttpError) as exc:
            _req(id=raw).row(rows, "Thing not found")
        assert (exc.value.status, exc.value.body) == (404, {"error": "Thing not found"})
    with pytest.raises(HttpError) as exc:  # NaN reaches SQL: the panel's global 500
        _req(id="abc").row(rows, "Thing not found")
    assert exc.value.status == 500
    assert _req(linkId="3").remove(rows, "Link not found", "linkId") == {"id": 3}
    assert rows == {}
    with pytest.raises(HttpError):
        _req(linkId="3").remove(rows, "Link not found", "linkId")


def test_found_whole_and_keys_where() -> None:
    users = {2: {"id": 2}}
    assert found(users, whole("2"), "User not found") == {"id": 2}
    assert [whole(v) for v in ("7", 1.9, "abc", None, [1])] == [7, 1, None, None, None]
    with pytest.raises(HttpError):
        found(users, whole("abc"), "User not found")
    links = {1: {"a": 1, "b": 2}, 2: {"a": 1, "b": 3}, 3: {"a": 2, "b": 2}}
    assert keys_where(links, "none", a=1) == [1, 2]
    assert keys_where(links, "none", a=1, b=3) == [2]
    with pytest.raises(HttpError) as exc:
        keys_where(links, "Link not found", a=9)
    assert exc.value.body == {"error": "Link not found"}


def test_ticket_status_and_reply_go_through_javascript_string() -> None:
    """adminHandler.ts stores `String(adminReply)` and `normalizeTicketStatus(String(status))`: an array is
    joined with commas, an object is `[object Object]` (not a Python repr)."""
    sandbox = Sandbox(seed=0, rate_limit=None)
    headers = {"authorization": f"Bearer {sandbox.keys['admin']}", "content-type": "application/json"}
    body = json.dumps({"status": ["Closed"], "adminReply": [1, None, {"x": 1}]}).encode()
    status, _, raw = sandbox.handle("PUT", "/api/admin/tickets/1", {}, headers, body)
    ticket = json.loads(raw)["ticket"]
    assert status == 200
    assert (ticket["status"], ticket["adminReply"]) == ("closed", "1,,[object Object]")
