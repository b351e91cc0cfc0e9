"""Geo-blocking: the `geoBlockCountries` rule string and `/api/admin/geo-block/metrics`
(docs/panel/settings.md#rule-strings, docs/panel/settings.md#geo-block-metrics).

The rule string is `ru:5, by:4` (entries split by commas or newlines; `:`, `=` or `;` before a
level 0-5). The panel skips entries it cannot parse; `add`/`remove` rewrite only the entries of
the countries named and keep every other entry, even ones eclictl does not understand, verbatim.
A rule matches a user's free-text `billingCountry`, or its first two letters (`germany` -> `ge`,
Georgia!), so prefer ISO codes.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer

from eclictl.errors import EclictlError, UsageError
from eclictl.options import DryRunOpt, YesOpt, bool_opt, command, opt
from eclictl.output.columns import Col
from eclictl.sections._spec import build
from eclictl.sections.settings import settings_section

METRICS_PATH = "/api/admin/geo-block/metrics"
KEY = "geoBlockCountries"

GEOBLOCK = settings_section(
    "geoblock", "Geo-blocking rules (geoBlockCountries): list, add, remove; per-country metrics.",
    ("eclictl geoblock list", "eclictl geoblock add ru by --level 5 --yes"))
app = build(GEOBLOCK)

RULE_COLUMNS = (Col("country"), Col("level"), Col("effect", max_width=50), Col("entry"), Col("note", max_width=50))
CHANGE_COLUMNS = (Col("country"), Col("before"), Col("after"), Col("status"))
COUNTRY_COLUMNS = (Col("country"), Col("users"), Col("minLevel", "MIN"), Col("maxLevel", "MAX"))


def _ctx() -> Any:
    from eclictl.context import current

    return current()


# -- the rule string ------------------------------------------------------------------------------
def entries(text: str) -> list[dict[str, Any]]:
    """Every non-empty entry with what the panel makes of it (`key`/`level` None = skipped by the panel)."""
    from eclictl.settings_schema import GEO_LEVELS, parse_geo

    import math

    out = []
    for entry in parse_geo(text):  # the panel's own parse (settings_schema): problem = skipped by the panel
        key, level = entry.key, entry.value
        if key is None:
            note = f"ignored by the panel: {entry.problem}"
        else:
            note = f"applied by the panel, but: {entry.warning}" if entry.warning else None
        effect = GEO_LEVELS.get(math.floor(level)) if level is not None else None
        out.append({"country": key, "level": level, "effect": effect, "entry": entry.raw, "note": note})
    return out


def render_rules(raw_entries: list[str], original: str) -> str:
    """Join entries the way the original was written (newlines stay newlines)."""
    return ("\n" if "\n" in original and "," not in original else ", ").join(raw_entries)


def edit_rules(text: str, levels: dict[str, int | None]) -> tuple[str, list[dict[str, Any]]]:
    """Set (`level`) or remove (None) countries; other entries are kept verbatim. Returns (new text, changes)."""
    parsed = entries(text)
    before = {e["country"]: e["level"] for e in parsed if e["country"] is not None}
    kept: list[str] = []
    written: set[str] = set()
    for entry in parsed:
        country = entry["country"]
        if country in levels:
            level = levels[country]
            if level is not None and country not in written:
                kept.append(f"{country}:{level}")
                written.add(country)
            continue  # removed, or a later duplicate of a rewritten country
        kept.append(entry["entry"])
    for country, level in levels.items():
        if level is not None and country not in written:
            kept.append(f"{country}:{level}")
    changes = []
    for country, level in levels.items():
        old = before.get(country)
        if level is None:
            status = "removed" if country in before else "not present"
        else:
            status = "unchanged" if old == level else ("changed" if country in before else "added")
        changes.append({"country": country, "before": old, "after": level, "status": status})
    return render_rules(kept, text), changes


def _codes(values: list[str], *, iso_only: bool) -> list[str]:
    from eclictl.settings_schema import ISO_COUNTRIES

    out = []
    for value in values:
        code = value.strip().lower()
        if iso_only and (len(code) != 2 or code.upper() not in ISO_COUNTRIES):
            raise UsageError(f"'{value}' is not an ISO 3166 country code (two letters, e.g. RU, BY)",
                             hint="GB is the United Kingdom's code" if code in ("uk", "en") else None)
        if not code or re.search(r"[,\n:=;]", code):
            raise UsageError(f"'{value}' is not a country key")
        out.append(code)
    return list(dict.fromkeys(out))


def _write(ctx: Any, levels: dict[str, int | None], *, dry_run: bool, yes: bool, question: str) -> Any:
    """add/remove: the rules with `levels` applied (None removes a country), shown, confirmed,
    remembered for undo, written in one PUT and checked against what the panel stored."""
    from eclictl.output.render import View
    from eclictl.sections.settings import put_settings

    current = _current(ctx)
    new, changes = edit_rules(current, levels)
    if new == current or all(c["status"] in ("unchanged", "not present") for c in changes):
        ctx.info("nothing to change")
        return View(changes, columns=CHANGE_COLUMNS, id_field="country", json_data={KEY: current, "changes": changes})
    if dry_run:
        ctx.info(f"would set {KEY} to: {new!r}")
        return View(changes, columns=CHANGE_COLUMNS, id_field="country",
                    json_data={"dryRun": True, KEY: new, "changes": changes})
    ctx.confirm(question, yes=yes, what="change geo-blocking")
    from eclictl.safety.undo import remember_settings

    remember_settings(ctx, {KEY: new}, {KEY: current})  # for `eclictl undo` / --revert-after
    stored = put_settings(ctx.api, {KEY: new})
    if KEY in stored and stored[KEY] != new:
        raise EclictlError(f"the panel stored {stored[KEY]!r}, not {new!r}")
    return View(changes, columns=CHANGE_COLUMNS, id_field="country", json_data={KEY: new, "changes": changes})


def _current(ctx: Any) -> str:
    from eclictl.sections.settings import fetch_settings

    value = fetch_settings(ctx.api).get(KEY)
    return value if isinstance(value, str) else ""


def _num(value: Any) -> float:
    """A number from the metrics body, 0 for anything else (the route's byCountry is untyped: t.Any)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            return float(str(value)) if value is not None else 0.0
        except ValueError:
            return 0.0
    return float(value)


# -- verbs ----------------------------------------------------------------------------------------
@app.command("list", epilog="Examples:\n\n  eclictl geoblock list\n\n  eclictl geoblock list -o json")
@command()
def list_rules() -> Any:
    """List the geo-block rules, what each level blocks, and entries the panel ignores."""
    from eclictl.output.render import View

    ctx = _ctx()
    text = _current(ctx)
    rows = entries(text)
    return View(rows, columns=RULE_COLUMNS, id_field="country", empty="no geo-block rules",
                json_data=rows)


@app.command("add", epilog="Examples:\n\n  eclictl geoblock add ru by --level 5 --yes\n\n"
             "  eclictl geoblock add cn:2 kp:5 --yes\n\n  eclictl geoblock add de --level 1 --dry-run")
@command(undoable=True)
def add(
    countries: Annotated[list[str], typer.Argument(metavar="CC[:LEVEL]...", help="ISO country codes, optionally "
                                                   "with their own level (ru:5).")],
    level: opt(int, "--level", "-l", min=0, max=5, help="Level 0-5 for codes without one (1 no KYC, 2 no "
               "free, 3 no edu, 4 subuser-only, 5 no registration).") = None,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
) -> Any:
    """Add or change geo-block rules for countries (other entries are kept as they are)."""
    ctx = _ctx()
    levels: dict[str, int | None] = {}
    for arg in countries:
        code, sep, lvl = arg.partition(":")
        if sep:
            if not lvl.strip().isdigit() or not 0 <= int(lvl) <= 5:
                raise UsageError(f"'{arg}': the level must be a whole number 0-5")
            value = int(lvl)
        elif level is None:
            raise UsageError(f"no level for '{arg}': pass --level N or write {arg}:N")
        else:
            value = level
        levels[_codes([code], iso_only=True)[0]] = value
    summary = ", ".join(f"{c}:{lv}" for c, lv in levels.items())
    return _write(ctx, levels, dry_run=dry_run, yes=yes,
                  question=f"Set geo-block levels {summary}? Users from those countries lose access accordingly.")


@app.command("remove", epilog="Examples:\n\n  eclictl geoblock remove by --yes\n\n"
             "  eclictl geoblock remove cn kp --dry-run")
@command(undoable=True)
def remove(
    countries: Annotated[list[str], typer.Argument(metavar="CC...", help="Country keys to unblock (ISO codes, or "
                                                   "a full name used in the rules).")],
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
) -> Any:
    """Remove the geo-block rules of countries (other entries are kept as they are)."""
    ctx = _ctx()
    codes = _codes(countries, iso_only=False)
    return _write(ctx, {c: None for c in codes}, dry_run=dry_run, yes=yes,
                  question=f"Remove the geo-block rules of {', '.join(codes)}?")


@app.command("metrics", epilog="Examples:\n\n  eclictl geoblock metrics\n\n  eclictl geoblock metrics --by-country\n\n"
             "  eclictl geoblock metrics -o json")
@command()
def metrics(
    by_country: bool_opt("--by-country", help="One row per billing country instead.") = False,
) -> Any:
    """Show how many users each geo-block level affects (needs admin:geoblock:view; slow on big panels)."""
    from eclictl.output.render import View

    ctx = _ctx()
    body = ctx.api.get(METRICS_PATH, timeout=120.0)
    if not isinstance(body, dict):
        raise EclictlError("the panel did not answer the geo-block metrics with a JSON object")
    if not by_country:
        return View(body, detail=True, title="geo-block metrics")
    countries = body.get("byCountry") if isinstance(body.get("byCountry"), dict) else {}
    rows = [{**(v if isinstance(v, dict) else {}), "country": k} for k, v in countries.items()]
    rows.sort(key=lambda r: (-_num(r.get("maxLevel")), -_num(r.get("users")), str(r["country"])))
    return View(rows, columns=COUNTRY_COLUMNS, id_field="country", json_data=body, empty="no users")
