"""`eclictl undo`: restore what a change replaced (settings, flags, geo-blocking, rollouts, roles)."""

from __future__ import annotations

import time
from typing import Annotated, Any, Optional

import typer

from eclictl.errors import RejectedError
from eclictl.options import SAFETY_PANEL, DryRunOpt, YesOpt, command

app = typer.Typer(add_completion=False)

EPILOG = ("Examples:\n\n  eclictl undo --list\n\n  eclictl undo            # the newest change on this profile\n\n"
          "  eclictl undo 12 --dry-run\n\n  eclictl undo 12 --yes --reason 'rollback: chat outage'\n\n"
          "Undo compares the panel now with the state right after the change. A field someone else changed "
          "since is not overwritten: undo refuses and shows the diff (--force restores anyway).")


def _list(ctx: Any, limit: int) -> Any:
    from eclictl.output.columns import Col
    from eclictl.output.render import View
    from eclictl.safety.revert import when
    from eclictl.safety.undo import all_records

    records = list(reversed(all_records(ctx.env)))[: limit or None]
    rows = []
    for r in records:
        status = r.get("status")
        revert = r.get("revert") or {}
        if revert.get("status") == "pending":
            status = f"{status}; reverts at {when(float(revert.get('due_epoch') or 0))} unless confirmed"
        elif revert.get("status") in ("refused", "failed"):
            status = f"{status}; automatic revert {revert['status']}"
        rows.append({"id": r.get("id"), "time": time.strftime("%Y-%m-%d %H:%M:%S",
                                                              time.localtime(float(r.get("epoch") or 0))),
                     "profile": r.get("profile"), "what": ", ".join(p.get("label") or p.get("key")
                                                                    for p in r.get("parts") or []),
                     "command": r.get("command"), "reason": r.get("reason"), "status": status})
    columns = (Col("id"), Col("time"), Col("profile"), Col("what", max_width=40), Col("command", max_width=50),
               Col("reason", max_width=30), Col("status"))
    return View(rows, columns=columns, json_data=records, empty="no changes recorded yet")


DIFF_COLUMNS = ("target", "field", "changed_to", "now", "restore_to", "status")


@app.command("undo", epilog=EPILOG)
@command(writes=True)
def undo(
    record_id: Annotated[Optional[int], typer.Argument(metavar="[ID]", help="The change to undo (default: the "
                                                       "newest one on this profile that is not undone).",
                                                       show_default=False)] = None,
    list_: Annotated[bool, typer.Option("--list", help="List recorded changes, newest first.")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, help="With --list: at most N (0 = all).")] = 20,
    force: Annotated[bool, typer.Option("--force", help="Restore even fields someone else changed since.",
                                        rich_help_panel=SAFETY_PANEL)] = False,
    wait: Annotated[Optional[float], typer.Option("--wait", metavar="SECONDS", min=0, help="How long the panel's "
                                                  "flag cache may show stale flags (default: the change's own "
                                                  "--wait, else 11).", show_default=False)] = None,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    auto_revert: Annotated[bool, typer.Option("--auto-revert", hidden=True)] = False,
) -> Any:
    """Restore the state a change replaced, after a diff and a confirmation; verify it and record it."""
    from eclictl.context import current
    from eclictl.output.columns import Col
    from eclictl.output.render import View
    from eclictl.safety import undo as records

    ctx = current()
    if list_:
        return _list(ctx, limit)
    run = ctx.safety
    record = records.load(ctx.env, record_id) if record_id is not None else records.latest_for(ctx)
    rid = int(record["id"])
    records.check_target(ctx, record)
    if auto_revert:
        run.always_record = True  # the trail says what the watcher did, even when it changed nothing
        run.extra["revert_of"] = rid
        status = (record.get("revert") or {}).get("status")
        if status != "reverting":
            raise RejectedError(f"#{rid}: no automatic revert is running (it is {status})")
        if record.get("status") != "applied":  # undone by hand while the watcher was retrying
            records.mark(ctx.env, rid, how="revert", result="cancelled", message=f"already {record.get('status')}")
            run.extra["result"] = f"nothing to do: already {record.get('status')}"
            ctx.info(f"#{rid} is already {record.get('status')}: nothing to revert")
            return None
        force = False  # never overwrite someone else's change unattended
    else:
        run.extra["undo_of"] = rid
        if record.get("status") != "applied":
            by = (record.get("undone") or {})
            raise RejectedError(f"#{rid} is already {record.get('status')}" + (f" ({by.get('time')})" if by else ""))
    how = "revert" if auto_revert else "undo"
    wait_s = records.flag_wait(record, wait)
    if records.touches_flags(record):
        age = time.time() - float(record.get("written") or record.get("epoch") or 0)
        if age < wait_s:
            ctx.info(f"waiting {wait_s - age:.0f} s: the panel's flag cache may still show flags from before #{rid}")
            ctx.factory.sleep(wait_s - age)
    steps = records.plan(ctx, record)
    rows = records.diff_rows(steps)
    columns = [Col(c) for c in DIFF_COLUMNS]
    view = View(rows, columns=columns, id_field="field",
                json_data={"id": rid, "command": record.get("command"), "dryRun": dry_run, "fields": rows})
    if any(s.conflicts for s in steps) and not force:
        ctx.emit(view)
        error = records.refuse_conflicts(record, steps)
        if auto_revert:
            records.mark(ctx.env, rid, how=how, result="refused", message=error.message)
            run.extra["result"] = "refused: someone else changed it since"
        raise error
    if not any(s.todo for s in steps):
        ctx.info(f"#{rid}: the panel already shows the state from before the change; nothing to restore")
        if not dry_run:
            records.mark(ctx.env, rid, how=how, result="restored", message="already restored")
            run.extra["result"] = "nothing to restore"
        return view
    if dry_run:
        return view
    for row in rows:
        if row["status"] != "already restored":
            ctx.info(f"  ~ {row['target']} {row['field']}: {row['now']!r} -> {row['restore_to']!r}"
                     + ("  (changed since: --force)" if row["status"] == "changed since" else ""))
    ctx.confirm(f"Restore what #{rid} changed ({record.get('command')})?", yes=yes, what="undo a change")
    done = records.restore(ctx, steps)
    if any(step.handler.needs_flag_wait(step.todo) for step, _ in done) and wait_s > 0:
        ctx.info(f"waiting {wait_s:g} s for the panel's flag cache before checking (--wait)")
        ctx.factory.sleep(wait_s)
    failed = records.verify(ctx, done)
    if failed:
        ctx.emit(View(failed, columns=[Col("target"), Col("field"), Col("wanted"), Col("now")], id_field="field"))
        raise records.describe_failure(failed)
    records.mark(ctx.env, rid, how=how, result="restored")
    run.extra["result"] = "restored"
    for row in rows:
        if row["status"] in ("restore", "changed since"):
            row["status"] = "restored"
    ctx.info(f"#{rid} {'reverted' if auto_revert else 'undone'}: {len(done)} target(s) restored and verified")
    return view
