"""elo against the sandbox panel (docs/panel/elo.md)."""

from __future__ import annotations

from typing import Any


def _puts(sandbox: Any) -> list[tuple[str, str, int]]:
    return [q for q in sandbox.requests if q[0] in ("PUT", "POST")]


def _server(sandbox: Any, project_id: int) -> dict[str, Any]:
    return sandbox.state.servers[sandbox.state.elo_projects[project_id]["serverId"]]


def test_list_sorted_by_score_filters_and_table(cli: Any, sandbox: Any) -> None:
    r = cli("elo", "list", "-o", "json")
    assert r.exit_code == 0, r
    scores = [p["eloScore"] for p in r.json()]
    assert scores == sorted(scores, reverse=True) and len(scores) == 4
    assert cli("elo", "list", "--status", "disqualified", "-o", "ids").stdout.split() == ["4"]
    assert cli("elo", "list", "-q", "redstone", "-o", "ids").stdout.split() == ["2"]
    table = cli("elo", "list", tty=True)
    assert table.exit_code == 0 and "SCORE" in table.stdout


def test_show_and_redaction_of_owner(cli: Any, sandbox: Any) -> None:
    r = cli("elo", "show", "1", "-o", "json")
    assert r.exit_code == 0 and r.json()["devlogCount"] == 2
    email = r.json()["ownerEmail"]
    red = cli("elo", "show", "1", "-o", "json", "--redact")
    assert email not in red.stdout
    assert cli("elo", "show", "99").exit_code == 6


def test_edit_sends_only_changed_fields_and_warns(cli: Any, sandbox: Any) -> None:
    r = cli("elo", "edit", "2", "--score", "1500", "--status", "active", "-o", "json")
    assert r.exit_code == 0, r
    assert sandbox.state.elo_projects[2]["eloScore"] == 1500
    assert "rewrites the linked server" in r.stderr and "not sent" in r.stderr
    assert not getattr(sandbox.state, "sent_mail", [])  # the unchanged status was not sent: no e-mail
    assert _server(sandbox, 2)["memory"] == 1536  # resources follow the score


def test_edit_status_change_confirms_mails_and_suspends(cli: Any, sandbox: Any) -> None:
    r = cli("elo", "edit", "1", "--status", "disqualified", "--note", "copied")
    assert r.exit_code == 2 and sandbox.state.elo_projects[1]["moderationStatus"] == "active"
    r = cli("elo", "edit", "1", "--status", "disqualified", "--note", "copied", "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["moderationStatus"] == "disqualified"
    assert _server(sandbox, 1)["suspended"] is True and _server(sandbox, 1)["memory"] == 256
    assert len(sandbox.state.sent_mail) == 1 and "disqualified" in sandbox.state.sent_mail[0]["subject"]


def test_clear_sends_empty_string_never_null(cli: Any, sandbox: Any) -> None:
    sandbox.state.elo_projects[3]["readme"] = "old readme"
    r = cli("elo", "edit", "3", "--clear-readme", "--clear-demo")
    assert r.exit_code == 0, r
    assert sandbox.state.elo_projects[3]["readme"] is None and sandbox.state.elo_projects[3]["demoUrl"] is None
    assert cli("elo", "edit", "3", "--readme", "x", "--clear-readme").exit_code == 2


def test_the_panel_stores_null_as_text(sandbox: Any) -> None:
    """Why eclictl never sends null: the sandbox stores it as "null", as the panel does."""
    import json

    status, _, _ = sandbox.handle("PUT", "/api/admin/elo/3", {}, {"X-API-Key": sandbox.keys["admin"]},
                                  json.dumps({"title": None, "demoUrl": None}).encode(), "t")
    assert status == 200
    assert sandbox.state.elo_projects[3]["title"] == "null" and sandbox.state.elo_projects[3]["demoUrl"] == "null"


def test_the_panel_trims_an_array_after_joining_it(sandbox: Any) -> None:
    """adminHandler.ts: `String(body.moderationNote).trim() || null`: JS joins the array, then trims the
    whole text once (the inner spaces stay)."""
    import json

    status, _, _ = sandbox.handle("PUT", "/api/admin/elo/3", {}, {"X-API-Key": sandbox.keys["admin"]},
                                  json.dumps({"moderationNote": [" a ", "b "]}).encode(), "t")
    assert status == 200
    assert sandbox.state.elo_projects[3]["moderationNote"] == "a ,b"


def test_edit_checks_ranges_before_sending(cli: Any, sandbox: Any) -> None:
    assert cli("elo", "edit", "1", "--score", "50").exit_code == 2
    assert cli("elo", "edit", "1", "--k", "100").exit_code == 2
    assert cli("elo", "edit", "1", "--skip-tokens", "9").exit_code == 2
    assert cli("elo", "edit", "1", "--status", "banned").exit_code == 2
    assert cli("elo", "edit", "1").exit_code == 2
    assert not _puts(sandbox)


def test_reset_bulk_confirms(cli: Any, sandbox: Any) -> None:
    assert cli("elo", "reset", "1", "2").exit_code == 2
    r = cli("elo", "reset", "1", "2", "--yes")
    assert r.exit_code == 0, r
    assert [sandbox.state.elo_projects[i]["eloScore"] for i in (1, 2)] == [1000, 1000]
    assert sandbox.state.elo_projects[1]["totalVotes"] == 0
    assert cli("elo", "reset", "1", "77", "--yes").exit_code == 8


def test_elo_flag_off_is_exit_9(cli: Any, sandbox: Any) -> None:
    sandbox.state.settings.setdefault("featureToggles", {})["elo"] = False
    assert cli("elo", "list").exit_code == 9


def test_web_link(cli: Any) -> None:
    assert cli("elo", "list", "--web").stdout.strip().endswith("?tab=elo")


def test_edit_trims_text_like_the_panel(cli: Any, sandbox: Any) -> None:
    r = cli("elo", "edit", "2", "--title", "  Redstone Lab 2 ", "--note", " ok ")
    assert r.exit_code == 0, r
    assert sandbox.state.elo_projects[2]["title"] == "Redstone Lab 2"
    assert sandbox.state.elo_projects[2]["moderationNote"] == "ok"
