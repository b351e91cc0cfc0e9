"""Feature flags: the `featureToggles` object of `/api/admin/settings` (docs/panel/settings.md#feature-flags).

The panel caches flags for 10 s (Redis), a PUT does not clear that cache, and the PUT merge
starts from the cached copy: two PUTs changing different flags within 10 s can silently undo the
first. So `enable`/`disable` change every flag named in ONE PUT, then wait out the cache and read
the flags back (exit 1 naming any flag that did not stick).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from eclictl.errors import UsageError
from eclictl.options import SAFETY_PANEL, DryRunOpt, YesOpt, bool_opt, command
from eclictl.output.columns import Col
from eclictl.sections._spec import FILTER_PANEL, build
from eclictl.sections.settings import NoVerifyOpt, WaitOpt, settings_section

FLAGS = settings_section(
    "flags", "Feature flags: list, enable, disable (one PUT, verified after the panel's 10 s cache).",
    ("eclictl flags list", "eclictl flags disable ai blog --yes"))
app = build(FLAGS)

LIST_COLUMNS = (Col("flag"), Col("enabled"), Col("default"), Col("changed"), Col("enforced", max_width=60))
NamesArg = Annotated[list[str], typer.Argument(metavar="NAME...", help="Flag names; '-' reads stdin.")]
AllowUnknownOpt = bool_opt("--allow-unknown", help="Allow names neither eclictl nor the panel knows (the panel stores "
                           "any name).", panel=SAFETY_PANEL)


def _ctx() -> Any:
    from eclictl.context import current

    return current()


@app.command("list", epilog="Examples:\n\n  eclictl flags list\n\n  eclictl flags list --changed\n\n"
             "  eclictl flags list -o json")
@command()
def list_flags(
    changed: bool_opt("--changed", help="Only flags that differ from the panel's default.", panel=FILTER_PANEL) = False,
) -> Any:
    """List the feature flags, their defaults and where the panel enforces them."""
    from eclictl.output.render import View
    from eclictl.sections.settings import current_flags, fetch_settings
    from eclictl.settings_schema import FEATURE_FLAGS

    ctx = _ctx()
    flags = current_flags(fetch_settings(ctx.api))
    rows = []
    for name in list(FEATURE_FLAGS) + sorted(n for n in flags if n not in FEATURE_FLAGS):
        default, where = FEATURE_FLAGS.get(name, (None, "not a default of this eclictl: stored on the panel or an "
                                                       "older panel's default (its own code decides)"))
        if name in flags:
            enabled = flags[name]
        else:  # not returned: the panel treats a name it does not know as enabled
            enabled = True if flags else None
            where = f"{where} [not returned by this panel]"
        differs = default is not None and enabled is not None and enabled != default
        rows.append({"flag": name, "enabled": enabled, "default": default,
                     "changed": differs, "enforced": where})
    if changed:
        rows = [r for r in rows if r["changed"] or r["default"] is None]
    ctx.info("note: the panel caches flags for up to 10 s; a change made just now may not show yet")
    return View(rows, columns=LIST_COLUMNS, id_field="flag", empty="no flags differ from the defaults")


def _check_names(names: list[str]) -> list[str]:
    from eclictl.settings_schema import FLAG_NAME_RE

    out = list(dict.fromkeys(n.strip() for n in names))
    for name in out:
        if not FLAG_NAME_RE.match(name):
            raise UsageError(f"'{name}' is not a flag name (no spaces or '=', at most 128 characters)")
    return out


def change(names: list[str], on: bool, *, allow_unknown: bool, dry_run: bool, yes: bool, verify: bool,
           wait: float) -> Any:
    """Switch flags in one PUT, then verify them after the cache window."""
    import difflib

    from eclictl.output.render import View
    from eclictl.sections.settings import FLAG_RESULT_COLUMNS, current_flags, fetch_settings, put_settings, \
        verify_flags
    from eclictl.settings_schema import FEATURE_FLAGS

    ctx = _ctx()
    items = _check_names(ctx.read_ids(names))
    if not items:
        raise UsageError("no flag names given")
    panel = fetch_settings(ctx.api)
    before = current_flags(panel)
    known = set(FEATURE_FLAGS) | set(before)
    unknown = [n for n in items if n not in known]
    if unknown and not allow_unknown:
        close = difflib.get_close_matches(unknown[0], sorted(known), n=1)
        raise UsageError(f"unknown flag '{unknown[0]}'" + (f"; did you mean '{close[0]}'?" if close else ""),
                         hint="pass --allow-unknown to create it anyway (the panel cannot delete a flag)")
    if "tempEmailFilter" in items:
        ctx.warn("tempEmailFilter is not read by any panel code: switching it has no effect")
    wanted = {n: on for n in items}
    if dry_run:
        rows = [{"flag": n, "wanted": on, "before": before.get(n), "now": None, "status": "dry run"} for n in items]
        return View(rows, columns=FLAG_RESULT_COLUMNS, id_field="flag")
    if not on:
        ctx.confirm(f"Disable {', '.join(items)}? Users get 503 'Feature disabled' on those parts of the panel.",
                    yes=yes, what="disable feature flags")
    from eclictl.safety.undo import remember_settings

    remember_settings(ctx, {"featureToggles": wanted}, panel, wait=wait)  # for `eclictl undo` / --revert-after
    # Every flag goes in ONE PUT, even those that already look right: the GET may be a cached copy.
    put_settings(ctx.api, {"featureToggles": wanted})
    return verify_flags(ctx, wanted, before, wait=wait, verify=verify)


@app.command("enable", epilog="Examples:\n\n  eclictl flags enable ticketing\n\n"
             "  eclictl flags enable ai blog chat --no-verify\n\n  eclictl flags enable chat --revert-after 10m")
@command(undoable=True)
def enable(names: NamesArg, allow_unknown: AllowUnknownOpt = False, dry_run: DryRunOpt = False,
           no_verify: NoVerifyOpt = False, wait: WaitOpt = 11.0) -> Any:
    """Turn feature flags on (one PUT), then verify after the panel's 10 s flag cache."""
    return change(names, True, allow_unknown=allow_unknown, dry_run=dry_run, yes=True, verify=not no_verify,
                  wait=wait)


@app.command("disable", epilog="Examples:\n\n  eclictl flags disable blog --yes\n\n"
             "  eclictl flags disable ai chat --yes --no-verify\n\n"
             "  eclictl flags disable chat --yes --revert-after 10m --reason 'chat outage'")
@command(undoable=True)
def disable(names: NamesArg, allow_unknown: AllowUnknownOpt = False, dry_run: DryRunOpt = False,
            yes: YesOpt = False, no_verify: NoVerifyOpt = False, wait: WaitOpt = 11.0) -> Any:
    """Turn feature flags off (one PUT; asks first), then verify after the panel's 10 s flag cache."""
    return change(names, False, allow_unknown=allow_unknown, dry_run=dry_run, yes=yes, verify=not no_verify,
                  wait=wait)
