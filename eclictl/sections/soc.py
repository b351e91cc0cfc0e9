"""SOC: `/api/soc/overview` and `/api/soc/usage/{user,org}/:id` (docs/panel/search.md#soc-overview, docs/panel/search.md#soc-usage).

The admin audit trail (`/api/soc/admin-audit`) lives in `eclictl audit`. Both SOC routes need only
a login: the overview's content depends on S(soc:read) (root owners and JWT holders of soc:read see
every server; everyone else, including admin-type keys of non-root owners, only their own servers).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer

from eclictl.options import bool_opt, command, opt

app = typer.Typer(name="soc", help="SOC: security data reported by servers, and API usage per user or "
                  "organisation.", no_args_is_help=True, add_completion=False,
                  context_settings={"help_option_names": ["-h", "--help"]}, rich_markup_mode="rich")
usage_app = typer.Typer(name="usage", help="API requests per endpoint of a user or an organisation (usually "
                        "empty: see `eclictl soc usage user --help`).", no_args_is_help=True, add_completion=False,
                        context_settings={"help_option_names": ["-h", "--help"]}, rich_markup_mode="rich")
app.add_typer(usage_app, name="usage")

OVERVIEW_PATH = "/api/soc/overview"
USAGE_PATH = "/api/soc/usage/{kind}/{id}"
FILTER_PANEL = "Filters"
_ID_SEG = re.compile(r"^(\d+|[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
                     r"|[0-9a-fA-F]{24,})$")
EMPTY_USAGE = ("no usage recorded: the panel logs requests before it knows the caller, so these counts are "
               "nearly always empty")


# -- overview ----------------------------------------------------------------------------------

@app.command("overview", epilog="Examples:\n\n  eclictl soc overview\n\n"
             "  eclictl soc overview --by-server\n\n"
             "  eclictl soc overview --server 2efc4e15-c2ff-4e92-9736-96dec5ecece7 -o json")
@command()
def overview(
    server: opt(str, "--server", metavar="UUID", help="Only rows of this server (UUID, dashes optional).",
                panel=FILTER_PANEL) = None,
    by_server: bool_opt("--by-server", help="One line per server: rows and the newest timestamp.",
                        panel=FILTER_PANEL) = False,
    limit: opt(int, "--limit", "-n", min=1, metavar="N", help="At most N rows (the panel sends at most 500, newest "
               "first).", panel=FILTER_PANEL) = None,
) -> Any:
    """Show the newest SOC data rows (500 for soc:read holders, else your own servers' 200)."""
    from eclictl.context import current
    from eclictl.errors import UsageError
    from eclictl.output.columns import Col
    from eclictl.output.render import View

    wanted = _norm(server) if server is not None else None
    if server is not None and not wanted:
        raise UsageError("--server needs a server UUID")
    ctx = current()
    rows = ctx.api.rows(OVERVIEW_PATH)
    if wanted:
        rows = [r for r in rows if _norm(r.get("serverId")) == wanted]
    if by_server:
        summary = summarise(rows)
        return View(summary[:limit] if limit else summary, id_field="serverId",
                    columns=[Col("serverId", "SERVER"), Col("rows"), Col("newest")])
    if limit:
        rows = rows[:limit]
    if not rows:
        ctx.info("no SOC data (the view is limited to your own servers unless the key's owner is root or you "
                 "hold soc:read)")
    return View(rows, columns=[Col("id"), Col("serverId", "SERVER"), Col("timestamp"),
                               Col("metrics", max_width=60)])


def _norm(value: Any) -> str:
    return str(value or "").strip().replace("-", "").lower()


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows per server and the newest timestamp, busiest server first."""
    by: dict[str, dict[str, Any]] = {}
    for row in rows:
        sid = str(row.get("serverId") or "")
        entry = by.setdefault(sid, {"serverId": sid, "rows": 0, "newest": None})
        entry["rows"] += 1
        ts = row.get("timestamp")
        if isinstance(ts, str) and (entry["newest"] is None or ts > entry["newest"]):
            entry["newest"] = ts
    return sorted(by.values(), key=lambda e: (-e["rows"], e["serverId"]))


# -- usage -------------------------------------------------------------------------------------

def normalise_endpoint(endpoint: Any) -> str:
    """A full request URL -> its path with ids as `:id` (no scheme, host or query), so rows group."""
    from urllib.parse import urlsplit

    text = str(endpoint or "")
    path = urlsplit(text).path if "://" in text else text.split("?", 1)[0].split("#", 1)[0]
    parts = [":id" if _ID_SEG.match(seg) else seg for seg in path.split("/")]
    return "/".join(parts) or "/"


def _count(value: Any) -> int:
    """`count` comes from a raw COUNT(*): likely a string."""
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return 0


def usage_rows(body: Any, raw: bool) -> list[dict[str, Any]]:
    totals: dict[str, int] = {}
    for row in body if isinstance(body, list) else []:
        if not isinstance(row, dict):
            continue
        key = str(row.get("endpoint") or "") if raw else normalise_endpoint(row.get("endpoint"))
        totals[key] = totals.get(key, 0) + _count(row.get("count"))
    return [{"endpoint": k, "count": v} for k, v in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]


def _usage(kind: str, ref: str, raw: bool) -> Any:
    from eclictl.context import current
    from eclictl.errors import UsageError
    from eclictl.output.columns import Col
    from eclictl.output.render import View

    ctx = current()
    if kind == "user":
        from eclictl.sections._spec import user_ref

        ident = user_ref(ctx.api, ref)
    elif not ref.strip().isdigit():
        raise UsageError(f"organisation ids are numbers, got '{ref}'")
    else:
        ident = int(ref)
    rows = usage_rows(ctx.api.rows(USAGE_PATH.format(kind=kind, id=ident)), raw)
    if not rows:  # the panel answers [] for an id nobody has, too
        from eclictl.sections._exists import confirm_exists

        if kind == "user":
            from eclictl.sections.users import user_row

            confirm_exists(ctx, lambda: user_row(ctx.api, ident), f"no user {ident}")
        else:
            from eclictl.sections.orgs import find_org

            confirm_exists(ctx, lambda: find_org(ctx.api, str(ident)), f"no organisation {ident}")
        ctx.info(EMPTY_USAGE)
    return View(rows, id_field="endpoint", columns=[Col("endpoint", max_width=80), Col("count")])


RawOpt = bool_opt("--raw", help="Keep the full URLs as the panel stores them (no grouping by path).",
                  panel=FILTER_PANEL)


NOTE = ("Note: any logged-in user may read these (no permission check on the panel), and they are nearly "
        "always empty because the panel logs requests before authenticating them.")


@usage_app.command("user", epilog=f"{NOTE}\n\nExamples:\n\n  eclictl soc usage user 42\n\n"
                   "  eclictl soc usage user 42 -o json")
@command()
def usage_user(ref: Annotated[str, typer.Argument(metavar="USER", help="User id or exact e-mail.")],
               raw: RawOpt = False) -> Any:
    """API requests per endpoint made by a user (paths grouped, ids shown as :id)."""
    return _usage("user", ref, raw)


@usage_app.command("org", epilog=f"{NOTE}\n\nExamples:\n\n  eclictl soc usage org 3\n\n  eclictl soc usage org 3 --raw")
@command()
def usage_org(ref: Annotated[str, typer.Argument(metavar="ID", help="Organisation id.")], raw: RawOpt = False) -> Any:
    """API requests per endpoint made on behalf of an organisation (paths grouped)."""
    return _usage("org", ref, raw)
