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

OUTPUT_PANEL = "Output"
SAFETY_PANEL = "Safety"


class OutputFormat(str, Enum):
    table = "table"
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    ids = "ids"


OutputOpt = Annotated[Optional[OutputFormat], typer.Option(
    "--output", "-o", help="Output format (default: table on a terminal, tsv when piped).",
    rich_help_panel=OUTPUT_PANEL, show_default=False)]
ColumnsOpt = Annotated[Optional[str], typer.Option(
    "--columns", help="Comma-separated columns to show, e.g. id,email.", rich_help_panel=OUTPUT_PANEL,
    show_default=False)]
NoHeadersOpt = Annotated[bool, typer.Option(
    "--no-headers", help="Omit the header row (table, csv).", rich_help_panel=OUTPUT_PANEL)]
RedactOpt = Annotated[Optional[bool], typer.Option(
    "--redact/--no-redact", help="Mask personal data (names, e-mails, addresses, IPs...).",
    rich_help_panel=OUTPUT_PANEL, show_default=False)]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.",
                                      rich_help_panel=SAFETY_PANEL)]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.",
                                         rich_help_panel=SAFETY_PANEL)]

_OUTPUT_PARAMS = {
    "output": OutputOpt,
    "columns": ColumnsOpt,
    "no_headers": NoHeadersOpt,
    "redact": RedactOpt,
}
_DEFAULTS = {"output": None, "columns": None, "no_headers": False, "redact": None}


def apply_output_options(output: Any = None, columns: str | None = None, no_headers: bool = False,
                         redact: bool | None = None) -> None:
    from eclictl.context import current

    ctx = current()
    if output is not None:
        ctx.output = output.value if isinstance(output, Enum) else str(output)
    if columns:
        ctx.columns = [c.strip() for c in columns.split(",") if c.strip()]
    if no_headers:
        ctx.no_headers = True
    if redact is not None:
        ctx.redact_flag = redact


def command(*, output: bool = True, exclude: tuple[str, ...] = ()) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a verb: add the output options and emit what it returns.

    `exclude` drops options a verb needs for itself (e.g. `-o FILE` on export verbs).
    """

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        import typing

        added = {k: v for k, v in _OUTPUT_PARAMS.items() if output and k not in exclude}
        sig = inspect.signature(func)
        # Resolve string annotations in the verb's own module: Typer will look at the wrapper.
        hints = typing.get_type_hints(func, include_extras=True)
        params = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in sig.parameters.values()]
        taken = {p.name for p in params}
        extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=_DEFAULTS[name],
                                   annotation=ann) for name, ann in added.items() if name not in taken]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from eclictl.context import current

            opts = {name: kwargs.pop(name) for name in list(kwargs) if name in added and name not in taken}
            apply_output_options(**opts)
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
        return wrapper

    return decorate


def _order(params: list[inspect.Parameter]) -> list[inspect.Parameter]:
    """Keep Python's parameter-kind ordering valid after appending keyword-only ones."""
    kinds = [inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
             inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.KEYWORD_ONLY]
    return sorted(params, key=lambda p: kinds.index(p.kind) if p.kind in kinds else 9)


def parse_assignments(pairs: list[str], *, what: str = "--set") -> dict[str, Any]:
    """`field=value` pairs with typed values: true/false, null, ints, floats, JSON, else string."""
    import json

    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            from eclictl.errors import UsageError

            raise UsageError(f"{what} expects field=value, got '{pair}'")
        key, raw = pair.split("=", 1)
        key = key.strip()
        out[key] = typed_value(raw)
    return out


def typed_value(raw: str) -> Any:
    import json

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
            return json.loads(text)
        except ValueError:
            pass
    return raw
