"""Writes the panel may silently not apply: refuse what it cannot do, verify what it says it did.

Many of the panel's PUT handlers turn `null` and `""` into `undefined` (`x || undefined`,
`x != null ? x : undefined`, `if (x != null) ...`), and TypeORM's save() skips undefined
properties: the answer is 200 success and the old value stays. So eclictl

* refuses, before sending, to "clear" a field a handler cannot clear (`refuse_clears`), and never
  sends the word null as text;
* re-reads the record after a write and compares it with what it sent (`verify_applied`): a field
  the panel ignored is reported by name and the command exits 7, never "done".
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from eclictl.errors import RejectedError, UsageError

#: Why a clear is refused (the hint names the way out).
CANNOT_CLEAR = ("the panel cannot clear {fields}{where}: it treats null and empty values as 'leave unchanged' "
                "and keeps the old value")


class NotAppliedError(RejectedError):
    """The panel answered success, but re-reading shows fields it did not apply (exit 7)."""


def given(**fields: Any) -> dict[str, Any]:
    """The body keys whose option was given (None = not given), in the order named."""
    return {k: v for k, v in fields.items() if v is not None}


def is_clear(value: Any) -> bool:
    """A value that asks to clear a field: null, or an empty/blank string."""
    return value is None or (isinstance(value, str) and not value.strip())


def refuse_clears(body: Mapping[str, Any], cannot_clear: Iterable[str], *, where: str = "",
                  hint: str = "set a new value instead") -> None:
    """UsageError (exit 2, nothing sent) when `body` clears a field the panel cannot clear."""
    blocked = set(cannot_clear)
    fields = [k for k, v in body.items() if k in blocked and is_clear(v)]
    if fields:
        raise UsageError(CANNOT_CLEAR.format(fields=", ".join(fields), where=f" on {where}" if where else ""),
                         hint=hint)


def same(sent: Any, stored: Any) -> bool:
    """Did the panel store what was sent? Numbers compare by value ("12" == 12, 1 == 1.0), strings
    ignore surrounding blanks, an object sent is a partial update (its keys must match), a clear
    matches null or ""."""
    if is_clear(sent):
        return is_clear(stored)
    if isinstance(sent, bool) or isinstance(stored, bool):
        return isinstance(stored, (bool, int)) and isinstance(sent, (bool, int)) and bool(sent) == bool(stored)
    if isinstance(sent, (int, float)) or isinstance(stored, (int, float)):
        try:
            return float(sent) == float(stored)
        except (TypeError, ValueError):
            return False
    if isinstance(sent, str) and isinstance(stored, str):
        return sent.strip() == stored.strip()
    if isinstance(sent, dict) and isinstance(stored, dict):
        return all(same(v, stored.get(k)) for k, v in sent.items())
    if isinstance(sent, list) and isinstance(stored, list):
        return len(sent) == len(stored) and all(same(a, b) for a, b in zip(sent, stored))
    return bool(sent == stored)


def ignored_fields(sent: Mapping[str, Any], record: Mapping[str, Any], *, skip: Iterable[str] = (),
                   expect: Mapping[str, Callable[[Any], bool]] | None = None) -> list[str]:
    """Fields of `sent` the re-read `record` does not show; `expect[field](stored)` overrides the
    comparison (e.g. a size sent as "4GB" and stored as 4096), `skip` names fields not echoed."""
    skipped = set(skip)
    checks = dict(expect or {})
    out = []
    for key, value in sent.items():
        if key in skipped:
            continue
        stored = record.get(key)
        ok = checks[key](stored) if key in checks else same(value, stored)
        if not ok:
            out.append(key)
    return out


def _show(value: Any) -> str:
    import json

    if value is None:
        return "null"
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def verify_applied(sent: Mapping[str, Any], record: Mapping[str, Any] | None, *, what: str,
                   skip: Iterable[str] = (), expect: Mapping[str, Callable[[Any], bool]] | None = None) -> None:
    """Raise NotAppliedError naming each field the panel ignored (sent value vs what it kept)."""
    if record is None:
        raise NotAppliedError(f"{what}: the panel answered success but the record could not be read back",
                              hint="check it with the list or show verb")
    fields = ignored_fields(sent, record, skip=skip, expect=expect)
    if not fields:
        return
    detail = "; ".join(f"{k}: sent {_show(sent[k])}, still {_show(record.get(k))}" for k in fields)
    applied = [k for k in sent if k not in fields and k not in set(skip)]
    rest = f" (applied: {', '.join(applied)})" if applied else ""
    raise NotAppliedError(f"{what}: the panel answered success but ignored {detail}{rest}")
