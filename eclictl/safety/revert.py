"""Automatic revert ("commit confirmed"): apply now, revert after a delay unless confirmed.

After the change, a detached watcher process (its own session: it survives the terminal closing)
waits until the revert is due, then runs `eclictl undo ID --auto-revert` with the credentials of
the run that made the change, handed over in its environment (never on its command line, never
written to disk beyond what config.toml already holds). `eclictl confirm ID` marks the record
confirmed; the watcher sees that and exits. The watcher never uses --force: when someone else
changed the target in the meantime it reports that in the trail instead of reverting.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path
from typing import Any, Mapping

from eclictl.errors import RejectedError, UsageError
from eclictl.safety.store import REVERT_DIR, ensure_dir, iso, state_dir

MIN_DELAY = 1.0
MAX_DELAY = 7 * 24 * 3600.0
_UNITS = {"": 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)(s|sec|min|m|h|d)?")


def parse_duration(text: str) -> float:
    """`10m`, `90s`, `1h30m`, `45` (seconds) -> seconds (1 s to 7 days)."""
    clean = str(text).strip().lower().replace(" ", "")
    total, pos = 0.0, 0
    while pos < len(clean):
        m = _PART.match(clean, pos)
        if m is None:
            raise UsageError(f"--revert-after: expected a duration like 10m, 90s or 1h30m, got '{text}'")
        total += float(m.group(1)) * _UNITS[m.group(2) or ""]
        pos = m.end()
    if not clean:
        raise UsageError("--revert-after needs a duration, e.g. 10m")
    if not MIN_DELAY <= total <= MAX_DELAY:
        raise UsageError(f"--revert-after must be between 1s and 7d, got '{text}'")
    return total


def revert_dir(env: Mapping[str, str] | None) -> Path:
    return state_dir(env) / REVERT_DIR


def log_path(env: Mapping[str, str] | None, record_id: int) -> Path:
    return revert_dir(env) / f"{int(record_id)}.log"


def pid_path(env: Mapping[str, str] | None, record_id: int) -> Path:
    return revert_dir(env) / f"{int(record_id)}.pid"


def when(epoch: float) -> str:
    local = time.localtime(epoch)
    if time.strftime("%Y-%m-%d", local) == time.strftime("%Y-%m-%d", time.localtime()):
        return time.strftime("%H:%M:%S", local)
    return time.strftime("%Y-%m-%d %H:%M:%S", local)


def child_env(ctx: Any) -> dict[str, str]:
    """The environment of the watcher: this run's connection, frozen now (profile edits later do
    not redirect a pending revert to another panel)."""
    from eclictl.config import config_dir

    s = ctx.settings
    env = {k: v for k, v in ctx.env.items() if k not in ("ECLICTL_API_KEY", "ECLICTL_TOKEN")}
    env["ECLICTL_STATE_DIR"] = str(state_dir(ctx.env))
    env["ECLICTL_CONFIG_DIR"] = str(config_dir(ctx.env))
    env["ECLICTL_PROFILE"] = s.profile
    if s.url:
        env["ECLICTL_URL"] = s.url
    if s.api_key:
        env["ECLICTL_API_KEY"] = s.api_key
    elif s.token:
        env["ECLICTL_TOKEN"] = s.token
    env["ECLICTL_TIMEOUT"] = str(s.timeout)
    env["ECLICTL_MAX_RETRIES"] = str(s.max_retries)
    return env


def spawn_watcher(record_id: int, env: Mapping[str, str], log: Path, cwd: Path) -> int:
    """Start the watcher detached from this terminal; returns its pid."""
    import subprocess

    kwargs: dict[str, Any] = {}
    if os.name == "posix":
        kwargs["start_new_session"] = True  # its own session: no SIGHUP when the terminal closes
    else:  # pragma: no cover - Windows
        kwargs["creationflags"] = getattr(subprocess, "DETACHED_PROCESS", 0) | \
            getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0) | getattr(subprocess, "CREATE_NO_WINDOW", 0)
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        proc = subprocess.Popen([sys.executable, "-m", "eclictl.safety.watcher", str(int(record_id))],
                                stdin=subprocess.DEVNULL, stdout=fd, stderr=subprocess.STDOUT, env=dict(env),
                                cwd=str(cwd), close_fds=True, **kwargs)
    finally:
        os.close(fd)
    return int(proc.pid)


def schedule(ctx: Any, record: dict[str, Any], run: Any) -> dict[str, Any]:
    """Mark the record pending and start its watcher; returns the record's revert block."""
    from eclictl.safety.undo import update

    directory = ensure_dir(revert_dir(ctx.env))
    due = time.time() + float(run.revert_after)
    log = log_path(ctx.env, record["id"])
    info = {"after": run.revert_text, "seconds": float(run.revert_after), "due": iso(due), "due_epoch": due,
            "status": "pending", "pid": None, "log": str(log), "confirm_name": run.gate_name or record.get("profile"),
            "message": ""}
    update(ctx.env, record["id"], lambda r: r.__setitem__("revert", dict(info)))
    spawner = getattr(ctx.factory, "spawn", None) or spawn_watcher
    pid = spawner(int(record["id"]), child_env(ctx), log, directory)
    info["pid"] = pid
    update(ctx.env, record["id"], lambda r: (r.get("revert") or {}).__setitem__("pid", pid))
    return {**info, "due_local": when(due)}


def pending(env: Mapping[str, str] | None) -> list[dict[str, Any]]:
    from eclictl.safety.undo import all_records

    return [r for r in all_records(env) if (r.get("revert") or {}).get("status") in ("pending", "reverting")]


def alive(pid: Any) -> bool | None:
    """Whether the watcher still runs (None: cannot tell on this platform)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    if os.name != "posix":  # pragma: no cover
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def confirm(env: Mapping[str, str] | None, record_id: int) -> dict[str, Any]:
    """Keep the change: a pending revert becomes confirmed (the watcher exits)."""
    from eclictl.safety.undo import update

    def change(record: dict[str, Any]) -> None:
        revert = record.get("revert")
        status = (revert or {}).get("status")
        if not isinstance(revert, dict):
            raise UsageError(f"change #{record_id} has no automatic revert to confirm")
        if status == "confirmed":
            return
        if status != "pending":
            raise RejectedError(f"too late: the automatic revert of #{record_id} is {status}"
                                + (f" ({revert.get('message')})" if revert.get("message") else ""),
                                hint=f"see `eclictl history --grep '#{record_id}'`")
        revert["status"] = "confirmed"
        revert["confirmed"] = iso(time.time())

    return update(env, record_id, change)


def claim(env: Mapping[str, str] | None, record_id: int) -> bool:
    """The watcher takes the revert (pending -> reverting) unless it was confirmed meanwhile."""
    from eclictl.safety.undo import update

    claimed = {"ok": False}

    def change(record: dict[str, Any]) -> None:
        revert = record.get("revert") or {}
        if revert.get("status") == "pending":
            revert["status"] = "reverting"
            claimed["ok"] = True

    update(env, record_id, change)
    return claimed["ok"]
