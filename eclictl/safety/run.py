"""One command run's safety state: reason, profile confirmation, write targets, undo parts.

The API client reports every write here (`before_write`/`after_write`); `finish_run` is called by
main.run once the exit code is known and writes the undo record, schedules an automatic revert
and appends the audit line. Kept light: `eclictl --help` imports this module.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Mapping

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Session plumbing, not a change to the panel's data: never gated, never audited.
EXEMPT_PREFIXES = ("/api/auth/",)


def is_change(method: str, path: str) -> bool:
    return method.upper() in WRITE_METHODS and not path.startswith(EXEMPT_PREFIXES)


class SafetyRun:
    """Created lazily by AppContext.safety; shared by every worker thread of a bulk run."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.started = time.time()
        self.reason: str | None = ctx.flags.get("reason")
        self.confirm_profile: str | None = ctx.flags.get("confirm_profile")
        self.revert_after: float | None = None
        self.revert_text: str | None = None
        self.verb_writes = False  # the running verb is declared as changing (options.command)
        self.targets: list[dict[str, Any]] = []
        self.last_write: float | None = None  # wall time of the last write (the flag cache counts from it)
        self.parts: list[Any] = []  # undo.Part, in the order the verb remembered them
        self.flag_wait: float | None = None  # the verb's --wait: how long flags take to show (undo/revert verify)
        self.extra: dict[str, Any] = {}  # what `undo`/`confirm` add to the trail line
        self.always_record = False  # write a trail line even without a write (confirm, refused revert)
        self.gate_name: str | None = None  # the profile name the operator confirmed
        self.confirmed = False  # the operator typed the profile name (or --confirm-profile): counts as --yes
        self.lock = threading.Lock()
        self._gate_lock = threading.Lock()
        self._gate_done = False
        self._gate_error: BaseException | None = None

    # -- called by the API client ----------------------------------------------------------
    def before_write(self, method: str, path: str) -> None:
        """The safety net: the gate runs before the first write, whatever the verb did before."""
        if is_change(method, path):
            self.ensure_allowed()

    def after_write(self, method: str, path: str, status: int | None, error: BaseException | None) -> None:
        if not is_change(method, path):
            return
        if error is None:
            outcome = "ok" if status is not None and status < 400 else f"HTTP {status}"
        else:
            message = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
            outcome = f"error: {message}"[:300]
        with self.lock:
            self.targets.append({"method": method.upper(), "path": path, "status": status, "outcome": outcome})
            self.last_write = time.time()

    # -- the gate --------------------------------------------------------------------------
    def ensure_allowed(self, question: str | None = None) -> bool:
        """Run the profile gate once per run (thread-safe); True when it confirmed the change."""
        with self._gate_lock:
            if not self._gate_done:
                from eclictl.safety.gate import check

                try:
                    check(self.ctx, self, question)
                except BaseException as exc:
                    self._gate_error = exc
                    raise
                finally:
                    self._gate_done = True
            elif self._gate_error is not None:
                raise self._gate_error
        return self.confirmed

    @property
    def succeeded_writes(self) -> int:
        return sum(1 for t in self.targets if t["status"] is not None and t["status"] < 400)


def finish_run(ctx: Any, args: list[str], code: int) -> int:
    """After the command: undo record, revert watcher, audit line. Never hides the panel result.

    `ctx` is the AppContext this run created (None when it never reached the root callback: bad
    flag, --version)."""
    run: SafetyRun | None = ctx.__dict__.get("_safety") if ctx is not None else None
    if run is None:
        return code
    from eclictl.safety.audit import finish

    return finish(ctx, run, args, code)


def apply_options(ctx: Any, *, reason: str | None = None, confirm_profile: str | None = None,
                  revert_after: str | None = None, writes: bool = True) -> None:
    """Per-verb --reason/--confirm-profile/--revert-after (a verb's value beats the root option)."""
    from eclictl.errors import UsageError
    from eclictl.safety.gate import check_reason

    run = ctx.safety
    if writes:
        run.verb_writes = True
    if reason is not None:
        run.reason = check_reason(reason)
    if confirm_profile is not None:
        if not confirm_profile.strip():
            raise UsageError("--confirm-profile needs the profile's name")
        run.confirm_profile = confirm_profile.strip()
    if revert_after is not None:
        from eclictl.safety.revert import parse_duration

        run.revert_after = parse_duration(revert_after)
        run.revert_text = revert_after.strip()


def root_flags(reason: str | None, confirm_profile: str | None) -> Mapping[str, Any]:
    """The root options' values, checked (the root callback puts them in ctx.flags)."""
    from eclictl.safety.gate import check_reason

    return {"reason": check_reason(reason) if reason is not None else None,
            "confirm_profile": confirm_profile.strip() if confirm_profile else None}
