"""Audit: the admin audit trail (`/api/soc/admin-audit*`) and a server's audit log
(`/api/admin/audit/:uuid[/export]`) (docs/panel/observability.md).

Note: the panel records every admin request (GETs too) in the admin audit trail, so polling
these commands inflates the "time spent" report (docs/panel/conventions.md#the-admin-audit-trail).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from eclictl.api.pagination import PageSpec
from eclictl.errors import UsageError
from eclictl.options import ForceOpt, LegacyFileOpt, command
from eclictl.output.columns import Col
from eclictl.sections._spec import FILTER_PANEL, group

PAGING_PANEL = "Paging"

app = group("audit", "Audit: admins' audit trail and time report, a server's audit log and its export.")

ADMIN_PAGES = PageSpec(items_key="entries", page_param="page", size_param="perPage", page_size=200,
                       total_key="total")
SERVER_PAGES = PageSpec(items_key="logs", page_param="page", size_param="per", page_size=500, total_key="total")
SENSITIVE = {"adminName": "pii", "adminEmail": "pii", "adminAvatarUrl": "pii", "name": "servers"}
_REL = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


def when(value: Optional[str], flag: str) -> Optional[str]:
    """ISO-8601 as given, or a relative age like 30m, 24h, 7d, 2w (UTC)."""
    if value is None:
        return None
    from datetime import datetime, timedelta, timezone

    m = _REL.match(value)
    if m:
        unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[m.group(2)]
        moment = datetime.now(timezone.utc) - timedelta(**{unit: int(m.group(1))})
        return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{flag} expects an ISO date/time or an age like 24h or 7d, got '{value}'") from None
    return value


AdminOpt = Annotated[Optional[str], typer.Option("--admin", metavar="USER", help="Only this admin: user id or exact "
                                                 "e-mail.",
                                                 rich_help_panel=FILTER_PANEL, show_default=False)]
SinceOpt = Annotated[Optional[str], typer.Option("--since", help="From this ISO time, or an age: 24h, 7d.",
                                                 rich_help_panel=FILTER_PANEL, show_default=False)]
UntilOpt = Annotated[Optional[str], typer.Option("--until", help="Up to this ISO time, or an age.",
                                                 rich_help_panel=FILTER_PANEL, show_default=False)]
LimitOpt = Annotated[Optional[int], typer.Option("--limit", "-n", min=1, help="Show at most N rows [50].",
                                                 rich_help_panel=PAGING_PANEL, show_default=False)]
AllOpt = Annotated[bool, typer.Option("--all", help="Fetch every page.", rich_help_panel=PAGING_PANEL)]
PageOpt = Annotated[Optional[int], typer.Option("--page", min=1, help="Start at this page.",
                                                rich_help_panel=PAGING_PANEL, show_default=False)]


def _rows(path: str, spec: PageSpec, params: dict[str, Any], limit: Optional[int], all_: bool,
          page: Optional[int]) -> Any:
    from eclictl.context import current

    clean = {k: v for k, v in params.items() if v is not None}
    if not all_ and limit is None:
        limit = 50
    return current().api.iterate(path, spec, clean, limit=None if all_ else limit, start_page=page)


def _admin(ref: str | None) -> int | None:
    if ref is None:
        return None
    from eclictl.context import current
    from eclictl.sections._spec import user_ref

    return user_ref(current().api, ref)


@app.command("admins", epilog="Examples:\n\n  eclictl audit admins --since 24h\n\n"
             "  eclictl audit admins --admin 3 --action admin:get:/api/admin/users --all -o jsonl\n\n"
             "  eclictl audit admins --since 2025-05-01 --until 2025-05-08 -o json --redact")
@command()
def admins(
    admin: AdminOpt = None,
    action: Annotated[Optional[str], typer.Option("--action", help="Exact action, e.g. "
                                                  "admin:post:/api/admin/servers or soc:scan:run.",
                                                  rich_help_panel=FILTER_PANEL, show_default=False)] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    limit: LimitOpt = None,
    all_: AllOpt = False,
    page: PageOpt = None,
) -> Any:
    """Admins' audit trail: every admin request and SOC action, newest first (needs soc:read)."""
    from eclictl.output.render import View

    params = {"adminUserId": _admin(admin), "action": action, "since": when(since, "--since"),
              "until": when(until, "--until")}
    rows = _rows("/api/soc/admin-audit", ADMIN_PAGES, params, limit, all_, page)
    cols = (Col("id"), Col("timestamp", "TIME"), Col("adminUserId", "ADMIN"), Col("adminName", "NAME"),
            Col("action", max_width=60), Col("targetType", "TARGET"), Col("targetId", "TARGET ID"),
            Col("durationMs", "MS"), Col("ipAddress", "IP"))
    return View(rows, columns=cols, sensitive=SENSITIVE, empty="no audit entries")


@app.command("report", epilog="Examples:\n\n  eclictl audit report --since 7d\n\n"
             "  eclictl audit report --admin 3 -o json")
@command()
def report(admin: AdminOpt = None, since: SinceOpt = None, until: UntilOpt = None) -> Any:
    """Time spent per admin and action (from the audit trail; polling inflates it)."""
    from eclictl.context import current
    from eclictl.output.render import View

    params = {k: v for k, v in {"adminUserId": _admin(admin), "since": when(since, "--since"),
                                "until": when(until, "--until")}.items() if v is not None}
    body = current().api.get("/api/soc/admin-audit/report", params) or {}
    rows = body.get("report") if isinstance(body, dict) else body
    cols = (Col("adminUserId", "ADMIN"), Col("adminName", "NAME"), Col("action", max_width=60), Col("count"),
            Col("totalMinutes", "MINUTES"))
    return View(rows or [], columns=cols, id_field="adminUserId", sensitive=SENSITIVE, empty="no activity")


def _target(ref: str, full: bool) -> str:
    """A server UUID (names are resolved), a mailbox address, or any text with --full."""
    from urllib.parse import quote

    value = ref.strip()
    if not value:
        raise UsageError("the server reference is empty")
    if not (full or "@" in value or _UUID_RE.match(value)):
        from eclictl.sections._servers_api import server_id

        value = server_id(value)
    return quote(value, safe="@")


AuditRefArg = Annotated[str, typer.Argument(metavar="SERVER", help="Server UUID or name, a mailbox address, or "
                                            "any value with --full.")]


@app.command("server", epilog="Examples:\n\n  eclictl audit server 0b6c8a52-6f0e-4d8e-9a51-2f1d6a0c1e01\n\n"
             "  eclictl audit server lobby-1 --all -o jsonl\n\n"
             "  eclictl audit server support@example.com      # a company mailbox\n\n"
             "  eclictl audit server 203.0.113.7 --full      # any log mentioning the value")
@command()
def server(
    ref: AuditRefArg,
    full: Annotated[bool, typer.Option("--full", help="Also match logs whose metadata contains the value.",
                                       rich_help_panel=FILTER_PANEL)] = False,
    limit: LimitOpt = None,
    all_: AllOpt = False,
    page: PageOpt = None,
) -> Any:
    """A server's audit log: activity entries and anti-abuse incidents (needs admin:audit)."""
    from eclictl.output.render import View

    import itertools

    target = _target(ref, full)
    rows = iter(_rows(f"/api/admin/audit/{target}", SERVER_PAGES, {"full": "1" if full else None}, limit, all_,
                      page))
    first = next(rows, None)
    if first is None and not page:
        _confirm_server(target)
    rows = itertools.chain([first] if first is not None else [], rows)
    cols = (Col("id"), Col("timestamp", "TIME"), Col("source"), Col("action", max_width=50),
            Col("username", "USER"), Col("email"), Col("ipAddress", "IP"))
    return View(rows, columns=cols, sensitive=SENSITIVE, empty="no audit entries")


@app.command("export", epilog="Examples:\n\n  eclictl audit export lobby-1\n\n"
             "  eclictl audit export 0b6c8a52-6f0e-4d8e-9a51-2f1d6a0c1e01 --format json --file audit.json")
@command()
def export(
    ref: AuditRefArg,
    fmt: Annotated[str, typer.Option("--format", help="csv or json.", show_default=True)] = "csv",
    full: Annotated[bool, typer.Option("--full", help="Also match logs whose metadata contains the value.")] = False,
    file: Annotated[Optional[Path], typer.Option("--file", "-f", help="Write here, 0600 (default: the panel's name, "
                                                 "audit-<value>-<date>.csv).", show_default=False)] = None,
    force: ForceOpt = False,
    legacy_file: LegacyFileOpt = None,
) -> Any:
    """Download a server's audit log (up to 10 000 rows per source) as CSV or JSON."""
    from eclictl.context import current
    from eclictl.sections.export_jobs import download_to_file

    ctx = current()
    if fmt not in ("csv", "json"):
        raise UsageError("--format must be csv or json")
    target = _target(ref, full)
    params = {"format": fmt if fmt == "json" else None, "full": "1" if full else None}
    if ctx.redact_categories():
        ctx.warn("the exported file is the panel's raw export: --redact does not mask it")
    saved = download_to_file(ctx, f"/api/admin/audit/{target}/export", dest=file, legacy=legacy_file,
                             force=force, default_name=f"audit-{target}.{fmt}", params=params,
                             on_headers=lambda h: _truncated(ctx, h))
    if _UUID_RE.match(target) and _no_entries(Path(saved["file"]), fmt):
        from eclictl.errors import NotFoundError

        try:
            _confirm_server(target)
        except NotFoundError as exc:  # the file was asked for and stays; say what it holds
            ctx.warn(f"{exc}: the file holds no entries (the panel exports an unknown UUID without complaint)")
    return {"target": ref, "format": fmt, **saved}


def _no_entries(path: Path, fmt: str) -> bool:
    """True when the export holds only the CSV header row (or an empty JSON list)."""
    import json

    text = path.read_text(encoding="utf-8-sig", errors="replace").strip()
    if fmt == "json":
        try:
            return not json.loads(text or "[]")
        except ValueError:
            return False
    return len(text.splitlines()) <= 1


def _confirm_server(target: str) -> None:
    """The panel answers an unknown UUID with an empty log: a UUID that is no server and has no
    entries is exit 6 (a deleted server's entries still show)."""
    if not _UUID_RE.match(target):
        return  # a mailbox address or a --full search: nothing to check
    from eclictl.context import current
    from eclictl.sections._exists import confirm_exists

    ctx = current()
    confirm_exists(ctx, lambda: ctx.api.get(f"/api/admin/servers/{target}"),
                   f"no server {target}, and no audit entries for it")


def _truncated(ctx: Any, headers: Any) -> None:
    if str(headers.get("x-truncated", "")).lower() == "true":
        ctx.warn("the panel stopped at 10 000 rows: the export is truncated")
