"""Undo records: the state eclictl is about to change, stored before the write, restored on demand.

A verb calls `remember(ctx, kind, key)` (or `remember_settings`) once before its write. At the
end of the run the state is read again (`after`); if anything changed, one record is written to
`<state dir>/undo/<id>.json`. `eclictl undo ID` compares the panel NOW with `after`: a field the
change touched that now holds neither the old nor the new value was changed by someone else, and
undo refuses (with the diff) unless --force. The restore logic per kind lives in kinds.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from eclictl.errors import EclictlError, NotFoundError, RejectedError, UsageError
from eclictl.safety.kinds import ABSENT, KINDS, Kind, flatten_settings, get
from eclictl.safety.store import UNDO_DIR, ensure_dir, iso, local_user, locked, read_json, state_dir, write_json

#: How long the panel may show stale flags (its 10 s cache) before a read can be trusted.
DEFAULT_FLAG_WAIT = 11.0


@dataclass
class Part:
    kind: str
    key: str
    before: dict[str, Any]
    after: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


# -- recording (called by verbs) ------------------------------------------------------------------
def remember(ctx: Any, kind: str, key: Any, *, before: dict[str, Any] | None = None, rows: Any = None,
             after: dict[str, Any] | None = None) -> None:
    """Store the state of one target before the verb changes it (read now unless given)."""
    handler = KINDS[kind]
    key = str(key)
    run = ctx.safety
    with run.lock:
        existing = next((p for p in run.parts if p.kind == kind and p.key == key), None)
    if existing is not None:  # the first `before` of a run is the one to go back to
        if before:
            for name, value in before.items():
                existing.before.setdefault(name, value)
        if after is not None:
            existing.after = {**(existing.after or {}), **after}
        return
    if before is None:
        before = handler.extract(rows if rows is not None else handler.fetch(ctx.api, key), key)
    with run.lock:
        run.parts.append(Part(kind, key, dict(before), dict(after) if after is not None else None))


def remember_settings(ctx: Any, body: Mapping[str, Any], panel: Mapping[str, Any] | None = None, *,
                      wait: float | None = None) -> None:
    """Before a settings PUT: the current value of every key (and flag) the body sets.

    `after` is what the PUT asks for (normalised like the panel stores it), not a read-back: the
    panel's flag cache would show the old flags for 10 s. `wait` is the verb's --wait.
    """
    from eclictl.sections._settings_lib import fetch_settings
    from eclictl.settings_schema import SCHEMA, normalise

    current = flatten_settings(dict(panel) if panel is not None else fetch_settings(ctx.api))
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    skipped = []
    for key, value in body.items():
        if key == "featureToggles" and isinstance(value, dict):
            for name, on in value.items():
                field_name = f"featureToggles.{name}"
                if field_name in current:
                    before[field_name] = current[field_name]
                after[field_name] = on
            continue
        spec = SCHEMA.get(key)
        if key not in current or (spec is not None and not spec.in_get):
            skipped.append(key)  # write-only: the panel never shows the value, so it cannot be restored
            continue
        before[key] = current[key]
        if isinstance(value, dict) and isinstance(current[key], dict):
            after[key] = {**current[key], **value}  # an object is replaced; the panel shows it merged with defaults
        else:
            after[key] = normalise(key, value)
    if skipped:
        ctx.warn(f"undo cannot restore {', '.join(skipped)}: the panel does not show its current value")
    if wait is not None:
        ctx.safety.flag_wait = wait
    if before or after:
        remember(ctx, "settings", "panel", before=before, after=after)


# -- the record store -------------------------------------------------------------------------------
def undo_dir(env: Mapping[str, str] | None) -> Path:
    return state_dir(env) / UNDO_DIR


def record_path(env: Mapping[str, str] | None, record_id: int) -> Path:
    return undo_dir(env) / f"{int(record_id)}.json"


def _ids(directory: Path) -> list[int]:
    out = []
    for path in directory.glob("*.json"):
        if path.stem.isdigit():
            out.append(int(path.stem))
    return sorted(out)


def delta(handler: Kind, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The fields a change touched."""
    names = list(dict.fromkeys([*before, *after]))
    return [n for n in names if not handler.equal(n, get(dict(before), n), get(dict(after), n))]


def save_record(ctx: Any, run: Any, command: str) -> dict[str, Any] | None:
    """Read the `after` state, keep the parts that changed, write the record; None if nothing changed."""
    pending = [p for p in run.parts if p.after is None]
    if pending:
        api = ctx.build_client()  # the command's own client is closed by now
        try:
            cache: dict[tuple[str, str], Any] = {}
            for part in pending:
                handler = KINDS[part.kind]
                slot = (part.kind, "" if handler.shared_fetch else part.key)
                if slot not in cache:
                    cache[slot] = handler.fetch(api, part.key)
                part.after = handler.extract(cache[slot], part.key)
        finally:
            api.close()
    parts = []
    for part in run.parts:
        handler = KINDS[part.kind]
        after = part.after or {}
        fields = delta(handler, part.before, after)
        if fields:
            parts.append({"kind": part.kind, "key": part.key,
                          "label": handler.label(part.key, {**part.before, **after}, fields),
                          "before": part.before, "after": after})
    if not parts:
        return None
    s = ctx.settings
    now = time.time()
    directory = ensure_dir(undo_dir(ctx.env))
    with locked(directory):
        ids = _ids(directory)
        record = {
            "id": (ids[-1] + 1) if ids else 1, "time": iso(now), "epoch": now, "profile": s.profile, "url": s.url,
            "user": local_user(), "command": command, "reason": run.reason, "gate_name": run.gate_name,
            "wait": run.flag_wait, "written": run.last_write or now, "parts": parts, "status": "applied", "undone": None, "revert": None,
        }
        write_json(record_path(ctx.env, record["id"]), record)
    return record


def load(env: Mapping[str, str] | None, record_id: int) -> dict[str, Any]:
    record = read_json(record_path(env, record_id))
    if record is None:
        raise NotFoundError(f"no undo record #{record_id}", hint="list them with `eclictl undo --list`")
    return record


def update(env: Mapping[str, str] | None, record_id: int, change: Any) -> dict[str, Any]:
    """Read-modify-write one record under the lock; `change(record)` may raise to abort."""
    directory = ensure_dir(undo_dir(env))
    with locked(directory):
        record = load(env, record_id)
        change(record)
        write_json(record_path(env, record_id), record)
    return record


def all_records(env: Mapping[str, str] | None) -> list[dict[str, Any]]:
    directory = undo_dir(env)
    out = []
    for record_id in _ids(directory) if directory.exists() else []:
        record = read_json(record_path(env, record_id))
        if record is not None:
            out.append(record)
    return out


def latest_for(ctx: Any) -> dict[str, Any]:
    """The newest record of the profile and panel in use that is still applied."""
    s = ctx.settings
    for record in reversed(all_records(ctx.env)):
        if record.get("status") == "applied" and record.get("profile") == s.profile and _same_panel(record, s.url):
            return record
    raise NotFoundError(f"nothing to undo for profile '{s.profile}'", hint="list records with `eclictl undo --list`")


def _same_panel(record: Mapping[str, Any], url: Any) -> bool:
    from eclictl.api.client import normalise_base_url

    return bool(url) and normalise_base_url(str(record.get("url") or "")) == normalise_base_url(str(url))


def check_target(ctx: Any, record: Mapping[str, Any]) -> None:
    """Undo talks to the panel the record came from, through the same profile."""
    s = ctx.settings
    if record.get("profile") != s.profile or not _same_panel(record, s.url):
        raise UsageError(f"record #{record['id']} was made on profile '{record.get('profile')}' "
                         f"({record.get('url')}); this command uses '{s.profile}' ({s.url})",
                         hint=f"run it with -p {record.get('profile')}")


# -- planning and restoring -------------------------------------------------------------------------
@dataclass
class Step:
    part: dict[str, Any]
    handler: Kind
    fields: list[str]  # what the change touched
    now: dict[str, Any]
    todo: list[str]  # fields that are not back to `before` yet
    conflicts: list[str]  # fields someone else changed since (neither before nor after)

    @property
    def key(self) -> str:
        return str(self.part["key"])

    def want(self) -> dict[str, Any]:
        before = self.part["before"]
        return {f: get(before, f) for f in self.todo}

    def deletes(self) -> bool:
        return "exists" in self.todo and not self.part["before"].get("exists", True)

    def creates(self) -> bool:
        return "exists" in self.todo and bool(self.part["before"].get("exists"))


def flag_wait(record: Mapping[str, Any], override: float | None) -> float:
    if override is not None:
        return override
    value = record.get("wait")
    return float(value) if isinstance(value, (int, float)) else DEFAULT_FLAG_WAIT


def touches_flags(record: Mapping[str, Any]) -> bool:
    for part in record.get("parts") or []:
        handler = KINDS.get(part.get("kind"))
        if handler and handler.needs_flag_wait(delta(handler, part.get("before") or {}, part.get("after") or {})):
            return True
    return False


def plan(ctx: Any, record: Mapping[str, Any]) -> list[Step]:
    """Compare the panel now with the record (one read per kind)."""
    cache: dict[tuple[str, str], Any] = {}
    steps = []
    for part in record.get("parts") or []:
        handler = KINDS.get(part.get("kind"))
        if handler is None:
            raise UsageError(f"record #{record['id']}: unknown kind '{part.get('kind')}' (a newer eclictl wrote it?)")
        before, after = part.get("before") or {}, part.get("after") or {}
        key = str(part["key"])
        slot = (handler.name, "" if handler.shared_fetch else key)
        if slot not in cache:
            cache[slot] = handler.fetch(ctx.api, key)
        now = handler.extract(cache[slot], key)
        fields = delta(handler, before, after)
        todo = [f for f in fields if not handler.equal(f, get(now, f), get(before, f))]
        conflicts = [f for f in todo if not handler.equal(f, get(now, f), get(after, f))]
        if "exists" in todo and not before.get("exists", True):
            # deleting what the change created: anything added to it since counts as someone else's work
            extra = [f for f in now if f not in fields and not handler.equal(f, get(now, f), get(after, f))]
            conflicts += extra
        steps.append(Step(dict(part), handler, fields, now, todo, conflicts))
    return steps


def diff_rows(steps: list[Step]) -> list[dict[str, Any]]:
    rows = []
    for step in steps:
        before, after = step.part.get("before") or {}, step.part.get("after") or {}
        for f in list(dict.fromkeys([*step.fields, *step.conflicts])):
            if f in step.conflicts:
                status = "changed since"
            elif f in step.todo:
                status = "restore"
            else:
                status = "already restored"
            rows.append({"target": step.part.get("label") or step.key, "field": f, "changed_to": _shown(get(after, f)),
                         "now": _shown(get(step.now, f)), "restore_to": _shown(get(before, f)), "status": status})
    return rows


def _shown(value: Any) -> Any:
    return "(none)" if value is ABSENT else value


def restore(ctx: Any, steps: list[Step]) -> list[tuple[Step, str]]:
    """Write `before` back: recreations first, then edits, then deletions (children before parents)."""
    first = [s for s in steps if s.todo and s.creates()]
    middle = [s for s in steps if s.todo and not s.creates() and not s.deletes()]
    last = [s for s in reversed(steps) if s.todo and s.deletes()]
    done = []
    for step in first + middle + last:
        new_key = step.handler.restore(ctx, step.key, step.want(), step.now, step.part.get("before") or {})
        done.append((step, str(new_key)))
    return done


def verify(ctx: Any, done: list[tuple[Step, str]]) -> list[dict[str, Any]]:
    """Read every restored target again; the fields that are not back to `before`."""
    cache: dict[tuple[str, str], Any] = {}
    failed = []
    for step, key in done:
        handler = step.handler
        slot = (handler.name, "" if handler.shared_fetch else key)
        if slot not in cache:
            cache[slot] = handler.fetch(ctx.api, key)
        now = handler.extract(cache[slot], key)
        before = step.part.get("before") or {}
        for f in step.todo:
            if not handler.equal(f, get(now, f), get(before, f)):
                failed.append({"target": step.part.get("label") or key, "field": f, "wanted": _shown(get(before, f)),
                               "now": _shown(get(now, f))})
    return failed


def refuse_conflicts(record: Mapping[str, Any], steps: list[Step]) -> RejectedError:
    fields = [f"{s.part.get('label') or s.key}: {f}" for s in steps for f in s.conflicts]
    shown = ", ".join(fields[:6]) + (", …" if len(fields) > 6 else "")
    return RejectedError(f"the panel changed since #{record['id']} (someone else edited {shown}); nothing was restored",
                         hint=f"review the diff; `eclictl undo {record['id']} --force` restores anyway")


def mark(env: Mapping[str, str] | None, record_id: int, *, how: str, result: str, message: str = "") -> None:
    """Record what undo or the automatic revert did (status applied -> undone/reverted)."""

    def change(record: dict[str, Any]) -> None:
        stamp = iso(time.time())
        if result == "restored":
            record["status"] = "reverted" if how == "revert" else "undone"
            record["undone"] = {"time": stamp, "by": how}
        revert = record.get("revert")
        if isinstance(revert, dict):
            if how == "revert":
                revert["status"] = {"restored": "reverted"}.get(result, result)
                revert["message"] = message
                revert["finished"] = stamp
            elif result == "restored" and revert.get("status") == "pending":
                revert["status"] = "cancelled"
                revert["message"] = "undone by hand before it was due"

    update(env, record_id, change)


def describe_failure(failed: list[dict[str, Any]]) -> EclictlError:
    names = ", ".join(f"{f['target']}: {f['field']}" for f in failed[:6])
    return EclictlError(f"the restore did not stick: {names} (the panel still shows another value)",
                        hint="flags: another flag change within 10 s may have undone it; check and rerun")
