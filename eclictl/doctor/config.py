"""Config checks: file and directory modes, the profile, the credential in use, session expiry."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from eclictl.doctor.checks import FAIL, OK, WARN, Check, Probe

#: A session this close to its end fails the next cron job: warn.
SESSION_WARN_SECONDS = 15 * 60


def run(probe: Probe) -> list[Check]:
    ctx = probe.ctx
    checks = [_file(ctx.config_file), _dir(ctx.config_file.parent, "config.dir", "the config directory"),
              _dir(_state_dir(ctx), "config.state_dir", "the state directory (audit trail, request log)")]
    try:
        settings = ctx.settings
    except Exception as exc:  # noqa: BLE001 - ConfigError: a broken file or an unknown profile
        checks.append(Check("config.profile", FAIL, str(getattr(exc, "message", exc)),
                            getattr(exc, "hint", None) or "fix or delete the file"))
        return checks
    checks.append(_profile(settings))
    checks.append(_credential(settings))
    checks.append(_session(settings))
    return checks


def _state_dir(ctx: Any) -> Path:
    from eclictl.safety.store import state_dir

    return state_dir(ctx.env)


def _mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return None


def _file(path: Path) -> Check:
    mode = _mode(path)
    if mode is None:
        return Check("config.file", OK, f"no config file at {path}: settings come from flags and ECLICTL_* "
                     "variables", details={"path": str(path), "exists": False})
    details = {"path": str(path), "exists": True, "mode": f"{mode:04o}"}
    if os.name == "posix" and mode & 0o077:
        return Check("config.file", FAIL, f"{path} is open to other users (mode {mode:04o}) and holds credentials",
                     f"chmod 600 {path}", details)
    if not os.access(path, os.R_OK):
        return Check("config.file", FAIL, f"{path} cannot be read", f"check the owner of {path}", details)
    return Check("config.file", OK, f"{path} is private (mode {mode:04o})", details=details)


def _dir(path: Path, check_id: str, what: str) -> Check:
    mode = _mode(path)
    if mode is None:
        return Check(check_id, OK, f"{what} does not exist yet ({path}); eclictl creates it private",
                     details={"path": str(path), "exists": False})
    details = {"path": str(path), "exists": True, "mode": f"{mode:04o}"}
    if os.name == "posix" and mode & 0o077:
        return Check(check_id, WARN, f"{what} {path} is open to other users (mode {mode:04o})",
                     f"chmod 700 {path}", details)
    return Check(check_id, OK, f"{what} {path} is private (mode {mode:04o})", details=details)


def _profile(s: Any) -> Check:
    where = f"profile '{s.profile}'" + ("" if s.profile_exists else " (not saved: flags and environment only)")
    details = {"profile": s.profile, "saved": s.profile_exists,
               "url_from": s.sources.get("url"), "credential_from": s.sources.get("api_key") or s.sources.get("token")}
    if not s.url:
        return Check("config.profile", FAIL, f"{where}: no panel URL", "run `eclictl auth login --url "
                     "https://backend.example.com`, or set ECLICTL_URL", details)
    if not (s.api_key or s.token):
        return Check("config.profile", FAIL, f"{where}: no credential (API key or session)",
                     f"run `eclictl -p {s.profile} auth login`, or set ECLICTL_API_KEY", details)
    return Check("config.profile", OK, f"{where}: URL from {s.sources.get('url')}, credential from "
                 f"{details['credential_from']}", details=details)


def _credential(s: Any) -> Check:
    if s.api_key:
        extra = "; the stored session is not used while a key is set" if s.token else ""
        return Check("config.credential", OK, f"API key from {s.sources.get('api_key')}{extra}",
                     details={"kind": "api key", "from": s.sources.get("api_key"), "session_also_set": bool(s.token)})
    if s.token:
        return Check("config.credential", OK, f"session token from {s.sources.get('token')}",
                     details={"kind": "session", "from": s.sources.get("token")})
    return Check("config.credential", FAIL, "no credential in use", f"run `eclictl -p {s.profile} auth login`",
                 details={"kind": None})


def _session(s: Any, now: datetime | None = None) -> Check:
    if s.api_key or not s.token:
        return Check("config.session", OK, "no session in use (an API key has no session to expire)"
                     if s.api_key else "no session in use", details={"expires_at": None})
    login = f"eclictl -p {s.profile} auth login"
    if not s.token_expires_at:
        return Check("config.session", WARN, "the session's expiry is unknown (not stored with it)",
                     f"log in again to record it: {login}", {"expires_at": None})
    try:
        when = datetime.fromisoformat(s.token_expires_at.replace("Z", "+00:00"))
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
    except ValueError:
        return Check("config.session", WARN, f"the stored session expiry is unreadable ({s.token_expires_at})",
                     f"log in again: {login}", {"expires_at": s.token_expires_at})
    left = (when - (now or datetime.now(timezone.utc))).total_seconds()
    details = {"expires_at": s.token_expires_at, "seconds_left": int(left)}
    if left <= 0:
        return Check("config.session", FAIL, f"the session expired at {s.token_expires_at}",
                     f"log in again: {login}", details)
    if left < SESSION_WARN_SECONDS:
        return Check("config.session", WARN, f"the session expires in {int(left // 60)} min "
                     f"({s.token_expires_at})", f"log in again before a scheduled job runs: {login}", details)
    return Check("config.session", OK, f"the session is valid for {int(left // 60)} more min", details=details)
