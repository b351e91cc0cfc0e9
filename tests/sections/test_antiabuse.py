"""`eclictl antiabuse` against the sandbox panel (docs/panel/fraud.md#anti-abuse-incidents)."""

from __future__ import annotations

from typing import Any

import pytest

BASE = "/api/admin/antiabuse/incidents"


def rows(sandbox: Any) -> list[dict[str, Any]]:
    from eclictl.sandbox.routes.antiabuse import incidents

    return sorted(incidents(sandbox.state).values(), key=lambda s: (s["createdAt"], s["id"]), reverse=True)


def test_list_pages_filters_and_order(cli: Any, sandbox: Any) -> None:
    from eclictl.sandbox.routes.antiabuse import incidents

    base = rows(sandbox)
    template = base[-1]
    subs = sandbox.state.app_submissions
    for n in range(150):  # enough for two pages of 100
        sid = max(subs) + 1
        subs[sid] = {**template, "id": sid, "createdAt": f"2020-01-01T00:{n // 60:02d}:{n % 60:02d}.000Z"}
    everything = rows(sandbox)
    r = cli("antiabuse", "list", "--all", "-o", "json")
    assert r.exit_code == 0, r
    assert [x["id"] for x in r.json()] == [x["id"] for x in everything]
    assert len(cli("antiabuse", "list", "-o", "ids").stdout.split()) == 100  # one page by default
    assert len(cli("antiabuse", "list", "-n", "130", "-o", "ids").stdout.split()) == 130
    r = cli("antiabuse", "list", "--status", "pending", "--node", "FSN-1", "-o", "ids")
    want = [x["id"] for x in everything if x["status"] == "pending" and x["meta"]["nodeName"] == "fsn-1"]
    assert [int(i) for i in r.stdout.split()] == want and want
    r = cli("antiabuse", "list", "--status", "dismissed", "-o", "ids")  # an alias of the stored word
    assert [int(i) for i in r.stdout.split()] == [x["id"] for x in everything if x["status"] == "rejected"]
    cut = base[5]["createdAt"]
    r = cli("antiabuse", "list", "--since", cut, "-o", "ids")
    assert [int(i) for i in r.stdout.split()] == [x["id"] for x in base[:6]]
    r = cli("antiabuse", "list", "--detection-type", "MINER", "--all", "-o", "json")
    assert r.json() and all(x["detectionType"] == "cpu_miner" for x in r.json())
    assert len(r.json()) == sum(1 for x in everything if x["meta"]["detectionType"] == "cpu_miner")
    assert cli("antiabuse", "list", "--status", "bogus").exit_code == 2
    assert cli("antiabuse", "list", "--all", "--limit", "3").exit_code == 2
    assert len(incidents(sandbox.state)) == len(everything)


def test_severity_filter_and_the_null_quirk(cli: Any, sandbox: Any) -> None:
    r = cli("antiabuse", "list", "--severity", "high", "-o", "ids")
    assert r.exit_code == 0 and r.stdout == "" and "aiCategory" in r.stderr
    first, second = rows(sandbox)[:2]
    first["meta"]["aiAssessment"] = {"category": "high", "riskScore": 80}  # a panel that fills the fields
    second["meta"]["aiAssessment"] = {"category": "low", "riskScore": 10}
    r = cli("antiabuse", "list", "--severity", "HIGH", "-o", "ids")
    assert r.stdout.split() == [str(first["id"])]


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_redact_masks_ips_servers_and_free_text(cli: Any, sandbox: Any, fmt: str) -> None:
    top = rows(sandbox)[0]
    meta = top["meta"]
    r = cli("antiabuse", "list", "-n", "3", "-o", fmt, "--redact", tty=fmt == "table")
    assert r.exit_code == 0, r
    for secret in (meta["sourceIp"], meta["targetIp"], meta["serverName"]):
        assert secret not in r.stdout, (fmt, secret)
    if fmt == "json":  # free text keeps what is not personal, so it can still be searched for
        assert r.json()[0]["reason"] == meta["reason"]
    plain = cli("antiabuse", "list", "-n", "3", "-o", "json")
    assert meta["sourceIp"] in plain.stdout and meta["serverName"] in plain.stdout


def test_show_and_full_row(cli: Any, sandbox: Any) -> None:
    top = rows(sandbox)[0]
    r = cli("antiabuse", "show", str(top["id"]), "-o", "json")
    assert r.exit_code == 0 and r.json()["id"] == top["id"] and "content" not in r.json()
    r = cli("antiabuse", "show", str(top["id"]), "--full", "-o", "json", "--redact")
    assert r.exit_code == 0, r
    content = r.json()["content"]  # free text: the personal data inside is masked, the rest kept
    assert content.startswith(top["content"].split("\n")[0]) and "example.net" not in r.stdout
    owner = top["meta"]["raw"]["contact"].split("@")[0]
    assert owner not in content and top["meta"]["targetIp"] not in content
    assert top["ipAddress"] not in r.stdout and top["meta"]["raw"]["contact"] not in r.stdout
    r = cli("antiabuse", "show", "99999")
    assert r.exit_code == 6 and "99999" in r.stderr


def test_set_status_bulk_single_and_verified(cli: Any, sandbox: Any) -> None:
    pending = [x for x in rows(sandbox) if x["status"] == "pending"][:3]
    done = next(x for x in rows(sandbox) if x["status"] == "archived")
    ids = [str(x["id"]) for x in pending] + [str(done["id"]), "99999"]
    r = cli("antiabuse", "set-status", *ids, "archive", "--note", "old noise", "-o", "json")
    assert r.exit_code == 0, r
    data = r.json()
    assert data["updated"] == ids[:3] and data["unchanged"] == [ids[3]] and data["not_found"] == ["99999"]
    assert all(x["status"] == "archived" and x["meta"]["resolution"]["note"] == "old noise" for x in pending)
    posts = [p for m, p, _ in sandbox.requests if m == "POST"]
    assert posts == [f"{BASE}/bulk-status", f"{BASE}/99999/status"]
    r = cli("antiabuse", "set-status", ids[0], "reopen")
    assert r.exit_code == 0 and pending[0]["status"] == "pending"
    assert [p for m, p, _ in sandbox.requests if m == "POST"][-1] == f"{BASE}/{ids[0]}/status"
    assert cli("antiabuse", "set-status", ids[0], "maybe").exit_code == 2
    assert cli("antiabuse", "set-status", "abc", "archive").exit_code == 2
    assert cli("antiabuse", "set-status", ids[0], "archive", "--note", "x" * 801).exit_code == 2


def test_set_status_dry_run_max_affected_and_permissions(cli: Any, sandbox: Any) -> None:
    pending = [str(x["id"]) for x in rows(sandbox) if x["status"] == "pending"][:4]
    r = cli("antiabuse", "set-status", *pending, "resolve", "--dry-run", "-o", "json")
    assert r.exit_code == 0 and r.json()["would_update"] == pending
    r = cli("antiabuse", "set-status", *pending, "resolve", "--max-affected", "2")
    assert r.exit_code == 7 and "nothing was done" in r.stderr
    assert cli("antiabuse", "list", key="plain").exit_code == 5
    assert cli("antiabuse", "set-status", pending[0], "resolve", key="staff_client").exit_code == 5
    assert all(x["status"] == "pending" for x in rows(sandbox) if str(x["id"]) in pending)
    assert not [p for m, p, _ in sandbox.requests if m == "POST"]


def test_delete_needs_yes_and_survives_a_failed_batch(cli: Any, sandbox: Any) -> None:
    ids = [str(x["id"]) for x in rows(sandbox)][:6]
    r = cli("antiabuse", "delete", *ids)
    assert r.exit_code == 2 and "--yes" in r.stderr
    r = cli("antiabuse", "delete", *ids, "--dry-run", "--quiet")
    assert (r.exit_code, r.stdout) == (0, "")
    sandbox.inject_fault(path=f"{BASE}/bulk-delete", method="POST", status=500, after=1)
    r = cli("antiabuse", "delete", "-", "--yes", "--batch-size", "2", "-o", "json", stdin=" ".join(ids))
    assert r.exit_code == 8, r
    assert r.json()["failed"] == ids[2:4] and r.json()["deleted"] == ids[:2] + ids[4:]
    left = {str(x["id"]) for x in rows(sandbox)}
    assert [i for i in ids if i in left] == ids[2:4]
    r = cli("antiabuse", "delete", *ids, "--yes", "--quiet")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")
    assert not {str(x["id"]) for x in rows(sandbox)} & set(ids)
    assert cli("antiabuse", "delete", "99999", "--yes").exit_code == 6


def test_routes_without_the_incident_form(cli: Any, sandbox: Any) -> None:
    forms = sandbox.state.app_forms
    fid = next(k for k, f in forms.items() if f["slug"] == "antiabuse-incidents")
    del forms[fid]
    r = cli("antiabuse", "list", "-o", "json")
    assert r.exit_code == 0 and r.json() == []
    status, _, body = sandbox.handle("POST", f"{BASE}/bulk-delete", {},
                                     {"authorization": f"ApiKey {sandbox.keys['admin']}"}, b'{"ids": [1]}')
    assert status == 404 and b"antiabuse incidents form not found" in body
