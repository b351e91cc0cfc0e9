"""`eclictl payment-methods` against the sandbox panel (docs/panel/payment-methods.md)."""

from __future__ import annotations

import json
from typing import Any


def _jwt(sandbox: Any, user_id: int = 1) -> dict[str, str]:
    """A login session: the payment routes refuse every API key (401)."""
    from eclictl.sandbox.routes.core import start_session

    return {"ECLICTL_TOKEN": start_session(sandbox.state, sandbox.state.users[user_id])["token"]}


def _run(cli: Any, sandbox: Any, *args: str, **kw: Any) -> Any:
    return cli("payment-methods", *args, key=None, env=_jwt(sandbox), **kw)


def _posts(sandbox: Any) -> int:
    return sum(1 for q in sandbox.requests if q[0] == "POST" and q[1] == "/api/admin/payment-methods")


def test_api_key_gets_401_with_session_hint(cli: Any, sandbox: Any) -> None:
    r = cli("payment-methods", "list")
    assert r.exit_code == 4, r
    assert "Unauthorized" in r.stderr and "login session" in r.stderr and "auth login" in r.stderr


def test_list_show_enabled_filter_and_redaction(cli: Any, sandbox: Any) -> None:
    r = _run(cli, sandbox, "list", "-o", "json")
    assert r.exit_code == 0, r
    assert [m["id"] for m in r.json()] == [m["id"] for m in sandbox.state.payment_methods]
    r = _run(cli, sandbox, "list", "--enabled", "-o", "json")
    assert all(m["enabled"] for m in r.json()) and len(r.json()) == 2
    r = _run(cli, sandbox, "show", "SEPA transfer", "-o", "json")
    assert r.exit_code == 0 and r.json()["id"] == "sepa"
    r = _run(cli, sandbox, "show", "sepa", "-o", "json", "--redact")
    assert "DE89" not in r.stdout and "reference" not in r.stdout
    r = _run(cli, sandbox, "show", "nope")
    assert r.exit_code == 6


def test_add_sends_whole_list_with_diff_and_verifies(cli: Any, sandbox: Any) -> None:
    before = [dict(m) for m in sandbox.state.payment_methods]
    r = _run(cli, sandbox, "add", "--type", "crypto", "--label", " Litecoin ", "--address", "ltc1qexample",
             "--currency", "LTC", "--network", "litecoin", "--yes", "-o", "json")
    assert r.exit_code == 0, r
    methods = sandbox.state.payment_methods
    assert methods[:3] == before  # the others were sent back unchanged
    new = methods[3]
    assert new["id"].startswith("method_") and new["label"] == "Litecoin" and new["enabled"] is True
    assert r.json()["changes"] == [{"id": new["id"], "change": "added",
                                    "fields": "id, type, label, enabled, address, currency, network"}]
    assert "added" in r.stderr


def test_refuses_without_yes_off_a_terminal_and_dry_run_changes_nothing(cli: Any, sandbox: Any) -> None:
    r = _run(cli, sandbox, "disable", "btc")
    assert r.exit_code == 2 and "--yes" in r.stderr
    r = _run(cli, sandbox, "disable", "btc", "--dry-run", "-o", "json")
    assert r.exit_code == 0 and r.json()["changes"][0]["fields"] == "enabled: True -> False"
    assert sandbox.state.payment_methods[0]["enabled"] is True and _posts(sandbox) == 0


def test_refuses_when_the_list_changed_since_it_was_read(sandbox: Any) -> None:
    """Another admin saves while we wait at the prompt: nothing is sent, their change survives."""
    import io
    import os

    from eclictl.context import Factory, IOStreams
    from eclictl.main import run

    class Racing(io.StringIO):
        def readline(self, *a: Any) -> str:  # type: ignore[override]
            sandbox.state.payment_methods = [m for m in sandbox.state.payment_methods if m["id"] != "paypal"]
            return "y\n"

    streams = IOStreams(Racing(), io.StringIO(), io.StringIO(), True, True, True)
    env = {"ECLICTL_URL": "http://sandbox.localhost", "ECLICTL_CONFIG_DIR": os.environ["ECLICTL_CONFIG_DIR"],
           "ECLICTL_STATE_DIR": os.environ["ECLICTL_STATE_DIR"], **_jwt(sandbox)}
    code = run(["payment-methods", "disable", "btc"], Factory(io=streams, env=env, transport=sandbox.transport(),
                                                              sleep=lambda s: None, open_browser=lambda u: True))
    assert code == 7, streams.stderr.getvalue()
    assert "changed on the panel since it was read" in streams.stderr.getvalue()
    assert _posts(sandbox) == 0
    assert [m["id"] for m in sandbox.state.payment_methods] == ["btc", "sepa"]
    assert sandbox.state.payment_methods[0]["enabled"] is True


def test_local_checks_before_any_write(cli: Any, sandbox: Any, tmp_path: Any) -> None:
    r = _run(cli, sandbox, "add", "--type", "cash", "--label", "x", "--address", "y", "--yes")
    assert r.exit_code == 2 and "type must be one of" in r.stderr
    r = _run(cli, sandbox, "edit", "paypal", "--network", "bitcoin-cash", "--yes")
    assert r.exit_code == 2 and "network must be one of" in r.stderr
    r = _run(cli, sandbox, "add", "--id", "btc", "--type", "crypto", "--label", "x", "--address", "y", "--yes")
    assert r.exit_code == 2 and "duplicate payment method id 'btc'" in r.stderr
    many = tmp_path / "many.json"
    many.write_text(json.dumps([{"id": f"m{i}", "type": "other", "label": "L", "enabled": True, "address": "A"}
                                for i in range(21)]))
    r = _run(cli, sandbox, "import", str(many), "--yes")
    assert r.exit_code == 2 and "at most 20" in r.stderr
    assert _posts(sandbox) == 0


def test_edit_removes_optional_with_empty_value(cli: Any, sandbox: Any) -> None:
    r = _run(cli, sandbox, "edit", "sepa", "--instructions", "", "--label", "SEPA", "--yes")
    assert r.exit_code == 0, r
    sepa = next(m for m in sandbox.state.payment_methods if m["id"] == "sepa")
    assert "instructions" not in sepa and sepa["label"] == "SEPA"


def test_enable_disable_remove_many_in_one_write(cli: Any, sandbox: Any) -> None:
    r = _run(cli, sandbox, "enable", "sepa", "--yes")
    assert r.exit_code == 0 and all(m["enabled"] for m in sandbox.state.payment_methods)
    r = _run(cli, sandbox, "enable", "sepa", "--yes")
    assert r.exit_code == 0 and "nothing to change" in r.stderr
    before = _posts(sandbox)
    r = _run(cli, sandbox, "remove", "-", "--yes", stdin="btc\npaypal\n")
    assert r.exit_code == 0, r
    assert [m["id"] for m in sandbox.state.payment_methods] == ["sepa"] and _posts(sandbox) == before + 1


def test_export_import_round_trip(cli: Any, sandbox: Any, tmp_path: Any) -> None:
    out = tmp_path / "methods.json"
    r = _run(cli, sandbox, "export", "-f", str(out))
    assert r.exit_code == 0, r
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    data = json.loads(out.read_text())
    assert data["methods"] == sandbox.state.payment_methods
    data["methods"] = data["methods"][:1]
    out.write_text(json.dumps(data))
    r = _run(cli, sandbox, "import", str(out), "--dry-run", "-o", "json")
    assert {c["change"] for c in r.json()["changes"]} == {"removed"} and len(sandbox.state.payment_methods) == 3
    r = _run(cli, sandbox, "import", str(out), "--yes")
    assert r.exit_code == 0 and [m["id"] for m in sandbox.state.payment_methods] == ["btc"]


def test_sandbox_post_is_faithful(sandbox: Any) -> None:
    """Schema 422 before the handler, 400 for empty label/network, clean-up of strings and unknown keys."""
    from eclictl.sandbox.routes.core import start_session

    token = start_session(sandbox.state, sandbox.state.users[1])["token"]
    h = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(body: Any) -> Any:
        return sandbox.handle("POST", "/api/admin/payment-methods", {}, h, json.dumps(body).encode())

    ok = {"id": "a", "type": "other", "label": " A ", "enabled": True, "address": " x ", "currency": "",
          "instructions": "  ", "extra": 1}
    status, _, body = post({"methods": [dict(ok, enabled="true")]})
    assert status == 422
    status, _, body = post({"methods": [dict(ok, network="")]})
    assert status == 400 and json.loads(body) == {"error": "Invalid payment method data for method a"}
    status, _, body = post({"methods": [ok]})
    assert status == 200
    assert json.loads(body)["methods"] == [{"id": "a", "type": "other", "label": "A", "enabled": True,
                                            "address": "x", "instructions": ""}]
    status, _, _ = sandbox.handle("GET", "/api/admin/payment-methods", {},
                                  {"X-API-Key": sandbox.keys["admin"]}, b"")
    assert status == 401


def test_whoami_lists_it_for_sessions_only(cli: Any, sandbox: Any) -> None:
    r = cli("whoami", "-o", "json")
    assert r.exit_code == 0, r
    assert "payment-methods" in r.json()["sections_denied"] and "student-verifications" in r.json()["sections"]
    r = cli("whoami", "-o", "json", key=None, env=_jwt(sandbox))
    assert r.exit_code == 0, r
    assert "payment-methods" in r.json()["sections"]
