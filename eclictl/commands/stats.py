"""`eclictl stats`: the dashboard figures, `GET /api/admin/stats` + `GET /api/admin/counts` (docs/panel/search.md#stats, docs/panel/search.md#counts).

`stats` is slow on the panel (it asks every healthy node's Wings and scans up to 2000 tickets) and
needs admin:access; `counts` is cheap and needs only admin-page access, hence `--counts-only`.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from eclictl.options import command

app = typer.Typer(add_completion=False)

STATS_PATH = "/api/admin/stats"
COUNTS_PATH = "/api/admin/counts"
SLOW_TIMEOUT = 120.0
#: Both figures count tickets with status exactly `open`, but new tickets are stored as `opened`.
UNDERCOUNT = ("pendingTickets/ticketsOpen count only status 'open', but new tickets are 'opened': "
              "they likely undercount (see `eclictl tickets list`)")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@app.command("stats", epilog="Examples:\n\n  eclictl stats\n\n  eclictl stats --counts-only -o json\n\n"
             "  eclictl stats -o json | jq .stats.totalServers")
@command()
def stats(
    counts_only: Annotated[bool, typer.Option("--counts-only", help="Only the cheap badge counts (no Wings calls; "
                                              "also works without admin:access).")] = False,
) -> Any:
    """Show the dashboard totals and the pending-work counts of the Staff Portal."""
    from eclictl.context import current

    ctx = current()
    counts = _dict(ctx.api.get(COUNTS_PATH))
    if counts_only:
        return counts
    timeout = max(float(getattr(ctx.settings, "timeout", 0) or 0), SLOW_TIMEOUT)
    totals = _dict(ctx.api.request("GET", STATS_PATH, timeout=timeout).data)
    if totals.get("pendingTickets") == 0 and counts.get("ticketsOpen") == 0:
        ctx.info(f"note: {UNDERCOUNT}")
    result = {"stats": totals, "counts": counts}
    return _humanised(result) if ctx.output_format == "table" else result


def _humanised(value: Any) -> Any:
    """For a table (a terminal): `avgTicketResponseMs: 7200000` reads `2h 0m`; json/tsv keep the number."""
    from eclictl.units import human_duration

    if isinstance(value, dict):
        return {k: (human_duration(v) if k.endswith("Ms") and isinstance(v, (int, float))
                    and not isinstance(v, bool) and v >= 0 else _humanised(v)) for k, v in value.items()}
    return value
