"""Anti-Abuse tab: `/api/admin/antiabuse/incidents*` (docs/panel/fraud.md#anti-abuse-incidents).

Incidents are application submissions of the `antiabuse-incidents` form. The list pages with
page/limit but filters and sorts a capped window of the newest rows in memory (so `total` is
approximate and rows past the 5000 newest are unreachable), and has no status filter: status,
severity, node and --since are filtered here. There is no single-incident GET: `show` picks from
the list (`--full` adds the raw submission through the applications routes). Bulk routes ignore
unknown ids, so `set-status` and `delete` re-read the list and report per incident.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any, Iterable, Iterator, Optional

import typer

from eclictl.api.pagination import PageSpec
from eclictl.errors import NotFoundError, UsageError
from eclictl.options import DryRunOpt, YesOpt, batch_opt, bool_opt, command, opt
from eclictl.output.columns import Col
from eclictl.sections._spec import FILTER_PANEL, Section, build
from eclictl.times import parse_since, parse_time
from eclictl.sections._verified import (MaxAffectedOpt, Outcome, QuietOpt, SinceOpt, VerifiedReport,
                                        abort_on_access_error, batches, check_max_affected, finish_verified)

if TYPE_CHECKING:
    from eclictl.context import AppContext

BASE = "/api/admin/antiabuse/incidents"
PAGE_SIZE = 100
DEFAULT_BATCH = 100
BatchOpt = batch_opt("Incidents")
STATUS_WORDS = {"resolve": "accepted", "solved": "accepted", "accepted": "accepted",
                "dismiss": "rejected", "dismissed": "rejected", "rejected": "rejected",
                "archive": "archived", "archived": "archived",
                "pending": "pending", "reopen": "pending", "open": "pending"}
STATUS_HELP = "resolve|dismiss|archive|pending (or accepted, rejected, archived, reopen, open, solved)"
SET_STATUSES = ("updated", "unchanged", "not_found", "failed", "would_update")
DELETE_STATUSES = ("deleted", "not_found", "failed", "would_delete")
SENSITIVE = {"serverName": "pii", "suspectedServerNames": "subtree", "note": "pii", "aiSummary": "pii"}

ANTIABUSE = Section(
    name="antiabuse",
    help="Anti-abuse incidents: list, show, set-status, delete (verified, in bulk).",
    path=BASE,
    pages=PageSpec(items_key="items", page_param="page", size_param="limit", page_size=PAGE_SIZE,
                   total_key=None, total_pages_key="totalPages"),
    columns=(Col("id"), Col("createdAt", "CREATED"), Col("status"), Col("detectionType", "DETECTION"),
             Col("enforcementAction", "ACTION"), Col("nodeName", "NODE"), Col("serverName", "SERVER"),
             Col("sourceIp", "SOURCE"), Col("targetIp", "TARGET"), Col("strikeCount", "STRIKES"),
             Col("aiCategory", "SEVERITY")),
    permission="admin:antiabuse",
    sensitive=SENSITIVE,
    verbs=(),
    examples=("eclictl antiabuse list --status pending --node fsn-1", "eclictl antiabuse show 17"),
)
app = build(ANTIABUSE)

#: With server-side filters the panel's totalPages counts a filtered window only: page until empty.
FILTERED_PAGES = PageSpec(items_key="items", page_param="page")


def _ctx() -> "AppContext":
    from eclictl.context import current

    return current()


def stored_status(word: str) -> str:
    status = STATUS_WORDS.get(word.strip().lower())
    if status is None:
        raise UsageError(f"unknown status '{word}': expected {STATUS_HELP}")
    return status


def iter_incidents(api: Any, params: dict[str, Any] | None = None, *, all_pages: bool = True,
                   page: int | None = None) -> Iterator[dict[str, Any]]:
    params = {k: v for k, v in (params or {}).items() if v is not None}
    if any(k in params for k in ("detectionType", "action", "minRisk")):
        spec = replace(FILTERED_PAGES)
        params["limit"] = PAGE_SIZE
        rows: Iterable[Any] = api.iterate(BASE, spec, params, start_page=page, single_page=not all_pages)
    else:
        rows = api.iterate(BASE, ANTIABUSE.pages, params, start_page=page, single_page=not all_pages)
    return (r for r in rows if isinstance(r, dict))


def _matches(row: dict[str, Any], status: str | None, severity: str | None, node: str | None,
             since: Any) -> bool:
    if status and str(row.get("status") or "") != status:
        return False
    if severity and str(row.get("aiCategory") or "").lower() != severity.lower():
        return False
    if node and str(row.get("nodeName") or "").lower() != node.lower():
        return False
    if since is not None:
        created = parse_time(row.get("createdAt"))
        if created is None or created < since:
            return False
    return True


def _take(rows: Iterable[dict[str, Any]], limit: int | None) -> Iterator[dict[str, Any]]:
    for n, row in enumerate(rows):
        if limit is not None and n >= limit:
            return
        yield row


def _until(rows: Iterable[dict[str, Any]], since: Any) -> Iterator[dict[str, Any]]:
    """Newest-first rows: stop at the first one older than `since` (no need to page further)."""
    for row in rows:
        created = parse_time(row.get("createdAt"))
        if created is not None and created < since:
            return
        yield row


def _severity_note(ctx: "AppContext", rows: list[dict[str, Any]], severity: str | None) -> None:
    if severity and not rows:
        ctx.warn("the panel's list fills aiCategory from a field its AI assessment never sets, "
                 "so --severity usually matches nothing")


@app.command("list", epilog="Examples:\n\n  eclictl antiabuse list\n\n"
             "  eclictl antiabuse list --status pending --node fsn-1 --since 7d\n\n"
             "  eclictl antiabuse list --detection-type miner --all -o json --redact\n\n"
             "  eclictl antiabuse list --status pending -o ids | eclictl antiabuse set-status - archive")
@command()
def list_incidents(
    status: Annotated[Optional[str], typer.Option("--status", help=f"Only this status: {STATUS_HELP} "
                                                  "(filtered locally).", rich_help_panel=FILTER_PANEL,
                                                  show_default=False)] = None,
    severity: opt(str, "--severity", help="Only this AI category: low, medium, high, critical (aiCategory; filtered "
                  "locally).", panel=FILTER_PANEL) = None,
    node: opt(str, "--node", help="Only incidents on this node name (locally).", panel=FILTER_PANEL) = None,
    since: SinceOpt = None,
    detection_type: opt(str, "--detection-type", help="Detection type contains this text (server-side).",
                        panel=FILTER_PANEL) = None,
    action: opt(str, "--action", help="Enforcement action contains this text (server-side).",
                panel=FILTER_PANEL) = None,
    order: Annotated[str, typer.Option("--order", help="desc (newest first) or asc.")] = "desc",
    limit: opt(int, "--limit", "-n", min=1, help="Show at most N incidents.") = None,
    all_pages: bool_opt("--all", help="Fetch every page (the panel reaches at most the 5000 newest "
                        "incidents).") = False,
    page: opt(int, "--page", min=1, help="Start at this page (100 per page).") = None,
) -> Any:
    """List anti-abuse incidents, newest first (one page of 100 unless --limit, --all or a filter)."""
    from eclictl.output.render import View

    if limit is not None and all_pages:
        raise UsageError("use --limit N or --all, not both")
    if order not in ("asc", "desc"):
        raise UsageError(f"--order must be asc or desc, got '{order}'")
    wanted = stored_status(status) if status else None
    when = parse_since(since) if since else None
    ctx = _ctx()
    local = any(v is not None for v in (wanted, severity, node, when))
    params = {"detectionType": detection_type, "action": action, "order": order}
    rows: Iterable[dict[str, Any]] = iter_incidents(ctx.api, params, page=page,
                                                    all_pages=all_pages or limit is not None or local)
    if when is not None and order == "desc":
        rows = _until(rows, when)
    rows = [r for r in _take((r for r in rows if _matches(r, wanted, severity, node, when)), limit)]
    _severity_note(ctx, rows, severity)
    return View(rows, columns=ANTIABUSE.columns, sensitive=SENSITIVE, empty="no incidents found")


def find_incidents(api: Any, ids: set[int]) -> dict[int, dict[str, Any]]:
    """The listed incidents among `ids`, paging only as far as needed."""
    found: dict[int, dict[str, Any]] = {}
    if not ids:
        return found
    for row in iter_incidents(api):
        ident = _int(row.get("id"))
        if ident in ids:
            found[ident] = row
            if len(found) == len(ids):
                break
    return found


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _full_row(api: Any, incident_id: int) -> dict[str, Any] | None:
    """The raw submission (content, meta, ipAddress) via the applications routes (legacy admin role)."""
    from eclictl.sections.applications import ANTIABUSE_SLUG, FORMS, SUBMISSIONS

    form = next((f for f in FORMS.iter_rows(api) if isinstance(f, dict) and f.get("slug") == ANTIABUSE_SLUG), None)
    if form is None:
        return None
    for row in SUBMISSIONS.iter_rows(api, {"formId": form.get("id")}):
        if isinstance(row, dict) and _int(row.get("id")) == incident_id:
            return row
    return None


@app.command("show", epilog="Examples:\n\n  eclictl antiabuse show 17\n\n  eclictl antiabuse show 17 -o json --redact\n\n"
             "  eclictl antiabuse show 17 --full   # adds content/meta (needs the legacy admin role)")
@command()
def show(
    ident: Annotated[int, typer.Argument(metavar="ID", help="Incident id.", min=1)],
    full: bool_opt("--full", help="Add the raw submission (content, meta, ipAddress) from the applications "
                   "routes (role admin/rootAdmin/*, feature 'applications').") = False,
) -> Any:
    """Show one incident (from the list: the panel has no single-incident route)."""
    from eclictl.output.render import View

    ctx = _ctx()
    row = find_incidents(ctx.api, {ident}).get(ident)
    if row is None:
        raise NotFoundError(f"no incident {ident} among the listed incidents",
                            hint="the panel lists at most the 5000 newest")
    if full:
        raw = _full_row(ctx.api, ident)
        if raw is None:
            ctx.warn("the raw submission was not found through the applications routes")
        else:
            row = {**row, "content": raw.get("content"), "ipAddress": raw.get("ipAddress"),
                   "reviewedBy": raw.get("reviewedBy"), "meta": raw.get("meta")}
    return View(row, detail=True, sensitive=SENSITIVE)


# -- verified bulk mutations ----------------------------------------------------------------
def _ids(ctx: "AppContext", refs: list[str]) -> list[int]:
    items = ctx.read_ids(refs)
    bad = [i for i in items if not i.isdigit() or int(i) < 1]
    if bad:
        raise UsageError(f"incident ids are positive integers, got: {', '.join(bad[:5])}")
    return [int(i) for i in items]


def _single(ctx: "AppContext", method: str, path: str, body: Any, outcome: Outcome, done: str) -> None:
    """One incident outside the list window: the single route's 404 tells us it does not exist."""
    from eclictl.api.errors import ApiNotFoundError
    from eclictl.bulk import describe_error

    try:
        ctx.api.request(method, path, json_body=body)
    except ApiNotFoundError as exc:
        outcome.status, outcome.message = "not_found", exc.message
    except Exception as exc:  # noqa: BLE001
        abort_on_access_error(exc, done_any=False)
        outcome.status, outcome.message = "failed", describe_error(exc)
    else:
        outcome.status, outcome.message = done, "outside the list window: verified by the answer only"


def _send(ctx: "AppContext", path: str, ids: list[int], make_body: Any, size: int) -> dict[int, str]:
    from eclictl.bulk import describe_error

    errors: dict[int, str] = {}
    for n, batch in enumerate(batches(ids, size)):
        try:
            ctx.api.post(path, make_body(batch))
        except Exception as exc:  # noqa: BLE001 - reported per item after verification
            abort_on_access_error(exc, done_any=n > 0)
            errors.update({i: f"batch {n + 1} failed: {describe_error(exc)}" for i in batch})
    return errors


def _plan(ctx: "AppContext", ids: list[int], report: VerifiedReport,
          unchanged: Any = None) -> tuple[list[Outcome], list[Outcome]]:
    """Split ids into listed (verifiable) and unlisted outcomes; mark those already done."""
    listed = find_incidents(ctx.api, set(ids))
    known: list[Outcome] = []
    unknown: list[Outcome] = []
    for ident in ids:
        outcome = Outcome(str(ident), ident, "pending")
        report.outcomes.append(outcome)
        row = listed.get(ident)
        if row is None:
            unknown.append(outcome)
        elif unchanged is not None and unchanged(row):
            outcome.status, outcome.message = "unchanged", f"already {row.get('status')}"
        else:
            known.append(outcome)
    return known, unknown


def _dry(report: VerifiedReport, known: list[Outcome], unknown: list[Outcome], word: str) -> None:
    for o in known:
        o.status = word
    for o in unknown:
        o.status, o.message = word, "not in the list window: existence unknown"


BULK_JSON = ('{"action", "dry_run", "total", "counts": {<status>: n}, <status>: [ids...], '
             '"items": [{"item", "id", "status", "message"}]}')


@app.command("set-status", epilog="Examples:\n\n  eclictl antiabuse set-status 17 resolve\n\n"
             "  eclictl antiabuse set-status 17 18 19 archive --note 'old noise'\n\n"
             "  eclictl antiabuse list --status pending --node hel-1 -o ids | "
             "eclictl antiabuse set-status - dismiss --max-affected 50\n\n"
             "Each incident ends as updated, unchanged, not_found or failed (would_update with --dry-run), "
             "checked by re-reading the list. Exit 0 all done, 8 some failed, 7 --max-affected exceeded, "
             f"6 none exist. JSON: {BULK_JSON}")
@command()
def set_status(
    refs: Annotated[list[str], typer.Argument(metavar="ID...", help="Incident ids; '-' reads them from stdin.")],
    status: Annotated[str, typer.Argument(metavar="STATUS", help=STATUS_HELP)],
    note: opt(str, "--note", help="Resolution note (max 800 characters).") = None,
    dry_run: DryRunOpt = False,
    max_affected: MaxAffectedOpt = None,
    batch_size: BatchOpt = DEFAULT_BATCH,
    quiet: QuietOpt = False,
) -> Any:
    """Set the status of incidents (bulk route for several), then verify each one."""
    target = stored_status(status)
    if note is not None and len(note) > 800:
        raise UsageError(f"--note is {len(note)} characters; the panel keeps at most 800")
    ctx = _ctx()
    ids = _ids(ctx, refs)
    report = VerifiedReport(f"set incident status to {target}", SET_STATUSES, dry_run=dry_run)
    known, unknown = _plan(ctx, ids, report, unchanged=lambda row: row.get("status") == target)
    check_max_affected(len(known) + len(unknown), max_affected, "incident(s)")
    if dry_run:
        _dry(report, known, unknown, "would_update")
        finish_verified(ctx, report, quiet=quiet)
        return None
    body: dict[str, Any] = {"action": status.strip().lower()}
    if note is not None:
        body["note"] = note
    errors: dict[int, str] = {}
    if len(known) == 1 and not unknown:
        errors = _send_one_status(ctx, known[0].id, body)
    elif known:
        errors = _send(ctx, f"{BASE}/bulk-status", [o.id for o in known], lambda b: {"ids": b, **body}, batch_size)
    for o in unknown:
        _single(ctx, "POST", f"{BASE}/{o.id}/status", body, o, "updated")
    _verify(ctx, known, errors, lambda row: row is not None and row.get("status") == target, "updated",
            f"status is not {target} after the update")
    finish_verified(ctx, report, quiet=quiet)
    return None


def _send_one_status(ctx: "AppContext", ident: int, body: dict[str, Any]) -> dict[int, str]:
    from eclictl.bulk import describe_error

    try:
        ctx.api.post(f"{BASE}/{ident}/status", body)
    except Exception as exc:  # noqa: BLE001
        abort_on_access_error(exc, done_any=False)
        return {ident: describe_error(exc)}
    return {}


def _verify(ctx: "AppContext", known: list[Outcome], errors: dict[int, str], ok: Any, done: str,
            problem: str) -> None:
    """Re-read the listed incidents and judge each by what the panel now shows."""
    from eclictl.bulk import describe_error

    if not known:
        return
    try:
        now = find_incidents(ctx.api, {o.id for o in known})
    except Exception as exc:  # noqa: BLE001
        for o in known:
            o.status, o.message = "failed", f"could not verify: {describe_error(exc)}"
        return
    for o in known:
        if ok(now.get(o.id)):
            o.status = done
        else:
            o.status, o.message = "failed", errors.get(o.id, problem)


@app.command("delete", epilog="Examples:\n\n  eclictl antiabuse delete 17 --yes\n\n"
             "  eclictl antiabuse list --status rejected -o ids | eclictl antiabuse delete - --yes "
             "--max-affected 100\n\n  eclictl antiabuse delete 17 18 --dry-run\n\n"
             "Hard delete. Each incident ends as deleted, not_found or failed (would_delete with --dry-run), "
             "checked by re-reading the list. Exit 0 all done, 8 some failed, 7 --max-affected exceeded, "
             f"6 none exist, 2 no --yes without a terminal. JSON: {BULK_JSON}")
@command()
def delete(
    refs: Annotated[list[str], typer.Argument(metavar="ID...", help="Incident ids; '-' reads them from stdin.")],
    dry_run: DryRunOpt = False,
    max_affected: MaxAffectedOpt = None,
    batch_size: BatchOpt = DEFAULT_BATCH,
    yes: YesOpt = False,
    quiet: QuietOpt = False,
) -> Any:
    """Delete incidents for good (bulk route), then verify each one is gone."""
    ctx = _ctx()
    ids = _ids(ctx, refs)
    report = VerifiedReport("delete incidents", DELETE_STATUSES, dry_run=dry_run)
    known, unknown = _plan(ctx, ids, report)
    check_max_affected(len(known) + len(unknown), max_affected, "incident(s)")
    if dry_run:
        _dry(report, known, unknown, "would_delete")
        finish_verified(ctx, report, quiet=quiet)
        return None
    ctx.confirm(f"Permanently delete {len(ids)} incident(s): {', '.join(map(str, ids[:10]))}?", yes=yes,
                what="delete incidents")
    errors = _send(ctx, f"{BASE}/bulk-delete", [o.id for o in known], lambda b: {"ids": b}, batch_size) \
        if known else {}
    for o in unknown:
        _single(ctx, "DELETE", f"{BASE}/{o.id}", None, o, "deleted")
    _verify(ctx, known, errors, lambda row: row is None, "deleted", "still listed after the delete")
    finish_verified(ctx, report, quiet=quiet)
    return None
