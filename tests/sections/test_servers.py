"""`eclictl servers` against the sandbox panel (docs/panel/servers.md)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def disable_feature(sandbox: Any) -> Any:
    """Switch a panel feature flag off in the sandbox's settings (docs/panel/settings.md#feature-flags)."""

    def off(name: str) -> None:
        sandbox.state.settings.setdefault("featureToggles", {})[name] = False

    return off


def by_name(sandbox: Any, name: str) -> dict[str, Any]:
    return next(c for c in sandbox.state.servers.values() if c["name"] == name)


def live(sandbox: Any, cfg: dict[str, Any]) -> dict[str, Any] | None:
    return sandbox.state.wings_servers.get(cfg["nodeId"], {}).get(cfg["uuid"])


def node_name(sandbox: Any, cfg: dict[str, Any]) -> str:
    return sandbox.state.nodes[cfg["nodeId"]]["name"]


# -- list / show ------------------------------------------------------------------------------

def test_help_lists_every_verb(cli: Any) -> None:
    r = cli("servers", "--help", key=None, url=None)
    assert r.exit_code == 0
    for verb in ("list", "show", "create", "edit", "delete", "suspend", "unsuspend", "power", "throttle",
                 "dedicated-ip", "mounts", "abuse-reports", "sync", "mark-started"):
        assert verb in r.stdout


def test_list_json_has_live_and_db_items(cli: Any, sandbox: Any) -> None:
    r = cli("servers", "list", "--all", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    uuids = {row["uuid"] for row in rows}
    assert set(sandbox.state.servers) <= uuids  # plus the Wings orphan
    assert len(rows) == len(sandbox.state.servers) + 1
    ark = next(row for row in rows if row["name"] == "ark-island")
    assert ark["status"] == "hibernated" and ark["resources"] is None and "userId" in ark
    rust = next(row for row in rows if row["name"] == "rust-weekly")
    assert rust["status"] == "suspended" and rust["is_suspended"] is True and "utilization" in rust


def test_list_filters_and_tsv(cli: Any, sandbox: Any) -> None:
    r = cli("servers", "list", "--suspended", "-o", "ids")
    assert r.exit_code == 0, r
    assert r.stdout.split() == [by_name(sandbox, "rust-weekly")["uuid"]]
    r = cli("servers", "list", "-q", "lobby")
    lines = r.stdout.splitlines()
    assert len(lines) == 1 and lines[0].split("\t")[1] == "lobby-1"


def test_offline_node_lists_servers_as_unavailable(cli: Any, sandbox: Any) -> None:
    cfg = by_name(sandbox, "lobby-1")
    sandbox.state.offline_nodes.add(cfg["nodeId"])
    r = cli("servers", "list", "--status", "unavailable", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    assert rows and all(row["nodeId"] == cfg["nodeId"] for row in rows)
    assert cfg["uuid"] in {row["uuid"] for row in rows}


def test_show_by_uuid_and_name(cli: Any, sandbox: Any) -> None:
    cfg = by_name(sandbox, "survival-eu")
    a = cli("servers", "show", cfg["uuid"], "-o", "json")
    b = cli("servers", "show", "survival-eu", "-o", "json")
    assert a.exit_code == b.exit_code == 0, (a, b)
    assert a.json()["uuid"] == b.json()["uuid"] == cfg["uuid"]
    assert a.json()["memory"] == cfg["memory"]
    r = cli("servers", "show", "no-such-server")
    assert r.exit_code == 6 and "no-such-server" in r.stderr


def test_redact_masks_server_names_owner_and_secrets(cli: Any, sandbox: Any) -> None:
    cfg = by_name(sandbox, "rust-weekly")
    r = cli("--redact=all", "servers", "show", cfg["uuid"], "-o", "json")
    assert r.exit_code == 0, r
    data = r.json()
    assert data["name"] != "rust-weekly" and data["suspendedBy"] != "Mara Lindqvist"
    assert "rcon-" not in r.stdout  # environment values may hold passwords
    r = cli("--redact=all", "servers", "list", "-q", "rust", tty=True)
    assert r.exit_code == 0 and "rust-weekly" not in r.stdout and cfg["uuid"][:8] in r.stdout
    assert "R." in r.stdout  # the masked name keeps rows distinguishable
    r = cli("servers", "list", "-q", "rust", "-o", "json", "--redact")  # PII only: names stay
    assert "rust-weekly" in r.stdout


def test_plain_key_is_refused(cli: Any) -> None:
    r = cli("servers", "list", key="plain")
    assert r.exit_code == 5
    assert r.stderr.startswith("error:") and "Traceback" not in r.stderr


# -- create / edit / delete -------------------------------------------------------------------

def test_create_parses_sizes_and_reports_the_server(cli: Any, sandbox: Any) -> None:
    before = set(sandbox.state.servers)
    r = cli("servers", "create", "--node", "2", "--owner", "5", "--name", "new-box", "--memory", "2G",
            "--disk", "20G", "--cpu", "1.5 cores", "-o", "json")
    assert r.exit_code == 0, r
    (new,) = set(sandbox.state.servers) - before
    cfg = sandbox.state.servers[new]
    assert (cfg["memory"], cfg["disk"], cfg["cpu"], cfg["userId"], cfg["nodeId"]) == (2048, 20480, 150, 5, 2)
    assert r.json()["uuid"] == new and new in sandbox.state.wings_servers[2]
    assert "no ports are assigned" in r.stderr


def test_create_on_offline_node_is_rolled_back(cli: Any, sandbox: Any) -> None:
    sandbox.state.offline_nodes.add(2)
    before = dict(sandbox.state.servers)
    r = cli("servers", "create", "--node", "2", "--name", "x")
    assert r.exit_code == 1 and "Unable to connect" in r.stderr
    assert sandbox.state.servers == before
    r = cli("servers", "create", "--node", "99")
    assert r.exit_code == 6 and "Node not found" in r.stderr


def test_edit_merges_environment_and_limits(cli: Any, sandbox: Any) -> None:
    cfg = by_name(sandbox, "paper-test")
    r = cli("servers", "edit", "paper-test", "--memory", "4096", "--env", "MOTD=hello", "--unset-env",
            "SERVER_MEMORY", "--allocation", "203.0.113.9:30000=play.example.net", "-o", "json")
    assert r.exit_code == 0, r
    assert cfg["memory"] == 4096
    assert cfg["environment"]["MOTD"] == "hello" and "SERVER_MEMORY" not in cfg["environment"]
    assert "RCON_PASSWORD" in cfg["environment"]  # merged, not replaced
    assert cfg["allocations"]["default"] == {"ip": "203.0.113.9", "port": 30000}
    assert r.json()["memory"] == 4096


def test_edit_dry_run_and_bad_input(cli: Any, sandbox: Any) -> None:
    cfg = by_name(sandbox, "paper-test")
    r = cli("servers", "edit", cfg["uuid"], "--cpu", "300", "--dry-run", "-o", "json")
    assert r.exit_code == 0 and r.json()["body"] == {"cpu": 300} and cfg["cpu"] != 300
    assert cli("servers", "edit", cfg["uuid"]).exit_code == 2
    r = cli("servers", "edit", cfg["uuid"], "--threads", "abc")
    assert r.exit_code == 7 and "Invalid cpu value" in r.stderr
    r = cli("servers", "edit", cfg["uuid"], "--allocation", "nope")
    assert r.exit_code == 2 and "IP:PORT" in r.stderr


def test_edit_refuses_clearing_threads_and_takes_an_owner_email(cli: Any, sandbox: Any) -> None:
    """adminHandler.ts: an empty `threads` becomes undefined, so the old pinning stays (200 all the same)."""
    import httpx

    cfg = by_name(sandbox, "paper-test")
    cfg["threads"] = "0-3"
    for args in (["--threads", ""], ["--set", "threads=null"]):
        r = cli("servers", "edit", cfg["uuid"], *args)
        assert r.exit_code == 2 and "the panel cannot clear threads" in r.stderr, (args, r)
    assert cli("servers", "edit", cfg["uuid"], "--memory", "lots").exit_code == 2
    assert cli("servers", "edit", cfg["uuid"], "--cpu", "2 cpu").exit_code == 2  # the panel would read 2 %
    assert not [q for q in sandbox.requests if q[0] == "PUT"]
    client = httpx.Client(transport=sandbox.transport(), base_url="http://sandbox.test",
                          headers={"Authorization": f"ApiKey {sandbox.keys['admin']}"})
    assert client.put(f"/api/admin/servers/{cfg['uuid']}", json={"threads": ""}).status_code == 200
    assert cfg["threads"] == "0-3"
    owner = next(u for u in sandbox.state.users.values() if u["id"] != cfg.get("userId") and u.get("email"))
    r = cli("servers", "edit", cfg["uuid"], "--owner", owner["email"], "--dry-run", "-o", "json")
    assert r.exit_code == 0 and r.json()["body"] == {"userId": owner["id"]}, r


def test_edit_on_offline_node_warns_that_wings_missed_it(cli: Any, sandbox: Any) -> None:
    cfg = by_name(sandbox, "paper-test")
    sandbox.state.offline_nodes.add(cfg["nodeId"])
    r = cli("servers", "edit", cfg["uuid"], "--name", "paper-2")
    assert r.exit_code == 0, r
    assert cfg["name"] == "paper-2"
    assert f"node {node_name(sandbox, cfg)} is offline" in r.stderr and "Wings was not updated" in r.stderr


def test_delete_needs_yes_and_removes_the_server(cli: Any, sandbox: Any) -> None:
    cfg = by_name(sandbox, "factorio-lan")
    r = cli("servers", "delete", cfg["uuid"])
    assert r.exit_code == 2 and "--yes" in r.stderr and cfg["uuid"] in sandbox.state.servers
    r = cli("servers", "delete", cfg["uuid"], "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert cfg["uuid"] not in sandbox.state.servers and live(sandbox, cfg) is None
    assert r.json()["done"] == 1


def test_delete_on_offline_node_explains(cli: Any, sandbox: Any) -> None:
    cfg = by_name(sandbox, "factorio-lan")
    sandbox.state.offline_nodes.add(cfg["nodeId"])
    r = cli("servers", "delete", cfg["uuid"], "--yes")
    assert r.exit_code == 8
    assert f"node {node_name(sandbox, cfg)} is offline" in r.stdout + r.stderr
    assert cfg["uuid"] in sandbox.state.servers


# -- power / suspend --------------------------------------------------------------------------

def test_power_start_single(cli: Any, sandbox: Any) -> None:
    cfg = next(c for c in sandbox.state.servers.values()
               if live(sandbox, c) and live(sandbox, c)["state"] == "offline" and not c["suspended"])
    r = cli("servers", "power", "start", cfg["uuid"])
    assert r.exit_code == 0, r
    assert live(sandbox, cfg)["state"] == "running" and cfg["desiredPowerState"] is True


def test_power_stop_needs_yes_without_tty(cli: Any, sandbox: Any) -> None:
    cfg = by_name(sandbox, "lobby-1")
    r = cli("servers", "power", "stop", cfg["uuid"])
    assert r.exit_code == 2 and "--yes" in r.stderr
    r = cli("servers", "power", "bogus", cfg["uuid"], "--yes")
    assert r.exit_code == 2


def test_bulk_power_from_stdin_reports_the_failed_item(cli: Any, sandbox: Any) -> None:
    names = ("lobby-1", "survival-eu", "creative-build")
    cfgs = [by_name(sandbox, n) for n in names]
    bad = cfgs[1]["uuid"]
    sandbox.inject_fault(method="POST", path=f"/api/admin/servers/{bad}/power", status=500)
    r = cli("servers", "power", "restart", "-", "--yes", "-o", "json",
            stdin="\n".join(c["uuid"] for c in cfgs) + "\n")
    assert r.exit_code == 8, r
    report = r.json()
    assert (report["done"], report["failed"]) == (2, 1)
    assert [i["item"] for i in report["items"] if i["status"] == "failed"] == [bad]
    assert bad in r.stderr
    assert live(sandbox, cfgs[0])["state"] == "running" and live(sandbox, cfgs[2])["state"] == "running"


def test_power_on_offline_node_says_so(cli: Any, sandbox: Any) -> None:
    cfg = by_name(sandbox, "lobby-1")
    sandbox.state.offline_nodes.add(cfg["nodeId"])
    r = cli("servers", "power", "start", cfg["uuid"])
    assert r.exit_code == 8
    assert f"node {node_name(sandbox, cfg)} is offline; the panel could not reach Wings" in r.stdout + r.stderr


def test_power_refuses_hibernated_server(cli: Any, sandbox: Any) -> None:
    r = cli("servers", "power", "start", "ark-island")
    assert r.exit_code == 8 and "hibernated" in r.stdout


def test_bulk_suspend_from_stdin_with_a_fault(cli: Any, sandbox: Any) -> None:
    cfgs = [by_name(sandbox, n) for n in ("skyblock-2", "bot-musicbox", "terraria-kids")]
    bad = cfgs[2]["uuid"]
    sandbox.inject_fault(method="POST", path=f"/api/admin/servers/{bad}/suspend", status=500)
    r = cli("servers", "suspend", "-", "--reason", "mining", "--yes",
            stdin=" ".join(c["uuid"] for c in cfgs))
    assert r.exit_code == 8, r
    assert "1 failed" in r.stderr and bad in r.stderr
    assert cfgs[0]["suspended"] and cfgs[0]["suspendedReason"] == "mining" and cfgs[1]["suspended"]
    assert not cfgs[2]["suspended"]
    assert live(sandbox, cfgs[0])["suspended"] is True
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    assert [row[1] for row in rows] == ["done", "done", "failed"] and "owner notified" in rows[0][2]
    assert any(log.get("action") == "admin:server:suspend" and log.get("targetId") == cfgs[0]["uuid"]
               for log in sandbox.state.user_logs.values())


def test_suspend_dry_run_changes_nothing(cli: Any, sandbox: Any) -> None:
    cfg = by_name(sandbox, "skyblock-2")
    r = cli("servers", "suspend", cfg["uuid"], "--dry-run", "-o", "json")
    assert r.exit_code == 0 and r.json()[0]["action"] == "suspend" and not cfg["suspended"]


def test_suspend_offline_node_and_unsuspend_dmca(cli: Any, sandbox: Any) -> None:
    cfg = by_name(sandbox, "skyblock-2")
    sandbox.state.offline_nodes.add(cfg["nodeId"])
    r = cli("servers", "suspend", cfg["uuid"], "--yes")
    assert r.exit_code == 8 and "is offline" in r.stdout and not cfg["suspended"]
    sandbox.state.offline_nodes.clear()
    r = cli("servers", "suspend", cfg["uuid"], "--dmca", "--reason", "DMCA #77", "--yes")
    assert r.exit_code == 0, r
    assert cfg["dmca"] and cfg["dmcaDeletionAt"]
    r = cli("servers", "unsuspend", cfg["uuid"], "--yes")
    assert r.exit_code == 0, r
    assert not cfg["suspended"] and cfg["dmca"]  # the panel keeps DMCA flags
    assert "DMCA flags remain set" in r.stdout


# -- throttle / dedicated IPs / mark-started --------------------------------------------------

def test_throttle(cli: Any, sandbox: Any) -> None:
    cfg = by_name(sandbox, "lobby-1")
    old = cfg["cpu"]
    r = cli("servers", "throttle", "lobby-1", "--cpu", "10", "--duration", "2h", "-o", "json")
    assert r.exit_code == 0, r
    assert cfg["cpu"] == 10 and r.json()["restoreCpu"] == old and r.json()["durationSeconds"] == 7200
    assert cli("servers", "throttle", "lobby-1", "--cpu", "1").exit_code == 2
    assert cli("servers", "throttle", "lobby-1", "--duration", "soon").exit_code == 2


def test_dedicated_ip_add_and_remove(cli: Any, sandbox: Any) -> None:
    cfg = by_name(sandbox, "web-portfolio")
    r = cli("servers", "dedicated-ip", "add", "web-portfolio", "198.51.100.50", "--fqdn", "web.example.net",
            "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["type"] == "ipv4"
    assert {"ip": "198.51.100.50", "type": "ipv4", "fqdn": "web.example.net"} in cfg["allocations"]["dedicatedIps"]
    r = cli("servers", "dedicated-ip", "add", "web-portfolio", "198.51.100.50")
    assert r.exit_code == 7 and "already assigned" in r.stderr
    r = cli("servers", "dedicated-ip", "remove", "web-portfolio", "198.51.100.50")
    assert r.exit_code == 0, r
    assert cfg["allocations"]["dedicatedIps"] == []
    r = cli("servers", "dedicated-ip", "add", "lobby-1", "198.51.100.51")
    assert r.exit_code == 7 and "KVM" in r.stderr
    assert cli("servers", "dedicated-ip", "add", "lobby-1", "not-an-ip").exit_code == 2


def test_dedicated_ip_feature_disabled_is_exit_9(cli: Any, sandbox: Any, disable_feature: Any) -> None:
    disable_feature("dedicatedIps")
    r = cli("servers", "dedicated-ip", "add", "web-portfolio", "198.51.100.50")
    assert r.exit_code == 9, r
    assert "dedicatedIps" in r.stderr


def test_mark_started(cli: Any, sandbox: Any) -> None:
    cfg = by_name(sandbox, "lobby-1")
    r = cli("servers", "mark-started", "lobby-1", "-o", "json")
    assert r.exit_code == 0, r
    assert cfg["processConfig"]["startup"]["done"] == [" "] and r.json()["success"] is True


# -- abuse reports / mounts / sync ------------------------------------------------------------

def test_abuse_reports_and_redaction(cli: Any, sandbox: Any) -> None:
    r = cli("servers", "abuse-reports", "rust-weekly", "-o", "json")
    assert r.exit_code == 0, r
    reports = r.json()
    assert len(reports) == 2 and {x["detectionType"] for x in reports} == {"cpu_miner", "ddos_outbound"}
    ip = reports[0]["sourceIp"]
    r = cli("servers", "abuse-reports", "rust-weekly", "-o", "json", "--redact")
    assert ip not in r.stdout and r.json()[0]["sourceIp"].endswith(".x")
    r = cli("servers", "abuse-reports", "lobby-1", tty=True)
    assert r.exit_code == 0 and "no abuse reports" in r.stdout


def test_mounts_lifecycle(cli: Any, sandbox: Any) -> None:
    r = cli("servers", "mounts", "create", "--name", "worlds", "--source", "/srv/worlds", "--target",
            "/home/container/worlds", "--read-only", "--egg", "2", "-o", "json")
    assert r.exit_code == 0, r
    mount = r.json()
    assert mount["name"] == "worlds" and mount["read_only"] is True and mount["allowed_eggs"] == [2]
    assert sandbox.state.mounts[mount["id"]]["source"] == "/srv/worlds"
    r = cli("servers", "mounts", "edit", str(mount["id"]), "--writable", "-o", "json")
    assert r.exit_code == 0 and r.json()["read_only"] is False
    r = cli("servers", "mounts", "attach", "lobby-1", str(mount["id"]))
    assert r.exit_code == 0, r
    uuid = by_name(sandbox, "lobby-1")["uuid"]
    assert any(l["serverUuid"] == uuid and l["mountId"] == mount["id"] for l in sandbox.state.server_mounts.values())
    r = cli("servers", "mounts", "attach", "lobby-1", str(mount["id"]))
    assert r.exit_code == 7 and "already attached" in r.stderr
    assert cli("servers", "mounts", "detach", "lobby-1", str(mount["id"])).exit_code == 0
    assert not sandbox.state.server_mounts
    r = cli("servers", "mounts", "list")
    assert "worlds" in r.stdout and "maps" in r.stdout
    assert cli("servers", "mounts", "delete", str(mount["id"]), "--yes").exit_code == 0
    assert mount["id"] not in sandbox.state.mounts
    r = cli("servers", "mounts", "edit", "999", "--name", "x")
    assert r.exit_code == 6


def test_sync_to_and_from_wings(cli: Any, sandbox: Any) -> None:
    cfg = by_name(sandbox, "lobby-1")
    del sandbox.state.wings_servers[cfg["nodeId"]][cfg["uuid"]]
    assert cli("servers", "sync", "to-wings").exit_code == 2
    r = cli("servers", "sync", "to-wings", "--yes", "-o", "json")
    assert r.exit_code == 0 and r.json()["status"] == "queued"
    assert cfg["uuid"] in sandbox.state.wings_servers[cfg["nodeId"]]
    before = len(sandbox.state.servers)
    r = cli("servers", "sync", "from-wings", "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["created"] == 1 and len(sandbox.state.servers) == before + 1
    imported = next(c for c in sandbox.state.servers.values() if c["name"] == "imported-legacy")
    assert imported["memory"] == 1024 and "default limits" in r.stderr


def test_sync_from_wings_with_offline_node_is_partial(cli: Any, sandbox: Any) -> None:
    sandbox.state.offline_nodes.add(3)
    r = cli("servers", "sync", "from-wings", "--yes", "-o", "json")
    assert r.exit_code == 8, r
    assert r.json()["errors"] and sandbox.state.nodes[3]["name"] in r.stderr
