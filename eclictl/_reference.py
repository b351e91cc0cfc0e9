"""Generates docs/reference.md and the shell completions from the command tree.

Completions are static (the tree is baked in: commands, options, which options take a value and
their choices, choice arguments), so pressing TAB never starts Python, except for profile names
after -p/--profile (`eclictl completion --list-profiles`, answered before Typer loads). They are
completions/ (package data in the wheel), printed by `eclictl completion SHELL`. A test fails when the
committed files drift from the tree: `python scripts/gen_docs.py` fixes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator


@dataclass
class Node:
    path: tuple[str, ...]
    help: str
    usage: str
    options: list[tuple[list[str], str, bool]] = field(default_factory=list)  # (names, help, is_flag)
    arguments: list[str] = field(default_factory=list)
    children: list["Node"] = field(default_factory=list)
    epilog: str = ""
    screen: dict[str, Any] = field(default_factory=dict)  # eclictl.helpfmt.describe()
    #: option name -> its choices ([] = any value: files are offered), for options that take a value
    value_options: dict[str, list[str]] = field(default_factory=dict)
    #: positional arguments in order: (choices or [], takes several values)
    argument_choices: list[tuple[list[str], bool]] = field(default_factory=list)


def command_tree() -> Node:
    import typer

    from eclictl.app import app

    root = typer.main.get_command(app)
    return _walk(root, _context(root, "eclictl", None), ("eclictl",))


def _context(cmd: Any, name: str, parent: Any) -> Any:
    """A context as running the command builds it (its context_settings, e.g. `-h` for help)."""
    import typer

    return typer.Context(cmd, info_name=name, parent=parent, **getattr(cmd, "context_settings", {}))


def _walk(cmd: Any, ctx: Any, path: tuple[str, ...]) -> Node:
    from eclictl.helpfmt import describe, usage_pieces
    from eclictl.usage_errors import argument_name, choices_of

    node = Node(path=path, help=(cmd.help or cmd.short_help or "").strip(), usage=" ".join(usage_pieces(cmd, ctx)),
                epilog=(cmd.epilog or "").strip(), screen=describe(cmd, ctx))
    for param in cmd.params:
        choices = choices_of(param, ctx) or []
        if param.param_type_name == "option" and "--profile" in param.opts:
            choices = [PROFILES]
        if param.param_type_name == "argument":
            node.argument_choices.append((choices, param.nargs != 1))
        elif not (getattr(param, "is_flag", False) or getattr(param, "count", False)):
            node.value_options.update({name: choices for name in param.opts})  # hidden ones too: skip values
        if getattr(param, "hidden", False):
            continue
        if param.param_type_name == "argument":
            node.arguments.append(argument_name(param))
            continue
        names = list(param.opts) + list(param.secondary_opts)
        node.options.append((names, (getattr(param, "help", "") or "").strip(), bool(getattr(param, "is_flag", False))))
    if hasattr(cmd, "list_commands"):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is None or getattr(sub, "hidden", False):
                continue
            node.children.append(_walk(sub, _context(sub, name, ctx), path + (name,)))
    return node


def _nodes(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from _nodes(child)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def render_markdown(tree: Node) -> str:
    out = ["# eclictl command reference", "",
           "Generated from the command tree by `python scripts/gen_docs.py`; do not edit by hand.", ""]
    for node in _nodes(tree):
        depth = len(node.path)
        out.append(f"{'#' * min(depth + 1, 4)} `{' '.join(node.path)}`")
        out.append("")
        if node.help:
            out.append(_first_line(node.help))
            out.append("")
        usage = " ".join(node.path) + (" " + node.usage if node.usage else "")
        out += ["```", usage, "```", ""]
        if node.children:
            out.append("| command | summary |")
            out.append("|---|---|")
            for child in node.children:
                out.append(f"| `{child.path[-1]}` | {_first_line(child.help).replace('|', '/')} |")
            out.append("")
        if node.options:
            out.append("| option | description |")
            out.append("|---|---|")
            for names, help_text, _ in node.options:
                out.append(f"| `{', '.join(names)}` | {' '.join(help_text.split()).replace('|', '/')} |")
            out.append("")
        if node.epilog:
            out += ["```text", node.epilog, "```", ""]
    return "\n".join(out).rstrip() + "\n"


#: Marks an option whose values are profile names (read from config.toml when TAB is pressed).
PROFILES = "@profiles"
_SAFE_WORD = re.compile(r"^[A-Za-z0-9_.:@+/%-]+$")  # what a generated script may embed unquoted


@dataclass
class _Tables:
    """The command tree as the completion scripts need it (see render_bash for how each is used)."""

    subs: dict[str, list[str]]  # path -> subcommands
    opts: dict[str, list[str]]  # path -> options offered after `-`
    values: dict[str, list[str]]  # "path opt" or "opt" (same everywhere) -> choices; present = takes a value
    args: dict[str, list[str]]  # "path #N" -> choices of the N-th positional argument
    helps: dict[str, str]  # path -> one-line summary


def _safe(words: Iterable[str]) -> list[str]:
    return [w for w in words if _SAFE_WORD.match(w)]


def _tables(tree: Node) -> _Tables:
    subs: dict[str, list[str]] = {}
    opts: dict[str, list[str]] = {}
    args: dict[str, list[str]] = {}
    variants: dict[str, set[tuple[str, ...] | None]] = {}  # option -> its choices per path (None = a flag)
    per_path: dict[str, dict[str, list[str]]] = {}
    for node in _nodes(tree):
        key = " ".join(node.path)
        subs[key] = [c.path[-1] for c in node.children]
        opts[key] = sorted({n for names, _, _ in node.options for n in names} | {"--help"})
        per_path[key] = node.value_options
        for names, _, is_flag in node.options:
            for name in names:
                if name not in node.value_options:
                    variants.setdefault(name, set()).add(None)
        for name, choices in node.value_options.items():
            variants.setdefault(name, set()).add(tuple(choices))
        for index, (choices, many) in enumerate(node.argument_choices):
            if many and index + 1 < len(node.argument_choices):
                break  # positions after a variadic argument cannot be counted
            if choices:
                args[f"{key} #{index}"] = _safe(choices)
    values: dict[str, list[str]] = {}
    for name, seen in variants.items():
        if len(seen) == 1 and None not in seen:
            values[name] = _safe(next(iter(seen)) or ())  # type: ignore[arg-type]
    for key, options in per_path.items():
        for name, choices in options.items():
            if name not in values:
                values[f"{key} {name}"] = _safe(choices)
    helps = {" ".join(n.path): _first_line(n.help) for n in _nodes(tree)}
    return _Tables(subs, opts, values, args, helps)


def _bash_array(name: str, data: dict[str, list[str]], comment: str) -> list[str]:
    lines = [f"# {comment}", f"declare -gA {name}=("]
    lines += [f'  ["{k}"]="{" ".join(v)}"' for k, v in data.items()]
    return lines + [")"]


def render_bash(tree: Node) -> str:
    t = _tables(tree)
    lines = ["# bash completion for eclictl (generated by scripts/gen_docs.py; do not edit)",
             '# install: eval "$(eclictl completion bash)" in ~/.bashrc', ""]
    lines += _bash_array("_ECLICTL_SUBS", t.subs, "command path -> its subcommands")
    lines += _bash_array("_ECLICTL_OPTS", t.opts, "command path -> its options")
    lines += _bash_array("_ECLICTL_VALUES", t.values, "options that take a value (\"path opt\", or \"opt\" where it "
                         "is the same everywhere) -> choices; @profiles = profile names; empty = files")
    lines += _bash_array("_ECLICTL_ARGS", t.args, "\"path #N\" -> choices of the command's N-th argument")
    lines += ["", r"""_eclictl_takes() {  # option $2 under path $1 takes a value: its _ECLICTL_VALUES key in _eclictl_key
  if [[ -n "${_ECLICTL_VALUES[$1 $2]+x}" ]]; then _eclictl_key="$1 $2"
  elif [[ -n "${_ECLICTL_VALUES[$2]+x}" ]]; then _eclictl_key="$2"
  else return 1
  fi
}

_eclictl_offer() {  # COMPREPLY = the words of $1 that start with $2 (no file names as a fallback)
  local IFS=$' \t\n'
  COMPREPLY=($(compgen -W "$1" -- "$2"))
  compopt +o default 2>/dev/null || true
}

_eclictl() {
  local cur="${COMP_WORDS[COMP_CWORD]}" path="eclictl" pending="" npos=0 i w choices _eclictl_key
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    if [[ -n "$pending" ]]; then
      [[ "$w" == "=" ]] && continue  # --opt=value, split at '=' by COMP_WORDBREAKS
      pending=""
      continue
    fi
    if [[ "$w" == -?* ]]; then
      [[ "$w" != *=* ]] && _eclictl_takes "$path" "$w" && pending="$w"
      continue
    fi
    if ((npos == 0)) && [[ -n "${_ECLICTL_SUBS[$path $w]+x}" ]]; then
      path="$path $w"
    else
      npos=$((npos + 1))
    fi
  done
  [[ -n "$pending" && "$cur" == "=" ]] && cur=""
  if [[ -n "$pending" ]]; then  # the value of the option before the cursor
    _eclictl_takes "$path" "$pending"
    choices="${_ECLICTL_VALUES[$_eclictl_key]}"
    if [[ "$choices" == @profiles ]]; then  # read from config.toml; eclictl answers this without loading Typer
      choices="$("${COMP_WORDS[0]}" completion --list-profiles 2>/dev/null)"
    fi
    [[ -n "$choices" ]] && _eclictl_offer "$choices" "$cur"
    return 0
  fi
  if [[ "$cur" == -* ]]; then
    _eclictl_offer "${_ECLICTL_OPTS[$path]}" "$cur"
  elif ((npos == 0)) && [[ -n "${_ECLICTL_SUBS[$path]}" ]]; then
    _eclictl_offer "${_ECLICTL_SUBS[$path]}" "$cur"
  elif [[ -n "${_ECLICTL_ARGS[$path #$npos]+x}" ]]; then
    _eclictl_offer "${_ECLICTL_ARGS[$path #$npos]}" "$cur"
  fi
  return 0
}
complete -o default -F _eclictl eclictl""", ""]
    return "\n".join(lines)


def render_zsh(tree: Node) -> str:
    body = render_bash(tree).split("\n", 2)[2]
    return "\n".join([
        "#compdef eclictl",
        "# zsh completion for eclictl (generated by scripts/gen_docs.py; do not edit)",
        '# install: eval "$(eclictl completion zsh)" in ~/.zshrc, after compinit',
        "autoload -U +X bashcompinit && bashcompinit",
        body,
    ])


def _fish_cases(words: Iterable[str]) -> str:
    return " ".join("'" + w.replace("'", "") + "'" for w in words)


def render_fish(tree: Node) -> str:
    t = _tables(tree)
    out = ["# fish completion for eclictl (generated by scripts/gen_docs.py; do not edit)",
           "# install: eclictl completion fish > ~/.config/fish/completions/eclictl.fish", "",
           f"set -g __eclictl_paths {_fish_cases(t.subs)}", "",
           "function __eclictl_values --argument-names path opt  # the choices of an option taking a value",
           "    set -l key \"$path $opt\""]
    groups: dict[tuple[str, ...], list[str]] = {}
    for key, choices in t.values.items():
        groups.setdefault(tuple(choices), []).append(key)
    out.append("    for k in $key $opt")
    out.append("        switch $k")
    for choices, keys in groups.items():
        out.append(f"            case {_fish_cases(keys)}")
        if list(choices) == [PROFILES]:
            out.append("                eclictl completion --list-profiles 2>/dev/null")
        elif choices:
            out.append(f"                printf '%s\\n' {_fish_cases(choices)}")
        out.append("                return 0")
    out += ["        end", "    end", "    return 1", "end", "",
            "function __eclictl_state  # path, number of arguments so far, option waiting for its value",
            "    set -l path eclictl",
            "    set -l npos 0",
            "    set -l pending ''",
            "    for w in (commandline -opc)[2..-1]",
            "        if test -n \"$pending\"",
            "            set pending ''",
            "        else if string match -q -- '-?*' $w",
            "            if not string match -q -- '*=*' $w; and __eclictl_values $path $w >/dev/null",
            "                set pending $w",
            "            end",
            "        else if test $npos -eq 0; and contains -- \"$path $w\" $__eclictl_paths",
            "            set path \"$path $w\"",
            "        else",
            "            set npos (math $npos + 1)",
            "        end",
            "    end",
            "    printf '%s\\n' $path $npos \"$pending\"",
            "end", "",
            "function __eclictl_at --argument-names want  # at a subcommand word of `want`",
            "    set -l s (__eclictl_state)",
            "    test \"$s[1]\" = \"$want\"; and test \"$s[2]\" = 0; and test -z \"$s[3]\"",
            "end", "",
            "function __eclictl_in --argument-names want  # anywhere in command `want`",
            "    set -l s (__eclictl_state)",
            "    test \"$s[1]\" = \"$want\"; and test -z \"$s[3]\"",
            "end", "",
            "function __eclictl_arg --argument-names want n  # at argument n of command `want`",
            "    set -l s (__eclictl_state)",
            "    test \"$s[1]\" = \"$want\"; and test \"$s[2]\" = \"$n\"; and test -z \"$s[3]\"",
            "end", "",
            "function __eclictl_wants_value  # the word at the cursor is the value of an option",
            "    set -l s (__eclictl_state)",
            "    test -n \"$s[3]\"",
            "end", "",
            "function __eclictl_value  # the choices of the option before the cursor (files if it has none)",
            "    set -l s (__eclictl_state)",
            "    set -l v (__eclictl_values $s[1] $s[3])",
            "    if test (count $v) -gt 0",
            "        printf '%s\\n' $v",
            "    else",
            "        __fish_complete_path (commandline -ct)",
            "    end",
            "end", "",
            "complete -c eclictl -f",
            "complete -c eclictl -n __eclictl_wants_value -x -a '(__eclictl_value)'"]
    for key, children in t.subs.items():
        for child in children:
            desc = t.helps.get(f"{key} {child}", "").replace("'", "")
            out.append(f"complete -c eclictl -n \"__eclictl_at '{key}'\" -a '{child}' -d '{desc[:60]}'")
    for key, names in t.opts.items():
        longs = " ".join(f"-l {n[2:]}" for n in names if n.startswith("--"))
        shorts = " ".join(f"-s {n[1:]}" for n in names if not n.startswith("--") and len(n) == 2)
        if longs or shorts:
            out.append(f"complete -c eclictl -n \"__eclictl_in '{key}'\" {longs} {shorts}".rstrip())
    for key, choices in t.args.items():
        path, _, index = key.rpartition(" #")
        out.append(f"complete -c eclictl -n \"__eclictl_arg '{path}' {index}\" -x -a '{' '.join(choices)}'")
    return "\n".join(out) + "\n"


def render_powershell(tree: Node) -> str:
    t = _tables(tree)

    def table(name: str, data: dict[str, list[str]]) -> list[str]:
        rows = [f"${name} = @{{"]
        rows += [f"    '{k}' = @({', '.join(repr(v) for v in vals)})" for k, vals in data.items()]
        rows.append("}")
        return rows

    out = ["# PowerShell completion for eclictl (generated by scripts/gen_docs.py; do not edit)",
           "# install: eclictl completion powershell | Out-String | Invoke-Expression   (e.g. in your $PROFILE)", ""]
    out += table("EclictlSubs", t.subs) + table("EclictlOpts", t.opts) + table("EclictlValues", t.values)
    out += table("EclictlArgs", t.args)
    out += ["", "Register-ArgumentCompleter -Native -CommandName eclictl -ScriptBlock {",
            "    param($wordToComplete, $commandAst, $cursorPosition)",
            "    $path = 'eclictl'; $npos = 0; $pending = $null",
            "    $words = @($commandAst.CommandElements | Select-Object -Skip 1 | ForEach-Object { $_.ToString() })",
            "    if ($wordToComplete -ne '' -and $words.Count -gt 0) { $words = @($words | Select-Object -SkipLast 1) }",
            "    foreach ($w in $words) {",
            "        if ($pending) { $pending = $null; continue }",
            "        if ($w.StartsWith('-') -and $w.Length -gt 1) {",
            "            if (-not $w.Contains('=') -and ($EclictlValues.ContainsKey(\"$path $w\") -or "
            "$EclictlValues.ContainsKey($w))) { $pending = $w }",
            "            continue",
            "        }",
            "        if ($npos -eq 0 -and $EclictlSubs.ContainsKey(\"$path $w\")) { $path = \"$path $w\" } "
            "else { $npos++ }",
            "    }",
            "    if ($pending) {",
            "        $key = if ($EclictlValues.ContainsKey(\"$path $pending\")) { \"$path $pending\" } else { $pending }",
            "        $pool = $EclictlValues[$key]",
            "        if ($pool -contains '@profiles') { $pool = @(& eclictl completion --list-profiles 2>$null) }",
            "    } elseif ($wordToComplete.StartsWith('-')) { $pool = $EclictlOpts[$path] }",
            "    elseif ($npos -eq 0 -and $EclictlSubs[$path].Count -gt 0) { $pool = $EclictlSubs[$path] }",
            "    else { $pool = $EclictlArgs[\"$path #$npos\"] }",
            "    $pool | Where-Object { $_ -like \"$wordToComplete*\" } | ForEach-Object {",
            "        [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)",
            "    }",
            "}", ""]
    return "\n".join(out).replace("'\"", "'").replace("\"'", "'")


def render_index(tree: Node) -> str:
    """eclictl/_command_index.py: each top-level command's help, so `eclictl --help` imports no section."""
    lines = ['"""Generated by scripts/gen_docs.py: top-level command -> help text (for a fast `eclictl --help`)."""',
             "", "HELP: dict[str, str] = {"]
    for child in tree.children:
        lines.append(f"    {child.path[-1]!r}: {child.help!r},")
    lines += ["}", ""]
    return "\n".join(lines)


def render_help_index(tree: Node) -> dict[str, str]:
    """eclictl/_help/*.py: every help screen, one module per top-level command (see eclictl/helpfmt.py)."""
    from eclictl.helpfmt import index_module, screens_source

    def rel(top: str) -> str:
        return index_module(top).replace(".", "/") + ".py"

    files = {rel(""): screens_source("", [("", tree.screen)])}
    for child in tree.children:
        top = child.path[1]
        files[rel(top)] = screens_source(top, [(" ".join(n.path[1:]), n.screen) for n in _nodes(child)])
    return files


HELP_INDEX_DIR = "eclictl/_help"
#: Shipped in the wheel as eclictl/completions/ (pyproject force-include): `eclictl completion SHELL`.
COMPLETIONS_DIR = "completions"
COMPLETION_FILES = {"eclictl.bash": render_bash, "_eclictl": render_zsh, "eclictl.fish": render_fish,
                    "eclictl.ps1": render_powershell}


def generated_files() -> dict[str, str]:
    """Relative path -> expected content (every file in HELP_INDEX_DIR but __init__.py is generated)."""
    tree = command_tree()
    return {
        "eclictl/_command_index.py": render_index(tree),
        "docs/reference.md": render_markdown(tree),
        **{f"{COMPLETIONS_DIR}/{name}": render(tree) for name, render in COMPLETION_FILES.items()},
        **render_help_index(tree),
    }


def stale_generated_files(root: Any, expected: dict[str, str] | None = None) -> list[str]:
    """Generated files under `root` (a Path) that differ from the tree, or that the tree no longer has."""
    expected = generated_files() if expected is None else expected
    stale = [rel for rel, content in expected.items()
             if not (root / rel).exists() or (root / rel).read_text(encoding="utf-8") != content]
    folder = root / HELP_INDEX_DIR
    if folder.is_dir():
        stale += sorted(f"{HELP_INDEX_DIR}/{p.name}" for p in folder.glob("*.py")
                        if p.name != "__init__.py" and f"{HELP_INDEX_DIR}/{p.name}" not in expected)
    return stale
