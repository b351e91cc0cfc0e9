"""Metrics tab: `/api/admin/metrics`, `/api/admin/metrics/clear` (docs/panel/observability.md#metrics).

Every request (each `--watch` poll too) asks every node for its servers (up to 10 s) and is
written to the admin audit trail, so keep watch intervals generous.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from eclictl.errors import UsageError
from eclictl.options import YesOpt, bool_opt, command
from eclictl.output.columns import Col
from eclictl.sections._spec import Section, build

PATH = "/api/admin/metrics"
WATCH_PANEL = "Watch"
MIN_WATCH = 5.0

METRICS = Section(
    name="metrics",
    help="Panel metrics: users, servers online, tickets, orders, growth; clear SOC usage samples.",
    path=PATH,
    permission="admin:metrics",
    tab="metrics",
    verbs=(),
    searchable=False,
    examples=("eclictl metrics show", "eclictl metrics show --days 90 --series"),
)

app = build(METRICS)

SERIES_COLUMNS = (
    Col("date"), Col("registrations", "REG"), Col("cumulativeRegistrations", "USERS"),
    Col("organisations", "ORGS"), Col("tickets"), Col("orders"), Col("serverActions", "SRV-ACTIONS"),
    Col("verifications", "KYC"), Col("deletions"),
)


def _fetch(ctx: Any, days: int) -> dict[str, Any]:
    body = ctx.api.get(PATH, {"days": days})
    return body if isinstance(body, dict) else {}


def _view(body: dict[str, Any], series: bool) -> Any:
    """Table: the summary (or the per-day series); JSON: the panel's whole answer."""
    from eclictl.output.render import View

    if series:
        rows = body.get("series") if isinstance(body.get("series"), list) else []
        return View(rows, columns=SERIES_COLUMNS, id_field="date", json_data=body)
    window = body.get("window") if isinstance(body.get("window"), dict) else {}
    summary = body.get("summary") if isinstance(body.get("summary"), dict) else {}
    flat = {"windowDays": window.get("days"), "windowStart": window.get("start"), "windowEnd": window.get("end"),
            **summary}
    return View(flat, detail=True, json_data=body)


@app.command("show", epilog="Examples:\n\n  eclictl metrics show\n\n  eclictl metrics show --days 90 --series\n\n"
             "  eclictl metrics show --watch 30\n\n  eclictl metrics show -o json | jq .summary.serversOnline")
@command()
def show(
    days: Annotated[int, typer.Option("--days", help="Window in days (7-365).")] = 30,
    series: bool_opt("--series", help="Show the per-day series instead of the summary.") = False,
    watch: Annotated[Optional[float], typer.Option(
        "--watch", metavar="SECONDS", help=f"Refresh every SECONDS (>= {MIN_WATCH:g}) until Ctrl-C. Each poll "
        "is recorded in the admin audit trail.", rich_help_panel=WATCH_PANEL, show_default=False)] = None,
    iterations: Annotated[Optional[int], typer.Option("--iterations", hidden=True, min=1)] = None,
) -> Any:
    """Show live panel metrics: totals, servers online/offline, growth over the window."""
    from eclictl.context import current

    ctx = current()
    if not 7 <= days <= 365:
        raise UsageError("--days must be between 7 and 365")
    if watch is None:
        return _view(_fetch(ctx, days), series)
    if watch < MIN_WATCH:
        raise UsageError(f"--watch must be at least {MIN_WATCH:g} seconds (each poll queries every node)")
    clear = ctx.io.stdout_tty and ctx.output_format == "table"

    def refresh() -> None:
        body = _fetch(ctx, days)
        if clear:
            ctx.io.stdout.write("\x1b[2J\x1b[H")
        ctx.emit(_view(body, series))
        ctx.io.stdout.flush()

    ctx.every(watch, refresh, iterations=iterations)
    return None


@app.command("clear", epilog="Examples:\n\n  eclictl metrics clear --yes")
@command()
def clear(yes: YesOpt = False) -> Any:
    """Delete ALL SOC resource-usage samples (the usage charts' data, not these metrics)."""
    from eclictl.context import current

    ctx = current()
    ctx.confirm("Delete every SOC resource-usage sample on the panel? This cannot be undone.", yes=yes,
                what="clear SOC usage data")
    body = ctx.api.post(f"{PATH}/clear")
    return body if isinstance(body, dict) else {"success": True, "deleted": None}
