"""An answer that should be a list but is not is an error (exit 1), never an empty list.

Each row poisons ONE list read behind a command that is not a plain `list` verb (those are covered in
test_defensive_shapes): role permissions, the permission catalogue, chat lookups, egg rows, AI plan
links, the SOC overview... A panel that answers `{"error": "busy"}` with HTTP 200 must not make
`roles show` claim a role holds nothing, nor a revoke believe there is nothing to revoke.
"""

from __future__ import annotations

from typing import Any

import fnmatch

import httpx
import pytest

CASES = [
    (("roles", "delete", "moderator", "--yes"), "/api/roles/*/permissions"),
    (("roles", "permissions"), "/api/permissions"),
    (("roles", "list"), "/api/roles"),
    (("rollouts", "show", "1"), "/api/admin/rollouts"),
    (("chat", "bans", "list"), "/api/chat/ip-bans"),
    (("chat", "ip-logs"), "/api/admin/chat/ip-logs"),
    (("chat", "messages", "lookup", "--poster", "1"), "/api/chat/messages/lookup"),
    (("eggs", "show", "1"), "/api/admin/eggs"),
    (("ai", "cooldowns"), "/api/admin/ai/cooldowns"),
    (("ai", "plan-models", "1"), "/api/admin/ai/plans/1/models"),
    (("servers", "mounts", "list"), "/api/admin/mounts"),
    (("soc", "overview"), "/api/soc/overview"),
    (("shorturls", "list"), "/api/admin/shorturls"),
    (("fraud", "list"), "/api/admin/fraud-alerts"),
    (("rollouts", "overrides", "list", "1"), "/api/admin/rollouts/*/overrides"),
    (("plans", "prices", "list", "1"), "/api/admin/regional-prices/*"),
    (("applications", "invites", "list", "beta-testers"), "/api/admin/applications/forms/*/invites"),
    (("soc", "usage", "user", "1"), "/api/soc/usage/user/*"),
]


def _poisoned(sandbox: Any, path: str) -> httpx.MockTransport:
    base = sandbox.transport()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and fnmatch.fnmatch(request.url.path, path):
            return httpx.Response(200, json={"error": "busy"})
        return base.handle_request(request)

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(("words", "path"), CASES, ids=[" ".join(w) for w, _ in CASES])
def test_an_object_where_a_list_belongs_is_exit_1(cli: Any, sandbox: Any, words: tuple[str, ...], path: str) -> None:
    r = cli(*words, "-o", "json", transport=_poisoned(sandbox, path))
    assert r.exit_code == 1, (r.exit_code, r.stdout[:300], r.stderr)
    assert f"GET {path.split('*')[0]}" in r.stderr and "where a list" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_a_real_empty_list_is_still_empty(cli: Any, sandbox: Any) -> None:
    base = sandbox.transport()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/chat/ip-bans":
            return httpx.Response(200, json=[])
        return base.handle_request(request)

    r = cli("chat", "bans", "list", "-o", "json", transport=httpx.MockTransport(handler))
    assert r.exit_code == 0 and r.json() == [], r


def test_extract_items_names_what_arrived() -> None:
    from eclictl.api.errors import ApiBadResponseError
    from eclictl.api.pagination import extract_items

    assert extract_items({"users": [], "total": 0}, "users") == []
    assert extract_items({"data": [{"id": 1}]}, "items") == [{"id": 1}]
    with pytest.raises(ApiBadResponseError, match=r"GET /x: .*an object without a list \(\{error, code\}\)"):
        extract_items({"error": "busy", "code": 3}, "items", "GET /x")
    with pytest.raises(ApiBadResponseError, match="nothing"):
        extract_items(None, None, "GET /x")


def test_orders_payment_methods_refuse_an_object_without_methods(cli: Any, sandbox: Any) -> None:
    """The checkout methods answer `{methods: [...]}`, and only to a login session (tokens, not keys)."""
    from eclictl.sandbox.routes.core import start_session

    env = {"ECLICTL_TOKEN": start_session(sandbox.state, sandbox.state.users[1])["token"]}
    path = "/api/admin/payment-methods"
    assert cli("orders", "payment-methods", "list", "-o", "json", key=None, env=env).exit_code == 0
    r = cli("orders", "payment-methods", "list", "-o", "json", key=None, env=env, transport=_poisoned(sandbox, path))
    assert r.exit_code == 1 and f"GET {path}" in r.stderr and "where a list" in r.stderr, r.stderr


def test_node_server_counts_are_left_out_not_zero_when_unreadable(cli: Any, sandbox: Any) -> None:
    """`nodes list` counts servers per node from /api/admin/servers: an answer it cannot read drops the
    column with a warning, as a refused read does, instead of claiming every node runs 0 servers."""
    r = cli("nodes", "list", "-o", "json", transport=_poisoned(sandbox, "/api/admin/servers"))
    assert r.exit_code == 0, r
    assert "server counts unavailable" in r.stderr and "where a list" in r.stderr, r.stderr
    assert all("serverCount" not in row for row in r.json())


def test_logs_follow_stops_on_an_answer_without_logs(cli: Any, sandbox: Any) -> None:
    """`logs list --follow` polls `{logs: [...]}`: an unreadable poll ends it (exit 1) instead of
    following on as if nothing new had happened."""
    r = cli("logs", "list", "--follow", "--iterations", "1", "-o", "jsonl",
            transport=_poisoned(sandbox, "/api/admin/logs"))
    assert r.exit_code == 1 and "GET /api/admin/logs" in r.stderr and "where a list" in r.stderr, r.stderr
