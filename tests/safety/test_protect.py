"""Protected profiles: type the profile's name (or --confirm-profile NAME); --yes alone is not enough."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from tests.conftest import SANDBOX_URL, Result


def writes(sandbox: Any) -> list[tuple[str, str, int]]:
    return [r for r in sandbox.requests if r[0] in ("POST", "PUT", "PATCH", "DELETE")]


@pytest.fixture
def prod(cli: Any, sandbox: Any, isolated_config: Path) -> Callable[..., Result]:
    """A saved profile 'prod' pointing at the sandbox, protected; runs commands with -p prod."""
    import tomli_w

    isolated_config.mkdir(parents=True, exist_ok=True)
    (isolated_config / "config.toml").write_text(tomli_w.dumps({"current_profile": "prod", "profiles": {
        "prod": {"url": SANDBOX_URL, "api_key": sandbox.keys["admin"], "redact": False},
        "staging": {"url": "http://staging.test", "api_key": sandbox.keys["admin"], "redact": False}}}))
    assert cli("profile", "protect", "prod", key=None, url=None).exit_code == 0

    def run(*args: str, **kw: Any) -> Result:
        return cli("-p", "prod", *args, key=None, url=None, **kw)

    return run


def test_protect_and_unprotect_are_stored_in_the_profile(cli: Any, prod: Any, isolated_config: Path) -> None:
    text = (isolated_config / "config.toml").read_text()
    assert "protected = true" in text
    rows = {r["name"]: r for r in cli("profile", "list", "-o", "json", key=None, url=None).json()}
    assert rows["prod"]["protected"] is True and rows["staging"]["protected"] is False
    r = cli("profile", "unprotect", "prod", key=None, url=None)
    assert r.exit_code == 0 and "protected" not in (isolated_config / "config.toml").read_text()
    assert cli("profile", "protect", "nope", key=None, url=None).exit_code == 6


def test_without_a_terminal_a_change_needs_confirm_profile_and_sends_nothing(prod: Any, sandbox: Any) -> None:
    r = prod("users", "suspend", "11", "--yes")
    assert r.exit_code == 2
    assert "profile 'prod' is protected" in r.stderr and "--confirm-profile prod" in r.stderr
    assert "--yes alone is not enough" in r.stderr
    assert writes(sandbox) == [] and not sandbox.state.users[11].get("suspended")


def test_the_client_hook_gates_verbs_that_never_ask(prod: Any, sandbox: Any) -> None:
    """flags enable has no confirmation question: the first write itself is stopped."""
    r = prod("flags", "enable", "chat", "--no-verify")
    assert r.exit_code == 2 and "protected" in r.stderr
    assert writes(sandbox) == []


def test_confirm_profile_lets_scripts_through_and_stands_for_yes(prod: Any, sandbox: Any) -> None:
    r = prod("users", "suspend", "11", "--confirm-profile", "prod")
    assert r.exit_code == 0, r
    assert sandbox.state.users[11]["suspended"]
    r = prod("--confirm-profile", "prod", "users", "suspend", "12", "--yes")
    assert r.exit_code == 0 and sandbox.state.users[12]["suspended"]


def test_a_wrong_confirm_profile_is_refused_on_any_profile(prod: Any, cli: Any, sandbox: Any) -> None:
    r = prod("users", "suspend", "11", "--yes", "--confirm-profile", "staging")
    assert r.exit_code == 2 and "does not match the profile in use ('prod'" in r.stderr
    r = cli("-p", "staging", "users", "suspend", "11", "--yes", "--confirm-profile", "prod",  # unprotected
            key=None, url=None)
    assert r.exit_code == 2 and "('staging'" in r.stderr
    assert writes(sandbox) == []


def test_on_a_terminal_the_operator_types_the_name_after_a_banner_naming_the_panel(prod: Any, sandbox: Any) -> None:
    r = prod("users", "suspend", "11", "--yes", tty=True, stdin="prod\n")
    assert r.exit_code == 0, r
    assert f"PROTECTED profile 'prod': {SANDBOX_URL}" in r.stderr and "Type the profile name" in r.stderr
    assert sandbox.state.users[11]["suspended"]


def test_a_mistyped_name_cancels_and_sends_nothing(prod: Any, sandbox: Any) -> None:
    r = prod("users", "delete", "12", tty=True, stdin="yes\n")
    assert r.exit_code == 7 and "the profile name did not match" in r.stderr
    assert writes(sandbox) == [] and 12 in sandbox.state.users


def test_the_name_replaces_the_yes_no_question(prod: Any, sandbox: Any) -> None:
    r = prod("users", "delete", "12", tty=True, stdin="prod\n")
    assert r.exit_code == 0, r
    assert "[y/N]" not in r.stderr and "Permanently delete 1 user(s)" in r.stderr  # the question is in the banner
    assert 12 not in sandbox.state.users


def test_read_only_verbs_and_dry_runs_are_unaffected(prod: Any, sandbox: Any) -> None:
    assert prod("users", "list", "--limit", "1").exit_code == 0
    assert prod("flags", "disable", "chat", "--dry-run").exit_code == 0
    assert prod("users", "suspend", "11", "--dry-run").exit_code == 0
    assert writes(sandbox) == []


def test_a_bulk_run_asks_once_before_any_worker_starts(prod: Any, sandbox: Any) -> None:
    ids = [str(i) for i in range(11, 31)]
    for i in ids:
        sandbox.state.users[int(i)]["suspended"] = True
    r = prod("users", "unsuspend", *ids, "--concurrency", "8", "--rate", "0", tty=True, stdin="prod\n")
    assert r.exit_code == 0, r
    assert r.stderr.count("Type the profile name") == 1
    assert len(writes(sandbox)) == len(ids)


def test_a_bulk_run_without_terminal_stops_before_the_first_item(prod: Any, sandbox: Any) -> None:
    r = prod("users", "unsuspend", "11", "12", "13", "--concurrency", "4")
    assert r.exit_code == 2 and writes(sandbox) == []


def test_protection_follows_the_panel_url_too(prod: Any, cli: Any, sandbox: Any) -> None:
    """Credentials from the environment, no profile: the URL is the protected one's."""
    r = cli("-p", "staging", "--url", SANDBOX_URL, "users", "suspend", "11", "--yes", key=None, url=None)
    assert r.exit_code == 2 and "profile 'prod' is protected" in r.stderr
    r = cli("-p", "staging", "--url", SANDBOX_URL, "users", "suspend", "11", "--yes", "--confirm-profile", "prod",
            key=None, url=None)
    assert r.exit_code == 0 and sandbox.state.users[11]["suspended"]


def test_require_reason(prod: Any, cli: Any, sandbox: Any) -> None:
    assert cli("profile", "set", "prod", "require_reason", "true", key=None, url=None).exit_code == 0
    r = prod("users", "suspend", "11", "--confirm-profile", "prod")
    assert r.exit_code == 2 and "requires a reason" in r.stderr and writes(sandbox) == []
    r = prod("users", "suspend", "11", "--confirm-profile", "prod", "--reason", "spam wave")
    assert r.exit_code == 0, r
    r = prod("users", "suspend", "12", "--yes", tty=True, stdin="chargeback\nprod\n")
    assert r.exit_code == 0, r
    assert "requires a reason" in r.stderr
    import json
    import os

    lines = (Path(os.environ["ECLICTL_STATE_DIR"]) / "audit.jsonl").read_text().splitlines()
    assert [json.loads(line)["reason"] for line in lines] == ["spam wave", "chargeback"]


def test_profile_set_validates_like_config_set(cli: Any, prod: Any) -> None:
    r = cli("profile", "set", "prod", "require_reason", "maybe", key=None, url=None)
    assert r.exit_code == 2 and "invalid value for 'require_reason'" in r.stderr
    r = cli("profile", "set", "prod", "colour", "blue", key=None, url=None)
    assert r.exit_code == 2 and "unknown setting" in r.stderr
    assert cli("profile", "set", "nope", "timeout", "5", key=None, url=None).exit_code == 6
    assert cli("profile", "set", "staging", "timeout", "5", key=None, url=None).exit_code == 0


def test_protect_require_reason_option(cli: Any, prod: Any, isolated_config: Path) -> None:
    assert cli("profile", "protect", "staging", "--require-reason", key=None, url=None).exit_code == 0
    text = (isolated_config / "config.toml").read_text()
    assert text.count("protected = true") == 2 and "require_reason = true" in text
