"""The generated `list` verb's options (eclictl/sections/_spec.py): order, panels, the section's own fetch."""

from __future__ import annotations

from typing import Any


from eclictl.output.columns import Col
from eclictl.sections._spec import FILTER_PANEL, Filter, ListOpts, Section, _list_params, group, list_view

DEMO = Section(name="demo", help="Demo.", path="/api/demo", columns=(Col("id"), Col("kind")), tab="demo",
               filters=(Filter("kind", "Only this kind."),
                        Filter("wide", "Show more.", is_flag=True, param="wide", panel=None)))


def _names(opts: ListOpts) -> list[str]:
    return [p.name for p in _list_params(DEMO, opts)]


def test_filters_come_last_unless_asked_first() -> None:
    assert _names(ListOpts()) == ["limit", "all", "web", "kind", "wide"]
    assert _names(ListOpts(filters_first=True)) == ["kind", "wide", "limit", "all", "web"]
    assert _names(ListOpts(limit=None, all=None, web=None, filters_first=True)) == ["kind", "wide"]


def test_a_filter_without_panel_joins_the_general_options() -> None:
    panels = {p.name: p.annotation.__metadata__[0].rich_help_panel for p in _list_params(DEMO, ListOpts())}
    assert panels["kind"] == FILTER_PANEL
    assert panels["wide"] is None


def test_empty_list_says_the_sections_own_words() -> None:
    from dataclasses import replace

    assert list_view(replace(DEMO, empty="nothing to see"), []).empty == "nothing to see"
    assert list_view(DEMO, []).empty == "no demo found"


def test_group_is_added_to_its_parent() -> None:
    parent = group("demo", "Demo.")
    child = group("parts", "Parts.", parent)
    assert [g.typer_instance for g in parent.registered_groups] == [child]
    assert child.info.context_settings == {"help_option_names": ["-h", "--help"]}


def test_tunnel_device_filters_are_exact(cli: Any, sandbox: Any) -> None:
    """The generated tunnels lists keep the hand-written filters: exact kind/status, online, pending, device."""
    r = cli("tunnels", "devices", "list", "--kind", "client", "--offline", "-o", "ids")
    assert r.exit_code == 0, r
    assert r.stdout.split() == ["4", "6", "7"]
    assert cli("tunnels", "devices", "list", "--pending", "-o", "ids").stdout.split() == ["6"]
    assert cli("tunnels", "devices", "list", "--online", "-o", "ids").stdout.split() == ["1", "3", "5"]
    assert cli("tunnels", "devices", "list", "--kind", "Client", "-o", "ids").stdout.split() == []
    server = sandbox.state.tunnel_devices[2]["device_code"]
    r = cli("tunnels", "allocations", "list", "--device", server, "--status", "pending", "-o", "ids")
    assert r.exit_code == 0 and r.stdout.split() == ["3"]
    assert cli("tunnels", "allocations", "list", "--status", "Pending", "-o", "ids").stdout.split() == []


def test_declared_rollout_writes_keep_their_messages(cli: Any, sandbox: Any) -> None:
    """rollouts create/edit are declared fields now: the same refusals, before any request."""
    before = len(sandbox.requests)
    r = cli("rollouts", "create", "--name", "x")
    assert r.exit_code == 2 and "--name and --key are required" in r.stderr
    r = cli("rollouts", "create", "--name", "x", "--key", "k", "--percent", "5", "--range", "0-9")
    assert r.exit_code == 2 and "use either --percent or --range, not both" in r.stderr
    r = cli("rollouts", "edit", "new_dashboard")
    assert r.exit_code == 2 and "nothing to change" in r.stderr and "--active/--inactive" in r.stderr
    r = cli("rollouts", "edit", "new_dashboard", "--key", " ")
    assert r.exit_code == 2 and "--key must not be empty" in r.stderr
    assert len(sandbox.requests) == before
    r = cli("rollouts", "create", "--name", " Spaced ", "--key", "spaced", "--inactive", "-o", "json")
    assert r.exit_code == 0, r
    assert (r.json()["name"], r.json()["active"], r.json()["hashRangeEnd"]) == ("Spaced", False, 9999)
