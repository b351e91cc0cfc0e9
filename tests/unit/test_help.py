"""Help screens: the fast path (generated index) and the Typer path print the same text, fit the width."""

from __future__ import annotations

import io
from typing import Any

import pytest

from eclictl import helpfmt
from eclictl._reference import _nodes, command_tree

TREE = command_tree()
PATHS = [node.path[1:] for node in _nodes(TREE)]
#: Every group and the first command of each: through Typer each one costs a tree build, and the
#: drift test (test_generated_docs.py) already holds every screen of the index equal to the live tree.
SAMPLE = [node.path[1:] for node in _nodes(TREE) if node.children] + \
    [node.children[0].path[1:] for node in _nodes(TREE) if node.children]


def _run(args: list[str], columns: str = "100") -> tuple[int, str, str]:
    from eclictl.context import Factory, IOStreams
    from eclictl.main import run

    streams = IOStreams(io.StringIO(), io.StringIO(), io.StringIO(), False, False, False)
    code = run(args, Factory(io=streams, env={"ECLICTL_CONFIG_DIR": "/nonexistent", "COLUMNS": columns}))
    return code, streams.stdout.getvalue(), streams.stderr.getvalue()


def test_the_index_and_typer_print_the_same_help(monkeypatch: Any) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert len(PATHS) > 200 and len(SAMPLE) > 60
    for path in SAMPLE:
        args = [*path, "--help"]
        fast = helpfmt.fast_help(args, env={}, stream=io.StringIO())
        assert fast is not None, path
        # `--no-color` before the command: not the plain shape, so Typer parses it and renders the live tree.
        code, through_typer, err = _run(["--no-color", *args]) if path else _run(["-ojson", "--help"])
        assert (code, err) == (0, ""), path
        assert through_typer.rstrip("\n") == fast.rstrip("\n"), path


@pytest.mark.parametrize("args", [
    ["--no-color", "users", "--help"],         # a global option before the command: Typer's job
    ["users", "lst", "--help"],                # no such command: Typer's error
    ["users", "list", "--bogus", "--help"],    # no such option: Typer's error
    ["users", "list", "-n5", "--help"],        # value glued to a short option
    ["users", "list", "--all=1", "--help"],    # a flag given a value: Typer's error
    ["users", "list", "--", "--help"],         # after --, --help is an argument
    ["--version", "--help"],                   # eager --version answers first
    ["users", "list"],                         # no help asked
    ["users", "edit", "3", "--set", "--help"], # --help is the value of --set
])
def test_fast_help_leaves_anything_but_a_plain_help_request_to_typer(args: list[str]) -> None:
    assert helpfmt.fast_help(args, env={}, stream=io.StringIO()) is None


def test_every_command_has_a_screen_in_the_index() -> None:
    for path in PATHS:
        assert helpfmt.fast_help([*path, "--help"], env={}, stream=io.StringIO()) is not None, path


def test_fast_help_skips_option_values_and_arguments() -> None:
    text = helpfmt.fast_help(["users", "suspend", "4", "-", "--rate", "300", "--journal=j.jsonl", "-h"], env={},
                             stream=io.StringIO())
    assert text is not None and "Usage: eclictl users suspend" in text and "--journal" in text


def test_version_wins_over_help_as_before() -> None:
    code, out, _ = _run(["--version", "--help"])
    assert code == 0 and out.startswith("eclictl ")


def test_a_group_alone_prints_its_help_and_exits_2() -> None:
    code, out, err = _run(["nodes"])
    assert code == 2 and "Usage: eclictl nodes" in out and "token" in out and err == ""


@pytest.mark.parametrize("width", [40, 60, 80, 137])
def test_no_line_is_wider_than_the_terminal(width: int) -> None:
    for node in _nodes(TREE):
        text = helpfmt.render(node.screen, width=width, color=False)
        too_wide = [line for line in text.splitlines() if len(line) > width]
        assert not too_wide, (node.path, too_wide[:3])


def test_every_option_and_command_name_is_shown() -> None:
    for node in _nodes(TREE):
        text = helpfmt.render(node.screen, width=100, color=False)
        for names, _, _ in node.options:
            assert all(name in text for name in names), (node.path, names)
        for child in node.children:
            assert child.path[-1] in text, (node.path, child.path)


def test_help_text_is_shown_literally_not_as_rich_markup() -> None:
    screen = dict(TREE.screen, help="Lines [x] and [bold]tags[/bold] stay as written.", epilog="")
    assert "[bold]tags[/bold]" in helpfmt.render(screen, width=80, color=False)


def test_colours_only_on_a_terminal_and_never_with_no_color() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = TREE.screen
    assert "\x1b[" in helpfmt.render(screen, env={}, stream=Tty())
    assert "\x1b[" not in helpfmt.render(screen, env={"NO_COLOR": "1"}, stream=Tty())
    assert "\x1b[" not in helpfmt.render(screen, env={"TERM": "dumb"}, stream=Tty())
    assert "\x1b[" not in helpfmt.render(screen, env={}, stream=io.StringIO())
    coloured = helpfmt.render(screen, width=90, env={}, stream=Tty())
    import re

    plain_lines = helpfmt.render(screen, width=90, color=False).splitlines()
    assert [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in coloured.splitlines()] == plain_lines
