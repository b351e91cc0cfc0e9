"""End to end over real HTTP: the two riskiest writes of the mailbox and payment-method tabs.

`mailboxes purge-from` deletes mail for good in every mailbox of the panel; `payment-methods`
replaces the panel's whole list on each write. The installed binary runs against the sandbox.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.e2e.test_binary import base_env, run

pytestmark = pytest.mark.e2e
SPAM = "spam-king@bulk.example.biz"


@pytest.fixture
def server() -> Iterator[Any]:
    from eclictl.sandbox import Sandbox

    panel = Sandbox(seed=0, rate_limit=None)
    handle = panel.serve(port=0)
    try:
        yield panel, handle
    finally:
        handle.close()


def _posts(panel: Any, path: str) -> int:
    return sum(1 for q in panel.requests if q[0] == "POST" and q[1] == path)


def test_purge_from_refuses_partial_addresses_then_purges_every_mailbox(server: Any, tmp_path: Path) -> None:
    panel, handle = server
    env = base_env(tmp_path, handle.url, panel.keys["admin"])
    r = run(["mailboxes", "purge-from", "bulk.example.biz", "--yes", "--confirm-address", "bulk.example.biz"], env)
    assert r.returncode == 2 and "full e-mail address" in r.stderr
    r = run(["mailboxes", "purge-from", SPAM, "--yes"], env)  # no terminal to type the address again
    assert r.returncode == 2
    assert _posts(panel, "/api/admin/company-mailboxes/purge-from") == 0
    matching = [m for m in panel.state.mail_messages.values() if SPAM in m["fromAddress"]]
    customers = {m["userId"] for m in matching if m["userId"] > 0}
    assert customers  # the purge reaches customers' mailboxes, which the preview cannot show
    r = run(["mailboxes", "purge-from", SPAM, "--yes", "--confirm-address", SPAM.upper(), "-o", "json"], env)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["deleted"] == len(matching) and out["failed"] == 0 and out["previewed"] < len(matching)
    assert not [m for m in panel.state.mail_messages.values() if SPAM in m["fromAddress"]]
    assert _posts(panel, "/api/admin/company-mailboxes/purge-from") == 1


def _session(panel: Any, tmp_path: Path, url: str) -> dict[str, str]:
    from eclictl.sandbox.routes.core import start_session

    env = base_env(tmp_path, url, None)
    env["ECLICTL_TOKEN"] = start_session(panel.state, panel.state.users[1])["token"]
    return env


def test_payment_import_replaces_the_whole_list(server: Any, tmp_path: Path) -> None:
    panel, handle = server
    r = run(["payment-methods", "list"], base_env(tmp_path, handle.url, panel.keys["admin"]))
    assert r.returncode == 4 and "login session" in r.stderr
    env = _session(panel, tmp_path, handle.url)
    keep = dict(panel.state.payment_methods[0], label="Bitcoin (on-chain)")
    src = tmp_path / "methods.json"
    src.write_text(json.dumps({"methods": [keep]}))
    r = run(["payment-methods", "import", str(src), "--yes", "-o", "json"], env)
    assert r.returncode == 0, r.stderr
    changes = {(c["id"], c["change"]) for c in json.loads(r.stdout)["changes"]}
    assert changes == {("btc", "changed"), ("paypal", "removed"), ("sepa", "removed")}
    assert panel.state.payment_methods == [keep]


def test_payment_write_refused_when_list_changed_between_reads(server: Any, tmp_path: Path) -> None:
    panel, handle = server
    env = _session(panel, tmp_path, handle.url)
    before = [dict(m) for m in panel.state.payment_methods]
    other = {"methods": before[:2]}  # what another admin left on the panel meanwhile
    panel.inject_fault(method="GET", path="/api/admin/payment-methods", status=200, body=other, after=1)
    r = run(["payment-methods", "disable", "btc", "--yes"], env)
    assert r.returncode == 7, r.stderr
    assert "changed on the panel since it was read" in r.stderr
    assert _posts(panel, "/api/admin/payment-methods") == 0
    assert panel.state.payment_methods == before
