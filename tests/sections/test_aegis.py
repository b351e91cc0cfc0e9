"""aegis against the sandbox panel (docs/panel/aegis.md): read-only views of one process's memory."""

from __future__ import annotations

from typing import Any


def test_status_rows_and_memory_note(cli: Any, sandbox: Any) -> None:
    r = cli("aegis", "status", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    assert [x["nodeId"] for x in rows] == [1, 2]  # node 4's push is older than 10 min
    assert rows[0]["blocklistCount"] == 3 and rows[0]["openAttacks"] == 1 and rows[0]["dropRps"] == 48000
    assert "memory of the one backend process" in r.stderr
    assert "198.51.100" not in r.stdout  # counts only, no addresses
    table = cli("aegis", "status", tty=True)
    assert table.exit_code == 0 and "ATTACKS" in table.stdout


def test_status_missing_node_warns(cli: Any) -> None:
    r = cli("aegis", "status", "--node", "4", "-o", "json")
    assert r.exit_code == 0 and r.json() == [] and "has not pushed" in r.stderr


def test_blocked_lists_addresses_and_redacts(cli: Any) -> None:
    r = cli("aegis", "blocked", "-o", "json")
    assert r.exit_code == 0, r
    assert [x["ip"] for x in r.json()] == ["198.51.100.23", "198.51.100.24", "203.0.113.99"]
    red = cli("aegis", "blocked", "-o", "json", "--redact")
    assert "198.51.100.23" not in red.stdout
    assert cli("aegis", "blocked", "--verified", "--node", "2", "-o", "json").json()[0]["ip"] == "192.0.2.30"


def test_events_mark_open_attacks(cli: Any) -> None:
    r = cli("aegis", "events", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    assert [x["open"] for x in rows] == [True, False, False]
    assert rows[0]["endTs"] is None and rows[1]["endTs"] is not None
    r = cli("aegis", "events", "--open", "-o", "json")
    assert [x["method"] for x in r.json()] == ["SYN flood"]
    assert cli("aegis", "events", "--node", "2", "-o", "json").json() == []


def test_any_api_key_passes_the_panel_gate(cli: Any) -> None:
    """The panel's own gate bug, reproduced: a client key with no permissions reads Aegis data."""
    assert cli("aegis", "status", key="plain").exit_code == 0


def test_web_link_and_open(cli: Any) -> None:
    assert cli("aegis", "status", "--web").stdout.strip().endswith("?tab=aegis")
    assert cli("open", "aegis").stdout.strip().endswith("?tab=aegis")


def test_whoami_lists_the_new_sections(cli: Any) -> None:
    r = cli("whoami", "-o", "json")
    assert r.exit_code == 0, r
    usable = set(r.json()["sections"])
    assert {"aegis", "backup-configs", "chat", "chat channels", "chat bans", "coupons", "elo"} <= usable
    denied = set(cli("whoami", "-o", "json", key="plain").json()["sections_denied"])
    assert {"backup-configs", "coupons", "elo"} <= denied


def test_memory_note_once_per_run(cli: Any) -> None:
    r = cli("aegis", "events")
    assert r.exit_code == 0 and r.stderr.count("memory of the one backend process") == 1
