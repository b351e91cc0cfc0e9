"""Bad command lines in eclictl's own words: the parser's messages rewritten into one short line.

The vendored parser words its errors for programmers ("Invalid value for '--limit' / '-n': 'abc' is
not a valid int.", "Possible options: --columns" for `--bogus`). main() calls `describe()` for
every usage error so each class of mistake reads the same everywhere:

    invalid output format 'yaml' (choose from table, tsv, json, jsonl, csv, ids)
    -n/--limit: 'abc' is not a whole number
    unknown option --colums (did you mean --columns?)
    unknown command 'userz' (did you mean 'users'?)
    missing argument ACTION (choose from start, stop, restart, kill)
"""

from __future__ import annotations

import ast
import difflib
import re
from typing import Any, Iterable

#: How alike a typo and a suggestion must be (difflib ratio): `--colums` -> `--columns` (0.88) is
#: suggested, `--bogus` -> `--columns` (0.63) is not.
CUTOFF = 0.75


def argument_name(param: Any) -> str:
    """An argument as help and errors name it: `USER`, `ACTION`, `ID|NAME` (no brackets, braces or dots)."""
    raw = str(getattr(param, "metavar", None) or (getattr(param, "name", None) or "").upper())
    if " " in raw:
        return raw  # a composed metavar such as "[METHOD] PATH" is already what usage shows
    name = raw
    while True:
        before = name
        if name.endswith("..."):
            name = name[:-3]
        if name.startswith("[") and name.endswith("]"):
            name = name[1:-1]
        if name.startswith("{") and name.endswith("}"):
            name = name[1:-1]
        if name == before:
            break
    return name.upper().replace("-", "_")


def argument_usage(param: Any) -> str:
    """`USER`, `USER...`, `[USER]`, `[USER...]`: how gh and POSIX usage lines write arguments."""
    name = argument_name(param)
    if " " in name:
        return name
    many = "..." if getattr(param, "nargs", 1) != 1 else ""
    return f"{name}{many}" if param.required else f"[{name}{many}]"


def option_label(param: Any) -> str:
    """`-n/--limit`: short names first, as the help lists them."""
    opts = sorted(getattr(param, "opts", ()) or (), key=lambda o: (o.startswith("--"), o))
    return "/".join(opts) or str(getattr(param, "name", "") or "")


def param_label(param: Any) -> str:
    return argument_name(param) if param.param_type_name == "argument" else option_label(param)


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """The one close spelling of `word` among `candidates`, if any is close enough."""
    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=CUTOFF)
    return found[0] if found else None


def choices_of(param: Any, ctx: Any = None) -> list[str] | None:
    """The accepted values of a choice-type parameter (None for any other type)."""
    mapping = getattr(param.type, "_normalized_mapping", None)
    if mapping is None:
        choices = getattr(param.type, "choices", None)
        return [str(getattr(c, "value", c)) for c in choices] if choices else None
    return list(mapping(ctx=ctx).values())


def _quoted_value(message: str) -> str | None:
    """The value a conversion error starts with (`'abc' is not a valid int.`)."""
    match = re.match(r"""^('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""", message)
    if not match:
        return None
    try:
        return str(ast.literal_eval(match.group(1)))
    except (ValueError, SyntaxError):
        return None


def _number_range(param_type: Any) -> str:
    low, high = getattr(param_type, "min", None), getattr(param_type, "max", None)
    if low is not None and high is not None:
        return f"from {low} to {high}"
    if low is not None:
        return f"{'more than' if getattr(param_type, 'min_open', False) else 'at least'} {low}"
    return f"{'less than' if getattr(param_type, 'max_open', False) else 'at most'} {high}"


def _bad_value(exc: Any) -> str:
    param, ctx = exc.param, exc.ctx
    label = param_label(param)
    message = str(exc.message or "")
    value = _quoted_value(message)
    choices = choices_of(param, ctx)
    if choices is not None:
        listed = ", ".join(choices)
        if param.name == "output":
            return f"invalid output format '{value}' (choose from {listed})"
        return f"{label}: invalid value '{value}' (choose from {listed})"
    kind = getattr(param.type, "name", "")
    if value is None and hasattr(param.type, "min") and " is not in the range" in message:
        got = message.split(" is not in the range", 1)[0]
        return f"{label}: {got} is out of range (must be {_number_range(param.type)})"
    if value is not None and kind in ("integer", "int", "integer range"):
        return f"{label}: '{value}' is not a whole number"
    if value is not None and kind in ("float", "float range"):
        return f"{label}: '{value}' is not a number"
    if value is not None and kind == "boolean":
        return f"{label}: '{value}' is not true or false"
    return f"{label}: {message.rstrip('.')}"


def describe(exc: Any) -> tuple[str, str | None] | None:
    """(message, hint) for one of the parser's usage errors; None to keep its own wording."""
    from typer._click.exceptions import BadParameter, MissingParameter, NoSuchOption, UsageError

    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, NoSuchOption):
        option = exc.option_name
        close = suggest(option, exc.possibilities or ())
        if close is None and ctx is not None:
            names = [o for p in ctx.command.get_params(ctx) if not getattr(p, "hidden", False)
                     for o in (*getattr(p, "opts", ()), *getattr(p, "secondary_opts", ()))]
            close = suggest(option, names)
        return f"unknown option {option}" + (f" (did you mean {close}?)" if close else ""), None
    if isinstance(exc, MissingParameter) and exc.param is not None:
        what = "argument" if exc.param.param_type_name == "argument" else "option"
        choices = choices_of(exc.param, ctx)
        listed = f" (choose from {', '.join(choices)})" if choices else ""
        return f"missing {what} {param_label(exc.param)}{listed}", None
    if isinstance(exc, BadParameter) and exc.param is not None:
        text = _bad_value(exc)
        hint = None
        if exc.param.name == "output" and re.search(r"[./\\]", _quoted_value(str(exc.message)) or ""):
            hint = "-o/--output is the output format; to write to a file use --file FILE"
        return text, hint
    if isinstance(exc, UsageError):
        match = re.match(r"^No such command '(.*?)'\.", str(exc.message))
        if match and ctx is not None and hasattr(ctx.command, "list_commands"):
            word = match.group(1)
            commands = [name for name in ctx.command.list_commands(ctx)]
            close = suggest(word, commands)
            return f"unknown command '{word}'" + (f" (did you mean '{close}'?)" if close else ""), None
    return None
