"""databases, shorturls and feedback against the sandbox panel (docs/panel/integrations.md, docs/panel/support.md#feedback)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.mark.parametrize("group", ["databases", "shorturls", "feedback"])
def test_group_help(cli: Any, group: str) -> None:
    r = cli(group, "--help", key=None, url=None)
    assert r.exit_code == 0 and "Usage" in r.stdout


# -- databases -------------------------------------------------------------------------------

def _reachable(sandbox: Any, host: str = "db9.test.example.com", port: int = 3306, user: str = "root",
               password: str = "S3cret-Pa55word-xyz") -> str:
    sandbox.state.database_servers[(host, port)] = {user: password}
    return password


def test_db_hosts_list_show_and_filters(cli: Any, sandbox: Any) -> None:
    r = cli("databases", "hosts", "list", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    assert [h["id"] for h in rows] == sorted(sandbox.state.database_hosts)
    assert all("password" not in h for h in rows)
    r = cli("databases", "hosts", "list", "--node", "2", "-o", "ids")
    assert r.stdout.split() == ["2"]
    r = cli("databases", "hosts", "show", "legacy", "-o", "json")
    assert r.exit_code == 0 and r.json()["host"] == "10.20.0.9"
    assert cli("databases", "hosts", "show", "nope").exit_code == 6


def test_databases_list_newest_first_and_filters(cli: Any, sandbox: Any) -> None:
    r = cli("databases", "list", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    assert len(rows) == len(sandbox.state.server_databases)
    stamps = [d["createdAt"] for d in rows]
    assert stamps == sorted(stamps, reverse=True)
    on_nyc = {d["id"] for d in sandbox.state.server_databases.values() if d["hostId"] == 2}
    r = cli("databases", "list", "--host", "nyc-mysql", "-o", "ids")
    assert set(map(int, r.stdout.split())) == on_nyc
    server = sandbox.state.server_databases[1]["serverUuid"]
    r = cli("databases", "list", "--server", server.upper(), "-o", "json")
    assert [d["id"] for d in r.json()] == [1]
    assert len(cli("databases", "list", "--limit", "2", "-o", "json").json()) == 2
    assert cli("databases", "list", "--host", "nope").exit_code == 6


def test_db_host_create_with_password_file(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    secret = _reachable(sandbox)
    pw = tmp_path / "root.pw"
    pw.write_text(secret + "\n")
    r = cli("databases", "hosts", "create", "--name", "test-9", "--host", "db9.test.example.com", "--username",
            "root", "--password-file", str(pw), "--node", "4", "--max-databases", "20", "-o", "json")
    assert r.exit_code == 0, r
    body = r.json()
    assert body["name"] == "test-9" and "password" not in body and secret not in r.stdout + r.stderr
    row = sandbox.state.database_hosts[body["id"]]
    assert row["password"] == secret and row["nodeId"] == 4 and row["maxDatabases"] == 20 and row["port"] == 3306


def test_db_host_create_with_stdin_password_and_connection_failure(cli: Any, sandbox: Any) -> None:
    secret = _reachable(sandbox, port=3310, user="panel")
    before = len(sandbox.state.database_hosts)
    r = cli("databases", "hosts", "create", "--name", "bad", "--host", "db9.test.example.com", "--port", "3310",
            "--username", "panel", "--password", "-", stdin="wrong-password\n")
    assert r.exit_code == 7 and "Cannot connect to database server" in r.stderr
    assert len(sandbox.state.database_hosts) == before and "wrong-password" not in r.stderr
    r = cli("databases", "hosts", "create", "--name", "good", "--host", "db9.test.example.com", "--port", "3310",
            "--username", "panel", "--password", "-", "-o", "json", stdin=secret + "\n")
    assert r.exit_code == 0, r
    assert sandbox.state.database_hosts[r.json()["id"]]["password"] == secret


@pytest.mark.parametrize("args", [
    ["--host", "db9.test.example.com", "--password", "hunter2"],            # visible password
    ["--host", "db9.test.example.com"],                                      # no password at all
    ["--host", "mysql://db9.test.example.com", "--password", "-"],           # not a host name
    ["--host", "db9.test.example.com:3306", "--password", "-"],              # port inside --host
    ["--host", "db9.test.example.com", "--port", "70000", "--password", "-"],
    ["--host", "db9.test.example.com", "--password-file", "/nonexistent/pw"],
])
def test_db_host_create_usage_errors_before_any_request(cli: Any, sandbox: Any, args: list[str]) -> None:
    before = dict(sandbox.state.database_hosts)
    r = cli("databases", "hosts", "create", "--name", "x", "--username", "root", *args, stdin="pw\n")
    assert r.exit_code == 2, r
    assert "hunter2" not in r.stderr + r.stdout
    assert sandbox.state.database_hosts == before


def test_db_host_edit(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    old = sandbox.state.database_hosts[2]["password"]
    r = cli("databases", "hosts", "edit", "nyc-mysql", "--max-databases", "500", "--name", "nyc-main", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["maxDatabases"] == 500 and "password" not in r.json()
    row = sandbox.state.database_hosts[2]
    assert row["name"] == "nyc-main" and row["maxDatabases"] == 500 and row["password"] == old
    pw = tmp_path / "new.pw"
    pw.write_text("N3w-Secret-value\n")
    r = cli("databases", "hosts", "edit", "2", "--password-file", str(pw), "--port", "3308")
    assert r.exit_code == 0 and "test 2" in r.stderr  # reminds that edit is not tested by the panel
    assert row["password"] == "N3w-Secret-value" and row["port"] == 3308
    assert cli("databases", "hosts", "edit", "2").exit_code == 2
    assert cli("databases", "hosts", "edit", "2", "--host", "bad host!").exit_code == 2
    assert cli("databases", "hosts", "edit", "99", "--name", "x").exit_code == 6


def test_db_host_test_ok_and_failure(cli: Any, sandbox: Any) -> None:
    r = cli("databases", "hosts", "test", "fra-mariadb", "-o", "json")
    assert r.exit_code == 0 and r.json() == {"id": 1, "success": True, "message": "Connection successful"}
    r = cli("databases", "hosts", "test", "legacy")
    assert r.exit_code == 7
    error_lines = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and "Connection failed" in error_lines[0]
    sandbox.state.database_servers[("db1.fra.eclipanel.test", 3306)]["root"] = "rotated"
    assert cli("databases", "hosts", "test", "1").exit_code == 7
    assert cli("databases", "hosts", "test", "42").exit_code == 6


def test_db_host_delete(cli: Any, sandbox: Any) -> None:
    assert cli("databases", "hosts", "delete", "legacy").exit_code == 2  # no --yes, no TTY
    assert 3 in sandbox.state.database_hosts
    r = cli("databases", "hosts", "delete", "legacy", "--yes")
    assert r.exit_code == 0, r
    assert 3 not in sandbox.state.database_hosts
    r = cli("databases", "hosts", "delete", "1", "--yes", "-o", "json")  # still holds databases: 409
    assert r.exit_code == 8 and 1 in sandbox.state.database_hosts
    assert "Cannot delete" in r.stdout
    r = cli("databases", "hosts", "delete", "-", "--dry-run", "-o", "json", stdin="1\n2\n")
    assert [row["item"] for row in r.json()] == ["1", "2"] and 2 in sandbox.state.database_hosts


def test_db_denial_is_422_reported_as_permission(cli: Any, sandbox: Any) -> None:
    for args in (["databases", "hosts", "list"], ["databases", "list"]):
        r = cli(*args, key="plain")
        assert r.exit_code == 5 and "databases:read" in r.stderr, r
    r = cli("databases", "hosts", "delete", "3", "--yes", key="staff_client")
    # every item refused for the same permission: exit 5 with the reason, not a partial failure (8)
    assert r.exit_code == 5 and 3 in sandbox.state.database_hosts and "databases:write" in r.stderr


def test_db_empty_403_is_a_permission_error_naming_the_level(cli: Any, sandbox: Any) -> None:
    # If the panel ever answers the gate's bare 403 (no body) instead of 422, it is still exit 5.
    sandbox.inject_fault(method="POST", path="/api/admin/database-hosts/1/test", status=403, body="")
    r = cli("databases", "hosts", "test", "1")
    assert r.exit_code == 5 and "databases:write" in r.stderr and "Traceback" not in r.stderr, r
    sandbox.inject_fault(method="GET", path="/api/admin/database-hosts", status=403, body={"error": "Forbidden"})
    r = cli("databases", "hosts", "list")
    assert r.exit_code == 5 and "Forbidden" in r.stderr


def test_db_host_passwords_never_appear(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    secrets = {h["password"] for h in sandbox.state.database_hosts.values()}
    secrets |= {d["password"] for d in sandbox.state.server_databases.values()}
    new = _reachable(sandbox)
    pw = tmp_path / "pw"
    pw.write_text(new)
    outputs = [
        cli("databases", "hosts", "list", "-o", "json"), cli("databases", "hosts", "list", tty=True),
        cli("-v", "databases", "hosts", "list", "-o", "tsv"), cli("databases", "hosts", "show", "1", "-o", "json"),
        cli("-v", "databases", "hosts", "show", "2", tty=True), cli("databases", "list", "-o", "jsonl"),
        cli("-v", "databases", "list", tty=True),
        cli("-v", "databases", "hosts", "create", "--name", "n", "--host", "db9.test.example.com", "--username",
            "root", "--password-file", str(pw), "-o", "json"),
        cli("-v", "databases", "hosts", "edit", "1", "--password", "-", stdin="Another-Secret-1\n", tty=False),
        cli("-v", "databases", "hosts", "test", "legacy"),
    ]
    assert all(o.exit_code in (0, 7) for o in outputs), outputs
    text = "".join(o.stdout + o.stderr for o in outputs)
    for secret in secrets | {new, "Another-Secret-1"}:
        assert secret not in text
    assert '"password"' not in text


def test_db_redact_masks_username(cli: Any) -> None:
    r = cli("databases", "hosts", "list", "-o", "json", "--redact")
    assert r.exit_code == 0
    assert all(h["username"] not in ("root", "panel", "admin") for h in r.json())


# -- short URLs ------------------------------------------------------------------------------

def test_shorturls_list_sorted_and_filters(cli: Any, sandbox: Any) -> None:
    r = cli("shorturls", "list", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    assert len(rows) == len(sandbox.state.short_urls)
    assert [(u["prefix"], u["code"]) for u in rows] == sorted((u["prefix"], u["code"]) for u in rows)
    r = cli("shorturls", "list", "--prefix", "root", "-o", "json")
    assert {u["code"] for u in r.json()} == {"status", "wiki"}
    r = cli("shorturls", "list", "--owner", "3", "--search", "promo", "-o", "ids")
    assert r.stdout.split() == ["4"]
    assert cli("shorturls", "show", "discord", "-o", "json").json()["targetUrl"] == "https://discord.gg/eclipanel"
    assert cli("shorturls", "show", "nope").exit_code == 6


def test_shorturls_create(cli: Any, sandbox: Any) -> None:
    r = cli("shorturls", "create", "/Spring-Sale/", "https://Example.com", "-o", "json")
    assert r.exit_code == 0, r
    body = r.json()
    row = sandbox.state.short_urls[body["id"]]
    assert row["code"] == "spring-sale" and row["prefix"] == "a" and row["ownerId"] == 1
    assert row["targetUrl"] == "https://example.com/"
    r = cli("shorturls", "create", "install", "/docs/install", "--prefix", "root", "-o", "json")
    assert r.exit_code == 0 and sandbox.state.short_urls[r.json()["id"]]["prefix"] == "root"
    r = cli("shorturls", "create", "discord", "https://x.example.com")  # same code, same prefix: 409
    assert r.exit_code == 7 and "already exists" in r.stderr


@pytest.mark.parametrize("args", [
    ["bad code", "https://example.com"], ["x" * 65, "https://example.com"], ["ok", "ftp://example.com/f"],
    ["ok", "//evil.example.com"], ["ok", "example.com"], ["login", "https://example.com", "--prefix", "root"],
    ["ok", "https://example.com", "--prefix", "b"],
])
def test_shorturls_create_usage_errors(cli: Any, sandbox: Any, args: list[str]) -> None:
    before = len(sandbox.state.short_urls)
    assert cli("shorturls", "create", *args).exit_code == 2
    assert len(sandbox.state.short_urls) == before


def test_shorturls_edit(cli: Any, sandbox: Any) -> None:
    r = cli("shorturls", "edit", "discord", "--target", "https://discord.gg/new", "-o", "json")
    assert r.exit_code == 0, r
    assert sandbox.state.short_urls[1]["targetUrl"] == "https://discord.gg/new"
    r = cli("shorturls", "edit", "1", "--code", "chat", "--prefix", "root")
    assert r.exit_code == 0 and sandbox.state.short_urls[1]["code"] == "chat"
    assert sandbox.state.short_urls[1]["prefix"] == "root"
    assert cli("shorturls", "edit", "1").exit_code == 2
    assert cli("shorturls", "edit", "1", "--code", "admin", "--prefix", "root").exit_code == 2
    assert cli("shorturls", "edit", "1", "--target", "javascript:alert(1)").exit_code == 2
    assert cli("shorturls", "edit", "99", "--target", "/x").exit_code == 6
    r = cli("shorturls", "edit", "1", "--code", "wiki")  # taken under the same prefix (root)
    assert r.exit_code == 7 and sandbox.state.short_urls[1]["code"] == "chat"


def test_shorturls_delete(cli: Any, sandbox: Any) -> None:
    assert cli("shorturls", "delete", "gh").exit_code == 2 and 6 in sandbox.state.short_urls
    r = cli("shorturls", "delete", "gh", "2", "--yes")
    assert r.exit_code == 0, r
    assert 6 not in sandbox.state.short_urls and 2 not in sandbox.state.short_urls
    assert cli("shorturls", "delete", "999", "--yes").exit_code == 8


def test_shorturls_dotted_permissions(cli: Any, sandbox: Any) -> None:
    assert cli("shorturls", "list", key="plain").exit_code == 5
    assert cli("shorturls", "create", "x1", "/x", key="plain").exit_code == 5
    # A staff client key passes the A gate; H/S checks fail because the owner is not root.
    r = cli("shorturls", "create", "x1", "/x", key="staff_client")
    assert r.exit_code == 5 and "admin.shorturl.add" in r.stderr
    assert cli("shorturls", "edit", "4", "--target", "/y", key="staff_client").exit_code == 5
    r = cli("shorturls", "delete", "4", "--yes", key="staff_client")
    assert r.exit_code == 5 and 4 in sandbox.state.short_urls  # every item refused: exit 5, not 8
    assert "admin.shorturl.remove" in r.stderr
    assert sandbox.state.short_urls[4]["targetUrl"] != "/y"


def test_shorturls_null_owner_quirk_is_explained(cli: Any, sandbox: Any) -> None:
    sandbox.state.short_urls[3]["ownerId"] = None
    r = cli("shorturls", "list")
    assert r.exit_code == 7 and "no owner" in r.stderr


def test_shorturls_edit_of_an_ownerless_row_says_it_may_have_been_saved(cli: Any, sandbox: Any) -> None:
    sandbox.state.short_urls[3]["ownerId"] = None
    r = cli("shorturls", "edit", "3", "--target", "/saved-anyway")
    assert r.exit_code == 7 and "may have been saved" in r.stderr and "no owner" in r.stderr
    assert sandbox.state.short_urls[3]["targetUrl"] == "/saved-anyway"  # the panel wrote it before the 422


# -- feedback --------------------------------------------------------------------------------

def _visible(sandbox: Any) -> list[dict[str, Any]]:
    return [f for f in sandbox.state.feedback.values()
            if not str(f.get("message") or "").startswith("ELO vote feedback")]


def test_feedback_list_pages_filters_and_hides_elo(cli: Any, sandbox: Any) -> None:
    r = cli("feedback", "list", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    assert len(rows) == len(_visible(sandbox))
    assert not any(str(f.get("message") or "").startswith("ELO") for f in rows)
    assert any(f["user"] is None for f in rows) and any(f["message"] is None for f in rows)
    rating = rows[0]["rating"]
    r = cli("feedback", "list", "--rating", str(rating), "-o", "json")
    assert {f["rating"] for f in r.json()} == {rating}
    assert len(r.json()) == sum(1 for f in _visible(sandbox) if f["rating"] == rating)
    assert len(cli("feedback", "list", "--limit", "3", "-o", "json").json()) == 3
    assert cli("feedback", "list", "--rating", "6").exit_code == 2
    assert cli("feedback", "list", "--rating", "x").exit_code == 2


def test_feedback_list_follows_pages(cli: Any, sandbox: Any) -> None:
    base = max(sandbox.state.feedback)
    stamp = sandbox.state.feedback[1]["createdAt"]
    for n in range(1, 131):
        sandbox.state.feedback[base + n] = {"id": base + n, "userId": 9, "rating": 3, "message": f"m{n}",
                                           "createdAt": stamp}
    assert len(cli("feedback", "list", "-o", "json").json()) == 100
    assert len(cli("feedback", "list", "--all", "-o", "json").json()) == len(_visible(sandbox))
    assert len(cli("feedback", "list", "--page", "2", "-o", "json").json()) == len(_visible(sandbox)) - 100


def test_feedback_show_and_redact(cli: Any, sandbox: Any) -> None:
    row = next(f for f in _visible(sandbox) if f["message"] and sandbox.state.users.get(f["userId"]))
    r = cli("feedback", "show", str(row["id"]), "-o", "json")
    assert r.exit_code == 0 and r.json()["message"] == row["message"]
    email = sandbox.state.users[row["userId"]]["email"]
    assert r.json()["user"]["email"] == email
    r = cli("feedback", "show", str(row["id"]), "-o", "json", "--redact")
    assert row["message"] not in r.stdout and email not in r.stdout
    assert cli("feedback", "show", "999").exit_code == 6


def test_feedback_delete(cli: Any, sandbox: Any) -> None:
    assert cli("feedback", "delete", "2").exit_code == 2 and 2 in sandbox.state.feedback
    r = cli("feedback", "delete", "-", "--yes", stdin="1\n2\n")
    assert r.exit_code == 0, r
    assert 1 not in sandbox.state.feedback and 2 not in sandbox.state.feedback
    assert cli("feedback", "delete", "1", "--yes").exit_code == 8  # gone now: 404 per item
    assert cli("feedback", "delete", "abc", "--yes").exit_code == 2
    assert cli("feedback", "delete", "0", "--yes").exit_code == 2


def test_feedback_permission(cli: Any, sandbox: Any) -> None:
    assert cli("feedback", "list", key="plain").exit_code == 5
    r = cli("feedback", "delete", "3", "--yes", key="plain")
    assert r.exit_code == 5 and 3 in sandbox.state.feedback  # every item refused: exit 5, not 8
