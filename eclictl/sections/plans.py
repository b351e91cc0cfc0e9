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
from typing import Annotated, Any, Optional

import typer

from eclictl.errors import UsageError
from eclictl.inputs import loads_json
from eclictl.options import YesOpt, command, parse_assignments
from eclictl.output.columns import Col
from eclictl.sections._spec import Filter, Section, build, detail_view
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

# -- shared option types -------------------------------------------------------------------------
PriceOpt = Annotated[Optional[float], typer.Option("--price", help="Monthly price (>= 0).",
                                                   rich_help_panel=PLAN_PANEL, show_default=False)]
DescOpt = Annotated[Optional[str], typer.Option("--description", help="Description shown to customers.",
                                                rich_help_panel=PLAN_PANEL, show_default=False)]
DefaultOpt = Annotated[Optional[bool], typer.Option("--default/--no-default", help="The default plan of its type.",
                                                    rich_help_panel=PLAN_PANEL, show_default=False)]
HiddenOpt = Annotated[Optional[bool], typer.Option("--hidden/--visible", help="Hide from (or show in) billing.",
                                                   rich_help_panel=PLAN_PANEL, show_default=False)]
FeaturesOpt = Annotated[Optional[str], typer.Option("--features", help="Features object as JSON ('null' clears).",
                                                    rich_help_panel=PLAN_PANEL, show_default=False)]
SetOpt = Annotated[Optional[list[str]], typer.Option("--set", help="Any other plan field, field=value (typed).",
                                                     rich_help_panel=PLAN_PANEL, show_default=False)]


def _lim(flag: str, help_text: str, kind: type = int) -> Any:
    return Annotated[Optional[kind], typer.Option(flag, help=help_text, rich_help_panel=LIMITS_PANEL,  # type: ignore[valid-type]
                                                  show_default=False)]


MemoryOpt = _lim("--memory", f"Memory: {SIZE_HELP} (as with users' limits).", str)
DiskOpt = _lim("--disk", f"Disk: {SIZE_HELP}.", str)
CpuOpt = _lim("--cpu", "CPU in percent (100 = one core), or '150%', '1.5 cores'.", str)
ServersOpt = _lim("--server-limit", "Number of servers.")
DatabasesOpt = _lim("--databases", "Number of databases.")
BackupsOpt = _lim("--backups", "Number of backups.")
EmailDailyOpt = _lim("--email-daily", "E-mails per day (emailSendDailyLimit).")
EmailQueueOpt = _lim("--email-queue", "E-mail queue size (emailSendQueueLimit).")
PortsOpt = _lim("--ports", "Ports per server (portCount).")
TunnelPortsOpt = _lim("--tunnel-ports", "Tunnel ports (tunnelPortCount).")


def _plan_ref_id(ctx: Any, ref: str) -> int:
    return int(PLANS.resolve_id(ctx.api, ref))


def check_price(value: float | None, flag: str = "--price") -> None:
    """Prices are floats >= 0; NaN and infinity are refused before any request."""
    if value is not None and (not math.isfinite(value) or value < 0):
        raise UsageError(f"{flag} must be a number >= 0, got {value}")


def _fields(price: float | None, description: str | None, default: bool | None, hidden: bool | None,
            features: str | None, limits: dict[str, int | None], sets: list[str] | None) -> dict[str, Any]:
    check_price(price)
    body: dict[str, Any] = {}
    for key, value in limits.items():
        if value is not None:
            if value < 0:
                raise UsageError(f"{key} must be >= 0, got {value}")
            body[key] = value
    if price is not None:
        body["price"] = price
    if description is not None:
        body["description"] = description
    if default is not None:
        body["isDefault"] = default
    if hidden is not None:
        body["hiddenFromBilling"] = hidden
    if features is not None:
        try:
            parsed = loads_json(features)
        except ValueError:
            raise UsageError("--features must be a JSON object or null") from None
        if parsed is not None and not isinstance(parsed, dict):
            raise UsageError("--features must be a JSON object or null")
        body["features"] = parsed
    extra = parse_assignments(sets or [])
    for key in ("memory", "disk"):
        if isinstance(extra.get(key), str) and extra[key].strip():
            extra[key] = size_option(key, extra[key])
    if "price" in extra:
        if isinstance(extra["price"], bool) or not isinstance(extra["price"], (int, float)):
            raise UsageError("price must be a number")
        check_price(float(extra["price"]), "price")
    body.update(extra)
    return body


def _cpu(raw: str | None) -> Any:
    if raw is None:
        return None
    value = parse_cpu_percent(raw)
    if value is None:
        raise UsageError(f"--cpu must be a percentage (100 = one core), '150%' or '1.5 cores', got '{raw}'")
    return int(value) if float(value).is_integer() else value


def _limits(memory: str | None, disk: str | None, cpu: str | None, server_limit: int | None,
            databases: int | None, backups: int | None, email_daily: int | None, email_queue: int | None,
            ports: int | None, tunnel_ports: int | None) -> dict[str, Any]:
    return {"memory": size_option("--memory", memory), "disk": size_option("--disk", disk), "cpu": _cpu(cpu),
            "serverLimit": server_limit, "databases": databases,
            "backups": backups, "emailSendDailyLimit": email_daily, "emailSendQueueLimit": email_queue,
            "portCount": ports, "tunnelPortCount": tunnel_ports}


def _plan_result(ctx: Any, answer: Any, plan_id: Any) -> Any:
    """The answer's `plan`, or the row re-read from the list when the body is not what we expect."""
    plan = answer.get("plan") if isinstance(answer, dict) else None
    if isinstance(plan, dict):
        return detail_view(PLANS, plan)
    if plan_id is not None:
        return detail_view(PLANS, PLANS.resolve(ctx.api, str(plan_id)))
    return {"success": True}


# -- create / edit -------------------------------------------------------------------------------

@app.command("create", epilog="Examples:\n\n  eclictl plans create --name Gold --type paid --price 24.99 --memory 32768\n\n"
             "  eclictl plans create --name Campus --type educational --hidden --set boostReason=launch")
@command(writes=True)
def create(
    name: Annotated[str, typer.Option("--name", help="Plan name.", rich_help_panel=PLAN_PANEL)],
    type_: Annotated[str, typer.Option("--type", help="Portal type: free, paid, enterprise, educational "
                                       "(not validated by the panel).", rich_help_panel=PLAN_PANEL)],
    price: PriceOpt = None, description: DescOpt = None, default: DefaultOpt = None, hidden: HiddenOpt = None,
    features: FeaturesOpt = None, memory: MemoryOpt = None, disk: DiskOpt = None, cpu: CpuOpt = None,
    server_limit: ServersOpt = None, databases: DatabasesOpt = None, backups: BackupsOpt = None,
    email_daily: EmailDailyOpt = None, email_queue: EmailQueueOpt = None, ports: PortsOpt = None,
    tunnel_ports: TunnelPortsOpt = None, set_: SetOpt = None,
) -> Any:
    """Create a plan (admin:plans:manage); omitted limits stay empty, ports default to 1 and 10."""
    from eclictl.context import current

    ctx = current()
    if not name.strip() or not type_.strip():
        raise UsageError("--name and --type must not be empty")
    limits = _limits(memory, disk, cpu, server_limit, databases, backups, email_daily, email_queue, ports,
                     tunnel_ports)
    body = {"name": name.strip(), "type": type_.strip(),
            **_fields(price, description, default, hidden, features, limits, set_)}
    answer = ctx.api.post(PATH, body)
    return _plan_result(ctx, answer, None)


@app.command("edit", epilog="Examples:\n\n  eclictl plans edit Pro --price 12.99 --memory 20480\n\n"
             "  eclictl plans edit 3 --email-queue 200 --hidden")
@command(writes=True)
def edit(
    ref: Annotated[str, typer.Argument(metavar="ID|NAME", help="The plan's id or exact name.")],
    name: Annotated[Optional[str], typer.Option("--name", help="New name.", rich_help_panel=PLAN_PANEL,
                                                show_default=False)] = None,
    type_: Annotated[Optional[str], typer.Option("--type", help="New portal type.", rich_help_panel=PLAN_PANEL,
                                                 show_default=False)] = None,
    price: PriceOpt = None, description: DescOpt = None, default: DefaultOpt = None, hidden: HiddenOpt = None,
    features: FeaturesOpt = None, memory: MemoryOpt = None, disk: DiskOpt = None, cpu: CpuOpt = None,
    server_limit: ServersOpt = None, databases: DatabasesOpt = None, backups: BackupsOpt = None,
    email_daily: EmailDailyOpt = None, email_queue: EmailQueueOpt = None, ports: PortsOpt = None,
    tunnel_ports: TunnelPortsOpt = None,
    clear: Annotated[Optional[list[str]], typer.Option("--clear", help=f"Refused: the panel cannot set a limit "
                                                       f"({', '.join(NULLABLE)}) back to null; it ignores null "
                                                       "and keeps the value. Set a number instead.",
                                                       rich_help_panel=LIMITS_PANEL, show_default=False)] = None,
    set_: SetOpt = None,
) -> Any:
    """Change plan fields (partial update); users keep their limits until `reapply-limits`."""
    from eclictl.context import current

    ctx = current()
    limits = _limits(memory, disk, cpu, server_limit, databases, backups, email_daily, email_queue, ports,
                     tunnel_ports)
    body = _fields(price, description, default, hidden, features, limits, set_)
    if name is not None:
        if not name.strip():
            raise UsageError("--name must not be empty")
        body["name"] = name.strip()
    if type_ is not None:
        if not type_.strip():
            raise UsageError("--type must not be empty")
        body["type"] = type_.strip()
    if clear:
        bad = [f for f in clear if f not in NULLABLE]
        if bad:
            raise UsageError(f"--clear takes one of {', '.join(NULLABLE)}; got '{bad[0]}'")
        body.update({f: None for f in clear})
    if not body:
        raise UsageError("nothing to change", hint="pass at least one option, e.g. --price 9.99")
    from eclictl.writes import refuse_clears

    refuse_clears(body, CANNOT_CLEAR, where="a plan", hint="set a value instead, e.g. --memory 0")
    plan_id = _plan_ref_id(ctx, ref)
    answer = ctx.api.put(f"{PATH}/{plan_id}", body)
    return detail_view(PLANS, _verified(ctx, plan_id, body, answer))


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


@app.command("delete", epilog="Examples:\n\n  eclictl plans delete 6 --yes\n\n  eclictl plans delete 'Legacy Pro' --yes")
@command(bulk=True)
def delete(
    refs: Annotated[list[str], typer.Argument(metavar="ID|NAME...", help="Plan ids or exact names; '-' reads stdin.")],
    yes: YesOpt = False,
) -> Any:
    """Delete plans (admin:plans:delete); the panel does not check for users or orders still on them."""
    from eclictl.bulk import run_items
    from eclictl.context import current

    ctx = current()
    items = ctx.read_ids(refs)
    ctx.confirm(f"Delete {len(items)} plans: {', '.join(items[:10])}? Users and orders on them are not checked.",
                yes=yes, what="delete plans")

    def delete_one(ref: str) -> Any:
        plan_id = _plan_ref_id(ctx, ref)
        ctx.api.delete(f"{PATH}/{plan_id}")
        return {"id": plan_id, "deleted": True}

    return run_items(ctx, "delete plans", items, delete_one)


# -- boost / reapply -----------------------------------------------------------------------------

@app.command("boost", epilog="Examples:\n\n  eclictl plans boost Pro --percent 25 --reason 'Winter sale'\n\n"
             "  eclictl plans boost 3 --percent 50 --expires 2027-01-31T23:59:59Z\n\n  eclictl plans boost 3 --remove")
@command(writes=True)
def boost(
    ref: Annotated[str, typer.Argument(metavar="ID|NAME", help="The plan's id or exact name.")],
    percent: Annotated[Optional[float], typer.Option("--percent", help="Boost in percent, 0-1000.",
                                                     show_default=False)] = None,
    expires: Annotated[Optional[str], typer.Option("--expires", help="ISO 8601 end (default: 30 days from now).",
                                                   show_default=False)] = None,
    reason: Annotated[Optional[str], typer.Option("--reason", help="Why (shown with the boost).",
                                                  show_default=False)] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Remove the plan's boost instead (percent 0; the panel "
                                         "keeps the old dates and reason on the plan).")] = False,
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
    ref: Annotated[str, typer.Argument(metavar="ID|NAME", help="The plan's id or exact name.")],
    force: Annotated[bool, typer.Option("--force", help="Also overwrite users with custom limits.")] = False,
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
    body = ctx.api.get(f"{PRICES_PATH}/{plan_id}")
    rows = [r for r in (body if isinstance(body, list) else []) if isinstance(r, dict)]
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
    from eclictl.bulk import run_items
    from eclictl.context import current

    ctx = current()
    codes = [_country(c) for c in ctx.read_ids(countries)]
    plan_id = _plan_ref_id(ctx, ref)
    ctx.confirm(f"Remove the regional prices of plan {plan_id} for {', '.join(codes)}?", yes=yes,
                what="remove regional prices")

    def remove_one(code: str) -> Any:
        ctx.api.delete(f"{PRICES_PATH}/{plan_id}/{code}")
        return {"planId": plan_id, "countryCode": code, "removed": True}

    return run_items(ctx, "remove regional prices", codes, remove_one)
