"""`eclictl history`: read the local audit trail (every change eclictl made, and why)."""

from __future__ import annotations

import re
import time
from typing import Annotated, Any, Optional

import typer

from eclictl.errors import UsageError
from eclictl.options import command

app = typer.Typer(add_completion=False)

FILTER_PANEL = "Filters"
_AGO = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)$")
_AGO_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str, now: float) -> float:
    """`7d`, `12h`, `30m`, `2w` ago, or a date/time `2024-06-01`, `2024-06-01T14:00` (local time)."""
    raw = text.strip().lower()
    m = _AGO.match(raw)
    if m:
        return now - float(m.group(1)) * _AGO_UNITS[m.group(2)]
    from datetime import datetime

    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since: expected an age like 7d, 12h, 30m or a date like 2024-06-01, got '{text}'") \
            from None
    return when.timestamp()


def _epoch(stamp: Any) -> float | None:
    from datetime import datetime

    try:
        return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _local(stamp: Any) -> str:
    epoch = _epoch(stamp)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch)) if epoch is not None else str(stamp)


def _targets(entry: dict[str, Any]) -> str:
    targets = [t for t in entry.get("targets") or [] if isinstance(t, dict)]
    if not targets:
        return "(no write)"
    if len(targets) == 1:
        t = targets[0]
        return f"{t.get('method')} {t.get('path')} {t.get('status') or t.get('outcome')}"
    ok = sum(1 for t in targets if isinstance(t.get("status"), int) and t["status"] < 400)
    return f"{len(targets)} writes ({ok} ok, {len(targets) - ok} failed)"


def _note(entry: dict[str, Any]) -> str:
    bits = []
    if entry.get("undo") is not None:
        bits.append(f"undo #{entry['undo']}")
    if entry.get("revert"):
        bits.append(f"reverts at {_local(entry['revert'].get('due'))} unless confirmed")
    if entry.get("undo_of") is not None:
        bits.append(f"undid #{entry['undo_of']}")
    if entry.get("revert_of") is not None:
        bits.append(f"automatic revert of #{entry['revert_of']}: {entry.get('result') or 'failed'}")
    if entry.get("confirm_of"):
        bits.append("confirmed " + ", ".join(f"#{i}" for i in entry["confirm_of"]))
    return "; ".join(bits)


@app.command("history", epilog="Examples:\n\n  eclictl history\n\n  eclictl history --since 7d --profile production\n\n"
             "  eclictl history --grep flags -o json\n\n  eclictl history --since 2024-06-01 --limit 0")
@command()
def history(
    since: Annotated[Optional[str], typer.Option("--since", metavar="AGE|DATE", help="Only entries newer than "
                                                 "this: 7d, 12h, 30m, 2w, or a date (local time).",
                                                 rich_help_panel=FILTER_PANEL, show_default=False)] = None,
    profile: Annotated[Optional[str], typer.Option("--profile", metavar="NAME", help="Only this profile.",
                                                   rich_help_panel=FILTER_PANEL, show_default=False)] = None,
    grep: Annotated[Optional[str], typer.Option("--grep", metavar="TEXT", help="Only entries containing TEXT "
                                                "(command, reason, paths; case-insensitive).",
                                                rich_help_panel=FILTER_PANEL, show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, help="Show the last N entries (0 = all).")] = 50,
) -> Any:
    """Show the local audit trail: every change eclictl made, when, by whom, on which panel, and why."""
    import json

    from eclictl.context import current
    from eclictl.output.columns import Col
    from eclictl.output.render import View
    from eclictl.safety.audit import entries, trail_path

    ctx = current()
    now = time.time()
    cutoff = parse_since(since, now) if since else None
    needle = grep.lower() if grep else None
    rows = []
    for entry in entries(ctx.env):
        if cutoff is not None and (_epoch(entry.get("time")) or 0) < cutoff:
            continue
        if profile is not None and entry.get("profile") != profile:
            continue
        if needle is not None and needle not in json.dumps(entry, ensure_ascii=False).lower():
            continue
        rows.append(entry)
    if limit:
        rows = rows[-limit:]
    table = [{"time": _local(e.get("time")), "user": e.get("user"), "profile": e.get("profile"),
              "command": e.get("command"), "targets": _targets(e), "exit": e.get("exit"), "reason": e.get("reason"),
              "note": _note(e)} for e in rows]
    columns = (Col("time"), Col("user"), Col("profile"), Col("command", max_width=60), Col("targets", max_width=40),
               Col("exit"), Col("reason", max_width=40), Col("note", max_width=40))
    empty = "no changes recorded" + (" that match" if since or profile or grep else "") + f" ({trail_path(ctx.env)})"
    return View(table, columns=columns, id_field="time", json_data=rows, empty=empty)
