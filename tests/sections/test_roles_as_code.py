"""`eclictl roles export|diff|apply`: roles as code against the sandbox panel."""

from __future__ import annotations

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]
from pathlib import Path
from typing import Any

from tests.sections.test_roles import _role_named, _values

DESIRED = """
[roles.ops]
description = "Operations"
permissions = ["admin:access", "nodes:read"]

[roles.ops-senior]
parent = "ops"
permissions = ["nodes:*", "users:read"]

[roles.helpdesk]
description = "Support staff"
permissions = ["admin:access", "tickets:read", "users:read"]
"""


def _write(tmp_path: Path, text: str, name: str = "roles.toml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_export_round_trips_and_diff_is_clean(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    assert cli("roles", "create", "rc-a", "-d", "A", "-p", "users:read", "-p", "admin:access").exit_code == 0
    assert cli("roles", "create", "rc-b", "--parent", "rc-a", "-p", "tickets:ban").exit_code == 0
    path = tmp_path / "roles.toml"
    r = cli("roles", "export", "-f", str(path))
    assert r.exit_code == 0, r
    data = tomllib.loads(path.read_text())["roles"]
    assert data["rc-a"] == {"description": "A", "permissions": ["admin:access", "users:read"]}
    assert data["rc-b"] == {"parent": "rc-a", "permissions": ["tickets:ban"]}
    assert set(data) == {r["name"] for r in sandbox.state.roles.values()}
    r = cli("roles", "export")
    assert r.exit_code == 0 and r.stdout == path.read_text()
    r = cli("roles", "diff", "-f", str(path))
    assert r.exit_code == 0 and r.stdout == "" and "no changes" in r.stderr


def test_diff_apply_then_idempotent(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    assert cli("roles", "create", "helpdesk", "-d", "Support staff", "-p", "users:read",
               "-p", "users:suspend").exit_code == 0
    path = _write(tmp_path, DESIRED)
    r = cli("roles", "diff", "-f", path, "-o", "json")
    assert r.exit_code == 1, r
    plan = [(c["action"], c["role"], c["permission"]) for c in r.json()]
    assert plan.index(("create", "ops", "")) < plan.index(("create", "ops-senior", ""))
    assert ("grant", "helpdesk", "admin:access") in plan and ("revoke", "helpdesk", "users:suspend") in plan
    assert ("grant", "ops-senior", "nodes:*") in plan
    r = cli("roles", "diff", "-f", path)
    assert r.exit_code == 1 and any(ln.startswith("revoke\thelpdesk\tusers:suspend") for ln in r.stdout.splitlines())
    count = len(sandbox.state.roles)
    r = cli("roles", "apply", "-f", path, "--dry-run")
    assert r.exit_code == 0 and len(sandbox.state.roles) == count and "create" in r.stdout
    r = cli("roles", "apply", "-f", path)
    assert r.exit_code == 2 and "--yes" in r.stderr and len(sandbox.state.roles) == count
    r = cli("roles", "apply", "-f", path, "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert all(row["status"] == "done" for row in r.json())
    ops, senior = _role_named(sandbox, "ops"), _role_named(sandbox, "ops-senior")
    assert senior["parentRoleId"] == ops["id"] and ops["description"] == "Operations"
    assert _values(sandbox, senior["id"]) == ["nodes:*", "users:read"]
    assert _values(sandbox, _role_named(sandbox, "helpdesk")["id"]) == ["admin:access", "tickets:read", "users:read"]
    r = cli("roles", "apply", "-f", path, "--yes")
    assert r.exit_code == 0 and r.stdout == "" and "no changes" in r.stderr
    assert cli("roles", "diff", "-f", path).exit_code == 0


def test_prune_and_drift(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    # Start from an empty panel: the seeded roles hold permissions and users, which prune cannot remove.
    sandbox.state.user_roles.clear()
    sandbox.state.permissions.clear()
    sandbox.state.roles.clear()
    assert cli("roles", "create", "helpdesk", "-d", "Old text", "-p", "users:read").exit_code == 0
    assert cli("roles", "create", "legacy", "-p", "tickets:read").exit_code == 0
    path = _write(tmp_path, '[roles.helpdesk]\ndescription = "New text"\npermissions = ["users:read"]\n')
    r = cli("roles", "diff", "-f", path, "-o", "json")
    assert r.exit_code == 1
    assert [c["action"] for c in r.json()] == ["drift"]
    assert "cannot change it" in r.json()[0]["detail"]
    r = cli("roles", "diff", "-f", path, "--prune", "-o", "json")
    assert ("delete", "legacy") in [(c["action"], c["role"]) for c in r.json()]
    others = {r["name"] for r in sandbox.state.roles.values()} - {"helpdesk"}
    r = cli("roles", "apply", "-f", path, "--prune", "--yes")
    assert r.exit_code == 7, r
    assert "description" in r.stderr and "cannot be applied" in r.stderr
    assert {r["name"] for r in sandbox.state.roles.values()} == {"helpdesk"} and others
    assert _role_named(sandbox, "helpdesk")["description"] == "Old text"


def test_bad_files_name_file_line_and_key(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    count = len(sandbox.state.roles)
    cases = [
        ('[roles.a]\npermissions = ["x:y"\ndescription = "d"\n', ":3: invalid TOML"),
        ('[roles.a]\ndescription = "d"\npermissions = "users:read"\n', ":3: roles.a.permissions: must be an array"),
        ('[roles.a]\npermisions = ["users:read"]\n', ":2: roles.a.permisions: unknown key"),
        ('[roles.a]\nparent = "b"\n[roles.b]\nparent = "a"\n', "parent cycle"),
        ('[roles.a]\nparent = "ghost"\n', ":2: roles.a.parent: parent role 'ghost'"),
        ('[other]\nx = 1\n', "unknown top-level key 'other'"),
    ]
    for text, message in cases:
        path = _write(tmp_path, text, "bad.toml")
        for verb in ("diff", "apply"):
            r = cli("roles", verb, "-f", path, *(["--yes"] if verb == "apply" else []))
            assert r.exit_code == 2, (text, r)
            assert "bad.toml" in r.stderr and message in r.stderr, (text, r.stderr)
            assert len(r.stderr.strip().splitlines()) == 1
    r = cli("roles", "diff", "-f", str(tmp_path / "missing.toml"))
    assert r.exit_code == 2 and "cannot read" in r.stderr
    assert len(sandbox.state.roles) == count


def test_apply_refuses_wildcard_without_flag(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    path = _write(tmp_path, '[roles.god]\npermissions = ["*"]\n')
    r = cli("roles", "apply", "-f", path, "--yes")
    assert r.exit_code == 7 and _role_named(sandbox, "god") is None
    r = cli("roles", "apply", "-f", path, "--yes", "--allow-wildcard")
    assert r.exit_code == 0 and _values(sandbox, _role_named(sandbox, "god")["id"]) == ["*"]


def _writes(sandbox: Any) -> list[Any]:
    return [r for r in sandbox.requests if r[0] != "GET"]


def test_prune_refuses_an_empty_or_comment_only_file(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    before = {r["name"] for r in sandbox.state.roles.values()}
    for text in ("", "# nothing yet\n\n# roles go here\n"):
        path = _write(tmp_path, text)
        r = cli("roles", "apply", "-f", path, "--prune", "--yes")
        assert r.exit_code == 7 and "lists no role" in r.stderr and "--allow-empty" in r.stderr, r
        assert _writes(sandbox) == [] and {r["name"] for r in sandbox.state.roles.values()} == before
    r = cli("roles", "apply", "-f", path, "--prune", "--allow-empty", "--dry-run", "-o", "json")
    assert r.exit_code == 0, r
    assert {c["role"] for c in r.json() if c["action"] == "delete"} == before
    assert cli("roles", "apply", "-f", path, "--yes").exit_code == 0  # without --prune an empty file is harmless
    assert _writes(sandbox) == []


def test_max_affected_bounds_existing_roles_changed_or_deleted(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    for i in range(11):
        assert cli("roles", "create", f"extra-{i}", "-p", "users:read").exit_code == 0
    names = sorted(r["name"] for r in sandbox.state.roles.values())
    import tomli_w

    assert cli("roles", "export", "-f", str(tmp_path / "all.toml")).exit_code == 0
    doc = tomllib.loads((tmp_path / "all.toml").read_text())
    doc["roles"] = {k: v for k, v in doc["roles"].items() if not k.startswith("extra-")}
    path = _write(tmp_path, tomli_w.dumps(doc))
    count = len(sandbox.requests)
    r = cli("roles", "apply", "-f", path, "--prune", "--yes")  # 11 deletes > the default 10 with --prune
    assert r.exit_code == 7 and "11 existing role(s)" in r.stderr and "--max-affected 10" in r.stderr, r
    r = cli("roles", "apply", "-f", path, "--prune", "--dry-run", "--max-affected", "3")
    assert r.exit_code == 7, r
    assert [w for w in sandbox.requests[count:] if w[0] != "GET"] == []
    assert sorted(r["name"] for r in sandbox.state.roles.values()) == names
    doc["roles"]["support"]["permissions"].append("nodes:read")
    grant = tomli_w.dumps(doc)
    r = cli("roles", "apply", "-f", _write(tmp_path, grant, "grant.toml"), "--max-affected", "0", "--yes")
    assert r.exit_code == 7 and "1 existing role(s)" in r.stderr, r
    r = cli("roles", "apply", "-f", _write(tmp_path, grant, "grant.toml"), "--max-affected", "1", "--yes")
    assert r.exit_code == 0, r
    r = cli("roles", "apply", "-f", path, "--prune", "--yes", "--max-affected", "12")
    assert r.exit_code == 0, r
    assert not any(n.startswith("extra-") for n in (r["name"] for r in sandbox.state.roles.values()))
