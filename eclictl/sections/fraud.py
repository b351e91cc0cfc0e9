"""Fraud tab: `/api/admin/fraud-alerts*`, `/api/admin/fraud-scan*` (docs/panel/fraud.md#fraud-alerts, docs/panel/fraud.md#fraud-scans).

An alert is a flagged *user* (no alert id: every route takes the user id). The panel's list has
no filters or paging, so `--since`, `--reason-contains` and `--suspended` are applied here. Its
bulk dismiss answers with the number of ids it was *sent*, so `dismiss` re-reads the list and
reports what really changed per user. `dismiss` is built to run from cron: no prompts without
a TTY (`--yes`), `--quiet`, a stable JSON summary and a `--since-last-run` cursor file.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable, Optional, Sequence

import typer

from eclictl.errors import NotFoundError, PartialFailure, RejectedError, UsageError
from eclictl.options import SAFETY_PANEL, DryRunOpt, YesOpt, batch_opt, bool_opt, command, opt
from eclictl.output.columns import Col
from eclictl.sections._fraud_alerts import PATH, _filter, _user_id, fetch_alerts, note_undated, resolve_user_id
from eclictl.sections._fraud_dismiss import (_explicit_targets, _next_cursor, _read_cursor, _send_batches,
                                             _state_path, _unflagged, _verify, write_state)
from eclictl.sections._fields import Bulk, add_writes
from eclictl.sections._spec import FILTER_PANEL, Section, build
from eclictl.sections._verified import (MaxAffectedOpt, Outcome, QuietOpt, SinceOpt, VerifiedReport,
                                        check_max_affected, finish_verified)
from eclictl.times import iso, parse_time, utcnow

if TYPE_CHECKING:
    from eclictl.context import AppContext

SCAN_PANEL = "Scan"
CRON_PANEL = "Scheduling"
USER_REF = "User id or exact e-mail."
USER_REFS = "User ids or e-mails; '-' reads them from stdin."
DEFAULT_BATCH = 50
BatchOpt = batch_opt("Users")
DISMISS_STATUSES = ("dismissed", "already_clear", "not_found", "failed", "would_dismiss")
CURSOR_VERSION = 1

FRAUD = Section(
    name="fraud",
    help="Fraud alerts: list, show, scan, flag, clear, and verified bulk dismissal (cron-ready).",
    path=PATH,
    columns=(Col("id"), Col("email"), Col("firstName", "FIRST"), Col("lastName", "LAST"), Col("suspended"),
             Col("fraudDetectedAt", "DETECTED"), Col("fraudReason", "REASON", max_width=60)),
    name_fields=("email",),
    permission="admin:fraud",
    tab="fraud",
    verbs=(),
    examples=("eclictl fraud list --since 7d --not-suspended", "eclictl fraud show 42",
              "eclictl fraud dismiss --all-matching --reason-contains disposable --dry-run"),
)
app = build(FRAUD)

ALERT_COLUMNS = FRAUD.columns
SCAN_COLUMNS = (Col("userId", "USER"), Col("status"), Col("fraudScore", "SCORE"), Col("riskCategory", "RISK"),
                Col("isSuspicious", "SUSPICIOUS"), Col("flagged"), Col("reasons", max_width=60), Col("message"))


def _ctx() -> "AppContext":
    from eclictl.context import current

    return current()


# -- time: --since and the panel's dates ----------------------------------------------------


# -- reading alerts -------------------------------------------------------------------------


ReasonOpt = opt(str, "--reason-contains", help="Only alerts whose reason contains this text (case-insensitive).",
                panel=FILTER_PANEL)
UndatedOpt = bool_opt("--include-undated", help="With --since: also alerts without a detection time (users flagged by "
                      "hand; the panel dates only automatic flags).", panel=FILTER_PANEL)
SuspendedOpt = opt(bool, "--suspended/--not-suspended", help="Only alerts of suspended / of active users.",
                   panel=FILTER_PANEL)


def alert_view(rows: Any, *, detail: bool = False) -> Any:
    from eclictl.output.render import View

    return View(rows, columns=None if detail else ALERT_COLUMNS, detail=detail, empty="no fraud alerts")


# -- list / show ----------------------------------------------------------------------------
@app.command("list", epilog="Examples:\n\n  eclictl fraud list\n\n  eclictl fraud list --since 7d --not-suspended\n\n"
             "  eclictl fraud list --reason-contains disposable -o ids\n\n"
             "  eclictl fraud list -o csv --redact > alerts.csv")
@command()
def list_alerts(
    since: SinceOpt = None,
    include_undated: UndatedOpt = False,
    reason_contains: ReasonOpt = None,
    suspended: SuspendedOpt = None,
    limit: opt(int, "--limit", "-n", min=1, help="Show at most N alerts.") = None,
) -> Any:
    """List fraud alerts (flagged users), newest first; filters are applied locally."""
    ctx = _ctx()
    flt = _filter(since, reason_contains, suspended, include_undated)
    alerts = fetch_alerts(ctx.api)
    rows = [r for r in alerts if flt.matches(r)]
    note_undated(ctx, flt, alerts)
    return alert_view(rows[:limit] if limit else rows)


def find_alert(api: Any, user_id: int, alerts: Sequence[dict[str, Any]] | None = None) -> dict[str, Any] | None:
    for row in fetch_alerts(api) if alerts is None else alerts:
        if _user_id(row.get("id")) == user_id:
            return row
    return None


@app.command("show", epilog="Examples:\n\n  eclictl fraud show 42\n\n  eclictl fraud show jane@example.com -o json\n\n"
             "  eclictl fraud show 42 --redact")
@command()
def show(ref: Annotated[str, typer.Argument(metavar="USER", help=USER_REF)]) -> Any:
    """Show the fraud alert of one user (exit 6 when the user is not flagged)."""
    ctx = _ctx()
    user_id = resolve_user_id(ctx.api, ref)
    row = find_alert(ctx.api, user_id)
    if row is None:
        raise NotFoundError(f"user {user_id} has no fraud alert", hint="eclictl fraud list")
    return alert_view(row, detail=True)


# -- scan -----------------------------------------------------------------------------------
def _scan_row(user: str, data: Any) -> dict[str, Any]:
    body = data if isinstance(data, dict) else {}
    return {"userId": body.get("userId", _user_id(user) or user), "status": "done",
            "fraudScore": body.get("fraudScore"), "riskCategory": body.get("riskCategory"),
            "isSuspicious": body.get("isSuspicious"), "flagged": bool(body.get("isSuspicious")),
            "reasons": body.get("reasons") or [], "signals": body.get("signals") or {}, "message": ""}


@app.command("scan", epilog="Examples:\n\n  eclictl fraud scan 42\n\n  eclictl fraud scan 42 jane@example.com -o json\n\n"
             "  eclictl fraud list --since 1d -o ids | eclictl fraud scan -\n\n"
             "  eclictl fraud scan --all --yes --wait")
@command(bulk=True)
def scan(
    refs: Annotated[Optional[list[str]], typer.Argument(metavar="[USER]...", help=USER_REFS,
                                                        show_default=False)] = None,
    all_users: bool_opt("--all", help="Start the panel's sweep of the first 5000 users (runs for hours in the "
                        "background; no progress endpoint).", panel=SCAN_PANEL) = False,
    wait: bool_opt("--wait", help="With --all: poll your activity log until the sweep reports completion (needs "
                   "logs:read).", panel=SCAN_PANEL) = False,
    poll: Annotated[float, typer.Option("--poll-interval", min=1, help="Seconds between --wait polls.",
                                        rich_help_panel=SCAN_PANEL)] = 30.0,
    wait_timeout: Annotated[float, typer.Option("--wait-timeout", min=1, help="Give up waiting after this many "
                                                "seconds (exit 1).", rich_help_panel=SCAN_PANEL)] = 6 * 3600.0,
    scan_timeout: Annotated[float, typer.Option("--scan-timeout", min=1, help="Per-user request timeout: a scan "
                                                "retries the AI for minutes.", rich_help_panel=SCAN_PANEL)] = 900.0,
    yes: YesOpt = False,
) -> Any:
    """Run an AI fraud scan for users (sends their PII to the AI provider; may flag or clear them)."""
    ctx = _ctx()
    if all_users:
        if refs:
            raise UsageError("pass user ids or --all, not both")
        return _scan_all(ctx, yes=yes, wait=wait, poll=poll, wait_timeout=wait_timeout)
    if wait:
        raise UsageError("--wait only applies to --all")
    from eclictl.bulk import FAILED, BulkRunner

    items = ctx.read_ids(refs or [])

    def one(ref: str) -> Any:
        user_id = resolve_user_id(ctx.api, ref)
        return ctx.api.request("POST", f"/api/admin/fraud-scan/{user_id}", timeout=scan_timeout).data

    report = BulkRunner(ctx).run("fraud scan", items, one)
    rows = [_scan_row(r.item, r.data) if r.status != FAILED else
            {"userId": _user_id(r.item) or r.item, "status": r.status, "fraudScore": None, "riskCategory": None,
             "isSuspicious": None, "flagged": False, "reasons": [], "signals": {}, "message": r.message}
            for r in report.results]
    _emit_table(ctx, rows, SCAN_COLUMNS, {"action": "fraud scan", "results": rows, **_counts(report)},
                sensitive={"reasons": "subtree"})
    if report.failed:
        names = ", ".join(f"{r.item} ({r.message})" for r in report.failed[:10])
        raise PartialFailure(f"fraud scan: {len(report.failed)} of {len(rows)} user(s) failed: {names}")
    return None


def _counts(report: Any) -> dict[str, int]:
    return {"total": len(report.results), "done": report.count("done"), "failed": report.count("failed")}


def _emit_table(ctx: "AppContext", rows: list[dict[str, Any]], columns: Sequence[Col], summary: Any,
                sensitive: dict[str, str] | None = None, id_field: str = "userId") -> None:
    from eclictl.output.render import View

    ctx.emit(View(rows, columns=columns, id_field=id_field, json_data=summary, sensitive=sensitive or {}))


def _caller_id(ctx: "AppContext") -> int | None:
    body = ctx.api.get("/api/apikeys/my") if ctx.settings.api_key else ctx.api.get("/api/auth/session")
    if isinstance(body, list) and body and isinstance(body[0], dict):
        user = body[0].get("user") or {}
        return _user_id(user.get("id") if isinstance(user, dict) else body[0].get("userId"))
    if isinstance(body, dict) and isinstance(body.get("user"), dict):
        return _user_id(body["user"].get("id"))
    return None


def _scan_all(ctx: "AppContext", *, yes: bool, wait: bool, poll: float, wait_timeout: float) -> Any:
    ctx.confirm("Start a fraud scan of up to 5000 users? Their PII is sent to the AI provider, and a "
                "misconfigured model flags everyone.", yes=yes, what="start a fraud scan of all users")
    started = utcnow()
    body = ctx.api.post("/api/admin/fraud-scan-all")
    result: dict[str, Any] = {"started": bool(isinstance(body, dict) and body.get("success")),
                              "message": body.get("message") if isinstance(body, dict) else None,
                              "startedAt": iso(started), "completed": None}
    if not wait:
        ctx.info("the sweep runs in the background; there is no progress endpoint (use --wait, or watch "
                 "`eclictl logs` for admin:fraud-scan:completed)")
        return result
    result["completed"] = _wait_for_sweep(ctx, started, poll, wait_timeout)
    return result


def _wait_for_sweep(ctx: "AppContext", started: datetime, poll: float, wait_timeout: float) -> dict[str, Any]:
    """Poll the caller's activity log for `admin:fraud-scan:completed|error` after `started`."""
    from eclictl.errors import EclictlError

    user_id = _caller_id(ctx)
    waited = 0.0
    since = started - timedelta(seconds=5)  # tolerate clock skew between us and the panel
    while True:
        body = ctx.api.get("/api/admin/logs", {"type": "audit", "userId": user_id, "per": 50, "nocount": 1})
        for log in (body or {}).get("logs", []) if isinstance(body, dict) else []:
            action = str(log.get("action") or "")
            when = parse_time(log.get("timestamp"))
            if action.startswith(("admin:fraud-scan:completed", "admin:fraud-scan:error")) and \
                    (when is None or when >= since):
                entry = {"action": action, "at": log.get("timestamp"), "metadata": log.get("metadata")}
                if "error" in action:
                    raise EclictlError(f"the fraud sweep failed: {action}", details=entry)
                return entry
        if waited >= wait_timeout:
            raise EclictlError(f"the fraud sweep did not report completion within {wait_timeout:.0f} s",
                               hint="it may still be running; check `eclictl logs`")
        ctx.factory.sleep(poll)
        waited += poll


# -- flag / suspend / clear -----------------------------------------------------------------
@app.command("flag", epilog="Examples:\n\n  eclictl fraud flag 42 --reason 'Chargeback ring, see ticket 991'\n\n"
             "  eclictl fraud flag jane@example.com --reason 'Stolen card' --suspend --yes")
@command()
def flag(
    ref: Annotated[str, typer.Argument(metavar="USER", help=USER_REF)],
    reason: Annotated[str, typer.Option("--reason", help="Why (stored as fraudReason; shown to staff).")],
    suspend: bool_opt("--suspend", help="Also suspend the user (e-mails them).", panel=SAFETY_PANEL) = False,
    yes: YesOpt = False,
) -> Any:
    """Flag a user for fraud (the panel's user edit; --suspend uses the alert's suspend action)."""
    if not reason.strip():
        raise UsageError("--reason cannot be empty")
    ctx = _ctx()
    user_id = resolve_user_id(ctx.api, ref)
    if suspend:
        ctx.confirm(f"Flag and suspend user {user_id} (they are e-mailed)?", yes=yes, what="suspend a user")
    # fraud-alerts PUT only knows dismiss|suspend: flagging is PUT /api/admin/users/:id (admin:user:edit).
    ctx.api.put(f"/api/admin/users/{user_id}", {"fraudFlag": True, "fraudReason": reason.strip()})
    if suspend:
        ctx.api.put(f"{PATH}/{user_id}", {"action": "suspend", "reason": reason.strip()})
    row = find_alert(ctx.api, user_id)
    if row is None:
        raise RejectedError(f"the panel answered success but user {user_id} is not flagged")
    return alert_view(row, detail=True)


@app.command("suspend", epilog="Examples:\n\n  eclictl fraud suspend 42 --yes\n\n"
             "  eclictl fraud list --reason-contains 'card testing' -o ids | eclictl fraud suspend - --yes")
@command(bulk=True)
def suspend(
    refs: Annotated[list[str], typer.Argument(metavar="USER...", help=USER_REFS)],
    reason: opt(str, "--reason", help="Replaces the alert's reason.") = None,
    yes: YesOpt = False,
) -> Any:
    """Suspend flagged users through their alert (e-mails them; root users are refused)."""
    ctx = _ctx()
    items = ctx.read_ids(refs)
    ctx.confirm(f"Suspend {len(items)} flagged user(s): {', '.join(items[:10])}?", yes=yes, what="suspend users")
    alerts = fetch_alerts(ctx.api)

    def one(ref: str) -> Any:
        user_id = resolve_user_id(ctx.api, ref)
        row = find_alert(ctx.api, user_id, alerts)
        if row is None:
            return ("skipped", "no fraud alert")
        if row.get("suspended") and reason is None:
            return ("skipped", "already suspended")
        body: dict[str, Any] = {"action": "suspend"}
        if reason:
            body["reason"] = reason
        ctx.api.put(f"{PATH}/{user_id}", body)
        return None

    _run_bulk(ctx, "suspend flagged users", items, one)
    return None


def _clear(ctx: Any, ref: str, alerts: Any) -> Any:
    from eclictl.sections.users import user_row

    user_id = resolve_user_id(ctx.api, ref)
    if find_alert(ctx.api, user_id, alerts) is None:
        outcome = _unflagged(ctx, ref, user_id, user_row)
        if outcome.status == "not_found":
            raise NotFoundError(f"no user {user_id}")
        return ("skipped", outcome.message)
    ctx.api.put(f"{PATH}/{user_id}", {"action": "dismiss"})
    return None


add_writes(app, replace(FRAUD, writes=(
    Bulk("clear", "Clear users' fraud flags one by one (the alert's dismiss action; never un-suspends).",
         "Examples:\n\n  eclictl fraud clear 42\n\n  eclictl fraud clear 42 43 jane@example.com\n\n"
         "  (clearing never un-suspends: use `eclictl users unsuspend`)\n\n"
         "  (the user keeps the old reason and detection date; `eclictl fraud dismiss` clears them too)",
         "clear fraud flags", "USER...", USER_REFS, _clear, lookup=lambda ctx, items: fetch_alerts(ctx.api),
         yes=False, dry_run=False),
)))


def _run_bulk(ctx: "AppContext", action: str, items: list[str], fn: Callable[[str], Any]) -> None:
    from eclictl.bulk import BulkRunner, finish

    finish(ctx, BulkRunner(ctx).run(action, items, fn))


# -- verified bulk reports (shared with antiabuse) ------------------------------------------


# -- dismiss --------------------------------------------------------------------------------


DISMISS_EPILOG = """Examples:

  eclictl fraud dismiss 42 43 jane@example.com --yes

  eclictl fraud list --reason-contains 'card testing' -o ids | eclictl fraud dismiss - --yes

  eclictl fraud dismiss --all-matching --reason-contains disposable --dry-run

  eclictl fraud dismiss --all-matching --since 1d --max-affected 200 --yes --quiet --since-last-run /var/lib/eclictl/fraud.cursor

Each user ends as dismissed, already_clear, not_found or failed (would_dismiss with --dry-run),
checked by re-reading the alert list. Exit 0: everything asked is now clear; 8: some failed (a re-run
retries them); 7: --max-affected exceeded (nothing done); 6: none of the users exist; 2: no --yes
without a terminal.

JSON (-o json): {"action", "dry_run", "total", "counts": {"dismissed", "already_clear", "not_found",
"failed", "would_dismiss"}, "dismissed": [...], "already_clear": [...], "not_found": [...], "failed":
[...], "would_dismiss": [...], "items": [{"item", "id", "status", "message"}], "cursor"} (lists hold
the items as given; "cursor" only with --since-last-run).

--since-last-run FILE keeps a cursor (the newest detection time seen): a run handles only alerts
detected at or after it, and the file is replaced atomically only after a fully successful run."""


@app.command("dismiss", epilog=DISMISS_EPILOG)
@command()
def dismiss(
    refs: Annotated[Optional[list[str]], typer.Argument(metavar="[USER]...", help=USER_REFS,
                                                        show_default=False)] = None,
    all_matching: bool_opt("--all-matching", help="Dismiss every alert matching the filters.",
                           panel=FILTER_PANEL) = False,
    since: SinceOpt = None,
    include_undated: UndatedOpt = False,
    reason_contains: ReasonOpt = None,
    suspended: SuspendedOpt = None,
    dry_run: DryRunOpt = False,
    max_affected: MaxAffectedOpt = None,
    batch_size: BatchOpt = DEFAULT_BATCH,
    yes: YesOpt = False,
    quiet: QuietOpt = False,
    since_last_run: opt(Path, "--since-last-run", metavar="STATEFILE", help="Only alerts newer than the previous "
                        "successful run; the cursor is stored in STATEFILE (needs --all-matching).",
                        panel=CRON_PANEL) = None,
) -> Any:
    """Dismiss fraud alerts in bulk, then verify per user (the panel's count is what it was sent)."""
    ctx = _ctx()
    flt = _filter(since, reason_contains, suspended, include_undated)
    if all_matching and refs:
        raise UsageError("pass users or --all-matching, not both")
    if not all_matching and (flt.active or since_last_run is not None):
        raise UsageError("filters and --since-last-run need --all-matching")
    state_path = _state_path(since_last_run)
    items = [] if all_matching else ctx.read_ids(refs or [])
    report = VerifiedReport("dismiss fraud alerts", DISMISS_STATUSES, dry_run=dry_run)
    previous = _read_cursor(state_path) if state_path else None
    snapshot = fetch_alerts(ctx.api)
    alerts = {uid: r for r in snapshot if (uid := _user_id(r.get("id"))) is not None}
    if all_matching:
        chosen = replace(flt, cursor=previous)
        targets = [uid for uid, row in alerts.items() if chosen.matches(row)]
        note_undated(ctx, chosen, alerts.values())
        report.outcomes.extend(Outcome(str(uid), uid, "pending") for uid in targets)
    else:
        targets = _explicit_targets(ctx, items, alerts, report)
    check_max_affected(len(targets), max_affected, "fraud alert(s)")
    if state_path is not None:
        report.extra["cursor"] = _next_cursor(snapshot, previous)
    if dry_run:
        for o in report.outcomes:
            if o.status == "pending":
                o.status = "would_dismiss"
        finish_verified(ctx, report, quiet=quiet)
        return None
    if targets:
        ctx.confirm(f"Dismiss {len(targets)} fraud alert(s) (users {', '.join(map(str, targets[:10]))}"
                    f"{', …' if len(targets) > 10 else ''})?", yes=yes, what="dismiss fraud alerts")
        errors = _send_batches(ctx, targets, batch_size)
        _verify(ctx, report, errors)
    success = not report.failed
    if state_path is not None and success:
        write_state(state_path, {"version": CURSOR_VERSION, "cursor": report.extra["cursor"],
                                 "lastRunAt": iso(utcnow()), "dismissed": report.count("dismissed")})
    finish_verified(ctx, report, quiet=quiet)
    return None


