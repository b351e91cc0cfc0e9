"""`eclictl doctor --bundle`: everything a bug report needs, and nothing personal or secret."""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path
from typing import Any

from tests.conftest import SANDBOX_URL


def _files(path: Path) -> dict[str, str]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read().decode("utf-8") for m in tar.getmembers() if m.isfile()}


#: The fixture accounts' names ("Root Admin", "Plain User", "Sam Support") are also ordinary words of
#: eclictl's own text ("admin API key", "user #1"): the other ~300 seeded people are checked.
_WORDS = {"Root", "Admin", "Plain", "User", "Support"}


def _personal_data(sandbox: Any) -> dict[str, set[str]]:
    """Every e-mail, name and phone of the sandbox's users, and every IP address in any of its tables."""
    from eclictl.output.redact import IP_KEYS

    out: dict[str, set[str]] = {"emails": set(), "names": set(), "ips": set(), "phones": set()}
    for user in sandbox.state.users.values():
        if user.get("email"):
            out["emails"].add(user["email"])
        for key in ("firstName", "lastName"):
            if isinstance(user.get(key), str) and len(user[key]) >= 3 and user[key] not in _WORDS:
                out["names"].add(user[key])
        if user.get("phone"):
            out["phones"].add(user["phone"])

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key in IP_KEYS and isinstance(inner, str) and len(inner) >= 7:
                    out["ips"].add(inner)
                else:
                    walk(inner)
        elif isinstance(value, (list, tuple)):
            for inner in value:
                walk(inner)

    for table in vars(sandbox.state).values():
        if isinstance(table, (dict, list)):
            walk(table)
    return out


def test_bundle_holds_report_versions_config_and_requests_without_personal_data_or_secrets(
        cli: Any, sandbox: Any, tmp_path: Path) -> None:
    from eclictl.sandbox.state import SANDBOX_PASSWORD

    # a non-root staff member logs in with a password: the profile holds a session token and CSRF token
    login = cli("-v", "-p", "staff", "auth", "login", "--url", SANDBOX_URL, "--email", "staff@example.com",
                "--password-stdin", stdin=SANDBOX_PASSWORD, key=None, url=None)
    assert login.exit_code == 0, login
    config = (tmp_path / "eclictl-config" / "config.toml").read_text()
    token = re.search(r'token = "([^"]+)"', config).group(1)
    csrf = re.search(r'csrf_token = "([^"]+)"', config)
    # admin work with -v: people's records pass through the client (and the request log)
    for args in (("users", "list", "-n", "50"), ("users", "show", "3"), ("fraud", "list"), ("logs", "list", "-n", "20"),
                 ("users", "list", "--query", "user@example.com"), ("api", "GET", "/api/admin/users/3/profile")):
        assert cli("-v", *args, "-o", "json").exit_code == 0, args
    personal = _personal_data(sandbox)
    ip, email = sorted(personal["ips"])[0], sorted(personal["emails"])[0]
    cli("-v", "api", "GET", f"/api/admin/users/{email}")  # personal data in a path (a 404, logged all the same)
    cli("-v", "api", "GET", f"/api/admin/antiabuse/ip/{ip}")
    bundle = tmp_path / "doctor.tar.gz"
    result = cli("-v", "doctor", "--bundle", str(bundle), env={"ECLICTL_TOKEN": token})
    assert bundle.exists(), result
    assert "bundle written" in result.stderr
    files = _files(bundle)
    assert sorted(files) == ["eclictl-doctor/README.txt", "eclictl-doctor/config.json", "eclictl-doctor/report.json",
                             "eclictl-doctor/requests.jsonl", "eclictl-doctor/versions.json"]
    report = json.loads(files["eclictl-doctor/report.json"])
    assert {c["id"] for c in report["checks"]} >= {"network.clock", "identity.who", "drift.users"}
    versions = json.loads(files["eclictl-doctor/versions.json"])
    assert versions["eclictl"] and versions["python"] and "httpx" in versions["dependencies"]
    config_json = json.loads(files["eclictl-doctor/config.json"])
    assert config_json["api_key"] == "(set)" and config_json["token"] == "(set)"
    assert config_json["url"] == SANDBOX_URL  # the panel's own address is configuration, kept
    requests = [json.loads(line) for line in files["eclictl-doctor/requests.jsonl"].splitlines()]
    assert len(requests) >= 10
    assert any(r["path"].startswith("/api/admin/antiabuse/ip/") and r["status"] == 404 for r in requests)
    users_call = next(r for r in requests if r["path"] == "/api/admin/users")
    assert users_call["method"] == "GET" and users_call["status"] == 200 and "ms" in users_call
    assert users_call["shape"]["users"]["item"]["email"] == "string"  # shapes, never values
    assert any(r.get("query") == ["page", "q"] for r in requests)  # parameter names only

    secrets = {*sandbox.keys.values(), token, SANDBOX_PASSWORD} | ({csrf.group(1)} if csrf else set())
    secrets |= {s["token"] for s in getattr(sandbox.state, "sessions", {}).values()
                if isinstance(s, dict) and s.get("token")}
    assert personal["emails"] and personal["names"] and personal["ips"]
    everything = "\n".join(files.values())
    for secret in secrets:
        assert secret not in everything
    for email in personal["emails"]:
        assert email not in everything and email.split("@")[0] + "@" not in everything
    for ip in personal["ips"]:
        assert not re.search(rf"(?<![\w.:]){re.escape(ip)}(?![\w.:])", everything), ip
    for phone in personal["phones"]:
        assert phone not in everything
    for name in personal["names"]:
        assert not re.search(rf"\b{re.escape(name)}\b", everything), name


def test_verbose_runs_keep_a_bounded_request_log(cli: Any, tmp_path: Path) -> None:
    from eclictl.api.reqlog import RequestLog

    assert cli("users", "list", "-n", "2").exit_code == 0
    log = tmp_path / "eclictl-state" / "requests.jsonl"
    assert not log.exists()  # only -v records
    assert cli("-v", "users", "list", "-n", "2").exit_code == 0
    lines = log.read_text().splitlines()
    assert [json.loads(line)["path"] for line in lines] == ["/api/admin/users"]
    assert oct(log.stat().st_mode & 0o777) == "0o600"
    ring = RequestLog(tmp_path / "ring.jsonl", keep=5, max_bytes=600)
    for i in range(40):
        ring({"method": "GET", "path": f"/api/x/{i}", "status": 200})
    kept = ring.entries()
    assert 5 <= len(kept) < 12 and kept[-1]["path"] == "/api/x/39"
    assert ring.entries(3)[0]["path"] == "/api/x/37"


def test_connection_failures_are_logged_too(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    sandbox.inject_fault(path="/api/roles", connect_error=True, times=9)
    cli("-v", "roles", "list")
    rows = [json.loads(line) for line in (tmp_path / "eclictl-state" / "requests.jsonl").read_text().splitlines()]
    assert rows and all(r["status"] == 0 and r["error"] == "ConnectError" for r in rows)


def test_bundle_into_a_missing_directory_is_a_usage_error(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    result = cli("doctor", "--bundle", str(tmp_path / "nope" / "b.tar.gz"))
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert sandbox.requests == []


def test_bundle_is_written_when_checks_fail(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    sandbox.simulate_drift("users.email=mail")
    bundle = tmp_path / "b.tar.gz"
    result = cli("doctor", "--bundle", str(bundle), "-o", "json")
    assert result.exit_code == 1
    report = json.loads(_files(bundle)["eclictl-doctor/report.json"])
    assert report["status"] == "fail"
    assert oct(bundle.stat().st_mode & 0o777) == "0o600"
