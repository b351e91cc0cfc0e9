"""rollouts: list/show/create/edit/delete, overrides, local bucketing check (docs/panel/settings.md#rollouts)."""

from __future__ import annotations

from typing import Any

import pytest

from eclictl.sandbox.routes.rollouts import murmur3_js
from eclictl.sections.rollouts import bucket_of, murmur3_x86_32, parse_range, percent_of, range_for_percent
from tests.conftest import SANDBOX_URL


def _http(sandbox: Any, key: str = "admin") -> Any:
    import httpx

    return httpx.Client(transport=sandbox.transport(), base_url=SANDBOX_URL,
                        headers={"Authorization": f"ApiKey {sandbox.keys[key]}"})


def _by_key(sandbox: Any, key: str) -> dict[str, Any]:
    return next(r for r in sandbox.state.rollouts.values() if r["key"] == key)


def _overrides(sandbox: Any, rollout_id: int) -> dict[int, Any]:
    return {o["userId"]: o for o in sandbox.state.rollout_overrides.values() if o["rolloutId"] == rollout_id}


# -- bucketing --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [("", 0), ("hello", 613153351), ("foo", 4138058784),
                                           ("The quick brown fox jumps over the lazy dog", 776992547)])
def test_murmur3_known_vectors(text: str, expected: int) -> None:
    assert murmur3_x86_32(text) == expected
    assert murmur3_js(text) == expected  # the sandbox's transcription of the panel's JS


def test_murmur3_matches_the_panels_js_transcription() -> None:
    samples = [f"{k}:{u}" for k in ("tunnel_feature", "new_dashboard", "a", "ключ", "é✓", "x" * 70)
               for u in (1, 2, 3, 17, 999, 123456)]
    assert all(murmur3_x86_32(s) == murmur3_js(s) for s in samples)
    assert murmur3_x86_32("abc", seed=1) == murmur3_js("abc", seed=1) != murmur3_x86_32("abc")


def test_range_helpers() -> None:
    assert range_for_percent(50) == (0, 4999) and range_for_percent(0) == (0, -1)
    assert range_for_percent(100) == (0, 9999) and range_for_percent(12.34) == (0, 1233)
    assert parse_range("0-4999") == (0, 4999) and parse_range("10..20") == (10, 20)
    assert parse_range("0..-1") == (0, -1) and parse_range("0--1") == (0, -1)
    assert percent_of(0, 4999) == 50 and percent_of(0, -1) == 0 and percent_of(5000, 100) == 0


# -- list / show ------------------------------------------------------------------------------------

def test_list_json_table_filters_and_web(cli: Any, sandbox: Any) -> None:
    r = cli("rollouts", "list", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    assert {x["key"] for x in rows} == {x["key"] for x in sandbox.state.rollouts.values()}
    assert [x["createdAt"] for x in rows] == sorted((x["createdAt"] for x in rows), reverse=True)
    dash = next(x for x in rows if x["key"] == "new_dashboard")
    assert dash["overrideCount"] == 1 and dash["overrides"][0]["treatment"] == "control"
    assert "percent" not in dash  # json is the panel's record
    tsv = cli("rollouts", "list", "--columns", "key,range,percent,overrideCount", "-o", "tsv")
    assert "new_dashboard\t0..4999\t50%\t1" in tsv.stdout and "dark_launch\t0..-1\t0%\t2" in tsv.stdout
    inactive = cli("rollouts", "list", "--inactive", "-o", "json").json()
    assert [x["key"] for x in inactive] == ["beta_billing"]
    assert len(cli("rollouts", "list", "--limit", "2", "-o", "json").json()) == 2
    web = cli("rollouts", "list", "--web")
    assert web.exit_code == 0 and web.stdout.strip().endswith("tab=rollouts")


def test_show_by_key_id_and_missing(cli: Any, sandbox: Any) -> None:
    rid = _by_key(sandbox, "dark_launch")["id"]
    r = cli("rollouts", "show", "dark_launch", "-o", "json")
    assert r.exit_code == 0, r
    body = r.json()
    assert body["id"] == rid and {o["userId"] for o in body["overrides"]} == set(_overrides(sandbox, rid))
    assert cli("rollouts", "show", str(rid), "-o", "json").json()["key"] == "dark_launch"
    table = cli("rollouts", "show", "dark_launch", tty=True)
    assert "0%" in table.stdout
    missing = cli("rollouts", "show", "nope")
    assert missing.exit_code == 6 and "nope" in missing.stderr


def test_permissions(cli: Any) -> None:
    assert cli("rollouts", "list", key="plain").exit_code == 5
    assert cli("rollouts", "list", key="staff_client").exit_code == 0  # admin:access is the only gate


def test_help_mentions_the_cache(cli: Any) -> None:
    r = cli("rollouts", "--help", key=None, url=None)
    assert r.exit_code == 0 and "30 s" in r.stdout


# -- create -----------------------------------------------------------------------------------------

def test_create_rereads_the_list(cli: Any, sandbox: Any) -> None:
    r = cli("rollouts", "create", "--name", " Search v2 ", "--key", "search_v2", "--percent", "12.5",
            "--treatment", "v2", "--description", "new search", "--inactive", "-o", "json")
    assert r.exit_code == 0, r
    row = _by_key(sandbox, "search_v2")
    assert (row["name"], row["hashRangeStart"], row["hashRangeEnd"]) == ("Search v2", 0, 1249)
    assert row["active"] is False and row["treatment"] == "v2" and row["description"] == "new search"
    assert r.json()["id"] == row["id"] and r.json()["overrides"] == []
    assert "30 s" in r.stderr
    r = cli("rollouts", "create", "--name", "Zero", "--key", "zero", "--range", "0..-1", "-o", "json")
    assert r.exit_code == 0 and _by_key(sandbox, "zero")["hashRangeEnd"] == -1
    assert _by_key(sandbox, "zero")["active"] is True and _by_key(sandbox, "zero")["treatment"] == "treatment"


def test_create_duplicate_key_is_rejected(cli: Any, sandbox: Any) -> None:
    before = len(sandbox.state.rollouts)
    r = cli("rollouts", "create", "--name", "Again", "--key", "new_dashboard")
    assert r.exit_code == 7 and "Duplicate entry" in r.stderr
    assert len(sandbox.state.rollouts) == before


@pytest.mark.parametrize("extra", [
    ["--range", "5000-100"], ["--range", "0-10000"], ["--range", "abc"], ["--range", "-5-10"],
    ["--percent", "101"], ["--percent", "0.001"], ["--percent", "10", "--range", "0-9"],
    ["--treatment", "t" * 33], ["--treatment", " "], ["--key", "k" * 65], ["--name", "n" * 129], ["--name", "  "],
])
def test_create_validates_before_sending(cli: Any, sandbox: Any, extra: list[str]) -> None:
    before = dict(sandbox.state.rollouts)
    args = {"--name": "Ok", "--key": "ok_key"}
    for flag, value in zip(extra[::2], extra[1::2]):
        args[flag] = value
    flat = [x for pair in args.items() for x in pair]
    r = cli("rollouts", "create", *flat)
    assert r.exit_code == 2, (extra, r)
    assert sandbox.state.rollouts == before


def test_create_needs_name_and_key(cli: Any, sandbox: Any) -> None:
    before = len(sandbox.state.rollouts)
    assert cli("rollouts", "create", "--name", "x").exit_code == 2
    assert len(sandbox.state.rollouts) == before


# -- edit -------------------------------------------------------------------------------------------

def test_edit_fields_and_booleans(cli: Any, sandbox: Any) -> None:
    row = _by_key(sandbox, "new_dashboard")
    r = cli("rollouts", "edit", "new_dashboard", "--percent", "75", "--treatment", "v3", "--inactive", "-o", "json")
    assert r.exit_code == 0, r
    assert (row["hashRangeStart"], row["hashRangeEnd"], row["treatment"]) == (0, 7499, "v3")
    assert row["active"] is False and r.json()["active"] is False
    assert cli("rollouts", "edit", str(row["id"]), "--active").exit_code == 0 and row["active"] is True
    r = cli("rollouts", "edit", "beta_billing", "--key", "billing_beta", "--name", "Billing beta", "-o", "json")
    assert r.exit_code == 0 and r.json()["key"] == "billing_beta"
    assert _by_key(sandbox, "billing_beta")["name"] == "Billing beta"


def test_edit_errors(cli: Any, sandbox: Any) -> None:
    row = dict(_by_key(sandbox, "new_dashboard"))
    assert cli("rollouts", "edit", "new_dashboard").exit_code == 2  # nothing to change
    assert cli("rollouts", "edit", "new_dashboard", "--range", "9-1").exit_code == 2
    assert cli("rollouts", "edit", "nope", "--active").exit_code == 6
    r = cli("rollouts", "edit", "new_dashboard", "--key", "tunnel_feature")
    assert r.exit_code == 7 and "Duplicate entry" in r.stderr
    assert _by_key(sandbox, "new_dashboard") == row


def test_edit_inactive_closes_the_tunnel_gate(cli: Any) -> None:
    assert cli("tunnels", "devices", "list").exit_code == 0
    assert cli("rollouts", "edit", "tunnel_feature", "--inactive").exit_code == 0
    assert cli("tunnels", "devices", "list").exit_code == 5


# -- delete -----------------------------------------------------------------------------------------

def test_delete_needs_yes_and_leaves_orphans(cli: Any, sandbox: Any) -> None:
    rid = _by_key(sandbox, "dark_launch")["id"]
    r = cli("rollouts", "delete", "dark_launch")
    assert r.exit_code == 2 and rid in sandbox.state.rollouts
    r = cli("rollouts", "delete", "dark_launch", "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert rid not in sandbox.state.rollouts and len(_overrides(sandbox, rid)) == 2
    assert r.json()["orphanedOverrides"] == 2 and "orphan" in r.stderr
    orphans = cli("rollouts", "overrides", "list", str(rid), "-o", "json")  # a bare id reaches the orphans
    assert orphans.exit_code == 0 and len(orphans.json()) == 2
    assert cli("rollouts", "delete", str(rid), "--yes").exit_code == 6


def test_delete_purge_overrides(cli: Any, sandbox: Any) -> None:
    rid = _by_key(sandbox, "dark_launch")["id"]
    r = cli("rollouts", "delete", "dark_launch", "--purge-overrides", "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert rid not in sandbox.state.rollouts and _overrides(sandbox, rid) == {}
    assert r.json()["overridesDeleted"] == 2 and r.json()["orphanedOverrides"] == 0


# -- overrides --------------------------------------------------------------------------------------

def test_overrides_add_upsert_list_remove(cli: Any, sandbox: Any) -> None:
    rid = _by_key(sandbox, "new_dashboard")["id"]
    r = cli("rollouts", "overrides", "add", "new_dashboard", "7", "--treatment", "beta", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["status"] == "created" and _overrides(sandbox, rid)[7]["treatment"] == "beta"
    r = cli("rollouts", "overrides", "add", "new_dashboard", "7", "-o", "json")
    assert r.json()["status"] == "unchanged" and _overrides(sandbox, rid)[7]["treatment"] == "beta"
    r = cli("rollouts", "overrides", "add", str(rid), "7", "--treatment", "", "-o", "json")
    assert r.json()["status"] == "updated" and _overrides(sandbox, rid)[7]["treatment"] is None
    listed = cli("rollouts", "overrides", "list", "new_dashboard", "-o", "json").json()
    assert {o["userId"] for o in listed} == {2, 7}
    assert cli("rollouts", "overrides", "remove", "new_dashboard", "7").exit_code == 2  # no --yes
    assert 7 in _overrides(sandbox, rid)
    assert cli("rollouts", "overrides", "remove", "new_dashboard", "7", "--yes").exit_code == 0
    assert 7 not in _overrides(sandbox, rid)
    missing = cli("rollouts", "overrides", "remove", "new_dashboard", "7", "--yes")
    assert missing.exit_code == 6 and "Override not found" in missing.stderr


def test_overrides_errors(cli: Any, sandbox: Any) -> None:
    before = dict(sandbox.state.rollout_overrides)
    assert cli("rollouts", "overrides", "add", "nope", "7").exit_code == 6  # the panel would accept it
    assert cli("rollouts", "overrides", "add", "new_dashboard", "0").exit_code == 2
    assert cli("rollouts", "overrides", "add", "new_dashboard", "x").exit_code == 2
    assert cli("rollouts", "overrides", "add", "new_dashboard", "7", "--treatment", "t" * 33).exit_code == 2
    assert cli("rollouts", "overrides", "list", "new_dashboard", key="plain").exit_code == 5
    assert sandbox.state.rollout_overrides == before


# -- check ------------------------------------------------------------------------------------------

def test_check_bucketing_matches_the_panel(cli: Any, sandbox: Any) -> None:
    key = "new_dashboard"
    for uid in (4, 5, 6, 9):
        r = cli("rollouts", "check", key, str(uid), "-o", "json")
        assert r.exit_code == 0, r
        body = r.json()
        expected = murmur3_js(f"{key}:{uid}") % 10000
        assert body["bucket"] == expected == bucket_of(key, uid)
        assert body["inRollout"] is (expected <= 4999) and body["override"] is False
        assert body["treatment"] == ("v2" if expected <= 4999 else None)
    # the calling user's live view (admin key owner) agrees with the local computation
    with _http(sandbox) as http:
        live = http.get("/api/rollouts").json()
    owner_id = next(v["userId"] for v in sandbox.state.apikeys.values() if v["key"] == sandbox.keys["admin"])
    for rkey, verdict in live.items():
        body = cli("rollouts", "check", rkey, str(owner_id), "-o", "json").json()
        assert (body["inRollout"], body["treatment"]) == (verdict["inRollout"], verdict["treatment"]), rkey


def test_check_overrides_inactive_and_input(cli: Any, sandbox: Any) -> None:
    early = cli("rollouts", "check", "dark_launch", "3", "-o", "json").json()
    assert early["inRollout"] is True and early["treatment"] == "early" and early["override"] is True
    plain = cli("rollouts", "check", "dark_launch", "1", "-o", "json").json()
    assert plain["inRollout"] is True and plain["treatment"] == "treatment"
    assert cli("rollouts", "check", "dark_launch", "5", "-o", "json").json()["inRollout"] is False  # 0 %
    off = cli("rollouts", "check", "beta_billing", "1", "-o", "json").json()
    assert off["active"] is False and off["inRollout"] is False
    assert cli("rollouts", "check", "dark_launch", "-3").exit_code == 2
    assert cli("rollouts", "check", "nope", "3").exit_code == 6


# -- sandbox fidelity ---------------------------------------------------------------------------------

def test_sandbox_quirks(sandbox: Any) -> None:
    with _http(sandbox) as http:
        r = http.post("/api/admin/rollouts", json={"name": "Q", "key": "q", "active": "false",
                                                   "hashRangeEnd": "10"})
        assert r.status_code == 201 and r.text == "[object Object]" and "text/plain" in r.headers["content-type"]
        row = _by_key(sandbox, "q")
        assert row["active"] is True and row["hashRangeEnd"] == 10  # Boolean("false") / Number("10")
        r = http.put(f"/api/admin/rollouts/{row['id']}", json={"hashRangeStart": "abc"})
        assert r.status_code == 400 and row["hashRangeStart"] == 0
        assert http.put("/api/admin/rollouts/0", json={}).json() == {"error": "Invalid rollout ID"}
        assert http.put("/api/admin/rollouts/999", json={}).status_code == 404
        assert http.post("/api/admin/rollouts", json={"name": "x"}).json() == {"error": "name and key are required"}
        assert http.get("/api/admin/rollouts/999/overrides").json() == []
        r = http.post("/api/admin/rollouts/999/overrides", json={"userId": 5})  # not checked by the panel
        assert r.status_code == 201 and r.json()["userId"] == 5
        assert http.post("/api/admin/rollouts/2/overrides", json={}).json() == {"error": "Valid userId is required"}
        assert http.delete("/api/admin/rollouts/2/overrides/x").json() == {"error": "Invalid userId"}


def test_sandbox_active_rollouts_are_cached_30s(sandbox: Any) -> None:
    with _http(sandbox) as http:
        assert http.get("/api/rollouts").json()["tunnel_feature"]["inRollout"] is True
        _by_key(sandbox, "tunnel_feature")["active"] = False
        assert "tunnel_feature" in http.get("/api/rollouts").json()  # stale for up to 30 s
        sandbox.state.advance(31)
        assert "tunnel_feature" not in http.get("/api/rollouts").json()
