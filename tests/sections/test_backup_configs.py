"""backup-configs against the sandbox panel (docs/panel/backup-configs.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

S3 = "S3 offsite (demo)"


def _by_name(sandbox: Any, name: str) -> dict[str, Any]:
    return next(r for r in sandbox.state.backup_configs.values() if r["name"] == name)


def test_list_hides_config_values_in_json_and_table(cli: Any, sandbox: Any) -> None:
    r = cli("backup-configs", "list", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    assert [x["name"] for x in rows][0] == "Restic vault (demo)"  # newest first
    s3 = next(x for x in rows if x["name"] == S3)
    assert set(s3["config"]) >= {"bucket", "accessKeyId", "secretAccessKey"}
    assert set(s3["config"].values()) == {"<hidden>"}
    assert "demo/secret/key" not in r.stdout and "AKIADEMO" not in r.stdout
    table = cli("backup-configs", "list", tty=True)
    assert table.exit_code == 0 and "UUID" in table.stdout and "AKIADEMO" not in table.stdout
    tsv = cli("backup-configs", "list")
    assert S3 in tsv.stdout and "<hidden>" not in tsv.stdout
    assert cli("backup-configs", "list", "--disk", "s3", "-o", "ids").stdout.split() == [s3["uuid"]]


def test_show_secrets_only_on_a_terminal(cli: Any, sandbox: Any) -> None:
    r = cli("backup-configs", "show", S3, "--show-secrets", "-o", "json")
    assert r.exit_code == 2 and "only to a terminal" in r.stderr
    assert "AKIADEMO" not in r.stdout
    r = cli("backup-configs", "show", "Restic vault (demo)", "--show-secrets", "-o", "json", tty=True)
    assert r.exit_code == 0, r
    assert r.json()["config"]["password"] == "demo-restic-pass"
    plain = cli("backup-configs", "show", "Restic vault (demo)", "-o", "json", tty=True)
    assert "demo-restic-pass" not in plain.stdout


def test_show_by_uuid_and_unknown(cli: Any, sandbox: Any) -> None:
    row = _by_name(sandbox, S3)
    r = cli("backup-configs", "show", row["uuid"], "-o", "json")
    assert r.exit_code == 0 and r.json()["backupDisk"] == "s3"
    assert cli("backup-configs", "show", "nope").exit_code == 6
    assert cli("backup-configs", "show", "00000000-0000-4000-8000-000000000000").exit_code == 6


def test_create_with_config_file_verifies_and_warns(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    cfg = tmp_path / "kopia.json"
    cfg.write_text(json.dumps({"repository": "b2://bucket", "password": "kopia-pw-123"}))
    before = len(sandbox.state.backup_configs)
    r = cli("backup-configs", "create", "--name", "  Kopia B2 ", "--disk", "kopia", "--config-file", str(cfg),
            "--no-maintenance", "-o", "json")
    assert r.exit_code == 0, r
    assert len(sandbox.state.backup_configs) == before + 1
    row = _by_name(sandbox, "Kopia B2")
    assert row["config"]["password"] == "kopia-pw-123" and row["maintenanceEnabled"] is False
    assert r.json()["uuid"] == row["uuid"] and "kopia-pw-123" not in r.stdout
    assert "changes nothing on the nodes" in r.stderr
    posts = [q for q in sandbox.requests if q[0] == "POST"]
    assert len(posts) == 1


def test_create_rejects_bad_input_before_sending(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    assert cli("backup-configs", "create", "--name", "x", "--config-file", str(bad)).exit_code == 2
    assert cli("backup-configs", "create", "--name", "   ").exit_code == 2
    assert cli("backup-configs", "create", "--name", "x" * 256).exit_code == 2
    assert cli("backup-configs", "create", "--name", "x", "--disk", "ftp").exit_code == 2
    assert not [q for q in sandbox.requests if q[0] == "POST"]


def test_edit_sends_only_given_fields(cli: Any, sandbox: Any) -> None:
    row = _by_name(sandbox, S3)
    secret = row["config"]["secretAccessKey"]
    r = cli("backup-configs", "edit", S3, "--shared", "--description", "", "-o", "json")
    assert r.exit_code == 0, r
    assert row["shared"] is True and row["description"] is None
    assert row["config"]["secretAccessKey"] == secret and row["name"] == S3
    assert cli("backup-configs", "edit", S3).exit_code == 2


def test_delete_confirms_and_bulk(cli: Any, sandbox: Any) -> None:
    names = [S3, "Local disk"]
    r = cli("backup-configs", "delete", *names)
    assert r.exit_code == 2 and len(sandbox.state.backup_configs) == 3
    r = cli("backup-configs", "delete", *names, "--yes")
    assert r.exit_code == 0, r
    assert [x["name"] for x in sandbox.state.backup_configs.values()] == ["Restic vault (demo)"]
    assert cli("backup-configs", "delete", "gone", "--yes").exit_code == 8


def test_gate_needs_admin_read_in_a_client_key(cli: Any) -> None:
    r = cli("backup-configs", "list", key="staff_client")
    assert r.exit_code == 5


def test_web_link(cli: Any) -> None:
    r = cli("backup-configs", "list", "--web")
    assert r.exit_code == 0 and r.stdout.strip().endswith("?tab=backup-configs")


def test_a_config_that_did_not_stick_fails_without_quoting_it() -> None:
    import pytest

    from eclictl.errors import EclictlError
    from eclictl.sections._readback import require_stored

    class Ctx:
        emitted: list[Any] = []

        def emit(self, view: Any) -> None:
            self.emitted.append(view)

    sent = {"name": "x", "config": {"password": "s3cr3t-value"}}
    with pytest.raises(EclictlError) as err:
        require_stored(Ctx(), "backup configuration u", sent, {"name": "x", "config": {}}, "view",
                       secret=frozenset({"config"}))
    assert "config differs" in err.value.message and "s3cr3t-value" not in err.value.message
    assert Ctx.emitted == ["view"]
    assert require_stored(Ctx(), "c", {"name": "x"}, {"name": "x"}, "ok") == "ok"
