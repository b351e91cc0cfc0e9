"""search, stats, soc against the sandbox panel (docs/panel/search.md)."""

from __future__ import annotations

import re
from typing import Any

import pytest

BOGUS = "0" * 64


def _emails(sandbox: Any) -> list[str]:
    return [u["email"] for u in sandbox.state.users.values() if u.get("email")]


def _requests(sandbox: Any, prefix: str) -> list[Any]:
    return [r for r in sandbox.requests if r[1].startswith(prefix)]


@pytest.mark.parametrize("args,examples", [(("search",), True), (("stats",), True), (("soc",), False),
                                           (("soc", "overview"), True), (("soc", "usage"), False),
                                           (("soc", "usage", "user"), True), (("soc", "usage", "org"), True)])
def test_help(cli: Any, args: tuple[str, ...], examples: bool) -> None:
    r = cli(*args, "--help", key=None, url=None)
    assert r.exit_code == 0 and "Usage" in r.stdout
    assert ("Examples" in r.stdout) == examples


# -- search ----------------------------------------------------------------------------------

def test_search_json_is_one_object_keyed_by_type(cli: Any, sandbox: Any) -> None:
    r = cli("search", "root", "-o", "json")
    assert r.exit_code == 0, r
    body = r.json()
    assert set(body) == {"users", "orgs", "servers", "orders"}
    assert [u["id"] for u in body["users"]] == [1] and body["users"][0]["email"] == "root@example.com"
    # full User rows, but the secrets are always stripped
    assert "billingCity" in body["users"][0]
    assert not {"passwordHash", "sessions", "twoFactorSecret"} & set(body["users"][0])
    assert body["orgs"] == [] and body["orders"] == []


def test_search_names_never_match_and_warn(cli: Any, sandbox: Any) -> None:
    user = sandbox.state.users[5]
    r = cli("search", user["firstName"], user["lastName"] if " " not in user["lastName"] else "Smith",
            "--type", "users", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json() == {"users": []}
    r = cli("search", "Anna", "Müller", "-o", "json")
    assert "encrypted" in r.stderr and "looks like a person's name" in r.stderr
    r = cli("search", "root@example.com", "-o", "json")
    assert r.exit_code == 0 and "encrypted" not in r.stderr


def test_search_digits_match_ids_and_order_owner(cli: Any, sandbox: Any) -> None:
    r = cli("search", "2", "--type", "users,orgs,orders", "-o", "json")
    assert r.exit_code == 0, r
    body = r.json()
    assert [u["id"] for u in body["users"]] == [2] and [o["id"] for o in body["orgs"]] == [2]
    expected = {o["id"] for o in sandbox.state.orders.values() if 2 in (o["id"], o["userId"])}
    assert {o["id"] for o in body["orders"]} == expected and expected
    assert "servers" not in body
    # orders: the full Order row shape, newest first
    assert {"paymentMethod", "cryptoAddress", "billingType", "lifetimeGraceEndsAt"} <= set(body["orders"][0])
    created = [o["createdAt"] for o in body["orders"]]
    assert created == sorted(created, reverse=True)


def test_search_orgs_and_servers(cli: Any, sandbox: Any) -> None:
    body = cli("search", "NORTH", "-o", "json").json()
    assert [o["handle"] for o in body["orgs"]] == ["northwind"]
    assert set(body["orgs"][0]) == {"id", "name", "handle", "ownerId", "portalTier", "planId", "status",
                                    "expiresAt", "isStaff", "avatarUrl", "createdAt"}
    body = cli("search", "lobby", "--type", "servers", "-o", "json").json()
    assert [s["name"] for s in body["servers"]] == ["lobby-1"]
    assert {"uuid", "status", "nodeName", "nodeId", "eggId"} <= set(body["servers"][0])


def test_search_unreachable_node_and_config_only_servers(cli: Any, sandbox: Any) -> None:
    cfg = next(c for c in sandbox.state.servers.values() if c["name"] == "lobby-1")
    sandbox.state.offline_nodes.add(cfg["nodeId"])
    row = cli("search", "lobby", "--type", "servers", "-o", "json").json()["servers"][0]
    assert row["status"] == "unknown" and row["resources"] is None and row["userId"] == cfg["userId"]
    ark = cli("search", "ark-island", "--type", "servers", "-o", "json").json()["servers"][0]
    assert ark["status"] == "hibernated" and ark["hibernated"] is True


def test_search_limit_and_empty_query(cli: Any, sandbox: Any) -> None:
    body = cli("search", "-o", "json").json()
    assert len(body["users"]) == 20 and [u["id"] for u in body["users"]] == sorted(u["id"] for u in body["users"])
    assert ("GET", "/api/admin/search", 200) in sandbox.requests  # no `q` sent for an empty query
    body = cli("search", "example", "--limit", "3", "-o", "json").json()
    assert len(body["users"]) == 3


def test_search_ids_are_type_prefixed(cli: Any, sandbox: Any) -> None:
    r = cli("search", "2", "-o", "ids")
    assert r.exit_code == 0, r
    lines = r.stdout.splitlines()
    assert "users:2" in lines and "orgs:2" in lines and any(l.startswith("orders:") for l in lines)
    assert all(re.match(r"^(users|orgs|servers|orders):\S+$", l) for l in lines)
    servers = [l.split(":", 1)[1] for l in lines if l.startswith("servers:")]
    assert servers and all(s in sandbox.state.servers or s not in ("", "None") for s in servers)


def test_search_table_per_type_and_tsv_type_column(cli: Any) -> None:
    r = cli("search", "2", tty=True)
    assert r.exit_code == 0, r
    for title in ("Users (1)", "Organisations (1)", "Servers (", "Orders ("):
        assert title in r.stdout
    r = cli("search", "2")
    kinds = {line.split("\t", 1)[0] for line in r.stdout.splitlines()}
    assert kinds == {"users", "orgs", "servers", "orders"}
    r = cli("search", "zzz-nothing")
    assert r.exit_code == 0 and r.stdout == "" and "no matches" in r.stderr


@pytest.mark.parametrize("bad", ["foo", "users,nope", ","])
def test_search_bad_type_is_usage_error_before_any_request(cli: Any, sandbox: Any, bad: str) -> None:
    r = cli("search", "x", "--type", bad)
    assert r.exit_code == 2 and "--type" in r.stderr
    assert not _requests(sandbox, "/api/admin/search")


def test_search_type_aliases(cli: Any) -> None:
    body = cli("search", "north", "--type", "organisations", "-o", "json").json()
    assert list(body) == ["orgs"] and body["orgs"]


def test_search_forbidden(cli: Any, sandbox: Any) -> None:
    r = cli("search", "root", key="plain")
    assert r.exit_code == 5 and "Insufficient permissions" in r.stderr
    r = cli("search", "root", key="staff_client")  # A passes on the key's list, PAGE needs a root owner
    assert r.exit_code == 5 and "Admin page access required" in r.stderr
    assert cli("search", "root", key=BOGUS).exit_code == 4


def _embed_emails(sandbox: Any) -> None:
    """Put a user's e-mail into a field of every type, to prove --redact masks all four."""
    state = sandbox.state
    email = state.users[2]["email"]
    state.organisations[1]["avatarUrl"] = f"https://cdn.example.com/{email}.png"
    cfg = next(c for c in state.servers.values() if c["name"] == "lobby-1")
    for live in state.wings_servers[cfg["nodeId"]].values():
        if live["uuid"] == cfg["uuid"]:
            live["environment"] = {"ADMIN_EMAIL": email}
    for order in state.orders.values():
        order["notes"] = f"contact {email}"


@pytest.mark.parametrize("query,kind", [("example", "users"), ("north", "orgs"), ("lobby", "servers"),
                                        ("user@example.com", "orders")])
@pytest.mark.parametrize("fmt", ["json", "tsv", "jsonl"])
def test_search_redact_masks_every_type(cli: Any, sandbox: Any, query: str, kind: str, fmt: str) -> None:
    _embed_emails(sandbox)
    plain = cli("search", query, "--type", kind, "-o", "json")
    rows = plain.json()[kind]
    assert rows, plain
    cols = {"users": "id,email", "orgs": "id,avatarUrl", "servers": "uuid,configuration.environment",
            "orders": "id,notes,paymentTxId"}[kind]
    args = ("--columns", cols) if fmt == "tsv" else ()
    unmasked = cli("search", query, "--type", kind, "-o", fmt, *args)
    assert any(e in unmasked.stdout for e in _emails(sandbox)), unmasked
    r = cli("search", query, "--type", kind, "-o", fmt, "--redact", *args)
    assert r.exit_code == 0, r
    leaked = [e for e in _emails(sandbox) if e in r.stdout]
    assert not leaked and r.stdout.strip()
    assert "203.0.113.1" not in r.stdout and "rcon-" not in r.stdout and "tx_0" not in r.stdout


def test_search_redact_orgs_and_servers_names(cli: Any) -> None:
    r = cli("--redact-orgs", "search", "north", "-o", "json")
    assert r.exit_code == 0, r
    org = r.json()["orgs"][0]
    assert "Northwind" not in r.stdout and org["name"] == "N. H."
    r = cli("--redact-servers", "search", "lobby", "--type", "servers", "-o", "json")
    server = r.json()["servers"][0]
    assert "lobby-1" not in r.stdout and server["uuid"]


# -- stats -----------------------------------------------------------------------------------

def test_stats_json_has_stats_and_counts(cli: Any, sandbox: Any) -> None:
    r = cli("stats", "-o", "json")
    assert r.exit_code == 0, r
    body = r.json()
    assert body["stats"]["totalUsers"] == len(sandbox.state.users)
    assert body["stats"]["totalOrganisations"] == len(sandbox.state.organisations)
    assert body["stats"]["fraudAlerts"] == sum(1 for u in sandbox.state.users.values() if u.get("fraudFlag"))
    assert set(body["counts"]) == {"kycPending", "studentPending", "ticketsOpen", "fraudUsers", "ordersPending",
                                   "socAlerts"}
    assert body["stats"]["pendingTickets"] == 0 and "undercount" in r.stderr  # new tickets are `opened`
    assert isinstance(body["stats"]["avgTicketResponseMs"], int)


def test_stats_counts_follow_state(cli: Any, sandbox: Any) -> None:
    before = cli("stats", "--counts-only", "-o", "json").json()
    order = next(o for o in sandbox.state.orders.values() if o.get("status") != "payment_sent")
    order["status"] = "payment_sent"
    ticket = next(t for t in sandbox.state.tickets.values() if t.get("status") != "open")
    ticket["status"] = "open"
    body = cli("stats", "--counts-only", "-o", "json").json()
    assert body["ordersPending"] == before["ordersPending"] + 1
    assert body["ticketsOpen"] == before["ticketsOpen"] + 1
    assert not _requests(sandbox, "/api/admin/stats")


def test_stats_table(cli: Any) -> None:
    r = cli("stats", tty=True)
    assert r.exit_code == 0 and "stats.totalServers" in r.stdout and "counts.kycPending" in r.stdout


def test_stats_forbidden_and_counts_without_admin_access(cli: Any) -> None:
    assert cli("stats", key="plain").exit_code == 5
    r = cli("stats", "--counts-only", key="plain")
    assert r.exit_code == 5 and "Admin page access required" in r.stderr
    # a root-owned client key with no permissions: counts has no A(admin:access), stats has
    assert cli("stats", "--counts-only", "-o", "json", key="root_client").exit_code == 0
    r = cli("stats", key="root_client")
    assert r.exit_code == 5 and "Insufficient permissions" in r.stderr


# -- soc overview ----------------------------------------------------------------------------

def _own_soc_row(sandbox: Any) -> str:
    """Give user 2 (the plain key's owner) a server with SOC rows; returns its UUID."""
    state = sandbox.state
    cfg = next(c for c in state.servers.values() if c["name"] == "lobby-1")
    cfg["userId"] = 2
    for n in range(2):
        rid = max(state.soc_data) + 1
        state.soc_data[rid] = {"id": rid, "serverId": cfg["uuid"], "metrics": {"cpu": n, "src": "198.51.100.7"},
                               "timestamp": f"2030-01-01T00:00:0{n}.000Z"}
    return cfg["uuid"]


def test_soc_overview_admin_and_user_views(cli: Any, sandbox: Any) -> None:
    uuid = _own_soc_row(sandbox)
    rows = cli("soc", "overview", "-o", "json").json()
    assert len(rows) == min(500, len(sandbox.state.soc_data))
    assert rows[0]["serverId"] == uuid and set(rows[0]) == {"id", "serverId", "metrics", "timestamp"}
    mine = cli("soc", "overview", "-o", "json", key="plain").json()
    assert mine and {r["serverId"] for r in mine} == {uuid}
    assert cli("soc", "overview", "-o", "json", key="staff_client").json() == []


def test_soc_overview_filters_summary_and_redaction(cli: Any, sandbox: Any) -> None:
    uuid = _own_soc_row(sandbox)
    rows = cli("soc", "overview", "--server", uuid.replace("-", "").upper(), "-o", "json").json()
    assert {r["serverId"] for r in rows} == {uuid} and len(rows) >= 2
    assert len(cli("soc", "overview", "-n", "5", "-o", "json").json()) == 5
    summary = cli("soc", "overview", "--by-server", "-o", "json").json()
    assert summary[0]["rows"] >= summary[-1]["rows"] and sum(s["rows"] for s in summary) == len(
        sandbox.state.soc_data)
    r = cli("soc", "overview", "--server", uuid, "--redact", "-o", "json")
    assert "198.51.100.7" not in r.stdout and r.json()[0]["metrics"]["src"] == "•••"
    assert cli("soc", "overview", "--server", "-", "-o", "json").exit_code == 2


def test_soc_overview_needs_login(cli: Any) -> None:
    assert cli("soc", "overview", key=BOGUS).exit_code == 4


# -- soc usage -------------------------------------------------------------------------------

def test_soc_usage_empty_by_default_with_note(cli: Any) -> None:
    r = cli("soc", "usage", "user", "1", "-o", "json")
    assert r.exit_code == 0 and r.json() == [] and "nearly always empty" in r.stderr


def test_soc_usage_groups_normalised_paths(cli: Any, sandbox: Any) -> None:
    log = sandbox.state.api_request_log
    for n, url in enumerate(["https://backend.example.com/api/admin/users/5?q=a@b.test",
                             "https://backend.example.com/api/admin/users/7", "/api/servers/2efc4e15-c2ff-4e92-"
                             "9736-96dec5ecece7/power", "https://backend.example.com/api/admin/users/5?q=a@b.test"]):
        log[n + 1] = {"id": n + 1, "endpoint": url, "userId": 9, "organisationId": 3}
    import httpx

    client = httpx.Client(transport=sandbox.transport(), base_url="http://sandbox.test")
    raw = client.get("/api/soc/usage/user/9", headers={"X-API-Key": sandbox.keys["plain"]}).json()
    assert sorted(row["count"] for row in raw) == ["1", "1", "2"]  # COUNT(*) as a string, full URLs
    rows = cli("soc", "usage", "user", "9", "-o", "json").json()
    assert rows == [{"endpoint": "/api/admin/users/:id", "count": 3}, {"endpoint": "/api/servers/:id/power",
                                                                         "count": 1}]
    org = cli("soc", "usage", "org", "3", "--raw", "-o", "json").json()
    assert len(org) == 3 and sum(r["count"] for r in org) == 4
    assert cli("soc", "usage", "org", "4", "-o", "json").json() == []
    # any logged-in key may read it (no permission check on the panel)
    assert cli("soc", "usage", "user", "9", "-o", "json", key="plain").json()[0]["count"] == 3


@pytest.mark.parametrize("args", [("user", "abc"), ("org", "1.5"), ("org", "3x")])
def test_soc_usage_bad_id(cli: Any, sandbox: Any, args: tuple[str, str]) -> None:
    r = cli("soc", "usage", *args)
    assert r.exit_code == 2 and ("numbers" in r.stderr or "expected a user id or e-mail" in r.stderr)
    assert not _requests(sandbox, "/api/soc/usage")
