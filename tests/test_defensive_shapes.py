"""Every list verb survives odd but possible panel answers: no traceback, no "internal error".

The real panel is not the sandbox: wrappers may be missing, fields absent, bodies text/plain
(`[object Object]`). A list must then show nothing or say what is wrong, in one line.
"""

from __future__ import annotations

import functools
from typing import Any

import httpx
import pytest

from tests.test_all_sections import LIST_COMMANDS, SESSION_ONLY

ODD_BODIES = {
    "empty-object": (200, {"content-type": "application/json"}, b"{}"),
    "empty-array": (200, {"content-type": "application/json"}, b"[]"),
    "object-object": (200, {"content-type": "text/plain;charset=utf-8"}, b"[object Object]"),
    "html-login-page": (200, {"content-type": "text/html"}, b"<html><head><title>Sign in</title></head></html>"),
    "rows-without-fields": (200, {"content-type": "application/json"}, b'[{}, {"id": null}, {"unexpected": 1}]'),
}


def _odd_transport(sandbox: Any, answer: tuple[int, dict[str, str], bytes]) -> httpx.MockTransport:
    base = sandbox.transport()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.startswith("/api/") and request.url.path != "/api/users/me":
            status, headers, body = answer
            return httpx.Response(status, headers=headers, content=body)
        return base.handle_request(request)

    return httpx.MockTransport(handler)


@pytest.mark.parametrize("kind", sorted(ODD_BODIES))
@pytest.mark.parametrize("words", LIST_COMMANDS, ids=[" ".join(p) for p in LIST_COMMANDS])
def test_list_verbs_survive_odd_bodies(cli: Any, sandbox: Any, words: tuple[str, ...], kind: str) -> None:
    if words in SESSION_ONLY:
        from eclictl.sandbox.routes.core import start_session

        token = start_session(sandbox.state, sandbox.state.users[1])["token"]
        cli = functools.partial(cli, key=None, env={"ECLICTL_TOKEN": token})
    transport = _odd_transport(sandbox, ODD_BODIES[kind])
    for fmt in ("json", "table"):
        r = cli(*words, "-o", fmt, transport=transport)
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr, (fmt, r.stderr)
        assert r.exit_code in (0, 1, 7), (fmt, r)
        assert len(r.stderr.strip().splitlines()) <= 3, r.stderr


def _show_sections() -> list[Any]:
    from eclictl.sections._spec import all_sections

    return [s for s in all_sections() if "show" in s.verbs]


SHOW_SECTIONS = _show_sections()


@pytest.mark.parametrize("kind", sorted(ODD_BODIES))
@pytest.mark.parametrize("section", SHOW_SECTIONS, ids=[s.name for s in SHOW_SECTIONS])
def test_show_verbs_survive_odd_bodies(cli: Any, sandbox: Any, section: Any, kind: str) -> None:
    r = cli(*section.name.split(), "show", "1", "-o", "json", transport=_odd_transport(sandbox, ODD_BODIES[kind]))
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    assert r.exit_code in (0, 1, 6, 7), r
    assert len(r.stderr.strip().splitlines()) <= 3, r.stderr


# Lists whose panel answer is one object, not a list of records: `{}` is a readable (empty) answer there.
OBJECT_ANSWERS = {("flags", "list"), ("geoblock", "list"), ("profile", "list")}


@pytest.mark.parametrize("words", LIST_COMMANDS, ids=[" ".join(p) for p in LIST_COMMANDS])
def test_list_verbs_never_read_an_object_without_rows_as_empty(cli: Any, sandbox: Any, words: tuple[str, ...]) -> None:
    """`{"error": ...}` with HTTP 200 is not "no rows": a cron script must not take it for an empty list."""
    if words in SESSION_ONLY or words in OBJECT_ANSWERS:
        pytest.skip("session-only or object answer")
    transport = _odd_transport(sandbox, (200, {"content-type": "application/json"}, b'{"error": "busy"}'))
    r = cli(*words, "-o", "json", transport=transport)
    assert r.exit_code == 1, (r.exit_code, r.stdout[:200])
    assert "where a list" in r.stderr and "Traceback" not in r.stderr, r.stderr
