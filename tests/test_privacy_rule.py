"""Issue #13: privacy mode masks people in what is shown, never the panel's own addresses or
configuration, never what the user typed, and never surprises a script."""

from __future__ import annotations

import functools
import json
from typing import Any, Callable

import httpx
import pytest

#: A panel reached by IP address: every e-mail/IP scrubber used to mask it.
PANEL = "http://127.0.0.5:42599"
FOOTER = "(output redacted"


@pytest.fixture(params=["profile", "flag"])
def private(request: Any, cli: Any, sandbox: Any) -> Callable[..., Any]:
    """eclictl with a saved profile for PANEL and privacy on: from the profile, or from --redact."""
    r = cli("auth", "login", "--url", PANEL, "--with-key", stdin=sandbox.keys["admin"], key=None, url=None)
    assert r.exit_code == 0, r
    if request.param == "profile":
        assert cli("config", "set", "redact", "true", key=None, url=None).exit_code == 0
        return functools.partial(cli, key=None, url=None)

    def with_flag(*args: str, **kw: Any) -> Any:
        return cli("--redact", *args, key=None, url=None, **kw)

    return with_flag


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


# -- 2. the panel's address and configuration are never masked ----------------------------------
@pytest.mark.parametrize("args, expected", [
    (("open",), f"{PANEL}/dashboard/admin?tab=overview"),
    (("open", "--user", "42"), f"{PANEL}/dashboard/admin?tab=users&viewUser=42"),
    (("open", "fraud"), f"{PANEL}/dashboard/admin?tab=fraud"),
    (("users", "list", "--web"), f"{PANEL}/dashboard/admin?tab=users"),
    (("users", "show", "3", "--web"), f"{PANEL}/dashboard/admin?tab=users&viewUser=3"),
    (("nodes", "list", "--web"), f"{PANEL}/dashboard/admin?tab=nodes"),
])
def test_links_keep_the_real_panel_address(private: Any, args: tuple[str, ...], expected: str) -> None:
    r = private(*args)
    assert r.exit_code == 0, r
    assert r.stdout.strip() == expected


@pytest.mark.parametrize("args", [
    ("whoami",), ("whoami", "-o", "json"), ("auth", "status"), ("auth", "status", "-o", "json"),
    ("config", "get", "url"), ("config", "get"), ("profile", "list"), ("profile", "list", "-o", "csv"),
    ("profile", "show"), ("profile", "show", "-o", "json"), ("ping",), ("ping", "-o", "json"),
])
def test_commands_that_print_the_panel_url_print_it_verbatim(private: Any, sandbox: Any,
                                                             args: tuple[str, ...]) -> None:
    r = private(*args)
    assert r.exit_code == 0, r
    assert PANEL in r.stdout, r
    assert "127.0.0.x" not in r.stdout
    assert sandbox.state.users[1]["email"] not in r.stdout  # the people in it are still masked


def test_whoami_keeps_the_url_and_masks_the_person(private: Any, sandbox: Any) -> None:
    body = private("whoami", "-o", "json").json()
    assert body["url"] == PANEL
    assert body["email"] != sandbox.state.users[1]["email"] and "***" in body["email"]


def test_login_note_keeps_the_panel_address(cli: Any, sandbox: Any) -> None:
    r = cli("--redact", "auth", "login", "--url", PANEL, "--with-key", stdin=sandbox.keys["admin"], key=None,
            url=None)
    assert r.exit_code == 0, r
    assert f"logged in to {PANEL} as r***@e***.com" in r.stderr


def test_web_url_of_the_profile_is_kept(private: Any) -> None:
    r = private("open", "--user", "42", env={"ECLICTL_WEB_URL": "http://10.20.30.40:3000"})
    assert r.stdout.strip() == "http://10.20.30.40:3000/dashboard/admin?tab=users&viewUser=42"


def test_network_error_names_the_real_panel(private: Any) -> None:
    r = private("users", "list", transport=httpx.MockTransport(_refused))
    assert r.exit_code == 3, r
    assert f"cannot reach the panel at {PANEL}" in r.stderr


def test_settings_are_configuration_not_people(private: Any, sandbox: Any) -> None:
    from eclictl.sandbox.routes.settings import WEBAUTHN_DEFAULTS

    origin = WEBAUTHN_DEFAULTS["rpOrigin"]
    assert "127.0.0." in origin  # an address the scrubber used to mask
    r = private("settings", "show", "webauthn", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["rpOrigin"] == origin
    r = private("settings", "show")
    assert origin in r.stdout


def test_a_person_at_the_panel_address_is_still_masked_in_person_fields(private: Any, sandbox: Any) -> None:
    sandbox.state.users[3]["email"] = "someone@corp.example"
    body = private("users", "show", "3", "-o", "json").json()
    assert body["email"] == "s***@c***.example"


# -- 3. what the user typed is echoed as typed ----------------------------------------------------
def test_not_found_echoes_the_typed_email(private: Any) -> None:
    r = private("users", "show", "nobody@example.com")
    assert r.exit_code == 6, r
    assert "'nobody@example.com'" in r.stderr


def test_ids_piped_in_are_echoed_in_the_report(private: Any) -> None:
    r = private("users", "suspend", "-", "--yes", stdin="nobody@example.com\n")
    assert r.exit_code == 8, r
    assert "nobody@example.com" in r.stdout and "n***@" not in r.stdout + r.stderr


def test_typing_an_email_does_not_unmask_the_record(private: Any, sandbox: Any) -> None:
    email = sandbox.state.users[3]["email"]
    body = private("users", "show", email, "-o", "json").json()
    assert body["id"] == 3 and body["email"] != email


# -- 4. free text: the personal data inside is masked, the rest kept ------------------------------
def _fraud_user(sandbox: Any) -> dict[str, Any]:
    user = sandbox.state.users[42]
    user.update(firstName="Jane", lastName="Doe", email="jane.doe@corp.example", address="12 Harbour Road",
                billingCity="Springfield", phone="+49 30 1234567", fraudFlag=True,
                fraudDetectedAt="2026-11-20T10:00:00.000Z",
                fraudReason="Card testing ring: Jane Doe (jane.doe@corp.example) from 203.0.113.9, "
                            "phone +44 20 7946 0958, ships to 12 Harbour Road in Springfield")
    return user


def test_fraud_reason_masks_people_and_keeps_the_rest(private: Any, sandbox: Any) -> None:
    _fraud_user(sandbox)
    rows = {row["id"]: row for row in private("fraud", "list", "-o", "json").json()}
    reason = rows[42]["fraudReason"]
    for secret in ("Jane", "Doe", "jane.doe", "corp.example", "203.0.113.9", "7946", "1234567", "Harbour",
                   "Springfield"):
        assert secret not in reason, (secret, reason)
    assert reason.startswith("Card testing ring: J. D. (j***@c***.example) from 203.0.113.x, phone +4")
    assert reason.endswith("ships to ••• in •••")
    assert private("fraud", "list", "-o", "json").json() == list(rows.values())  # deterministic


def test_the_visible_reason_text_finds_the_alert(private: Any, sandbox: Any) -> None:
    _fraud_user(sandbox)
    r = private("fraud", "list", "--reason-contains", "Card testing ring", "-o", "ids")
    assert r.stdout.split() == ["42"]


# -- 5. names in the panel's error text, URL-encoded e-mails in -v logs ---------------------------
def test_panel_error_text_masks_the_name_next_to_the_email(private: Any, sandbox: Any) -> None:
    _fraud_user(sandbox)
    sandbox.inject_fault(method="PUT", path="/api/admin/users/42", status=409,
                         body={"error": "User Jane Doe (jane.doe@corp.example, 203.0.113.7) is protected"})
    r = private("users", "edit", "42", "--set", "billingCity=Oslo")
    assert r.exit_code == 7, r
    assert "error: User J. D. (j***@c***.example, 203.0.113.x) is protected" in r.stderr


def test_names_the_run_received_are_masked_in_error_text(private: Any, sandbox: Any) -> None:
    sandbox.state.users[42].update(firstName="Björn", lastName="Zhang", email="bz@corp.example", suspended=False)
    sandbox.inject_fault(method="PUT", path="/api/admin/users/42", status=409,
                         body={"error": "Björn Zhang is protected"})
    r = private("users", "suspend", "42", "--yes")
    assert r.exit_code == 8, r
    assert "B. Z. is protected" in r.stdout and "Björn" not in r.stdout + r.stderr


def test_verbose_log_masks_url_encoded_emails(private: Any) -> None:
    r = private("-v", "users", "list", "-q", "jane.doe@corp.example")
    assert r.exit_code == 0, r
    assert "jane.doe%40corp.example" not in r.stderr and "jane.doe" not in r.stderr
    assert "q=j***%40c***.example" in r.stderr


# -- 6. scripts are told once; flags and the environment say it themselves ------------------------
@pytest.fixture
def profile_redact(cli: Any, sandbox: Any) -> Callable[..., Any]:
    r = cli("auth", "login", "--url", PANEL, "--with-key", stdin=sandbox.keys["admin"], key=None, url=None)
    assert r.exit_code == 0, r
    assert cli("config", "set", "redact", "true", key=None, url=None).exit_code == 0
    return functools.partial(cli, key=None, url=None)


@pytest.mark.parametrize("args", [
    ("users", "list", "--limit", "3", "-o", "json"), ("users", "list", "--limit", "3", "-o", "jsonl"),
    ("users", "list", "--limit", "3", "-o", "csv"), ("users", "list", "--limit", "3"),
    ("search", "spam", "-o", "tsv"), ("search", "spam", "-o", "json"),
])
def test_profile_redaction_tells_a_script_once(profile_redact: Any, args: tuple[str, ...]) -> None:
    r = profile_redact(*args)
    assert r.exit_code == 0, r
    notes = [line for line in r.stderr.splitlines() if line.startswith("note: output is masked by profile")]
    assert len(notes) == 1, r.stderr
    assert "--no-redact" in notes[0] and "eclictl config set redact false" in notes[0]


def test_machine_format_on_a_terminal_is_told_too(profile_redact: Any) -> None:
    r = profile_redact("users", "list", "--limit", "2", "-o", "json", tty=True)
    assert r.stderr.count("note: output is masked by profile") == 1 and FOOTER not in r.stderr


@pytest.mark.parametrize("extra, env", [
    (("--redact",), {}), (("--no-redact",), {}), ((), {"ECLICTL_REDACT": "1"}),
])
def test_no_note_when_this_command_line_decides(profile_redact: Any, extra: tuple[str, ...],
                                                 env: dict[str, str]) -> None:
    r = profile_redact(*extra, "users", "list", "--limit", "2", "-o", "json", env=env)
    assert r.exit_code == 0, r
    assert "note: output is masked" not in r.stderr


def test_no_note_when_nothing_was_masked_or_on_a_table(profile_redact: Any) -> None:
    assert "note:" not in profile_redact("roles", "list", "-o", "json").stderr
    r = profile_redact("users", "list", "--limit", "2", tty=True)
    assert "note: output is masked" not in r.stderr and r.stderr.count(FOOTER) == 1


def test_the_note_names_the_profile_chosen_with_p(cli: Any, sandbox: Any) -> None:
    cli("-p", "prod", "auth", "login", "--url", PANEL, "--with-key", stdin=sandbox.keys["admin"], key=None, url=None)
    cli("auth", "login", "--url", PANEL, "--with-key", stdin=sandbox.keys["admin"], key=None, url=None)
    assert cli("-p", "prod", "config", "set", "redact", "true", key=None, url=None).exit_code == 0
    r = cli("-p", "prod", "users", "list", "--limit", "1", "-o", "json", key=None, url=None)
    assert "eclictl -p prod config set redact false" in r.stderr


def test_first_run_question_says_it_applies_to_scripts(cli: Any, sandbox: Any) -> None:
    cli("auth", "login", "--url", PANEL, "--with-key", stdin=sandbox.keys["admin"], key=None, url=None)
    r = cli("users", "list", "--limit", "1", tty=True, key=None, url=None, stdin="\n\n\n")
    assert "Privacy mode" in r.stderr and "scripts" in r.stderr


# -- 7. the footer: once, and only when something was masked --------------------------------------
@pytest.mark.parametrize("args", [
    ("roles", "list"), ("flags", "list"), ("stats",), ("open",), ("fraud", "dismiss", "48", "--yes"),
    ("settings", "show"), ("profile", "list"),
])
def test_no_footer_when_nothing_was_masked(private: Any, args: tuple[str, ...]) -> None:
    r = private(*args, tty=True)
    assert r.exit_code == 0, r
    assert FOOTER not in r.stderr


@pytest.mark.parametrize("args", [("users", "list", "--limit", "3"), ("search", "a"), ("fraud", "list")])
def test_footer_once_when_something_was_masked(private: Any, args: tuple[str, ...]) -> None:
    r = private(*args, tty=True)
    assert r.exit_code == 0, r
    assert r.stderr.count(FOOTER) == 1, r.stderr
    assert r.stderr.rstrip().endswith("--no-redact to show)")


def test_json_shapes_are_unchanged_by_the_rule(private: Any, cli: Any) -> None:
    masked = private("users", "list", "--limit", "2", "-o", "json").json()
    plain = cli("--no-redact", "users", "list", "--limit", "2", "-o", "json").json()
    assert [list(r) for r in masked] == [list(r) for r in plain]
    assert json.dumps(masked) != json.dumps(plain)
