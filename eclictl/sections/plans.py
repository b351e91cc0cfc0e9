"""Plans tab: /api/admin/plans* and /api/admin/regional-prices* (docs/panel/billing.md#plans).

Plan routes need only the plan permissions (admin:plans:view/manage/reapply/delete), not
admin:access; only the list checks the `billing` feature. The panel cannot clear a field: PUT turns
`null`/empty into `undefined`, which TypeORM's save() skips (planHandler.ts; recorded live: a null
description answers 200 and stays). So clearing is refused before sending, every edit is re-read and
compared with what was sent, and DELETE .../boost only sets boostPercent to 0 (the old dates and
reason stay on the row). Sizes take units (4G) and are sent as MiB: the route only takes numbers. Regional prices are served by
regionalPriceHandler.ts (docs/panel/billing.md#regional-prices): GET/POST /api/admin/regional-prices/:planId and
DELETE /api/admin/regional-prices/:planId/:countryCode.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Annotated, Any

import typer

from eclictl.errors import UsageError
from eclictl.inputs import loads_json
from eclictl.options import YesOpt, bool_opt, command, opt
from eclictl.output.columns import Col
from eclictl.sections._fields import Bulk, Field, Write, add_writes
from eclictl.sections._spec import Filter, Section, build, detail_view, register
from eclictl.units import SIZE_HELP, parse_cpu_percent, size_option

PATH = "/api/admin/plans"
PRICES_PATH = "/api/admin/regional-prices"
PLAN_PANEL = "Plan"
LIMITS_PANEL = "Limits"
NULLABLE = ("memory", "disk", "cpu", "serverLimit", "databases", "backups", "emailSendDailyLimit",
            "emailSendQueueLimit")
#: PUT /admin/plans/:id turns null or "" into `undefined` for all of these (planHandler.ts): kept as they were.
#: name and type are NOT NULL columns (a null is a database error); portCount/tunnelPortCount take Number(null) = 0.
CANNOT_CLEAR = NULLABLE + ("description", "features", "boostStartsAt", "boostExpiresAt", "boostReason", "name",
                           "type", "price")

PLANS = Section(
    name="plans",
    help="Plans: list, show, create, edit, delete, boost, reapply limits, regional prices.",
    path=PATH,
    columns=(Col("id"), Col("name"), Col("type"), Col("price"), Col("memory"), Col("disk"), Col("cpu"),
             Col("serverLimit", "SERVERS"), Col("boostPercent", "BOOST%"), Col("isDefault", "DEFAULT"),
             Col("hiddenFromBilling", "HIDDEN")),
    delete_path=PATH + "/{id}",
    verbs=("list", "show"),
    permission="admin:plans:view",
    tab="plans",
    filters=(Filter("type", "Only plans of this portal type (free, paid, enterprise, educational).", field="type"),
             Filter("hidden", "Only plans hidden from billing.", field="hiddenFromBilling", is_flag=True),
             Filter("boosted", "Only plans with a boost percentage.", field="boostPercent", is_flag=True)),
    examples=("eclictl plans list", "eclictl plans list --type paid -o json", "eclictl plans show Pro",
              "eclictl plans delete 6 --yes  # users and orders on it are not checked"),
)
app = build(PLANS)

prices_app = typer.Typer(name="prices", help="Regional (per-country) prices of a plan: list, set, remove.",
                         no_args_is_help=True, add_completion=False,
                         context_settings={"help_option_names": ["-h", "--help"]}, rich_markup_mode="rich")
app.add_typer(prices_app, name="prices")

PRICE_COLUMNS = (Col("id"), Col("planId", "PLAN"), Col("countryCode", "COUNTRY"), Col("price"))

def _plan_ref_id(ctx: Any, ref: str) -> int:
    return int(PLANS.resolve_id(ctx.api, ref))


def check_price(value: float | None, flag: str = "--price") -> None:
    """Prices are floats >= 0; NaN and infinity are refused before any request."""
    if value is not None and (not math.isfinite(value) or value < 0):
        raise UsageError(f"{flag} must be a number >= 0, got {value}")


def _price(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError("price must be a number")
    check_price(float(value))
    return value


def _count(key: str) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise UsageError(f"{key} must be a whole number, got {value!r}")
        if value < 0:
            raise UsageError(f"{key} must be >= 0, got {value}")
        return value
    return check


def _size(flag: str) -> Any:
    return lambda value: value if isinstance(value, int) else size_option(flag, value)


def _features(text: Any) -> Any:
    try:
        parsed = loads_json(text) if isinstance(text, str) else text
    except ValueError:
        raise UsageError("--features must be a JSON object or null") from None
    if parsed is not None and not isinstance(parsed, dict):
        raise UsageError("--features must be a JSON object or null")
    return parsed


def _cpu(raw: Any) -> Any:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return raw
    value = parse_cpu_percent(raw)
    if value is None:
        raise UsageError(f"--cpu must be a percentage (100 = one core), '150%' or '1.5 cores', got '{raw}'")
    return int(value) if float(value).is_integer() else value


def _text(message: str) -> Any:
    def check(value: str) -> str:
        if not value.strip():
            raise UsageError(message)
        return value.strip()
    return check


def _clears(ctx: Any, body: dict[str, Any], extras: dict[str, Any]) -> None:
    """--clear is refused like any null: the panel ignores it and keeps the value."""
    clear = extras.get("clear")
    if clear:
        bad = [f for f in clear if f not in NULLABLE]
        if bad:
            raise UsageError(f"--clear takes one of {', '.join(NULLABLE)}; got '{bad[0]}'")
        body.update({f: None for f in clear})
    if body:
        from eclictl.writes import refuse_clears

        refuse_clears(body, CANNOT_CLEAR, where="a plan", hint="set a value instead, e.g. --memory 0")


def _plan_result(ctx: Any, answer: Any, plan_id: Any) -> Any:
    """The answer's `plan`, or the row re-read from the list when the body is not what we expect."""
    plan = answer.get("plan") if isinstance(answer, dict) else None
    if isinstance(plan, dict):
        return detail_view(PLANS, plan)
    if plan_id is not None:
        return detail_view(PLANS, PLANS.resolve(ctx.api, str(plan_id)))
    return {"success": True}


def _verified(ctx: Any, plan_id: int, body: dict[str, Any], answer: Any) -> dict[str, Any]:
    """The plan re-read from the list, compared with what was sent (exit 7 naming ignored fields).

    Without admin:plans:view, or with billing off (the list alone checks it), the list cannot be
    read: the answer's `plan` (the saved row; a skipped field is missing from it) stands in.
    """
    from eclictl.api.errors import ApiFeatureDisabledError, ApiPermissionError
    from eclictl.writes import verify_applied

    try:
        fresh = PLANS.resolve(ctx.api, str(plan_id))
    except (ApiPermissionError, ApiFeatureDisabledError) as exc:
        fresh = answer.get("plan") if isinstance(answer, dict) else None
        ctx.warn(f"cannot re-read the plan list ({exc.message}); checked against the panel's answer")
    verify_applied(body, fresh if isinstance(fresh, dict) else None, what=f"plan {plan_id}")
    return fresh  # type: ignore[return-value]


def _lim(name: str, flag: str, help_text: str, check: Any = None) -> Field:
    return Field(name, flag, str if check else int, help_text, panel=LIMITS_PANEL, check=check or _count(name))


CREATE, EDIT = ("create",), ("edit",)
FIELDS = (
    Field("name", "--name", str, "Plan name.", CREATE, required=True, panel=PLAN_PANEL, show_default=True,
          check=_text("--name and --type must not be empty")),
    Field("type", "--type", str, "Portal type: free, paid, enterprise, educational (not validated by the panel).",
          CREATE, required=True, panel=PLAN_PANEL, show_default=True, param="type_",
          check=_text("--name and --type must not be empty")),
    Field("name", "--name", str, "New name.", EDIT, panel=PLAN_PANEL, check=_text("--name must not be empty")),
    Field("type", "--type", str, "New portal type.", EDIT, panel=PLAN_PANEL, param="type_",
          check=_text("--type must not be empty")),
    Field("price", "--price", float, "Monthly price (>= 0).", panel=PLAN_PANEL, check=_price),
    Field("description", "--description", str, "Description shown to customers.", panel=PLAN_PANEL),
    Field("isDefault", "--default/--no-default", bool, "The default plan of its type.", panel=PLAN_PANEL),
    Field("hiddenFromBilling", "--hidden/--visible", bool, "Hide from (or show in) billing.", panel=PLAN_PANEL),
    Field("features", "--features", str, "Features object as JSON ('null' clears).", panel=PLAN_PANEL,
          check=_features),
    _lim("memory", "--memory", f"Memory: {SIZE_HELP} (as with users' limits).", _size("--memory")),
    _lim("disk", "--disk", f"Disk: {SIZE_HELP}.", _size("--disk")),
    _lim("cpu", "--cpu", "CPU in percent (100 = one core), or '150%', '1.5 cores'.", _cpu),
    _lim("serverLimit", "--server-limit", "Number of servers."),
    _lim("databases", "--databases", "Number of databases."),
    _lim("backups", "--backups", "Number of backups."),
    _lim("emailSendDailyLimit", "--email-daily", "E-mails per day (emailSendDailyLimit)."),
    _lim("emailSendQueueLimit", "--email-queue", "E-mail queue size (emailSendQueueLimit)."),
    _lim("portCount", "--ports", "Ports per server (portCount)."),
    _lim("tunnelPortCount", "--tunnel-ports", "Tunnel ports (tunnelPortCount)."),
)
SetOpt = opt(list[str], "--set", help="Any other plan field, field=value (typed).", panel=PLAN_PANEL)
CLEAR = Field("clear", "--clear", list[str], f"Refused: the panel cannot set a limit ({', '.join(NULLABLE)}) back to "
              "null; it ignores null and keeps the value. Set a number instead.", panel=LIMITS_PANEL)
ORDER = ("name", "type_", "price", "description", "default", "hidden", "features", "memory", "disk", "cpu",
         "server_limit", "databases", "backups", "email_daily", "email_queue", "ports", "tunnel_ports")
PLANS = register(replace(PLANS, fields=FIELDS, writes=(
    Write("create", "Create a plan (admin:plans:manage); omitted limits stay empty, ports default to 1 and 10.",
          "Examples:\n\n  eclictl plans create --name Gold --type paid --price 24.99 --memory 32768\n\n"
          "  eclictl plans create --name Campus --type educational --hidden --set boostReason=launch",
          "POST", PATH, fields=(*ORDER, "assignments"), set_opt=SetOpt, set_any=True,
          reread=lambda ctx, ident, body, answer: _plan_result(ctx, answer, None), view=lambda shown: shown),
    Write("edit", "Change plan fields (partial update); users keep their limits until `reapply-limits`.",
          "Examples:\n\n  eclictl plans edit Pro --price 12.99 --memory 20480\n\n"
          "  eclictl plans edit 3 --email-queue 200 --hidden",
          "PUT", f"{PATH}/{{id}}", fields=(*ORDER, "clear", "assignments"), extra=(CLEAR,), set_opt=SetOpt,
          set_any=True, ref="ID|NAME", ref_help="The plan's id or exact name.",
          nothing=("nothing to change", "pass at least one option, e.g. --price 9.99"), prepare=_clears,
          resolve=lambda ctx, ref, body, extras: _plan_ref_id(ctx, ref), reread=_verified),
)))
add_writes(app, PLANS)


def _delete_plan(ctx: Any, ref: str) -> Any:
    plan_id = _plan_ref_id(ctx, ref)
    ctx.api.delete(f"{PATH}/{plan_id}")
    return {"id": plan_id, "deleted": True}


add_writes(app, replace(PLANS, writes=(
    Bulk("delete", "Delete plans (admin:plans:delete); the panel does not check for users or orders still on them.",
         "Examples:\n\n  eclictl plans delete 6 --yes\n\n  eclictl plans delete 'Legacy Pro' --yes",
         "delete plans", "ID|NAME...", "Plan ids or exact names; '-' reads stdin.", _delete_plan,
         dry_run=False, direct=True,
         question=lambda items: f"Delete {len(items)} plans: {', '.join(items[:10])}? Users and orders on them "
                                "are not checked."),
)))


# -- boost / reapply -----------------------------------------------------------------------------

#: The plan argument of the one-plan verbs.
PlanArg = Annotated[str, typer.Argument(metavar="ID|NAME", help="The plan's id or exact name.")]


@app.command("boost", epilog="Examples:\n\n  eclictl plans boost Pro --percent 25 --reason 'Winter sale'\n\n"
             "  eclictl plans boost 3 --percent 50 --expires 2027-01-31T23:59:59Z\n\n  eclictl plans boost 3 --remove")
@command(writes=True)
def boost(
    ref: PlanArg,
    percent: opt(float, "--percent", help="Boost in percent, 0-1000.") = None,
    expires: opt(str, "--expires", help="ISO 8601 end (default: 30 days from now).") = None,
    reason: opt(str, "--reason", help="Why (shown with the boost).") = None,
    remove: bool_opt("--remove", help="Remove the plan's boost instead (percent 0; the panel keeps the old "
                     "dates and reason on the plan).") = False,
) -> Any:
    """Set a temporary resource boost on a plan (starts now), or set it to 0% with --remove."""
    from eclictl.context import current

    ctx = current()
    if remove:
        if percent is not None or expires or reason:
            raise UsageError("--remove takes no --percent/--expires/--reason")
    else:
        if percent is None:
            raise UsageError("--percent is required (or --remove)")
        if not math.isfinite(percent) or not 0 <= percent <= 1000:
            raise UsageError(f"--percent must be between 0 and 1000, got {percent}")
        if expires is not None:
            _check_iso(expires, "--expires")
    plan_id = _plan_ref_id(ctx, ref)
    if remove:
        ctx.api.delete(f"{PATH}/{plan_id}/boost")
        return detail_view(PLANS, PLANS.resolve(ctx.api, str(plan_id)))
    body: dict[str, Any] = {"percent": int(percent) if float(percent).is_integer() else percent}  # type: ignore[arg-type]
    if expires:
        body["expiresAt"] = expires
    if reason:
        body["reason"] = reason
    return _plan_result(ctx, ctx.api.put(f"{PATH}/{plan_id}/boost", body), plan_id)


def _check_iso(value: str, flag: str) -> None:
    from datetime import datetime

    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{flag} must be an ISO 8601 date or time, got '{value}'") from None


@app.command("reapply-limits", epilog="Examples:\n\n  eclictl plans reapply-limits Pro --yes\n\n"
             "  eclictl plans reapply-limits 3 --force --yes")
@command()
def reapply_limits(
    ref: PlanArg,
    force: bool_opt("--force", help="Also overwrite users with custom limits.") = False,
    yes: YesOpt = False,
) -> Any:
    """Copy the plan's limits onto every user of its portal type (runs in the background on the panel)."""
    from eclictl.context import current

    ctx = current()
    plan_id = _plan_ref_id(ctx, ref)
    what = "every user of this plan's type" + (", custom limits included" if force else " without custom limits")
    ctx.confirm(f"Overwrite the limits of {what} (plan {plan_id})?", yes=yes, what="reapply plan limits")
    answer = ctx.api.post(f"{PATH}/{plan_id}/reapply-limits", {"force": True} if force else {})
    body = answer if isinstance(answer, dict) else {}
    ctx.info("`updated` counts users of the plan's type, not users changed; the panel sends the real counts "
             "as a notification when the background job ends")
    return {"id": plan_id, "force": force, "updated": body.get("updated"), "success": body.get("success", True)}


# -- regional prices -----------------------------------------------------------------------------

def _country(code: str) -> str:
    code = code.strip()
    if len(code) != 2 or not code.isalpha():
        raise UsageError(f"country codes are two letters (ISO 3166-1 alpha-2), got '{code}'")
    return code.upper()


@prices_app.command("list", epilog="Examples:\n\n  eclictl plans prices list Pro\n\n  eclictl plans prices list 3 -o json")
@command()
def prices_list(ref: Annotated[str, typer.Argument(metavar="PLAN", help="The plan's id or exact name.")]) -> Any:
    """List a plan's per-country prices (they replace the base price for customers in that country)."""
    from eclictl.context import current
    from eclictl.output.render import View

    ctx = current()
    plan_id = _plan_ref_id(ctx, ref)
    rows = ctx.api.rows(f"{PRICES_PATH}/{plan_id}")
    return View(rows, columns=PRICE_COLUMNS, empty="no regional prices for this plan")


@prices_app.command("set", epilog="Examples:\n\n  eclictl plans prices set Pro IN 5.99\n\n  eclictl plans prices set 3 br 7.49")
@command(writes=True)
def prices_set(
    ref: Annotated[str, typer.Argument(metavar="PLAN", help="The plan's id or exact name.")],
    country: Annotated[str, typer.Argument(metavar="COUNTRY", help="Two-letter country code.")],
    price: Annotated[float, typer.Argument(metavar="PRICE", help="Price for that country (>= 0).")],
) -> Any:
    """Create or replace the plan's price for one country."""
    from eclictl.context import current

    ctx = current()
    code = _country(country)
    check_price(price, "PRICE")
    plan_id = _plan_ref_id(ctx, ref)
    answer = ctx.api.post(f"{PRICES_PATH}/{plan_id}", {"countryCode": code, "price": price})
    row = answer.get("regionalPrice") if isinstance(answer, dict) else None
    return detail_view(PLANS, row if isinstance(row, dict) else {"planId": plan_id, "countryCode": code,
                                                                 "price": price})


@prices_app.command("remove", epilog="Examples:\n\n  eclictl plans prices remove Pro IN --yes")
@command(bulk=True)
def prices_remove(
    ref: Annotated[str, typer.Argument(metavar="PLAN", help="The plan's id or exact name.")],
    countries: Annotated[list[str], typer.Argument(metavar="COUNTRY...", help="Country codes; '-' reads stdin.")],
    yes: YesOpt = False,
) -> Any:
    """Remove per-country prices (customers there pay the base price again)."""
    from eclictl.bulk import confirm_and_run
    from eclictl.context import current

    ctx = current()
    codes = [_country(c) for c in ctx.read_ids(countries)]
    plan_id = _plan_ref_id(ctx, ref)

    def remove_one(code: str) -> Any:
        ctx.api.delete(f"{PRICES_PATH}/{plan_id}/{code}")
        return {"planId": plan_id, "countryCode": code, "removed": True}

    return confirm_and_run(ctx, "remove regional prices", codes, remove_one, yes=yes, direct=True,
                           question=f"Remove the regional prices of plan {plan_id} for {', '.join(codes)}?",
                           what="remove regional prices")
