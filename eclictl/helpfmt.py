"""Help screens: described once as plain data, drawn with plain strings, served from a generated index.

Typer's own renderer (typer.rich_utils) imports rich.markdown -> markdown_it, rich.traceback ->
pygments, rich.table, rich.panel... at its top level: ~80 ms before a line of help is printed, more
than `import typer` itself. So every help screen goes through here instead:

* `describe(command, ctx)` turns a built command into a `Screen` (plain dicts, lists and strings);
* `render(screen)` draws it like Typer's rich help (usage, help text, one box per
  `rich_help_panel`, epilog), colours only on a terminal and never with NO_COLOR or TERM=dumb;
* scripts/gen_docs.py stores every screen in eclictl/_help/ (one module per top-level command),
  and `fast_help(args)` answers `eclictl ... --help` from there without importing Typer or any
  section. `install()` gives live commands the same renderer, so both paths print the same text
  (tests/unit/test_help.py compares them for every command).

Help strings are shown literally: Rich markup such as `[bold]` is not interpreted.
"""

from __future__ import annotations

import inspect
import os
import sys
from typing import Any, Iterable, Mapping, Sequence

Screen = dict  # {"usage", "help", "deprecated", "epilog", "panels", "options", "help_names", "commands"}

ARGUMENTS, OPTIONS, COMMANDS = "Arguments", "Options", "Commands"
_MIN_HELP = 24  # narrowest help column before each help moves under its option names

# SGR codes, the same choices as Typer's rich help.
BOLD_CYAN, BOLD_GREEN, BOLD_MAGENTA, BOLD_YELLOW = "1;36", "1;32", "1;35", "1;33"
DIM, RED, YELLOW, BOLD = "2", "31", "33", "1"
_PARAM_STYLES = (RED, BOLD_CYAN, BOLD_GREEN, BOLD_MAGENTA, RED, BOLD_YELLOW)  # *, --x, -x, --no-x, -X, type
_TYPE_COLUMN = 5


# -- describing a live command ---------------------------------------------------------------

def install(command: Any) -> Any:
    """Give `command` and every command below it this renderer (Typer builds them with its own).

    Called once per built tree (each lazily loaded group), so the override sits in one place
    instead of a `cls=` on every Typer app and command.
    """
    command.format_help = _format_help.__get__(command)
    for sub in (getattr(command, "commands", None) or {}).values():
        install(sub)
    return command


def _format_help(self: Any, ctx: Any, formatter: Any) -> None:
    formatter.write(render(describe(self, ctx)))


def describe(command: Any, ctx: Any) -> Screen:
    """Everything a help screen shows, and what `fast_help` needs to parse a command line."""
    arguments: dict[str, list[list[Any]]] = {ARGUMENTS: []}
    options: dict[str, list[list[Any]]] = {OPTIONS: []}
    takes: dict[str, int] = {}
    for param in command.get_params(ctx):
        if param.param_type_name == "option":
            nargs = 0 if (getattr(param, "is_flag", False) or getattr(param, "count", False)) else param.nargs
            if param.is_eager and param is not command.get_help_option(ctx):
                nargs = -1  # runs before --help (e.g. --version): leave such lines to Typer
            takes.update({name: nargs for name in [*param.opts, *param.secondary_opts]})
        if getattr(param, "hidden", False):
            continue
        is_argument = param.param_type_name == "argument"
        panels = arguments if is_argument else options
        title = getattr(param, "rich_help_panel", None) or (ARGUMENTS if is_argument else OPTIONS)
        panels.setdefault(title, []).append(_param_row(param, ctx))
    help_option = command.get_help_option(ctx)
    screen: Screen = {
        "usage": f"{ctx.command_path} {' '.join(usage_pieces(command, ctx))}".rstrip(),
        "help": inspect.cleandoc(command.help or "").partition("\f")[0],
        "deprecated": bool(command.deprecated),
        "epilog": inspect.cleandoc(command.epilog or ""),
        "panels": [{"title": t, "params": rows} for group in (arguments, options) for t, rows in group.items()
                   if rows],
        "options": takes,
        "help_names": sorted(help_option.opts) if help_option is not None else [],
        "commands": None,
    }
    if hasattr(command, "list_commands"):
        names = list(command.list_commands(ctx))
        groups: dict[str, list[list[Any]]] = {COMMANDS: []}
        for name in names:
            sub = command.get_command(ctx, name)
            if sub is None or getattr(sub, "hidden", False):
                continue
            summary = inspect.cleandoc(sub.short_help or sub.help or "").split("\n\n")[0]
            summary = summary.replace("\b\n", "") if summary.startswith("\b") else summary
            title = getattr(sub, "rich_help_panel", None) or COMMANDS
            groups.setdefault(title, []).append([sub.name or name, summary.strip(), bool(sub.deprecated)])
        screen["panels"] += [{"title": t, "commands": rows} for t, rows in groups.items() if rows]
        screen["commands"] = names
    return screen


def usage_pieces(command: Any, ctx: Any) -> list[str]:
    """`[OPTIONS] ACTION SERVER...`: arguments written as gh and POSIX do (`USER...`, `[ID]`), not as
    the parser's `{action}:<start|stop>` or `[[USER]...]...`."""
    from eclictl.usage_errors import argument_usage

    pieces = [command.options_metavar] if getattr(command, "options_metavar", None) else []
    pieces += [argument_usage(p) for p in command.get_params(ctx)
               if p.param_type_name == "argument" and not getattr(p, "hidden", False)]
    if hasattr(command, "list_commands"):
        pieces.append(getattr(command, "subcommand_metavar", None) or "COMMAND [ARGS]...")
    return pieces


def _param_row(param: Any, ctx: Any) -> list[Any]:
    """[required, long, short, negative long, negative short, type, help] of one parameter."""
    record = param.get_help_record(ctx) or ("", "")
    help_text = _paragraphs(record[1] or "")
    if param.param_type_name == "argument":
        from eclictl.usage_errors import argument_name

        name = argument_name(param) + ("..." if param.nargs != 1 and " " not in argument_name(param) else "")
        return [bool(param.required), "", name, "", "", _type_name(param, ctx), help_text]
    names = set(param.opts) | set(param.secondary_opts)
    tokens = record[0].split(" ")
    last = max((i for i, tok in enumerate(tokens) if tok.rstrip(",") in names or tok == "/"), default=-1)
    metavar = " ".join(tokens[last + 1:])
    if "bool" in metavar.lower():
        metavar = ""  # a flag takes no value
    metavar = metavar.replace(" range>", ">")  # `<int range>`: the range is in the help text

    def pick(opts: Sequence[str], long: bool) -> str:
        return ",".join(o for o in opts if o.startswith("--") == long)

    return [bool(param.required), pick(param.opts, True), pick(param.opts, False),
            pick(param.secondary_opts, True), pick(param.secondary_opts, False), metavar, help_text]


def _type_name(param: Any, ctx: Any) -> str:
    """An argument's type as `<str>` or its choices (click's metavar of the type)."""
    try:
        metavar = param.type.get_metavar(param=param, ctx=ctx)
    except TypeError:  # older click: get_metavar(param)
        metavar = param.type.get_metavar(param)
    return (metavar or f"<{param.type.name}>").replace(" range>", ">")  # the range is in the help text


def _paragraphs(text: str) -> str:
    """Single line breaks join (unless a paragraph starts with \\b, click's "keep as is")."""
    parts = []
    for para in text.split("\n\n"):
        parts.append(para.strip("\b\n") if para.startswith("\b") else para.replace("\n", " ").strip())
    return "\n".join(parts).strip()


# -- the fast path: help from the generated index ----------------------------------------------

def index_module(top: str) -> str:
    """Where the screens of a top-level command live ("" = the root screen)."""
    return f"eclictl._help.{top.replace('-', '_') if top else '_root'}"


def fast_help(args: Sequence[str], *, env: Mapping[str, str] | None = None, stream: Any = None) -> str | None:
    """The help screen `args` asks for, from the generated index; None when not plainly a help request.

    Only the plain shape is answered here: command words, then the last command's own options and
    arguments, with one of its help flags. Anything else (global options before the command, an
    unknown word or option, `--`) returns None and goes the normal way, so errors stay Typer's.
    """
    import importlib

    path: list[str] = []
    try:
        screen: Screen = importlib.import_module(index_module("")).SCREENS[""]
    except (ImportError, KeyError):
        return None
    position = 0
    while position < len(args) and screen["commands"] is not None and not args[position].startswith("-"):
        word = args[position]
        if word not in screen["commands"]:
            return None  # let Typer say "No such command"
        path.append(word)
        try:
            screen = importlib.import_module(index_module(path[0])).SCREENS[" ".join(path)]
        except (ImportError, KeyError):
            return None
        position += 1
    asked = False
    rest = list(args[position:])
    while rest:
        token = rest.pop(0)
        if token == "--":
            return None
        if token in screen["help_names"]:
            asked = True
        elif token.startswith("-") and token != "-":
            name = token.split("=", 1)[0] if token.startswith("--") else token
            takes = screen["options"].get(name, -1)
            if takes < 0 or (len(token) > 2 and not token.startswith("--")) or ("=" in token and not takes):
                return None  # unknown or eager; a short option with a value attached; a flag given a value
            if "=" not in token:
                del rest[:takes]
        elif screen["commands"] is not None:
            return None  # a group's word that is not one of its commands
    return render(screen, env=env, stream=stream) if asked else None


# -- drawing ---------------------------------------------------------------------------------

def render(screen: Screen, *, width: int | None = None, color: bool | None = None,
           env: Mapping[str, str] | None = None, stream: Any = None) -> str:
    """The whole help screen as one string, `width` columns wide (default: the terminal's)."""
    env = os.environ if env is None else env
    width = max(40, width or terminal_width())
    paint = _Painter(_color_wanted(env, sys.stdout if stream is None else stream) if color is None else color)
    out: list[str] = [""]
    for i, line in enumerate(_wrap(screen["usage"], width - 8)):
        out.append(" " + (paint("Usage: ", YELLOW) if i == 0 else " " * 7) + paint(line, BOLD))
    out.append("")
    out += _help_text(screen, width, paint)
    panels = screen["panels"]
    name_width = max((len(row[0]) for p in panels for row in p.get("commands", ())), default=0)
    for panel in panels:
        if "params" in panel:
            rows = panel["params"]
            cells = [[("*" if row[0] else "")] + row[1:6] for row in rows]
            styles = list(_PARAM_STYLES)
            if not any(row[0] for row in rows):
                cells, styles = [c[1:] for c in cells], styles[1:]
            lines = _table(cells, [row[6] for row in rows], styles, width - 4, paint,
                           fold=len(styles) - 1)
        else:
            rows = panel["commands"]
            lines = _table([[name.ljust(name_width)] for name, _, _ in rows],
                           [("(deprecated) " if dep else "") + text for _, text, dep in rows],
                           [BOLD_CYAN], width - 4, paint, fold=None)
        out += _box(panel["title"], lines, width, paint)
    if screen["epilog"]:
        out.append("")
        out += [" " + line for line in epilog_lines(screen["epilog"], width - 2)]
        out.append("")
    return "\n".join(line.rstrip() for line in out) + "\n"


def terminal_width() -> int:
    """COLUMNS, else the terminal's width, else 80 (as Rich decides it)."""
    import shutil

    return shutil.get_terminal_size((80, 24)).columns


def _color_wanted(env: Mapping[str, str], stream: Any) -> bool:
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class _Painter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, style: str) -> str:
        if not self.enabled or not style or not text.strip():
            return text
        return f"\x1b[{style}m{text}\x1b[0m"


def _wrap(text: str, width: int) -> list[str]:
    """Wrap one line at spaces (long words are folded); keeps its indentation and an empty line."""
    import textwrap

    if not text.strip():
        return [""]
    lead = len(text) - len(text.lstrip(" "))
    lines = textwrap.wrap(text.strip(), max(8, width - lead), break_on_hyphens=False)
    return [" " * lead + line for line in lines]


def epilog_lines(epilog: str, width: int) -> list[str]:
    """An epilog at `width`: prose paragraphs re-flowed (source line breaks are not kept, so no
    stray word ends a line), example lines kept whole where they fit, else continued with ` \\`."""
    out: list[str] = []
    for n, para in enumerate(epilog.split("\n\n")):
        if n:
            out.append("")
        lines = para.split("\n")
        if not any(line.startswith(" ") for line in lines):
            out += _wrap(" ".join(line.strip() for line in lines), width)
            continue
        for line in lines:
            out += _example_lines(line, width) if line.startswith(" ") else _wrap(line, width)
    return out


def _example_lines(line: str, width: int) -> list[str]:
    """A shell example too long for the screen: its `# comment` on a line of its own above it, then
    the command broken at spaces with a trailing backslash, so a copied example still runs."""
    if len(line) <= width:
        return [line]
    lead = " " * (len(line) - len(line.lstrip(" ")))
    command, sep, comment = line.strip().partition("  # ")
    out = _wrap(lead + "# " + comment.strip(), width) if sep else []
    words = command.split(" ")
    current = lead
    for word in words:
        if current.strip() and len(current) + 1 + len(word) + 2 > width:
            out.append(current + " \\")
            current = lead + "  " + word
        else:
            current = (current + " " + word) if current.strip() else current + word
    out.append(current)
    return [part for line in out for part in (_wrap(line, width) if len(line) > width else [line])]


def _wrap_block(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for line in text.split("\n"):
        lines += _wrap(line, width)
    return lines


def _help_text(screen: Screen, width: int, paint: _Painter) -> list[str]:
    text = screen["help"]
    if not text and not screen["deprecated"]:
        return []
    first, *rest = text.split("\n\n")
    first = first.strip("\b\n") if first.startswith("\b") else first.replace("\n", " ")
    out = [" " + paint("(deprecated)", RED)] if screen["deprecated"] else []
    out += [" " + line for line in _wrap_block(first.strip(), width - 2)]
    if rest:
        out.append("")
        out += [" " + paint(line, DIM) for line in _wrap_block("\n\n".join(rest), width - 2)]
    out.append("")
    return out


def _box(title: str, rows: list[str], width: int, paint: _Painter) -> list[str]:
    top = "╭─ " + title + " " + "─" * max(0, width - len(title) - 5) + "╮"
    return ([paint(top[:3], DIM) + title + paint(top[3 + len(title):], DIM)]
            + [paint("│", DIM) + " " + row + " " + paint("│", DIM) for row in rows]
            + [paint("╰" + "─" * (width - 2) + "╯", DIM)])


def _table(cells: list[list[str]], helps: list[str], styles: Sequence[str], inner: int, paint: _Painter,
           fold: int | None) -> list[str]:
    """Rows of fixed columns (content width, 2 spaces apart) and a wrapped help column.

    When the help column would be narrower than _MIN_HELP, column `fold` (the type) is folded;
    if that is not enough, each help goes below its names.
    """
    keep = [i for i in range(len(styles)) if any(row[i] for row in cells)]
    cells = [[row[i] for i in keep] for row in cells]
    styles = [styles[i] for i in keep]
    fold = keep.index(fold) if fold in keep else None
    widths = [max(len(row[i]) for row in cells) for i in range(len(keep))]
    help_width = inner - sum(w + 2 for w in widths)
    if help_width < _MIN_HELP and fold is not None and widths[fold] - (_MIN_HELP - help_width) >= 10:
        widths[fold] -= _MIN_HELP - help_width
        help_width = _MIN_HELP
    if help_width < _MIN_HELP:
        return _stacked(cells, helps, styles, inner, paint)
    out = []
    for row, help_text in zip(cells, helps):
        columns = [_fold(cell, w) if i == fold else [cell] for i, (cell, w) in enumerate(zip(row, widths))]
        help_lines = _wrap_block(help_text, help_width) if help_text else []
        for n in range(max([len(c) for c in columns] + [len(help_lines)])):
            line = "  ".join(paint((col[n] if n < len(col) else "").ljust(w), style)
                             for col, w, style in zip(columns, widths, styles))
            out.append(_pad(line + "  " + (help_lines[n] if n < len(help_lines) else ""), inner, paint))
    return out


def _stacked(cells: list[list[str]], helps: list[str], styles: Sequence[str], inner: int,
             paint: _Painter) -> list[str]:
    """A narrow terminal: each row's names on one line (wrapped if need be), its help indented below."""
    out = []
    for row, help_text in zip(cells, helps):
        head = [(cell, style) for cell, style in zip(row, styles) if cell]
        plain = "  ".join(cell for cell, _ in head)
        if len(plain) <= inner:
            out.append(_pad("  ".join(paint(cell, style) for cell, style in head), inner, paint))
        else:
            out += [_pad(line.rstrip(), inner, paint) for line in _fold(plain, inner, breaks="| ")]
        out += [_pad("    " + text, inner, paint) for text in _wrap_block(help_text, inner - 4)] if help_text else []
    return out


def _fold(text: str, width: int, breaks: str = "|") -> list[str]:
    """Break a type like `<table|tsv|json>` after a `|` (or another of `breaks`) where it can, else anywhere."""
    for mark in breaks:
        text = text.replace(mark, mark + "\n")
    lines = [""]
    for piece in text.split("\n"):
        if lines[-1] and len(lines[-1]) + len(piece) > width:
            lines.append("")
        lines[-1] += piece
        while len(lines[-1]) > width:
            lines[-1:] = [lines[-1][:width], lines[-1][width:]]
    return lines


def _pad(line: str, inner: int, paint: _Painter) -> str:
    visible = len(_strip_sgr(line)) if paint.enabled else len(line)
    return line + " " * max(0, inner - visible)


def _strip_sgr(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def screens_source(top: str, screens: Iterable[tuple[str, Screen]]) -> str:
    """A generated eclictl/_help/<top>.py module holding the screens under one top-level command."""
    import pprint

    what = f"`eclictl {top}`" if top else "`eclictl` itself"
    lines = [f'"""Generated by scripts/gen_docs.py: the help screens of {what} (read by eclictl.helpfmt)."""',
             "", "SCREENS = {"]
    for key, screen in screens:
        body = pprint.pformat(screen, width=110, sort_dicts=True, compact=True)
        lines.append(f"    {key!r}: " + body.replace("\n", "\n    ") + ",")
    lines += ["}", ""]
    return "\n".join(lines)
