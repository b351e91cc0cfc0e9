"""eclictl on top of the real panel's surprises, as the recorded answers show them (tests/contract).

Routes that answer 200 with an empty result for an id nobody has (node heartbeats, a server's abuse
reports and audit log, a rollout's overrides, SOC usage), 500 for a non-numeric path id, a fraud
dismiss that keeps the reason: eclictl must report what is true, never an empty success for a typo.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eclictl.sandbox.routes.logs import add_log

NOBODY = "00000000-0000-0000-0000-000000000000"


def _requests(sandbox: Any, fragment: str) -> list[tuple[str, str, int]]:
    return [r for r in sandbox.requests if fragment in r[1]]


# -- 200 for a missing id ------------------------------------------------------------------------

def test_heartbeats_of_an_unknown_node_is_not_found(cli: Any, sandbox: Any) -> None:
    r = cli("nodes", "heartbeats", "999999")
    assert r.exit_code == 6 and "no node 999999" in r.stderr, r
    assert ("GET", "/api/nodes/999999/heartbeats?window=24h", 200) in sandbox.requests  # the panel said 200
    node = min(sandbox.state.nodes)
    assert cli("nodes", "heartbeats", str(node)).exit_code == 0


@pytest.mark.parametrize("kind,ident,message", [("user", "999999", "no user 999999"),
                                                ("org", "999999", "no organisation 999999")])
def test_soc_usage_of_an_unknown_id_is_not_found(cli: Any, sandbox: Any, kind: str, ident: str,
                                                 message: str) -> None:
    r = cli("soc", "usage", kind, ident)
    assert r.exit_code == 6 and message in r.stderr, r
    assert _requests(sandbox, f"/api/soc/usage/{kind}/{ident}")[0][2] == 200


def test_soc_usage_of_a_real_user_explains_the_empty_answer_without_citing_documents(cli: Any) -> None:
    r = cli("soc", "usage", "user", "10")
    assert r.exit_code == 0 and "no usage recorded" in r.stderr
    assert ".md" not in r.stderr and "\u00a7" not in r.stderr


def test_overrides_of_an_unknown_rollout_is_not_found(cli: Any, sandbox: Any) -> None:
    r = cli("rollouts", "overrides", "list", "999999")
    assert r.exit_code == 6 and "no rollout 999999" in r.stderr, r
    assert _requests(sandbox, "/api/admin/rollouts/999999/overrides")[0][2] == 200


def test_orphaned_overrides_of_a_deleted_rollout_are_listed_and_named_orphans(cli: Any, sandbox: Any) -> None:
    rid = next(r["id"] for r in sandbox.state.rollouts.values() if r["key"] == "dark_launch")
    del sandbox.state.rollouts[rid]  # as the panel deletes it: the overrides stay behind
    r = cli("rollouts", "overrides", "list", str(rid), "-o", "json")
    assert r.exit_code == 0 and len(r.json()) == 2, r
    assert f"rollout {rid} does not exist" in r.stderr and "orphans" in r.stderr
    r = cli("rollouts", "overrides", "remove", str(rid), str(r.json()[0]["userId"]), "--yes")
    assert r.exit_code == 0 and "orphaned override" in r.stderr, r


def test_abuse_reports_of_an_unknown_server_is_not_found(cli: Any, sandbox: Any) -> None:
    r = cli("servers", "abuse-reports", NOBODY)
    assert r.exit_code == 6 and f"no server {NOBODY}" in r.stderr, r
    assert _requests(sandbox, f"/api/admin/servers/{NOBODY}/abuse-reports")[0][2] == 200


def test_audit_of_an_unknown_server_is_not_found_but_a_deleted_servers_entries_show(cli: Any, sandbox: Any) -> None:
    r = cli("audit", "server", NOBODY)
    assert r.exit_code == 6 and "no audit entries" in r.stderr, r
    gone = "11111111-2222-4333-8444-555555555555"  # a deleted server: its log entries stay
    add_log(sandbox.state, 1, "server:delete", target_type="server", target_id=gone)
    r = cli("audit", "server", gone, "-o", "json")
    assert r.exit_code == 0 and [e["action"] for e in r.json()] == ["server:delete"], r


def test_audit_export_of_an_unknown_server_warns_that_the_file_is_empty(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "audit.csv"
    r = cli("audit", "export", NOBODY, "--file", str(out))
    assert r.exit_code == 0 and out.exists(), r
    assert out.read_text(encoding="utf-8-sig").count("\n") <= 1  # the panel's header row only
    assert f"no server {NOBODY}" in r.stderr and "holds no entries" in r.stderr


# -- fraud: the alert's dismiss clears the flag only ---------------------------------------------

def test_fraud_clear_of_an_unknown_user_fails_and_keeps_the_reason_of_a_known_one(cli: Any, sandbox: Any) -> None:
    r = cli("fraud", "clear", "999999", "-o", "json")
    assert r.exit_code == 8 and r.json()["items"][0]["status"] == "failed", r
    flagged = next(u for u in sandbox.state.users.values() if u.get("fraudFlag") and u["id"] > 7)
    reason = flagged["fraudReason"]
    r = cli("fraud", "clear", str(flagged["id"]))
    assert r.exit_code == 0, r
    assert flagged["fraudFlag"] is False and flagged["fraudReason"] == reason  # what the panel keeps
    assert "keeps the old reason" in cli("fraud", "clear", "--help").stdout.replace("\n", " ")


# -- 500 for a non-numeric path id: eclictl never sends one ---------------------------------------

@pytest.mark.parametrize("args", [
    ("users", "show", "abc"), ("users", "children", "abc"), ("users", "roles", "abc"), ("users", "plan", "abc"),
    ("fraud", "show", "abc"), ("tickets", "show", "abc"), ("orders", "invoice", "abc"),
    ("soc", "usage", "user", "abc"), ("ai", "plan-models", "abc"), ("deletions", "approve", "abc", "--yes"),
    ("antiabuse", "set-status", "abc", "resolve"),
])
def test_a_non_numeric_id_is_refused_before_any_request(cli: Any, sandbox: Any, args: tuple[str, ...]) -> None:
    r = cli(*args)
    assert r.exit_code == 2 and r.stderr.startswith("error: "), r
    assert not [req for req in sandbox.requests if "abc" in req[1]]


@pytest.mark.parametrize("args", [("nodes", "heartbeats", "abc"), ("plans", "prices", "list", "abc"),
                                  ("rollouts", "overrides", "list", "abc"), ("audit", "server", "abc"),
                                  ("orgs", "members", "add", "abc", "5")])
def test_a_name_that_matches_nothing_is_not_found_and_never_reaches_a_path(cli: Any, sandbox: Any,
                                                                            args: tuple[str, ...]) -> None:
    r = cli(*args)
    assert r.exit_code == 6 and "'abc'" in r.stderr, r
    assert not [req for req in sandbox.requests if "/abc" in req[1]]


def test_the_sandbox_answers_a_non_numeric_path_id_with_the_panels_500(cli: Any) -> None:
    r = cli("api", "GET", "/api/admin/users/abc/profile")
    assert r.exit_code == 1 and "Internal server error" in r.stderr, r
