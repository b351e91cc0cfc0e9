"""`users edit --set`: which user fields are writable, how each value is checked, and the re-read check."""

from __future__ import annotations

from typing import Any

from eclictl.errors import UsageError
from eclictl.options import split_pair, typed_value
from eclictl.units import SIZE_HELP, parse_cpu_percent, parse_size_mib
from eclictl.writes import refuse_clears, verify_applied


TEXT = frozenset({"firstName", "lastName", "email", "address"})


TEXT_OR_NULL = frozenset({"middleName", "displayName", "address2", "phone", "billingCompany", "billingCity",
                          "billingState", "billingZip", "billingCountry", "avatarUrl", "supportBanReason"})


BOOLS = frozenset({"suspended", "inactive", "emailVerified", "idVerified", "studentVerified", "fraudFlag",
                   "guideShown", "supportBanned"})


OTHER = frozenset({"role", "portalType", "nodeId", "studentVerifiedAt", "fraudReason", "limits", "dateOfBirth",
                   "parentId", "badges"})


EDITABLE = TEXT | TEXT_OR_NULL | BOOLS | OTHER


PORTALS = ("free", "paid", "educational", "enterprise")


COUNT_LIMITS = ("serverLimit", "portsPerServer", "tunnelPortCount", "databases", "backups")


SIZE_LIMITS = ("memory", "disk")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_limits(value: Any) -> Any:
    """`limits`: an object merged into the user's limits, or null/false to clear them all."""
    if value is None or value is False:
        return value
    if not isinstance(value, dict):
        raise UsageError("limits must be a JSON object or null, e.g. limits='{\"memory\": \"2GB\"}'")
    for key, item in value.items():
        if key in SIZE_LIMITS:
            ok, unit = parse_size_mib(item) is not None, f"a size ({SIZE_HELP})"
        elif key == "cpu":
            ok, unit = parse_cpu_percent(item) is not None, "a percentage (100 = one core), '150%' or '1.5 cores'"
        elif key in COUNT_LIMITS:
            ok, unit = _is_number(item) and item >= 0, "a non-negative number"
        else:
            from eclictl.context import current

            current().warn(f"limits.{key} is not a limit the panel validates; sent as given")
            continue
        if not ok:
            raise UsageError(f"limits.{key} must be {unit}, got {item!r}")
    return value


def _check_date(field: str, value: Any) -> None:
    from datetime import date

    try:
        date.fromisoformat(str(value))
    except ValueError:
        raise UsageError(f"{field} must be a date in YYYY-MM-DD format, got '{value}'") from None


def _edit_value(field: str, raw: str) -> Any:
    """Type one `--set field=value` exactly as PUT /api/admin/users/:id expects it."""
    typed = typed_value(raw)
    if field in TEXT:
        if not raw.strip() or typed is None:
            raise UsageError(f"{field} cannot be empty or null")
        if field == "email" and "@" not in raw:
            raise UsageError(f"email must be an e-mail address, got '{raw}'")
        return raw.strip()
    if field in TEXT_OR_NULL:
        return None if typed is None else raw.strip()
    if field in BOOLS:
        if not isinstance(typed, bool):
            raise UsageError(f"{field} must be true or false, got '{raw}'")
        return typed
    if field == "role":
        if typed is None or not raw.strip():
            raise UsageError("role cannot be empty or null (the panel takes only a role name here)")
        return raw.strip()
    if field == "portalType":
        if raw.strip() not in PORTALS:
            raise UsageError(f"portalType must be one of {', '.join(PORTALS)}, got '{raw}'")
        return raw.strip()
    if field == "nodeId":
        if typed is not None and not (isinstance(typed, int) and not isinstance(typed, bool) and typed > 0):
            raise UsageError(f"nodeId must be a node id (a positive integer) or null, got '{raw}'")
        return typed
    if field == "parentId":
        if typed is None or raw.strip() == "":
            return None
        if not (isinstance(typed, int) and not isinstance(typed, bool) and typed > 0):
            raise UsageError(f"parentId must be a positive integer or null, got '{raw}'")
        return typed
    if field in ("dateOfBirth", "studentVerifiedAt"):
        if typed is None or typed is False or raw.strip() == "":
            return None
        _check_date(field, raw.strip())
        return raw.strip()
    if field == "fraudReason":
        return None if typed is None else raw.strip()  # an empty one is refused by parse_edit
    if field == "badges":
        if not isinstance(typed, list) or not all(isinstance(b, str) for b in typed):
            raise UsageError("badges must be a JSON array of strings, e.g. badges='[\"beta\",\"partner\"]' "
                             "(anything else would wipe every badge)")
        return typed
    if field == "limits":
        return _check_limits(typed)
    raise UsageError(f"cannot edit '{field}'")  # pragma: no cover - EDITABLE guards this


def parse_edit(pairs: list[str]) -> dict[str, Any]:
    """`--set` pairs -> the PUT body; `limits.memory=2GB` merges into one limits object."""
    import difflib

    body: dict[str, Any] = {}
    for pair in pairs:
        field, raw = split_pair(pair)
        if field.startswith("limits."):
            sub = field.split(".", 1)[1]
            limits = body.get("limits")
            if not isinstance(limits, dict):
                limits = {}
            limits[sub] = typed_value(raw)
            body["limits"] = _check_limits(limits)
            continue
        if field not in EDITABLE:
            close = difflib.get_close_matches(field, sorted(EDITABLE), n=1)
            raise UsageError(f"'{field}' is not a field the panel lets you edit",
                             hint=f"did you mean '{close[0]}'?" if close else
                             f"editable: {', '.join(sorted(EDITABLE))}")
        body[field] = _edit_value(field, raw)
    if not body:
        raise UsageError("nothing to change: pass at least one --set field=value")
    refuse_clears(body, CANNOT_CLEAR, where="a user",
                  hint="set a new value instead (fraudReason goes with `eclictl fraud clear`, which keeps the text)")
    return body


#: PUT /admin/users/:id turns null/"" into `undefined` for these (adminHandler.ts), and save() skips
#: undefined: the old value stays. Every other optional field clears with null.
CANNOT_CLEAR = ("nodeId", "studentVerifiedAt", "fraudReason", "dateOfBirth")


def _same_day(sent: Any) -> Any:
    return lambda stored: isinstance(stored, str) and stored[:10] == str(sent)[:10]


def _limits_applied(sent: Any) -> Any:
    """limits are merged and stored as numbers (sizes in MiB, CPU in percent)."""
    def check(stored: Any) -> bool:
        if sent is None or sent is False:
            return stored in (None, {})
        if not isinstance(stored, dict):
            return False
        for key, value in sent.items():
            have = stored.get(key)
            if key in SIZE_LIMITS:
                want: Any = parse_size_mib(value)
            elif key == "cpu":
                want = parse_cpu_percent(value)
            elif key in COUNT_LIMITS and _is_number(value):
                want = round(value)
            else:
                continue
            if not _is_number(have) or float(have) != float(want):
                return False
        return True
    return check


def verify_edit(user_id: int, body: dict[str, Any], row: dict[str, Any]) -> None:
    """Compare the re-read user with what was sent; exit 7 naming any field the panel ignored."""
    record = {**row, "badges": (row.get("settings") or {}).get("badges")}
    expect: dict[str, Any] = {"limits": _limits_applied(body.get("limits"))}
    if isinstance(body.get("badges"), list):  # stored trimmed, without blanks and duplicates, at most 128
        badges = list(dict.fromkeys(b.strip() for b in body["badges"] if b.strip()))[:128]
        expect["badges"] = lambda stored: stored == badges
    for key in ("dateOfBirth", "studentVerifiedAt"):
        if isinstance(body.get(key), str):
            expect[key] = _same_day(body[key])
    verify_applied(body, record, what=f"user {user_id}", expect=expect)


def _edited_view(row: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row.get("id"), "email": row.get("email")}
    for key in body:
        if key == "badges":
            out[key] = (row.get("settings") or {}).get("badges")
        else:
            out[key] = row.get(key)
    return out
