"""Shared option declarations and the `@command` decorator every verb uses.

The decorator adds the output options (-o, --columns, --no-headers, --redact...) to a verb,
so `eclictl users list -o json --redact` works as well as `eclictl --redact users list`,
and it hands whatever the verb returns to the one renderer.
"""

from __future__ import annotations

import functools
import inspect
from enum import Enum
from typing import Annotated, Any, Callable, Optional

import typer

from eclictl.inputs import loads_json

OUTPUT_PANEL = "Output"
SAFETY_PANEL = "Safety"


class OutputFormat(str, Enum):
    table = "table"
    wide = "wide"
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    ids = "ids"


OutputOpt = Annotated[Optional[OutputFormat], typer.Option(
    "--output", "-o", help="Output format (default: table on a terminal, tsv when piped). wide: a table "
    "that cuts nothing, with ISO times. csv prefixes text cells starting with = + - @ with ' "
    "(spreadsheet-safe); json/jsonl/tsv stay raw.",
    rich_help_panel=OUTPUT_PANEL, show_default=False)]
ColumnsOpt = Annotated[Optional[str], typer.Option(
    "--columns", help="Comma-separated columns to show, by key or header, e.g. id,email,created.",
    rich_help_panel=OUTPUT_PANEL,
    show_default=False)]
SortByOpt = Annotated[Optional[str], typer.Option(
    "--sort-by", metavar="FIELD", help="Sort the rows by FIELD, a column key or header (e.g. createdAt or "
    "CREATED); -FIELD or FIELD:desc sorts descending.", rich_help_panel=OUTPUT_PANEL, show_default=False)]
NoHeadersOpt = Annotated[bool, typer.Option(
    "--no-headers", help="Omit the header row (table, csv).", rich_help_panel=OUTPUT_PANEL)]
RedactOpt = Annotated[Optional[bool], typer.Option(
    "--redact/--no-redact", help="Mask personal data (names, e-mails, addresses, IPs...).",
    rich_help_panel=OUTPUT_PANEL, show_default=False)]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.",
                                      rich_help_panel=SAFETY_PANEL)]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.",
                                         rich_help_panel=SAFETY_PANEL)]


def opt(kind: Any, *names: str, help: str | None = None, panel: str | None = None, **more: Any) -> Any:
    """`Annotated[Optional[kind], typer.Option(*names, ...)]` with no default shown: the shape of most
    verb options, which default to None (= not given). `panel` is the help panel; `more` goes to
    typer.Option (metavar, min, ...)."""
    if panel is not None:
        more["rich_help_panel"] = panel
    return Annotated[Optional[kind], typer.Option(*names, help=help, show_default=False, **more)]


def bool_opt(*names: str, help: str | None = None, panel: str | None = None, **more: Any) -> Any:
    """`Annotated[bool, typer.Option(*names, ...)]`: an on/off option (the parameter's default, usually
    False, is the verb's); `panel` is the help panel."""
    if panel is not None:
        more["rich_help_panel"] = panel
    return Annotated[bool, typer.Option(*names, help=help, **more)]


def batch_opt(items: str) -> Any:
    """`--batch-size N` of a verb that sends its items in bulk requests (at most 500 a request)."""
    return Annotated[int, typer.Option("--batch-size", min=1, max=500, help=f"{items} per bulk request.",
                                       rich_help_panel=SAFETY_PANEL)]


_OUTPUT_PARAMS = {
    "output": OutputOpt,
    "columns": ColumnsOpt,
    "sort_by": SortByOpt,
    "no_headers": NoHeadersOpt,
    "redact": RedactOpt,
}
BULK_PANEL = "Bulk"
ConcurrencyOpt = Annotated[Optional[int], typer.Option(
    "--concurrency", min=1, max=64, metavar="N",
    help="Items processed at the same time (default: 8, or the profile's `concurrency`).",
    rich_help_panel=BULK_PANEL, show_default=False)]
RateOpt = Annotated[Optional[str], typer.Option(
    "--rate", metavar="N/min",
    help="Budget of requests started per minute, e.g. 300 or 300/min (default: 450; 0 = unpaced). "
         "The panel allows 500/min per IP.", rich_help_panel=BULK_PANEL, show_default=False)]
JournalOpt = Annotated[Optional[str], typer.Option(
    "--journal", metavar="FILE",
    help="Append each item's outcome to FILE as it happens (JSON lines, fsync'ed, 0600; the first line names "
         "the command, its arguments and the panel).",
    rich_help_panel=BULK_PANEL, show_default=False)]
ResumeOpt = Annotated[Optional[str], typer.Option(
    "--resume", metavar="FILE",
    help="Skip the items FILE (an earlier --journal of the same command, arguments and panel) records as done; "
         "new outcomes are appended to it.",
    rich_help_panel=BULK_PANEL, show_default=False)]

#: `--force` of the download verbs: without it an existing file is kept (exports hold personal data).
ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite an existing file.", rich_help_panel=SAFETY_PANEL)]

#: `-O FILE`: the old spelling of `--file/-f` on download verbs, still accepted but not shown.
LegacyFileOpt = Annotated[Optional[str], typer.Option("-O", hidden=True, show_default=False)]

_BULK_PARAMS = {
    "concurrency": ConcurrencyOpt,
    "rate": RateOpt,
    "journal": JournalOpt,
    "resume": ResumeOpt,
}
ReasonOpt = Annotated[Optional[str], typer.Option(
    "--reason", metavar="TEXT", help="Why: recorded in the local audit trail (`eclictl history`).",
    rich_help_panel=SAFETY_PANEL, show_default=False)]
ConfirmProfileOpt = Annotated[Optional[str], typer.Option(
    "--confirm-profile", metavar="NAME", help="Confirm the profile in use by name (what scripts pass on a "
    "protected profile; refused when NAME is not the profile in use).", rich_help_panel=SAFETY_PANEL,
    show_default=False)]
RevertAfterOpt = Annotated[Optional[str], typer.Option(
    "--revert-after", metavar="DURATION", help="Revert the change automatically after DURATION (e.g. 10m) "
    "unless `eclictl confirm` runs first.", rich_help_panel=SAFETY_PANEL, show_default=False)]
#: `--yes` on a changing verb that never asks: accepted (and ignored) so a script can pass it to every
#: verb that changes something; hidden, since there is nothing for it to confirm.
SilentYesOpt = Annotated[bool, typer.Option("--yes", "-y", hidden=True, help="Accepted for uniform scripts; "
                                            "this command never asks.")]
_SAFETY_PARAMS = {"reason": ReasonOpt, "confirm_profile": ConfirmProfileOpt}
_UNDO_PARAMS = {"revert_after": RevertAfterOpt}
_DEFAULTS = {"output": None, "columns": None, "sort_by": None, "no_headers": False, "redact": None,
             "concurrency": None, "rate": None, "journal": None, "resume": None,
             "reason": None, "confirm_profile": None, "revert_after": None, "yes": False}


def parse_rate(raw: str) -> int:
    """`450`, `450/min`, `7/s` -> requests per minute (0 = unpaced); a usage error otherwise."""
    from eclictl.config import parse_rate as parse
    from eclictl.errors import UsageError

    try:
        return parse(raw)
    except ValueError as exc:
        raise UsageError(f"--rate: {exc}") from None


def apply_bulk_options(concurrency: int | None = None, rate: str | None = None, journal: str | None = None,
                       resume: str | None = None, identity: dict[str, Any] | None = None) -> None:
    """Per-verb bulk flags become flag-level settings (they beat env and profile).

    `identity` (command path and arguments) is what a journal records in its header; a journal
    this run must not use (another command, other arguments, another panel, a missing --resume
    file, an unwritable path) is refused here, before the verb sends anything.
    """
    from eclictl.context import current

    ctx = current()
    changed = False
    if concurrency is not None:
        ctx.flags["concurrency"] = concurrency
        changed = True
    if rate is not None:
        ctx.flags["rate"] = parse_rate(rate)
        changed = True
    if changed:
        ctx._settings = None  # re-resolve (the API client is created later, sized to the concurrency)
    if journal is not None:
        ctx.bulk_journal = journal
    if resume is not None:
        ctx.bulk_resume = resume
    if identity is not None:
        ctx.bulk_identity = {**identity, "panel": ctx.settings.url, "profile": ctx.settings.profile}
    if journal is not None or resume is not None:
        from eclictl.journal import check_journal

        full = getattr(ctx, "bulk_identity", None) or {}
        if resume is not None:
            check_journal(resume, full, resume=True)
        if journal is not None and journal != resume:
            check_journal(journal, full, resume=False)


def apply_output_options(output: Any = None, columns: str | None = None, no_headers: bool = False,
                         redact: bool | None = None, sort_by: str | None = None) -> None:
    from eclictl.context import current

    ctx = current()
    if output is not None:
        ctx.output = output.value if isinstance(output, Enum) else str(output)
    if columns:
        ctx.columns = [c.strip() for c in columns.split(",") if c.strip()]
    if sort_by:
        ctx.sort_by = sort_by
    if no_headers:
        ctx.no_headers = True
    if redact is not None:
        ctx.redact_flag = redact


def command(*, output: bool = True, exclude: tuple[str, ...] = (), bulk: bool = False, config: bool = False,
            writes: bool | None = None, undoable: bool = False,
            ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a verb: add the output options and emit what it returns.

    `exclude` drops options a verb does not take (e.g. `--columns` on `eclictl api`); `-o` is always the
    output format, never a file name (files are `--file/-f FILE`).
    `bulk=True` (multi-item verbs) adds --concurrency/--rate/--journal/--resume; every
    BulkRunner the verb creates picks them up from the context, so no verb wires them by hand.
    `config=True`: the verb shows configuration (panel settings, profiles), not people, so
    privacy mode prints its data verbatim (its messages are still redacted).
    `writes`: the verb can change the panel, so it takes --reason and --confirm-profile (the
    audit trail and the protected-profile gate). Default: verbs with --yes or --dry-run, and bulk
    verbs; pass `writes=True` for any other verb that sends a POST/PUT/PATCH/DELETE (a test walks
    the command tree to check). Such a verb also accepts `--yes` (hidden when it never asks), so a
    script can pass it to every change. `undoable=True` (the verb calls eclictl.safety.undo.remember)
    also adds --revert-after.
    """

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        import typing

        # a verb without --columns has no rows to pick from, so none to sort either
        skip = (*exclude, "sort_by") if "columns" in exclude else exclude
        added = {k: v for k, v in _OUTPUT_PARAMS.items() if output and k not in skip}
        if bulk:
            added.update({k: v for k, v in _BULK_PARAMS.items() if k not in exclude})
        sig = inspect.signature(func)
        changing = writes if writes is not None else (
            bulk or undoable or "yes" in sig.parameters or "dry_run" in sig.parameters)
        if changing:
            added.update({k: v for k, v in _SAFETY_PARAMS.items() if k not in exclude})
            if "yes" not in sig.parameters:
                added["yes"] = SilentYesOpt
        if undoable:
            added.update(_UNDO_PARAMS)
        # Resolve string annotations in the verb's own module: Typer will look at the wrapper.
        hints = typing.get_type_hints(func, include_extras=True)
        params = [p.replace(annotation=_unwrap_implicit_optional(hints.get(p.name, p.annotation)))
                  for p in sig.parameters.values()]
        taken = {p.name for p in params}
        extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=_DEFAULTS[name],
                                   annotation=ann) for name, ann in added.items() if name not in taken]

        items = {p.name for p in params if _is_items_argument(p.annotation)}

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from eclictl.context import current

            opts = {name: kwargs.pop(name) for name in list(kwargs) if name in added and name not in taken}
            opts.pop("yes", None)  # the silent --yes: nothing to confirm
            bulk_opts = {k: opts.pop(k) for k in list(opts) if k in _BULK_PARAMS}
            if bulk:
                bulk_opts["identity"] = _identity(kwargs, items)
            apply_bulk_options(**bulk_opts)
            safety = {k: opts.pop(k) for k in list(opts) if k in _SAFETY_PARAMS or k in _UNDO_PARAMS}
            if changing:
                from eclictl.safety.run import apply_options

                if "reason" in taken and isinstance(kwargs.get("reason"), str) and kwargs["reason"].strip():
                    # the verb's own --reason (sent to the panel) is the audit reason too, unless the
                    # root option gave one: `eclictl --reason "ticket 42" servers suspend 7 --reason spam`
                    ctx = current()
                    if ctx.safety.reason is None:
                        safety.setdefault("reason", kwargs["reason"])
                apply_options(current(), **safety)
            apply_output_options(**opts)
            if config:
                current().shows_config = True
            result = func(*args, **kwargs)
            if result is not None:
                current().emit(result)
            return None

        # Typer reads the signature and annotations: present the merged parameter list.
        ordered = [p for p in params if p.kind != inspect.Parameter.VAR_KEYWORD]
        wrapper.__signature__ = sig.replace(parameters=_order(ordered + extra))  # type: ignore[attr-defined]
        wrapper.__annotations__ = {**{p.name: p.annotation for p in params},
                                   **{p.name: p.annotation for p in extra}}
        wrapper.__dict__.pop("__wrapped__", None)
        wrapper.__eclictl_verb__ = func  # type: ignore[attr-defined]  # the verb itself (tests inspect it)
        wrapper.__eclictl_writes__ = bool(changing)  # type: ignore[attr-defined]
        return wrapper

    return decorate


#: Parameters that do not change what a bulk run does to an item (left out of a journal's identity).
_NOT_IDENTITY = frozenset({"yes", "dry_run", *_OUTPUT_PARAMS, *_BULK_PARAMS})


def _is_items_argument(hint: Any) -> bool:
    """`Annotated[list[...], typer.Argument(...)]`: the items of a multi-item verb."""
    import typing

    from typer.models import ArgumentInfo

    if typing.get_origin(hint) is not typing.Annotated:
        return False
    base, *meta = typing.get_args(hint)
    return typing.get_origin(base) is list and any(isinstance(m, ArgumentInfo) for m in meta)


def _identity(kwargs: dict[str, Any], items: set[str]) -> dict[str, Any]:
    """The command path and the arguments that shape each item's action (not the items themselves,
    which may come from stdin and differ between a run and its resume)."""
    from typer._click.globals import get_current_context  # typer's own vendored copy

    ctx = get_current_context(silent=True)
    path = ctx.command_path if ctx is not None else ""
    command_name = path.split(" ", 1)[1] if path.startswith("eclictl ") else path

    def plain(value: Any) -> Any:
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        return str(value)

    params = {k: plain(v) for k, v in sorted(kwargs.items())
              if k not in items and k not in _NOT_IDENTITY and not _unset(v)}
    return {"command": command_name or None, "params": params}


def _unset(value: Any) -> bool:
    return value is None or value is False or (isinstance(value, (list, tuple)) and not value)


def _unwrap_implicit_optional(hint: Any) -> Any:
    """Python 3.10's get_type_hints turns `x: Annotated[T, typer.Option(...)] = None` into
    `Optional[Annotated[...]]`, which hides the option's names from Typer: undo that."""
    import typing

    if typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1 and typing.get_origin(args[0]) is typing.Annotated:
            return args[0]
    return hint


def _order(params: list[inspect.Parameter]) -> list[inspect.Parameter]:
    """Keep Python's parameter-kind ordering valid after appending keyword-only ones."""
    kinds = [inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
             inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.KEYWORD_ONLY]
    return sorted(params, key=lambda p: kinds.index(p.kind) if p.kind in kinds else 9)


def parse_assignments(pairs: list[str], *, what: str = "--set") -> dict[str, Any]:
    """`field=value` pairs with typed values: true/false, null, ints, floats, JSON, else string."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, raw = split_pair(pair, what)
        out[key] = typed_value(raw)
    return out


def split_pair(pair: str, what: str = "--set", form: str = "field=value") -> tuple[str, str]:
    """One `key=value` argument -> (stripped key, raw value); the one message for a missing '='."""
    if "=" not in pair:
        from eclictl.errors import UsageError

        raise UsageError(f"{what} expects {form}, got '{pair}'")
    key, raw = pair.split("=", 1)
    return key.strip(), raw


def typed_value(raw: str) -> Any:
    text = raw.strip()
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("null", "none"):
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        pass
    if text[:1] in ("{", "[", '"'):
        try:
            return loads_json(text)
        except ValueError:
            pass
    return raw


