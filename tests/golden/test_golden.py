"""Golden snapshots: the help screen of every command and the `-o json` answers users script against.

Taken before create/edit became declared fields (eclictl/sections/_fields.py), so a refactor that
changes what a user sees fails here. What is captured, against the seeded sandbox on a fixed clock:

* help/<top>.txt  every help screen of the command tree (rendered 100 columns wide, no colour);
* reads.json      `-o json` of every `list` and `show` verb (show with the first listed id);
* writes.json     one run of every create/edit/set verb (`--dry-run` where the verb has it), in order
                  on one sandbox: exit code, stdout and stderr.

A deliberate change: rerun with `ECLICTL_GOLDEN_UPDATE=1 pytest tests/golden` to rewrite the
snapshots, and review the diff of tests/golden/ like code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.conftest import Result, make_cli

HERE = Path(__file__).parent
UPDATE = os.environ.get("ECLICTL_GOLDEN_UPDATE", "") not in ("", "0")

#: Parent list to take the first id from, for list verbs that need one (command path -> list path).
LIST_ARGS = {
    ("applications", "invites", "list"): ("applications", "forms", "list"),
    ("plans", "prices", "list"): ("plans", "list"),
    ("rollouts", "overrides", "list"): ("rollouts", "list"),
}
#: Show verbs that take no id, or not the list's `id`.
SHOW_ARGS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("metrics", "show"): (),
    ("settings", "show"): (),
    ("profile", "show"): ("golden",),
}
#: Standard input for the writes that read a secret from it.
STDIN = {("databases", "hosts", "create"): "pw-golden\n"}
ID_KEYS = ("id", "uuid", "key", "code", "name")

#: Every create/edit/set verb once; `{group}` is the first id that `group list -o json` answers.
WRITES: tuple[tuple[str, ...], ...] = (
    ("ai", "models", "create", "--name", "golden-model", "--model-id", "gpt-golden", "--endpoint", "https://ai.example/v1"),
    ("ai", "models", "edit", "{ai models}", "--name", "golden-renamed"),
    ("applications", "forms", "create", "--title", "Golden form", "--kind", "staff_application"),
    ("applications", "forms", "edit", "{applications forms}", "--title", "Golden edit", "--dry-run"),
    ("applications", "invites", "create", "{applications forms}", "--label", "golden", "--max-uses", "2"),
    ("databases", "hosts", "create", "--name", "golden-db", "--host", "db.example", "--username", "root",
     "--password", "-", "--port", "3306"),
    ("databases", "hosts", "edit", "{databases hosts}", "--max-databases", "9"),
    ("eggs", "edit", "{eggs}", "--set", "description=golden", "--dry-run"),
    ("geoblock", "add", "KP:2", "--dry-run"),
    ("nodes", "create", "--name", "node-golden", "--url", "https://golden.example:8080", "--generate-token",
     "--dry-run"),
    ("nodes", "edit", "{nodes}", "--fqdn", "golden.example"),
    ("oauth", "create", "--name", "golden-app", "--redirect-uri", "https://app.example/cb", "--scope", "profile"),
    ("oauth", "edit", "{oauth}", "--description", "golden"),
    ("orders", "edit", "{orders}", "--notes", "golden"),
    ("orgs", "edit", "{orgs}", "--name", "Golden Org", "--dry-run"),
    ("orgs", "members", "add", "{orgs}", "3"),
    ("plans", "create", "--name", "Golden", "--type", "paid", "--price", "5", "--memory", "2G"),
    ("plans", "edit", "{plans}", "--description", "golden", "--set", "backups=3"),
    ("plans", "prices", "set", "{plans}", "DE", "4.5"),
    ("roles", "create", "golden-role", "--description", "Golden", "--permission", "users:read"),
    ("rollouts", "create", "--name", "Golden", "--key", "golden_key", "--percent", "10"),
    ("rollouts", "edit", "{rollouts}", "--percent", "20"),
    ("rollouts", "overrides", "add", "{rollouts}", "3"),
    ("servers", "create", "--node", "1", "--owner", "3", "--egg", "1", "--name", "golden-srv", "--memory", "1G"),
    ("servers", "edit", "{servers}", "--memory", "2G", "--dry-run"),
    ("servers", "dedicated-ip", "add", "{servers}", "203.0.113.9"),
    ("servers", "mounts", "create", "--name", "golden-mount", "--source", "/srv/a", "--target", "/mnt/a"),
    ("servers", "mounts", "edit", "{servers mounts}", "--description", "golden"),
    ("settings", "set", "registrationEnabled=false", "--dry-run"),
    ("shorturls", "create", "golden", "https://example.com/golden"),
    ("shorturls", "edit", "{shorturls}", "--target", "https://example.com/edited"),
    ("tickets", "edit", "{tickets}", "--priority", "high"),
    ("tunnels", "devices", "create", "--name", "golden-dev"),
    ("tunnels", "allocations", "edit", "{tunnels allocations}", "--local-port", "8081"),
    ("users", "edit", "{users}", "--set", "firstName=Golden", "--dry-run"),
    ("users", "edit", "{users}", "--set", "phone=null"),
    ("backup-configs", "create", "--disk", "s3"),
    ("backup-configs", "edit", "{backup-configs}", "--description", "golden"),
    ("chat", "channels", "edit", "{chat channels}", "--description", "golden"),
    ("chat", "bans", "add", "--user", "3", "--hours", "1", "--reason", "golden"),
    ("coupons", "create", "--type", "percent", "--value", "10", "--code", "golden"),
    ("coupons", "edit", "{coupons}", "--max-uses", "5"),
    ("elo", "edit", "{elo}", "--score", "1200", "--yes"),
    ("payment-methods", "add", "--type", "crypto", "--label", "Golden", "--dry-run"),  # API keys get 401 here
    ("payment-methods", "edit", "1", "--label", "Golden", "--dry-run"),
    # validation answers are part of the interface too
    ("plans", "create", "--name", "Bad", "--type", "nope"),
    ("nodes", "edit", "{nodes}", "--set", "nope=1"),
    ("shorturls", "edit", "{shorturls}"),
    ("oauth", "create", "--name", "x"),
)


@pytest.fixture
def golden_cli(isolated_config: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """The `cli` fixture on a sandbox seeded and run on a clock that stands still at the seed's time,
    with counted UUIDs."""
    import eclictl.sandbox.handler as handler
    from eclictl.sandbox.state import SEED_EPOCH, State

    import itertools
    import uuid

    counter = itertools.count(1)
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=next(counter), version=4))  # new server UUIDs
    monkeypatch.setattr(handler, "State", lambda seed: State(seed=seed, clock=lambda: SEED_EPOCH))
    sandbox = handler.Sandbox(seed=0, rate_limit=None)
    return make_cli(sandbox, isolated_config)


def _leaves() -> list[Any]:
    from eclictl._reference import _nodes, command_tree

    return [n for n in _nodes(command_tree()) if not n.children]


def _record(result: Result) -> dict[str, Any]:
    out: dict[str, Any] = {"exit": result.exit_code}
    try:
        out["json"] = json.loads(result.stdout) if result.stdout.strip() else None
    except ValueError:
        out["stdout"] = result.stdout.splitlines()
    if result.stderr.strip():
        out["stderr"] = result.stderr.splitlines()
    return out


def _compare(name: str, actual: str) -> None:
    path = HERE / name
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"new snapshot {name} written; rerun")
        return
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        import difflib

        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), name, "now", n=2))
        pytest.fail(f"{name} changed (ECLICTL_GOLDEN_UPDATE=1 rewrites it if intended):\n{diff[:6000]}")


def test_help_of_every_command_is_unchanged() -> None:
    from eclictl._reference import _nodes, command_tree
    from eclictl.helpfmt import render

    by_top: dict[str, list[str]] = {}
    for node in _nodes(command_tree()):
        top = node.path[1] if len(node.path) > 1 else "_root"
        screen = render(node.screen, width=100, color=False)
        by_top.setdefault(top, []).append(f"=== {' '.join(node.path)}\n{screen}")
    assert len(by_top) > 30
    for top, screens in sorted(by_top.items()):
        _compare(f"help/{top}.txt", "".join(screens))


def _first_id(cli: Callable[..., Result], cache: dict[tuple[str, ...], Any], group: tuple[str, ...],
              extra: tuple[str, ...] = ()) -> Any:
    if group not in cache:
        rows = cli(*group, "list", *extra, "-o", "json")
        data = rows.json() if rows.exit_code == 0 and rows.stdout.strip() else None
        if isinstance(data, dict):
            data = next((v for v in data.values() if isinstance(v, list)), None)
        first = data[0] if isinstance(data, list) and data else None
        cache[group] = next((first[k] for k in ID_KEYS if isinstance(first, dict) and first.get(k) is not None),
                            None)
    return cache[group]


def test_json_of_every_list_and_show_is_unchanged(golden_cli: Callable[..., Result]) -> None:
    cli = golden_cli
    cache: dict[tuple[str, ...], Any] = {}
    snap: dict[str, Any] = {}
    for node in _leaves():
        path = tuple(node.path[1:])
        if path[-1] not in ("list", "show"):
            continue
        group = path[:-1]
        if path[-1] == "list":
            extra: tuple[str, ...] = ()
            if path in LIST_ARGS:
                extra = (str(_first_id(cli, cache, LIST_ARGS[path][:-1])),)
            argv = path + extra + ("-o", "json")
        else:
            if path in SHOW_ARGS:
                args = SHOW_ARGS[path]
            else:
                ident = _first_id(cli, cache, group)
                args = (str(ident),) if ident is not None else ()
            argv = path + args + ("-o", "json")
        snap[" ".join(argv)] = _record(cli(*argv))
    assert len(snap) > 60
    assert sum(1 for v in snap.values() if v["exit"] == 0) > 50
    _compare("reads.json", json.dumps(snap, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def test_create_and_edit_answers_are_unchanged(golden_cli: Callable[..., Result]) -> None:
    cli = golden_cli
    takes_yes = {tuple(n.path[1:]): any("--yes" in o[0] for o in n.options) for n in _leaves()}
    cache: dict[tuple[str, ...], Any] = {}
    snap: dict[str, Any] = {}
    for argv in WRITES:
        resolved = []
        for word in argv:
            if word.startswith("{") and word.endswith("}"):
                word = str(_first_id(cli, cache, tuple(word[1:-1].split())))
            resolved.append(word)
        key = " ".join(resolved)
        verb = argv[:3] if argv[:3] in takes_yes else argv[:2]
        yes = ("--yes",) if takes_yes[verb] and "--dry-run" not in resolved else ()
        snap[key] = _record(cli(*resolved, *yes, "-o", "json", stdin=STDIN.get(verb, "")))
    _compare("writes.json", json.dumps(snap, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def test_every_create_and_edit_verb_is_covered() -> None:
    """A new create/edit verb gets a golden run here too."""
    written = {tuple(w for w in argv if not w.startswith(("-", "{")))[:3] for argv in WRITES}
    for node in _leaves():
        path = tuple(node.path[1:])
        if path[0] in ("config", "profile") or path[-1] not in ("create", "edit", "set", "add"):
            continue
        assert any(path == w[:len(path)] for w in written), f"no golden run for {' '.join(path)}"
