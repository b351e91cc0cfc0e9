"""Coupons tab: `/api/admin/coupons*` (docs/panel/coupons.md), behind the `billing` flag.

The panel stores codes exactly as sent but redeems them trimmed and upper-cased, so eclictl sends
them that way (and says so). PUT ignores `null`: a limit or the expiry can never be cleared, only
raised; every write is read back and compared. Deleting also drops the coupon's usage history.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Annotated, Any

import typer

from eclictl.api.pagination import PageSpec
from eclictl.errors import UsageError
from eclictl.options import command
from eclictl.output.columns import Col
from eclictl.sections._fields import Bulk, Field, Write, add_writes
from eclictl.sections._spec import Filter, ListOpts, Section, add_list, build, register

PATH = "/api/admin/coupons"
FIELDS_PANEL = "Fields"
NO_CLEAR = ("the panel cannot clear {opt}: it ignores null and keeps the old value. Instead {how}")
CLEAR_HOW = {"--max-uses": "set a very large number", "--max-uses-per-user": "set a very large number",
             "--min-order": "set 0", "--max-discount": "set a very large amount",
             "--expires": "set a far-future date, or disable the coupon (eclictl coupons disable ID)"}

COUPONS = Section(
    name="coupons",
    help="Discount coupons: list, show, create, edit, enable/disable, delete (billing flag).",
    path=PATH,
    pages=PageSpec(items_key="coupons"),
    columns=(Col("id"), Col("code"), Col("discountType", "TYPE"), Col("discountValue", "VALUE"),
             Col("currentUsesTotal", "USED"), Col("maxUsesTotal", "MAX USES"), Col("maxUsesPerUser", "PER USER"),
             Col("expiresAt", "EXPIRES"), Col("isActive", "ACTIVE")),
    name_fields=("code",),
    show_path=f"{PATH}/{{id}}",
    show_key="coupon",
    delete_path=f"{PATH}/{{id}}",
    permission="admin:access",
    tab="coupons",
    verbs=("list", "show", "delete"),
    examples=("eclictl coupons list --active", "eclictl coupons show SPRING25 --uses",
              "eclictl coupons create --code summer10 --type percentage --value 10 --max-uses 100",
              "eclictl coupons edit SPRING25 --expires 2027-06-30", "eclictl coupons disable SPRING25 FIVEOFF",
              "eclictl coupons delete EXPIRED15 --yes"),
)
app = build(replace(COUPONS, verbs=()))
register(COUPONS)  # the verbs below normalise codes and read every write back


def normalise_code(ctx: Any, code: str) -> str:
    """Redemption looks codes up trimmed and upper-cased: send them that way, and say so."""
    value = code.strip().upper()
    if not value:
        raise UsageError("--code must not be empty (leave it out for a random code)")
    if value != code:
        ctx.warn(f"code sent as '{value}': the panel redeems codes trimmed and upper-cased")
    return value


def _number(opt: str, raw: str | None, *, whole: bool = False) -> float | int | None:
    if raw is None:
        return None
    text = raw.strip().lower()
    if text in ("", "none", "null", "unlimited", "never", "clear"):
        raise UsageError(NO_CLEAR.format(opt=opt, how=CLEAR_HOW.get(opt, "set another value")))
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{opt} must be a number, got '{raw}'") from None
    if value < 0 or value != value:
        raise UsageError(f"{opt} must not be negative")
    if whole:
        if not value.is_integer():
            raise UsageError(f"{opt} must be a whole number")
        return int(value)
    return value


def _expiry(raw: str | None) -> str | None:
    if raw is None:
        return None
    if raw.strip().lower() in ("", "none", "null", "never", "clear"):
        raise UsageError(NO_CLEAR.format(opt="--expires", how=CLEAR_HOW["--expires"]))
    try:
        when = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--expires must be an ISO date or date-time, got '{raw}'") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _check_value(kind: str | None, value: float | None) -> None:
    if kind == "percentage" and value is not None and not 0 < value <= 100:
        raise UsageError("a percentage --value must be above 0 and at most 100")
    if kind == "fixed" and value is not None and value <= 0:
        raise UsageError("a fixed --value must be greater than 0")


def _same(key: str, sent: Any, stored: Any) -> bool:
    from eclictl.sections._readback import equal

    if key == "expiresAt" and isinstance(stored, str):
        return stored[:19] == str(sent)[:19]
    return equal(key, sent, stored)


def fetch(ctx: Any, ident: Any) -> dict[str, Any]:
    body = ctx.api.get(f"{PATH}/{ident}")
    return body if isinstance(body, dict) else {}


def _detail(record: Any) -> Any:
    from eclictl.output.render import View

    return View(record, detail=True)


def _resolve(ctx: Any, ref: str) -> Any:
    text = ref.strip()
    if text.isdigit():
        return int(text)
    return COUPONS.resolve(ctx.api, text.upper())["id"]


def _status(row: dict[str, Any], now: datetime) -> tuple[bool, bool]:
    expires = row.get("expiresAt")
    expired = bool(expires) and datetime.fromisoformat(str(expires).replace("Z", "+00:00")) < now
    limit = row.get("maxUsesTotal")
    exhausted = limit is not None and (row.get("currentUsesTotal") or 0) >= limit
    return expired, exhausted


def _expired(row: dict[str, Any], _: Any) -> bool:
    return _status(row, datetime.now(timezone.utc))[0]


def _exhausted(row: dict[str, Any], _: Any) -> bool:
    return _status(row, datetime.now(timezone.utc))[1]


add_list(app, replace(COUPONS, list_opts=ListOpts(limit=None, all=None), filters=(
    Filter("active", "Only enabled (or disabled) coupons.", field="isActive", off="inactive"),
    Filter("expired", "Only coupons past their expiry.", is_flag=True, match=_expired),
    Filter("exhausted", "Only coupons used up (uses >= max uses).", is_flag=True, match=_exhausted),
    Filter("code_prefix", "Codes starting with this (any case).",
           match=lambda row, prefix: str(row.get("code", "")).upper().startswith(prefix.strip().upper())),
)), "List coupons, newest first (filters apply here: the panel has none).",
    ("eclictl coupons list --active", "eclictl coupons list --expired -o ids",
     "eclictl coupons list --code-prefix SPRING -o json"))


@app.command("show", epilog="Examples:\n\n  eclictl coupons show SPRING25\n\n  eclictl coupons show 2 --uses -o json")
@command()
def coupons_show(
    ref: Annotated[str, typer.Argument(metavar="ID|CODE", help="The coupon's id or code (any case).")],
    uses: Annotated[bool, typer.Option("--uses", help="List its use records (up to 500, newest first).")] = False,
    web: Annotated[bool, typer.Option("--web", help="Open the web portal's tab instead.")] = False,
) -> Any:
    """Show one coupon, or with --uses who used it and when."""
    from eclictl.context import current
    from eclictl.output.render import View

    ctx = current()
    if web:
        from eclictl.weblinks import open_tab

        return open_tab(ctx, "coupons")
    body = fetch(ctx, _resolve(ctx, ref))
    if uses:
        return View(body.get("uses") or [], columns=(Col("id"), Col("userId", "USER"), Col("usedAt", "USED AT")),
                    empty="no uses recorded")
    return _detail(body.get("coupon") or body)


def _with_code(ctx: Any, body: dict[str, Any], extras: dict[str, Any]) -> None:
    """The code goes first, trimmed and upper-cased (after every other field was checked)."""
    if extras.get("code") is not None:
        rest = dict(body)
        body.clear()
        body.update({"code": normalise_code(ctx, extras["code"]), **rest})


def _create_checks(ctx: Any, body: dict[str, Any], extras: dict[str, Any]) -> None:
    _check_value(body["discountType"], body["discountValue"])
    _with_code(ctx, body, extras)


def _edit_checks(ctx: Any, body: dict[str, Any], extras: dict[str, Any]) -> None:
    if "discountType" in body and "discountValue" not in body:
        raise UsageError("--type needs --value too: the panel does not re-check the stored value against a new type")
    _with_code(ctx, body, extras)


def _edit_ref(ctx: Any, ref: str, body: dict[str, Any], extras: dict[str, Any]) -> Any:
    """The coupon's id; a new value is checked against the new or the stored type."""
    ident = _resolve(ctx, ref)
    if "discountValue" in body:
        _check_value(body.get("discountType") or fetch(ctx, ident).get("coupon", {}).get("discountType"),
                     body["discountValue"])
    return ident


def _stored(ctx: Any, ident: Any, body: dict[str, Any], answer: Any) -> Any:
    """Read the coupon back and compare it with what was sent (the answer alone proves nothing)."""
    from eclictl.sections._readback import require_stored

    if ident is None:
        ident = ((answer or {}).get("coupon") or {}).get("id") if isinstance(answer, dict) else None
    if ident is None:
        from eclictl.errors import EclictlError

        raise EclictlError("the panel did not return the coupon's id",
                           hint="check `eclictl coupons list` before creating it again")
    stored = fetch(ctx, ident).get("coupon") or {}
    return require_stored(ctx, f"coupon {ident}", body, stored, _detail(stored), _same,
                          hint=f"check `eclictl coupons show {ident}`")


def _kind(value: str) -> str:
    if value not in ("percentage", "fixed"):
        raise UsageError("--type must be percentage or fixed")
    return value


def _amount(opt: str, whole: bool = False) -> Any:
    return lambda raw: _number(opt, raw, whole=whole)


FIELDS = (
    Field("discountType", "--type", str, "percentage or fixed.", param="kind", panel=FIELDS_PANEL, check=_kind),
    Field("discountValue", "--value", str, "Percent (0-100] or amount (> 0).", panel=FIELDS_PANEL,
          check=_amount("--value")),
    Field("minOrderAmount", "--min-order", str, metavar="AMOUNT", panel=FIELDS_PANEL, check=_amount("--min-order")),
    Field("maxDiscountAmount", "--max-discount", str, metavar="AMOUNT", panel=FIELDS_PANEL,
          check=_amount("--max-discount")),
    Field("maxUsesTotal", "--max-uses", str, metavar="N", panel=FIELDS_PANEL, check=_amount("--max-uses", True)),
    Field("maxUsesPerUser", "--max-uses-per-user", str, metavar="N", panel=FIELDS_PANEL,
          check=_amount("--max-uses-per-user", True)),
    Field("expiresAt", "--expires", str, "e.g. 2027-06-30 or 2027-06-30T23:59:00Z (UTC when no zone).",
          metavar="ISO", panel=FIELDS_PANEL, check=_expiry),
    Field("isActive", "--inactive", bool, "Create it disabled.", verbs=("create",), default=False,
          panel=FIELDS_PANEL, to_body=lambda off: not off),
    Field("isActive", "--active/--inactive", bool, verbs=("edit",), panel=FIELDS_PANEL),
)
ORDER = ("kind", "value", "code", "min_order", "max_discount", "max_uses", "max_uses_per_user", "expires")
WRITES = (
    Write("create", "Create a coupon (never retried: without --code a repeat makes a second coupon).",
          "Examples:\n\n  eclictl coupons create --code summer10 --type percentage --value 10\n\n"
          "  eclictl coupons create --type fixed --value 5 --min-order 10 --max-uses 50 --expires 2027-01-31",
          "POST", PATH, fields=(*ORDER, "inactive"), require=(("kind", "value"), "--type and --value are required"),
          prepare=_create_checks, reread=_stored, view=lambda v: v,
          extra=(Field("code", "--code", str, "Sent trimmed and upper-cased; random when left out.",
                       panel=FIELDS_PANEL),)),
    Write("edit", "Change the given fields (limits and the expiry can be changed, never cleared).",
          "Examples:\n\n  eclictl coupons edit SPRING25 --expires 2027-06-30\n\n"
          "  eclictl coupons edit 3 --type percentage --value 15\n\n  eclictl coupons edit FIVEOFF --max-uses 500",
          "PUT", f"{PATH}/{{id}}", fields=(*ORDER, "active"), ref="ID|CODE",
          ref_help="The coupon's id or code (any case).", resolve=_edit_ref, nothing=("nothing to change: give at least one field option", None),
          prepare=_edit_checks, reread=_stored, view=lambda v: v,
          extra=(Field("code", "--code", str, "New code (sent trimmed and upper-cased).", panel=FIELDS_PANEL),)),
)
COUPONS = register(replace(COUPONS, fields=FIELDS, writes=WRITES))
add_writes(app, COUPONS)


def _toggle(on: bool) -> Any:
    """One coupon of `enable`/`disable`: skipped when already so, read back after the write."""

    def one(ctx: Any, ref: str) -> Any:
        ident = _resolve(ctx, ref)
        if bool(fetch(ctx, ident).get("coupon", {}).get("isActive")) is on:
            return ("skipped", f"already {'enabled' if on else 'disabled'}")
        ctx.api.put(f"{PATH}/{ident}", {"isActive": on})
        if bool(fetch(ctx, ident).get("coupon", {}).get("isActive")) is not on:
            raise RuntimeError("the panel did not store isActive")
        return None

    return one


add_writes(app, replace(COUPONS, writes=(
    Bulk("enable", "Enable coupons (read back after each write).",
         "Examples:\n\n  eclictl coupons enable SPRING25 FIVEOFF",
         "enable coupons", "ID|CODE...", "'-' reads stdin.", _toggle(True), dry_run=False),
    Bulk("disable", "Disable coupons: the way to stop one and keep its usage history (asks first).",
         "Examples:\n\n  eclictl coupons disable SPRING25\n\n"
         "  eclictl coupons list --expired -o ids | eclictl coupons disable - --yes",
         "disable coupons", "ID|CODE...", "'-' reads stdin.", _toggle(False), dry_run=False,
         question=lambda items: f"Disable {len(items)} coupon(s): {', '.join(items[:10])}?"),
    Bulk("delete", "Delete coupons and their whole usage history (asks first; `disable` keeps the history).",
         "Examples:\n\n  eclictl coupons delete EXPIRED15\n\n  eclictl coupons delete 4 5 --yes",
         "delete coupons", "ID|CODE...", "Ids or codes; '-' reads stdin.",
         lambda ctx, ref: ctx.api.delete(f"{PATH}/{_resolve(ctx, ref)}"), dry_help="List what would be deleted.",
         question=lambda items: f"Delete {len(items)} coupon(s) and every use record of them "
                                f"({', '.join(items[:10])})? Orders keep a code that points to nothing."),
)))
