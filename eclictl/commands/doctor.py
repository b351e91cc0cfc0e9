"""`eclictl doctor`: what is wrong, before a cron job finds out; `--bundle` for a bug report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from eclictl.options import command

app = typer.Typer(add_completion=False)

EPILOG = "\n\n".join((
    "Examples:",
    "  eclictl doctor",
    "  eclictl doctor -o json | jq '.checks[] | select(.status != \"ok\")'",
    "  eclictl -p prod doctor --no-drift          # quick: skip the API drift check",
    "  eclictl -v users list >/dev/null; eclictl doctor --bundle doctor.tar.gz",
    "Checks, each ok, warn or fail with a one-line fix: config (file and directory modes, profile, credential in "
    "use, session expiry); network (the panel answers GET /health, TLS, no redirect, clock skew against the "
    "panel's Date header, round trip); identity (who, key type and expiry, usable and denied sections and why); "
    "limits (429s seen now, headroom when a proxy announces it, eclictl's own pacing against the panel's 500 "
    "requests per minute); drift (each section's read route, first page, against the fields eclictl reads and "
    "writes: missing fields and changed types fail, a moved list warns, unknown fields are listed). A route the "
    "credential may not call is skipped, not failed. Nothing is retried: the report says what the panel does now.",
    "Exit 0 when nothing failed (warnings allowed), 1 on any fail.",
    "JSON (-o json), stable keys: status (ok, warn or fail), healthy (no fail), profile, url, eclictl (version), "
    "checked_at, counts {ok, warn, fail, skip, info}, checks: a list of {id (e.g. config.file, network.clock, "
    "identity.sections, limits.headroom, drift.users), group, status (ok, warn, fail, skip or info), summary, fix "
    "(null when none), details (per check)}.",
    "--bundle FILE.tar.gz also writes report.json, versions.json, config.json (secrets removed), requests.jsonl "
    "(the last --last request summaries recorded by eclictl -v: method, path, status, time, body shape; never "
    "values) and README.txt, with personal data masked and credentials cut out.",
))


@app.command("doctor", epilog=EPILOG)
@command()
def doctor(
    bundle: Annotated[Optional[Path], typer.Option("--bundle", metavar="FILE.tar.gz", help="Also write a support "
                                                   "bundle safe to share (personal data masked, secrets "
                                                   "removed).", show_default=False, dir_okay=False)] = None,
    last: Annotated[int, typer.Option("--last", help="How many recorded request summaries go into the bundle.",
                                      min=1, max=1000)] = 100,
    no_drift: Annotated[bool, typer.Option("--no-drift", help="Skip the API drift check (one request per "
                                           "section).")] = False,
) -> Any:
    """Check config, network, identity, rate limits and API drift; each with a fix (exit 1 on a fail)."""
    from eclictl.context import current
    from eclictl.doctor import run_checks
    from eclictl.errors import QuietExit, UsageError
    from eclictl.output.columns import Col
    from eclictl.output.render import View

    ctx = current()
    if bundle is not None:
        if bundle.is_dir():
            raise UsageError(f"--bundle {bundle}: is a directory (name the .tar.gz file to write)")
        if not bundle.parent.is_dir():
            raise UsageError(f"--bundle {bundle}: the directory {bundle.parent} does not exist")
    report = run_checks(ctx, drift=not no_drift)
    if bundle is not None:
        from eclictl.doctor.bundle import masked_report, write

        written = write(ctx, masked_report(ctx, report), bundle, last=last)
        ctx.info(f"bundle written: {bundle} ({written['requests']} request summaries; personal data masked, "
                 "credentials removed)")
    rows = [{"status": c["status"], "check": c["id"], "summary": c["summary"], "fix": c["fix"] or ""}
            for c in report["checks"]]
    ctx.emit(View(rows, columns=(Col("status"), Col("check"), Col("summary"), Col("fix")), json_data=report,
                  id_field="check"))
    counts = report["counts"]
    ctx.info(f"{report['status']}: {counts['ok']} ok, {counts['warn']} warn, {counts['fail']} fail, "
             f"{counts['skip']} skipped")
    if not report["healthy"]:
        raise QuietExit(1)
    return None
