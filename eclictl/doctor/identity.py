"""Identity checks: who the credential belongs to, its type and expiry, usable and denied sections."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from eclictl.doctor.checks import FAIL, OK, SKIP, WARN, Check, Probe

KEY_EXPIRY_WARN_DAYS = 7


def run(probe: Probe) -> list[Check]:
    from eclictl.api.errors import ApiError
    from eclictl.commands.auth import describe_key
    from eclictl.errors import EclictlError
    from eclictl.access import section_access

    ctx = probe.ctx
    if not probe.reachable:
        return [Check("identity.who", SKIP, "the panel did not answer at this URL: the credential was not checked")]
    try:
        probe.client = ctx.build_client()
        probe.client.max_retries = 0  # a doctor reports what it sees now
        probe.client.on_response = lambda status, headers: probe.seen.append((status, headers))
    except EclictlError as exc:
        return [Check("identity.who", FAIL, f"no usable credential: {exc.message}",
                      exc.hint or "run `eclictl auth login`")]
    try:
        info = describe_key(ctx, probe.client)
    except ApiError as exc:
        status = getattr(exc, "status", None)
        if status == 401:
            return [Check("identity.who", FAIL, f"the panel refused the credential (401: {exc.message})",
                          "the key was deleted or has expired, or the session ended: create a new key or run "
                          "`eclictl auth login`", {"status": 401})]
        if status == 429:
            probe.rate_limited = True
        return [Check("identity.who", FAIL, f"cannot tell who the credential belongs to: {exc.message}",
                      exc.hint or "run `eclictl -v whoami` to see the failing request", {"status": status})]
    probe.identity = info
    probe.access = section_access(info)
    return [_who(info), _expiry(info), _sections(info, probe.access)]


def _who(info: dict[str, Any]) -> Check:
    kind = info.get("key_type")
    via = (f"API key #{info.get('key_id')} '{info.get('key_name')}' ({kind})" if info.get("auth") == "api key"
           else "a login session")
    who = f"user #{info.get('user_id')} {info.get('email') or ''}".rstrip()
    details = {k: info.get(k) for k in ("user_id", "email", "role", "root", "auth", "key_id", "key_name",
                                          "key_type")}
    details["permissions"] = len(info.get("permissions") or [])
    text = f"{who} (role {info.get('role')}{', root' if info.get('root') else ''}) via {via}"
    if kind == "client" and not info.get("root"):
        return Check("identity.who", WARN, text + ": a client key of a non-root owner passes no admin check",
                     "use an admin-type key (root users can mint one: `eclictl auth login --email`), or a "
                     "session of a staff user", details)
    return Check("identity.who", OK, text, details=details)


def _expiry(info: dict[str, Any], now: datetime | None = None) -> Check:
    if info.get("auth") != "api key":
        return Check("identity.key_expiry", OK, "a session: its expiry is checked with the config",
                     details={"expires_at": None})
    expires = info.get("expires_at")
    if not expires:
        return Check("identity.key_expiry", OK, "the API key never expires", details={"expires_at": None})
    try:
        when = datetime.fromisoformat(str(expires).replace("Z", "+00:00"))
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
    except ValueError:
        return Check("identity.key_expiry", WARN, f"the key's expiry is unreadable ({expires})", None,
                     {"expires_at": expires})
    days = (when - (now or datetime.now(timezone.utc))).total_seconds() / 86400
    details = {"expires_at": expires, "days_left": round(days, 1)}
    if days <= 0:
        return Check("identity.key_expiry", FAIL, f"the API key expired at {expires}",
                     "create a new key and `eclictl auth login --with-key`", details)
    if days < KEY_EXPIRY_WARN_DAYS:
        return Check("identity.key_expiry", WARN, f"the API key expires in {days:.1f} days ({expires})",
                     "create a new key before then and `eclictl auth login --with-key`", details)
    return Check("identity.key_expiry", OK, f"the API key expires in {days:.0f} days", details=details)


def _sections(info: dict[str, Any], access: list[dict[str, Any]]) -> Check:
    usable = [a["section"] for a in access if a["usable"]]
    denied = [a for a in access if not a["usable"]]
    details = {"usable": usable, "denied": [{"section": a["section"], "permission": a["permission"],
                                             "reason": a["reason"]} for a in denied]}
    if not usable:
        reason = denied[0]["reason"] if denied else "no sections"
        return Check("identity.sections", WARN, f"no portal section is usable: {reason}",
                     "use an admin-type key, or grant admin:access and the sections' permissions to the "
                     "user's role", details)
    if denied:
        shown = ", ".join(f"{a['section']} ({a['permission'] or 'admin:access'})" for a in denied[:6])
        more = f" and {len(denied) - 6} more" if len(denied) > 6 else ""
        return Check("identity.sections", OK, f"{len(usable)} of {len(access)} sections usable; denied: "
                     f"{shown}{more}: {denied[0]['reason']}", "grant the listed permissions to the user's role "
                     "if these sections are needed", details)
    return Check("identity.sections", OK, f"all {len(access)} sections usable", details=details)
