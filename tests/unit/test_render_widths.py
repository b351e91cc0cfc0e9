"""Tables fit the terminal by shrinking the widest columns first; the id column is never squeezed."""

from __future__ import annotations

from eclictl.output.columns import Col
from eclictl.output.render import fit_widths

COLS = [Col("id"), Col("state"), Col("description")]
CELLS = [["1042", "active", "x" * 120], ["7", "failed", "short"]]


def test_fits_and_takes_room_from_the_widest_column() -> None:
    widths = fit_widths(COLS, CELLS, 60, id_field="id")
    assert sum(widths) + 2 * (len(widths) - 1) == 60
    assert widths[0] == 4 and widths[1] == 6  # id and the short state column keep their full width
    assert widths[2] == 60 - 4 - 6 - 4


def test_wide_enough_terminal_keeps_natural_widths() -> None:
    assert fit_widths(COLS, CELLS, 300, id_field="id") == [4, 6, 120]


def test_max_width_caps_a_column_before_fitting() -> None:
    cols = [Col("id"), Col("state"), Col("description", max_width=30)]
    assert fit_widths(cols, CELLS, 300, id_field="id") == [4, 6, 30]


def test_too_narrow_terminal_stops_at_the_minimums() -> None:
    widths = fit_widths(COLS, CELLS, 10, id_field="id")
    assert widths == [4, 6, 8]  # floors: the id in full; others min(natural, max(6, min(len(title), 8)))
