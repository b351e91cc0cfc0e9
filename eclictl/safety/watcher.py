"""The detached revert watcher: `python -m eclictl.safety.watcher ID` (started by revert.schedule).

Needs no terminal: stdin is /dev/null, stdout/stderr go to `<state dir>/revert/<id>.log`, and its
pid is in `<id>.pid` while it runs. It polls the record (so `eclictl confirm` stops it within a
second), and when the revert is due runs `eclictl undo ID --auto-revert` in-process, which writes
the audit line and refuses when someone else changed the target since. A network or server
failure is retried twice; then the record says `failed` and `eclictl undo ID` is the way out.
"""

from __future__ import annotations

import io
import os
import sys
import time
from typing import Any, Callable, Mapping, Sequence

POLL_SECONDS = 1.0
RETRY_DELAYS = (5.0, 30.0)


def run_eclictl(args: list[str], env: Mapping[str, str]) -> int:
    from eclictl.context import Factory, IOStreams
    from eclictl.main import run

    streams = IOStreams(io.StringIO(""), sys.stdout, sys.stderr, False, False, False)
    return run(args, Factory(io=streams, env=dict(env)))


def watch(record_id: int, env: Mapping[str, str], *, sleep: Callable[[float], None] = time.sleep,
          clock: Callable[[], float] = time.time, runner: Callable[[list[str], Mapping[str, str]], int] = run_eclictl,
          poll: float = POLL_SECONDS, retry_delays: Sequence[float] = RETRY_DELAYS) -> int:
    from eclictl.errors import NotFoundError
    from eclictl.safety.revert import claim, pid_path
    from eclictl.safety.store import ensure_dir, iso
    from eclictl.safety.undo import load, update

    def log(message: str) -> None:
        sys.stdout.write(f"{iso(clock())} revert #{record_id}: {message}\n")
        sys.stdout.flush()

    pid_file = pid_path(env, record_id)
    ensure_dir(pid_file.parent)
    fd = os.open(pid_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, f"{os.getpid()}\n".encode())
    os.close(fd)
    try:
        log(f"watching (pid {os.getpid()})")
        while True:
            try:
                record = load(env, record_id)
            except NotFoundError:
                log("the record is gone: nothing to do")
                return 1
            revert = record.get("revert") or {}
            status = revert.get("status")
            if status != "pending":
                log(f"{status}: nothing to do")
                return 0
            remaining = float(revert.get("due_epoch") or 0) - clock()
            if remaining <= 0:
                break
            sleep(min(remaining, poll))
        if not claim(env, record_id):
            log("confirmed just in time: nothing to do")
            return 0
        name = revert.get("confirm_name") or record.get("profile") or ""
        args = ["undo", str(record_id), "--auto-revert", "--yes", "--confirm-profile", str(name),
                "--reason", f"automatic revert of #{record_id} (--revert-after {revert.get('after')})"]
        if record.get("wait") is not None:
            args += ["--wait", str(record["wait"])]
        log("due: reverting")
        code = 1
        for attempt, delay in enumerate([0.0, *retry_delays]):
            if delay:
                log(f"attempt {attempt} failed (exit {code}); retrying in {delay:g} s")
                sleep(delay)
            code = runner(args, env)
            if code not in (1, 3):  # 1: server error / other, 3: network: worth another try
                break
        state = (load(env, record_id).get("revert") or {}).get("status")
        if state == "reverting":  # the undo run could not finish: say so in the record
            def failed(rec: dict[str, Any]) -> None:
                rec["revert"]["status"] = "failed"
                rec["revert"]["message"] = f"exit {code}: see {pid_file.with_suffix('.log')}"
                rec["revert"]["finished"] = iso(clock())

            update(env, record_id, failed)
            state = "failed"
        log(f"finished: {state} (exit {code})")
        return code
    finally:
        try:
            pid_file.unlink()
        except OSError:
            pass


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or not args[0].isdigit():
        sys.stderr.write("usage: python -m eclictl.safety.watcher RECORD_ID\n")
        return 2
    return watch(int(args[0]), dict(os.environ))


if __name__ == "__main__":
    sys.exit(main())
