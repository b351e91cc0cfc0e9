"""Protected profiles: the operator types the profile's name (or passes --confirm-profile NAME).

Runs once per command run, before its first write (SafetyRun.ensure_allowed). `--yes` alone is
never enough on a protected profile; without a terminal and without --confirm-profile the
command stops with a usage error before anything is sent. Protection follows the panel too: a
command that reaches a protected profile's URL through --url or ECLICTL_URL is protected as well.
"""

from __future__ import annotations

from typing import Any

from eclictl.errors import RejectedError, UsageError


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on", "y")


def _same_url(a: Any, b: Any) -> bool:
    if not a or not b:
        return False
    from eclictl.api.client import normalise_base_url

    return normalise_base_url(str(a)).lower() == normalise_base_url(str(b)).lower()


def protection(ctx: Any) -> tuple[str | None, bool]:
    """(name of the protected profile that applies or None, whether a reason is required)."""
    s = ctx.settings
    profiles = ctx.config.get("profiles", {}) if isinstance(ctx.config.get("profiles"), dict) else {}
    own = profiles.get(s.profile) if isinstance(profiles.get(s.profile), dict) else {}
    need_reason = _truthy(own.get("require_reason", False))
    if _truthy(own.get("protected", False)):
        return s.profile, need_reason
    for name in sorted(profiles):
        profile = profiles[name]
        if isinstance(profile, dict) and _truthy(profile.get("protected", False)) \
                and _same_url(profile.get("url"), s.url):
            return name, need_reason or _truthy(profile.get("require_reason", False))
    return None, need_reason


def check(ctx: Any, run: Any, question: str | None) -> None:
    """Refuse (exit 2 or 7) unless this run may change the panel; may ask on a terminal."""
    s = ctx.settings
    name, need_reason = protection(ctx)
    target = name or s.profile
    if run.confirm_profile is not None and run.confirm_profile != target:
        where = f" at {s.url}" if s.url else ""
        raise UsageError(f"--confirm-profile '{run.confirm_profile}' does not match the profile in use "
                         f"('{target}'{where}); nothing was sent")
    if need_reason and not run.reason:
        if not ctx.interactive:
            raise UsageError(f"profile '{target}' requires a reason for every change: add --reason TEXT "
                             "(no terminal to ask); nothing was sent")
        answer = _ask(ctx, f"Profile '{target}' requires a reason for this change. Reason: ")
        if not answer.strip():
            raise RejectedError("cancelled: no reason given; nothing was changed")
        run.reason = check_reason(answer)
    if run.revert_after:
        _check_state_dir(ctx)
    if run.confirm_profile is not None:
        run.confirmed, run.gate_name = True, target
        return
    if name is None:
        return
    if not ctx.interactive:
        raise UsageError(f"profile '{name}' is protected: changes need --confirm-profile {name} "
                         "(no terminal to ask); nothing was sent",
                         hint="--yes alone is not enough on a protected profile")
    lines = [f"PROTECTED profile '{name}': {s.url or '(no URL)'}"]
    if question:
        lines.append(f"  {question}")
    if run.reason:
        lines.append(f"  reason: {run.reason}")
    ctx.io.stderr.write("\n".join(lines) + "\n")
    answer = _ask(ctx, f"Type the profile name ({name}) to go ahead, anything else cancels: ")
    if answer.strip() != name:
        raise RejectedError("cancelled: the profile name did not match; nothing was changed")
    run.confirmed, run.gate_name = True, name


def _ask(ctx: Any, prompt: str) -> str:
    ctx.io.stderr.write(prompt)
    ctx.io.stderr.flush()
    return ctx.io.stdin.readline().rstrip("\n")


def _check_state_dir(ctx: Any) -> None:
    """--revert-after keeps its record and watcher files in the state dir: refuse before any write if
    it cannot be written, rather than apply a change nothing will revert."""
    import os

    from eclictl.safety.store import ensure_dir, state_dir

    path = state_dir(ctx.env)
    try:
        ensure_dir(path / "revert")
        probe = path / "revert" / f".probe-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"--revert-after: the state dir {path} is not writable ({exc.strerror or exc}); "
                         "nothing was sent", hint="set ECLICTL_STATE_DIR to a writable directory") from None


def check_reason(text: str) -> str:
    """A --reason (or the answer to the gate's question) on one line, 1 to 1000 characters."""
    clean = " ".join(str(text).split())
    if not clean:
        raise UsageError("--reason cannot be empty")
    if len(clean) > 1000:
        raise UsageError(f"--reason is at most 1000 characters, got {len(clean)}")
    return clean
