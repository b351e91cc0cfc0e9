"""The shared helpers of the verbs: `ctx.read_text` (a file or '-' for stdin), `options.split_pair`
(one `key=value` argument) and `ctx.every` (the watch/follow loop), with what each caller shows."""

from __future__ import annotations

from typing import Any

import pytest

from eclictl.errors import UsageError
from eclictl.options import parse_assignments, split_pair

MISSING = "/nonexistent/eclictl-input"


def test_split_pair_strips_the_key_only_and_names_the_flag() -> None:
    assert split_pair(" memory = 4G ") == ("memory", " 4G ")
    assert split_pair("a=b=c") == ("a", "b=c")
    with pytest.raises(UsageError, match=r"^--env expects KEY=VALUE, got 'MOTD'$"):
        split_pair("MOTD", "--env", "KEY=VALUE")
    with pytest.raises(UsageError, match=r"^--tag expects field=value, got 'x'$"):
        parse_assignments(["x"], what="--tag")


@pytest.mark.parametrize(("args", "message"), [
    (("users", "edit", "42", "--set", "email"), "--set expects field=value, got 'email'"),
    (("nodes", "edit", "1", "--set", "name"), "--set expects field=value, got 'name'"),
    (("servers", "edit", "paper-test", "--env", "MOTD"), "--env expects KEY=VALUE, got 'MOTD'"),
])
def test_a_pair_without_equals_is_one_line_exit_2(cli: Any, sandbox: Any, args: tuple[str, ...],
                                                  message: str) -> None:
    r = cli(*args)
    assert r.exit_code == 2, r
    assert message in r.stderr
    assert not [q for q in sandbox.requests if q[0] != "GET"]


@pytest.mark.parametrize(("args", "message"), [
    (("payment-methods", "import", MISSING), f"cannot read {MISSING}: No such file or directory"),
    (("backup-configs", "create", "--name", "x", "--disk", "s3", "--config-file", MISSING),
     f"cannot read --config-file {MISSING}: No such file or directory"),
    (("databases", "hosts", "create", "--name", "x", "--username", "root", "--host", "db9.test.example.com",
      "--password-file", MISSING), "cannot read --password-file: No such file or directory"),
    (("ai", "models", "create", "--name", "x", "--api-key-file", MISSING),
     f"cannot read {MISSING}: No such file or directory"),
])
def test_an_unreadable_file_is_one_line_exit_2(cli: Any, sandbox: Any, args: tuple[str, ...], message: str) -> None:
    r = cli(*args)
    assert r.exit_code == 2, r
    assert message in r.stderr and "Traceback" not in r.stderr
    assert not [q for q in sandbox.requests if q[0] != "GET"]


def test_dash_reads_stdin_only_where_the_option_says_so(cli: Any, sandbox: Any) -> None:
    """`--api-key-file -` is a file named '-', not stdin (stdin is `--api-key -`)."""
    r = cli("ai", "models", "create", "--name", "x", "--api-key-file", "-", stdin="sk-from-stdin\n")
    assert r.exit_code == 2, r
    assert "cannot read -:" in r.stderr
    r = cli("payment-methods", "import", "-", "--dry-run", stdin="not json")
    assert r.exit_code == 2 and "- is not valid JSON" in r.stderr, r


@pytest.mark.parametrize("args", [
    ("metrics", "show", "--watch", "10", "-o", "jsonl"),
    ("logs", "list", "--follow", "--limit", "2", "-o", "jsonl"),
])
def test_ctrl_c_during_the_wait_ends_a_watch_quietly_with_exit_0(sandbox: Any, isolated_config: Any,
                                                                  args: tuple[str, ...]) -> None:
    import io

    from eclictl.context import Factory, IOStreams
    from eclictl.main import run

    waits: list[float] = []

    def interrupted(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            raise KeyboardInterrupt

    streams = IOStreams(io.StringIO(), io.StringIO(), io.StringIO(), False, False, False)
    env = {"ECLICTL_URL": "http://sandbox.localhost", "ECLICTL_API_KEY": sandbox.keys["admin"],
           "ECLICTL_CONFIG_DIR": str(isolated_config)}
    code = run(list(args), Factory(io=streams, env=env, transport=sandbox.transport(), sleep=interrupted))
    assert code == 0, streams.stderr.getvalue()
    assert len(waits) == 2  # polled twice, interrupted in the second wait
    assert streams.stdout.getvalue().strip() and streams.stderr.getvalue() == ""


def _sent_bodies(sandbox: Any, method: str, suffix: str) -> tuple[Any, list[dict[str, Any]]]:
    """A transport that passes requests to the sandbox and keeps the JSON bodies of `method *suffix`."""
    import json

    import httpx

    base = sandbox.transport()
    bodies: list[dict[str, Any]] = []

    def recording(request: httpx.Request) -> httpx.Response:
        if request.method == method and request.url.path.endswith(suffix):
            bodies.append(json.loads(request.content))
        return base.handle_request(request)

    return httpx.MockTransport(recording), bodies


def test_given_keeps_the_named_order_and_drops_only_none() -> None:
    from eclictl.writes import given

    assert given(b=0, a=None, c="", d=False) == {"b": 0, "c": "", "d": False}
    assert list(given(z=1, y=2)) == ["z", "y"]


def test_transfer_start_sends_only_the_options_given_in_wings_order(cli: Any, sandbox: Any) -> None:
    cfg = next(c for c in sandbox.state.servers.values() if c.get("destinationNodeId") is None and c.get("nodeId") == 1)
    transport, bodies = _sent_bodies(sandbox, "POST", "/transfer")
    r = cli("transfers", "start", cfg["uuid"], "--to", "node-ams-2", "--compression", "good_compression",
            "--streams", "0", "--yes", transport=transport)
    assert r.exit_code == 0, r
    assert bodies == [{"node_uuid": 2, "compression_level": "good_compression", "multiplex_streams": 0}]
    assert list(bodies[0]) == ["node_uuid", "compression_level", "multiplex_streams"]


def test_apply_plan_sends_only_the_options_given(cli: Any, sandbox: Any) -> None:
    user = next(u for u in sandbox.state.users.values() if u.get("role") != "rootAdmin" and not u.get("suspended"))
    transport, bodies = _sent_bodies(sandbox, "POST", "/apply-plan")
    r = cli("users", "apply-plan", str(user["id"]), "3", "--lifetime", "--org", "0", "--yes", transport=transport)
    assert r.exit_code == 0, r
    assert bodies == [{"planId": 3, "billingType": "lifetime", "orgId": 0}]


def test_orders_issue_and_edit_send_only_the_options_given(cli: Any, sandbox: Any) -> None:
    transport, bodies = _sent_bodies(sandbox, "POST", "/api/admin/orders")
    r = cli("orders", "issue", "7", "--amount", "0", "--tax-rate", "0", "--notes", "x", "--lifetime",
            transport=transport)
    assert r.exit_code == 0, r
    assert bodies == [{"userId": 7, "amount": 0.0, "taxRate": 0.0, "notes": "x", "billingType": "lifetime"}]
    order = next(iter(sandbox.state.orders))
    transport, bodies = _sent_bodies(sandbox, "PUT", f"/api/admin/orders/{order}")
    r = cli("orders", "edit", str(order), "--clear-plan", "--notes", "y", "--user", "7", transport=transport)
    assert r.exit_code == 0, r
    assert bodies == [{"notes": "y", "planId": None, "userId": 7}]
    r = cli("orders", "issue", "jane", "--plan", "0")
    assert r.exit_code == 2 and "--plan must be a plan id" in r.stderr
    r = cli("orders", "edit", str(order), "--user", "jane")
    assert r.exit_code == 2 and "expected a user id or e-mail, got 'jane'" in r.stderr
