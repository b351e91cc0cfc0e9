"""`eclictl fraud` against the sandbox panel (docs/panel/fraud.md#fraud-alerts)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

DISMISS = "/api/admin/fraud-alerts/dismiss"
SAMPLES = Path(__file__).resolve().parents[1] / "contract" / "samples"


def flagged(sandbox: Any) -> list[dict[str, Any]]:
    """Flagged users, newest detection first (the panel's order)."""
    rows = [u for u in sandbox.state.users.values() if u.get("fraudFlag")]
    return sorted(rows, key=lambda u: (u.get("fraudDetectedAt") or "", u["id"]), reverse=True)


def matching(sandbox: Any, text: str) -> list[int]:
    return [u["id"] for u in flagged(sandbox) if text.lower() in str(u.get("fraudReason") or "").lower()]


def clean_user(sandbox: Any) -> dict[str, Any]:
    return next(u for _, u in sorted(sandbox.state.users.items())
                if not u.get("fraudFlag") and u.get("role") not in ("*", "rootAdmin") and u["id"] > 7)


# -- list / show / redact -------------------------------------------------------------------
def test_since_says_how_many_hand_flagged_alerts_it_left_out(cli: Any, sandbox: Any) -> None:
    """Recorded live: a flag set through the user edit leaves fraudDetectedAt null (adminHandler.ts)."""
    user = clean_user(sandbox)
    r = cli("users", "edit", str(user["id"]), "--set", "fraudFlag=true", "--set", "fraudReason=manual review")
    assert r.exit_code == 0, r
    assert user["fraudFlag"] is True and user.get("fraudDetectedAt") is None
    r = cli("fraud", "list", "--since", "1d", "-o", "ids")
    assert r.exit_code == 0 and str(user["id"]) not in r.stdout.split()
    assert "note: 1 alert(s) flagged by hand have no detection time and were left out by --since" in r.stderr
    r = cli("fraud", "list", "--since", "1d", "--include-undated", "-o", "ids")
    assert r.exit_code == 0 and str(user["id"]) in r.stdout.split() and "note:" not in r.stderr
    r = cli("fraud", "dismiss", "--all-matching", "--since", "1d", "--dry-run", "-o", "json")
    assert r.exit_code == 0 and "1 alert(s) flagged by hand" in r.stderr, r
    assert str(user["id"]) not in [o["item"] for o in r.json()["items"]]
    assert cli("fraud", "list", "--include-undated").exit_code == 2  # only means something with --since
    assert "note:" not in cli("fraud", "list", "-o", "ids").stderr


def test_list_filters_client_side(cli: Any, sandbox: Any) -> None:
    r = cli("fraud", "list", "-o", "json")
    assert r.exit_code == 0, r
    assert [row["id"] for row in r.json()] == [u["id"] for u in flagged(sandbox)]
    r = cli("fraud", "list", "--suspended", "-o", "ids")
    assert sorted(map(int, r.stdout.split())) == sorted(u["id"] for u in flagged(sandbox) if u["suspended"])
    assert r.stdout.split()  # the seed has suspended alerts
    r = cli("fraud", "list", "--not-suspended", "--reason-contains", "DISPOSABLE", "-o", "ids")
    assert [int(x) for x in r.stdout.split()] == [u["id"] for u in flagged(sandbox) if not u["suspended"]
                                                  and "disposable" in u["fraudReason"].lower()]
    cut = flagged(sandbox)[4]["fraudDetectedAt"]
    r = cli("fraud", "list", "--since", cut, "-o", "ids")
    assert [int(x) for x in r.stdout.split()] == [u["id"] for u in flagged(sandbox)[:5]]
    r = cli("fraud", "list", "-n", "2")  # piped: tsv without headers
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and lines[0].split("\t")[:2] == [str(flagged(sandbox)[0]["id"]), flagged(sandbox)[0]["email"]]
    assert cli("fraud", "list", "--since", "yesterday-ish").exit_code == 2


@pytest.mark.parametrize("fmt", ["json", "csv", "table", "tsv"])
def test_redact_masks_alert_pii(cli: Any, sandbox: Any, fmt: str) -> None:
    user = flagged(sandbox)[0]
    r = cli("fraud", "list", "-o", fmt, "--redact", tty=fmt == "table")
    assert r.exit_code == 0, r
    for key in ("email", "lastName", "address", "billingCity", "billingZip", "phone"):
        if user.get(key):
            assert str(user[key]) not in r.stdout, (fmt, key)
    assert "203.0.113." not in r.stdout.replace("203.0.113.x", "")  # IPs in reasons are masked too
    plain = cli("fraud", "list", "-o", fmt, tty=fmt == "table")
    assert user["email"] in plain.stdout or fmt == "table"


def test_show_flag_suspend_and_clear(cli: Any, sandbox: Any) -> None:
    user = flagged(sandbox)[0]
    r = cli("fraud", "show", user["email"], "-o", "json")
    assert r.exit_code == 0 and r.json()["id"] == user["id"] and r.json()["fraudReason"] == user["fraudReason"]
    other = clean_user(sandbox)
    r = cli("fraud", "show", str(other["id"]))
    assert r.exit_code == 6 and "no fraud alert" in r.stderr
    assert cli("fraud", "show", "nobody@nowhere.test").exit_code == 6
    r = cli("fraud", "flag", str(other["id"]), "--reason", "Chargeback ring, see ticket 991", "-o", "json")
    assert r.exit_code == 0, r
    assert sandbox.state.users[other["id"]]["fraudFlag"] and r.json()["fraudReason"].startswith("Chargeback")
    assert cli("fraud", "flag", str(other["id"]), "--reason", "x", "--suspend").exit_code == 2  # no --yes
    r = cli("fraud", "suspend", str(other["id"]), "--yes")
    assert r.exit_code == 0 and sandbox.state.users[other["id"]]["suspended"]
    r = cli("fraud", "clear", str(other["id"]), str(clean_user(sandbox)["id"]), "-o", "json")
    assert r.exit_code == 0, r
    assert [i["status"] for i in r.json()["items"]] == ["done", "skipped"]
    assert not sandbox.state.users[other["id"]]["fraudFlag"]
    assert sandbox.state.users[other["id"]]["suspended"]  # clearing never un-suspends
    assert cli("fraud", "flag", "1", "--reason", "  ").exit_code == 2


def test_permission_gate_and_auth(cli: Any, sandbox: Any) -> None:
    r = cli("fraud", "list", key="plain")
    assert r.exit_code == 5 and "admin:access" in r.stderr or r.exit_code == 5
    r = cli("fraud", "dismiss", "--all-matching", "--yes", key="staff_client")
    assert r.exit_code == 5
    assert cli("fraud", "list", key="not-a-key").exit_code == 4
    assert flagged(sandbox)  # nothing was dismissed


# -- scans ------------------------------------------------------------------------------------
def test_scan_users_and_scan_all(cli: Any, sandbox: Any) -> None:
    user = clean_user(sandbox)
    r = cli("fraud", "scan", str(user["id"]), "999999", "-o", "json")
    assert r.exit_code == 8, r
    data = r.json()
    first, missing = data["results"]
    assert first["userId"] == user["id"] and first["riskCategory"] in ("low", "medium", "high", "critical")
    assert sandbox.state.users[user["id"]]["fraudFlag"] == first["isSuspicious"]
    assert missing["status"] == "failed" and "999999" in r.stderr
    assert cli("fraud", "scan", "--all").exit_code == 2  # refuses without --yes and a terminal
    r = cli("fraud", "scan", "--all", "--yes", "--wait", "-o", "json")
    assert r.exit_code == 0, r
    out = r.json()
    assert out["started"] and out["completed"]["action"] == "admin:fraud-scan:completed"
    assert out["completed"]["metadata"]["scanned"] == len(sandbox.state.users)
    sandbox.state.ai_models.clear()
    r = cli("fraud", "scan", "--all", "--yes")
    assert r.exit_code == 7 and "No AI model configured." in r.stderr


# -- dismiss ----------------------------------------------------------------------------------
def test_cron_run_dismisses_exactly_the_matching_alerts_and_is_idempotent(cli: Any, sandbox: Any) -> None:
    targets = matching(sandbox, "disposable")
    others = [u["id"] for u in flagged(sandbox) if u["id"] not in targets]
    assert len(targets) >= 3 and others
    r = cli("fraud", "dismiss", "--all-matching", "--reason-contains", "disposable", "--yes", "--quiet")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")
    assert not any(sandbox.state.users[i]["fraudFlag"] for i in targets)
    assert all(sandbox.state.users[i]["fraudFlag"] for i in others)
    r = cli("fraud", "dismiss", "--all-matching", "--reason-contains", "disposable", "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["total"] == 0 and r.json()["counts"]["dismissed"] == 0
    requests = [p for m, p, _ in sandbox.requests if m == "POST"]
    assert requests.count(DISMISS) == 1  # the re-run sent nothing


def test_dry_run_and_max_affected_change_nothing(cli: Any, sandbox: Any) -> None:
    before = [u["id"] for u in flagged(sandbox)]
    r = cli("fraud", "dismiss", "--all-matching", "--dry-run", "-o", "json")  # no --yes needed
    assert r.exit_code == 0, r
    data = r.json()
    assert data["dry_run"] and data["would_dismiss"] == [str(i) for i in before]
    assert data["counts"]["would_dismiss"] == len(before)
    r = cli("fraud", "dismiss", "--all-matching", "--yes", "--max-affected", "3")
    assert r.exit_code == 7 and "--max-affected 3" in r.stderr and "nothing was done" in r.stderr
    r = cli("fraud", "dismiss", "--all-matching")
    assert r.exit_code == 2 and "--yes" in r.stderr
    assert [u["id"] for u in flagged(sandbox)] == before
    assert not [p for m, p, _ in sandbox.requests if m == "POST"]


def test_fault_mid_batch_reports_exactly_and_rerun_finishes(cli: Any, sandbox: Any) -> None:
    targets = [u["id"] for u in flagged(sandbox)][:9]
    ids = [str(i) for i in targets]
    sandbox.inject_fault(path=DISMISS, method="POST", status=500, after=1)
    r = cli("fraud", "dismiss", "-", "--yes", "--batch-size", "3", "-o", "json", stdin="\n".join(ids))
    assert r.exit_code == 8, r
    data = r.json()
    assert data["failed"] == ids[3:6]
    assert data["dismissed"] == ids[:3] + ids[6:]
    assert all("batch 2 failed" in i["message"] for i in data["items"] if i["status"] == "failed")
    assert [i for i in targets if sandbox.state.users[i]["fraudFlag"]] == targets[3:6]
    assert "3 of 9 item(s) failed" in r.stderr
    r = cli("fraud", "dismiss", "-", "--yes", "--batch-size", "3", "-o", "json", stdin="\n".join(ids))
    assert r.exit_code == 0, r
    assert r.json()["dismissed"] == ids[3:6] and r.json()["already_clear"] == ids[:3] + ids[6:]
    assert not any(sandbox.state.users[i]["fraudFlag"] for i in targets)


def test_explicit_users_report_each_outcome(cli: Any, sandbox: Any) -> None:
    user = flagged(sandbox)[0]
    clear = clean_user(sandbox)
    r = cli("fraud", "dismiss", user["email"], str(clear["id"]), "nobody@nowhere.test", "999999", "--yes")
    assert r.exit_code == 0, r
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    assert [(row[0], row[2]) for row in rows] == [(user["email"], "dismissed"), (str(clear["id"]), "already_clear"),
                                                  ("nobody@nowhere.test", "not_found"), ("999999", "not_found")]
    assert not sandbox.state.users[user["id"]]["fraudFlag"]
    assert cli("fraud", "dismiss", "999999", "--yes").exit_code == 6
    assert cli("fraud", "dismiss", "1", "--all-matching").exit_code == 2
    assert cli("fraud", "dismiss", "1", "--since", "1d").exit_code == 2
    assert cli("fraud", "dismiss").exit_code == 2


def test_since_last_run_skips_already_handled_alerts(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    state_file = tmp_path / "fraud.cursor"
    targets = matching(sandbox, "disposable")
    newest = flagged(sandbox)[0]["fraudDetectedAt"]
    args = ("fraud", "dismiss", "--all-matching", "--reason-contains", "disposable", "--yes",
            "--since-last-run", str(state_file), "-o", "json")
    sandbox.inject_fault(path=DISMISS, method="POST", status=500)
    r = cli(*args)
    assert r.exit_code == 8 and not state_file.exists()  # written only after success
    r = cli(*args)
    assert r.exit_code == 0, r
    assert sorted(r.json()["dismissed"]) == sorted(map(str, targets))
    saved = json.loads(state_file.read_text())
    assert saved["cursor"] == r.json()["cursor"] == newest and saved["dismissed"] == len(targets)
    assert not list(tmp_path.glob(".fraud.cursor.*"))  # no temp file left behind
    old, new = clean_user(sandbox), [u for _, u in sorted(sandbox.state.users.items())
                                     if not u.get("fraudFlag") and u["id"] > 7][1]
    base = datetime.fromisoformat(newest.replace("Z", "+00:00"))
    for row, delta in ((old, -timedelta(days=40)), (new, timedelta(minutes=5))):
        stamp = (base + delta).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        row.update(fraudFlag=True, fraudDetectedAt=stamp, fraudReason=f"Disposable e-mail {row['email']}")
    r = cli(*args)
    assert r.exit_code == 0, r
    assert r.json()["dismissed"] == [str(new["id"])]
    assert sandbox.state.users[old["id"]]["fraudFlag"] and not sandbox.state.users[new["id"]]["fraudFlag"]
    assert json.loads(state_file.read_text())["cursor"] > newest
    state_file.write_text("{not json")
    r = cli(*args)
    assert r.exit_code == 2 and "state file" in r.stderr
    assert sandbox.state.users[old["id"]]["fraudFlag"]
    assert cli("fraud", "dismiss", "--all-matching", "--yes", "--since-last-run",
               str(tmp_path / "missing" / "x")).exit_code == 2


def test_parse_since_units_and_dates() -> None:
    from eclictl.errors import UsageError
    from eclictl.times import parse_since

    now = datetime(2026, 1, 10, tzinfo=timezone.utc)
    assert parse_since("2d", now=now) == datetime(2026, 1, 8, tzinfo=timezone.utc)
    assert parse_since("3h", now=now) == now - timedelta(hours=3)
    assert parse_since("1w", now=now) == datetime(2026, 1, 3, tzinfo=timezone.utc)
    assert parse_since("2025-05-01") == datetime(2025, 5, 1, tzinfo=timezone.utc)
    assert parse_since("2025-05-01T12:00:00.000Z").hour == 12
    with pytest.raises(UsageError):
        parse_since("soon")


# -- contract ---------------------------------------------------------------------------------
def _replay(sandbox: Any, name: str) -> tuple[int, Any, dict[str, Any]]:
    sample = json.loads((SAMPLES / name).read_text())
    req = sample["request"]
    body = b"" if req["body"] is None else json.dumps(req["body"]).encode()
    status, _, raw = sandbox.handle(req["method"], req["path"], {},
                                    {"authorization": f"ApiKey {sandbox.keys['admin']}",
                                     "content-type": "application/json"}, body)
    return status, json.loads(raw), sample


@pytest.mark.parametrize("name", ["GET_api_admin_fraud-alerts.json", "POST_api_admin_fraud-alerts_dismiss.json",
                                  "POST_api_admin_fraud-alerts_dismiss_400_empty_ids.json",
                                  "POST_api_admin_fraud-alerts_dismiss_no_body.json"])
def test_routes_match_the_recorded_samples(sandbox: Any, name: str) -> None:
    status, body, sample = _replay(sandbox, name)
    assert status == sample["status"]
    if isinstance(sample["body"], list):
        assert body and all(set(row) == set(sample["body"][0]) for row in body)
    elif "error" in sample["body"]:
        assert body == sample["body"]
    else:
        assert set(body) == set(sample["body"]) and body["dismissed"] == len(sample["request"]["body"]["ids"])
