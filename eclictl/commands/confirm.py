"""`eclictl confirm`: keep a change made with --revert-after (its automatic revert is called off)."""

from __future__ import annotations

import time
from typing import Annotated, Any, Optional

import typer

from eclictl.errors import NotFoundError, UsageError
from eclictl.options import command

app = typer.Typer(add_completion=False)


def _rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from eclictl.safety.revert import alive, when

    rows = []
    now = time.time()
    for r in records:
        revert = r.get("revert") or {}
        due = float(revert.get("due_epoch") or 0)
        running = alive(revert.get("pid"))
        watcher = f"running (pid {revert.get('pid')})" if running else (
            "unknown" if running is None else f"NOT RUNNING: revert by hand with `eclictl undo {r.get('id')}`")
        rows.append({"id": r.get("id"), "profile": r.get("profile"), "due": when(due),
                     "in": f"{max(0, int(due - now))} s" if due > now else "overdue",
                     "status": revert.get("status"), "watcher": watcher, "command": r.get("command"),
                     "what": ", ".join(p.get("label") or p.get("key") for p in r.get("parts") or [])})
    return rows


@app.command("confirm", epilog="Examples:\n\n  eclictl confirm --list\n\n  eclictl confirm          # the pending revert "
             "of this profile\n\n  eclictl confirm 12\n\n  eclictl confirm --all")
@command()
def confirm(
    record_id: Annotated[Optional[int], typer.Argument(metavar="[ID]", help="The change to keep (default: the "
                                                       "pending one of this profile).", show_default=False)] = None,
    list_: Annotated[bool, typer.Option("--list", help="List pending automatic reverts.")] = False,
    all_: Annotated[bool, typer.Option("--all", help="Confirm every pending revert of this profile.")] = False,
) -> Any:
    """Keep a change made with --revert-after: its automatic revert will not happen."""
    from eclictl.context import current
    from eclictl.output.columns import Col
    from eclictl.output.render import View
    from eclictl.safety import revert
    from eclictl.safety.undo import load

    ctx = current()
    columns = [Col("id"), Col("profile"), Col("due"), Col("in"), Col("status"), Col("watcher"),
               Col("command", max_width=50), Col("what", max_width=40)]
    if list_:
        return View(_rows(revert.pending(ctx.env)), columns=columns, empty="no pending automatic reverts")
    if record_id is not None:
        targets = [load(ctx.env, record_id)]
    else:
        s = ctx.settings
        targets = [r for r in revert.pending(ctx.env) if r.get("profile") == s.profile
                   and (r.get("revert") or {}).get("status") == "pending"]
        if not targets:
            raise NotFoundError(f"no pending automatic revert for profile '{s.profile}'",
                                hint="`eclictl confirm --list` shows every pending one")
        if len(targets) > 1 and not all_:
            raise UsageError(f"several pending reverts on profile '{s.profile}': "
                             f"{', '.join('#' + str(r['id']) for r in targets)}", hint="name one, or pass --all")
    run = ctx.safety
    run.always_record = True
    run.extra["confirm_of"] = [int(r["id"]) for r in targets]
    confirmed = [revert.confirm(ctx.env, int(r["id"])) for r in targets]
    for record in confirmed:
        ctx.info(f"#{record['id']} confirmed: the change stays")
    return View(_rows(confirmed), columns=columns)
