"""Short URLs tab: `/api/admin/shorturls*` (docs/panel/integrations.md#short-urls).

Permissions are dotted names (`admin.shorturl.add`, `admin.shorturl.remove`, `admin.shorturl.edit.any`,
`admin.shorturl.edit.own`): they match only exactly or through `*`, never through `admin:*`. The list
shows every short URL with `admin.shorturl.edit.any`, otherwise only your own. Codes are unique across
both prefixes (`a` = /a/<code>, `root` = /<code>); `active` cannot be changed through the API.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import replace
from enum import Enum
from typing import Any, Iterator
from urllib.parse import urlsplit

from eclictl.errors import RejectedError, UsageError
from eclictl.output.columns import Col
from eclictl.sections._fields import Field, Write, add_writes
from eclictl.sections._spec import Filter, ListOpts, Section, add_list, build, register, user_ref

PATH = "/api/admin/shorturls"
CODE_RE = re.compile(r"^[a-z0-9_-]{1,64}$")
#: RESERVED_SHORT_URL_ROOT_CODES in adminHandler.ts (the panel refuses these under the root prefix).
RESERVED_ROOT_CODES = frozenset({
    "login", "register", "dashboard", "api", "favicon.ico", "_next", "static", "legal", "license",
    "verify-email", "forgot-password", "reset-password", "restore-email", "tunnel", "wings", "docs", "checks",
    "organisations", "servers", "billing", "identity", "mailbox", "settings", "tickets", "admin", "public",
    "health", "logout", "orders", "plans", "a",
})
NULL_OWNER_HINT = ("the panel fails with 422 when any short URL has no owner (owner deleted, or created "
                   "without a user); fix that row in the portal or the database")


class Prefix(str, Enum):
    a = "a"
    root = "root"


SHORTURLS = Section(
    name="shorturls",
    help="Short URLs (/a/<code> and /<code> redirects): list, show, create, edit, delete.",
    path=PATH,
    columns=(Col("id"), Col("code"), Col("prefix"), Col("targetUrl", "TARGET", max_width=60), Col("active"),
             Col("ownerId", "OWNER"), Col("createdAt", "CREATED")),
    name_fields=("code",),
    delete_path=f"{PATH}/{{id}}",
    permission="admin.shorturl.add",
    tab="shorturls",
    verbs=("list", "show", "delete"),
    examples=("eclictl shorturls list", "eclictl shorturls list --prefix root -o json",
              "eclictl shorturls show discord", "eclictl shorturls show 3 -o json",
              "eclictl shorturls delete discord --yes", "eclictl shorturls list --owner 3 -o ids | "
              "eclictl shorturls delete - --yes"),
)
app = build(replace(SHORTURLS, verbs=("show", "delete")))  # `list` (own fetch) is added below, then create/edit


def check_code(code: str, prefix: str | None) -> str:
    """The panel's normalisation (trim, strip slashes, lower-case) and rules, checked before sending."""
    value = code.strip().strip("/").lower()
    if not CODE_RE.match(value):
        raise UsageError(f"invalid code '{code}': 1-64 characters from a-z, 0-9, '_' and '-'")
    if prefix == "root" and value in RESERVED_ROOT_CODES:
        raise UsageError(f"'{value}' is a reserved root path; use --prefix a or another code")
    return value


def check_target(target: str) -> str:
    """An absolute http(s) URL, or a path on the panel starting with a single '/'."""
    value = target.strip()
    if value.startswith("/") and not value.startswith("//"):
        return value
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not host or " " in value:
        raise UsageError(f"invalid target URL '{target}': give an absolute http(s) URL or a path starting with '/'")
    return value


@contextmanager
def _null_owner(note: str = "") -> Iterator[None]:
    """The panel's 422 on these routes: a short URL without owner breaks its response schema."""
    from eclictl.api.errors import ApiValidationError

    try:
        yield
    except ApiValidationError as exc:
        if exc.status != 422:
            raise
        raise RejectedError(f"{exc.message} (HTTP 422){note}", hint=NULL_OWNER_HINT) from None


def _rows(ctx: Any) -> list[dict[str, Any]]:
    with _null_owner():
        return ctx.api.rows(PATH)


def _write(ctx: Any, method: str, path: str, body: dict[str, Any]) -> Any:
    with _null_owner("; the change may have been saved: check `eclictl shorturls list`"):
        return ctx.api.request(method, path, json_body=body).data


def _search(row: dict[str, Any], text: str) -> bool:
    needle = text.lower()
    return needle in str(row.get("code", "")).lower() or needle in str(row.get("targetUrl", "")).lower()


add_list(app, replace(
    SHORTURLS,
    filters=(
        Filter("prefix", "Only this prefix.", type=Prefix),
        Filter("owner", "Only short URLs of this user: id or exact e-mail.", field="ownerId", metavar="USER",
               convert=user_ref),
        Filter("search", "Code or target contains this text.", short="-q", match=_search),
    ),
    list_opts=ListOpts(all="Fetch everything (the panel never pages)."),
    list_rows=lambda ctx, params: _rows(ctx),
), "List short URLs: all of them with admin.shorturl.edit.any, otherwise only your own.",
    ("eclictl shorturls list", "eclictl shorturls list --prefix root -o json",
     "eclictl shorturls list --owner 3 --search promo"))


def _prepare(ctx: Any, body: dict[str, Any], extras: dict[str, Any]) -> None:
    if "code" in body:
        body["code"] = check_code(body["code"], body.get("prefix"))


def _resolve(ctx: Any, ref: str, body: dict[str, Any], extras: dict[str, Any]) -> Any:
    """An id as is; a code is looked up (the reserved-root rule needs the current code)."""
    if ref.isdigit():
        return int(ref)
    row = SHORTURLS.resolve(ctx.api, ref.strip().strip("/").lower())
    if body.get("prefix") == "root" and "code" not in body and row.get("code") in RESERVED_ROOT_CODES:
        raise UsageError(f"'{row['code']}' is a reserved root path; give --code as well")
    return row["id"]


def _reread(ctx: Any, ident: Any, body: dict[str, Any], answer: Any) -> Any:
    if isinstance(answer, dict) and answer.get("id") is not None:
        return answer
    if ident is None:
        return next((r for r in _rows(ctx) if r.get("code") == body["code"]), body)
    return SHORTURLS.resolve(ctx.api, str(ident))


PREFIX_HELP = "'a' serves /a/<code>, 'root' serves /<code>."
FIELDS = (
    Field("code", type=str, argument=True, verbs=("create",), help="The code: 1-64 of a-z 0-9 _ - (stored lower-case)."),
    Field("targetUrl", type=str, argument=True, param="target", metavar="TARGET", verbs=("create",),
          check=check_target, help="Absolute http(s) URL, or a path starting with '/'."),
    Field("prefix", "--prefix", Prefix, PREFIX_HELP, verbs=("create",), default=Prefix.a, show_default=False),
    Field("code", "--code", help="New code.", verbs=("edit",)),
    Field("targetUrl", "--target", help="New target URL or /path.", verbs=("edit",), check=check_target),
    Field("prefix", "--prefix", Prefix, PREFIX_HELP, verbs=("edit",)),
)
WRITES = (
    Write("create", "Create a short URL (needs admin.shorturl.add; you become its owner).",
          "Examples:\n\n  eclictl shorturls create discord https://discord.gg/abc\n\n"
          "  eclictl shorturls create status https://status.example.com --prefix root\n\n"
          "  eclictl shorturls create install /docs/install -o json",
          "POST", PATH, prepare=_prepare, send=_write, reread=_reread),
    Write("edit", "Change a short URL's code, target or prefix (needs .edit.any, or .edit.own on your own).",
          "Examples:\n\n  eclictl shorturls edit discord --target https://discord.gg/new\n\n"
          "  eclictl shorturls edit 4 --code spring-sale --prefix a",
          "PUT", f"{PATH}/{{id}}", ref="ID|CODE", ref_help="Short URL id or code.", resolve=_resolve,
          nothing=("nothing to change: give --code, --target and/or --prefix", None), prepare=_prepare,
          send=_write, reread=_reread),
)
SHORTURLS = register(replace(SHORTURLS, fields=FIELDS, writes=WRITES))
add_writes(app, SHORTURLS)
