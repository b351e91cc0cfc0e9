"""Issue #21.7: journals survive a torn line, say what wrote them, and refuse a foreign resume."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from eclictl.bulk import DONE
from eclictl.journal import Journal, load_finished
from tests.conftest import SANDBOX_URL


def plain(sandbox: Any, n: int) -> list[str]:
    rows = sandbox.state.users
    return [str(i) for i in sorted(rows) if i >= 11 and rows[i].get("role") is None
            and not rows[i].get("suspended")][:n]


def record(item: str) -> str:
    return json.dumps({"item": item, "status": "done", "message": "", "at": "2026-01-01T00:00:00.000Z"})


def test_a_line_torn_by_kill_does_not_swallow_the_next_record(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        journal.record("6", DONE)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('{"item":"7",')  # kill -9 mid-write
    with Journal(path) as journal:  # the resumed run appends
        journal.record("8", DONE)
        journal.record("9", DONE)
    assert load_finished(path) == {"6": DONE, "8": DONE, "9": DONE}


def test_the_reader_recovers_a_record_glued_to_a_torn_line(tmp_path: Path) -> None:
    """Journals written before the fix: the torn line and the next record share a line."""
    path = tmp_path / "old.jsonl"
    path.write_text(record("6") + "\n" + '{"item":"7",' + record("8") + "\n" + record("9") + "\n")
    assert load_finished(path) == {"6": DONE, "8": DONE, "9": DONE}


def test_a_new_journal_starts_with_a_header_naming_the_run(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    targets = plain(sandbox, 2)
    journal = tmp_path / "j.jsonl"
    r = cli("users", "suspend", *targets, "--yes", "--journal", str(journal), "-o", "json")
    assert r.exit_code == 0, r
    from eclictl.journal import read_journal

    header, entries = read_journal(journal)
    assert header is not None
    assert header["command"] == "users suspend" and header["action"] == "suspend users"
    assert header["panel"] == SANDBOX_URL and header["params"] == {}
    assert sorted(e["item"] for e in entries) == sorted(targets)  # workers finish in any order
    assert oct(os.stat(journal).st_mode & 0o777) == "0o600"


def test_resume_refuses_a_journal_of_another_command(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    targets = plain(sandbox, 2)
    journal = str(tmp_path / "j.jsonl")
    assert cli("users", "suspend", *targets, "--yes", "--journal", journal).exit_code == 0
    before = len(sandbox.requests)
    r = cli("users", "unsuspend", *targets, "--resume", journal)
    assert r.exit_code == 2, r
    assert "users suspend" in r.stderr or "suspend users" in r.stderr
    assert "refusing" in r.stderr and len(r.stderr.splitlines()) <= 2
    assert len(sandbox.requests) == before  # nothing sent
    assert all(sandbox.state.users[int(t)]["suspended"] for t in targets)


def test_resume_refuses_other_arguments_and_another_panel(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    journal = str(tmp_path / "j.jsonl")
    targets = plain(sandbox, 1)
    assert cli("users", "suspend", *targets, "--yes", "--journal", journal).exit_code == 0
    before = len(sandbox.requests)
    r = cli("users", "suspend", *targets, "--yes", "--resume", journal, env={"ECLICTL_URL": "http://other.test"})
    assert r.exit_code == 2 and "panel differs" in r.stderr, r
    assert len(sandbox.requests) == before
    # Same command, other arguments: `servers power start` vs `stop` share the verb, not the action.
    path = tmp_path / "power.jsonl"
    path.write_text(json.dumps({"journal": "eclictl", "version": 1, "action": "start servers",
                                "command": "servers power", "params": {"action": "start"},
                                "panel": SANDBOX_URL, "profile": "default", "at": "x"}) + "\n")
    r = cli("servers", "power", "stop", "1", "--yes", "--resume", str(path))
    assert r.exit_code == 2 and "params differs" in r.stderr, r
    assert len(sandbox.requests) == before


def test_resume_with_the_same_command_line_skips_finished_items(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    targets = plain(sandbox, 3)
    journal = str(tmp_path / "j.jsonl")
    assert cli("users", "suspend", *targets[:2], "--yes", "--journal", journal, "--rate", "0").exit_code == 0
    # Items may differ (stdin lists change); rate/concurrency/output do not matter.
    r = cli("users", "suspend", "-", "--yes", "--resume", journal, "--concurrency", "2", "-o", "json",
            stdin="\n".join(targets))
    assert r.exit_code == 0, r
    assert [i["message"] for i in r.json()["items"]][:2] == ["done in a previous run"] * 2


def test_a_journal_without_header_is_still_read_with_a_warning(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    targets = plain(sandbox, 2)
    path = tmp_path / "old.jsonl"
    path.write_text(record(targets[0]) + "\n")
    r = cli("users", "suspend", *targets, "--yes", "--resume", str(path), "-o", "json")
    assert r.exit_code == 0, r
    assert "no header" in r.stderr
    assert r.json()["items"][0]["message"] == "done in a previous run"
    assert not sandbox.state.users[int(targets[0])]["suspended"]  # trusted the old journal: not re-run
    assert sandbox.state.users[int(targets[1])]["suspended"]


@pytest.mark.parametrize("flag", ["--resume", "--journal"])
def test_missing_resume_file_or_unwritable_journal_is_a_usage_error(cli: Any, sandbox: Any, tmp_path: Path,
                                                                     flag: str) -> None:
    targets = plain(sandbox, 1)
    bad = [str(tmp_path / "missing.jsonl")] if flag == "--resume" else ["/proc/x", str(tmp_path)]
    for path in bad:
        r = cli("users", "suspend", *targets, "--yes", flag, path)
        assert r.exit_code == 2, r
        assert r.stderr.startswith("error: ") and "internal error" not in r.stderr
        assert sandbox.requests == []  # refused before anything was sent
    assert not Path(tmp_path / "missing.jsonl").exists()


def test_a_file_that_is_not_a_journal_is_refused(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("buy milk\n")
    for flag in ("--journal", "--resume"):
        r = cli("users", "suspend", *plain(sandbox, 1), "--yes", flag, str(notes))
        assert r.exit_code == 2 and "not an eclictl journal" in r.stderr, r
    assert notes.read_text() == "buy milk\n" and sandbox.requests == []
