"""`eclictl transfers` against the sandbox panel (docs/panel/transfers.md)."""

from __future__ import annotations

from typing import Any


def _moving(sandbox: Any) -> dict[str, Any]:
    return next(c for c in sandbox.state.servers.values() if c["uuid"] in sandbox.state.wings_transfers)


def _idle(sandbox: Any, node_id: int = 1) -> dict[str, Any]:
    return next(c for c in sandbox.state.servers.values() if c["nodeId"] == node_id
                and c.get("destinationNodeId") is None and not c.get("hibernated"))


def _gets(sandbox: Any, uuid: str) -> int:
    return sum(1 for q in sandbox.requests if q[0] == "GET" and q[1] == f"/api/servers/v1/{uuid}/transfer")


def test_list_every_node_with_names_and_no_progress_poll(cli: Any, sandbox: Any) -> None:
    r = cli("transfers", "list", "-o", "json")
    assert r.exit_code == 0, r
    rows = r.json()
    flagged = {c["uuid"] for c in sandbox.state.servers.values() if c.get("destinationNodeId") is not None}
    assert {row["uuid"] for row in rows} == flagged and len(rows) == len(flagged)
    row = rows[0]
    assert row["fromName"] == sandbox.state.nodes[row["nodeId"]]["name"]
    assert row["toName"] == sandbox.state.nodes[row["destinationNodeId"]]["name"]
    assert not any("/transfer" in q[1] and q[1].startswith("/api/servers/v1/") for q in sandbox.requests)
    r = cli("transfers", "list", "--node", sandbox.state.nodes[row["destinationNodeId"]]["name"], "-o", "json")
    assert r.exit_code == 0 and row["uuid"] in {x["uuid"] for x in r.json()}
    r = cli("--redact=all", "transfers", "list", "-o", "json")
    assert row["name"] not in r.stdout


def test_list_surfaces_403_instead_of_an_empty_list(cli: Any) -> None:
    r = cli("transfers", "list", key="staff_client")
    assert r.exit_code == 5, r


def test_start_shows_node_before_and_after_and_flags(cli: Any, sandbox: Any) -> None:
    cfg = _idle(sandbox)
    r = cli("transfers", "start", cfg["uuid"], "--to", "node-ams-2")
    assert r.exit_code == 2 and "--yes" in r.stderr and cfg["destinationNodeId"] is None
    r = cli("transfers", "start", cfg["uuid"], "--to", "node-ams-2", "--streams", "4", "--yes", "-o", "json")
    assert r.exit_code == 0, r
    out = r.json()
    assert out["nodeBefore"] == 1 and out["nodeAfter"] == 1 and out["destinationAfter"] == 2
    assert out["answer"] == {"accepted": True}
    assert "before: node 1 (node-fra-1)" in r.stderr and "flagged for node 2 (node-ams-2)" in r.stderr
    assert cfg["uuid"] in sandbox.state.wings_transfers and _gets(sandbox, cfg["uuid"]) == 0
    r = cli("transfers", "start", cfg["uuid"], "--to", "2", "--yes")
    assert r.exit_code == 7 and "Server is already being transferred" in r.stderr


def test_failed_start_leaves_flag_and_says_so(cli: Any, sandbox: Any) -> None:
    cfg = _idle(sandbox)
    sandbox.state.offline_nodes.add(1)
    r = cli("transfers", "start", cfg["uuid"], "--to", "2", "--yes")
    assert r.exit_code == 1, r
    assert cfg["destinationNodeId"] == 2  # the panel does not revert it
    assert "kept the transfer flag" in r.stderr


def test_bad_input_is_one_line(cli: Any, sandbox: Any) -> None:
    cfg = _idle(sandbox)
    r = cli("transfers", "start", cfg["uuid"], "--to", "node-nowhere", "--yes")
    assert r.exit_code == 2 and "no node 'node-nowhere'" in r.stderr
    r = cli("transfers", "start", cfg["uuid"], "--to", "1", "--yes")
    assert r.exit_code == 7 and "Cannot transfer server to the same node" in r.stderr
    r = cli("transfers", "start", "no-such-uuid", "--to", "2", "--yes")
    assert r.exit_code == 6


def test_cancel_then_progress_records_a_move_that_never_happened(cli: Any, sandbox: Any) -> None:
    """The upstream trap, reproduced: cancel, then one poll moves the server in the panel."""
    cfg = _moving(sandbox)
    source, dest = cfg["nodeId"], cfg["destinationNodeId"]
    r = cli("transfers", "cancel", cfg["uuid"], "--yes")
    assert r.exit_code == 0, r
    assert cfg["nodeId"] == source and cfg["destinationNodeId"] == dest  # cancel only told Wings
    assert "do not poll" in r.stderr or "check the node first" in r.stderr
    assert _gets(sandbox, cfg["uuid"]) == 0
    r = cli("transfers", "progress", cfg["uuid"], "-o", "json")
    assert r.exit_code == 0, r
    out = r.json()
    assert out["nodeBefore"] == source and out["nodeAfter"] == dest and out["progress"] is None
    assert "recorded the server as moved" in r.stderr
    assert _gets(sandbox, cfg["uuid"]) == 1


def test_progress_while_running_reports_percent_from_nested_object(cli: Any, sandbox: Any) -> None:
    cfg = _moving(sandbox)
    r = cli("transfers", "progress", cfg["uuid"], "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["percent"] == 33.3 and r.json()["nodeAfter"] == r.json()["nodeBefore"]


def test_cancel_when_wings_has_no_transfer_is_reported(cli: Any, sandbox: Any) -> None:
    stale = next(c for c in sandbox.state.servers.values()
                 if c.get("destinationNodeId") is not None and c["uuid"] not in sandbox.state.wings_transfers)
    r = cli("transfers", "cancel", stale["uuid"], "--yes")
    assert r.exit_code == 8, r
    assert "not currently being transferred" in r.stdout + r.stderr


def test_start_node_counts_and_lists_flagged(cli: Any, sandbox: Any) -> None:
    on_three = [c["uuid"] for c in sandbox.state.servers.values()
                if c["nodeId"] == 3 and c.get("destinationNodeId") is None]
    r = cli("transfers", "start-node", "node-nyc-3", "--to", "1", "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["affected"] == len(on_three) and sorted(r.json()["flagged"]) == sorted(on_three)
    r = cli("transfers", "start-node", "3", "--to", "3", "--yes")
    assert r.exit_code == 7 and "Cannot transfer to the same node" in r.stderr


def test_start_node_warns_about_failures_left_flagged(cli: Any, sandbox: Any) -> None:
    sandbox.state.offline_nodes.add(3)
    r = cli("transfers", "start-node", "3", "--to", "1", "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["affected"] == 0 and r.json()["flagged"]
    assert "stay flagged" in r.stderr


def test_web_link(cli: Any) -> None:
    r = cli("transfers", "list", "--web")
    assert r.exit_code == 0 and "tab=transfers" in r.stdout
