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


# -- column names --------------------------------------------------------------------------------
def test_columns_accept_the_header_a_table_shows_in_any_case(cli: Any) -> None:
    r = cli("fraud", "list", "--columns", "id,reason,Detected", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json() and all(list(row) == ["id", "fraudReason", "fraudDetectedAt"] for row in r.json())
    r = cli("users", "list", "-n", "2", "--columns", "ID,first,created,EMAIL", "-o", "json")
    assert r.exit_code == 0 and list(r.json()[0]) == ["id", "firstName", "createdAt", "email"]


def test_an_unknown_column_lists_the_valid_keys(cli: Any) -> None:
    r = cli("users", "list", "-n", "2", "--columns", "id,nope")
    assert r.exit_code == 2 and r.stdout == ""
    assert "unknown column 'nope'" in r.stderr
    assert "firstName (FIRST)" in r.stderr and "createdAt (CREATED)" in r.stderr and "billingCity" in r.stderr


# -- tables at 80 columns, relative times, -o wide, --sort-by --------------------------------------
import re  # noqa: E402

from eclictl.sandbox.state import SEED_EPOCH  # noqa: E402

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _screen(text: str) -> list[str]:
    return [ANSI.sub("", line).rstrip() for line in text.splitlines() if line.strip()]


def test_an_80_column_table_keeps_emails_and_dates_readable(cli: Any, sandbox: Any) -> None:
    r = cli("users", "list", "-n", "12", tty=True, env={"COLUMNS": "80"}, clock=lambda: SEED_EPOCH)
    assert r.exit_code == 0, r
    lines = _screen(r.stdout)
    assert all(len(line) <= 80 for line in lines)
    rows = {int(line.split()[0]): line for line in lines[1:]}
    for uid in (1, 2, 5, 10, 11, 12):  # e-mails up to 19 characters stay whole
        assert sandbox.state.users[uid]["email"] in rows[uid]
    assert "T" not in "".join(line.split()[-1] for line in lines[1:])  # no ISO on a terminal
    assert rows[2].endswith("ago") and "2025-" not in r.stdout


def test_times_stay_iso_in_pipes_json_and_wide(cli: Any, sandbox: Any) -> None:
    created = sandbox.state.users[1]["createdAt"]
    r = cli("users", "list", "-n", "1", clock=lambda: SEED_EPOCH)
    assert created in r.stdout and "ago" not in r.stdout
    r = cli("users", "list", "-n", "1", "-o", "json", tty=True, clock=lambda: SEED_EPOCH)
    assert r.json()[0]["createdAt"] == created
    r = cli("users", "list", "-n", "12", "-o", "wide", tty=True, env={"COLUMNS": "80"}, clock=lambda: SEED_EPOCH)
    assert r.exit_code == 0, r
    assert created in r.stdout and "…" not in r.stdout and "ago" not in r.stdout
    assert "mohammed11@inbox.example" in r.stdout and max(len(line) for line in _screen(r.stdout)) > 80


def test_sort_by_on_the_generic_and_a_custom_list(cli: Any, sandbox: Any) -> None:
    r = cli("users", "list", "--all", "--sort-by", "-id", "-o", "ids")
    ids = [int(i) for i in r.stdout.split()]
    assert ids == sorted(sandbox.state.users, reverse=True)
    r = cli("users", "list", "-n", "20", "--sort-by", "EMAIL", "-o", "json")
    emails = [row["email"] for row in r.json()]
    assert emails == sorted(emails, key=str.lower) and len(r.json()[0]) > 10  # full records still
    r = cli("users", "list", "-n", "20", "--sort-by", "created:desc", "-o", "ids")
    by_created = sorted((sandbox.state.users[int(i)]["createdAt"], int(i)) for i in r.stdout.split())
    assert [int(i) for i in r.stdout.split()] == [i for _, i in reversed(by_created)]
    r = cli("eggs", "list", "--sort-by", "name", "-o", "json")  # a custom list verb
    names = [row["name"] for row in r.json()]
    assert r.exit_code == 0 and names == sorted(names, key=str.lower) and len(names) > 3
    r = cli("users", "list", "--sort-by", "nope")
    assert r.exit_code == 2 and "unknown --sort-by field 'nope'" in r.stderr and "email" in r.stderr


def test_fit_widths_shrinks_free_text_before_emails_dates_and_flags() -> None:
    from eclictl.output.columns import Col
    from eclictl.output.layout import fit_widths

    cols = [Col("id"), Col("email"), Col("description"), Col("suspended"), Col("createdAt", "CREATED")]
    cells = [["1", "someone.long@example.com", "a long description of the thing " * 2, "false", "3d ago"]]
    widths = fit_widths(cols, cells, 80, id_field="id")
    assert widths[1] == len(cells[0][1]) and widths[4] == 7 and widths[3] == 9
    assert sum(widths) + 2 * 4 == 80  # the description took the cut
    widths = fit_widths(cols, cells, 54, id_field="id")
    assert widths[1] == len(cells[0][1]) and widths[3] == 5 and widths[2] == 8  # then the flag header
    assert fit_widths(cols, cells, 50, id_field="id")[1] == 21  # the e-mail only when nothing else is left


def test_relative_time() -> None:
    from eclictl.output.layout import relative_time

    now = SEED_EPOCH
    assert relative_time("2026-11-21T06:15:11.000Z", now) == "3d ago"
    assert relative_time("2026-11-24T06:10:11Z", now) == "5m ago"
    assert relative_time("2026-11-24T08:15:11+00:00", now) == "in 2h"
    assert relative_time("2024-11-24T06:15:11.000Z", now) == "2y ago"
    assert relative_time("not a date", now) == "not a date"


# -- users show, grouped ---------------------------------------------------------------------------
def test_users_show_on_a_terminal_is_grouped_with_small_tables(cli: Any, sandbox: Any) -> None:
    r = cli("users", "show", "9", tty=True, env={"COLUMNS": "100"}, clock=lambda: SEED_EPOCH)
    assert r.exit_code == 0, r
    lines = _screen(r.stdout)
    titles = [line for line in lines if not line.startswith(" ")]
    assert titles[:6] == ["Identity", "Billing", "Security", "Roles", "Servers", "Orders"]
    server = sandbox.state.users[9] and next(s for s in cli("users", "show", "9", "-o", "json").json()["servers"])
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["UUID", "NAME"])
    assert lines[header + 1].split()[0] == server["uuid"]  # a table row, not a JSON blob
    assert not any('[{"' in line or '{"' in line for line in lines)
    assert any(line.split()[:2] == ["email", sandbox.state.users[9]["email"]] for line in lines)
    assert any(line.split()[:1] == ["fraudDetectedAt"] and line.endswith("ago") for line in lines)
    assert "empty field(s) not shown" in r.stdout


def test_users_show_json_and_pipes_are_unchanged(cli: Any) -> None:
    piped = cli("users", "show", "9", "-o", "json")
    on_tty = cli("users", "show", "9", "-o", "json", tty=True)
    assert piped.json() == on_tty.json() and isinstance(piped.json()["servers"], list)
    tsv = cli("users", "show", "9").stdout.splitlines()
    assert tsv[0].split("\t")[0] == "id" and any(line.startswith("servers\t[{") for line in tsv)


def test_sort_by_works_before_the_verb_too(cli: Any, sandbox: Any) -> None:
    r = cli("--sort-by", "-id", "users", "list", "-n", "5", "-o", "ids")
    assert r.exit_code == 0 and [int(i) for i in r.stdout.split()] == [5, 4, 3, 2, 1]
