"""The sandbox's authentication, permission gates, rate limit and fault switches (docs/panel/auth.md, docs/panel/errors.md)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from eclictl.sandbox import Sandbox
from eclictl.sandbox.auth import Principal, check_gate, matches
from eclictl.sandbox.router import HttpError
from eclictl.sandbox.state import SANDBOX_PASSWORD

USERS = "/api/admin/users"


class Clock:
    """Injected into state.clock so expiry and rate windows move without sleeping."""

    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def sb() -> Sandbox:
    panel = Sandbox(seed=0, users=40)
    panel.state.clock = Clock()
    return panel


@pytest.fixture
def client(sb: Sandbox) -> httpx.Client:
    return httpx.Client(transport=sb.transport(), base_url="http://sandbox.test")


def call(sb: Sandbox, method: str, path: str, headers: dict[str, str] | None = None, body: Any = None,
         query: dict[str, list[str]] | None = None) -> tuple[int, dict[str, str], Any]:
    raw = json.dumps(body).encode() if body is not None else b""
    status, out, data = sb.handle(method, path, query or {}, {k.lower(): v for k, v in (headers or {}).items()}, raw)
    ctype = out.get("content-type", "")
    return status, out, json.loads(data) if ctype.startswith("application/json") else data


def key(sb: Sandbox, name: str) -> dict[str, str]:
    return {"Authorization": f"ApiKey {sb.keys[name]}"}


def login(sb: Sandbox, email: str) -> dict[str, str]:
    status, _, body = call(sb, "POST", "/api/auth/login", body={"email": email, "password": SANDBOX_PASSWORD})
    assert status == 200 and body["token"] and body["csrfToken"], body
    assert set(body) == {"token", "csrfToken"}  # the real answer: the response schema drops `user`
    return {"Authorization": f"Bearer {body['token']}"}


# -- 401 matrix (docs/panel/auth.md#credentials) ---------------------------------------------
@pytest.mark.parametrize(("headers", "message"), [
    ({}, "Missing token"),
    ({"Authorization": "ApiKey " + "0" * 64}, "Invalid API key"),
    ({"X-API-Key": "0" * 64}, "Invalid API key"),
    ({"Authorization": "Bearer " + "0" * 64}, "Invalid token"),
    ({"Authorization": "0" * 64}, "Invalid token"),  # bare token > 20 chars = Bearer
    ({"Authorization": "Basic dXNlcjpwdw=="}, "Invalid token format"),
    ({"Authorization": "short"}, "Invalid token format"),
    ({"Cookie": "token=" + "0" * 40}, "Invalid token"),
])
def test_401_matrix(sb: Sandbox, headers: dict[str, str], message: str) -> None:
    status, out, body = call(sb, "GET", USERS, headers)
    assert (status, body) == (401, {"error": message})
    assert out["content-type"].startswith("application/json")


def test_every_key_form_is_accepted(sb: Sandbox) -> None:
    k = sb.keys["admin"]
    for headers in ({"Authorization": f"ApiKey {k}"}, {"Authorization": f"Bearer {k}"}, {"Authorization": k},
                    {"X-API-Key": k}):
        assert call(sb, "GET", USERS, headers)[0] == 200, headers


def test_expired_key_is_an_invalid_api_key(sb: Sandbox) -> None:
    assert call(sb, "GET", "/api/users/me", key(sb, "expired"))[2] == {"error": "Invalid API key"}


# -- 403 matrix (docs/panel/auth.md#gates) ---------------------------------------------------
def test_plain_client_key_fails_the_a_gate(sb: Sandbox) -> None:
    assert call(sb, "GET", USERS, key(sb, "plain"))[:3:2] == (403, {"error": "Insufficient permissions (api key)"})


def test_root_client_key_without_permissions_fails_the_a_gate(sb: Sandbox) -> None:
    status, _, body = call(sb, "GET", "/api/roles", key(sb, "root_client"))
    assert (status, body) == (403, {"error": "Insufficient permissions (api key)"})


def test_root_client_key_passes_h_checks_once_the_a_gate_is_scoped(sb: Sandbox) -> None:
    assert call(sb, "GET", USERS, key(sb, "root_client_star"))[0] == 200
    _, _, made = call(sb, "POST", "/api/apikeys", key(sb, "admin"),
                      {"name": "scoped", "type": "client", "permissions": ["admin:access"]})
    assert made["entry"]["permissions"] == ["admin:access"] and made["entry"]["key"] == made["apiKey"]
    # H(users:read) is not on the key, but the owner is root: passes (docs/panel/auth.md#gates).
    assert call(sb, "GET", USERS, {"X-API-Key": made["apiKey"]})[0] == 200


def test_staff_client_key_fails_h_even_with_the_permission(sb: Sandbox) -> None:
    status, _, body = call(sb, "GET", USERS, key(sb, "staff_client"))
    assert (status, body) == (403, {"error": "Admin permission users:read required."})


def test_staff_jwt_login_gets_role_permissions(sb: Sandbox) -> None:
    staff = login(sb, "staff@example.com")
    status, _, body = call(sb, "GET", USERS, staff, query={"q": ["spam.test"]})
    assert status == 200 and body["per"] == 50
    assert all("spam.test" in u["email"] and "passwordHash" not in u and "twoFactorSecret" in u
               for u in body["users"])
    session = call(sb, "GET", "/api/auth/session", staff)[2]["user"]
    assert session["permissions"] == ["admin:access", "users:read", "admin:kyc:view", "admin:fraud"]
    # support lacks roles:read -> the plain A message for JWT users
    assert call(sb, "GET", "/api/roles", staff)[2] == {"error": "Insufficient permissions"}


def test_child_role_inherits_its_direct_parent(sb: Sandbox) -> None:
    mod = login(sb, "moderator@example.com")
    perms = call(sb, "GET", "/api/auth/session", mod)[2]["user"]["permissions"]
    assert {"admin:antiabuse", "users:suspend", "admin:access", "users:read"} <= set(perms)


def test_default_role_fallback_reaches_later_checks_of_the_same_request(sb: Sandbox) -> None:
    plain = Principal(user=sb.state.users[2], via="jwt", permissions=[])
    with pytest.raises(HttpError) as err:
        check_gate(plain, "H", "servers:create", sb.state)  # H alone has no fallback
    assert err.value.body == {"error": "Admin permission servers:create required."}
    check_gate(plain, "A", "servers:create", sb.state)  # A falls back to `default`...
    check_gate(plain, "H", "servers:create", sb.state)  # ...and writes it into the request's list
    with pytest.raises(HttpError) as err:
        check_gate(plain, "A", "admin:access", sb.state)
    assert err.value.status == 403 and err.value.body == {"error": "Insufficient permissions"}


def test_page_and_s_checks(sb: Sandbox) -> None:
    admin_key = Principal(user=sb.state.users[3], key={"type": "admin", "permissions": []}, via="apikey")
    check_gate(admin_key, "PAGE", "", sb.state)
    with pytest.raises(HttpError) as err:
        check_gate(admin_key, "S", "soc:read", sb.state)  # S ignores the key type: owner is not root
    assert err.value.status == 403
    client_key = Principal(user=sb.state.users[3], key={"type": "client", "permissions": ["*"]}, via="apikey")
    with pytest.raises(HttpError) as err:
        check_gate(client_key, "PAGE", "", sb.state)
    assert err.value.body == {"error": "Admin page access required."}
    with pytest.raises(HttpError) as err:
        check_gate(None, "A", "admin:access", sb.state)
    assert err.value.status == 401


@pytest.mark.parametrize(("granted", "required", "ok"), [
    ("*", "anything:at:all", True), ("users:read", "users:read", True), ("admin", "admin:access", True),
    ("admin:kyc:view", "admin:kyc:view:id", True), ("nodes:*", "nodes:read", True),
    ("admin:kyc:view:id", "admin:kyc:view", False), ("users:read", "users:write", False),
    ("admin.mounts.add/remove", "admin.mounts.add/remove", True), ("admin.mounts", "admin:mounts", False),
])
def test_matches(granted: str, required: str, ok: bool) -> None:
    assert matches(granted, required) is ok


# -- JWT sessions -----------------------------------------------------------------------------
def test_suspended_jwt_user_is_403_but_their_api_key_still_works(sb: Sandbox) -> None:
    staff = login(sb, "staff@example.com")
    sb.state.users[3]["suspended"] = True
    assert call(sb, "GET", "/api/users/me", staff)[:3:2] == (403, {"error": "Account is suspended. Please "
                                                                              "contact support."})
    assert call(sb, "GET", "/api/users/me", key(sb, "staff_client"))[0] == 200


def test_token_expiry_logout_and_revoked_session(sb: Sandbox) -> None:
    staff = login(sb, "staff@example.com")
    assert call(sb, "GET", "/api/users/me", staff)[0] == 200
    sb.state.clock.t += sb.state.token_ttl + 1  # type: ignore[attr-defined]
    assert call(sb, "GET", "/api/users/me", staff)[2] == {"error": "Invalid token"}
    staff = login(sb, "staff@example.com")
    assert call(sb, "POST", "/api/auth/logout", staff)[0] == 200
    assert call(sb, "GET", "/api/users/me", staff)[0] == 401
    staff = login(sb, "staff@example.com")
    sb.state.users[3]["sessions"] = []  # revoked elsewhere
    assert call(sb, "GET", "/api/users/me", staff)[2] == {"error": "Invalid session"}


def test_login_errors_and_two_factor(sb: Sandbox) -> None:
    assert call(sb, "POST", "/api/auth/login", body={})[:3:2] == (422, {"error": "Request error"})
    status, _, body = call(sb, "POST", "/api/auth/login", body={"email": "staff@example.com", "password": "x"})
    assert status == 401 and isinstance(body["error"], str)
    status, _, body = call(sb, "POST", "/api/auth/login",
                           body={"email": "twofa@example.com", "password": SANDBOX_PASSWORD})
    assert status == 200 and body["twoFactorRequired"] is True and "token" not in body
    bad = call(sb, "POST", "/api/auth/2fa/verify-login", body={"tempToken": body["tempToken"], "token": "000000"})
    assert bad[0] == 401
    ok = call(sb, "POST", "/api/auth/2fa/verify-login", body={"tempToken": body["tempToken"], "token": "123456"})
    assert ok[0] == 200 and set(ok[2]) == {"token", "csrfToken"}
    me = call(sb, "GET", "/api/auth/session", {"Authorization": f"Bearer {ok[2]['token']}"})[2]["user"]
    assert me["email"] == "twofa@example.com"


# -- routing, rate limit, feature flags -------------------------------------------------------
def test_unknown_route_and_wrong_method_are_404_without_auth(sb: Sandbox) -> None:
    assert call(sb, "GET", "/api/nope")[:3:2] == (404, {"error": "Route not found"})
    assert call(sb, "PATCH", "/api/roles")[:3:2] == (404, {"error": "Route not found"})
    assert call(sb, "GET", "/health")[:3:2] == (200, {"status": "ok"})


def test_global_rate_limit_has_no_retry_after_and_resets_with_the_window() -> None:
    sb = Sandbox(seed=0, users=10, rate_limit=5)
    sb.state.clock = Clock()
    for _ in range(5):
        assert call(sb, "GET", "/health")[0] == 200
    status, headers, body = call(sb, "GET", "/health")
    assert (status, body) == (429, {"error": "Too many requests"})
    assert "retry-after" not in {k.lower() for k in headers}
    sb.state.clock.t += 60  # type: ignore[attr-defined]
    assert call(sb, "GET", "/health")[0] == 200


def test_rate_limit_none_disables_it() -> None:
    sb = Sandbox(seed=0, users=10, rate_limit=None)
    assert all(call(sb, "GET", "/health")[0] == 200 for _ in range(600))


def test_feature_flag_off_is_503_with_the_raw_i18n_key(sb: Sandbox) -> None:
    sb.state.settings.setdefault("featureToggles", {})["ticketing"] = False
    status, _, body = call(sb, "GET", "/api/admin/tickets", key(sb, "admin"))
    assert (status, body) == (503, {"error": "common.featureDisabled"})


def test_api_key_creation_rules(sb: Sandbox) -> None:
    staff = login(sb, "staff@example.com")
    assert call(sb, "POST", "/api/apikeys", key(sb, "admin"), {"name": "x", "type": "root"})[2] == {
        "error": "name and valid type required"}
    _, _, listed = call(sb, "GET", "/api/apikeys", key(sb, "admin"))
    assert all("key" not in k and "passwordHash" in k["user"] for k in listed)
    assert call(sb, "DELETE", "/api/apikeys/99999", key(sb, "admin"))[2] == {"success": True}
    assert call(sb, "GET", "/api/apikeys/99999", key(sb, "admin"))[:3:2] == (404, {"error": "not found"})
    assert call(sb, "GET", "/api/apikeys/my", key(sb, "plain"))[2][0]["name"] == "plain-client"
    # staff via JWT holds no apikeys:create (A gate); the default role does not either
    assert call(sb, "POST", "/api/apikeys", staff, {"name": "x", "type": "client"})[0] == 403


def test_api_key_creation_rate_limit_skipped_only_for_role_star(sb: Sandbox) -> None:
    support = sb.state.role_by_name("support")
    assert support is not None
    pid = sb.state.next_id("permissions")
    sb.state.permissions[pid] = {"id": pid, "value": "apikeys:create", "roleId": support["id"]}
    staff = login(sb, "staff@example.com")
    for n in range(5):
        status, _, made = call(sb, "POST", "/api/apikeys", staff,
                               {"name": f"k{n}", "type": "client", "permissions": ["users:read", "nodes:read"]})
        assert status == 200 and made["entry"]["permissions"] == ["users:read"]  # nodes:read silently dropped
    status, headers, body = call(sb, "POST", "/api/apikeys", staff, {"name": "k6", "type": "client"})
    assert status == 429 and body["error"] == "rate_limited" and int(headers["retry-after"]) == body["retryAfter"]
    for n in range(12):
        assert call(sb, "POST", "/api/apikeys", key(sb, "admin"), {"name": f"a{n}", "type": "admin"})[0] == 200


def test_role_quirks(sb: Sandbox) -> None:
    admin = key(sb, "admin")
    status, headers, body = call(sb, "GET", "/api/roles/1", admin)
    assert (status, body) == (200, b"[object Object]") and headers["content-type"].startswith("text/plain")
    assert call(sb, "POST", "/api/roles", admin, {"description": "no name"})[:3:2] == (
        500, {"error": "Internal server error"})
    assert call(sb, "POST", "/api/roles", admin, {"name": "support"})[0] == 500
    assert call(sb, "DELETE", "/api/roles/2", admin)[0] == 500  # has permissions, users and a child
    perm = next(p for p in sb.state.permissions.values() if p["value"] == "admin:fraud")
    assert call(sb, "DELETE", f"/api/roles/999/permissions/{perm['id']}", admin)[2] == {"success": True}
    assert perm["id"] not in sb.state.permissions
    _, _, first = call(sb, "POST", "/api/users/9/roles", admin, {"roleId": 4})
    _, _, second = call(sb, "POST", "/api/users/9/roles", admin, {"roleId": 4})
    assert first["ur"]["id"] != second["ur"]["id"] and "passwordHash" in first["ur"]["user"]
    assert call(sb, "DELETE", f"/api/users/12345/roles/{first['ur']['id']}", admin)[2] == {"success": True}
    assert len(call(sb, "GET", "/api/permissions", admin)[2]) == 132


# -- faults -----------------------------------------------------------------------------------
def test_fault_html_page_then_normal(sb: Sandbox, client: httpx.Client) -> None:
    sb.inject_fault(path="/api/admin/users", status=502, html=True)
    r = client.get(USERS, headers=key(sb, "admin"))
    assert r.status_code == 502 and r.headers["content-type"].startswith("text/html") and "<html" in r.text
    assert client.get(USERS, headers=key(sb, "admin")).status_code == 200


def test_fault_after_and_times(sb: Sandbox, client: httpx.Client) -> None:
    sb.inject_fault(method="GET", path="/health", status=503, times=2, after=1)
    codes = [client.get("/health").status_code for _ in range(5)]
    assert codes == [200, 503, 503, 200, 200]
    assert client.post("/api/auth/logout").status_code == 401  # method/path filters left it alone


def test_fault_json_and_text_bodies(sb: Sandbox, client: httpx.Client) -> None:
    sb.inject_fault(status=500, body={"error": "Internal server error"})
    sb.inject_fault(status=418, body="teapot")
    assert client.get("/health").json() == {"error": "Internal server error"}
    assert client.get("/health").text == "teapot"
    sb.inject_fault(status=500, times=3)
    sb.clear_faults()
    assert client.get("/health").status_code == 200


@pytest.mark.parametrize(("kind", "exc"), [("drop", httpx.RemoteProtocolError), ("timeout", httpx.ReadTimeout),
                                           ("connect_error", httpx.ConnectError)])
def test_connection_faults(sb: Sandbox, client: httpx.Client, kind: str, exc: type[Exception]) -> None:
    before = len(sb.state.roles)
    sb.inject_fault(method="POST", path="/api/roles", **{kind: True})
    with pytest.raises(exc):
        client.post("/api/roles", json={"name": "never"}, headers=key(sb, "admin"))
    assert len(sb.state.roles) == before
    assert client.post("/api/roles", json={"name": "now"}, headers=key(sb, "admin")).status_code == 200


def test_fault_rate_one_answers_every_request_with_a_503_page() -> None:
    sb = Sandbox(seed=0, users=10, fault_rate=1.0)
    status, headers, body = sb.handle("GET", "/health", {}, {}, b"")
    assert status == 503 and headers["content-type"].startswith("text/html") and b"<html" in body


def test_requests_are_recorded_and_handler_errors_become_500(sb: Sandbox, client: httpx.Client) -> None:
    from eclictl.sandbox import router

    @router.route("GET", "/api/test-only-boom", auth=False)
    def boom(req: Any) -> Any:
        raise RuntimeError("kaboom")

    try:
        r = client.get("/api/test-only-boom", params={"a": "1"})
        assert (r.status_code, r.json()) == (500, {"error": "Internal server error"})
        assert sb.requests[-1] == ("GET", "/api/test-only-boom?a=1", 500)
        assert "kaboom" in sb.errors[-1]
        assert sb.max_in_flight >= 1 and sb.in_flight == 0
    finally:
        router.ROUTES[:] = [r for r in router.ROUTES if r.pattern != "/api/test-only-boom"]


def test_seed_is_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    # Seeded dates are relative to "now" (a fresh-looking demo): hold the clock still across both.
    import time

    frozen = time.time()
    monkeypatch.setattr(time, "time", lambda: frozen)
    a, b = Sandbox(seed=7, users=30), Sandbox(seed=7, users=30)
    core = ("email", "firstName", "lastName", "createdAt", "dateOfBirth", "passwordHash", "twoFactorSecret")
    assert a.keys == b.keys and a.state.roles == b.state.roles and a.state.permissions == b.state.permissions
    assert [[u[c] for c in core] for u in a.state.users.values()] == [[u[c] for c in core]
                                                                      for u in b.state.users.values()]
    assert Sandbox(seed=8, users=30).keys["admin"] != a.keys["admin"]
    assert all(len(k) == 64 and int(k, 16) >= 0 for k in a.keys.values())


def test_seed_has_the_documented_population(sb: Sandbox) -> None:
    users = Sandbox(seed=0).state.users
    assert len(users) == 300 and users[1]["email"] == "root@example.com" and users[1]["role"] == "*"
    rows = list(users.values())
    assert any(u["role"] == "rootAdmin" for u in rows) and any(u["suspended"] for u in rows)
    assert any(u["fraudFlag"] and u["email"] in (u["fraudReason"] or "") for u in rows)
    assert sum(u["email"].endswith("@spam.test") for u in rows) >= 3
    assert {len(str(u["dateOfBirth"])) for u in rows if u["dateOfBirth"]} == {10, 24}
    assert any(u["twoFactorEnabled"] and u["twoFactorSecret"] for u in rows)


# -- the real HTTP mount ------------------------------------------------------------------------
def test_serve_over_real_http(sb: Sandbox) -> None:
    handle = sb.serve()
    try:
        assert handle.url == f"http://127.0.0.1:{handle.port}"
        with httpx.Client(base_url=handle.url, timeout=5) as http:
            assert http.get("/health").json() == {"status": "ok"}
            r = http.get(USERS, params={"q": "root@"}, headers={"X-API-Key": sb.keys["admin"]})
            assert r.status_code == 200 and r.json()["users"][0]["id"] == 1
            assert http.get("/api/nope").status_code == 404
            sb.inject_fault(path="/health", drop=True)
            with pytest.raises(httpx.TransportError):
                http.get("/health")
        with httpx.Client(base_url=handle.url, timeout=5) as http:
            assert http.get("/health").status_code == 200
    finally:
        handle.close()
