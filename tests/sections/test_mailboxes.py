"""`eclictl mailboxes` against the sandbox panel (docs/panel/mailboxes.md)."""

from __future__ import annotations

import os
from typing import Any


def _msgs(sandbox: Any, uid: int, folder: str) -> list[dict[str, Any]]:
    return [m for _, m in sorted(sandbox.state.mail_messages.items()) if m["userId"] == uid and m["folder"] == folder]


def _writes(sandbox: Any, suffix: str) -> int:
    return sum(1 for q in sandbox.requests if q[0] != "GET" and q[1].endswith(suffix))


def test_list_and_messages_hide_body_and_redact(cli: Any, sandbox: Any) -> None:
    r = cli("mailboxes", "list", "-o", "json")
    assert r.exit_code == 0, r
    boxes = {b["localPart"]: b for b in r.json()}
    assert boxes["hq"]["provisioned"] is False and boxes["contact"]["aliases"][1]["localPart"] == "support"
    r = cli("mailboxes", "messages", "support", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()["messages"]
    assert rows and all("body" not in m and "html" not in m for m in rows)
    assert [m["receivedAt"] for m in rows] == sorted((m["receivedAt"] for m in rows), reverse=True)
    r = cli("mailboxes", "messages", "support", "--full", "--unread", "-o", "json")
    assert all("body" in m and m["read"] is False for m in r.json()["messages"])
    sender = next(m["fromAddress"] for m in rows if "@" in m["fromAddress"])
    r = cli("mailboxes", "messages", "support", "-o", "json", "--redact")
    assert sender.split("<")[-1].rstrip(">") not in r.stdout
    r = cli("mailboxes", "messages", "hq")
    assert r.exit_code == 6 and "not provisioned" in r.stderr
    r = cli("mailboxes", "messages", "support@eclipanel.test")
    assert r.exit_code == 2 and "local part" in r.stderr


def test_show_searches_folders_and_saves_html_0600(cli: Any, sandbox: Any, tmp_path: Any) -> None:
    trash = _msgs(sandbox, -1, "Trash")[0]
    out = tmp_path / "m.html"
    r = cli("mailboxes", "show", "contact", str(trash["id"]), "--html", str(out), "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["folder"] == "Trash"
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"
    assert out.read_text() == (trash["html"] or f"<pre>{trash['body']}</pre>")
    r = cli("mailboxes", "show", "contact", "9999")
    assert r.exit_code == 6


def test_mark_needs_explicit_state(cli: Any, sandbox: Any) -> None:
    msg = _msgs(sandbox, -1, "INBOX")[0]
    r = cli("mailboxes", "mark", "contact", str(msg["id"]))
    assert r.exit_code == 2 and "--read or --unread" in r.stderr
    r = cli("mailboxes", "mark", "contact", str(msg["id"]), "--read")
    assert r.exit_code == 0 and msg["read"] is True
    r = cli("mailboxes", "mark", "contact", str(msg["id"]), "--unread")
    assert r.exit_code == 0 and msg["read"] is False


def test_delete_moves_and_verifies(cli: Any, sandbox: Any) -> None:
    msg = _msgs(sandbox, -2, "INBOX")[0]
    r = cli("mailboxes", "delete", "security", str(msg["id"]))
    assert r.exit_code == 2 and msg["folder"] == "INBOX"
    r = cli("mailboxes", "delete", "security", str(msg["id"]), "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert msg["folder"] == "Trash" and r.json()["items"][0]["message"] == "moved to Trash"
    r = cli("mailboxes", "delete", "security", str(msg["id"]), "--yes")
    assert r.exit_code == 0 and msg["id"] not in sandbox.state.mail_messages and "for good" in r.stdout


def test_delete_that_moved_nothing_is_reported_as_no_op(cli: Any, sandbox: Any) -> None:
    ghost = sandbox.state.mail_messages[2]  # in the panel's copy, gone from IMAP: the panel says success
    sent = _msgs(sandbox, -1, "Sent")[0]  # Sent copies exist only in the database
    r = cli("mailboxes", "delete", "legal", str(ghost["id"]), "--yes")
    assert r.exit_code == 8, r
    assert "no-op" in r.stdout + r.stderr and ghost["folder"] == "INBOX"
    r = cli("mailboxes", "delete", "contact", str(sent["id"]), "--yes")
    assert r.exit_code == 8 and "Sent copies cannot be deleted" in r.stdout + r.stderr


def test_send_is_never_retried_and_checks_sent_copy(cli: Any, sandbox: Any) -> None:
    r = cli("mailboxes", "send", "support", "--to", "jane@example.com", "--body", "hi")
    assert r.exit_code == 2 and not sandbox.state.mail_outbox
    r = cli("mailboxes", "send", "support", "--to", "jane@example.com", "--subject", "Hello", "--body", "hi",
            "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert len(sandbox.state.mail_outbox) == 1 and sandbox.state.mail_outbox[0]["from"].endswith("<contact@eclipanel.test>")
    copy = _msgs(sandbox, -1, "Sent")[-1]
    assert r.json() == {"sent": True, "to": "jane@example.com", "subject": "Hello", "sentCopyId": copy["id"]}
    sandbox.inject_fault(path="/api/admin/company-mailboxes/support/send", status=502, forward=True)
    r = cli("mailboxes", "send", "support", "--to", "jane@example.com", "--body", "again", "--yes")
    assert r.exit_code != 0
    assert len(sandbox.state.mail_outbox) == 2 and _writes(sandbox, "/support/send") == 2  # one attempt each
    r = cli("mailboxes", "send", "support", "--to", "x@example.com", "--body", "b", "--template", "welcome", "--yes")
    assert r.exit_code == 2 and len(sandbox.state.mail_outbox) == 2


def test_send_failure_shows_smtp_error(cli: Any, sandbox: Any) -> None:
    sandbox.state.smtp_error = "535 Authentication failed"
    r = cli("mailboxes", "send", "support", "--to", "jane@example.com", "--body", "hi", "--yes")
    assert r.exit_code == 1 and "Failed to send email" in r.stderr and not sandbox.state.mail_outbox


def test_reply_defaults_and_marks_original(cli: Any, sandbox: Any) -> None:
    orig = _msgs(sandbox, -1, "INBOX")[0]
    r = cli("mailboxes", "reply", "support", str(orig["id"]), "--body", "Thanks!", "--yes", "-o", "json")
    assert r.exit_code == 0, r
    mail = sandbox.state.mail_outbox[-1]
    assert mail["to"] == orig["fromAddress"] and mail["subject"] == f"Re: {orig['subject']}"
    assert mail["inReplyTo"] == orig["messageId"] and orig["replied"] is True


def test_preview_sends_nothing(cli: Any, sandbox: Any) -> None:
    r = cli("mailboxes", "send", "legal", "--body", "<b>x</b>", "--preview", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["html"] == "<pre>&lt;b>x&lt;/b></pre>" and not sandbox.state.mail_outbox


def test_rotate_password_only_to_tty_or_private_file(cli: Any, sandbox: Any, tmp_path: Any) -> None:
    account = sandbox.state.mailbox_accounts[-2]
    old = account["password"]
    r = cli("mailboxes", "rotate-password", "security", "--yes")
    assert r.exit_code == 2 and "only to a terminal" in r.stderr and account["password"] == old
    assert _writes(sandbox, "/rotate-password") == 0
    out = tmp_path / "pw.txt"
    r = cli("mailboxes", "rotate-password", "security", "--secret-file", str(out), "--yes")
    assert r.exit_code == 0, r
    assert out.read_text() == account["password"] + "\n" and account["password"] != old
    assert oct(os.stat(out).st_mode & 0o777) == "0o600" and account["password"] not in r.stdout + r.stderr
    r = cli("mailboxes", "rotate-password", "security", "--yes", tty=True)
    assert r.exit_code == 0 and account["password"] in r.stdout


def test_purge_from_checks_address_yes_root_and_typing(cli: Any, sandbox: Any) -> None:
    r = cli("mailboxes", "purge-from", "example.biz", "--yes", "--confirm-address", "example.biz")
    assert r.exit_code == 2 and "full e-mail address" in r.stderr
    r = cli("mailboxes", "purge-from", "spam-king@bulk.example.biz")
    assert r.exit_code == 2 and "--yes" in r.stderr
    r = cli("mailboxes", "purge-from", "spam-king@bulk.example.biz", "--yes", "--confirm-address", "spam@x.example")
    assert r.exit_code == 7 and "does not match" in r.stderr
    r = cli("mailboxes", "purge-from", "spam-king@bulk.example.biz", "--yes", key="staff_client")
    assert r.exit_code == 5 and "root" in r.stderr
    assert _writes(sandbox, "/purge-from") == 0


def test_purge_from_previews_then_deletes_everywhere(cli: Any, sandbox: Any) -> None:
    spam = "spam-king@bulk.example.biz"
    matching = [m for m in sandbox.state.mail_messages.values() if spam in m["fromAddress"]]
    company = [m for m in matching if m["userId"] < 0]
    assert company and any(m["userId"] > 0 for m in matching)
    r = cli("mailboxes", "purge-from", spam, "--yes", tty=True, stdin=spam + "\n", env={"COLUMNS": "200"},
            )
    assert r.exit_code == 0, r
    assert f"{len(company)} message(s) from {spam}" in r.stderr and "customers'" in r.stderr
    assert not [m for m in sandbox.state.mail_messages.values() if spam in m["fromAddress"]]
    assert f"{len(matching)}" in r.stdout
    r = cli("mailboxes", "purge-from", spam, "--yes", "--confirm-address", spam, "-o", "json")
    assert r.exit_code == 0 and r.json()["deleted"] == 0


def test_purge_from_running_is_409(cli: Any, sandbox: Any) -> None:
    sandbox.state.mailbox_purge_running = True
    r = cli("mailboxes", "purge-from", "a@b.example", "--yes", "--confirm-address", "a@b.example")
    assert r.exit_code == 7 and "already running" in r.stderr


def test_web_link(cli: Any) -> None:
    r = cli("mailboxes", "list", "--web")
    assert r.exit_code == 0 and "tab=company-mailboxes" in r.stdout


def test_open_accepts_section_names_of_the_new_tabs(cli: Any) -> None:
    for name, tab in (("mailboxes", "company-mailboxes"), ("payment-methods", "payments"),
                      ("student-verifications", "studentVerifications"), ("transfers", "transfers")):
        r = cli("open", name)
        assert r.exit_code == 0 and r.stdout.strip().endswith(f"?tab={tab}"), (name, r)
    r = cli("open", "no-such-tab")
    assert r.exit_code == 2 and "unknown portal tab" in r.stderr
