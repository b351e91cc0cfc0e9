"""The local audit trail: one JSON line per command that changed (or tried to change) a panel.

Written once at the end of the run (main.run knows the exit code), appended under an exclusive
lock with mode 0600. If the line cannot be written, eclictl says so on stderr and keeps the
command's exit code: the change on the panel happened (or not) either way, and a script must
not retry a change that succeeded just because the local log failed.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from eclictl.safety.store import TRAIL, append_line, iso, local_user, read_lines, state_dir

_SECRET_NAME = re.compile(r"(passw|token|secret|credential|api[-_]?key|private[-_]?key)", re.I)
#: Options whose name looks secret but which take no value (the secret comes from stdin, or is minted).
_SECRET_FLAGS = frozenset({"--with-key", "--password-stdin", "--show-key", "--generate-token", "--clear-api-key"})
_HEX_KEY = re.compile(r"\b[0-9a-fA-F]{40,}\b")
_AUTH_VALUE = re.compile(r"((?:ApiKey|Bearer|Basic)\s+)\S+", re.I)
#: A header given as `Name: value` whose name looks secret (-H 'X-Api-Token: ...', 'Cookie: ...').
_SECRET_HEADER = re.compile(r"^([\w-]*(?:token|key|secret|passw|cookie|auth)[\w-]*\s*:\s*)\S.*$", re.I)
MASK = "****"


def trail_path(env: Mapping[str, str] | None = None) -> Path:
    return state_dir(env) / TRAIL


def scrub_argv(args: list[str], secrets: Sequence[str] = ()) -> list[str]:
    """The command line without credentials: values of secret-looking options and KEY=VALUE pairs,
    Authorization header values, long hex strings (API keys) and the configured secrets."""
    out: list[str] = []
    hide_next = False
    for arg in args:
        if hide_next:
            hide_next = False
            if not arg.startswith("-"):
                out.append(MASK)
                continue
        if arg.startswith("-") and not arg.startswith("---"):
            name, eq, _ = arg.partition("=")
            if _SECRET_NAME.search(name) and name not in _SECRET_FLAGS:
                if eq:
                    arg = f"{name}={MASK}"
                else:
                    hide_next = True
        elif "=" in arg:
            key, _, _ = arg.partition("=")
            if _SECRET_NAME.search(key):
                arg = f"{key}={MASK}"
        arg = _AUTH_VALUE.sub(lambda m: m.group(1) + MASK, arg)
        if not _AUTH_VALUE.search(arg):
            arg = _SECRET_HEADER.sub(lambda m: m.group(1) + MASK, arg)
        arg = _HEX_KEY.sub(MASK, arg)
        for secret in secrets:
            if secret and len(secret) >= 6:
                arg = arg.replace(secret, MASK)
        out.append(arg)
    return out


def command_line(ctx: Any, args: list[str]) -> str:
    import shlex

    secrets: list[str] = []
    try:
        s = ctx.settings
        secrets = [x for x in (s.api_key, s.token, s.csrf_token) if x]
    except Exception:  # noqa: BLE001 - a broken config must not stop the trail
        pass
    return shlex.join(["eclictl", *scrub_argv(list(args), secrets)])


def entry_for(ctx: Any, run: Any, args: list[str], code: int, record: Mapping[str, Any] | None,
              revert: Mapping[str, Any] | None) -> dict[str, Any]:
    profile = url = None
    try:
        profile, url = ctx.settings.profile, ctx.settings.url
    except Exception:  # noqa: BLE001
        pass
    entry: dict[str, Any] = {
        "time": iso(time.time()),
        "started": iso(run.started),
        "user": local_user(),
        "pid": os.getpid(),
        "profile": profile,
        "url": url,
        "command": command_line(ctx, args),
        "reason": run.reason,
        "targets": list(run.targets),
        "exit": int(code),
        "undo": record.get("id") if record else None,
        "revert": dict(revert) if revert else None,
    }
    entry.update(run.extra)
    return entry


def finish(ctx: Any, run: Any, args: list[str], code: int) -> int:
    """Store the undo record, schedule the revert, append the trail line; returns the exit code."""
    from eclictl.errors import ExitCode

    err = ctx.io.stderr
    record = None
    if run.parts and run.succeeded_writes:
        try:
            from eclictl.safety.undo import save_record

            record = save_record(ctx, run, command_line(ctx, args))
        except Exception as exc:  # noqa: BLE001 - the panel result stands; say what is missing
            err.write(f"warning: the undo record could not be stored ({_describe(exc)}): "
                      "`eclictl undo` cannot restore this change\n")
    revert = None
    if run.revert_after and run.targets:
        if record is None:
            err.write("note: nothing was changed that undo can restore: no automatic revert scheduled\n")
        else:
            try:
                from eclictl.safety.revert import schedule

                revert = schedule(ctx, record, run)
                err.write(f"change #{record['id']} will be reverted at {revert['due_local']} (in {run.revert_text}) "
                          f"unless you run: eclictl confirm {record['id']}\n")
            except Exception as exc:  # noqa: BLE001
                err.write(f"error: the change was applied but its automatic revert could not be scheduled "
                          f"({_describe(exc)}); undo it with: eclictl undo {record['id']}\n")
                code = code or int(ExitCode.ERROR)
    if run.targets or run.always_record:
        try:
            entry = entry_for(ctx, run, args, code, record, revert)
            append_line(trail_path(ctx.env), entry)
        except Exception as exc:  # noqa: BLE001 - never hide the panel result behind a local log failure
            err.write(f"warning: the audit trail could not be written ({_describe(exc)}); "
                      "the command's result above stands\n")
    return code


def _describe(exc: BaseException) -> str:
    message = getattr(exc, "message", None)
    if message:
        return str(message)
    strerror = getattr(exc, "strerror", None)
    filename = getattr(exc, "filename", None)
    if strerror:
        return f"{filename}: {strerror}" if filename else str(strerror)
    return f"{type(exc).__name__}: {exc}"


def entries(env: Mapping[str, str] | None = None) -> Iterator[dict[str, Any]]:
    """The trail, oldest first (torn lines skipped)."""
    return read_lines(trail_path(env))
