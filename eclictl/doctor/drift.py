"""API drift: each section's read route, one page, against the fields eclictl reads and writes.

What eclictl expects is declared with the section (eclictl/sections/_spec.py), not kept here: the
list path and PageSpec (a bare array, or an object with the list under `items_key`), the columns
(what eclictl reads), the id and name fields, the show path (detail) and, for writes, the
section's `fields` (Field(name, type)) when it declares them. Missing fields and changed types
fail; a list that moved (a bare array where an object was expected, or the reverse) warns, since
eclictl still finds it; fields eclictl does not know are listed for information. A route the
credential may not call (403), or a feature turned off (503), is skipped: that is not drift.
"""

from __future__ import annotations

import typing
from typing import Any, Iterable

from eclictl.doctor.checks import FAIL, INFO, OK, SKIP, WARN, Check, Probe

#: The fields each section's answer carried at the last doctor run, per panel: what "new" is measured against.
BASELINE = "doctor-fields.json"

_TYPES: dict[Any, frozenset[str]] = {
    int: frozenset({"int"}), float: frozenset({"int", "float"}), str: frozenset({"string"}),
    bool: frozenset({"bool"}), list: frozenset({"array"}), tuple: frozenset({"array"}), dict: frozenset({"object"}),
    "int": frozenset({"int"}), "integer": frozenset({"int"}), "number": frozenset({"int", "float"}),
    "float": frozenset({"int", "float"}), "string": frozenset({"string"}), "str": frozenset({"string"}),
    "bool": frozenset({"bool"}), "boolean": frozenset({"bool"}), "array": frozenset({"array"}),
    "list": frozenset({"array"}), "object": frozenset({"object"}), "dict": frozenset({"object"}),
}


def run(probe: Probe) -> list[Check]:
    from eclictl.sections._spec import all_sections

    if probe.skip_drift:
        return [Check("drift.all", SKIP, "not checked (--no-drift)")]
    if probe.client is None or probe.identity is None:
        return [Check("drift.all", SKIP, "not checked: the credential could not be used")]
    access = {a["section"]: a for a in probe.access}
    cache: dict[tuple[str, str], Any] = {}
    baseline = _load_baseline(probe)
    checks = [check_section(probe, section, access.get(section.name), cache, baseline.get(section.name))
              for section in all_sections()]
    seen = {c.details["section"]: c.details.pop("fields") for c in checks if c.details.get("fields")}
    _save_baseline(probe, seen)
    return checks


def _baseline_path(probe: Probe) -> Any:
    from eclictl.safety.store import state_dir

    return state_dir(probe.ctx.env) / BASELINE


def _load_baseline(probe: Probe) -> dict[str, list[str]]:
    from eclictl.safety.store import read_json

    try:
        data = read_json(_baseline_path(probe)) or {}
    except (OSError, ValueError):
        return {}
    panel = data.get(probe.ctx.settings.url or "")
    return panel if isinstance(panel, dict) else {}


def _save_baseline(probe: Probe, fields: dict[str, list[str]]) -> None:
    from eclictl.safety.store import locked, read_json, write_json

    path = _baseline_path(probe)
    try:
        with locked(path):
            data = read_json(path) or {}
            merged = data.get(probe.ctx.settings.url or "") or {}
            merged.update(fields)
            data[probe.ctx.settings.url or ""] = merged
            write_json(path, data)
    except (OSError, ValueError):
        return  # a help for the next run, never a failure


def check_id(section: Any) -> str:
    return "drift." + section.name.replace(" ", "-")


def reads(section: Any) -> bool:
    """Does eclictl read records from the section's path (and so expect a GET route there)?"""
    pages = section.pages
    return bool(section.columns or {"list", "show"} & set(section.verbs) or pages.items_key or pages.page_param
                or tuple(getattr(section, "fields", ()) or ()))


def _fetch(probe: Probe, path: str, params: dict[str, Any], cache: dict[tuple[str, str], Any]) -> Any:
    from eclictl.errors import EclictlError

    key = (path, repr(sorted(params.items())))
    if key not in cache:
        try:
            cache[key] = probe.client.request("GET", path, params=params, raise_for_status=False, expect_json=False)
        except EclictlError as exc:
            cache[key] = exc
    return cache[key]


def check_section(probe: Probe, section: Any, access: dict[str, Any] | None,
                  cache: dict[tuple[str, str], Any], before: list[str] | None = None) -> Check:
    cid = check_id(section)
    path = section.path
    if access is not None and not access["usable"]:
        return Check(cid, SKIP, f"not checked: {access['reason']}", details={"path": path})
    if "{" in path:  # a list under another record (transfers of one node): no id to fill in here
        return Check(cid, SKIP, f"not checked: GET {path} lists the rows of one record", details={"path": path})
    params = {section.pages.page_param: section.pages.first_page} if section.pages.page_param else {}
    resp = _fetch(probe, path, params, cache)
    if isinstance(resp, Exception):
        return Check(cid, WARN, f"GET {path} could not be read: {getattr(resp, 'message', resp)}",
                     "run `eclictl doctor` again; see the network checks", {"path": path})
    skipped = _status_skip(probe, section, resp)
    if skipped is not None:
        return Check(cid, skipped[0], skipped[1], skipped[2], {"path": path, "status": resp.status})
    if not resp.is_json:
        ctype = resp.headers.get("content-type", "").split(";")[0] or "no content type"
        return Check(cid, FAIL, f"GET {path} answered {ctype} where JSON was expected",
                     "the panel changed this route: update eclictl, or report it", {"path": path})
    detail = _detail(probe, section, resp.data, cache)
    return compare(section, resp.data, detail, before)


def _status_skip(probe: Probe, section: Any, resp: Any) -> tuple[str, str, str | None] | None:
    status, path = resp.status, section.path
    message = resp.data.get("error") if resp.is_json and isinstance(resp.data, dict) else None
    said = f" ({message})" if isinstance(message, str) and message else ""
    if status < 300:
        return None
    if status in (401, 403):
        return SKIP, f"not checked: GET {path} is refused to this credential ({status}{said}); not a drift", None
    if status == 429:
        probe.rate_limited = True
        return SKIP, f"not checked: the panel's rate limit refused GET {path} (429)", None
    if status == 503 and message and ("featureDisabled" in message or "disabled" in message.lower()):
        return SKIP, f"not checked: the feature behind {path} is off on this panel{said}", None
    if status == 404 and not reads(section):
        return SKIP, "not checked: eclictl only writes to this section (no read route)", None
    if status == 404:
        return FAIL, f"GET {path} answered 404{said}: the route is gone or moved", \
            "the panel changed its API: update eclictl, or report the route"
    return WARN, f"not checked: GET {path} answered HTTP {status}{said}", "run `eclictl -v doctor` to see it"


def _detail(probe: Probe, section: Any, body: Any, cache: dict[tuple[str, str], Any]) -> Any:
    """One record from the show path (the first listed id), unwrapped from `show_key`; None when none."""
    if not section.show_path:
        return None
    records = _records(section, body)[0]
    first = next((r for r in records if isinstance(r, dict) and r.get(section.id_field) is not None), None)
    if first is None:
        return None
    resp = _fetch(probe, section.path_for(section.show_path, first[section.id_field]), {}, cache)
    if isinstance(resp, Exception) or resp.status >= 300 or not resp.is_json:
        return None
    data = resp.data
    if section.show_key and isinstance(data, dict) and isinstance(data.get(section.show_key), dict):
        return data[section.show_key]
    return data


def _records(section: Any, body: Any) -> tuple[list[Any], str | None, str]:
    """(records, shape note, severity of the note) by what the section declares."""
    key = section.pages.items_key
    listed = bool(section.columns) or "list" in section.verbs or section.pages.page_param is not None
    if key:
        if isinstance(body, list):
            return body, f"a bare array where an object with '{key}' was expected", WARN
        if isinstance(body, dict):
            if isinstance(body.get(key), list):
                return body[key], None, OK
            other = _list_key(body)
            if other is not None:
                return body[other], f"the list moved from '{key}' to '{other}'", WARN
            return [], f"no '{key}' list in the answer (an object with keys {', '.join(sorted(body)[:8])})", FAIL
        return [], f"a {type(body).__name__} where an object with '{key}' was expected", FAIL
    if listed:
        if isinstance(body, list):
            return body, None, OK
        if isinstance(body, dict):
            other = _list_key(body)
            if other is not None:
                return body[other], f"an object where a bare array was expected (the list is under '{other}')", WARN
            return [], "an object where a bare array was expected", FAIL
        return [], f"a {type(body).__name__} where a bare array was expected", FAIL
    if isinstance(body, list):
        return body, None, OK
    if isinstance(body, dict) and len(body) == 1 and isinstance(next(iter(body.values())), list):
        return next(iter(body.values())), None, OK
    return [body], None, OK


def _list_key(body: dict[str, Any]) -> str | None:
    for k, v in body.items():
        if isinstance(v, list) and (not v or isinstance(v[0], dict)):
            return k
    return None


def _present(records: list[dict[str, Any]], dotted: str) -> bool | None:
    """Is the (dotted) field in at least one record? None when no record can tell (parents all null)."""
    head, _, rest = dotted.partition(".")
    if not any(head in r for r in records):
        return False
    if not rest:
        return True
    children = [r[head] for r in records if isinstance(r.get(head), dict)]
    if not children:
        return None
    return _present(children, rest)


def _values(records: list[dict[str, Any]], dotted: str) -> Iterable[Any]:
    from eclictl.output.columns import get_path

    for r in records:
        value = get_path(r, dotted)
        if value is not None:
            yield value


def accepted_types(declared: Any) -> frozenset[str] | None:
    """The JSON types a declared Field type accepts (None: unknown, not checked)."""
    if declared is None:
        return None
    import types

    origin = typing.get_origin(declared)
    if isinstance(declared, (tuple, list, set, frozenset)):
        parts = [accepted_types(d) for d in declared]
    elif origin is typing.Union or (hasattr(types, "UnionType") and origin is getattr(types, "UnionType")):
        parts = [accepted_types(a) for a in typing.get_args(declared) if a is not type(None)]
    else:
        key = origin or (declared.lower() if isinstance(declared, str) else declared)
        return _TYPES.get(key)
    if any(p is None for p in parts):
        return None
    return frozenset().union(*parts) if parts else None


def _write_fields(section: Any) -> list[tuple[str, Any]]:
    """The section's declared fields (eclictl/sections/_spec.py `fields`), minus the secrets the client
    strips from every answer (they can never be compared) and write-only ones."""
    from eclictl.api.secrets import ALWAYS_STRIP, SECRET_FIELDS

    out = []
    for fld in tuple(getattr(section, "fields", ()) or ()):
        name = getattr(fld, "name", None)
        if not isinstance(name, str) or name in SECRET_FIELDS or name in ALWAYS_STRIP:
            continue
        if getattr(fld, "write_only", False) or getattr(fld, "secret", False):
            continue
        out.append((name, _sent_type(fld)))
    return out


def _sent_type(fld: Any) -> Any:
    """The JSON type a field is sent as, when its option type says it; None = not compared.

    A text option is often turned into something else before it is sent (a size "2G" into MiB, a
    user e-mail into an id, JSON text into an object), and so is any value that passes a converter.
    """
    declared = getattr(fld, "type", None)
    if declared is str or any(getattr(fld, hook, None) is not None for hook in ("check", "parse", "to_body")):
        return None
    return declared


def compare(section: Any, body: Any, detail: Any = None, before: list[str] | None = None) -> Check:
    """The drift check of one section's first page (and one detail record) against its declaration.

    `before`: the fields the answer carried at the last run (new ones are reported, for information).
    """
    from eclictl.api.reqlog import type_name

    cid, path = check_id(section), section.path
    records, note, severity = _records(section, body)
    rows = [r for r in records if isinstance(r, dict)]
    detail_rows = [detail] if isinstance(detail, dict) else []
    details: dict[str, Any] = {"section": section.name, "path": path, "records": len(rows), "shape": note,
                               "missing": [], "type_changes": [], "unknown_fields": [], "new_fields": []}
    if severity == FAIL:
        return Check(cid, FAIL, f"GET {path}: {note}", "the panel changed this route: update eclictl, or report it",
                     details)
    if not rows:
        summary = f"GET {path}: no records on the first page; fields not compared"
        return Check(cid, WARN if note else OK, summary + (f"; {note}" if note else ""), None, details)
    read = [c.key for c in section.columns if not getattr(c, "computed", False)]
    if read or "list" in section.verbs:
        read = [section.id_field] + [k for k in read if k != section.id_field]
    missing = [k for k in read if _present(rows, k) is False]
    written = _write_fields(section)
    both = rows + detail_rows
    missing += [n for n, _ in written if n not in missing and _present(both, n) is False]
    changes = []
    for name, declared in written:
        accepts = accepted_types(declared)
        if not accepts:
            continue
        got = sorted({type_name(v) for v in _values(both, name)} - accepts)
        if got:
            changes.append({"field": name, "expected": "/".join(sorted(accepts)), "got": "/".join(got)})
    known = {k.split(".", 1)[0] for k in read} | {n.split(".", 1)[0] for n, _ in written} \
        | {section.id_field, *section.name_fields, *section.sensitive, *section.keep_secrets} \
        | {f.field or f.name for f in section.filters}
    seen = sorted({k for r in rows for k in r})
    unknown = sorted(set(seen) - known)
    new = sorted(set(unknown) - set(before)) if before else []
    details.update(missing=missing, type_changes=changes, unknown_fields=unknown, new_fields=new, fields=seen)
    problems = []
    if missing:
        problems.append("missing " + ", ".join(missing))
    if changes:
        problems.append("type changed: " + ", ".join(f"{c['field']} ({c['expected']} -> {c['got']})" for c in changes))
    if problems:
        hint = _renamed(missing, new or unknown)
        return Check(cid, FAIL, f"GET {path}: " + "; ".join(problems) + hint + (f"; {note}" if note else ""),
                     "the panel changed these fields: update eclictl; until then verbs using them show blanks "
                     "or send fields the panel ignores", details)
    extra = f"; {len(unknown)} field{'s' if len(unknown) != 1 else ''} eclictl does not read" if unknown else ""
    if new:
        extra += f" (new since the last run: {', '.join(new[:8])})"
    if note:
        return Check(cid, WARN, f"GET {path}: {note} (eclictl copes){extra}",
                     "the panel changed this route's shape: update eclictl", details)
    if new:
        return Check(cid, INFO, f"GET {path}: fields as expected{extra}", None, details)
    count = len(set(read) | {n for n, _ in written})
    what = f"{count} fields as expected" if count else "answers as expected (no fields declared to compare)"
    return Check(cid, OK, f"GET {path}: {what} in {len(rows)} record{'s' if len(rows) != 1 else ''}{extra}",
                 details=details)


def _renamed(missing: list[str], candidates: list[str]) -> str:
    """` (renamed? email -> mail)`: the unknown fields whose names are close to the missing ones."""
    import difflib

    guesses = []
    for name in missing:
        close = difflib.get_close_matches(name.rsplit(".", 1)[-1], candidates, n=2, cutoff=0.6)
        if close:
            guesses.append(f"{name} -> {' or '.join(close)}")
    return f" (renamed? {'; '.join(guesses)})" if guesses else ""
