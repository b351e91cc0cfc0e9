"""Every declared section: list (and show of the first row) in table and json, with and without --redact."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from eclictl.output.redact import EMAIL_KEYS, GENERIC_KEYS, IP_KEYS, NAME_KEYS, PHONE_KEYS
from eclictl.sections._spec import all_sections

SECTIONS = [s for s in all_sections() if "list" in s.verbs]
PII_KEYS = (EMAIL_KEYS | PHONE_KEYS | IP_KEYS | {"firstName", "lastName", "address", "billingCity", "billingZip"}) \
    - {"to", "from"}


def _walk(value: Any, path: str = "") -> Any:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, path)
    else:
        yield path, value


def _leaks(values: set[str], text: str) -> list[str]:
    """A value leaks when it appears as a whole JSON string, or (long values) anywhere in the text."""
    import json

    return [v for v in values if json.dumps(v) in text or (len(v) > 8 and v in text)]


def _pii_values(rows: Any) -> set[str]:
    found = set()
    for path, value in _walk(rows):
        key = path.rsplit(".", 1)[-1]
        if key in PII_KEYS and isinstance(value, str) and len(value) > 4 and "•" not in value and "***" not in value:
            found.add(value)
    return found


@pytest.mark.parametrize("section", SECTIONS, ids=[s.name for s in SECTIONS])
def test_list_show_and_redaction(cli: Any, section: Any) -> None:
    words = section.name.split()
    plain = cli(*words, "list", "-o", "json")
    if plain.exit_code == 9:
        pytest.skip(f"{section.name}: feature disabled on the seeded panel")
    assert plain.exit_code == 0, plain
    rows = plain.json()
    assert isinstance(rows, list)
    table = cli(*words, "list", tty=True)
    assert table.exit_code == 0 and "Traceback" not in table.stderr
    redacted = cli(*words, "list", "-o", "json", "--redact")
    assert redacted.exit_code == 0, redacted
    leaked = _leaks(_pii_values(rows), redacted.stdout)
    assert not leaked, f"{section.name}: PII survived --redact: {leaked[:5]}"
    redacted_table = cli(*words, "list", "--redact", tty=True)
    assert not [v for v in _pii_values(rows) if len(v) > 8 and v in redacted_table.stdout]
    if rows and "show" in section.verbs and isinstance(rows[0], dict) and rows[0].get(section.id_field) is not None:
        ident = str(rows[0][section.id_field])
        shown = cli(*words, "show", ident, "-o", "json")
        assert shown.exit_code == 0, shown
        shown_redacted = cli(*words, "show", ident, "-o", "json", "--redact")
        assert shown_redacted.exit_code == 0
        assert not _leaks(_pii_values(shown.json()), shown_redacted.stdout)


def test_every_group_has_help(cli: Any) -> None:
    for section in SECTIONS:
        r = cli(*section.name.split(), "--help", key=None, url=None)
        assert r.exit_code == 0 and "list" in r.stdout, section.name


def _list_commands() -> list[tuple[str, ...]]:
    """Every `... list` verb in the command tree that needs no argument (declared sections or not)."""
    from eclictl._reference import _nodes, command_tree

    paths = []
    for node in _nodes(command_tree()):
        if node.path[-1] == "list" and not node.children and not node.arguments:
            paths.append(node.path[1:])
    return sorted(paths)


LIST_COMMANDS = _list_commands()


#: Routes the panel serves to a login session only (API keys get 401).
SESSION_ONLY = {("orders", "payment-methods", "list")} | {(s.name, "list") for s in all_sections() if s.session_only}


@pytest.mark.parametrize("words", LIST_COMMANDS, ids=[" ".join(p) for p in LIST_COMMANDS])
def test_every_list_verb_renders_and_redacts(cli: Any, sandbox: Any, words: tuple[str, ...]) -> None:
    """Custom list verbs too (fraud, eggs, logs, flags...): json, table, and no PII under --redact."""
    if words in SESSION_ONLY:
        from eclictl.sandbox.routes.core import start_session

        token = start_session(sandbox.state, sandbox.state.users[1])["token"]
        cli = functools.partial(cli, key=None, env={"ECLICTL_TOKEN": token})
    plain = cli(*words, "-o", "json")
    if plain.exit_code == 9:
        pytest.skip(f"{' '.join(words)}: feature disabled on the seeded panel")
    assert plain.exit_code == 0, plain
    table = cli(*words, tty=True)
    assert table.exit_code == 0 and "Traceback" not in table.stderr
    redacted = cli(*words, "-o", "json", "--redact")
    assert redacted.exit_code == 0, redacted
    values = _pii_values(plain.json())
    leaked = _leaks(values, redacted.stdout)
    assert not leaked, f"{' '.join(words)}: PII survived --redact: {leaked[:5]}"
    redacted_table = cli(*words, "--redact", tty=True)
    assert not [v for v in values if len(v) > 8 and v in redacted_table.stdout]


def test_the_list_walk_found_the_custom_lists() -> None:
    found = {" ".join(p) for p in LIST_COMMANDS}
    assert {"fraud list", "eggs list", "logs list", "flags list", "nodes list", "orders list"} <= found
