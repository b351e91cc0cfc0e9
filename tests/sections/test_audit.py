"""`eclictl audit` against the sandbox panel (docs/panel/observability.md)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any


def server(sandbox: Any, name: str) -> dict[str, Any]:
    return next(c for c in sandbox.state.servers.values() if c["name"] == name)


def test_help(cli: Any) -> None:
    r = cli("audit", "--help", key=None, url=None)
    assert r.exit_code == 0 and all(v in r.stdout for v in ("admins", "report", "server", "export"))


def test_admins_lists_newest_first_with_filters(cli: Any, sandbox: Any) -> None:
    r = cli("audit", "admins", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    assert len(rows) == 50
    assert [x["timestamp"] for x in rows] == sorted((x["timestamp"] for x in rows), reverse=True)
    some = rows[0]
    r = cli("audit", "admins", "--admin", str(some["adminUserId"]), "--action", some["action"], "--all", "-o", "json")
    expected = [e for e in sandbox.state.admin_audit.values()
                if e["adminUserId"] == some["adminUserId"] and e["action"] == some["action"]]
    assert r.exit_code == 0 and len(r.json()) == len(expected)
    r = cli("audit", "admins", "--all", "-o", "ids")
    assert len(r.stdout.split()) == len(sandbox.state.admin_audit)


def test_admins_since_and_bad_dates(cli: Any, sandbox: Any) -> None:
    newest = max(e["timestamp"] for e in sandbox.state.admin_audit.values())
    r = cli("audit", "admins", "--since", newest, "-o", "json")
    assert r.exit_code == 0 and [x["timestamp"] for x in r.json()] == [newest]
    r = cli("audit", "admins", "--since", "yesterday-ish")
    assert r.exit_code == 2 and "--since" in r.stderr


def test_admins_redacts_admin_identity(cli: Any, sandbox: Any) -> None:
    r = cli("audit", "admins", "-n", "5", "-o", "json")
    admin_id = r.json()[0]["adminUserId"]
    email = sandbox.state.users[admin_id]["email"]
    assert email in r.stdout
    r = cli("audit", "admins", "-n", "5", "-o", "json", "--redact")
    assert email not in r.stdout and "198.51.100." not in r.stdout.replace("198.51.100.x", "")
    r = cli("audit", "admins", "-n", "5", "--redact", tty=True)
    assert r.exit_code == 0 and email not in r.stdout and "ACTION" in r.stdout


def test_report(cli: Any, sandbox: Any) -> None:
    r = cli("audit", "report", "-o", "json")
    assert r.exit_code == 0, r
    report = r.json()
    assert sum(x["count"] for x in report) == len(sandbox.state.admin_audit)
    assert [x["totalMs"] for x in report] == sorted((x["totalMs"] for x in report), reverse=True)


def test_soc_gate_is_user_based(cli: Any) -> None:
    r = cli("audit", "admins", key="plain")
    assert r.exit_code == 5 and "Forbidden" in r.stderr


def test_server_audit_after_a_suspend(cli: Any, sandbox: Any) -> None:
    cfg = server(sandbox, "bot-musicbox")
    assert cli("servers", "suspend", cfg["uuid"], "--reason", "spam", "--yes").exit_code == 0
    r = cli("audit", "server", "bot-musicbox", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    assert {x["source"] for x in rows} == {"userlog", "antiabuse"}
    assert any(x["action"] == "admin:server:suspend" for x in rows)
    assert any(str(x["id"]).startswith("abuse-") for x in rows)
    r = cli("audit", "server", cfg["uuid"], "--columns", "source,action", tty=True)
    assert r.exit_code == 0 and "admin:server:suspend" in r.stdout


def test_server_audit_permission(cli: Any) -> None:
    r = cli("audit", "server", "0b6c8a52-6f0e-4d8e-9a51-2f1d6a0c1e01", key="plain")
    assert r.exit_code == 5


def test_export_csv_and_json(cli: Any, sandbox: Any, tmp_path: Any) -> None:
    cfg = server(sandbox, "rust-weekly")
    out = tmp_path / "audit.csv"
    r = cli("audit", "export", cfg["uuid"], "--file", str(out), "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["file"] == str(out) and out.exists()
    text = out.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and rows[0].keys() >= {"id", "action", "source"} and all(row["source"] for row in rows)
    out_json = tmp_path / "audit.json"
    r = cli("audit", "export", cfg["uuid"], "--format", "json", "--file", str(out_json))
    assert r.exit_code == 0, r
    assert len(json.loads(out_json.read_text())) == len(rows)
    r = cli("audit", "export", cfg["uuid"], "--file", str(out_json))
    assert r.exit_code == 2 and "exists" in r.stderr
    assert cli("audit", "export", cfg["uuid"], "--format", "xml").exit_code == 2
