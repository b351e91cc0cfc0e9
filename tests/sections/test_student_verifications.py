"""`eclictl student-verifications` against the sandbox panel (docs/panel/student-verifications.md)."""

from __future__ import annotations

from typing import Any


def _rec(sandbox: Any, status: str) -> dict[str, Any]:
    return next(r for _, r in sorted(sandbox.state.student_verifications.items()) if r["status"] == status)


def test_list_newest_first_filters_and_redacts(cli: Any, sandbox: Any) -> None:
    r = cli("student-verifications", "list", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    assert [row["id"] for row in rows] == sorted(sandbox.state.student_verifications, reverse=True)
    email = rows[0]["user"]["email"]
    assert "@" in email
    r = cli("student-verifications", "list", "--status", "pending", "-o", "json")
    assert {row["status"] for row in r.json()} == {"pending"}
    r = cli("student-verifications", "list", "--user", email, "-o", "json")
    assert r.exit_code == 0 and [row["user"]["email"] for row in r.json()] == [email]
    r = cli("student-verifications", "list", "-o", "json", "--redact")
    assert r.exit_code == 0, r
    assert email not in r.stdout, r.stdout
    r = cli("student-verifications", "show", "2", "-o", "json")
    assert r.exit_code == 0 and r.json()["adminNotes"].startswith("Email verification code")


def test_approve_appends_note_and_sets_user_flag(cli: Any, sandbox: Any) -> None:
    rec = sandbox.state.student_verifications[2]  # a school_email record carrying the typed code
    user = sandbox.state.users[rec["userId"]]
    user["studentVerified"] = False
    r = cli("student-verifications", "approve", "2", "--note", "code checked by phone")
    assert r.exit_code == 0, r
    assert rec["status"] == "verified" and rec["verifiedAt"]
    assert rec["adminNotes"] == "Email verification code: 481516\ncode checked by phone"
    assert user["studentVerified"] is True
    r = cli("student-verifications", "approve", "2")
    assert r.exit_code == 0 and "already verified" in r.stdout


def test_reject_keeps_flag_and_warns_without_clear(cli: Any, sandbox: Any) -> None:
    rec = _rec(sandbox, "verified")
    user = sandbox.state.users[rec["userId"]]
    assert user["studentVerified"] is True
    r = cli("student-verifications", "reject", str(rec["id"]))
    assert r.exit_code == 0, r
    assert rec["status"] == "failed" and rec["verifiedAt"] is None
    assert user["studentVerified"] is True  # the panel does not revoke
    assert f"user {rec['userId']} still has studentVerified" in r.stdout
    assert "keep studentVerified" in r.stderr and "--clear-flag" in r.stderr


def test_reject_with_clear_flag_deassigns_and_verifies(cli: Any, sandbox: Any) -> None:
    rec = _rec(sandbox, "verified")
    user = sandbox.state.users[rec["userId"]]
    user["portalType"] = "educational"
    r = cli("student-verifications", "reject", str(rec["id"]), "--clear-flag", "-o", "json")
    assert r.exit_code == 0, r
    assert user["studentVerified"] is False and user["studentVerifiedAt"] is None
    assert user["portalType"] == "educational"  # --remove-portal not given
    assert "studentVerified cleared" in r.json()["items"][0]["message"]
    posts = [q for q in sandbox.requests if q[0] == "POST" and q[1].endswith("/deassign-student")]
    assert len(posts) == 1


def test_reject_asks_on_a_terminal(cli: Any, sandbox: Any) -> None:
    rec = _rec(sandbox, "verified")
    user = sandbox.state.users[rec["userId"]]
    r = cli("student-verifications", "reject", str(rec["id"]), tty=True, stdin="y\n")
    assert r.exit_code == 0, r
    assert "does not clear studentVerified" in r.stderr
    assert user["studentVerified"] is False


def test_clear_flag_that_does_not_stick_is_a_failure(cli: Any, sandbox: Any) -> None:
    rec = _rec(sandbox, "verified")
    sandbox.inject_fault(path=f"/api/admin/users/{rec['userId']}/deassign-student", status=200,
                         body={"success": True, "user": {}})
    r = cli("student-verifications", "reject", str(rec["id"]), "--clear-flag")
    assert r.exit_code == 8, r
    assert "still has studentVerified after deassign-student" in r.stdout + r.stderr


def test_delete_confirms_then_removes_and_offers_flag(cli: Any, sandbox: Any) -> None:
    rec = _rec(sandbox, "failed")
    user = sandbox.state.users[rec["userId"]]
    assert user["studentVerified"] is True  # rejected earlier, still flagged
    r = cli("student-verifications", "delete", str(rec["id"]))
    assert r.exit_code == 2 and "--yes" in r.stderr and rec["id"] in sandbox.state.student_verifications
    r = cli("student-verifications", "delete", str(rec["id"]), "--yes", "--clear-flag")
    assert r.exit_code == 0, r
    assert rec["id"] not in sandbox.state.student_verifications
    assert user["studentVerified"] is False


def test_delete_proof_skips_records_without_file_and_bad_ids(cli: Any, sandbox: Any) -> None:
    with_file = next(r for r in sandbox.state.student_verifications.values() if r["proofUrl"])
    without = next(r for r in sandbox.state.student_verifications.values() if not r["proofUrl"])
    r = cli("student-verifications", "delete-proof", str(with_file["id"]), str(without["id"]), "--yes")
    assert r.exit_code == 0, r
    assert with_file["proofUrl"] is None and with_file["status"]
    assert "no proof file" in r.stdout
    r = cli("student-verifications", "approve", "abc")
    assert r.exit_code == 2 and "numbers" in r.stderr
    r = cli("student-verifications", "approve", "999")
    assert r.exit_code == 8 and "Not found" in r.stdout + r.stderr


def test_web_link_uses_portal_tab(cli: Any) -> None:
    opened: list[str] = []
    r = cli("student-verifications", "list", "--web", browser=opened)
    assert r.exit_code == 0, r
    assert "tab=studentVerifications" in r.stdout
