"""Logs tab: `/api/admin/logs`, `/api/admin/logs/export`, `/api/admin/slow-queries*`
(docs/panel/observability.md#activity-logs, docs/panel/observability.md#slow-queries).

Log pages are newest first. `--follow` polls page 1 (without counting) and prints entries
with a higher id than the last one seen, oldest first, like `tail -f`. Every poll is written
to the admin audit trail (docs/panel/conventions.md#the-admin-audit-trail), so keep the interval generous.
"""

from __future__ import annotations

from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Iterator, Optional

import typer

from eclictl.api.pagination import PageSpec, rows_of
from eclictl.errors import UsageError
from eclictl.options import ForceOpt, LegacyFileOpt, YesOpt, command
from eclictl.output.columns import Col
from eclictl.sections._spec import FILTER_PANEL, Filter, ListOpts, Section, add_list, build, group

PATH = "/api/admin/logs"
SLOW_PATH = "/api/admin/slow-queries"
PAGING_PANEL = "Paging"
FOLLOW_PANEL = "Follow"
MIN_INTERVAL = 2.0


class LogType(str, Enum):
    audit = "audit"
    serverErrors = "serverErrors"
    requests = "requests"


class ExportFormat(str, Enum):
    csv = "csv"
    json = "json"


LOGS = Section(
    name="logs",
    help="Activity logs, server errors, API request logs (list, follow, export) and slow queries.",
    path=PATH,
    pages=PageSpec(items_key="logs", page_param="page", size_param="per", page_size=200, total_key="total"),
    columns=(
        Col("id"), Col("timestamp", "TIME"), Col("userId", "USER"), Col("username", "NAME"), Col("action"),
        Col("targetType", "TARGET"), Col("targetId", "TARGET-ID"), Col("ipAddress", "IP"),
    ),
    permission="logs:read",
    tab="logs",
    # metadata often names the actor, their e-mail, IPs and server names (docs/panel/observability.md#activity-logs).
    sensitive={"metadata": "subtree"},
    verbs=(),
    examples=("eclictl logs list --user 42", "eclictl logs list --follow"),
)
REQUEST_COLUMNS = (
    Col("id"), Col("timestamp", "TIME"), Col("userId", "USER"), Col("organisationId", "ORG"),
    Col("endpoint", max_width=60), Col("count"),
)
SLOW = Section(
    name="slow-queries",
    help="Slow database queries held in the serving process's memory.",
    path=SLOW_PATH,
    columns=(Col("timestamp", "TIME"), Col("durationMs", "MS"), Col("query", max_width=80)),
    id_field="timestamp",
    permission="admin:metrics",
    sensitive={"parameters": "subtree"},  # bound values: e-mails and other personal data
    empty="no slow queries recorded",
    filters=(Filter("min_ms", "Only queries at least this slow.", type=float, match=lambda row, ms: isinstance(
        row.get("durationMs"), (int, float)) and row["durationMs"] >= ms),),
    list_opts=ListOpts(limit_min=True, all=None, filters_first=True),
    list_rows=lambda ctx, params: ctx.api.rows(SLOW_PATH),
    searchable=False,
)

app = build(LOGS)
slow_app = group("slow-queries", SLOW.help, app)


def _rows_view(rows: Any, log_type: LogType) -> Any:
    from eclictl.output.render import View

    columns = REQUEST_COLUMNS if log_type is LogType.requests else LOGS.columns
    return View(rows, columns=columns, sensitive=LOGS.sensitive, empty="no log entries found")


def _server_error_hint(exc: Exception) -> Exception:
    from eclictl.api.errors import ApiServerError

    if isinstance(exc, ApiServerError) and not exc.hint:
        exc.hint = ("the panel fails on a page that holds only System (user 0) entries; "
                    "try --per with another size or --user")
    return exc


def _user(ctx: Any, ref: str | None) -> int | None:
    """The panel's userId filter takes only numbers (anything else is a 500): resolve e-mails here."""
    if ref is None:
        return None
    from eclictl.sections._spec import user_ref

    return user_ref(ctx.api, ref)


@app.command("list", epilog="Examples:\n\n  eclictl logs list\n\n  eclictl logs list --type serverErrors --limit 20\n\n"
             "  eclictl logs list --user 42 --all -o jsonl --redact\n\n  eclictl logs list --follow --interval 10")
@command()
def list_logs(
    log_type: Annotated[LogType, typer.Option("--type", "-t", help="audit (all activity), serverErrors "
                                              "(error/crash/failed actions) or requests (API request counts).",
                                              rich_help_panel=FILTER_PANEL)] = LogType.audit,
    user: Annotated[Optional[str], typer.Option("--user", "-u", metavar="USER", help="Only this user: id (0 = "
                                                "System) or exact e-mail.", rich_help_panel=FILTER_PANEL,
                                                show_default=False)] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", "-n", help="Show at most N rows.",
                                                 rich_help_panel=PAGING_PANEL, show_default=False, min=1)] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="Fetch every page.", rich_help_panel=PAGING_PANEL)] = False,
    page: Annotated[Optional[int], typer.Option("--page", help="Start at this page.", min=1,
                                                rich_help_panel=PAGING_PANEL, show_default=False)] = None,
    per: Annotated[int, typer.Option("--per", help="Rows per request (1-500).", min=1, max=500,
                                     rich_help_panel=PAGING_PANEL)] = 200,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep polling and print new entries.",
                                         rich_help_panel=FOLLOW_PANEL)] = False,
    interval: Annotated[float, typer.Option("--interval", help=f"Seconds between polls with --follow "
                                            f"(>= {MIN_INTERVAL:g}).", rich_help_panel=FOLLOW_PANEL)] = 5.0,
    iterations: Annotated[Optional[int], typer.Option("--iterations", hidden=True, min=1)] = None,
    web: Annotated[bool, typer.Option("--web", help="Open this tab of the web portal instead.")] = False,
) -> Any:
    """List log entries, newest first; --follow prints new ones as they arrive."""
    from eclictl.context import current

    ctx = current()
    if web:
        from eclictl.weblinks import open_tab

        return open_tab(ctx, "logs")
    params: dict[str, Any] = {"type": log_type.value, "userId": _user(ctx, user)}
    if follow:
        return _follow(ctx, params, log_type, limit, per, interval, iterations)
    rows = ctx.api.iterate(PATH, replace(LOGS.pages, page_size=per), params, limit=limit, start_page=page,
                           single_page=not (all_pages or limit is not None))
    return _rows_view(_guard(rows), log_type)


def _guard(rows: Iterator[Any]) -> Iterator[Any]:
    try:
        yield from rows
    except Exception as exc:  # noqa: BLE001 - re-raised with a hint
        raise _server_error_hint(exc) from None


def _follow(ctx: Any, params: dict[str, Any], log_type: LogType, limit: int | None, per: int,
            interval: float, iterations: int | None) -> None:
    if interval < MIN_INTERVAL:
        raise UsageError(f"--interval must be at least {MIN_INTERVAL:g} seconds")
    if ctx.output_format == "json":
        raise UsageError("--follow streams rows: use -o jsonl (or tsv/table/csv) instead of -o json")
    query = {**params, "page": 1, "per": per, "nocount": 1}
    last_id: Any = None

    def poll() -> None:
        nonlocal last_id
        try:
            body = ctx.api.get(PATH, query)
        except Exception as exc:  # noqa: BLE001 - re-raised with a hint
            raise _server_error_hint(exc) from None
        rows = rows_of(body, "logs", f"GET {PATH}")
        if last_id is None:
            fresh = rows[: (limit or 20)]
        else:
            fresh = [r for r in rows if isinstance(r.get("id"), int) and r["id"] > last_id]
            if len(fresh) == len(rows) and rows:
                ctx.warn(f"more than {per} new entries since the last poll; some were skipped (raise --per)")
        ids = [r["id"] for r in rows if isinstance(r.get("id"), int)]
        if ids:
            last_id = max(ids + ([last_id] if last_id is not None else []))
        elif last_id is None:
            last_id = 0
        if fresh:
            ctx.emit(_rows_view(list(reversed(fresh)), log_type))
            ctx.no_headers = True  # one header for the whole stream
            ctx.io.stdout.flush()

    ctx.every(interval, poll, iterations=iterations)
    return None


@app.command("export", epilog="Examples:\n\n  eclictl logs export\n\n"
             "  eclictl logs export --type requests --format json --file requests.json\n\n"
             "  eclictl logs export --user 42 --private")
@command()
def export(
    log_type: Annotated[LogType, typer.Option("--type", "-t", help="audit, serverErrors or requests.",
                                              rich_help_panel=FILTER_PANEL)] = LogType.audit,
    user: Annotated[Optional[str], typer.Option("--user", "-u", metavar="USER", help="Only this user: id or exact "
                                                "e-mail.", rich_help_panel=FILTER_PANEL, show_default=False)] = None,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv (UTF-8 with BOM) or json.")] = ExportFormat.csv,
    private: Annotated[bool, typer.Option("--private", help="Ask the panel to mask user ids, names, e-mails and "
                                          "IPs in the file (on by itself with --redact).")] = False,
    file: Annotated[Optional[Path], typer.Option("--file", "-f", help="Write here, 0600 (default: the panel's name, "
                                                 "admin-logs-<type>-<date>.csv).", show_default=False)] = None,
    force: ForceOpt = False,
    legacy_file: LegacyFileOpt = None,
) -> Any:
    """Export up to 10 000 newest log entries to a CSV or JSON file."""
    from datetime import date

    from eclictl.context import current
    from eclictl.sections.export_jobs import download_to_file

    ctx = current()
    private = private or "pii" in ctx.redact_categories()
    params = {"type": log_type.value, "userId": _user(ctx, user), "format": fmt.value if fmt is ExportFormat.json else None,
              "privateMode": 1 if private else None}
    seen: dict[str, str] = {}
    saved = download_to_file(
        ctx, f"{PATH}/export", dest=file, legacy=legacy_file, force=force, params=params,
        default_name=f"admin-logs-{log_type.value}-{date.today().isoformat()}.{fmt.value}",
        on_headers=lambda h: seen.update({"truncated": h.get("x-truncated", "")}))
    truncated = seen.get("truncated", "").lower() == "true"
    if truncated:
        ctx.warn("the panel exports at most 10 000 rows: the file holds only the newest 10 000 (X-Truncated)")
    return {**saved, "type": log_type.value, "format": fmt.value, "private": private, "truncated": truncated}


add_list(slow_app, SLOW, "List the slowest recent queries (<= 100, newest first; per process, lost on restart; "
         "admin:metrics).", ("eclictl logs slow-queries list", "eclictl logs slow-queries list --min-ms 1000 -o json "
                             "--redact"))


@slow_app.command("clear", epilog="Examples:\n\n  eclictl logs slow-queries clear --yes")
@command()
def slow_clear(yes: YesOpt = False) -> Any:
    """Forget the recorded slow queries (of the process that answers; needs admin:metrics)."""
    from eclictl.context import current

    ctx = current()
    ctx.confirm("Clear the panel's slow-query list?", yes=yes, what="clear slow queries")
    body = ctx.api.post(f"{SLOW_PATH}/clear")
    return body if isinstance(body, dict) else {"success": True}
