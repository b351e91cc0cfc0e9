"""Issue #13.1: privacy mode never corrupts data that eclictl writes back.

Every export that a reader takes back (eggs, roles, settings) is written with the panel's real
values whatever the privacy settings (profile or flag), so export → diff → apply changes
nothing; and as a second guard every write refuses (exit 7, nothing sent) a value that
carries one of eclictl's own masks.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable

import pytest

from eclictl.output.redact import Redactor

PRIVACY = ("profile", "flag")


def private_cli(cli: Any, isolated_config: Path, how: str) -> Callable[..., Any]:
    """`cli` with every privacy switch on: from the profile (config.toml) or from `--redact=all`."""
    if how == "profile":
        isolated_config.mkdir(parents=True, exist_ok=True)
        (isolated_config / "config.toml").write_text(
            'current_profile = "default"\n\n[profiles.default]\nredact = true\nredact_servers = true\n'
            "redact_orgs = true\n")
        return cli

    def with_flag(*args: str, **kw: Any) -> Any:
        return cli("--redact=all", *args, **kw)

    return with_flag


def panel_state(sandbox: Any) -> Any:
    state = sandbox.state
    return copy.deepcopy((state.eggs, state.roles, state.settings))


def writes(sandbox: Any) -> list[tuple[str, str, int]]:
    return [r for r in sandbox.requests if r[0] != "GET"]


@pytest.mark.parametrize("how", PRIVACY)
def test_privacy_is_really_on(cli: Any, isolated_config: Path, how: str) -> None:
    run = private_cli(cli, isolated_config, how)
    shown = run("eggs", "show", "4", "-o", "json").json()
    assert "noname@ecli.app" not in json.dumps(shown)  # the screen is masked...


@pytest.mark.parametrize("how", PRIVACY)
def test_eggs_export_diff_apply_changes_nothing(cli: Any, sandbox: Any, isolated_config: Path, tmp_path: Path,
                                                how: str) -> None:
    run = private_cli(cli, isolated_config, how)
    before = panel_state(sandbox)
    # Every egg but the two "Terraria" ones (same name, no update URL: no file can tell them apart).
    ids = "\n".join(i for i in run("eggs", "list", "-o", "ids").stdout.split() if i not in ("6", "7"))
    folder = tmp_path / "eggs"
    r = run("eggs", "export", "-", "--dir", str(folder), stdin=ids)
    assert r.exit_code == 0, r
    assert r.stderr.count("privacy mode masks what eclictl shows, not files you export") == 1
    debian = json.loads(next(folder.glob("QEMU*.json")).read_text())
    assert debian["author"] == "noname@ecli.app"  # ...the files are not
    defaults = {v["env_variable"]: v["default_value"] for v in debian["variables"]}
    assert defaults["ROOT_PASSWORD"] == "changeme"
    assert not any(mask in p.read_text() for p in folder.iterdir() for mask in ("•••", "***@"))
    screen = run("eggs", "export", "4", tty=True)  # on a terminal it is shown, so masked
    assert screen.exit_code == 0 and "noname@ecli.app" not in screen.stdout and "changeme" not in screen.stdout
    piped = run("eggs", "export", "4")  # `eggs export 4 > file`: the document as is
    assert piped.exit_code == 0 and json.loads(piped.stdout) == debian, piped
    (tmp_path / "piped").mkdir()
    (tmp_path / "piped" / "debian.json").write_text(piped.stdout)
    for source in (folder, tmp_path / "piped"):
        r = run("eggs", "diff", str(source))
        assert r.exit_code == 0 and "no changes" in r.stderr, r
        r = run("eggs", "apply", str(source), "--yes", "-o", "json")
        assert r.exit_code == 0, r
    assert writes(sandbox) == [] and panel_state(sandbox) == before


@pytest.mark.parametrize("how", PRIVACY)
def test_roles_export_diff_apply_changes_nothing(cli: Any, sandbox: Any, isolated_config: Path, tmp_path: Path,
                                                 how: str) -> None:
    run = private_cli(cli, isolated_config, how)
    assert cli("roles", "create", "Jane Doe support", "-d", "jane.doe@corp.example at 203.0.113.7",
               "-p", "users:read").exit_code == 0
    before = panel_state(sandbox)
    count = len(sandbox.requests)
    path = tmp_path / "roles.toml"
    r = run("roles", "export", "-f", str(path))
    assert r.exit_code == 0, r
    assert "jane.doe@corp.example at 203.0.113.7" in path.read_text()
    piped = run("roles", "export")
    assert piped.stdout == path.read_text()
    for _ in range(2):
        r = run("roles", "diff", "-f", str(path))
        assert r.exit_code == 0 and "no changes" in r.stderr, r
        r = run("roles", "apply", "-f", str(path), "--prune", "--yes")
        assert r.exit_code == 0, r
    assert [w for w in sandbox.requests[count:] if w[0] != "GET"] == [] and panel_state(sandbox) == before


@pytest.mark.parametrize("how", PRIVACY)
def test_settings_export_diff_apply_changes_nothing(cli: Any, sandbox: Any, isolated_config: Path, tmp_path: Path,
                                                    how: str) -> None:
    run = private_cli(cli, isolated_config, how)
    before = panel_state(sandbox)
    path = tmp_path / "settings.toml"
    r = run("settings", "export", "-f", str(path))
    assert r.exit_code == 0, r
    assert 'rpOrigin = "http://127.0.0.1:3000"' in path.read_text()
    assert run("settings", "export").stdout == path.read_text()
    r = run("settings", "diff", "-f", str(path))
    assert r.exit_code == 0 and "no changes" in r.stderr, r
    r = run("settings", "apply", "-f", str(path), "--yes")
    assert r.exit_code == 0, r
    assert writes(sandbox) == [] and panel_state(sandbox) == before


# -- the second guard: masks never go back to the panel -----------------------------------------
MASKED = Redactor({"pii"}).record({"email": "jane@example.com", "ip": "203.0.113.7", "ip6": "2001:db8::1",
                                   "notes": "spam", "phone": "+44 7700 900123"})


@pytest.mark.parametrize("value", sorted(MASKED.values()))
def test_the_detector_knows_every_mask(value: str) -> None:
    from eclictl.output.redact import carries_mask

    assert carries_mask({"a": [{"b": value}]}) == "a[0].b"


@pytest.mark.parametrize("value", ["jane@example.com", "203.0.113.7", "Price: 5 • 3", "a*b", "1.2.3",
                                   "https://panel.example/x", "2001:db8::1", "J. D."])
def test_the_detector_leaves_real_values(value: str) -> None:
    from eclictl.output.redact import carries_mask

    assert carries_mask({"a": value}) is None


def test_eggs_apply_and_import_refuse_a_masked_file(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    """A file made by an older eclictl in privacy mode (author and secret defaults masked)."""
    doc = json.loads(cli("eggs", "export", "4").stdout)
    doc["author"] = "n***@e***.app"
    for var in doc["variables"]:
        if var["env_variable"] == "ROOT_PASSWORD":
            var["default_value"] = "•••"
    folder = tmp_path / "eggs"
    folder.mkdir()
    (folder / "debian.json").write_text(json.dumps(doc))
    before = panel_state(sandbox)
    for verb in ("diff", "apply"):
        r = cli("eggs", verb, str(folder), "--yes") if verb == "apply" else cli("eggs", verb, str(folder))
        assert r.exit_code == 7 and "'author' holds a privacy mask" in r.stderr, r
    doc["name"] = "A new egg"
    (folder / "debian.json").write_text(json.dumps(doc))
    r = cli("eggs", "import", str(folder / "debian.json"), "--yes")
    assert r.exit_code == 7 and "privacy mask" in r.stderr, r
    assert writes(sandbox) == [] and panel_state(sandbox) == before


@pytest.mark.parametrize("args", [
    ("eggs", "edit", "4", "--set", "author=n***@e***.app"),
    ("users", "edit", "5", "--set", "lastName=••• (redacted text)"),
    ("api", "PUT", "/api/admin/users/5", "-f", "lastIp=203.0.113.x"),
    ("api", "PUT", "/api/admin/users/5", "-f", "note=2001:db8:0::x"),
])
def test_every_write_refuses_a_mask_with_exit_7(cli: Any, sandbox: Any, args: tuple[str, ...]) -> None:
    r = cli(*args)
    assert r.exit_code == 7, r
    assert "privacy mask" in r.stderr and "nothing was sent" in r.stderr
    assert writes(sandbox) == []


def test_roles_and_settings_apply_refuse_a_mask(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    roles = tmp_path / "roles.toml"
    roles.write_text('[roles.helpdesk]\ndescription = "Ask j***@c***.example"\npermissions = ["users:read"]\n')
    r = cli("roles", "apply", "-f", str(roles), "--yes")
    assert r.exit_code == 7 and "'roles.helpdesk.description' holds a privacy mask" in r.stderr, r
    settings = tmp_path / "settings.toml"
    settings.write_text('registrationNotice = "Write to s***@e***.com"\n')
    r = cli("settings", "apply", "-f", str(settings), "--yes")
    assert r.exit_code == 7 and "privacy mask" in r.stderr, r
    assert writes(sandbox) == []
