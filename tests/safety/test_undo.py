"""Undo: the state a change replaced is stored first, restored on demand, never over someone else's edit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.conftest import SANDBOX_URL
from tests.safety.conftest import record, trail


def flags(sandbox: Any) -> dict[str, Any]:
    return sandbox.state.settings.get("panelFeatureToggles") or {}


def panel(sandbox: Any, method: str, path: str, body: Any = None) -> httpx.Response:
    """Someone else, in the portal."""
    client = httpx.Client(transport=sandbox.transport(), base_url=SANDBOX_URL)
    return client.request(method, path, json=body, headers={"Authorization": f"ApiKey {sandbox.keys['admin']}"})


def writes(sandbox: Any) -> list[tuple[str, str, int]]:
    return [r for r in sandbox.requests if r[0] in ("POST", "PUT", "PATCH", "DELETE")]


def rollout(sandbox: Any, key: str) -> dict[str, Any] | None:
    return next((r for r in sandbox.state.rollouts.values() if r["key"] == key), None)


def role_perms(sandbox: Any, name: str) -> list[str]:
    role = sandbox.state.role_by_name(name)
    return sorted(sandbox.state.role_values(role["id"])) if role else []


def user_roles(sandbox: Any, uid: int) -> list[str]:
    return sorted(sandbox.state.roles[link["roleId"]]["name"] for link in sandbox.state.user_roles.values()
                  if link["userId"] == uid)


# -- flags -----------------------------------------------------------------------------------------
def test_flag_change_is_recorded_listed_undone_and_verified(run_cli: Any, sandbox: Any, state_dir: Path) -> None:
    r = run_cli("--reason", "chat outage", "flags", "disable", "chat", "--yes")
    assert r.exit_code == 0, r
    assert flags(sandbox)["chat"] is False
    rec = record(state_dir, 1)
    assert rec["parts"] == [{"kind": "settings", "key": "panel", "label": "flags chat",
                             "before": {"featureToggles.chat": True}, "after": {"featureToggles.chat": False}}]
    assert rec["status"] == "applied" and rec["reason"] == "chat outage" and rec["wait"] == 11.0
    listed = run_cli("undo", "--list", "-o", "json").json()
    assert [x["id"] for x in listed] == [1]
    r = run_cli("undo", "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert flags(sandbox)["chat"] is True
    assert r.sleeps[-1] == 11.0  # the verification waited out the flag cache
    assert [row["status"] for row in r.json()["fields"]] == ["restored"]
    assert record(state_dir, 1)["status"] == "undone"
    last = trail(state_dir)[-1]
    assert last["undo_of"] == 1 and last["result"] == "restored" and last["targets"][0]["method"] == "PUT"
    again = run_cli("undo", "1", "--yes")
    assert again.exit_code == 7 and "already undone" in again.stderr


def test_undo_right_after_a_flag_change_waits_for_the_cache_before_comparing(run_cli: Any, sandbox: Any) -> None:
    """Within 10 s the panel still shows the old flag: undo would see 'nothing to do' otherwise."""
    assert run_cli("flags", "disable", "chat", "--yes", "--no-verify").exit_code == 0
    r = run_cli("undo", "--yes")
    assert r.exit_code == 0, r
    assert r.sleeps[0] > 10 and "flag cache" in r.stderr
    assert flags(sandbox)["chat"] is True


def test_undo_dry_run_shows_the_diff_and_changes_nothing(run_cli: Any, sandbox: Any) -> None:
    assert run_cli("flags", "disable", "chat", "blog", "--yes").exit_code == 0
    before = len(writes(sandbox))
    r = run_cli("undo", "--dry-run", "-o", "json")
    assert r.exit_code == 0, r
    assert {(f["field"], f["now"], f["restore_to"]) for f in r.json()["fields"]} == {
        ("featureToggles.chat", False, True), ("featureToggles.blog", False, True)}
    assert len(writes(sandbox)) == before


def test_nothing_changed_means_no_record(run_cli: Any, state_dir: Path) -> None:
    assert run_cli("flags", "enable", "chat").exit_code == 0  # already on: the PUT changes nothing
    assert not (state_dir / "undo" / "1.json").exists()
    r = run_cli("undo")
    assert r.exit_code == 6 and "nothing to undo" in r.stderr


# -- settings and geo-blocking -------------------------------------------------------------------------
def test_settings_set_is_undone(run_cli: Any, sandbox: Any) -> None:
    sandbox.state.settings["billingCurrency"] = "USD"
    assert run_cli("settings", "set", "billingCurrency=eur", "registrationNotice=closed").exit_code == 0
    r = run_cli("undo", "--yes")
    assert r.exit_code == 0, r
    assert sandbox.state.settings["billingCurrency"] == "USD" and sandbox.state.settings["registrationNotice"] == ""
    assert r.sleeps == []  # no flags: nothing to wait for


def test_someone_else_changed_a_setting_since_so_undo_refuses_with_the_diff(run_cli: Any, sandbox: Any,
                                                                            state_dir: Path) -> None:
    sandbox.state.settings["billingCurrency"] = "USD"
    assert run_cli("settings", "set", "billingCurrency=EUR").exit_code == 0
    assert panel(sandbox, "PUT", "/api/admin/settings", {"billingCurrency": "GBP"}).status_code == 200
    count = len(writes(sandbox))
    r = run_cli("undo", "--yes", "-o", "json")
    assert r.exit_code == 7
    assert "the panel changed since #1" in r.stderr and "--force" in r.stderr
    [row] = r.json()["fields"]
    assert (row["changed_to"], row["now"], row["restore_to"], row["status"]) == ("EUR", "GBP", "USD", "changed since")
    assert len(writes(sandbox)) == count and sandbox.state.settings["billingCurrency"] == "GBP"
    assert record(state_dir, 1)["status"] == "applied"
    r = run_cli("undo", "--yes", "--force")
    assert r.exit_code == 0, r
    assert sandbox.state.settings["billingCurrency"] == "USD"


def test_write_only_settings_are_named_as_not_undoable(run_cli: Any) -> None:
    r = run_cli("settings", "set", "org_formation_fee=2")
    assert r.exit_code == 0 and "undo cannot restore org_formation_fee" in r.stderr


def test_geoblock_add_and_someone_elses_edit(run_cli: Any, sandbox: Any) -> None:
    sandbox.state.settings["geoBlockCountries"] = "cn:2"
    assert run_cli("geoblock", "add", "ru", "--level", "5", "--yes").exit_code == 0
    assert sandbox.state.settings["geoBlockCountries"] == "cn:2, ru:5"
    r = run_cli("undo", "--yes")
    assert r.exit_code == 0, r
    assert sandbox.state.settings["geoBlockCountries"] == "cn:2"
    assert run_cli("geoblock", "add", "by", "--level", "4", "--yes").exit_code == 0
    panel(sandbox, "PUT", "/api/admin/settings", {"geoBlockCountries": "cn:2, by:4, kp:5"})
    r = run_cli("undo", "--yes")
    assert r.exit_code == 7 and sandbox.state.settings["geoBlockCountries"] == "cn:2, by:4, kp:5"


# -- rollouts ----------------------------------------------------------------------------------------
def test_rollout_edit_undo_and_conflict(run_cli: Any, sandbox: Any) -> None:
    assert run_cli("rollouts", "edit", "new_dashboard", "--percent", "80").exit_code == 0
    assert rollout(sandbox, "new_dashboard")["hashRangeEnd"] == 7999
    assert run_cli("undo", "--yes").exit_code == 0
    row = rollout(sandbox, "new_dashboard")
    assert (row["hashRangeStart"], row["hashRangeEnd"]) == (0, 4999)
    assert run_cli("rollouts", "edit", "new_dashboard", "--percent", "20").exit_code == 0
    panel(sandbox, "PUT", f"/api/admin/rollouts/{row['id']}", {"hashRangeEnd": 2999})
    r = run_cli("undo", "--yes")
    assert r.exit_code == 7 and "hashRangeEnd" in r.stderr
    assert rollout(sandbox, "new_dashboard")["hashRangeEnd"] == 2999


def test_someone_else_touching_another_field_does_not_block_undo(run_cli: Any, sandbox: Any) -> None:
    assert run_cli("rollouts", "edit", "new_dashboard", "--percent", "80").exit_code == 0
    row = rollout(sandbox, "new_dashboard")
    panel(sandbox, "PUT", f"/api/admin/rollouts/{row['id']}", {"treatment": "v3"})
    assert run_cli("undo", "--yes").exit_code == 0
    row = rollout(sandbox, "new_dashboard")
    assert row["hashRangeEnd"] == 4999 and row["treatment"] == "v3"  # their edit stays


def test_rollout_create_is_undone_by_deleting_it(run_cli: Any, sandbox: Any) -> None:
    assert run_cli("rollouts", "create", "--name", "X", "--key", "x_feature", "--percent", "5").exit_code == 0
    assert rollout(sandbox, "x_feature") is not None
    r = run_cli("undo", "--yes")
    assert r.exit_code == 0, r
    assert rollout(sandbox, "x_feature") is None


def test_rollout_delete_is_undone_by_recreating_it_with_its_overrides(run_cli: Any, sandbox: Any) -> None:
    old = rollout(sandbox, "dark_launch")
    overrides = sorted((o["userId"], o["treatment"]) for o in sandbox.state.rollout_overrides.values()
                       if o["rolloutId"] == old["id"])
    assert overrides
    assert run_cli("rollouts", "delete", "dark_launch", "--purge-overrides", "--yes").exit_code == 0
    assert rollout(sandbox, "dark_launch") is None
    r = run_cli("undo", "--yes")
    assert r.exit_code == 0, r
    new = rollout(sandbox, "dark_launch")
    assert new is not None and new["id"] != old["id"] and "recreated as rollout" in r.stderr
    assert {k: new[k] for k in ("name", "hashRangeStart", "hashRangeEnd", "active", "treatment")} == \
        {k: old[k] for k in ("name", "hashRangeStart", "hashRangeEnd", "active", "treatment")}
    assert sorted((o["userId"], o["treatment"]) for o in sandbox.state.rollout_overrides.values()
                  if o["rolloutId"] == new["id"]) == overrides


def test_override_add_and_remove_are_undone(run_cli: Any, sandbox: Any) -> None:
    rid = rollout(sandbox, "new_dashboard")["id"]

    def mine() -> dict[int, Any]:
        return {o["userId"]: o["treatment"] for o in sandbox.state.rollout_overrides.values() if o["rolloutId"] == rid}

    start = mine()
    assert run_cli("rollouts", "overrides", "add", "new_dashboard", "77", "--treatment", "v9").exit_code == 0
    assert mine()[77] == "v9"
    assert run_cli("undo", "--yes").exit_code == 0
    assert mine() == start
    user = next(iter(start))
    assert run_cli("rollouts", "overrides", "remove", "new_dashboard", str(user), "--yes").exit_code == 0
    assert run_cli("undo", "--yes").exit_code == 0
    assert mine() == start


# -- roles and assignments -----------------------------------------------------------------------------
def test_grant_and_revoke_are_undone(run_cli: Any, sandbox: Any) -> None:
    start = role_perms(sandbox, "support")
    assert run_cli("roles", "grant", "support", "users:suspend", "tickets:ban").exit_code == 0
    assert run_cli("undo", "--yes").exit_code == 0
    assert role_perms(sandbox, "support") == start
    victim = start[0]
    assert run_cli("roles", "revoke", "support", victim).exit_code == 0
    assert victim not in role_perms(sandbox, "support")
    assert run_cli("undo", "--yes").exit_code == 0
    assert role_perms(sandbox, "support") == start


def test_role_create_and_delete_are_undone(run_cli: Any, sandbox: Any) -> None:
    assert run_cli("roles", "create", "oncall", "-p", "users:read", "-p", "tickets:read").exit_code == 0
    assert run_cli("undo", "--yes").exit_code == 0
    assert sandbox.state.role_by_name("oncall") is None
    start = role_perms(sandbox, "billing")
    holders = [uid for uid in sandbox.state.users if "billing" in user_roles(sandbox, uid)]
    assert start and holders
    r = run_cli("roles", "delete", "billing", "--force", "--yes")
    assert r.exit_code == 0, r
    r = run_cli("undo", "--yes")
    assert r.exit_code == 0, r
    assert role_perms(sandbox, "billing") == start
    assert all("billing" in user_roles(sandbox, uid) for uid in holders)  # assignments given back


def test_roles_apply_is_undone(run_cli: Any, sandbox: Any, tmp_path: Path) -> None:
    start = {name: role_perms(sandbox, name) for name in ("support", "moderator")}
    export = run_cli("roles", "export")
    text = export.stdout.replace('"users:read",', '"users:read", "users:suspend",', 1)
    text += '\n[roles.oncall]\nparent = "support"\npermissions = ["tickets:read"]\n'
    path = tmp_path / "roles.toml"
    path.write_text(text)
    r = run_cli("roles", "apply", "-f", str(path), "--yes")
    assert r.exit_code == 0, r
    assert sandbox.state.role_by_name("oncall") is not None
    r = run_cli("undo", "--yes")
    assert r.exit_code == 0, r
    assert sandbox.state.role_by_name("oncall") is None
    assert {name: role_perms(sandbox, name) for name in start} == start


def test_assign_and_unassign_are_undone(run_cli: Any, sandbox: Any) -> None:
    assert user_roles(sandbox, 42) == []
    assert run_cli("users", "assign", "42", "support", "billing").exit_code == 0
    assert user_roles(sandbox, 42) == ["billing", "support"]
    assert run_cli("undo", "--yes").exit_code == 0
    assert user_roles(sandbox, 42) == []
    assert run_cli("users", "unassign", "3", "support").exit_code == 0
    assert "support" not in user_roles(sandbox, 3)
    assert run_cli("undo", "--yes").exit_code == 0
    assert "support" in user_roles(sandbox, 3)


# -- where undo may run -------------------------------------------------------------------------------
def test_undo_refuses_another_profiles_record(run_cli: Any, sandbox: Any) -> None:
    assert run_cli("flags", "disable", "chat", "--yes", "--no-verify").exit_code == 0
    r = run_cli("undo", "1", "--yes", env={"ECLICTL_URL": "http://other.test"})
    assert r.exit_code == 2 and "record #1 was made on profile 'default' (http://sandbox.localhost)" in r.stderr


def test_undo_without_terminal_needs_yes_and_on_a_terminal_asks(run_cli: Any, sandbox: Any) -> None:
    assert run_cli("flags", "disable", "chat", "--yes").exit_code == 0
    r = run_cli("undo")
    assert r.exit_code == 2 and "without --yes" in r.stderr
    r = run_cli("undo", tty=True, stdin="n\n")
    assert r.exit_code == 7 and flags(sandbox)["chat"] is False
    r = run_cli("undo", tty=True, stdin="y\n")
    assert r.exit_code == 0 and flags(sandbox)["chat"] is True
    assert "featureToggles.chat: False -> True" in r.stderr  # the diff came before the question


def test_a_restore_that_does_not_stick_fails_loudly(run_cli: Any, sandbox: Any) -> None:
    assert run_cli("flags", "disable", "chat", "--yes").exit_code == 0
    sandbox.state.flag_cache_seconds = 1000  # longer than undo waits: the read-back stays stale
    sandbox.state.flag_cache = (sandbox.state.now(), dict(flags(sandbox)))
    r = run_cli("undo", "--yes")
    assert r.exit_code == 1 and "the restore did not stick" in r.stderr
