"""nodes: list/show/health/heartbeats/create/edit/delete/token against the sandbox (docs/panel/nodes.md)."""

from __future__ import annotations

from typing import Any

import pytest


def _secrets(sandbox: Any) -> list[str]:
    out = []
    for node in sandbox.state.nodes.values():
        for key in ("token", "rootUser", "rootPassword", "proxmoxSecret", "proxmoxTokenId"):
            if isinstance(node.get(key), str) and node[key]:
                out.append(node[key])
    return out


def test_help_lists_every_verb(cli: Any) -> None:
    r = cli("nodes", "--help", key=None, url=None)
    assert r.exit_code == 0
    for verb in ("list", "show", "health", "heartbeats", "create", "edit", "delete", "token"):
        assert verb in r.stdout


def test_list_json_has_health_and_server_counts(cli: Any, sandbox: Any) -> None:
    r = cli("nodes", "list", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    assert [n["id"] for n in rows] == sorted(sandbox.state.nodes)
    by_name = {n["name"]: n for n in rows}
    assert by_name["node-fra-1"]["health"]["state"] == "healthy"
    assert by_name["node-sgp-4"]["health"]["state"] == "unhealthy"
    assert by_name["node-lon-5"]["health"]["statusPage"] == "offline"
    assert by_name["pve-waw-1"]["health"]["state"] == "healthy"  # no pings = healthy (docs/panel/nodes.md#heartbeats-and-health)
    assert by_name["node-fra-1"]["endpoint"] == "node-fra-1.eclipanel.test"
    on_wings = set(sandbox.state.wings_servers[1])  # the panel lists Wings-only servers too
    expected = len(on_wings | {u for u, c in sandbox.state.servers.items() if c["nodeId"] == 1})
    assert by_name["node-fra-1"]["serverCount"] == expected > 0
    table = cli("nodes", "list", tty=True)
    assert table.exit_code == 0 and "node-" in table.stdout and "FQDN/URL" in table.stdout
    tsv = cli("nodes", "list", "--no-servers")
    assert "node-sgp-4\t" in tsv.stdout and "\tunhealthy\t" in tsv.stdout


def test_list_unhealthy_filter_and_offline_switch(cli: Any, sandbox: Any) -> None:
    r = cli("nodes", "list", "--unhealthy", "-o", "ids", "--no-servers")
    assert r.exit_code == 0
    assert r.stdout.split() == ["4", "5"]
    sandbox.state.offline_nodes.add(1)  # servers.py's switch: the ping fails now
    assert cli("nodes", "list", "--unhealthy", "-o", "ids").stdout.split() == ["1", "4", "5"]
    r = cli("nodes", "list", "--type", "paid", "-o", "ids")
    assert r.stdout.split() == ["3"]
    assert cli("nodes", "list", "--type", "gold").exit_code == 2


def test_list_without_server_permission_still_lists(cli: Any, sandbox: Any) -> None:
    # a root-owned client key passes requireAdminCtx; the servers call is skipped by --no-servers
    r = cli("nodes", "list", "--no-servers", "-o", "json", key="root_client")
    assert r.exit_code == 0 and "serverCount" not in r.json()[0]


def test_show_by_name_id_and_uuid(cli: Any, sandbox: Any) -> None:
    r = cli("nodes", "show", "node-ams-2", "-o", "json")
    assert r.exit_code == 0, r
    body = r.json()
    assert body["id"] == 2 and body["health"]["uptimePct24h"] < 100 and body["health"]["avgMs24h"] > 500
    uuid = sandbox.state.nodes[3]["nodeId"]
    assert cli("nodes", "show", uuid, "-o", "json").json()["id"] == 3
    assert cli("nodes", "show", "99").exit_code == 6
    assert cli("nodes", "show", "no-such-node").exit_code == 6


def test_no_secret_reaches_output_or_verbose_logs(cli: Any, sandbox: Any) -> None:
    secrets = _secrets(sandbox)
    assert len(secrets) >= 10
    for args in (("list",), ("show", "1"), ("show", "pve-waw-1"), ("health",), ("heartbeats", "1")):
        r = cli("-v", "nodes", *args, "-o", "json")
        assert r.exit_code == 0, r
        assert "→ GET" in r.stderr  # -v really logged
        leaked = [s for s in secrets if s in r.stdout or s in r.stderr]
        assert not leaked, (args, leaked)
    shown = cli("nodes", "show", "pve-waw-1", "-o", "json").json()
    assert "proxmoxSecret" not in shown and "token" not in shown


def test_health_verdicts_and_single_node(cli: Any, sandbox: Any) -> None:
    r = cli("nodes", "health", "-o", "json")
    assert r.exit_code == 0
    states = {row["name"]: row for row in r.json()}
    assert states["node-fra-1"]["state"] == "healthy" and states["node-fra-1"]["latencyMs"] < 100
    assert states["node-sgp-4"]["state"] == "unhealthy" and states["node-sgp-4"]["lastStatus"] == "error"
    assert states["node-lon-5"]["reason"].startswith("no ping for over 120 s; last ping error: ECONNREFUSED")
    one = cli("nodes", "health", "node-sgp-4", "-o", "json").json()
    assert [row["id"] for row in one] == [4]
    sandbox.state.advance(600)  # nobody pinged for 10 minutes: every pinged node goes stale
    later = {row["id"]: row["state"] for row in cli("nodes", "health", "-o", "json").json()}
    assert later == {1: "unhealthy", 2: "unhealthy", 3: "unhealthy", 4: "unhealthy", 5: "unhealthy", 6: "healthy"}


def test_health_watch_needs_a_terminal_and_uses_injected_sleep(cli: Any) -> None:
    r = cli("nodes", "health", "--watch", "5")
    assert r.exit_code == 2 and "terminal" in r.stderr
    assert cli("nodes", "health", "--watch", "0.5", tty=True).exit_code == 2
    r = cli("nodes", "health", "--watch", "5", "--iterations", "3", tty=True)
    assert r.exit_code == 0, r
    assert r.sleeps == [5.0, 5.0]
    assert r.stdout.count("HEALTH") >= 1 and "node-" in r.stdout and "unheal" in r.stdout


def test_heartbeats_since_limit_and_sparkline(cli: Any, sandbox: Any) -> None:
    r = cli("nodes", "heartbeats", "2", "--since", "10m", "-o", "json")
    assert r.exit_code == 0, r
    body = r.json()
    assert body["node"] == 2 and 18 <= len(body["points"]) <= 21
    assert body["summary"]["window"] == "24h"
    r = cli("nodes", "heartbeats", "node-ams-2", "--limit", "5", "-o", "json")
    assert len(r.json()["points"]) == 5
    assert r.json()["points"][-1] == sandbox.state.node_heartbeats[2][-1]
    assert r.stderr == ""  # no sparkline when not on a terminal
    tty = cli("nodes", "heartbeats", "2", "--limit", "20", tty=True)
    assert tty.exit_code == 0 and any(ch in tty.stderr for ch in "▁▂▃▄▅▆▇█")
    assert "▁" not in tty.stdout and "█" not in tty.stdout
    assert cli("nodes", "heartbeats", "2", "--since", "8d").exit_code == 2
    assert cli("nodes", "heartbeats", "2", "--since", "yesterday").exit_code == 2
    assert cli("nodes", "heartbeats", "2", "--limit", "0").exit_code == 2
    week = cli("nodes", "heartbeats", "2", "--since", "3d", "-o", "json").json()
    assert week["summary"]["window"] == "7d"


def test_create_with_generated_token_and_validation(cli: Any, sandbox: Any) -> None:
    before = set(sandbox.state.nodes)
    r = cli("nodes", "create", "--name", "node-fra-9", "--url", "https://fra9.example:8080", "--generate-token",
            "--type", "paid", "--set", "portRangeStart=30000", "--set", "portRangeEnd=30100", "-o", "json")
    assert r.exit_code == 0, r
    new_id = (set(sandbox.state.nodes) - before).pop()
    row = sandbox.state.nodes[new_id]
    assert (row["name"], row["nodeType"], row["portRangeStart"], row["useSSL"]) == ("node-fra-9", "paid", 30000, True)
    assert len(row["token"]) == 64
    assert row["token"] not in r.stdout + r.stderr and "token" not in r.json()
    # bad input is refused before any request: nothing half-created (the panel saves before validating)
    count = len(sandbox.state.nodes)
    for bad in (("--set", "portRangeStart=70000"), ("--set", "portRangeStart=200", "--set", "portRangeEnd=100"),
                ("--set", "ipv6Subnet=10.0.0.0/8"), ("--type", "gold"), ("--set", "cost=5"),
                ("--set", "token=abc"), ("--set", "nope=1"), ("--uuid", "xyz")):
        r = cli("nodes", "create", "--name", "x", "--url", "https://x:8080", "--token", "t", *bad)
        assert r.exit_code == 2, (bad, r)
    assert cli("nodes", "create", "--name", "x", "--url", "https://x").exit_code == 2  # no token
    assert len(sandbox.state.nodes) == count


def test_create_token_from_stdin_and_duplicate_name(cli: Any, sandbox: Any) -> None:
    r = cli("nodes", "create", "--name", "edge-1", "--url", "http://edge:8080", "--token", "-", "-o", "json",
            stdin="s3cret-token-value\n")
    assert r.exit_code == 0, r
    row = next(n for n in sandbox.state.nodes.values() if n["name"] == "edge-1")
    assert row["token"] == "s3cret-token-value" and row["useSSL"] is False
    assert "s3cret-token-value" not in r.stdout + r.stderr
    dup = cli("nodes", "create", "--name", "edge-1", "--url", "http://e:8080", "--token", "t")
    assert dup.exit_code == 1 and "Internal server error" in dup.stderr


def test_edit_named_options_and_set(cli: Any, sandbox: Any) -> None:
    r = cli("nodes", "edit", "node-nyc-3", "--no-deployments", "--set", "deploymentNotice=Maintenance",
            "--set", "serverLimit=80", "--set", "cost=49.5", "-o", "json")
    assert r.exit_code == 0, r
    row = sandbox.state.nodes[3]
    assert (row["deploymentsDisabled"], row["deploymentNotice"], row["serverLimit"], row["cost"]) == \
        (True, "Maintenance", 80, 49.5)
    out = r.json()
    assert out["serverLimit"] == 80 and "token" not in out and "rootPassword" not in out
    assert row["token"] not in r.stdout
    assert cli("nodes", "edit", "3", "--set", "orgId=2").exit_code == 0
    assert sandbox.state.node_orgs[3] == 2
    for bad in (("--set", "serverLimit=lots"), ("--set", "useSSL=maybe"), ("--set", "token=x"), ()):
        assert cli("nodes", "edit", "3", *bad).exit_code == 2, bad
    assert cli("nodes", "edit", "99", "--set", "cost=1").exit_code == 6


def test_delete_confirm_success_and_mapped_servers(cli: Any, sandbox: Any) -> None:
    cli("nodes", "create", "--name", "tmp-node", "--url", "https://t:8080", "--token", "t")
    new_id = next(i for i, n in sandbox.state.nodes.items() if n["name"] == "tmp-node")
    assert cli("nodes", "delete", "tmp-node").exit_code == 2  # no TTY, no --yes
    assert new_id in sandbox.state.nodes
    r = cli("nodes", "delete", "tmp-node", "--yes")
    assert r.exit_code == 0, r
    assert new_id not in sandbox.state.nodes
    r = cli("nodes", "delete", "1", "--yes")  # servers still mapped: the panel's 500
    assert r.exit_code == 8 and "servers still mapped" in r.stdout + r.stderr
    assert 1 in sandbox.state.nodes
    dry = cli("nodes", "delete", "1", "2", "--dry-run", "-o", "json")
    assert dry.exit_code == 0 and len(dry.json()) == 2 and 2 in sandbox.state.nodes


def test_token_shown_only_here_and_refused_under_redact(cli: Any, sandbox: Any) -> None:
    secret = sandbox.state.nodes[1]["token"]
    r = cli("nodes", "token", "node-fra-1")
    assert r.exit_code == 0 and r.stdout.strip() == secret
    assert cli("nodes", "token", "1", "-o", "json").json() == {"id": 1, "token": secret}
    r = cli("nodes", "token", "1", "--redact")
    assert r.exit_code == 2 and secret not in r.stdout + r.stderr
    v = cli("-v", "nodes", "token", "1")
    assert v.exit_code == 0 and secret not in v.stderr
    assert cli("nodes", "token", "99").exit_code == 6
    assert cli("nodes", "token", "1", key="staff_client").exit_code == 5


@pytest.mark.parametrize("args", [("list",), ("health",), ("show", "1"), ("heartbeats", "1")])
def test_permission_denied(cli: Any, args: tuple[str, ...]) -> None:
    r = cli("nodes", *args, key="plain")
    assert r.exit_code == 5 and "Node administration required" in r.stderr


def test_write_permissions(cli: Any, sandbox: Any) -> None:
    r = cli("nodes", "edit", "1", "--set", "cost=1", key="staff_client")
    assert r.exit_code == 5 and sandbox.state.nodes[1]["cost"] != 1
    r = cli("nodes", "create", "--name", "n", "--url", "https://n", "--token", "t", key="plain")
    assert r.exit_code == 5 and not any(n["name"] == "n" for n in sandbox.state.nodes.values())
    assert cli("nodes", "delete", "6", "--yes", key="plain").exit_code in (5, 8)
    assert 6 in sandbox.state.nodes


def test_admin_nodes_route_is_gated_and_leaks_as_documented(sandbox: Any) -> None:
    import httpx

    client = httpx.Client(transport=sandbox.transport(), base_url="http://sandbox.test")
    ok = client.get("/api/admin/nodes", headers={"Authorization": f"ApiKey {sandbox.keys['admin']}"})
    assert ok.status_code == 200 and ok.json()[0]["token"] == sandbox.state.nodes[1]["token"]
    staff = client.get("/api/admin/nodes", headers={"Authorization": f"ApiKey {sandbox.keys['staff_client']}"})
    assert staff.status_code == 403 and staff.json() == {"error": "Admin permission nodes:read required."}
    safe = client.get("/api/nodes/1", headers={"Authorization": f"ApiKey {sandbox.keys['admin']}"}).json()
    assert "token" not in safe and "rootPassword" not in safe and "organisation" not in safe


def _admin_client(sandbox: Any) -> Any:
    import httpx

    return httpx.Client(transport=sandbox.transport(), base_url="http://sandbox.test",
                        headers={"Authorization": f"ApiKey {sandbox.keys['admin']}"})


def test_edit_refuses_clearing_because_the_panel_ignores_empty_values(cli: Any, sandbox: Any) -> None:
    # nodeHandler PUT writes `x || undefined` / null -> undefined; TypeORM save() skips undefined
    before = dict(sandbox.state.nodes[1])
    for bad in ("fqdn=", "deploymentNotice=", "cost=null", "portRangeStart=null", "orgId=0", "nodeId=",
                "name=", "deploymentNotice=null", "deploymentNotice=None", "fqdn=null", "allowedOrigin=NULL",
                "proxmoxHost=null", "backendWingsUrl=none"):
        r = cli("nodes", "edit", "1", "--set", bad)
        assert r.exit_code == 2 and "cannot clear" in r.stderr and len(r.stderr.strip().splitlines()) <= 2, (bad, r)
    assert sandbox.state.nodes[1] == before and not [q for q in sandbox.requests if q[0] == "PUT"]
    assert cli("nodes", "edit", "1", "--set", "ipv6ExcludedPorts=null").exit_code == 2  # never the word null
    r = cli("nodes", "edit", "1", "--set", "ipv6ExcludedPorts=", "-o", "json")  # a plain string: really cleared
    assert r.exit_code == 0, r
    assert sandbox.state.nodes[1]["ipv6ExcludedPorts"] == "" and r.json()["ipv6ExcludedPorts"] == ""
    # the sandbox mirrors the panel: success, old values kept
    client = _admin_client(sandbox)
    ok = client.put("/api/nodes/1", json={"fqdn": "", "cost": None, "orgId": 0, "deploymentNotice": ""})
    assert ok.status_code == 200 and ok.json()["success"] is True
    assert sandbox.state.nodes[1]["fqdn"] == before["fqdn"] and sandbox.state.nodes[1]["cost"] == before["cost"]


def test_create_drops_empty_optional_fields(cli: Any, sandbox: Any) -> None:
    r = cli("nodes", "create", "--name", "edge-9", "--url", "https://e9:8080", "--token", "t", "--set", "fqdn=",
            "--uuid", "", "-o", "json")
    assert r.exit_code == 0, r
    row = next(n for n in sandbox.state.nodes.values() if n["name"] == "edge-9")
    assert row["fqdn"] is None and row["nodeId"] is None  # "" would be stored as-is in the unique column


def test_sandbox_put_400_saves_nothing_and_create_400_keeps_only_basics(sandbox: Any) -> None:
    client = _admin_client(sandbox)
    before = dict(sandbox.state.nodes[2])
    bad = client.put("/api/nodes/2", json={"cost": 1, "fqdn": "new.example", "portRangeStart": 70000})
    assert bad.status_code == 400 and bad.json() == {"error": "portRangeStart must be an integer between 1 and 65535"}
    assert sandbox.state.nodes[2] == before
    made = client.post("/api/nodes", json={"name": "half", "url": "https://h:8080", "token": "t", "fqdn": "h.example",
                                           "portRangeStart": 9000, "portRangeEnd": 8000})
    assert made.status_code == 400
    row = next(n for n in sandbox.state.nodes.values() if n["name"] == "half")
    assert row["fqdn"] is None and row["portRangeStart"] is None and row["token"] == "t"


def test_server_counts_follow_every_page(cli: Any, sandbox: Any) -> None:
    # /api/admin/servers pages 50 at a time and its rows have no `id`: every page must be read
    template = next(c for c in sandbox.state.servers.values() if c["nodeId"] == 3)
    base = cli("nodes", "list", "-o", "json").json()
    before = {n["id"]: n["serverCount"] for n in base}
    for i in range(120):
        uuid = f"00000000-0000-4000-8000-{i:012d}"
        sandbox.state.servers[uuid] = {**template, "uuid": uuid}
    after = {n["id"]: n["serverCount"] for n in cli("nodes", "list", "-o", "json").json()}
    assert after[3] == before[3] + 120 and after[1] == before[1]
