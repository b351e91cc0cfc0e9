"""chat against the sandbox panel (docs/panel/chat.md)."""

from __future__ import annotations

from typing import Any


def _writes(sandbox: Any) -> list[tuple[str, str, int]]:
    return [q for q in sandbox.requests if q[0] in ("POST", "PUT", "DELETE")]


def test_channels_list_listed_and_unlisted(cli: Any, sandbox: Any) -> None:
    r = cli("chat", "channels", "list", "-o", "json")
    assert r.exit_code == 0, r
    assert sorted(c["slug"] for c in r.json()) == ["anon-board", "general", "help-desk"]
    r = cli("chat", "channels", "list", "--include-unlisted", "-o", "json")
    assert "staff-lounge" in [c["slug"] for c in r.json()] and "old-events" not in r.stdout
    r = cli("chat", "channels", "list", "--type", "public_anonymous", "-o", "ids")
    assert r.stdout.split() == ["3"]
    assert "SLUG" in cli("chat", "channels", "list", tty=True).stdout


def test_show_works_for_archived_and_by_slug(cli: Any, sandbox: Any) -> None:
    r = cli("chat", "channels", "show", "5", "-o", "json")
    assert r.exit_code == 0 and r.json()["isArchived"] is True
    assert cli("chat", "channels", "show", "general", "-o", "json").json()["id"] == 1
    assert cli("chat", "channels", "show", "99").exit_code == 6


def test_edit_reads_back_after_object_object(cli: Any, sandbox: Any) -> None:
    r = cli("chat", "channels", "edit", "general", "--name", "General chat", "--slug", "General Chat!",
            "--description", "", "--mature", "-o", "json")
    assert r.exit_code == 0, r
    row = sandbox.state.chat_channels[1]
    assert (row["name"], row["slug"], row["description"], row["isMature"]) == ("General chat", "general-chat", None, True)
    assert r.json()["slug"] == "general-chat" and "panel's form" in r.stderr
    assert [q[1] for q in sandbox.requests if q[0] == "GET"][-1] == "/api/chat/channels/1"


def test_edit_slug_of_an_archived_channel_is_a_500(cli: Any, sandbox: Any) -> None:
    r = cli("chat", "channels", "edit", "1", "--slug", "old-events")
    assert r.exit_code == 1
    r = cli("chat", "channels", "edit", "1", "--slug", "help-desk")
    assert r.exit_code == 7 and "Slug already in use" in r.stderr
    assert cli("chat", "channels", "edit", "1", "--slug", "!!!").exit_code == 2
    assert cli("chat", "channels", "edit", "1").exit_code == 2


def test_archive_confirms_says_irreversible_and_verifies(cli: Any, sandbox: Any) -> None:
    assert cli("chat", "channels", "archive", "2").exit_code == 2
    assert not sandbox.state.chat_channels[2]["isArchived"]
    r = cli("chat", "channels", "archive", "2", "5", "--yes")
    assert r.exit_code == 0, r
    assert sandbox.state.chat_channels[2]["isArchived"] is True
    assert "cannot be undone" in r.stderr and "already archived" in r.stdout + r.stderr


def test_moderation_needs_a_root_owned_key(cli: Any, sandbox: Any) -> None:
    r = cli("chat", "messages", "lookup", "--id", "4", key="staff_client")
    assert r.exit_code == 5, r


def test_lookup_hide_unhide_delete(cli: Any, sandbox: Any) -> None:
    r = cli("chat", "messages", "lookup", "--id", "4", "-o", "json")
    assert r.exit_code == 0 and r.json()[0]["channelId"] == 3 and len(r.json()[0]["ipHash"]) == 16
    poster = r.json()[0]["posterId"]
    assert cli("chat", "messages", "lookup", "--poster", poster, "-o", "ids").stdout.split() == ["4"]
    assert cli("chat", "messages", "lookup").exit_code == 2
    assert cli("chat", "messages", "hide", "4", "5").exit_code == 0
    assert sandbox.state.chat_messages[4]["isHidden"] and sandbox.state.chat_messages[5]["isHidden"]
    assert ("POST", "/api/chat/channels/3/messages/4/hide") in [q[:2] for q in sandbox.requests]
    assert cli("chat", "messages", "unhide", "4").exit_code == 0 and not sandbox.state.chat_messages[4]["isHidden"]
    assert cli("chat", "messages", "delete", "6").exit_code == 2
    assert cli("chat", "messages", "delete", "6", "--yes").exit_code == 0 and 6 not in sandbox.state.chat_messages
    assert cli("chat", "messages", "hide", "6").exit_code == 8


def test_lookup_redacts_ip_hash_and_poster(cli: Any, sandbox: Any) -> None:
    plain = cli("chat", "messages", "lookup", "--id", "4", "-o", "json").json()[0]
    red = cli("chat", "messages", "lookup", "--id", "4", "-o", "json", "--redact")
    assert plain["ipHash"] not in red.stdout and plain["posterId"] not in red.stdout


def test_purge_confirms_and_reports(cli: Any, sandbox: Any) -> None:
    poster = sandbox.state.chat_messages[4]["posterId"]
    assert cli("chat", "messages", "purge", "--ip-hash", "abc").exit_code == 2
    assert cli("chat", "messages", "purge", "--poster", poster).exit_code == 2
    r = cli("chat", "messages", "purge", "--poster", poster, "--yes", "-o", "json")
    assert r.exit_code == 0 and r.json() == {"deleted": 2}
    assert 4 not in sandbox.state.chat_messages and 5 not in sandbox.state.chat_messages


def test_bans_add_reads_back_list_active_and_remove(cli: Any, sandbox: Any) -> None:
    assert cli("chat", "bans", "list", "--active", "-o", "ids").stdout.split() == []
    assert cli("chat", "bans", "list", "-o", "ids").stdout.split() == ["1"]
    r = cli("chat", "bans", "add", "--user", "2", "--hours", "24", "--reason", "spam", "-o", "json")
    assert r.exit_code == 0, r
    ban = r.json()
    assert ban["userId"] == 2 and ban["expiresAt"] and sandbox.state.chat_bans[ban["id"]]["reason"] == "spam"
    assert cli("chat", "bans", "list", "--active", "-o", "ids").stdout.split() == [str(ban["id"])]
    assert cli("chat", "bans", "add").exit_code == 2
    assert cli("chat", "bans", "remove", str(ban["id"]), "1").exit_code == 0 and not sandbox.state.chat_bans
    assert len([q for q in _writes(sandbox) if q[1] == "/api/chat/ip-bans"]) == 1


def test_ip_logs_work_with_the_flag_off(cli: Any, sandbox: Any) -> None:
    sandbox.state.settings.setdefault("featureToggles", {})["chat"] = False
    assert cli("chat", "channels", "list").exit_code == 9
    r = cli("chat", "ip-logs", "--message", "3", "-o", "json")
    assert r.exit_code == 0 and [x["messageId"] for x in r.json()] == [3]


def test_web_link(cli: Any) -> None:
    assert cli("chat", "channels", "list", "--web").stdout.strip().endswith("?tab=chat")
