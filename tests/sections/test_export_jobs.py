"""`eclictl export-jobs` against the sandbox panel (docs/panel/accounts.md#export-jobs)."""

from __future__ import annotations

import gzip
import tarfile
import io
from pathlib import Path
from typing import Any

import pytest


def _by_status(sandbox: Any, status: str) -> list[dict[str, Any]]:
    return sorted((j for j in sandbox.state.export_jobs.values() if j["status"] == status),
                  key=lambda j: j["createdAt"], reverse=True)


def test_help_lists_every_verb(cli: Any) -> None:
    r = cli("export-jobs", "--help", key=None, url=None)
    assert r.exit_code == 0
    for verb in ("list", "show", "approve", "download", "share-link", "delete"):
        assert verb in r.stdout


def test_list_json_strips_share_token_and_tsv_has_rows(cli: Any, sandbox: Any) -> None:
    r = cli("export-jobs", "list", "-o", "json")
    assert r.exit_code == 0, r
    jobs = r.json()
    assert len(jobs) == len(sandbox.state.export_jobs)
    assert all("shareToken" not in j for j in jobs)
    assert any(j["status"] == "completed" for j in jobs)
    assert [j["createdAt"] for j in jobs] == sorted((j["createdAt"] for j in jobs), reverse=True)
    r = cli("export-jobs", "list", "--status", "requested")
    lines = r.stdout.splitlines()
    assert r.exit_code == 0 and len(lines) == len(_by_status(sandbox, "requested"))
    assert all("\trequested\t" in line for line in lines)


def test_show_and_not_found(cli: Any, sandbox: Any) -> None:
    job = _by_status(sandbox, "completed")[0]
    r = cli("export-jobs", "show", job["id"], "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["id"] == job["id"] and "shareToken" not in r.json()
    r = cli("export-jobs", "show", "00000000-0000-4000-8000-000000000000")
    assert r.exit_code == 6 and "Job not found" in r.stderr and "Traceback" not in r.stderr


def test_approve_changes_state_and_reports_rejections(cli: Any, sandbox: Any) -> None:
    requested = _by_status(sandbox, "requested")[0]
    completed = _by_status(sandbox, "completed")[0]
    r = cli("export-jobs", "approve", requested["id"], completed["id"], "-o", "json")
    assert r.exit_code == 8, r
    report = r.json()
    assert report["done"] == 1 and report["failed"] == 1
    assert "only requested export jobs can be approved" in r.stdout
    assert sandbox.state.export_jobs[requested["id"]]["status"] == "queued"
    assert sandbox.state.export_jobs[requested["id"]]["message"] == "Approved by staff"
    assert sandbox.state.export_jobs[completed["id"]]["status"] == "completed"


def test_approve_dry_run_and_stdin(cli: Any, sandbox: Any) -> None:
    ids = [j["id"] for j in _by_status(sandbox, "requested")]
    r = cli("export-jobs", "approve", "-", "--dry-run", "-o", "json", stdin="\n".join(ids))
    assert r.exit_code == 0 and [row["item"] for row in r.json()] == ids
    assert all(sandbox.state.export_jobs[i]["status"] == "requested" for i in ids)


def test_download_streams_the_archive(cli: Any, sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    job = _by_status(sandbox, "completed")[0]
    monkeypatch.chdir(tmp_path)
    r = cli("export-jobs", "download", job["id"], "-o", "json")
    assert r.exit_code == 0, r
    out = r.json()
    target = tmp_path / f"export-{job['userId']}.tar.gz"
    assert Path(out["file"]) == target and out["bytes"] == target.stat().st_size
    assert target.read_bytes() == sandbox.state.export_archives[job["id"]]
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(target.read_bytes()))) as tar:
        assert "user-export.json" in tar.getnames()
    assert not list(tmp_path.glob(".eclictl-*"))
    r = cli("export-jobs", "download", job["id"])
    assert r.exit_code == 2 and "exists" in r.stderr
    r = cli("export-jobs", "download", job["id"], "--file", str(tmp_path / "x.tgz"))
    assert r.exit_code == 0 and (tmp_path / "x.tgz").exists()


def test_download_of_unfinished_job_is_rejected_without_leftovers(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    job = _by_status(sandbox, "requested")[0]
    r = cli("export-jobs", "download", job["id"], "--file", str(tmp_path / "a.tgz"))
    assert r.exit_code == 7 and "Job not completed or no archive available" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_share_link_shows_url_once_and_public_download_is_one_time(cli: Any, sandbox: Any) -> None:
    job = _by_status(sandbox, "completed")[0]
    r = cli("export-jobs", "share-link", job["id"], "--expires-hours", "2", "-o", "json")
    assert r.exit_code == 0, r
    body = r.json()
    token = sandbox.state.export_jobs[job["id"]]["shareToken"]
    assert body["sharePath"] == f"/api/public/export-shares/{token}" and body["shareUrl"].endswith(body["sharePath"])
    assert body["downloadsRemaining"] == 1
    r = cli("api", body["sharePath"])
    assert r.exit_code == 0
    r = cli("api", body["sharePath"])
    assert r.exit_code == 6 and "already been used" in r.stderr
    r = cli("export-jobs", "share-link", job["id"], "--expires-hours", "0")
    assert r.exit_code == 2
    pending = _by_status(sandbox, "requested")[0]
    r = cli("export-jobs", "share-link", pending["id"])
    assert r.exit_code == 7 and "completed with archive" in r.stderr


def test_delete_needs_yes_and_removes(cli: Any, sandbox: Any) -> None:
    job = _by_status(sandbox, "failed")[0]
    r = cli("export-jobs", "delete", job["id"])
    assert r.exit_code == 2 and "--yes" in r.stderr and job["id"] in sandbox.state.export_jobs
    r = cli("export-jobs", "delete", job["id"], "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["done"] == 1 and job["id"] not in sandbox.state.export_jobs


def test_runner_completes_approved_job(cli: Any, sandbox: Any) -> None:
    from datetime import timedelta

    job = _by_status(sandbox, "requested")[0]
    assert cli("export-jobs", "approve", job["id"]).exit_code == 0
    advance(sandbox, timedelta(minutes=5))
    r = cli("export-jobs", "show", job["id"], "-o", "json")
    assert r.json()["status"] in ("completed", "failed")


def test_redact_masks_messages_in_json_and_table(cli: Any, sandbox: Any) -> None:
    job = _by_status(sandbox, "failed")[0]
    job["message"] = "Export for jane.doe@example.com failed from 203.0.113.9"
    r = cli("export-jobs", "list", "-o", "json", "--redact")
    assert "jane.doe@example.com" not in r.stdout and "203.0.113.9" not in r.stdout
    r = cli("export-jobs", "list", "--redact", tty=True)
    assert r.exit_code == 0 and "jane.doe@" not in r.stdout


def test_permission_denied_for_plain_key(cli: Any) -> None:
    r = cli("export-jobs", "list", key="plain")
    assert r.exit_code == 5, r


def advance(sandbox: Any, delta: Any) -> None:
    """Move the sandbox clock forward (tests swap the clock)."""
    state = sandbox.state
    if hasattr(state, "advance"):
        state.advance(delta.total_seconds())
        return
    base = state.now()
    state.now = lambda: base + delta  # type: ignore[method-assign]
