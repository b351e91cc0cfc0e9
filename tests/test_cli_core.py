"""The foundation through the real command tree against the sandbox panel."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SANDBOX_URL


def test_version_and_help(cli: Any) -> None:
    r = cli("--version", key=None, url=None)
    assert r.exit_code == 0 and r.stdout.startswith("eclictl ")
    r = cli("--help", key=None, url=None)
    assert r.exit_code == 0 and "users" in r.stdout and "Portal sections" in r.stdout


# -- output formats --------------------------------------------------------------------------

def test_users_list_json_is_full_records_without_secrets(cli: Any, sandbox: Any) -> None:
    r = cli("users", "list", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    assert len(rows) == 50 and rows[0]["id"] == 1
    for row in rows:
        for secret in ("passwordHash", "sessions", "twoFactorSecret", "twoFactorRecoveryCodes"):
            assert secret not in row
    assert "email" in rows[0] and "billingCity" in rows[0]


def test_piped_default_is_tsv_without_header(cli: Any) -> None:
    r = cli("users", "list", "--limit", "3")
    assert r.exit_code == 0, r
    lines = r.stdout.splitlines()
    assert len(lines) == 3 and lines[0].split("\t")[0] == "1"
    assert "\x1b[" not in r.stdout


def test_tty_default_is_a_table_with_headers(cli: Any) -> None:
    r = cli("users", "list", "--limit", "3", tty=True)
    assert r.exit_code == 0, r
    assert "EMAIL" in r.stdout.splitlines()[0]


def test_jsonl_csv_ids(cli: Any) -> None:
    r = cli("users", "list", "--limit", "5", "-o", "jsonl")
    assert [row["id"] for row in r.jsonl()] == [1, 2, 3, 4, 5]
    r = cli("users", "list", "--limit", "2", "-o", "csv", "--columns", "id,email")
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0] == ["id", "email"] and rows[1][0] == "1" and len(rows) == 3
    r = cli("users", "list", "--limit", "4", "-o", "ids")
    assert r.stdout.split() == ["1", "2", "3", "4"]


def test_output_options_work_before_and_after_the_verb(cli: Any) -> None:
    a = cli("-o", "json", "--redact", "users", "list", "--limit", "2")
    b = cli("users", "list", "--limit", "2", "-o", "json", "--redact")
    assert a.exit_code == b.exit_code == 0
    assert a.stdout == b.stdout
    assert "@" in a.stdout and "***@" in a.stdout


def test_unknown_column_is_a_usage_error_listing_valid_ones(cli: Any) -> None:
    r = cli("users", "list", "--columns", "id,nope")
    assert r.exit_code == 2
    assert "unknown column 'nope'" in r.stderr and "email" in r.stderr
    assert "Traceback" not in r.stderr


def test_all_pages_and_limit(cli: Any, sandbox: Any) -> None:
    total = len(sandbox.state.users)
    r = cli("users", "list", "--all", "-o", "ids")
    assert len(r.stdout.split()) == total
    r = cli("users", "list", "--limit", "120", "-o", "ids")
    assert len(r.stdout.split()) == 120
    r = cli("users", "list", "--page", "2", "-o", "ids")
    assert r.stdout.split()[0] == "51"


# -- redaction ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "tsv", "table"])
def test_redact_masks_user_pii_in_every_format(cli: Any, sandbox: Any, fmt: str) -> None:
    r = cli("users", "list", "--limit", "20", "-o", fmt, "--redact",
            "--columns", "id,email,firstName,lastName,address,phone,billingCity")
    assert r.exit_code == 0, r
    for user in list(sandbox.state.users.values())[:20]:
        for key in ("email", "lastName", "address", "phone", "billingCity"):
            value = user.get(key)
            if value and len(str(value)) > 3:
                assert str(value) not in r.stdout, (fmt, key, value)


def test_redact_from_env_and_profile(cli: Any, sandbox: Any) -> None:
    email = sandbox.state.users[2]["email"]
    assert email in cli("users", "list", "--limit", "3").stdout
    assert email not in cli("users", "list", "--limit", "3", env={"ECLICTL_REDACT": "1"}).stdout
    assert cli("config", "set", "redact", "true").exit_code == 0
    assert email not in cli("users", "list", "--limit", "3").stdout
    assert email in cli("--no-redact", "users", "list", "--limit", "3").stdout


# -- exit codes from real sandbox answers ------------------------------------------------------

def test_exit_4_on_bad_key(cli: Any) -> None:
    r = cli("users", "list", key="0" * 64)
    assert r.exit_code == 4 and "Invalid API key" in r.stderr


def test_exit_4_without_credentials(cli: Any) -> None:
    r = cli("users", "list", key=None)
    assert r.exit_code == 4 and "eclictl auth login" in r.stderr


def test_exit_5_names_the_api_key_problem(cli: Any) -> None:
    r = cli("users", "list", key="plain")
    assert r.exit_code == 5 and "Insufficient permissions (api key)" in r.stderr


def test_exit_6_not_found(cli: Any) -> None:
    r = cli("api", "/api/admin/does-not-exist")
    assert r.exit_code == 6 and "Route not found" in r.stderr


def test_exit_7_rejected_input(cli: Any) -> None:
    r = cli("api", "POST", "/api/apikeys", "-f", "name=x", "-f", "type=bogus")
    assert r.exit_code == 7 and "name and valid type required" in r.stderr


def test_exit_3_network(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(connect_error=True, times=10)
    r = cli("users", "list")
    assert r.exit_code == 3 and "cannot reach the panel" in r.stderr
    assert len(r.sleeps) == 3  # retried with the injected sleep, never really slept


def test_exit_1_server_error_after_retries_with_html_page(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(status=502, html=True, times=10)
    r = cli("users", "list")
    assert r.exit_code == 1 and "HTML error page" in r.stderr and "<html" not in r.stderr
    assert len(r.sleeps) == 3


def test_get_retried_on_503_then_succeeds(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(status=503, times=2)
    r = cli("users", "list", "--limit", "1", "-o", "ids")
    assert r.exit_code == 0 and r.stdout.strip() == "1" and len(r.sleeps) == 2


def test_post_not_resent_after_a_dropped_connection(cli: Any, sandbox: Any) -> None:
    before = len(sandbox.state.roles)
    sandbox.inject_fault(method="POST", path="/api/roles", drop=True)
    r = cli("api", "POST", "/api/roles", "-f", "name=auditors")
    assert r.exit_code == 3 and "may have reached the panel" in r.stderr
    posts = [q for q in sandbox.requests if q[0] == "POST"]
    assert len(posts) <= 1
    assert len(sandbox.state.roles) == before


def test_exit_2_usage_errors_are_one_line(cli: Any) -> None:
    r = cli("users", "list", "--limit", "abc")
    assert r.exit_code == 2 and "Traceback" not in r.stderr
    r = cli("users", "list", "-o", "yaml")
    assert r.exit_code == 2


def test_no_traceback_without_debug_but_with_debug(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(status=500, body={"error": "Internal server error"}, times=10)
    r = cli("users", "list", env={"ECLICTL_DEBUG": "1"})
    assert r.exit_code == 1
    assert "Traceback" in r.stderr
    assert sandbox.keys["admin"] not in r.stderr


# -- secrets never printed ---------------------------------------------------------------------

def test_verbose_log_masks_the_key_and_redacts(cli: Any, sandbox: Any) -> None:
    r = cli("-v", "--redact", "users", "list", "--query", "root@example.com", "--limit", "1")
    assert r.exit_code == 0, r
    assert "→ GET /api/admin/users" in r.stderr
    assert sandbox.keys["admin"] not in r.stderr + r.stdout
    assert "root@example.com" not in r.stderr


def test_auth_status_masks_the_key(cli: Any, sandbox: Any) -> None:
    r = cli("auth", "status", "-o", "json")
    assert r.exit_code == 0, r
    info = r.json()
    assert info["key_type"] == "admin" and info["email"] == "root@example.com"
    assert sandbox.keys["admin"] not in r.stdout
    assert cli("auth", "status", "--show-key", "-o", "json").json()["key"] == sandbox.keys["admin"]


def test_auth_status_exits_4_when_the_key_no_longer_works(cli: Any) -> None:
    r = cli("auth", "status", key="f" * 64)
    assert r.exit_code == 4


# -- profiles and auth -------------------------------------------------------------------------

def test_login_with_key_verifies_then_saves_0600(cli: Any, sandbox: Any, isolated_config: Path) -> None:
    r = cli("-p", "work", "auth", "login", "--url", SANDBOX_URL, "--with-key", stdin=sandbox.keys["admin"] + "\n",
            key=None, url=None)
    assert r.exit_code == 0, r
    path = isolated_config / "config.toml"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sandbox.keys["admin"] in path.read_text()
    r = cli("-p", "work", "users", "list", "--limit", "1", "-o", "ids", key=None, url=None)
    assert r.exit_code == 0 and r.stdout.strip() == "1"
    r = cli("profile", "list", "-o", "json", key=None, url=None)
    assert [p["name"] for p in r.json()] == ["work"]
    assert sandbox.keys["admin"] not in r.stdout


def test_login_with_a_bad_key_saves_nothing(cli: Any, isolated_config: Path) -> None:
    r = cli("auth", "login", "--url", SANDBOX_URL, "--with-key", stdin="0" * 64, key=None, url=None)
    assert r.exit_code == 4
    assert not (isolated_config / "config.toml").exists()


def test_login_as_root_with_password_mints_an_admin_key(cli: Any, sandbox: Any, isolated_config: Path) -> None:
    r = cli("auth", "login", "--url", SANDBOX_URL, "--email", "root@example.com", "--password-stdin",
            stdin="sandbox-password\n", key=None, url=None)
    assert r.exit_code == 0, r
    text = (isolated_config / "config.toml").read_text()
    assert "api_key" in text and "token =" not in text
    assert any(k.get("type") == "admin" and str(k.get("name", "")).startswith("eclictl-")
               for k in sandbox.state.apikeys.values())
    assert cli("whoami", "-o", "json", key=None, url=None).json()["key_type"] == "admin"


def test_login_as_staff_stores_the_session_token(cli: Any, isolated_config: Path) -> None:
    r = cli("auth", "login", "--url", SANDBOX_URL, "--email", "staff@example.com", "--password-stdin",
            stdin="sandbox-password\n", key=None, url=None)
    assert r.exit_code == 0, r
    assert "expires" in r.stderr
    text = (isolated_config / "config.toml").read_text()
    assert "token =" in text and "api_key" not in text
    r = cli("whoami", "-o", "json", key=None, url=None)
    assert r.exit_code == 0, r
    info = r.json()
    assert info["key_type"] == "session" and "users:read" in info["permissions"]


def test_expired_session_exits_4_with_advice_when_no_tty(cli: Any, isolated_config: Path) -> None:
    (isolated_config).mkdir(parents=True, exist_ok=True)
    (isolated_config / "config.toml").write_text(
        'current_profile = "staff"\n[profiles.staff]\nurl = "http://sandbox.localhost"\ntoken = "t"\n'
        'token_expires_at = "2000-01-01T00:00:00Z"\n')
    r = cli("users", "list", key=None, url=None)
    assert r.exit_code == 4 and "log in again" in r.stderr


def test_login_with_2fa(cli: Any) -> None:
    r = cli("auth", "login", "--url", SANDBOX_URL, "--email", "twofa@example.com", "--password-stdin",
            "--code", "123456", stdin="sandbox-password\n", key=None, url=None)
    assert r.exit_code == 0, r


def test_logout_forgets_credentials(cli: Any, sandbox: Any, isolated_config: Path) -> None:
    cli("auth", "login", "--url", SANDBOX_URL, "--with-key", stdin=sandbox.keys["admin"], key=None, url=None)
    r = cli("auth", "logout", key=None, url=None)
    assert r.exit_code == 0
    assert sandbox.keys["admin"] not in (isolated_config / "config.toml").read_text()


def test_config_get_set_validates(cli: Any) -> None:
    assert cli("config", "set", "output", "yaml").exit_code == 2
    assert cli("config", "set", "nope", "1").exit_code == 2
    assert cli("config", "set", "timeout", "12").exit_code == 0
    r = cli("config", "get", "timeout", "-o", "json")
    assert r.json() == {"key": "timeout", "value": 12.0, "source": "profile default"}


def test_destructive_verbs_refuse_without_tty_or_yes(cli: Any, sandbox: Any) -> None:
    r = cli("users", "delete", "5")
    assert r.exit_code == 2 and "--yes" in r.stderr
    assert 5 in sandbox.state.users


# -- eclictl api -------------------------------------------------------------------------------

def test_api_get_with_query_fields(cli: Any) -> None:
    r = cli("api", "GET", "/api/admin/users", "-f", "q=root@example.com", "-o", "json")
    assert r.exit_code == 0, r
    body = r.json()
    assert body["total"] == 1 and body["users"][0]["email"] == "root@example.com"
    assert "twoFactorSecret" not in r.stdout


def test_api_post_typed_fields_and_include(cli: Any, sandbox: Any) -> None:
    r = cli("api", "POST", "/api/roles", "-f", "name=auditors", "-o", "json")
    assert r.exit_code == 0, r
    assert any(role["name"] == "auditors" for role in sandbox.state.roles.values())
    r = cli("api", "-i", "/health")
    assert r.stdout.startswith("HTTP 200") and "ok" in r.stdout


def test_api_paginate(cli: Any, sandbox: Any) -> None:
    r = cli("api", "/api/admin/users", "--paginate", "-o", "ids")
    assert r.exit_code == 0
    assert len(r.stdout.split()) == len(sandbox.state.users)


def test_api_text_body_and_input_file(cli: Any, tmp_path: Path, sandbox: Any) -> None:
    role_id = next(iter(sandbox.state.roles))
    r = cli("api", f"/api/roles/{role_id}")
    assert r.exit_code == 0 and "[object Object]" in r.stdout
    body = tmp_path / "b.json"
    body.write_text(json.dumps({"name": "from-file"}))
    assert cli("api", "POST", "/api/roles", "--input", str(body)).exit_code == 0
    assert any(role["name"] == "from-file" for role in sandbox.state.roles.values())
    assert cli("api", "POST", "/api/roles", "--input", str(tmp_path / "missing.json")).exit_code == 2


def test_help_exit_codes(cli: Any) -> None:
    r = cli("help", "exit-codes", key=None, url=None)
    assert r.exit_code == 0 and "partly failed" in r.stdout and "130" in r.stdout


def test_ping(cli: Any) -> None:
    r = cli("ping", "-o", "json", key=None)
    assert r.exit_code == 0 and r.json()["status"] == "ok"
