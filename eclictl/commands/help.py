"""`eclictl help TOPIC`: topics that are not a command (exit codes, environment)."""

from __future__ import annotations

from typing import Annotated

import typer

from eclictl.errors import EXIT_CODE_HELP, UsageError

app = typer.Typer(add_completion=False)

ENVIRONMENT = {
    "ECLICTL_URL": "panel URL (like --url)",
    "ECLICTL_API_KEY": "API key (sent as `Authorization: ApiKey <key>`)",
    "ECLICTL_PROFILE": "profile to use (like --profile)",
    "ECLICTL_OUTPUT": "default output format",
    "ECLICTL_REDACT": "1/true to mask personal data",
    "ECLICTL_TIMEOUT": "request timeout in seconds",
    "ECLICTL_MAX_RETRIES": "retries for safe requests",
    "ECLICTL_CONCURRENCY": "items a bulk verb runs at once (like --concurrency; 1-64, default 8)",
    "ECLICTL_RATE": "request budget of a bulk run, N or N/min (like --rate; default 450, 0 = unpaced)",
    "ECLICTL_CONFIG_DIR": "where config.toml lives",
    "ECLICTL_STATE_DIR": "where the audit trail, undo records and revert watchers live (default: the "
                         "platform's state dir, or <ECLICTL_CONFIG_DIR>/state when that is set)",
    "ECLICTL_DEBUG": "1 prints tracebacks (never with locals)",
    "NO_COLOR": "disable colours",
}


SAFETY = """\
Working on a production panel

Audit trail
  Every command that changes a panel (sends a POST, PUT, PATCH or DELETE) appends one JSON line
  to audit.jsonl in the state dir (mode 0600, locked, so concurrent runs never mix lines): time,
  local user, profile, panel URL, the command line with keys, passwords and tokens removed, each
  request and its outcome, the exit code, and the reason.
    eclictl --reason "ticket 4711" flags disable chat --yes     (or --reason after the verb)
    eclictl history --since 7d --profile production --grep flags -o json
  If the line cannot be written, eclictl says so on stderr and keeps the command's exit code:
  the change on the panel happened either way. On verbs whose own --reason is sent to the panel
  (servers suspend, fraud flag...), that text is the audit reason too, unless one is given before
  the verb.

Protected profiles
    eclictl profile protect production [--require-reason]
    eclictl profile set production require_reason true
    eclictl profile unprotect production
  On a protected profile every changing verb shows which panel it is about to change and asks
  for the profile's name; --yes alone is not enough. Scripts pass --confirm-profile production
  (it also stands for --yes). Without a terminal and without it, the command stops with exit 2
  before anything is sent. A command that reaches a protected profile's URL through --url or
  ECLICTL_URL is protected too. --confirm-profile NAME is refused on any profile that is not NAME.
  Read-only verbs and --dry-run are never asked.

Undo
  Before eclictl changes settings, feature flags, geo-block rules, rollouts, role permissions or
  role assignments it stores the state it replaces (undo/<id>.json beside the trail).
    eclictl undo --list
    eclictl undo [ID] [--dry-run] [--yes]
  Undo shows the diff, asks, restores, waits out the panel's 10 s flag cache (--wait) and reads
  the state back. When the panel has changed since (someone else edited a field the change
  touched), undo refuses with the diff; --force restores anyway.

Automatic revert ("commit confirmed")
    eclictl flags disable chat --yes --revert-after 10m
    eclictl confirm [ID]        keep the change
    eclictl confirm --list      pending reverts and whether their watcher runs
  --revert-after works on every verb undo covers. A detached watcher (its own session: it survives
  the terminal closing; log and pid in revert/ in the state dir) runs `eclictl undo ID` when the
  revert is due, unless confirmed. It never overwrites a change someone else made in the meantime:
  it records the refusal in the trail instead. It reuses this run's URL and credentials (handed
  over in its environment): a session token that expires before the revert is due makes it fail
  (see `eclictl confirm --list`); use an API key for long delays.
"""


def exit_codes_text() -> str:
    return "\n".join(f"{int(code):>3}  {text}" for code, text in EXIT_CODE_HELP.items())


@app.command("help", epilog="Examples:\n\n  eclictl help exit-codes\n\n  eclictl help environment\n\n"
             "  eclictl help safety")
def help_topic(topic: Annotated[str, typer.Argument(help="exit-codes, environment or safety")] = "exit-codes") -> None:
    """Explain exit codes, environment variables, or working safely on a production panel."""
    from eclictl.context import current

    out = current().io.stdout
    if topic == "exit-codes":
        out.write(exit_codes_text() + "\n")
    elif topic in ("environment", "env"):
        out.write("\n".join(f"{k:<22}{v}" for k, v in ENVIRONMENT.items()) + "\n")
    elif topic in ("safety", "production"):
        out.write(SAFETY)
    else:
        raise UsageError(f"unknown help topic '{topic}'", hint="topics: exit-codes, environment, safety")
