"""What a newcomer meets first (issue 15, point 8): bare `eclictl`, usage lines, epilogs, and bad input
answered in eclictl's own words, never the parser's."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from eclictl import helpfmt
from eclictl._reference import _nodes, command_tree

TREE = command_tree()


def _run(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    from eclictl.context import Factory, IOStreams
    from eclictl.main import run

    streams = IOStreams(io.StringIO(), io.StringIO(), io.StringIO(), False, False, False)
    code = run(args, Factory(io=streams, env={"ECLICTL_CONFIG_DIR": "/nonexistent", "COLUMNS": "100",
                                              **(env or {})}))
    return code, streams.stdout.getvalue(), streams.stderr.getvalue()


def test_bare_eclictl_prints_help_and_exits_0() -> None:
    code, out, err = _run([])
    assert (code, err) == (0, "") and "Usage: eclictl [OPTIONS] COMMAND [ARGS]..." in out


def test_usage_lines_and_argument_names_read_like_gh() -> None:
    """`ACTION SERVER...`, `[USER...]`: not `{action}:<start|...>`, `{SERVER...}`, `[[USER]...]...`."""
    bad = re.compile(r"[{}]|\[\[|(^|\s)\[[^\]\s]+\]\.\.\.|<bool>|<list\[|range>")  # `[USER]...`, not `CC[:LEVEL]...`
    for node in _nodes(TREE):
        screen = node.screen
        assert not bad.search(screen["usage"].replace("COMMAND [ARGS]...", "")), screen["usage"]
        for panel in screen["panels"]:
            for row in panel.get("params", ()):
                assert not bad.search(" ".join(map(str, row[1:6]))), (node.path, row)
    screens = {" ".join(n.path): n.screen["usage"] for n in _nodes(TREE)}
    assert screens["eclictl servers power"] == "eclictl servers power [OPTIONS] ACTION SERVER..."
    assert screens["eclictl fraud scan"] == "eclictl fraud scan [OPTIONS] [USER...]"
    assert screens["eclictl users show"] == "eclictl users show [OPTIONS] ID|EMAIL"


def test_group_summaries_name_only_verbs_that_exist() -> None:
    code, out, _ = _run(["users", "--help"])
    assert code == 0 and "search" not in out.split("Commands")[0]
    users = next(n for n in TREE.children if n.path[-1] == "users")
    assert "search" not in users.help or any(c.path[-1] == "search" for c in users.children)


def test_epilog_prose_reflows_with_no_stray_words() -> None:
    """A paragraph written over several source lines used to be wrapped line by line, leaving a word or
    two alone on a line that the next line's words would have filled."""
    for node in _nodes(TREE):
        for width in (60, 78):
            lines = helpfmt.epilog_lines(node.screen["epilog"], width)
            for line, following in zip(lines, lines[1:]):
                if not line.strip() or not following.strip() or line.startswith(" ") or following.startswith(" "):
                    continue
                first = following.split()[0]
                assert len(line) + 1 + len(first) > width, (node.path, width, line, following)
    text = helpfmt.render(next(n for n in _nodes(TREE) if n.path == ("eclictl",)).screen, width=80, color=False)
    assert "# a demo panel to try things on\n" in text  # the comment moves above a long example
    assert not any(line.strip() == "on" for line in text.splitlines())


@pytest.mark.parametrize(("args", "expected"), [
    (["-o", "yaml", "users", "list"], "error: invalid output format 'yaml' (choose from table, wide, tsv, json, jsonl, "
                                      "csv, ids)\n"),
    (["users", "list", "-n", "abc"], "error: -n/--limit: 'abc' is not a whole number\n"),
    (["users", "list", "--page", "0"], "error: --page: 0 is out of range (must be at least 1)\n"),
    (["--timeout", "soon", "users", "list"], "error: --timeout: 'soon' is not a number\n"),
    (["users", "list", "--bogus"], "error: unknown option --bogus\n"),
    (["users", "list", "--colums", "id"], "error: unknown option --colums (did you mean --columns?)\n"),
    (["userz"], "error: unknown command 'userz' (did you mean 'users'?)\n"),
    (["users", "lsit"], "error: unknown command 'lsit' (did you mean 'list'?)\n"),
    (["servers", "power"], "error: missing argument ACTION (choose from start, stop, restart, kill)\n"),
    (["servers", "power", "reboot", "x"], "error: ACTION: invalid value 'reboot' (choose from start, stop, "
                                          "restart, kill)\n"),
])
def test_bad_input_in_eclictls_words(args: list[str], expected: str) -> None:
    code, out, err = _run(args)
    assert code == 2 and out == ""
    first, _, rest = err.partition("\n")
    assert first + "\n" == expected
    assert rest.startswith("Try 'eclictl") and "Value error" not in err and "Input should" not in err


def test_a_missing_profile_is_named_whether_it_comes_from_p_or_the_environment(cli: Any) -> None:
    by_flag = cli("-p", "nosuch", "users", "list", url=None, key=None)
    by_env = cli("users", "list", url=None, key=None, env={"ECLICTL_PROFILE": "nosuch"})
    assert by_flag.exit_code == by_env.exit_code != 0
    assert "no profile named 'nosuch' (known: none)" in by_flag.stderr
    assert "no profile named 'nosuch' (from ECLICTL_PROFILE; known: none)" in by_env.stderr
    assert "auth login --profile NAME" in by_env.stderr


def test_auth_login_profile_name_works_as_the_hint_says(cli: Any, sandbox: Any) -> None:
    r = cli("auth", "login", "--profile", "work", "--url", "http://sandbox.localhost", "--with-key",
            stdin=sandbox.keys["admin"], url=None, key=None)
    assert r.exit_code == 0, r
    assert "saved as profile 'work'" in r.stderr
    r = cli("-p", "work", "whoami", "-o", "json", url=None, key=None)
    assert r.exit_code == 0 and r.json()["key_type"] == "admin", r


def test_a_missing_env_profile_with_env_credentials_still_runs(cli: Any) -> None:
    """ECLICTL_PROFILE=NAME plus ECLICTL_URL/ECLICTL_API_KEY (CI, the revert watcher) needs no profile file."""
    r = cli("users", "list", "-n", "1", "-o", "json", env={"ECLICTL_PROFILE": "ci"})
    assert r.exit_code == 0 and len(r.json()) == 1, r
