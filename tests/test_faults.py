"""Truthful under faults: no success the panel did not give, no write sent twice, no secret through a side door.

Each test injects one fault into the sandbox (eclictl/sandbox/faults.py) or answers one route with a
crafted body, runs the real command, and checks both what eclictl said and what the panel holds.
Over real HTTP the same faults are exercised in tests/e2e/test_faults.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from eclictl.api.secrets import ALWAYS_STRIP, SECRET_FIELDS


def plain_user(sandbox: Any) -> int:
    return next(i for i, u in sorted(sandbox.state.users.items()) if u.get("role") is None and not u.get("suspended"))


def answering(sandbox: Any, routes: dict[tuple[str, str], tuple[int, dict[str, str], bytes]]) -> httpx.MockTransport:
    """The sandbox, except that these (method, path) pairs get a crafted answer."""
    base = sandbox.transport()

    def handler(request: httpx.Request) -> httpx.Response:
        crafted = routes.get((request.method, request.url.path))
        if crafted is None:
            return base.handle_request(request)
        status, headers, body = crafted
        return httpx.Response(status, headers=headers, content=body)

    return httpx.MockTransport(handler)


# -- 1. a 3xx is never a success -------------------------------------------------------------------

def test_redirect_on_a_write_is_a_failed_item_naming_the_location(cli: Any, sandbox: Any) -> None:
    uid = plain_user(sandbox)
    sandbox.inject_fault(method="PUT", path=f"/api/admin/users/{uid}", redirect="https://panel.example.com/x")
    r = cli("users", "suspend", str(uid), "--yes", "-o", "json")
    assert r.exit_code == 8, r  # was: "done", exit 0
    item = r.json()["items"][0]
    assert item["status"] == "failed" and "redirect" in item["message"]
    assert "https://panel.example.com/x" in item["message"]
    assert not sandbox.state.users[uid]["suspended"]


def test_redirect_on_a_list_is_exit_3_with_a_use_that_url_hint(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(method="GET", path="/api/admin/users", status=302,
                         redirect="https://sandbox.localhost/api/admin/users?page=1")
    r = cli("users", "list", "-o", "json")
    assert r.exit_code == 3 and r.stdout == "", r  # was: [] and exit 0
    assert "HTTP 302" in r.stderr and "https://sandbox.localhost/api/admin/users" in r.stderr
    assert "use that URL (--url https://sandbox.localhost" in r.stderr


def test_redirect_on_whoami_is_an_error_not_a_null_user(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(method="GET", path="/api/users/me", redirect="/login")
    r = cli("whoami", "-o", "json")
    assert r.exit_code == 3 and "user_id" not in r.stdout, r
    assert "/login" in r.stderr and "not carried out" in r.stderr


def test_api_command_reports_a_redirect_too(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(path="/api/roles", redirect="https://elsewhere.example/api/roles")
    r = cli("api", "POST", "/api/roles", "-f", "name=redirected")
    assert r.exit_code == 3 and "elsewhere.example" in r.stderr, r
    assert not any(role["name"] == "redirected" for role in sandbox.state.roles.values())


# -- 2. an unreadable success body is an error, never "no rows" ---------------------------------------

@pytest.mark.parametrize("fault, said", [
    ({"forward": True, "truncate": 120}, "cut short"),
    ({"status": 200, "html": True}, "HTML page"),
    ({"status": 200, "body": ""}, "empty body"),
    ({"forward": True, "content_type": "text/html", "truncate": 40}, "HTML page"),
])
def test_an_unreadable_list_page_is_an_error(cli: Any, sandbox: Any, fault: dict[str, Any], said: str) -> None:
    sandbox.inject_fault(method="GET", path="/api/admin/users", **fault)
    r = cli("users", "list", "-o", "json")
    assert r.exit_code == 1 and said in r.stderr, r  # was: [] and exit 0
    assert "where JSON was expected" in r.stderr


def test_page_two_cut_short_fails_the_whole_list(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(method="GET", path="/api/admin/users", forward=True, truncate=300, after=1)
    r = cli("users", "list", "--all", "-o", "ids")
    assert r.exit_code == 1 and "cut short" in r.stderr, r  # was: 50 of 300 ids, exit 0
    assert len(r.stdout.split()) == 50  # what arrived was streamed; the exit code says it is not all


def test_all_must_deliver_the_stated_total(cli: Any, sandbox: Any) -> None:
    total = len(sandbox.state.users)
    sandbox.inject_fault(method="GET", path="/api/admin/users", status=200, after=2,
                         body={"users": [], "total": total, "page": 3, "per": 50})
    r = cli("users", "list", "--all", "-o", "ids")
    assert r.exit_code == 1, r
    assert f"stated {total} rows but only 100 arrived" in r.stderr


def test_object_object_answers_stay_handled(cli: Any, sandbox: Any) -> None:
    """The panel's known text/plain `[object Object]` success is not an unreadable body."""
    r = cli("eggs", "edit", "3", "--set", "name=renamed", "-o", "json")
    assert r.exit_code == 0, r
    assert sandbox.state.eggs[3]["name"] == "renamed"


def test_fraud_cursor_does_not_advance_on_an_unreadable_list(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    state = tmp_path / "fraud.cursor"
    args = ("fraud", "dismiss", "--all-matching", "--yes", "--since-last-run", str(state), "-o", "json")
    assert cli(*args).exit_code == 0
    before = state.read_bytes()
    uid = plain_user(sandbox)
    sandbox.state.users[uid].update(fraudFlag=True, fraudReason="late flag", fraudDetectedAt="2099-01-01T00:00:00.000Z")
    sandbox.inject_fault(method="GET", path="/api/admin/fraud-alerts", forward=True, truncate=50)
    r = cli(*args)
    assert r.exit_code == 1 and "cut short" in r.stderr, r  # was: "nothing to do", exit 0, cursor advanced
    assert state.read_bytes() == before
    assert sandbox.state.users[uid]["fraudFlag"]
    assert cli(*args).exit_code == 0 and not sandbox.state.users[uid]["fraudFlag"]


def test_a_journal_never_records_done_for_an_unreadable_answer(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    uid = plain_user(sandbox)
    journal = tmp_path / "j.jsonl"
    # a login page answers 200 in place of the panel: the PUT never reached it
    sandbox.inject_fault(method="PUT", path=f"/api/admin/users/{uid}", status=200, html=True)
    r = cli("users", "suspend", str(uid), "--yes", "--journal", str(journal), "-o", "json")
    assert r.exit_code == 8, r
    from eclictl.journal import read_entries

    entries = read_entries(journal)  # the items' lines, after the header
    assert [e["status"] for e in entries] == ["failed"] and "HTML page" in entries[0]["message"]
    assert not sandbox.state.users[uid]["suspended"]
    r = cli("users", "suspend", str(uid), "--yes", "--resume", str(journal), "-o", "json")
    assert r.exit_code == 0 and sandbox.state.users[uid]["suspended"]


# -- 3. a write is never re-sent once it may have reached the panel, unless declared repeatable ------

def _replies(sandbox: Any, ticket: int) -> list[str]:
    return [m["message"] for m in sandbox.state.tickets[ticket]["messages"] if m["sender"] == "staff"]


@pytest.mark.parametrize("fault, code", [({"status": 502, "html": True}, 1), ({"drop": True}, 3)],
                         ids=["502-after-forwarding", "reset-after-forwarding"])
def test_ticket_reply_is_not_posted_twice(cli: Any, sandbox: Any, fault: dict[str, Any], code: int) -> None:
    before = len(_replies(sandbox, 24))
    sandbox.inject_fault(method="PUT", path="/api/admin/tickets/24", forward=True, **fault)
    r = cli("tickets", "reply", "24", "We are on it")
    assert _replies(sandbox, 24).count("We are on it") == 1 and len(_replies(sandbox, 24)) == before + 1
    assert r.exit_code == code, r  # was: two replies, exit 0
    assert "not sent again (it may have been applied" in r.stderr
    puts = [p for m, p, _ in sandbox.requests if m == "PUT"]
    assert puts == ["/api/admin/tickets/24"]


def test_a_post_is_not_resent_after_a_reset(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(method="POST", path="/api/roles", forward=True, drop=True)
    r = cli("api", "POST", "/api/roles", "-f", "name=once-only")
    assert r.exit_code == 3 and "may have been applied" in r.stderr, r
    assert sum(role["name"] == "once-only" for role in sandbox.state.roles.values()) == 1


def test_a_repeatable_write_is_resent_and_ends_done(cli: Any, sandbox: Any) -> None:
    uid = plain_user(sandbox)
    sandbox.inject_fault(method="PUT", path=f"/api/admin/users/{uid}", forward=True, status=502)
    r = cli("users", "suspend", str(uid), "--yes", "-o", "json")
    assert r.exit_code == 0 and r.json()["done"] == 1, r
    assert sandbox.state.users[uid]["suspended"]
    assert [p for m, p, _ in sandbox.requests if m == "PUT"] == [f"/api/admin/users/{uid}"] * 2


def test_writes_are_still_resent_when_they_never_reached_a_handler(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(method="PUT", path="/api/admin/tickets/24", status=429)
    sandbox.inject_fault(method="PUT", path="/api/admin/tickets/24", connect_error=True)
    r = cli("tickets", "reply", "24", "Third time lucky")
    assert r.exit_code == 0, r
    assert _replies(sandbox, 24).count("Third time lucky") == 1


# -- 4. a resent DELETE that finds nothing is done ----------------------------------------------------

def test_resent_delete_after_a_reset_is_done_and_resume_skips_it(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    journal = tmp_path / "del.jsonl"
    sandbox.inject_fault(method="DELETE", path="/api/admin/shorturls/6", forward=True, drop=True)
    r = cli("shorturls", "delete", "6", "--yes", "--journal", str(journal), "-o", "json")
    assert r.exit_code == 0 and r.json()["done"] == 1, r  # was: failed, exit 8
    assert 6 not in sandbox.state.short_urls
    statuses = [s for m, p, s in sandbox.requests if m == "DELETE"]
    assert statuses == [0, 404]  # reset after the delete, then the resend found it gone
    r = cli("shorturls", "delete", "6", "--yes", "--resume", str(journal), "-o", "json")
    assert r.exit_code == 0 and r.json()["items"][0]["message"] == "done in a previous run"


def test_a_404_is_still_not_found_when_no_earlier_attempt_reached_the_panel(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(method="DELETE", path="/api/admin/shorturls/999", connect_error=True)
    r = cli("shorturls", "delete", "999", "--yes", "-o", "json")
    assert r.exit_code == 8 and r.json()["items"][0]["status"] == "failed", r


# -- 5. secrets through side doors ---------------------------------------------------------------------

HEX_KEY = "ab" * 32
ENDPOINT_KEY = "S3CRET-endpoint-key"


def secret_record(i: int) -> dict[str, Any]:
    row: dict[str, Any] = {"id": i, "email": f"user{i}@example.com", "firstName": "Ann"}
    for name in sorted(ALWAYS_STRIP | SECRET_FIELDS):
        row[name] = f"S3CRET-{name}"
    row["sessions"] = ["S3CRET-session-a", {"id": "S3CRET-session-b"}]
    row["key"] = HEX_KEY
    row["endpoints"] = [{"url": "https://llm.example/v1", "key": ENDPOINT_KEY}]
    return row


def assert_no_secret(r: Any) -> None:
    out = r.stdout + r.stderr
    assert "S3CRET" not in out and HEX_KEY not in out, out


CONTENT_TYPES = ["application/json;charset=utf-8", "text/plain;charset=utf-8", "text/html", ""]
PROFILE = "/api/admin/users/3/profile"


def _views(kind: str) -> tuple[tuple[str, str], Any, tuple[str, ...]]:
    """(route answered, body, command) for each way a record reaches the user."""
    user = secret_record(3)
    return {
        "api": (("GET", PROFILE), user, ("api", PROFILE)),
        "list": (("GET", "/api/admin/users"), {"users": [user], "total": 1, "page": 1, "per": 50},
                 ("users", "list", "-o", "json")),
        "show": (("GET", PROFILE), user, ("users", "show", "3", "-o", "json")),
        "search": (("GET", "/api/admin/search"), {"users": [user], "organisations": [], "servers": [], "orders": []},
                   ("search", "user3@example.com", "-o", "json")),
    }[kind]


@pytest.mark.parametrize("redact", [False, True], ids=["plain", "redact"])
@pytest.mark.parametrize("ctype", CONTENT_TYPES, ids=["json", "text-plain", "text-html", "no-type"])
@pytest.mark.parametrize("kind", ["api", "list", "show", "search"])
def test_no_secret_field_reaches_any_output(cli: Any, sandbox: Any, kind: str, ctype: str, redact: bool) -> None:
    route, body, args = _views(kind)
    transport = answering(sandbox, {route: (200, {"content-type": ctype}, json.dumps(body).encode())})
    r = cli(*(["--redact"] if redact else []), *args, transport=transport)
    assert r.exit_code == 0, r
    assert "user3" in r.stdout or redact  # the record itself did arrive
    assert_no_secret(r)


@pytest.mark.parametrize("redact", [False, True], ids=["plain", "redact"])
@pytest.mark.parametrize("ctype", CONTENT_TYPES, ids=["json", "text-plain", "text-html", "no-type"])
@pytest.mark.parametrize("body", ["cut-json", "stack-trace"])
def test_no_secret_field_reaches_an_error_line(cli: Any, sandbox: Any, ctype: str, body: str, redact: bool) -> None:
    text = json.dumps({"error": "boom", "user": secret_record(3)})
    if body == "cut-json":
        text = text[: text.index(ENDPOINT_KEY) + 5]  # cut inside the last secret
    else:
        text = ("TypeError: cannot serialise User { passwordHash: 'S3CRET-passwordHash', twoFactorSecret: "
                "'S3CRET-twoFactorSecret', sessions: [ 'S3CRET-session-a' ], apiKey=S3CRET-apiKey }")
    transport = answering(sandbox, {("GET", PROFILE): (500, {"content-type": ctype}, text.encode())})
    flags = ["--redact"] if redact else []
    for args in (("users", "show", "3"), ("api", PROFILE)):
        r = cli(*flags, "--max-retries", "0", *args, transport=transport)
        assert r.exit_code == 1, r
        assert_no_secret(r)


def test_api_strips_ai_endpoint_keys_like_ai_models_list(cli: Any, sandbox: Any) -> None:
    sandbox.state.ai_models[1]["endpoints"].append({"id": "fallback-2", "url": "https://b.example/v1",
                                                    "key": ENDPOINT_KEY})
    for args in (("api", "GET", "/api/admin/ai/models", "-o", "json"), ("ai", "models", "list", "-o", "json")):
        r = cli(*args, key="root_client")
        assert r.exit_code == 0, r
        assert "fallback-2" in r.stdout and ENDPOINT_KEY not in r.stdout and "sk-" not in r.stdout


def test_a_mislabelled_json_body_is_stripped_by_api(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(method="GET", path="/api/apikeys", forward=True, content_type="text/plain")
    r = cli("api", "/api/apikeys", "-o", "json")
    assert r.exit_code == 0 and r.json()[0]["user"]["email"], r
    assert "passwordHash" not in r.stdout and "sessions" not in r.stdout


# -- 6. credentials in the URL -------------------------------------------------------------------------

BAD_URL = "http://admin:hunter2pw@panel.example.com"


def test_a_url_with_credentials_is_refused_without_echoing_the_password(cli: Any, isolated_config: Path) -> None:
    for args in (("--url", BAD_URL, "users", "list"), ("config", "set", "url", BAD_URL),
                 ("auth", "login", "--url", BAD_URL, "--with-key")):
        r = cli(*args, url=None, stdin="k" * 64)
        assert r.exit_code == 2, (args, r)
        assert "hunter2pw" not in r.stdout + r.stderr and "user name or password" in r.stderr
        assert len(r.stderr.strip().splitlines()) <= 2
    assert not (isolated_config / "config.toml").exists() or "hunter2pw" not in \
        (isolated_config / "config.toml").read_text()
    r = cli("users", "list", url=None, env={"ECLICTL_URL": BAD_URL})
    assert r.exit_code == 2 and "hunter2pw" not in r.stderr


@pytest.mark.parametrize("url, warned", [("http://panel.example.com", True), ("https://panel.example.com", False),
                                         ("http://127.0.0.1:8080", False), ("http://localhost", False),
                                         ("http://[::1]:80", False)])
def test_plain_http_to_a_remote_host_warns_once(cli: Any, url: str, warned: bool) -> None:
    r = cli("users", "list", "--limit", "2", "-o", "ids", url=url)
    assert r.exit_code == 0, r
    assert r.stderr.count("plain http://") == (1 if warned else 0), r.stderr


def test_password_login_over_plain_http_warns_once(cli: Any) -> None:
    r = cli("auth", "login", "--url", "http://panel.example.com", "--email", "staff@example.com",
            "--password-stdin", stdin="sandbox-password\n", key=None, url=None)
    assert r.exit_code == 0, r
    assert r.stderr.count("plain http://") == 1 and "the password" in r.stderr


# -- 8. downloads honour the read timeout, and leave no partial file --------------------------------------

def test_a_stalled_download_fails_with_the_timeout_error_and_leaves_no_part_file(cli: Any, sandbox: Any,
                                                                                   tmp_path: Path) -> None:
    sandbox.inject_fault(method="GET", path="/api/admin/logs/export", stall=30, stall_after=10)
    target = tmp_path / "logs.csv"
    r = cli("logs", "export", "--file", str(target), env={"ECLICTL_TIMEOUT": "2"})
    assert r.exit_code == 3 and "timed out" in r.stderr, r
    assert list(tmp_path.iterdir()) == []  # neither the file nor a .eclictl-*.part


# -- 14. root login ends with an admin API key ----------------------------------------------------------

def test_root_login_reads_the_session_and_mints_the_key_with_the_csrf_header(cli: Any, sandbox: Any,
                                                                              isolated_config: Path) -> None:
    seen: list[httpx.Request] = []
    answers: dict[str, Any] = {}
    base = sandbox.transport()

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        resp = base.handle_request(request)
        if request.url.path == "/api/auth/login":
            resp.read()
            answers["login"] = json.loads(resp.content)
        return resp

    r = cli("auth", "login", "--url", "http://sandbox.localhost", "--email", "root@example.com", "--password-stdin",
            stdin="sandbox-password\n", key=None, url=None, transport=httpx.MockTransport(recording))
    assert r.exit_code == 0, r
    assert set(answers["login"]) == {"token", "csrfToken"}  # the real answer: no user object
    text = (isolated_config / "config.toml").read_text()
    assert "api_key" in text and "token =" not in text  # an admin key, not a one-hour session
    paths = [(q.method, q.url.path) for q in seen]
    assert ("GET", "/api/auth/session") in paths
    mint = next(q for q in seen if (q.method, q.url.path) == ("POST", "/api/apikeys"))
    assert mint.headers["x-csrf-token"] == answers["login"]["csrfToken"]
    assert mint.headers["authorization"] == f"Bearer {answers['login']['token']}"


def test_an_older_profile_with_a_password_in_its_url_never_shows_it(cli: Any, isolated_config: Path) -> None:
    isolated_config.mkdir(parents=True, exist_ok=True)
    (isolated_config / "config.toml").write_text(
        f'current_profile = "good"\n[profiles.good]\nurl = "https://panel.example.com"\napi_key = "{"k" * 64}"\n'
        f'[profiles.old]\nurl = "{BAD_URL}"\napi_key = "{"k" * 64}"\n')
    shown = cli("profile", "show", "old", "-o", "json", key=None, url=None)
    assert shown.exit_code == 0 and shown.json()["url"] == "http://admin:****@panel.example.com", shown
    listed = cli("profile", "list", "-o", "json", key=None, url=None)
    assert listed.exit_code == 0 and "hunter2pw" not in listed.stdout, listed
    used = cli("-p", "old", "users", "list", key=None, url=None)
    assert used.exit_code == 2 and "hunter2pw" not in used.stderr and "user name or password" in used.stderr
