"""Lists and tables as a newcomer meets them: the first-page note, progress on a terminal, column
aliases, 80-column tables, relative times, `-o wide`, `--sort-by`, and the grouped `users show`."""

from __future__ import annotations

from typing import Any

CLEAR = "\r\033[K"


# -- the first page is not the whole list ------------------------------------------------------
def test_a_first_page_says_how_many_rows_exist_in_pipes_and_on_a_terminal(cli: Any, sandbox: Any) -> None:
    total = len(sandbox.state.users)
    r = cli("users", "list", "-o", "ids")
    assert r.exit_code == 0 and len(r.stdout.split()) == 50
    assert r.stderr == f"50 of {total} shown; --all for every page\n"
    r = cli("users", "list", "-o", "json")
    assert len(r.json()) == 50 and r.stdout.startswith("[")  # stdout stays pure JSON
    assert r.stderr == f"50 of {total} shown; --all for every page\n"
    r = cli("users", "list", tty=True)
    assert r.stderr.endswith(f"50 of {total} shown; --all for every page\n")


def test_no_first_page_note_when_the_list_is_whole_or_bounded(cli: Any, sandbox: Any) -> None:
    r = cli("users", "list", "--all", "-o", "ids")
    assert len(r.stdout.split()) == len(sandbox.state.users) and r.stderr == ""
    r = cli("users", "list", "--limit", "60", "-o", "ids")
    assert len(r.stdout.split()) == 60 and r.stderr == ""
    r = cli("users", "list", "-q", "billing@example.com", "-o", "ids")
    assert r.stdout.split() == ["5"] and r.stderr == ""
    # a lookup that reads one page to find a user is not a list the user sees
    r = cli("users", "show", "5", "-o", "json")
    assert r.exit_code == 0 and "shown" not in r.stderr


# -- progress -----------------------------------------------------------------------------------
def _slow_clock(sandbox: Any, per_request: float = 0.2) -> Any:
    """A clock that advances with each answer the sandbox gives (a 200 ms panel, without sleeping)."""
    return lambda: 1_000_000.0 + per_request * len(sandbox.requests)


def test_a_slow_fetch_shows_progress_on_a_terminal_and_clears_it(cli: Any, sandbox: Any) -> None:
    total = len(sandbox.state.users)
    r = cli("users", "list", "--all", "-o", "ids", tty=True, clock=_slow_clock(sandbox))
    assert r.exit_code == 0 and len(r.stdout.split()) == total
    assert f"fetching page 4 (150 of {total} rows so far)..." in r.stderr
    assert "fetching page 2" not in r.stderr and "fetching page 3" not in r.stderr  # the first moment is quiet
    assert r.stderr.endswith(CLEAR)  # nothing left on the screen
    assert "fetching" not in r.stdout


def test_no_progress_in_pipes_or_for_a_quick_fetch(cli: Any, sandbox: Any) -> None:
    r = cli("users", "list", "--all", "-o", "ids", clock=_slow_clock(sandbox))
    assert r.exit_code == 0 and r.stderr == ""
    r = cli("users", "list", "--all", "-o", "ids", tty=True, clock=_slow_clock(sandbox, 0.01))
    assert r.exit_code == 0 and r.stderr == ""
