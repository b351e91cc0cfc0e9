"""`eclictl deletions` and `eclictl kyc` against the sandbox panel (docs/panel/accounts.md)."""

from __future__ import annotations

from typing import Any


def _deletion(sandbox: Any, status: str) -> dict[str, Any]:
    return next(r for _, r in sorted(sandbox.state.deletions.items()) if r["status"] == status)


def _kyc(sandbox: Any, status: str) -> dict[str, Any]:
    return next(r for _, r in sorted(sandbox.state.verifications.items()) if r["status"] == status)


# -- deletions --------------------------------------------------------------------------------
def test_deletions_list_every_status_json_tsv_and_redact(cli: Any, sandbox: Any) -> None:
    r = cli("deletions", "list", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    assert {row["status"] for row in rows} == {"pending", "approved", "rejected", "pending_deletion",
                                                "cancelled", "deleted"}
    assert [row["requestedAt"] for row in rows] == sorted((row["requestedAt"] for row in rows), reverse=True)
    email = next(row["user"]["email"] for row in rows if row["user"] and row["status"] == "pending")
    assert "@" in email
    r = cli("deletions", "list", "--status", "pending")
    lines = r.stdout.splitlines()
    pending = [d for d in sandbox.state.deletions.values() if d["status"] == "pending"]
    assert r.exit_code == 0 and len(lines) == len(pending) and all("\tpending\t" in ln for ln in lines)
    for fmt in ("json", "tsv", "csv"):
        r = cli("deletions", "list", "-o", fmt, "--redact")
        assert r.exit_code == 0 and email not in r.stdout, fmt


def test_deletions_approve_freezes_user_and_rerun_is_skipped(cli: Any, sandbox: Any) -> None:
    rec = _deletion(sandbox, "pending")
    user = sandbox.state.users[rec["userId"]]
    user["suspended"] = False
    r = cli("deletions", "approve", str(rec["id"]))
    assert r.exit_code == 2 and "--yes" in r.stderr
    assert sandbox.state.deletions[rec["id"]]["status"] == "pending"
    r = cli("deletions", "approve", str(rec["id"]), "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["done"] == 1
    assert sandbox.state.deletions[rec["id"]]["status"] == "pending_deletion"
    assert sandbox.state.deletions[rec["id"]]["scheduledDeletionAt"]
    assert user["suspended"] is True and user["pendingDeletionUntil"]
    r = cli("deletions", "approve", str(rec["id"]), "--yes")
    assert r.exit_code == 0 and "skipped" in r.stdout and "already approved" in r.stdout


def test_deletions_reject_cancel_and_expedite(cli: Any, sandbox: Any) -> None:
    pending = _deletion(sandbox, "pending")
    r = cli("deletions", "reject", str(pending["id"]))
    assert r.exit_code == 0, r
    assert sandbox.state.deletions[pending["id"]]["status"] == "rejected"

    frozen = _deletion(sandbox, "pending_deletion")
    user = sandbox.state.users[frozen["userId"]]
    assert user["suspended"] is True
    r = cli("deletions", "cancel", str(frozen["id"]), "-o", "json")
    assert r.exit_code == 0, r
    assert sandbox.state.deletions[frozen["id"]]["status"] == "cancelled"
    assert user["suspended"] is False and user["pendingDeletionUntil"] is None

    other = next(r for r in sandbox.state.deletions.values() if r["status"] == "pending_deletion")
    target = sandbox.state.users[other["userId"]]
    old_email = target["email"]
    r = cli("deletions", "expedite", str(other["id"]), "--yes")
    assert r.exit_code == 0, r
    assert sandbox.state.deletions[other["id"]]["status"] == "deleted"
    assert target["email"].endswith("@deleted.local") and target["email"] != old_email
    assert target["deletedAt"] and target["suspended"] is True


def test_deletions_partial_failure_and_bad_ids(cli: Any, sandbox: Any) -> None:
    pending = _deletion(sandbox, "pending")
    frozen = _deletion(sandbox, "pending_deletion")
    r = cli("deletions", "expedite", "-", "--yes", "-o", "json", stdin=f"{pending['id']}\n{frozen['id']}\n")
    assert r.exit_code == 8, r
    report = r.json()
    assert report["done"] == 1 and report["failed"] == 1
    assert "not in pending deletion state" in r.stdout
    assert str(pending["id"]) in r.stderr
    assert sandbox.state.deletions[pending["id"]]["status"] == "pending"
    r = cli("deletions", "cancel", "abc")
    assert r.exit_code == 2 and r.stderr.count("\n") <= 2 and "numbers" in r.stderr
    r = cli("deletions", "cancel", "999")
    assert r.exit_code == 8 and "Not found" in r.stdout


def test_deletions_need_deletions_write(cli: Any) -> None:
    r = cli("deletions", "list", key="plain")
    assert r.exit_code in (4, 5) and "Traceback" not in r.stderr


# -- KYC ---------------------------------------------------------------------------------------
def test_kyc_list_formats_filter_and_redact(cli: Any, sandbox: Any) -> None:
    r = cli("kyc", "list", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    assert [row["id"] for row in rows] == sorted((row["id"] for row in rows), reverse=True)
    assert {row["status"] for row in rows} == {"pending", "verified", "failed"}
    with_file = next(row for row in rows if row["idDocumentUrl"])
    assert with_file["idDocumentUrl"].startswith("/uploads/id-docs/")
    email = with_file["user"]["email"]
    r = cli("kyc", "list", "--status", "verified")
    verified = [v for v in sandbox.state.verifications.values() if v["status"] == "verified"]
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == len(verified)
    for fmt in ("json", "tsv", "table"):
        r = cli("kyc", "list", "-o", fmt, "--redact")
        assert r.exit_code == 0 and email not in r.stdout and with_file["idDocumentUrl"] not in r.stdout, fmt


def test_kyc_approve_reject_update_user_flag(cli: Any, sandbox: Any) -> None:
    rec = _kyc(sandbox, "pending")
    user = sandbox.state.users[rec["userId"]]
    user["idVerified"] = False
    r = cli("kyc", "approve", str(rec["id"]), "-o", "json")
    assert r.exit_code == 0 and r.json()["done"] == 1, r
    assert sandbox.state.verifications[rec["id"]]["status"] == "verified" and user["idVerified"] is True
    r = cli("kyc", "approve", str(rec["id"]))
    assert r.exit_code == 0 and "already verified" in r.stdout
    r = cli("kyc", "reject", str(rec["id"]), "--reason", "document expired")
    assert r.exit_code == 0, r
    assert "document expired" in r.stdout and "no reason" in r.stderr
    assert sandbox.state.verifications[rec["id"]]["status"] == "failed" and user["idVerified"] is False
    assert sandbox.state.verifications[rec["id"]]["verifiedAt"] is None


def test_kyc_delete_files_keeps_record(cli: Any, sandbox: Any) -> None:
    rec = next(r for r in sandbox.state.verifications.values() if r["idDocumentUrl"])
    r = cli("kyc", "delete-files", str(rec["id"]))
    assert r.exit_code == 2 and rec["idDocumentUrl"]
    status = rec["status"]
    r = cli("kyc", "delete-files", str(rec["id"]), "--yes")
    assert r.exit_code == 0, r
    kept = sandbox.state.verifications[rec["id"]]
    assert kept["idDocumentUrl"] is None and kept["selfieUrl"] is None and kept["status"] == status
    r = cli("kyc", "show", str(rec["id"]), "-o", "json")
    assert r.exit_code == 0 and r.json()["idDocumentUrl"] is None
    r = cli("kyc", "show", "424242")
    assert r.exit_code == 6 and "Traceback" not in r.stderr
