"""The API client: auth header, retries (safe methods only), error tree, pagination, secrets."""

from __future__ import annotations

import json
from typing import Any, Callable

import httpx
import pytest

from eclictl.api import errors as E
from eclictl.api.client import ApiClient, strip_secrets
from eclictl.api.pagination import PageSpec


def client_for(handler: Callable[[httpx.Request], httpx.Response], **kw: Any) -> tuple[ApiClient, list[float]]:
    sleeps: list[float] = []
    c = ApiClient("http://panel.test/api/", api_key="k" * 64, transport=httpx.MockTransport(handler),
                  sleep=sleeps.append, **kw)
    return c, sleeps


def sequence(*responses: Any) -> tuple[Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    return handler, seen


def ok(body: Any) -> httpx.Response:
    return httpx.Response(200, json=body)


def test_sends_apikey_auth_user_agent_and_api_prefix() -> None:
    handler, seen = sequence(ok({"x": 1}))
    c, _ = client_for(handler)
    assert c.get("/api/admin/users") == {"x": 1}
    req = seen[0]
    assert req.headers["Authorization"] == "ApiKey " + "k" * 64
    assert req.headers["User-Agent"].startswith("eclictl/")
    assert str(req.url) == "http://panel.test/api/admin/users"


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_get_is_retried_on_transient_status_then_succeeds(status: int) -> None:
    handler, seen = sequence(httpx.Response(status, json={"error": "busy"}), ok([1]))
    c, sleeps = client_for(handler)
    assert c.get("/api/x") == [1]
    assert len(seen) == 2 and len(sleeps) == 1


def test_retry_after_is_honoured_and_capped() -> None:
    handler, _ = sequence(httpx.Response(503, headers={"Retry-After": "7"}, json={"error": "x"}), ok({}))
    c, sleeps = client_for(handler)
    c.get("/api/x")
    assert sleeps == [7.0]
    handler, _ = sequence(httpx.Response(503, headers={"Retry-After": "9999"}, json={"error": "x"}), ok({}))
    c, sleeps = client_for(handler)
    c.get("/api/x")
    assert sleeps == [60.0]


def test_429_without_retry_after_backs_off_longer_than_5xx() -> None:
    handler, _ = sequence(httpx.Response(429, json={"error": "Too many requests"}), ok({}))
    c, sleeps = client_for(handler)
    c.get("/api/x")
    assert sleeps[0] >= 3.0


def test_post_not_retried_after_server_error() -> None:
    handler, seen = sequence(httpx.Response(503, json={"error": "down"}), ok({}))
    c, sleeps = client_for(handler)
    with pytest.raises(E.ApiServerError):
        c.post("/api/roles", {"name": "x"})
    assert len(seen) == 1 and sleeps == []


def test_post_not_retried_after_read_error() -> None:
    handler, seen = sequence(httpx.ReadTimeout("slow"), ok({}))
    c, _ = client_for(handler)
    with pytest.raises(E.ApiTimeoutError) as info:
        c.post("/api/roles", {"name": "x"})
    assert "may have reached the panel" in info.value.message
    assert len(seen) == 1


def test_post_retried_on_429_because_the_rate_limiter_answers_before_any_handler() -> None:
    handler, seen = sequence(httpx.Response(429, json={"error": "Too many requests"}), ok({"success": True}))
    c, _ = client_for(handler)
    assert c.post("/api/roles", {"name": "x"}) == {"success": True}
    assert len(seen) == 2


def test_connect_error_retried_for_any_method() -> None:
    handler, seen = sequence(httpx.ConnectError("refused"), ok({"success": True}))
    c, _ = client_for(handler)
    assert c.post("/api/roles", {"name": "x"}) == {"success": True}
    assert len(seen) == 2


def test_connect_error_gives_up_with_network_error() -> None:
    handler, seen = sequence(httpx.ConnectError("refused"))
    c, sleeps = client_for(handler, max_retries=2)
    with pytest.raises(E.ApiConnectionError) as info:
        c.get("/api/x")
    assert info.value.exit_code == 3
    assert len(seen) == 3 and len(sleeps) == 2


def test_read_error_on_get_is_retried() -> None:
    handler, seen = sequence(httpx.RemoteProtocolError("dropped"), ok({"a": 1}))
    c, _ = client_for(handler)
    assert c.get("/api/x") == {"a": 1}
    assert len(seen) == 2


@pytest.mark.parametrize("status,cls,code", [
    (401, E.ApiAuthError, 4), (403, E.ApiPermissionError, 5), (404, E.ApiNotFoundError, 6),
    (400, E.ApiValidationError, 7), (422, E.ApiValidationError, 7), (409, E.ApiConflictError, 7),
    (500, E.ApiServerError, 1),
])
def test_status_maps_to_error_class_and_exit_code(status: int, cls: type, code: int) -> None:
    handler, _ = sequence(httpx.Response(status, json={"error": "nope"}))
    c, _ = client_for(handler, max_retries=0)
    with pytest.raises(cls) as info:
        c.get("/api/x")
    assert info.value.exit_code == code and info.value.message == "nope"


def test_403_names_the_missing_permission() -> None:
    handler, _ = sequence(httpx.Response(403, json={"error": "Admin permission users:suspend required."}))
    c, _ = client_for(handler)
    with pytest.raises(E.ApiPermissionError) as info:
        c.put("/api/admin/users/3", {"suspended": True})
    assert info.value.permission == "users:suspend"
    assert "users:suspend" in (info.value.hint or "")


def test_feature_disabled_503_is_not_retried_and_names_the_flag_from_the_path() -> None:
    handler, seen = sequence(httpx.Response(503, json={"error": "Feature '{feature}' is disabled"}))
    c, _ = client_for(handler)
    with pytest.raises(E.ApiFeatureDisabledError) as info:
        c.get("/api/admin/tickets")
    assert len(seen) == 1
    assert info.value.exit_code == 9 and "ticketing" in info.value.message


def test_feature_disabled_raw_i18n_key_is_exit_9_named_from_the_path() -> None:
    """The live panel answers `{"error": "common.featureDisabled"}` (its request hook cannot translate)."""
    handler, seen = sequence(httpx.Response(503, json={"error": "common.featureDisabled"}))
    c, _ = client_for(handler)
    with pytest.raises(E.ApiFeatureDisabledError) as info:
        c.get("/api/oauth/apps")
    assert len(seen) == 1  # not retried as a 503 server error
    err = info.value
    assert (err.exit_code, err.message) == (9, "Feature 'oauth' is disabled on the panel")
    assert err.hint == "enable it with `eclictl flags enable oauth`" and err.panel_key == "common.featureDisabled"


def test_raw_i18n_keys_become_sentences_and_the_key_is_logged() -> None:
    handler, _ = sequence(httpx.Response(403, json={"error": "user.cannotSuspendAdmin"}))
    lines: list[str] = []
    c = ApiClient("http://panel.test", api_key="k" * 64, transport=httpx.MockTransport(handler),
                  sleep=lambda s: None, log=lines.append)
    with pytest.raises(E.ApiPermissionError) as info:
        c.put("/api/admin/users/1", {"suspended": True})
    assert info.value.message == "root and rootAdmin accounts cannot be suspended"
    assert info.value.panel_key == "user.cannotSuspendAdmin" and info.value.exit_code == 5
    assert "  panel message key: user.cannotSuspendAdmin" in lines
    # a sentence is never mistaken for a key; an unknown key stays as it came
    for text, key in (("Node not found", None), ("Invalid rollout ID", None), ("ticket.somethingNew", "ticket.somethingNew")):
        err = E.error_for_status(400, text, method="GET", path="/api/x", body={"error": text})
        assert (err.panel_key, err.message) == (key, text)


def test_html_error_page_becomes_a_clean_message() -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>"
    handler, _ = sequence(httpx.Response(502, text=page, headers={"content-type": "text/html"}))
    c, _ = client_for(handler, max_retries=0)
    with pytest.raises(E.ApiServerError) as info:
        c.get("/api/x")
    assert "HTML error page (502 Bad Gateway)" in info.value.message
    assert "<" not in info.value.message


def test_non_json_success_body_is_not_a_crash() -> None:
    handler, _ = sequence(httpx.Response(200, text="[object Object]", headers={"content-type": "text/plain"}))
    c, _ = client_for(handler)
    resp = c.request("GET", "/api/roles/7")
    assert resp.data is None and resp.text == "[object Object]" and not resp.is_json


def test_secrets_are_stripped_from_every_response() -> None:
    body = {"user": {"email": "a@b.c", "passwordHash": "x", "sessions": ["s"], "twoFactorSecret": "t",
                     "twoFactorRecoveryCodes": ["r"]}, "key": "a" * 64, "apiKey": "secret", "shareToken": "s"}
    handler, _ = sequence(ok(body))
    c, _ = client_for(handler)
    data = c.get("/api/x")
    assert data == {"user": {"email": "a@b.c"}}
    assert strip_secrets({"apiKey": "v"}, keep=frozenset({"apiKey"})) == {"apiKey": "v"}


def test_pagination_follows_pages_until_total() -> None:
    pages = {1: list(range(1, 51)), 2: list(range(51, 101)), 3: list(range(101, 121))}

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        return ok({"users": [{"id": i} for i in pages.get(page, [])], "total": 120, "page": page, "per": 50})

    c, _ = client_for(handler)
    spec = PageSpec(items_key="users", page_param="page", page_size=50, total_key="total")
    ids = [u["id"] for u in c.iterate("/api/admin/users", spec)]
    assert ids == list(range(1, 121))
    assert [u["id"] for u in c.iterate("/api/admin/users", spec, limit=60)] == list(range(1, 61))
    assert [u["id"] for u in c.iterate("/api/admin/users", spec, start_page=2, single_page=True)] == \
        list(range(51, 101))


def test_pagination_stops_when_the_panel_ignores_the_page_parameter() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return ok({"items": [{"id": 1}, {"id": 2}]})

    c, _ = client_for(handler)
    spec = PageSpec(items_key="items", page_param="page")
    assert len(list(c.iterate("/api/x", spec))) == 2


def test_verbose_log_never_contains_the_key() -> None:
    lines: list[str] = []
    handler, _ = sequence(ok({}))
    c = ApiClient("http://panel.test", api_key="s3cr3t-key-value", transport=httpx.MockTransport(handler),
                  log=lines.append)
    c.get("/api/x", params={"token": "s3cr3t-key-value"})
    assert lines and not any("s3cr3t-key-value" in line for line in lines)
    assert json.dumps(lines).count("****") >= 1


def test_a_nested_total_pages_and_checks_like_a_flat_one() -> None:
    """Mailbox folders state their total at `meta.total`: paging stops there, and a short run is an error."""
    from eclictl.api.errors import ApiBadResponseError
    from eclictl.api.pagination import PageSpec, iterate_pages

    spec = PageSpec(items_key="messages", page_param="page", size_param="limit", page_size=2, total_key="meta.total")
    store = [{"id": i} for i in range(5)]
    asked: list[int] = []

    def fetch(path: str, params: dict) -> dict:
        asked.append(params["page"])
        start = (params["page"] - 1) * 2
        return {"messages": store[start:start + 2], "meta": {"total": len(store)}}

    assert [r["id"] for page in iterate_pages(fetch, "/m", spec) for r in page] == [0, 1, 2, 3, 4]
    assert asked == [1, 2, 3]  # stopped at the stated total, no extra empty page

    def short(path: str, params: dict) -> dict:
        return {"messages": store[:2] if params["page"] == 1 else [], "meta": {"total": 5}}

    with pytest.raises(ApiBadResponseError, match="stated 5 rows but only"):
        list(iterate_pages(short, "/m", spec))
