"""Portal parity: the first-run privacy question, the three switches, and deep links (--web, open)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import SANDBOX_URL


def _login(cli: Any, sandbox: Any) -> None:
    r = cli("auth", "login", "--url", SANDBOX_URL, "--with-key", stdin=sandbox.keys["admin"], key=None, url=None)
    assert r.exit_code == 0, r


def test_first_run_asks_once_on_a_tty_and_stores_the_answer(cli: Any, sandbox: Any, isolated_config: Path) -> None:
    _login(cli, sandbox)
    email = sandbox.state.users[2]["email"]
    r = cli("users", "list", "--limit", "3", tty=True, key=None, url=None, stdin="\n\n\n")
    assert r.exit_code == 0, r
    assert "Privacy mode" in r.stderr
    assert email not in r.stdout  # default answer: redact
    text = (isolated_config / "config.toml").read_text()
    assert "redact = true" in text and "redact_servers = false" in text
    r = cli("users", "list", "--limit", "3", tty=True, key=None, url=None)
    assert "Privacy mode" not in r.stderr and email not in r.stdout


def test_never_asks_without_a_tty(cli: Any, sandbox: Any, isolated_config: Path) -> None:
    _login(cli, sandbox)
    email = sandbox.state.users[2]["email"]
    r = cli("users", "list", "--limit", "3", key=None, url=None)
    assert "Privacy mode" not in r.stderr and email in r.stdout
    assert "redact" not in (isolated_config / "config.toml").read_text()


def test_answer_no_keeps_data_visible(cli: Any, sandbox: Any) -> None:
    _login(cli, sandbox)
    email = sandbox.state.users[2]["email"]
    r = cli("users", "list", "--limit", "3", "-o", "tsv", tty=True, key=None, url=None, stdin="n\nn\nn\n")
    assert email in r.stdout


def test_flag_skips_the_question(cli: Any, sandbox: Any) -> None:
    _login(cli, sandbox)
    r = cli("--no-redact", "users", "list", "--limit", "1", tty=True, key=None, url=None)
    assert "Privacy mode" not in r.stderr


def test_each_switch_masks_exactly_its_fields(cli: Any, sandbox: Any) -> None:
    rec = {"email": "a.person@example.com", "servers": [{"name": "mc-survival-01"}],
           "organisation": {"name": "Acme Hosting"}}
    from eclictl.output.redact import Redactor

    servers = Redactor({"servers"}, {"name": "servers"}).record({"name": "mc-survival-01", "email": "x@y.io"})
    assert servers["name"] != "mc-survival-01" and servers["email"] == "x@y.io"
    orgs = Redactor({"orgs"}, {"name": "orgs"}).record({"name": "Acme Hosting", "email": "x@y.io"})
    assert orgs["name"] != "Acme Hosting" and orgs["email"] == "x@y.io"
    pii = Redactor({"pii"}, {"name": "orgs"}).record(rec)
    assert pii["organisation"]["name"] == "Acme Hosting" and "a.person" not in pii["email"]


def test_redact_all_sets_all_three_switches(cli: Any, sandbox: Any) -> None:
    r = cli("servers", "list", "-o", "json", "--redact=all")
    assert r.exit_code == 0, r
    names = {s.get("name") for s in (sandbox.state.servers.values() if isinstance(sandbox.state.servers, dict)
                                      else sandbox.state.servers)}
    for name in names:
        if name and len(name) > 3:
            assert f'"{name}"' not in r.stdout


def test_web_links(cli: Any, sandbox: Any) -> None:
    opened: list[str] = []
    r = cli("users", "show", "3", "--web", browser=opened)
    assert r.exit_code == 0, r
    assert r.stdout.strip() == f"{SANDBOX_URL}/dashboard/admin?tab=users&viewUser=3"
    r = cli("users", "list", "--web")
    assert r.stdout.strip() == f"{SANDBOX_URL}/dashboard/admin?tab=users"
    r = cli("open", "fraud")
    assert r.stdout.strip() == f"{SANDBOX_URL}/dashboard/admin?tab=fraud"
    r = cli("open", "--server", "abc-123")
    assert r.stdout.strip() == f"{SANDBOX_URL}/dashboard/admin?tab=servers&viewServer=abc-123"
    r = cli("open", "--user", "7", env={"ECLICTL_WEB_URL": "https://panel.example.com"})
    assert r.stdout.strip() == "https://panel.example.com/dashboard/admin?tab=users&viewUser=7"
    assert cli("open", "nope").exit_code == 2
    assert not opened  # no TTY: nothing is launched
    cli("open", "nodes", tty=True, browser=opened)
    assert opened == [f"{SANDBOX_URL}/dashboard/admin?tab=nodes"]


def test_every_section_with_a_tab_has_web_on_list(cli: Any) -> None:
    from eclictl.sections._spec import all_sections

    for section in all_sections():
        if "list" in section.verbs and section.tab:
            r = cli(*section.name.split(), "list", "--web")
            assert r.exit_code == 0, (section.name, r)
            assert r.stdout.strip().endswith(f"tab={section.tab}"), (section.name, r.stdout)
