"""`eclictl doctor`: every check in its ok and failing states, failures made by the sandbox and the fault layer."""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest


def _checks(result: Any) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in result.json()["checks"]}


def doctor(cli: Any, *args: str, **kw: Any) -> tuple[Any, dict[str, dict[str, Any]]]:
    result = cli("doctor", "-o", "json", *args, **kw)
    return result, _checks(result)


# -- a healthy panel --------------------------------------------------------------------------------
def test_healthy_sandbox_passes_every_check(cli: Any, sandbox: Any) -> None:
    result, checks = doctor(cli)
    assert result.exit_code == 0, result
    report = result.json()
    assert report["status"] == "ok" and report["healthy"] is True
    assert set(report) == {"status", "healthy", "profile", "url", "eclictl", "checked_at", "counts", "checks"}
    assert set(report["checks"][0]) == {"id", "group", "status", "summary", "fix", "details"}
    bad = {k: c["summary"] for k, c in checks.items() if c["status"] not in ("ok", "skip")}
    assert bad == {}
    for cid in ("config.file", "config.dir", "config.state_dir", "config.profile", "config.credential",
                "config.session", "network.answers", "network.redirect", "network.tls", "network.clock",
                "network.rtt", "identity.who", "identity.key_expiry", "identity.sections", "limits.headroom",
                "limits.pacing", "drift.users", "drift.roles", "drift.servers", "drift.nodes"):
        assert checks[cid]["status"] == "ok", checks[cid]
    assert checks["drift.announcements"]["status"] == "skip"  # write-only section: no read route
    assert checks["identity.who"]["details"]["key_type"] == "admin"
    # one GET per read route and nothing written
    assert not [r for r in sandbox.requests if r[0] != "GET"]


def test_table_lists_each_check_with_its_fix_and_a_summary(cli: Any) -> None:
    result = cli("doctor", "--no-drift")
    assert result.exit_code == 0, result
    lines = result.stdout.splitlines()
    assert any(line.startswith("ok\tnetwork.clock\t") for line in lines)
    assert "drift.all" in result.stdout and "--no-drift" in result.stdout
    assert result.stderr.strip().splitlines()[-1].startswith("ok: ")


# -- config -----------------------------------------------------------------------------------------
def _profile(config_dir: Any, body: str, mode: int = 0o600) -> None:
    config_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = config_dir / "config.toml"
    path.write_text('current_profile = "p"\n[profiles.p]\n' + body)
    os.chmod(path, mode)


def test_config_file_open_to_others_fails_with_chmod_fix(cli: Any, isolated_config: Any, sandbox: Any) -> None:
    _profile(isolated_config, f'url = "http://sandbox.localhost"\napi_key = "{sandbox.keys["admin"]}"\n', 0o644)
    result, checks = doctor(cli, "--no-drift", key=None, url=None)
    assert result.exit_code == 1
    assert checks["config.file"]["status"] == "fail"
    assert checks["config.file"]["fix"] == f"chmod 600 {isolated_config / 'config.toml'}"
    assert checks["config.profile"]["status"] == "ok"
    assert "profile p" in checks["config.credential"]["summary"]


def test_config_dir_open_to_others_warns(cli: Any, isolated_config: Any, sandbox: Any) -> None:
    _profile(isolated_config, f'url = "http://sandbox.localhost"\napi_key = "{sandbox.keys["admin"]}"\n')
    os.chmod(isolated_config, 0o755)
    result, checks = doctor(cli, "--no-drift", key=None, url=None)
    assert result.exit_code == 0  # a warning is not a failure
    assert checks["config.dir"]["status"] == "warn" and checks["config.dir"]["fix"].startswith("chmod 700")
    assert result.json()["status"] == "warn"


def test_profile_without_url_fails_and_nothing_is_sent(cli: Any, sandbox: Any) -> None:
    result, checks = doctor(cli, url=None)
    assert result.exit_code == 1
    assert checks["config.profile"]["status"] == "fail" and "no panel URL" in checks["config.profile"]["summary"]
    assert checks["network.answers"]["status"] == "skip"
    assert sandbox.requests == []


def test_no_credential_fails(cli: Any) -> None:
    result, checks = doctor(cli, key=None)
    assert result.exit_code == 1
    assert checks["config.credential"]["status"] == "fail"
    assert checks["identity.who"]["status"] == "fail"
    assert checks["network.answers"]["status"] == "ok"  # /health needs no credential


def test_expired_session_fails_with_login_fix(cli: Any, isolated_config: Any) -> None:
    _profile(isolated_config, 'url = "http://sandbox.localhost"\ntoken = "tok-abc-123456789"\n'
             'token_expires_at = "2020-01-01T00:00:00Z"\n')
    result, checks = doctor(cli, "--no-drift", key=None, url=None)
    assert result.exit_code == 1
    assert checks["config.session"]["status"] == "fail"
    assert checks["config.session"]["fix"] == "log in again: eclictl -p p auth login"
    assert checks["identity.who"]["status"] == "fail"


def test_session_expiry_states() -> None:
    from datetime import datetime, timedelta, timezone

    from eclictl.config import Settings
    from eclictl.doctor.config import _session

    now = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def at(delta: timedelta | None) -> str:
        s = Settings(profile="p", token="t", token_expires_at=(now + delta).isoformat() if delta else None)
        return _session(s, now).status

    assert at(timedelta(hours=1)) == "ok"
    assert at(timedelta(minutes=5)) == "warn"
    assert at(timedelta(minutes=-1)) == "fail"
    assert at(None) == "warn"
    assert _session(Settings(api_key="k"), now).status == "ok"


# -- network ----------------------------------------------------------------------------------------
def test_panel_down_fails_answers_and_skips_the_rest(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(path="/health", connect_error=True)
    result, checks = doctor(cli)
    assert result.exit_code == 1
    assert checks["network.answers"]["status"] == "fail" and "does not answer" in checks["network.answers"]["summary"]
    assert checks["identity.who"]["status"] == "skip"
    assert checks["drift.all"]["status"] == "skip"
    assert checks["limits.headroom"]["status"] == "skip"
    assert len(sandbox.requests) == 1  # never retried: the doctor reports what it sees now


def test_html_page_instead_of_the_api_fails(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(path="/health", status=200, html=True)
    result, checks = doctor(cli, "--no-drift")
    assert result.exit_code == 1
    assert checks["network.answers"]["status"] == "fail"
    assert "HTML page" in checks["network.answers"]["summary"]


def test_unhealthy_panel_fails(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(path="/health", status=503, html=True)
    result, checks = doctor(cli, "--no-drift")
    assert result.exit_code == 1
    assert "not healthy: HTTP 503" in checks["network.answers"]["summary"]


def test_redirect_fails_and_names_the_https_url(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(path="/health", redirect="https://sandbox.localhost/health")
    result, checks = doctor(cli, "--no-drift")
    assert result.exit_code == 1
    redirect = checks["network.redirect"]
    assert redirect["status"] == "fail" and redirect["details"]["location"] == "https://sandbox.localhost/health"
    assert "--url https://sandbox.localhost" in redirect["fix"]
    assert checks["identity.who"]["status"] == "skip"


def test_proxy_login_redirect_fails(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(path="/health", status=302, redirect="https://sso.example.net/login")
    result, checks = doctor(cli, "--no-drift")
    assert result.exit_code == 1
    assert checks["network.redirect"]["status"] == "fail"
    assert "sso.example.net" in checks["network.redirect"]["summary"]


def test_tls_failure_fails_tls(cli: Any) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed "
                                 "certificate (_ssl.c:1006)", request=request)

    result, checks = doctor(cli, url="https://panel.example.com", transport=httpx.MockTransport(refuse))
    assert result.exit_code == 1
    assert checks["network.tls"]["status"] == "fail"
    assert "CERTIFICATE_VERIFY_FAILED" in checks["network.tls"]["summary"]
    assert checks["network.answers"]["status"] == "fail"


def test_tls_states_by_scheme(cli: Any, sandbox: Any) -> None:
    _, checks = doctor(cli, "--no-drift", url="https://panel.example.com")
    assert checks["network.tls"]["status"] == "ok" and "verified" in checks["network.tls"]["summary"]
    _, checks = doctor(cli, "--no-drift", url="http://panel.example.com")
    assert checks["network.tls"]["status"] == "warn"
    assert checks["network.tls"]["fix"] == "use https (eclictl config set url https://panel.example.com)"


@pytest.mark.parametrize(("offset", "status"), [(0, "ok"), (90, "warn"), (-90, "warn"), (900, "fail")])
def test_clock_skew_against_the_panels_date_header(cli: Any, sandbox: Any, offset: int, status: str) -> None:
    sandbox.state.offset += offset  # the panel's clock runs ahead (or behind)
    result, checks = doctor(cli, "--no-drift")
    clock = checks["network.clock"]
    assert clock["status"] == status, clock
    assert abs(clock["details"]["skew_seconds"] - offset) <= 2
    assert result.exit_code == (1 if status == "fail" else 0)


def test_clock_and_rtt_check_states() -> None:
    from eclictl.doctor.network import clock_check, rtt_check

    assert clock_check(None, 5).status == "warn"
    assert clock_check("not a date", 5).status == "warn"
    assert [rtt_check(ms).status for ms in (40, 1500, 12000)] == ["ok", "warn", "fail"]


# -- identity ---------------------------------------------------------------------------------------
def test_refused_key_fails_identity(cli: Any, sandbox: Any) -> None:
    result, checks = doctor(cli, key="0" * 64)
    assert result.exit_code == 1
    assert checks["identity.who"]["status"] == "fail" and "401" in checks["identity.who"]["summary"]
    assert checks["drift.all"]["status"] == "skip"


def test_expired_key_fails_identity(cli: Any) -> None:
    result, checks = doctor(cli, "--no-drift", key="expired")
    assert result.exit_code == 1
    assert checks["identity.who"]["status"] == "fail"


def test_client_key_of_staff_warns_and_sections_say_why(cli: Any, sandbox: Any) -> None:
    result, checks = doctor(cli, key="staff_client")
    who, sections = checks["identity.who"], checks["identity.sections"]
    assert who["status"] == "warn" and who["details"]["key_type"] == "client"
    assert sections["status"] == "warn" and sections["details"]["usable"] == []
    reasons = {d["section"]: d["reason"] for d in sections["details"]["denied"]}
    assert reasons.pop("payment-methods") == ("the panel answers 401 to every API key here: "
                                              "log in with e-mail and password")
    assert set(reasons.values()) == {"client API key of a non-root owner: the panel's admin checks need a root owner"}
    drift = [c for cid, c in checks.items() if cid.startswith("drift.")]
    assert drift and all(c["status"] == "skip" for c in drift)  # denied sections are not drift
    assert result.exit_code == 0


def test_root_client_key_sections_usable(cli: Any) -> None:
    result, checks = doctor(cli, "--no-drift", key="root_client_star")
    assert checks["identity.who"]["status"] == "ok"
    assert checks["identity.sections"]["status"] == "ok"


def test_key_expiry_states() -> None:
    from datetime import datetime, timezone

    from eclictl.doctor.identity import _expiry

    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    key = {"auth": "api key"}
    assert _expiry({**key, "expires_at": None}, now).status == "ok"
    assert _expiry({**key, "expires_at": "2026-03-01T00:00:00Z"}, now).status == "ok"
    assert _expiry({**key, "expires_at": "2026-01-03T00:00:00Z"}, now).status == "warn"
    assert _expiry({**key, "expires_at": "2025-12-01T00:00:00Z"}, now).status == "fail"


def test_whoami_and_doctor_share_the_section_access() -> None:
    from eclictl.access import section_access
    from eclictl.commands.whoami import usable_sections

    info = {"key_type": "session", "root": False, "permissions": ["admin:access", "users:read"]}
    rows = {r["section"]: r for r in section_access(info)}
    assert rows["users"]["usable"] is True
    assert rows["nodes"]["usable"] is False and rows["nodes"]["reason"] == "the user's roles lack nodes:read"
    assert usable_sections(info) == section_access(info)


# -- limits -----------------------------------------------------------------------------------------
def test_rate_limited_panel_fails_limits(cli: Any, sandbox: Any) -> None:
    sandbox.rate_limit = 10  # the panel's own fixed window, made small
    result, checks = doctor(cli)
    assert result.exit_code == 1
    assert checks["limits.headroom"]["status"] == "fail"
    assert "429" in checks["limits.headroom"]["summary"]
    assert any(s == 429 for _, _, s in sandbox.requests)
    skipped = [c for cid, c in checks.items() if cid.startswith("drift.") and "429" in c["summary"]]
    assert skipped and all(c["status"] == "skip" for c in skipped)


def test_headroom_from_proxy_headers() -> None:
    from eclictl.doctor.limits import headroom, read_headers

    assert read_headers({"X-RateLimit-Limit": "500", "X-RateLimit-Remaining": "42", "X-RateLimit-Reset": "17"}) \
        == {"limit": 500, "remaining": 42, "reset": 17}
    assert read_headers({"RateLimit": "limit=100, remaining=3, reset=9"})["remaining"] == 3
    assert read_headers({"content-type": "application/json"}) is None
    seen = [(200, {"ratelimit-limit": "100", "ratelimit-remaining": str(n)}) for n in (90, 80)]
    assert headroom(seen, False).status == "ok"
    assert headroom([(200, {"ratelimit-limit": "100", "ratelimit-remaining": "5"})], False).status == "warn"
    assert headroom([(200, {"ratelimit-limit": "100", "ratelimit-remaining": "0"})], False).status == "fail"
    assert headroom([(200, {})], False).status == "ok"
    assert headroom([(429, {})], False).status == "fail"


@pytest.mark.parametrize(("rate", "status"), [("450", "ok"), ("0", "warn"), ("600", "warn")])
def test_pacing_against_the_panel_limit(cli: Any, rate: str, status: str) -> None:
    _, checks = doctor(cli, "--no-drift", env={"ECLICTL_RATE": rate})
    assert checks["limits.pacing"]["status"] == status


def test_certificate_close_to_expiry_warns() -> None:
    from eclictl.doctor.network import _tls

    assert _tls("https://panel.example.com", None, 5.0).status == "warn"
    assert _tls("https://panel.example.com", None, 80.0).status == "ok"
    assert _tls("https://panel.example.com", None, None).status == "ok"


def test_state_dir_open_to_others_warns(cli: Any, tmp_path: Any) -> None:
    state = tmp_path / "eclictl-state"
    state.mkdir(mode=0o755, exist_ok=True)
    os.chmod(state, 0o755)
    _, checks = doctor(cli, "--no-drift", env={"ECLICTL_STATE_DIR": str(state)})
    assert checks["config.state_dir"]["status"] == "warn"
    assert checks["config.state_dir"]["fix"] == f"chmod 700 {state}"


def test_slow_round_trip_through_the_sandbox(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import eclictl.doctor.network as network

    monkeypatch.setattr(network, "RTT_WARN_MS", 0)  # any answer is "slow": no sleeping to make one
    _, checks = doctor(cli, "--no-drift")
    assert checks["network.rtt"]["status"] == "warn"
    monkeypatch.setattr(network, "RTT_FAIL_MS", 0)
    result, checks = doctor(cli, "--no-drift")
    assert checks["network.rtt"]["status"] == "fail" and result.exit_code == 1
