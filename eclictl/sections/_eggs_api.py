"""Eggs: reading the panel (one permission, odd denials, 0/1 booleans) for `eclictl eggs` and its files."""

from __future__ import annotations

import re
from typing import Any

from eclictl.errors import NotFoundError, RejectedError

PATH = "/api/admin/eggs"
SENSITIVE = {"author": "pii"}


#: Egg documents are templates, not panel secrets: keep config keys such as `token` intact
#: (the client strips keys by name), or diff/apply would see changes that are not there.
KEEP = frozenset({"apiKey", "token", "tokenId", "tempToken", "csrfToken", "clientSecret", "secret",
                  "daemonToken", "key"})


SECRET_VAR = re.compile(r"PASSWORD|SECRET|TOKEN|KEY", re.I)


DEFAULT_MAX_SIZE = 5 * 1024 * 1024


def _ctx() -> Any:
    from eclictl.context import current

    return current()


def _translate(exc: Any) -> Exception:
    """docs/panel/eggs.md#gate: a denied caller gets 422 `Request error` (list, bulk delete) or an empty 401/403."""
    from eclictl.api.errors import ApiPermissionError

    empty = not exc.body
    if exc.status == 422 and exc.method in ("GET", "DELETE") and exc.path.rstrip("/") == PATH:
        why = "the panel answered 422 Request error, which is how it denies GET /api/admin/eggs"
    elif exc.status in (401, 403) and empty:
        why = f"the panel answered HTTP {exc.status} with an empty body"
    else:
        return exc
    return ApiPermissionError(f"permission denied: {why}", status=exc.status, method=exc.method, path=exc.path,
                              body=exc.body, hint="egg routes need the eggs:read permission (or an admin-type "
                              "API key; a client key works only when its owner is root)")


def call(ctx: Any, method: str, path: str, **kw: Any) -> Any:
    """One egg request with the panel's odd denials mapped to exit 5; returns the ApiResponse."""
    from eclictl.api.errors import ApiStatusError

    try:
        return ctx.api.request(method, path, keep=KEEP, **kw)
    except ApiStatusError as exc:
        raise _translate(exc) from None


def fetch_rows(ctx: Any) -> list[dict[str, Any]]:
    """Every egg as GET /api/admin/eggs returns it (the only JSON source of egg details)."""
    from eclictl.api.pagination import rows_of

    return rows_of(call(ctx, "GET", PATH).data, None, f"GET {PATH}")


def display(row: dict[str, Any]) -> dict[str, Any]:
    """A row for output: 0/1 columns as booleans; secret-looking variable defaults masked on --redact."""
    from eclictl.eggs_lib.mapping import normalise_row

    out = normalise_row(row)
    if "pii" in _ctx().redact_categories():
        out["envVars"] = _mask_vars(out.get("envVars"))
    return out


def _mask_vars(items: Any, key: str = "default_value") -> Any:
    """docs/panel/eggs.md#the-upstream-sample-egg: defaults of PASSWORD/SECRET/TOKEN/KEY variables are credential-like."""
    from eclictl.output.redact import MASK

    if not isinstance(items, list):
        return items
    out = []
    for item in items:
        if isinstance(item, dict) and SECRET_VAR.search(str(item.get("env_variable") or item.get("name") or "")) \
                and item.get(key) not in (None, ""):
            item = {**item, key: MASK}
        out.append(item)
    return out


def find(rows: list[dict[str, Any]], ref: str) -> dict[str, Any]:
    """An egg by id or exact name; a name used by several eggs is exit 7 naming them."""
    text = str(ref).strip()
    if text.isdigit():
        for row in rows:
            if str(row.get("id")) == text:
                return row
    matches = [r for r in rows if r.get("name") == text]
    if len(matches) == 1:
        return matches[0]
    if matches:
        ids = ", ".join(str(r.get("id")) for r in matches)
        raise RejectedError(f"'{text}' matches several eggs: {ids}", hint="use the id")
    raise NotFoundError(f"no egg '{text}'", hint="list them with `eclictl eggs list`")


def _view(rows: Any, **kw: Any) -> Any:
    from eclictl.output.render import View

    return View(rows, sensitive=SENSITIVE, **kw)
