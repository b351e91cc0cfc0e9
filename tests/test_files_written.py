"""Issue #21.9: every file eclictl writes for the user ends as a 0600 file replaced atomically.

One helper (eclictl/files.py) behind every verb that writes a file: an existing file's 0644 mode
is never kept, a symlink at the target is replaced (never followed), nothing is left behind, and
`--file/-f FILE` is the one spelling while `-o/--output` is always the output format.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, Callable

import pytest

Case = Callable[[Any, Path], tuple[str, ...]]


def _user(sandbox: Any) -> str:
    return str(next(u["id"] for _, u in sorted(sandbox.state.users.items())
                    if u.get("role") not in ("*", "rootAdmin") and not u.get("deletedAt")
                    and not u.get("pendingDeletionUntil")))


def _job(sandbox: Any) -> str:
    return next(j["id"] for j in sandbox.state.export_jobs.values() if j["status"] == "completed")


def _server(sandbox: Any) -> str:
    return next(c["uuid"] for c in sandbox.state.servers.values() if c["name"] == "rust-weekly")


CASES: dict[str, Case] = {
    "eggs export --file": lambda sb, t: ("eggs", "export", "1", "--file", str(t)),
    "users export --file": lambda sb, t: ("users", "export", _user(sb), "--yes", "-f", str(t)),
    "roles export -f": lambda sb, t: ("roles", "export", "-f", str(t)),
    "settings export -f": lambda sb, t: ("settings", "export", "-f", str(t)),
    "logs export --file": lambda sb, t: ("logs", "export", "--file", str(t), "--force"),
    "audit export --file": lambda sb, t: ("audit", "export", _server(sb), "-f", str(t), "--force"),
    "export-jobs download --file": lambda sb, t: ("export-jobs", "download", _job(sb), "-f", str(t), "--force"),
    "orders invoice -f": lambda sb, t: ("orders", "invoice", str(next(iter(sb.state.orders))), "-f", str(t),
                                        "--force"),
    "doctor --bundle": lambda sb, t: ("doctor", "--no-drift", "--bundle", str(t)),
    "fraud dismiss --since-last-run": lambda sb, t: ("fraud", "dismiss", "--all-matching", "--reason-contains",
                                                     "disposable", "--yes", "--since-last-run", str(t)),
}


def _left(folder: Path) -> list[str]:
    """What a run left in the test's folder, without the fixtures' own config and state dirs."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("eclictl-"))


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_existing_0644_file_is_replaced_by_a_0600_one(cli: Any, sandbox: Any, tmp_path: Path, name: str) -> None:
    target = tmp_path / "out.file"
    target.write_text("{}\n")
    target.chmod(0o644)
    r = cli(*CASES[name](sandbox, target))
    assert r.exit_code == 0, r
    assert _mode(target) == 0o600 and target.read_bytes() != b"{}\n"
    assert _left(tmp_path) == ["out.file"]  # no temporary file left


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_symlink_at_the_target_is_replaced_not_followed(cli: Any, sandbox: Any, tmp_path: Path, name: str) -> None:
    victim = tmp_path / "victim.json"
    victim.write_text("{}\n")
    victim.chmod(0o644)
    target = tmp_path / "link"
    target.symlink_to(victim)
    r = cli(*CASES[name](sandbox, target))
    assert r.exit_code == 0, r
    assert not target.is_symlink() and _mode(target) == 0o600
    assert victim.read_text() == "{}\n" and _mode(victim) == 0o644


def test_eggs_export_dir_writes_0600_files_in_a_0700_directory(cli: Any, tmp_path: Path) -> None:
    folder = tmp_path / "eggs"
    r = cli("eggs", "export", "1", "2", "--dir", str(folder))
    assert r.exit_code == 0, r
    assert _mode(folder) == 0o700
    files = sorted(folder.iterdir())
    assert len(files) == 2 and all(_mode(p) == 0o600 for p in files)


def test_output_is_always_the_format(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = cli("eggs", "export", "1", "-o", "json")
    assert r.exit_code == 0 and r.json()["name"] == "Paper", r
    assert _left(tmp_path) == []  # once wrote a file named `json`
    for args in (("eggs", "export", "1", "-o", "paper.json"), ("users", "export", "5", "-o", "u.json", "--yes")):
        r = cli(*args)
        assert r.exit_code == 2, r
        value = args[args.index("-o") + 1]
        assert r.stderr == (f"error: invalid output format '{value}' (choose from table, wide, tsv, json, jsonl, csv, ids)\n"
                            "hint: -o/--output is the output format; to write to a file use --file FILE\n")
    assert _left(tmp_path) == []


def test_the_old_download_spelling_still_works(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    target = tmp_path / "x.tgz"
    r = cli("export-jobs", "download", _job(sandbox), "-O", str(target))
    assert r.exit_code == 0 and _mode(target) == 0o600, r


def test_unwritable_targets_are_one_line_usage_errors(cli: Any, tmp_path: Path) -> None:
    for target in (str(tmp_path), "/proc/x", str(tmp_path / "missing" / "f")):
        r = cli("roles", "export", "-f", target)
        assert r.exit_code == 2 and r.stderr.startswith("error: cannot write") and len(r.stderr.splitlines()) == 1, r
    assert _left(tmp_path) == []
