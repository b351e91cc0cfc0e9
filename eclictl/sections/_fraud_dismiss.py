"""`fraud dismiss` helpers: the --since-last-run cursor file, picking targets, batched sends and re-reading."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional

from eclictl.errors import NotFoundError, RejectedError, UsageError
from eclictl.inputs import loads_json
from eclictl.sections._fraud_alerts import PATH, _user_id, fetch_alerts, resolve_user_id
from eclictl.sections._verified import Outcome, VerifiedReport, abort_on_access_error, batches
from eclictl.times import iso, parse_time

if TYPE_CHECKING:
    from eclictl.context import AppContext


def _read_cursor(path: Path) -> datetime | None:
    import json

    if not path.exists():
        return None
    try:
        data = loads_json(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the state file {path}: {exc}",
                         hint="fix or delete it (deleting makes the next run handle every alert)") from None
    cursor = data.get("cursor") if isinstance(data, dict) else None
    if cursor is None:
        return None
    when = parse_time(cursor)
    if when is None:
        raise UsageError(f"the state file {path} holds an invalid cursor: {cursor!r}")
    return when


def write_state(path: Path, data: dict[str, Any]) -> None:
    """Atomically replace the state file (0600; eclictl/files.py)."""
    import json

    from eclictl.files import write_private

    write_private(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def _state_path(value: Optional[Path]) -> Path | None:
    if value is None:
        return None
    path = value.expanduser()
    if path.is_dir():
        raise UsageError(f"--since-last-run expects a file, got the directory {path}")
    if not path.parent.is_dir():
        raise UsageError(f"the directory of the state file does not exist: {path.parent}")
    return path


def _explicit_targets(ctx: "AppContext", items: list[str], alerts: dict[int, dict[str, Any]],
                      report: VerifiedReport) -> list[int]:
    """Resolve USER refs; unflagged users are already clear, unknown ones not found."""
    from eclictl.sections.users import user_row

    targets: list[int] = []
    for ref in items:
        try:
            user_id = resolve_user_id(ctx.api, ref)
        except NotFoundError as exc:
            report.outcomes.append(Outcome(ref, None, "not_found", exc.message))
            continue
        except (RejectedError, UsageError) as exc:
            report.outcomes.append(Outcome(ref, None, "failed", exc.message))
            continue
        if user_id in alerts:
            report.outcomes.append(Outcome(ref, user_id, "pending"))
            targets.append(user_id)
            continue
        report.outcomes.append(_unflagged(ctx, ref, user_id, user_row))
    return targets


def _unflagged(ctx: "AppContext", ref: str, user_id: int, user_row: Callable[[Any, int], Any]) -> Outcome:
    from eclictl.api.errors import ApiPermissionError

    try:
        user_row(ctx.api, user_id)
    except NotFoundError:
        return Outcome(ref, user_id, "not_found", "no such user")
    except ApiPermissionError:
        return Outcome(ref, user_id, "already_clear", "not flagged (user existence not checked: no users:read)")
    return Outcome(ref, user_id, "already_clear", "not flagged")


def _send_batches(ctx: "AppContext", ids: list[int], size: int) -> dict[int, str]:
    """POST the bulk dismiss per batch; returns user id -> error message for failed batches."""
    from eclictl.bulk import describe_error

    errors: dict[int, str] = {}
    for n, batch in enumerate(batches(ids, size)):
        try:
            body = ctx.api.post(f"{PATH}/dismiss", {"ids": batch})
        except Exception as exc:  # noqa: BLE001 - a failed batch is reported per item
            abort_on_access_error(exc, done_any=n > 0)
            errors.update({uid: f"batch {n + 1} failed: {describe_error(exc)}" for uid in batch})
            continue
        sent = body.get("dismissed") if isinstance(body, dict) else None
        ctx.log(f"batch {n + 1}: panel says dismissed={sent} (the count sent, not the rows changed)")
    return errors


def _verify(ctx: "AppContext", report: VerifiedReport, errors: dict[int, str]) -> None:
    """Re-read the alert list: an alert still present was not dismissed, whatever the panel said."""
    from eclictl.bulk import describe_error

    try:
        still = {_user_id(r.get("id")) for r in fetch_alerts(ctx.api)}
    except Exception as exc:  # noqa: BLE001
        for o in report.outcomes:
            if o.status == "pending":
                o.status, o.message = "failed", f"could not verify: {describe_error(exc)}"
        return
    for o in report.outcomes:
        if o.status != "pending":
            continue
        if o.id in still:
            o.status, o.message = "failed", errors.get(o.id, "still flagged after the panel reported success")
        else:
            o.status = "dismissed"
            if o.id in errors:
                o.message = "cleared although its batch reported an error"


def _next_cursor(snapshot: Iterable[dict[str, Any]], previous: datetime | None) -> str | None:
    """The newest detection time seen (never moving backwards)."""
    times = [t for t in (parse_time(r.get("fraudDetectedAt")) for r in snapshot) if t is not None]
    if previous is not None:
        times.append(previous)
    return iso(max(times)) if times else None
