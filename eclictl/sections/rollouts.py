"""Rollouts tab: `/api/admin/rollouts*` (docs/panel/settings.md#rollouts): gradual feature exposure.

Every route needs only `admin:access`. Quirks handled here: create and edit answer with the bare
entity, i.e. text/plain `[object Object]` on the real panel, so the result is re-read from the list;
the panel coerces input with JS `Boolean()`/`Number()` (`"false"` is true) and checks no ranges, so
everything is validated here before sending; deleting a rollout leaves its overrides behind as
orphans (`--purge-overrides` removes them first); the panel caches the active rollouts for 30 s, so
edits reach users with up to 30 s delay (overrides are read live).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Annotated, Any, Optional

import typer

from eclictl.errors import NotFoundError, UsageError
from eclictl.options import YesOpt, command
from eclictl.output.columns import Col
from eclictl.sections._fields import Field, Write, add_writes
from eclictl.sections._rollouts_lib import PATH, fetch_rollouts
from eclictl.sections._spec import Filter, ListOpts, Section, add_list, build, group, register

HASH_RANGE = 10000
LIMITS = {"name": 128, "key": 64, "treatment": 32}
CACHE_NOTE = "the panel caches active rollouts for 30 s: users see this change within 30 s"
RANGE_PANEL = "Exposure"
FIELDS_PANEL = "Rollout"

ROLLOUTS = Section(
    name="rollouts",
    help="Rollouts (gradual feature exposure): list, show, create, edit, delete, overrides, check. "
         "Active rollouts are cached 30 s on the panel.",
    path=PATH,
    columns=(Col("id"), Col("key"), Col("name", max_width=32), Col("active"), Col("range", computed=True),
             Col("percent", "%", computed=True),
             Col("treatment"), Col("overrideCount", "OVERRIDES")),
    name_fields=("key", "name"),
    permission="admin:access",
    tab="rollouts",
    verbs=("list", "show"),
    examples=("eclictl rollouts list", "eclictl rollouts show new_dashboard"),
)
app = build(replace(ROLLOUTS, verbs=()))  # list (own view), show, create and edit are added below
register(ROLLOUTS)  # ...but the section still declares them for the section-wide tests and whoami

overrides_app = group("overrides", "Per-user overrides (always in the rollout): list, add, remove.", app)


# -- bucketing (docs/panel/settings.md#rollouts) -----------------------------------------------------
def murmur3_x86_32(text: str, seed: int = 0) -> int:
    """MurmurHash3 x86 32-bit, fed like the panel: one byte per UTF-16 unit (`charCodeAt(i) & 0xff`)."""
    data = text.encode("utf-16-le")[::2]
    mask = 0xFFFFFFFF
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed & mask
    tail = len(data) - (len(data) & 3)
    for i in range(0, tail, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * c1) & mask
        k = ((k << 15) | (k >> 17)) & mask
        h ^= (k * c2) & mask
        h = ((h << 13) | (h >> 19)) & mask
        h = (h * 5 + 0xE6546B64) & mask
    if len(data) & 3:
        k = int.from_bytes(data[tail:], "little")
        k = (k * c1) & mask
        k = ((k << 15) | (k >> 17)) & mask
        h ^= (k * c2) & mask
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & mask
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & mask
    return h ^ (h >> 16)


def bucket_of(key: str, user_id: int) -> int:
    """The user's bucket in a rollout: murmur3("<key>:<userId>") mod 10000."""
    return murmur3_x86_32(f"{key}:{user_id}") % HASH_RANGE


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def percent_of(start: Any, end: Any) -> float:
    """Share of buckets inside [start, end] (both inclusive), clipped to 0..9999."""
    lo, hi = max(_int(start, 0), 0), min(_int(end, HASH_RANGE - 1), HASH_RANGE - 1)
    return max(0, hi - lo + 1) * 100 / HASH_RANGE


def _pct_text(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") + "%"


def _decorated(row: dict[str, Any]) -> dict[str, Any]:
    """A list row plus the computed `range` and `percent` (table/tsv only; json stays the panel's)."""
    start, end = row.get("hashRangeStart"), row.get("hashRangeEnd")
    overrides = row.get("overrides")
    count = row.get("overrideCount", len(overrides) if isinstance(overrides, list) else None)
    return {**row, "range": f"{start}..{end}", "percent": _pct_text(percent_of(start, end)), "overrideCount": count}


# -- input validation -----------------------------------------------------------------------------
_RANGE = re.compile(r"^\s*(-?\d+)\s*(?:\.\.|-)\s*(-?\d+)\s*$")


def parse_range(text: str) -> tuple[int, int]:
    """`START-END` or `START..END`, 0 <= START <= END <= 9999, or `0..-1` (0 %)."""
    m = _RANGE.match(text or "")
    if not m:
        raise UsageError(f"--range must look like START-END (e.g. 0-4999), got '{text}'")
    start, end = int(m.group(1)), int(m.group(2))
    if (start, end) == (0, -1):
        return start, end
    if not 0 <= start <= end <= HASH_RANGE - 1:
        raise UsageError(f"--range must satisfy 0 <= START <= END <= 9999 (or 0..-1 for 0 %), got {start}..{end}")
    return start, end


def range_for_percent(percent: float) -> tuple[int, int]:
    """P % = buckets 0..P*100-1 (growing a rollout keeps the users already in it)."""
    if not 0 <= percent <= 100:
        raise UsageError(f"--percent must be between 0 and 100, got {percent:g}")
    width = round(percent * 100)
    if abs(width - percent * 100) > 1e-6:
        raise UsageError(f"--percent has a granularity of 0.01 (10000 buckets), got {percent:g}")
    return 0, width - 1


def _text(option: str, value: Optional[str], *, required: bool = False) -> Optional[str]:
    """Trimmed like the panel does; empty and over-long values are refused here, not by MySQL."""
    if value is None:
        return None
    clean = value.strip()
    limit = LIMITS.get(option)
    if (required or option in LIMITS) and not clean:
        raise UsageError(f"--{option} must not be empty")
    if limit and len(clean) > limit:
        raise UsageError(f"--{option} is at most {limit} characters, got {len(clean)}")
    return clean


def _exposure(percent: Optional[float], range_: Optional[str]) -> dict[str, int]:
    if percent is not None and range_ is not None:
        raise UsageError("use either --percent or --range, not both")
    if percent is not None:
        start, end = range_for_percent(percent)
    elif range_ is not None:
        start, end = parse_range(range_)
    else:
        return {}
    return {"hashRangeStart": start, "hashRangeEnd": end}


def _user_id(text: str) -> int:
    """A user id, or the id of the user with this exact e-mail (rollouts bucket users by id)."""
    from eclictl.context import current
    from eclictl.sections._spec import user_ref

    if text.strip().isdigit():
        if int(text) < 1:
            raise UsageError(f"user ids are positive whole numbers, got '{text}'")
        return int(text)
    return user_ref(current().api, text)


# -- reading ----------------------------------------------------------------------------------------
def _find(api: Any, ref: str) -> dict[str, Any]:
    """A rollout by id, key or exact name (one list request)."""
    return ROLLOUTS.resolve(api, ref.strip())


def _detail(row: dict[str, Any]) -> Any:
    from eclictl.output.render import View

    return View(_decorated(row), detail=True, json_data=row)


def _reread(ctx: Any, answer: Any, match: dict[str, Any], action: str) -> dict[str, Any]:
    """The panel answered `[object Object]` (or the entity): the row as the list now has it."""
    rows = fetch_rollouts(ctx.api)
    found = next((r for r in rows if all(r.get(k) == v for k, v in match.items())), None)
    if found is None and isinstance(answer, dict) and answer.get("id") is not None:
        found = answer
    if found is None:
        raise NotFoundError(f"{action}: the panel said OK but the rollout is not in the list",
                            hint="check with `eclictl rollouts list`")
    ctx.info(CACHE_NOTE)
    return found


# -- verbs ------------------------------------------------------------------------------------------
def _list_view(rows: Any) -> Any:
    """Rows with their computed range and percent; `-o json` keeps the panel's rows as they are."""
    from eclictl.output.render import View

    rows = list(rows)
    return View([_decorated(r) for r in rows], columns=ROLLOUTS.columns, json_data=rows, empty="no rollouts found")


add_list(app, replace(
    ROLLOUTS,
    filters=(Filter("active", "Only active (or inactive) rollouts.", off="inactive"),),
    list_opts=ListOpts(limit_min=True, all=None, filters_first=True),
    list_rows=lambda ctx, params: fetch_rollouts(ctx.api),
    list_render=_list_view,
), "List rollouts, newest first, with their bucket range as a percentage and override count.",
    ("eclictl rollouts list", "eclictl rollouts list --active -o json", "eclictl rollouts list --web"))


#: The arguments of the one-rollout verbs.
RolloutArg = Annotated[str, typer.Argument(metavar="ROLLOUT", help="Rollout id, key or exact name.")]
OverrideUserArg = Annotated[str, typer.Argument(metavar="USER", help="The user's id or exact e-mail.")]


@app.command("show", epilog="Examples:\n\n  eclictl rollouts show new_dashboard\n\n  eclictl rollouts show 2 -o json")
@command()
def show(ref: RolloutArg) -> Any:
    """Show one rollout with its overrides (from the rollout list)."""
    from eclictl.context import current

    return _detail(_find(current().api, ref))


def _clean(option: str, *, required: bool = False) -> Any:
    return lambda value: _text(option, value, required=required)


def _exposure_of(ctx: Any, body: dict[str, Any], extras: dict[str, Any]) -> None:
    """--percent or --range become the bucket range (sent as JSON numbers)."""
    body.update(_exposure(extras.get("percent"), extras.get("range")))


def _created(ctx: Any, ident: Any, body: dict[str, Any], answer: Any) -> dict[str, Any]:
    from eclictl.safety.undo import remember

    found = _reread(ctx, answer, {"key": body["key"]}, "create")
    remember(ctx, "rollout", found["id"], before={"exists": False})  # undo deletes it again
    return found


def _edit_target(ctx: Any, ref: str, body: dict[str, Any], extras: dict[str, Any]) -> Any:
    from eclictl.safety.undo import remember

    rollout = _find(ctx.api, ref)
    remember(ctx, "rollout", rollout["id"], rows=[rollout])  # for `eclictl undo` / --revert-after
    return rollout["id"]


FIELDS = (
    Field("name", "--name", str, "Display name (max 128).", panel=FIELDS_PANEL, check=_clean("name", required=True)),
    Field("key", "--key", str, "Unique client-facing key (max 64); changing it re-buckets every user.",
          panel=FIELDS_PANEL, check=_clean("key", required=True)),
    Field("description", "--description", str, "Free text.", panel=FIELDS_PANEL, check=_clean("description")),
    Field("treatment", "--treatment", str, "Treatment name users in the rollout get (max 32; default 'treatment').",
          panel=FIELDS_PANEL, check=_clean("treatment")),
    Field("active", "--inactive", bool, "Create it switched off (not evaluated).", verbs=("create",), default=False,
          panel=RANGE_PANEL, to_body=lambda off: not off),
    Field("active", "--active/--inactive", bool, "Switch evaluation on or off.", verbs=("edit",), panel=RANGE_PANEL),
)
EXPOSURE = (  # not body keys: `_exposure_of` turns them into hashRangeStart/hashRangeEnd
    Field("percent", "--percent", float, "Expose P % of users: buckets 0..P*100-1 (0.01 steps; 0 = nobody).",
          panel=RANGE_PANEL),
    Field("range", "--range", str, "Bucket range, both ends inclusive, 0-9999 (0..-1 = nobody).", metavar="START-END",
          panel=RANGE_PANEL),
)
WRITES = (
    Write("create", "Create a rollout (default: active, 100 %, treatment 'treatment'); reached users within 30 s.",
          "Examples:\n\n  eclictl rollouts create --name 'New dashboard' --key new_dashboard --percent 10\n\n"
          "  eclictl rollouts create --name Beta --key beta --range 0-999 --treatment v2 --inactive",
          "POST", PATH, fields=("name", "key", "description", "percent", "range", "treatment", "inactive"),
          extra=EXPOSURE, require=(("name", "key"), "--name and --key are required"), prepare=_exposure_of,
          reread=_created, view=_detail, writes=False, undoable=True),
    Write("edit", "Change a rollout's fields or exposure (sent as JSON numbers/booleans); users see it within 30 s.",
          "Examples:\n\n  eclictl rollouts edit new_dashboard --percent 50\n\n  eclictl rollouts edit 3 --inactive\n\n"
          "  eclictl rollouts edit beta --range 5000-9999 --treatment v3\n\n"
          "  eclictl rollouts edit new_dashboard --percent 50 --revert-after 30m",
          "PUT", f"{PATH}/{{id}}", fields=("name", "key", "description", "percent", "range", "treatment", "active"),
          extra=EXPOSURE, ref="ROLLOUT", ref_help="Rollout id, key or exact name.",
          nothing=("nothing to change", "give at least one of --name, --key, --description, --percent, --range, "
                                        "--treatment, --active/--inactive"),
          prepare=_exposure_of, resolve=_edit_target,
          reread=lambda ctx, ident, body, answer: _reread(ctx, answer, {"id": ident}, "edit"), view=_detail,
          writes=False, undoable=True),
)
ROLLOUTS = register(replace(ROLLOUTS, fields=FIELDS, writes=WRITES))
add_writes(app, ROLLOUTS)


@app.command("delete", epilog="Examples:\n\n  eclictl rollouts delete beta_billing --yes\n\n"
             "  eclictl rollouts delete 3 --purge-overrides --yes")
@command(undoable=True)
def delete(
    ref: RolloutArg,
    purge_overrides: Annotated[bool, typer.Option("--purge-overrides", help="Delete the rollout's overrides first "
                                                  "(the panel leaves them behind as orphans).")] = False,
    yes: YesOpt = False,
) -> Any:
    """Delete a rollout; its overrides stay in the database as orphans unless --purge-overrides."""
    from eclictl.context import current

    ctx = current()
    rollout = _find(ctx.api, ref)
    rid = rollout["id"]
    users = [o.get("userId") for o in rollout.get("overrides") or [] if isinstance(o, dict)]
    users = [u for u in users if u is not None]
    if users and not purge_overrides:
        ctx.warn(f"rollout {rid} has {len(users)} override(s); the panel leaves them behind as orphans "
                 "(add --purge-overrides to delete them first)")
    extra = f" and its {len(users)} override(s)" if users and purge_overrides else ""
    ctx.confirm(f"Delete rollout {rid} ({rollout.get('key')}){extra}?", yes=yes, what="delete a rollout")
    from eclictl.safety.undo import remember

    remember(ctx, "rollout", rid, rows=[rollout])  # undo recreates it (with a new id) and its overrides
    purged = 0
    if purge_overrides:
        for user in users:
            ctx.api.delete(f"{PATH}/{rid}/overrides/{user}")
            purged += 1
    ctx.api.delete(f"{PATH}/{rid}")
    ctx.info(CACHE_NOTE)
    return {"id": rid, "key": rollout.get("key"), "deleted": True, "overridesDeleted": purged,
            "orphanedOverrides": len(users) - purged}


@app.command("check", epilog="Examples:\n\n  eclictl rollouts check new_dashboard 42\n\n"
             "  eclictl rollouts check 2 42 -o json")
@command()
def check(ref: RolloutArg, user: OverrideUserArg) -> Any:
    """Work out locally whether a user is in a rollout: override, else murmur3("<key>:<id>") mod 10000 in range."""
    from eclictl.context import current

    ctx = current()
    user_id = _user_id(user)
    rollout = _find(ctx.api, ref)
    key = str(rollout.get("key") or "")
    start, end = _int(rollout.get("hashRangeStart"), 0), _int(rollout.get("hashRangeEnd"), HASH_RANGE - 1)
    bucket = bucket_of(key, user_id)
    override = next((o for o in rollout.get("overrides") or []
                     if isinstance(o, dict) and str(o.get("userId")) == str(user_id)), None)
    active = bool(rollout.get("active", True))
    if not active:
        inside, treatment, reason = False, None, "rollout is inactive (not evaluated)"
    elif override is not None:
        treatment = override.get("treatment")
        inside, treatment = True, treatment if treatment is not None else rollout.get("treatment")
        reason = "user override"
    else:
        inside = start <= bucket <= end
        treatment = rollout.get("treatment") if inside else None
        reason = f"bucket {bucket} {'inside' if inside else 'outside'} {start}..{end}"
    ctx.info(f"computed locally; {CACHE_NOTE.split(':')[0]} (a recent edit may not be live yet), overrides are live")
    return {"rollout": rollout.get("id"), "key": key, "userId": user_id, "active": active, "bucket": bucket,
            "hashRangeStart": start, "hashRangeEnd": end, "override": override is not None,
            "inRollout": inside, "treatment": treatment, "reason": reason}


# -- overrides -------------------------------------------------------------------------------------
OVERRIDE_COLS = (Col("id"), Col("userId", "USER"), Col("treatment"), Col("createdAt", "CREATED"))


@overrides_app.command("list", epilog="Examples:\n\n  eclictl rollouts overrides list new_dashboard\n\n"
                       "  eclictl rollouts overrides list 7 -o json   # a deleted rollout's orphans, by id")
@command()
def overrides_list(
    ref: Annotated[str, typer.Argument(metavar="ROLLOUT", help="Rollout id, key or exact name. A bare id is used "
                                       "as is, so the orphans of a deleted rollout can be listed.")],
) -> Any:
    """List a rollout's user overrides, newest first (read live)."""
    from eclictl.context import current
    from eclictl.output.render import View

    ctx = current()
    rid = ref.strip() if ref.strip().isdigit() else _find(ctx.api, ref)["id"]
    rows = ctx.api.rows(f"{PATH}/{rid}/overrides")
    if str(rid) == ref.strip():
        _note_orphans(ctx, rid, rows, "no overrides")
    return View(rows, columns=OVERRIDE_COLS, empty="no overrides")


def _note_orphans(ctx: Any, rid: Any, rows: list[Any], empty: str) -> None:
    """A bare id may name a deleted rollout (its overrides stay behind) or nothing at all: the panel
    answers both like an existing rollout, so say which it is."""
    if _exists(ctx.api, rid):
        return
    if not rows:
        raise NotFoundError(f"no rollout {rid}", hint=f"{empty}, and no rollout has this id")
    ctx.info(f"rollout {rid} does not exist (deleted?): these overrides are orphans")


def _exists(api: Any, rid: Any) -> bool:
    return any(str(r.get("id")) == str(rid) for r in fetch_rollouts(api))


@overrides_app.command("add", epilog="Examples:\n\n  eclictl rollouts overrides add new_dashboard 42\n\n"
                       "  eclictl rollouts overrides add new_dashboard 42 --treatment control\n\n"
                       "  eclictl rollouts overrides add new_dashboard 42 --treatment ''   # use the rollout's")
@command(undoable=True)
def overrides_add(
    ref: RolloutArg,
    user: Annotated[str, typer.Argument(metavar="USER", help="The user's id (not checked by the panel) or exact "
                                        "e-mail.")],
    treatment: Annotated[Optional[str], typer.Option("--treatment", help="This user's treatment (max 32); '' = the "
                                                     "rollout's. Omitted: unchanged on an existing override.",
                                                     show_default=False)] = None,
) -> Any:
    """Put a user in a rollout whatever their bucket (an upsert: an existing override is updated)."""
    from eclictl.context import current

    ctx = current()
    user_id = _user_id(user)
    body: dict[str, Any] = {"userId": user_id}
    if treatment is not None:
        clean = treatment.strip()
        if len(clean) > LIMITS["treatment"]:
            raise UsageError(f"--treatment is at most {LIMITS['treatment']} characters, got {len(clean)}")
        body["treatment"] = clean  # "" is stored as null: the rollout's treatment applies
    rollout = _find(ctx.api, ref)  # the panel would accept any id: refuse unknown rollouts here
    existed = any(isinstance(o, dict) and str(o.get("userId")) == str(user_id) for o in rollout.get("overrides") or [])
    from eclictl.safety.undo import remember

    remember(ctx, "rollout", rollout["id"], rows=[rollout])  # for `eclictl undo` / --revert-after
    answer = ctx.api.post(f"{PATH}/{rollout['id']}/overrides", body)
    row = answer if isinstance(answer, dict) else {"userId": user_id, "treatment": body.get("treatment") or None}
    status = "created" if not existed else "updated" if treatment is not None else "unchanged"
    return {"rollout": rollout["id"], "key": rollout.get("key"), **row, "status": status}


@overrides_app.command("remove", epilog="Examples:\n\n  eclictl rollouts overrides remove new_dashboard 42 --yes")
@command(undoable=True)
def overrides_remove(
    ref: Annotated[str, typer.Argument(metavar="ROLLOUT", help="Rollout id, key or exact name (a bare id is used "
                                       "as is, to clean up orphans).")],
    user: OverrideUserArg,
    yes: YesOpt = False,
) -> Any:
    """Remove a user's override: the user falls back to bucketing (effective immediately)."""
    from eclictl.context import current

    ctx = current()
    user_id = _user_id(user)
    rid = ref.strip() if ref.strip().isdigit() else _find(ctx.api, ref)["id"]
    if str(rid) == ref.strip() and not _exists(ctx.api, rid):  # the panel removes orphans as readily
        ctx.info(f"rollout {rid} does not exist (deleted?): removing an orphaned override")
    ctx.confirm(f"Remove the override of user {user_id} from rollout {rid}?", yes=yes, what="remove an override")
    from eclictl.safety.undo import remember

    remember(ctx, "rollout", rid)  # for `eclictl undo` / --revert-after (an orphan's override cannot be restored)
    ctx.api.delete(f"{PATH}/{rid}/overrides/{user_id}")
    return {"rollout": int(rid), "userId": user_id, "removed": True}
