"""Settings tab: `GET/PUT /api/admin/settings` (docs/panel/settings.md).

The panel does no type checking on PUT (a string where a boolean belongs is stored and read
back as something else), so every value is checked against eclictl/settings_schema.py BEFORE
any request. Feature flags are cached by the panel for 10 s and a PUT does not clear the cache,
so flag changes go out in one PUT and are verified after the cache window (`eclictl flags`).
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from eclictl.errors import EclictlError, UsageError
from eclictl.options import DryRunOpt, YesOpt, bool_opt, command, opt
from eclictl.output.columns import Col
from eclictl.sections._settings_lib import PATH, fetch_settings, put_settings
from eclictl.sections._spec import Section, build

FILE_PANEL = "Settings as code"
VERIFY_PANEL = "Verify"


def settings_section(name: str, help: str, examples: tuple[str, ...]) -> Section:
    """A section over the panel's one settings record (GET/PUT on PATH, gated by admin:settings,
    the portal's settings tab): only custom verbs, nothing to list or search by name."""
    return Section(name=name, help=help, path=PATH, permission="admin:settings", tab="settings", verbs=(),
                   searchable=False, examples=examples)


SETTINGS = settings_section(
    "settings", "Panel settings: show, set (typed), export/diff/apply as TOML.",
    ("eclictl settings show", "eclictl settings set billingCurrency=EUR"))
app = build(SETTINGS)

CHANGE_COLUMNS = (Col("key"), Col("panel"), Col("file"))
SET_COLUMNS = (Col("key"), Col("sent"), Col("stored"))
FLAG_RESULT_COLUMNS = (Col("flag"), Col("wanted"), Col("before"), Col("now"), Col("status"))

WaitOpt = Annotated[float, typer.Option("--wait", metavar="SECONDS", min=0, help="How long to wait before reading "
                                        "flags back (the panel caches them for 10 s).", rich_help_panel=VERIFY_PANEL)]
NoVerifyOpt = bool_opt("--no-verify", help="Do not wait and read the flags back.", panel=VERIFY_PANEL)


def _ctx() -> Any:
    from eclictl.context import current

    return current()


# -- shared with flags.py and geoblock.py (fetch_settings and put_settings too) -------------------
def current_flags(settings: dict[str, Any]) -> dict[str, Any]:
    flags = settings.get("featureToggles")
    return dict(flags) if isinstance(flags, dict) else {}


def verify_flags(ctx: Any, wanted: dict[str, bool], before: dict[str, Any], *, wait: float,
                 verify: bool) -> Any:
    """Wait out the panel's flag cache, read the flags back, and fail naming the ones that did not stick."""
    from eclictl.output.render import View

    rows = [{"flag": name, "wanted": on, "before": before.get(name), "now": None, "status": "not verified"}
            for name, on in wanted.items()]
    if not verify:
        ctx.info("not verified (--no-verify): the panel caches flags for 10 s; check with `eclictl flags list` later")
        return View(rows, columns=FLAG_RESULT_COLUMNS, id_field="flag")
    if wait > 0:
        ctx.info(f"waiting {wait:g} s for the panel's flag cache before reading the flags back (--no-verify skips)")
        ctx.factory.sleep(wait)
    now = current_flags(fetch_settings(ctx.api))
    for row in rows:
        row["now"] = now.get(row["flag"])
        row["status"] = "ok" if row["now"] is row["wanted"] else "did not stick"
    view = View(rows, columns=FLAG_RESULT_COLUMNS, id_field="flag")
    failed = [r["flag"] for r in rows if r["status"] != "ok"]
    if failed:
        ctx.emit(view)
        raise EclictlError(f"flag change did not stick: {', '.join(failed)} (the panel still shows the old value)",
                           hint="another flag change within 10 s may have restored them (the panel's flag cache); "
                                "wait 10 s and rerun")
    return view


# -- show ---------------------------------------------------------------------------------------
@app.command("show", epilog="Examples:\n\n  eclictl settings show\n\n  eclictl settings show billingCurrency\n\n"
             "  eclictl settings show featureToggles -o json\n\n  eclictl settings show webauthn.enabled")
@command(config=True)
def show(key: Annotated[Optional[str], typer.Argument(metavar="[KEY]", help="One setting (dots reach into "
                                                      "featureToggles and webauthn).", show_default=False)] = None
         ) -> Any:
    """Show the panel settings, or one of them."""
    from eclictl.output.render import View
    from eclictl.settings_schema import SCHEMA

    ctx = _ctx()
    if key is not None and not key.strip():
        raise UsageError("KEY cannot be empty")
    body = fetch_settings(ctx.api)
    if key is None:
        return View(body, detail=True, title="panel settings")
    top, _, sub = key.partition(".")
    spec = SCHEMA.get(top)
    if top not in body:
        if spec is not None and not spec.in_get:
            raise UsageError(f"'{top}' is write-only: GET /api/admin/settings does not return it",
                             hint=f"set it with `eclictl settings set {top}=VALUE`")
        raise UsageError(f"the panel has no setting '{top}'", hint=f"settings: {', '.join(sorted(body))}")
    value = body[top]
    if sub:
        if not isinstance(value, dict) or sub not in value:
            raise UsageError(f"'{top}' has no entry '{sub}'")
        value = value[sub]
    if isinstance(value, dict):
        return View(value, detail=True, title=key)
    return View({key: value}, detail=True)


# -- set ----------------------------------------------------------------------------------------
def parse_set(pairs: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """KEY=VALUE pairs -> (body, webauthn partial fields). UsageError on the first bad one."""
    from eclictl.settings_schema import SchemaError, parse_cli_value

    body: dict[str, Any] = {}
    partial: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"expected KEY=VALUE, got '{pair}'", hint="e.g. billingCurrency=EUR")
        key, raw = pair.split("=", 1)
        key = key.strip()
        try:
            top, value = parse_cli_value(key, raw)
        except SchemaError as exc:
            raise UsageError(str(exc)) from None
        if top == "featureToggles":
            body.setdefault("featureToggles", {}).update(value)
        elif top == "webauthn" and "." in key:
            partial.update(value)
        else:
            body[top] = value
    return body, partial


@app.command("set", epilog="Examples:\n\n  eclictl settings set billingCurrency=EUR\n\n"
             "  eclictl settings set registrationEnabled=false registrationNotice='Closed for maintenance'\n\n"
             "  eclictl settings set 'geoBlockCountries=ru:5, by:4'\n\n"
             "  eclictl settings set webauthn.allowDiscoverable=true\n\n"
             "  eclictl settings set gamblingPowerDenyChance=0.25 --dry-run")
@command(config=True, undoable=True)
def set_(
    pairs: Annotated[list[str], typer.Argument(metavar="KEY=VALUE...", help="Settings to change, typed per the "
                                               "schema (bool, number, string, rule string, JSON).")],
    dry_run: DryRunOpt = False,
) -> Any:
    """Change settings in one PUT (values are type-checked first: the panel stores anything)."""
    from eclictl.output.render import View

    ctx = _ctx()
    body, partial = parse_set(pairs)
    _warn_rules(ctx, body)
    if partial:
        if "webauthn" in body:
            raise UsageError("give either webauthn={...} or webauthn.FIELD=VALUE, not both")
        current = fetch_settings(ctx.api).get("webauthn")
        body["webauthn"] = {**(current if isinstance(current, dict) else {}), **partial}
        ctx.info("note: a webauthn PUT replaces the whole stored object; sending every current field")
    if dry_run:
        rows = [{"key": k, "sent": v, "stored": "(dry run)"} for k, v in body.items()]
        return View(rows, columns=SET_COLUMNS, id_field="key", json_data={"dryRun": True, "body": body})
    from eclictl.safety.undo import remember_settings

    remember_settings(ctx, body)  # for `eclictl undo` / --revert-after
    stored = put_settings(ctx.api, body)
    rows = _set_rows(ctx, body, stored)
    return View(rows, columns=SET_COLUMNS, id_field="key", json_data={"sent": body, "settings": stored})


def _warn_rules(ctx: Any, body: dict[str, Any]) -> None:
    """Rule-string entries the panel applies but that may not do what was meant (never refused)."""
    from eclictl.settings_schema import rule_warnings

    for key, value in body.items():
        for warning in rule_warnings(key, value):
            ctx.warn(f"{key}: {warning}")


def _set_rows(ctx: Any, body: dict[str, Any], stored: dict[str, Any]) -> list[dict[str, Any]]:
    from eclictl.settings_schema import SCHEMA, same

    rows = []
    for key, value in body.items():
        if key == "featureToggles":
            ctx.info("note: the panel caches flags for 10 s: its answer may still show the old flags "
                     "(`eclictl flags enable/disable` verifies)")
            for name, on in value.items():
                rows.append({"key": f"featureToggles.{name}", "sent": on, "stored": "(cached: see flags list)"})
            continue
        if not SCHEMA[key].in_get:
            rows.append({"key": key, "sent": value, "stored": "(write-only)"})
            continue
        now = stored.get(key, "(not returned)")
        rows.append({"key": key, "sent": value, "stored": now})
        if stored and key in stored and not same(key, value, now):
            ctx.warn(f"{key}: the panel stored {now!r}, not {value!r}")
    return rows


# -- settings as code ---------------------------------------------------------------------------
_HEADER = ("# EcliPanel settings as code: `eclictl settings diff -f FILE`, `eclictl settings apply -f FILE`.\n"
           "# Only the keys present are compared and written. featureToggles are merged by the panel;\n"
           "# webauthn is REPLACED as a whole. org_formation_fee / org_dns_addon_price may be added (write-only).\n")


def export_toml(settings: dict[str, Any]) -> tuple[str, list[str]]:
    """The settings the schema knows, as TOML; returns (text, notes about keys left out)."""
    import tomli_w

    from eclictl.settings_schema import SCHEMA

    doc: dict[str, Any] = {}
    notes: list[str] = []
    for key, value in settings.items():
        if key not in SCHEMA:
            notes.append(f"'{key}' is unknown to eclictl: not exported")
            continue
        if value is None:
            notes.append(f"'{key}' is null (TOML has no null): not exported")
            continue
        try:
            tomli_w.dumps({key: value})
        except (TypeError, ValueError):
            notes.append(f"'{key}' cannot be written as TOML (it contains null): not exported")
            continue
        doc[key] = value
    comments = "".join(f"# {n}\n" for n in notes)
    return _HEADER + comments + "\n" + tomli_w.dumps(doc), notes


def load_file(path: str, stdin: Any) -> dict[str, Any]:
    """A settings TOML file, every value type-checked (exit 2 naming the file and key)."""
    from eclictl.settings_schema import SchemaError, check_value
    from eclictl.tomlfile import read_toml

    _, data = read_toml(path, stdin)
    out: dict[str, Any] = {}
    for key, value in data.items():
        try:
            out[key] = check_value(key, value)
        except SchemaError as exc:
            raise UsageError(f"{path}: {exc}") from None
    return out


def make_plan(desired: dict[str, Any], panel: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(changes, PUT body). Flags: every flag of the file is sent when any differs (robust to the cache)."""
    from eclictl.settings_schema import SCHEMA, normalise, same

    changes: list[dict[str, Any]] = []
    body: dict[str, Any] = {}
    for key, wanted in desired.items():
        spec = SCHEMA[key]
        current = panel.get(key)
        if spec.kind in ("flags", "object"):
            current = current if isinstance(current, dict) else {}
            diffs = [k for k, v in wanted.items() if current.get(k) != v]
            for name in diffs:
                changes.append({"key": f"{key}.{name}", "panel": current.get(name), "file": wanted[name]})
            if diffs:
                body[key] = wanted
            continue
        if not spec.in_get:
            changes.append({"key": key, "panel": "(write-only: not readable)", "file": wanted})
            body[key] = wanted
            continue
        if key not in panel or not same(key, wanted, current):
            changes.append({"key": key, "panel": current, "file": normalise(key, wanted)})
            body[key] = wanted
    return changes, body


FileOpt = Annotated[str, typer.Option("--file", "-f", metavar="FILE", help="The settings TOML file ('-' = stdin).",
                                      rich_help_panel=FILE_PANEL)]


@app.command("export", epilog="Examples:\n\n  eclictl settings export -f settings.toml\n\n"
             "  eclictl settings export > settings.toml")
@command(output=False)
def export(
    file: opt(str, "--file", "-f", metavar="FILE", help="Write to FILE (0600, replaced atomically; '-' or none: "
              "stdout).", panel=FILE_PANEL) = None,
) -> Any:
    """Write the panel settings as TOML (for diff/apply)."""
    ctx = _ctx()
    text, notes = export_toml(fetch_settings(ctx.api))
    for note in notes:
        ctx.info(f"note: {note}")
    from eclictl.files import note_exports_unmasked, write_private

    if file in (None, "-"):
        ctx.io.stdout.write(text)
    else:
        write_private(str(file), text)
        ctx.info(f"wrote the settings to {file}")
    if file not in (None, "-") or not ctx.io.stdout_tty:
        note_exports_unmasked(ctx)
    return None


@app.command("diff", epilog="Examples:\n\n  eclictl settings diff -f settings.toml\n\n"
             "  eclictl settings diff -f settings.toml >/dev/null || echo 'settings drifted'")
@command(config=True)
def diff(file: FileOpt) -> Any:
    """Show what `apply` would change; exit 0 when nothing, 1 when changes are pending."""
    from eclictl.errors import QuietExit
    from eclictl.output.render import View

    ctx = _ctx()
    desired = load_file(file, ctx.io.stdin)
    changes, _ = make_plan(desired, fetch_settings(ctx.api))
    if not changes:
        ctx.info(f"no changes: the panel matches {file}")
        return None
    ctx.emit(View(changes, columns=CHANGE_COLUMNS, id_field="key"))
    raise QuietExit(1)


@app.command("apply", epilog="Examples:\n\n  eclictl settings apply -f settings.toml --dry-run\n\n"
             "  eclictl settings apply -f settings.toml --yes")
@command(config=True, undoable=True)
def apply(
    file: FileOpt,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    no_verify: NoVerifyOpt = False,
    wait: WaitOpt = 11.0,
) -> Any:
    """Make the panel settings match the file in one PUT (shows the diff; verifies changed flags)."""
    from eclictl.output.render import View

    ctx = _ctx()
    desired = load_file(file, ctx.io.stdin)
    panel = fetch_settings(ctx.api)
    changes, body = make_plan(desired, panel)
    if not changes:
        ctx.info(f"no changes: the panel matches {file}")
        return None
    if dry_run:
        return View(changes, columns=CHANGE_COLUMNS, id_field="key", json_data={"dryRun": True, "changes": changes,
                                                                                "body": body})
    for change in changes:
        ctx.info(f"  ~ {change['key']}: {change['panel']!r} -> {change['file']!r}")
    _warn_rules(ctx, body)
    ctx.confirm(f"Apply {len(changes)} change(s) from {file} to the panel?", yes=yes, what="apply settings")
    from eclictl.safety.undo import remember_settings

    remember_settings(ctx, body, panel, wait=wait)  # for `eclictl undo` / --revert-after
    stored = put_settings(ctx.api, body)
    for key in body:
        if key != "featureToggles" and key in stored and key in panel:
            from eclictl.settings_schema import same

            if not same(key, body[key], stored[key]):
                ctx.warn(f"{key}: the panel stored {stored[key]!r}, not {body[key]!r}")
    flag_changes = {c["key"].split(".", 1)[1]: c["file"] for c in changes if c["key"].startswith("featureToggles.")}
    if flag_changes:
        verify_flags(ctx, flag_changes, current_flags(panel), wait=wait, verify=not no_verify)
    return View(changes, columns=CHANGE_COLUMNS, id_field="key", title=f"applied {len(changes)} change(s)")
