"""Payment methods tab: `/api/admin/payment-methods` (docs/panel/payment-methods.md).

The list is one panel setting and POST replaces all of it (last writer wins, no version check).
So every change here is read-modify-write: read the list, change it locally, show the diff,
re-read just before sending and refuse if it moved, POST the whole list, then compare what the
panel stored with what was sent. The route accepts only login sessions: API keys always get 401.
"""

from __future__ import annotations

import contextlib
import copy
import time
from dataclasses import replace
from typing import Annotated, Any, Callable, Iterator, Optional

import typer

from eclictl.errors import NotFoundError, RejectedError, UsageError
from eclictl.options import DryRunOpt, YesOpt, command
from eclictl.output.columns import Col
from eclictl.sections._spec import Filter, ListOpts, Section, add_list, build

PATH = "/api/admin/payment-methods"
TYPES = ("crypto", "paypal", "bank_transfer", "other")
NETWORKS = ("bitcoin", "ethereum", "usdt_erc20", "usdt_trc20", "litecoin", "monero", "solana", "lightning")
FIELDS = ("id", "type", "label", "enabled", "address", "currency", "network", "instructions")
MAX_METHODS = 20
METHOD_PANEL = "Method"
SESSION_HINT = ("payment methods accept only a login session: API keys (even root admin keys) always get 401; "
                "run `eclictl auth login`")

METHODS = Section(
    name="payment-methods",
    help="Checkout payment methods: list, show, add, edit, enable, disable, remove, import, export (login only).",
    path=PATH,
    columns=(Col("id"), Col("type"), Col("label"), Col("enabled"), Col("currency"), Col("network"),
             Col("address", max_width=32)),
    id_type=str,
    name_fields=("label",),
    permission="admin:payment:manage",
    tab="payments",
    sensitive={"address": "pii", "instructions": "pii"},
    empty="no payment methods",
    verbs=(),
    session_only=True,
    examples=("eclictl payment-methods list --enabled", "eclictl payment-methods show btc"),
)
app = build(METHODS)


@contextlib.contextmanager
def _session_hint(ctx: Any) -> Iterator[None]:
    """A 401 while using an API key explains that a session login is needed."""
    from eclictl.api.errors import ApiAuthError

    try:
        yield
    except ApiAuthError as exc:
        if ctx.settings.api_key:
            exc.hint = SESSION_HINT
        raise


def read_methods(ctx: Any) -> list[dict[str, Any]]:
    with _session_hint(ctx):
        body = ctx.api.get(PATH)
    from eclictl.api.pagination import rows_of

    return [dict(r) for r in rows_of(body, "methods", f"GET {PATH}")]


def cleaned(m: dict[str, Any]) -> dict[str, Any]:
    """What the panel stores for a valid method: trimmed strings, empty optionals and unknown keys dropped."""
    out = {"id": m["id"], "type": m["type"], "label": m["label"].strip(), "enabled": m["enabled"],
           "address": m["address"].strip()}
    for key in ("currency", "network", "instructions"):
        if m.get(key):
            out[key] = m[key].strip() if key != "network" else m[key]
    return out


def check(methods: list[dict[str, Any]]) -> None:
    """The panel's rules, checked before anything is sent (exit 2)."""
    if len(methods) > MAX_METHODS:
        raise UsageError(f"the panel keeps at most {MAX_METHODS} payment methods, this list has {len(methods)}")
    seen: set[str] = set()
    for m in methods:
        ident = m.get("id")
        if not isinstance(ident, str) or not ident:
            raise UsageError("every payment method needs a non-empty string id")
        if ident in seen:
            raise UsageError(f"duplicate payment method id '{ident}' (checkout would use the first enabled one)")
        seen.add(ident)
        if m.get("type") not in TYPES:
            raise UsageError(f"method '{ident}': type must be one of {', '.join(TYPES)}")
        for key in ("label", "address"):
            if not isinstance(m.get(key), str) or not m[key].strip():
                raise UsageError(f"method '{ident}': {key} must be a non-empty text")
        if not isinstance(m.get("enabled"), bool):
            raise UsageError(f"method '{ident}': enabled must be true or false")
        if "network" in m and m["network"] not in NETWORKS:
            raise UsageError(f"method '{ident}': network must be one of {', '.join(NETWORKS)} (or left out)")
        for key in ("currency", "instructions"):
            if key in m and not isinstance(m[key], str):
                raise UsageError(f"method '{ident}': {key} must be text")
        extra = sorted(set(m) - set(FIELDS))
        if extra:
            raise UsageError(f"method '{ident}': unknown field(s) {', '.join(extra)} (the panel drops them)")


def diff(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per added, removed or changed method (and a reorder), in the new list's order."""
    old = {m.get("id"): m for m in before}
    new = {m.get("id"): m for m in after}
    rows = []
    for ident, m in new.items():
        if ident not in old:
            rows.append({"id": ident, "change": "added", "fields": ", ".join(k for k in FIELDS if k in m)})
        elif old[ident] != m:
            keys = [k for k in FIELDS if old[ident].get(k) != m.get(k)]
            rows.append({"id": ident, "change": "changed",
                         "fields": ", ".join(f"{k}: {old[ident].get(k)!r} -> {m.get(k)!r}" for k in keys)})
    rows += [{"id": i, "change": "removed", "fields": ""} for i in old if i not in new]
    if not rows and [m.get("id") for m in before] != [m.get("id") for m in after]:
        rows.append({"id": "", "change": "reordered", "fields": ", ".join(str(m.get("id")) for m in after)})
    return rows


def apply(ctx: Any, change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]], *, yes: bool,
          dry_run: bool, action: str) -> Any:
    """Read, change, diff, confirm, re-read (refuse if moved), replace, verify."""
    from eclictl.output.render import View

    before = read_methods(ctx)
    after = [cleaned(m) for m in _checked(change(copy.deepcopy(before)))]
    rows = diff(before, after)
    view = View(rows, columns=(Col("id"), Col("change"), Col("fields")), id_field="id",
                sensitive={"fields": "pii"}, empty="no change", json_data={"changes": rows, "methods": after})
    if not rows or dry_run:
        if not rows:
            ctx.info("nothing to change: the panel already has this list")
        return view
    for row in rows:
        ctx.info(f"{row['change']:>9} {row['id']} {row['fields']}".rstrip())
    ctx.confirm(f"Replace the panel's payment method list ({len(rows)} change(s))? Customers see it at checkout.",
                yes=yes, what=action)
    if read_methods(ctx) != before:
        raise RejectedError("the payment method list changed on the panel since it was read; nothing was sent",
                            hint="run the command again to see the new differences")
    with _session_hint(ctx):
        body = ctx.api.post(PATH, {"methods": after})
    stored = body.get("methods") if isinstance(body, dict) else None
    if stored is None:
        stored = read_methods(ctx)
    if stored != after:
        raise RejectedError("the panel stored a different list than the one sent",
                            hint="check it with `eclictl payment-methods list`")
    return View(rows, columns=(Col("id"), Col("change"), Col("fields")), id_field="id",
                sensitive={"fields": "pii"}, json_data={"changes": rows, "methods": stored})


def _checked(methods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    check(methods)
    return methods


def _find(methods: list[dict[str, Any]], ref: str) -> dict[str, Any]:
    hits = [m for m in methods if m.get("id") == ref] or [m for m in methods if m.get("label") == ref]
    if not hits:
        raise NotFoundError(f"no payment method '{ref}'")
    if len(hits) > 1:
        raise RejectedError(f"'{ref}' matches several payment methods", hint="use the id")
    return hits[0]


# -- read verbs ---------------------------------------------------------------------------------

add_list(app, replace(
    METHODS, filters=(Filter("enabled", "Only enabled methods.", is_flag=True),),
    list_opts=ListOpts(limit=None, all=None, filters_first=True), list_rows=lambda ctx, params: read_methods(ctx),
), "List every payment method, disabled ones included (admin:payment:manage, login session only).",
    ("eclictl payment-methods list", "eclictl payment-methods list --enabled -o json",
     "eclictl payment-methods list --web"))


@app.command("show", epilog="Examples:\n\n  eclictl payment-methods show btc\n\n  eclictl payment-methods show PayPal -o json")
@command()
def show(ref: Annotated[str, typer.Argument(metavar="ID|LABEL", help="The method's id or exact label.")]) -> Any:
    """Show one payment method."""
    from eclictl.context import current
    from eclictl.output.render import View

    return View(_find(read_methods(current()), ref), detail=True, sensitive=METHODS.sensitive)


@app.command("export", epilog="Examples:\n\n  eclictl payment-methods export -f methods.json\n\n"
             "  eclictl payment-methods export > methods.json")
@command(output=False)
def export(
    file: Annotated[Optional[str], typer.Option("--file", "-f", metavar="FILE", help="Write to FILE (0600, replaced "
                                                "atomically; '-' or none: stdout).", show_default=False)] = None,
) -> Any:
    """Write the whole list as JSON ({"methods": [...]}), the input of `import` (real values, never masked)."""
    import json

    from eclictl.context import current
    from eclictl.files import note_exports_unmasked, write_private

    ctx = current()
    text = json.dumps({"methods": read_methods(ctx)}, indent=2, ensure_ascii=False) + "\n"
    if file in (None, "-"):
        ctx.io.stdout.write(text)
    else:
        write_private(str(file), text)
        ctx.info(f"wrote {file}")
    if file not in (None, "-") or not ctx.io.stdout_tty:
        note_exports_unmasked(ctx)
    return None


# -- write verbs: each one replaces the whole list ----------------------------------------------

TypeOpt = Annotated[Optional[str], typer.Option("--type", help=f"One of {', '.join(TYPES)}.",
                                                rich_help_panel=METHOD_PANEL, show_default=False)]
LabelOpt = Annotated[Optional[str], typer.Option("--label", help="Name shown at checkout.", rich_help_panel=METHOD_PANEL,
                                                 show_default=False)]
AddressOpt = Annotated[Optional[str], typer.Option("--address", help="Wallet, PayPal e-mail or IBAN.",
                                                   rich_help_panel=METHOD_PANEL, show_default=False)]
CurrencyOpt = Annotated[Optional[str], typer.Option("--currency", help="e.g. BTC, EUR ('' removes it).",
                                                    rich_help_panel=METHOD_PANEL, show_default=False)]
NetworkOpt = Annotated[Optional[str], typer.Option("--network", help=f"One of {', '.join(NETWORKS)} ('' removes it).",
                                                   rich_help_panel=METHOD_PANEL, show_default=False)]
InstrOpt = Annotated[Optional[str], typer.Option("--instructions", help="Shown to the customer ('' removes it).",
                                                 rich_help_panel=METHOD_PANEL, show_default=False)]


def _fields(**given: Any) -> dict[str, Any]:
    return {k: v for k, v in given.items() if v is not None}


def _set(method: dict[str, Any], fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if value == "" and key in ("currency", "network", "instructions"):
            method.pop(key, None)
        else:
            method[key] = value


def _run(change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]], *, yes: bool, dry_run: bool,
         action: str) -> Any:
    from eclictl.context import current

    return apply(current(), change, yes=yes, dry_run=dry_run, action=action)


@app.command("add", epilog="Examples:\n\n  eclictl payment-methods add --type crypto --label Litecoin "
             "--address ltc1q... --currency LTC --network litecoin\n\n"
             "  eclictl payment-methods add --type other --label Cash --address 'at the office' --disabled --yes")
@command()
def add(type_: TypeOpt = None, label: LabelOpt = None, address: AddressOpt = None, currency: CurrencyOpt = None,
        network: NetworkOpt = None, instructions: InstrOpt = None,
        ident: Annotated[Optional[str], typer.Option("--id", help="Id to use (default: method_<epoch ms>, as the "
                                                     "portal does).", rich_help_panel=METHOD_PANEL,
                                                     show_default=False)] = None,
        disabled: Annotated[bool, typer.Option("--disabled", help="Add it switched off.",
                                               rich_help_panel=METHOD_PANEL)] = False,
        yes: YesOpt = False, dry_run: DryRunOpt = False) -> Any:
    """Add a method (read-modify-write of the whole list, with a diff)."""
    missing = [n for n, v in (("--type", type_), ("--label", label), ("--address", address)) if not v]
    if missing:
        raise UsageError(f"missing {', '.join(missing)}")
    method = {"id": ident or f"method_{int(time.time() * 1000)}", "type": type_, "label": label,
              "enabled": not disabled, "address": address}
    _set(method, _fields(currency=currency, network=network, instructions=instructions))
    return _run(lambda rows: rows + [method], yes=yes, dry_run=dry_run, action="add a payment method")


@app.command("edit", epilog="Examples:\n\n  eclictl payment-methods edit btc --address bc1q...\n\n"
             "  eclictl payment-methods edit sepa --instructions ''")
@command()
def edit(ref: Annotated[str, typer.Argument(metavar="ID|LABEL", help="The method to change.")],
         type_: TypeOpt = None, label: LabelOpt = None, address: AddressOpt = None, currency: CurrencyOpt = None,
         network: NetworkOpt = None, instructions: InstrOpt = None, yes: YesOpt = False,
         dry_run: DryRunOpt = False) -> Any:
    """Change fields of one method (open orders show the current address: check them first)."""
    fields = _fields(type=type_, label=label, address=address, currency=currency, network=network,
                     instructions=instructions)
    if not fields:
        raise UsageError("nothing to change: give at least one of --type, --label, --address, --currency, "
                         "--network, --instructions")

    def change(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        _set(_find(rows, ref), fields)
        return rows

    return _run(change, yes=yes, dry_run=dry_run, action="edit a payment method")


def _many(refs: list[str], fn: Callable[[list[dict[str, Any]], dict[str, Any]], None]) -> Callable[..., Any]:
    def change(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for ref in refs:
            fn(rows, _find(rows, ref))
        return rows

    return change


IdsArg = Annotated[list[str], typer.Argument(metavar="ID...", help="Method ids or labels; '-' reads stdin.")]


def _ids(refs: list[str]) -> list[str]:
    from eclictl.context import current

    return current().read_ids(refs)


@app.command("enable", epilog="Examples:\n\n  eclictl payment-methods enable sepa --yes")
@command()
def enable(refs: IdsArg, yes: YesOpt = False, dry_run: DryRunOpt = False) -> Any:
    """Switch methods on (one list write for all of them)."""
    return _run(_many(_ids(refs), lambda rows, m: m.update(enabled=True)), yes=yes, dry_run=dry_run,
                action="enable payment methods")


@app.command("disable", epilog="Examples:\n\n  eclictl payment-methods disable btc paypal --yes")
@command()
def disable(refs: IdsArg, yes: YesOpt = False, dry_run: DryRunOpt = False) -> Any:
    """Switch methods off (customers no longer see them; open orders keep their copied address)."""
    return _run(_many(_ids(refs), lambda rows, m: m.update(enabled=False)), yes=yes, dry_run=dry_run,
                action="disable payment methods")


@app.command("remove", epilog="Examples:\n\n  eclictl payment-methods remove method_1733390000000 --yes")
@command()
def remove(refs: IdsArg, yes: YesOpt = False, dry_run: DryRunOpt = False) -> Any:
    """Remove methods from the list (checkout then rejects their id; open orders lose their instructions)."""
    return _run(_many(_ids(refs), lambda rows, m: rows.remove(m)), yes=yes, dry_run=dry_run,
                action="remove payment methods")


@app.command("import", epilog="Examples:\n\n  eclictl payment-methods import methods.json --dry-run\n\n"
             "  eclictl payment-methods export | jq '.methods[0].enabled=false' | eclictl payment-methods import - --yes")
@command()
def import_cmd(file: Annotated[str, typer.Argument(metavar="FILE", help="JSON file ({\"methods\": [...]} or a "
                                                   "list); '-' reads stdin.")],
               yes: YesOpt = False, dry_run: DryRunOpt = False) -> Any:
    """Replace the whole list with a file's (diff first; methods missing from the file are removed)."""
    from eclictl.context import current
    from eclictl.inputs import loads_json

    ctx = current()
    text = ctx.read_text(file)
    try:
        data = loads_json(text)
    except ValueError:
        raise UsageError(f"{file} is not valid JSON") from None
    rows = data.get("methods") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise UsageError(f'{file} must hold {{"methods": [...]}} or a list of method objects')
    check(rows)
    return _run(lambda _current: [dict(r) for r in rows], yes=yes, dry_run=dry_run,
                action="replace the payment method list")
