"""The root Typer app: global options, and lazily loaded command groups.

Each file in `eclictl/sections/` (portal sections) and `eclictl/commands/` (tools) defines one
top-level command as `app`; the file name is the command name (`export_jobs.py` ->
`export-jobs`). A group is imported only when it runs or when help lists it, which keeps
`eclictl --version` and shell completion fast.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from eclictl import __version__
from eclictl.options import SAFETY_PANEL, ColumnsOpt, NoHeadersOpt, OutputOpt, OUTPUT_PANEL, SortByOpt

CONNECTION_PANEL = "Connection"
SECTIONS_PANEL = "Portal sections"
TOOLS_PANEL = "Tools"


def _modules(package: str) -> dict[str, str]:
    pkg = importlib.import_module(package)
    names = {}
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_"):
            continue
        names[info.name.replace("_", "-")] = f"{package}.{info.name}"
    return names


@functools.lru_cache(maxsize=None)
def command_modules() -> dict[str, tuple[str, str]]:
    """command name -> (module path, help panel); the package folders are listed once per process."""
    found = {name: (mod, TOOLS_PANEL) for name, mod in _modules("eclictl.commands").items()}
    found.update({name: (mod, SECTIONS_PANEL) for name, mod in _modules("eclictl.sections").items()})
    return found


def load_typer(name: str) -> typer.Typer | None:
    entry = command_modules().get(name)
    if entry is None:
        return None
    module = importlib.import_module(entry[0])
    return getattr(module, "app", None)


def _help_stub(name: str, panel: str) -> Any:
    """A command that only carries its help text (for listing), or None if the index lacks it."""
    try:
        from eclictl._command_index import HELP
    except ImportError:
        return None
    if name not in HELP:
        return None
    from typer.core import TyperCommand

    stub = TyperCommand(name, help=HELP[name])
    stub.rich_help_panel = panel  # type: ignore[attr-defined]
    return stub


def _verb_name(info: Any) -> str:
    if info.name:
        return str(info.name)
    callback = info.callback
    return callback.__name__.lower().replace("_", "-") if callback is not None else ""


def _only_the_verb_run(sub: typer.Typer, args: tuple[str, ...]) -> typer.Typer:
    """A copy of a group holding only the verb this run calls, when the command line names one.

    Typer turns every verb's signature into click parameters up front (type hints included): for
    a section of 20 verbs that is most of a simple listing's start-up. Help, completion and a verb
    name that is not there (for the "no such command" message) keep the whole group.
    """
    if len(args) < 2 or args[0].startswith("-") or args[1].startswith("-"):
        return sub
    if any(arg in ("--help", "-h") for arg in args):
        return sub
    verb = args[1]
    commands = [c for c in sub.registered_commands if _verb_name(c) == verb]
    groups = [g for g in sub.registered_groups if (g.name or "") == verb]
    if not commands and not groups:
        return sub
    import copy

    pruned = copy.copy(sub)
    pruned.registered_commands = commands
    pruned.registered_groups = groups
    if pruned.registered_callback is None and len(commands) + len(groups) == 1:
        pruned.callback()(_group_stays_a_group)  # else Typer makes a one-verb group that verb
    return pruned


def _group_stays_a_group() -> None:
    """A no-op group callback."""


class LazyGroup(TyperGroup):
    """Imports a command group's module only when it is needed."""

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(command_modules()))

    _listing = False
    _next_args: tuple[str, ...] = ()

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        self._next_args = tuple(args)
        try:
            return super().resolve_command(ctx, args)
        finally:
            self._next_args = ()

    def format_help(self, ctx: Any, formatter: Any) -> None:
        # The command list needs only each group's help text: take it from the generated index
        # instead of importing ~40 section modules (keeps `eclictl --help` fast).
        from eclictl.helpfmt import describe, render

        self._listing = True
        try:
            formatter.write(render(describe(self, ctx)))
        finally:
            self._listing = False

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is not None:
            return cmd
        entry = command_modules().get(cmd_name)
        if entry is None:
            return None
        if self._listing:
            stub = _help_stub(cmd_name, entry[1])
            if stub is not None:
                return stub
        sub = load_typer(cmd_name)
        if sub is None:
            return None
        sub = _only_the_verb_run(sub, self._next_args)
        from eclictl.helpfmt import install

        cmd = install(typer.main.get_command(sub))
        cmd.name = cmd_name
        cmd.rich_help_panel = entry[1]  # type: ignore[attr-defined]
        self.add_command(cmd, cmd_name)
        return cmd


app = typer.Typer(
    name="eclictl",
    cls=LazyGroup,
    help="eclictl: the EcliPanel Staff Portal from your shell, cron jobs and CI pipelines.",
    epilog=(
        "Examples:\n\n"
        "  eclictl sandbox --write-profile sandbox &      # a demo panel to try things on\n\n"
        "  eclictl -p sandbox users list --query spam -o json --redact\n\n"
        "  eclictl users list -q spam -o ids | eclictl users suspend - --yes\n\n"
        "Exit codes: `eclictl help exit-codes`.  Debug: ECLICTL_DEBUG=1."
    ),
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="rich",
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"eclictl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    profile: Annotated[Optional[str], typer.Option("--profile", "-p", help="Profile from config.toml.",
                                                   rich_help_panel=CONNECTION_PANEL, show_default=False)] = None,
    url: Annotated[Optional[str], typer.Option("--url", help="Panel URL, e.g. https://backend.example.com.",
                                               rich_help_panel=CONNECTION_PANEL, show_default=False)] = None,
    timeout: Annotated[Optional[float], typer.Option("--timeout", help="Request timeout in seconds [30].",
                                                     rich_help_panel=CONNECTION_PANEL, min=0.1,
                                                     show_default=False)] = None,
    max_retries: Annotated[Optional[int], typer.Option("--max-retries", help="Retries for safe requests [3].",
                                                       rich_help_panel=CONNECTION_PANEL, min=0,
                                                       show_default=False)] = None,
    output: OutputOpt = None,
    columns: ColumnsOpt = None,
    sort_by: SortByOpt = None,
    no_headers: NoHeadersOpt = False,
    redact: Annotated[Optional[bool], typer.Option(
        "--redact/--no-redact", help="Mask personal data (names, e-mails, addresses, IPs); --redact=all also "
        "hides server and organisation names.", rich_help_panel=OUTPUT_PANEL, show_default=False)] = None,
    redact_servers: Annotated[Optional[bool], typer.Option(
        "--redact-servers/--no-redact-servers", help="Hide server names.", rich_help_panel=OUTPUT_PANEL,
        show_default=False)] = None,
    redact_orgs: Annotated[Optional[bool], typer.Option(
        "--redact-orgs/--no-redact-orgs", help="Hide organisation names.", rich_help_panel=OUTPUT_PANEL,
        show_default=False)] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log requests to stderr (credentials masked).",
                                          rich_help_panel=OUTPUT_PANEL)] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colours (NO_COLOR is honoured too).",
                                           rich_help_panel=OUTPUT_PANEL)] = False,
    reason: Annotated[Optional[str], typer.Option(
        "--reason", metavar="TEXT", help="Why: recorded in the local audit trail with every change this command "
        "makes (`eclictl history`).", rich_help_panel=SAFETY_PANEL, show_default=False)] = None,
    confirm_profile: Annotated[Optional[str], typer.Option(
        "--confirm-profile", metavar="NAME", help="Confirm the profile in use by name (needed by changes on a "
        "protected profile without a terminal).", rich_help_panel=SAFETY_PANEL, show_default=False)] = None,
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Print the version and exit.")] = None,
) -> None:
    """eclictl: the EcliPanel Staff Portal from your shell, cron jobs and CI pipelines."""
    from eclictl.context import AppContext, Factory

    factory = ctx.obj if isinstance(ctx.obj, Factory) else Factory()
    flags: dict[str, Any] = {
        "profile": profile, "url": url, "timeout": timeout, "max_retries": max_retries,
        "output": output.value if output is not None else None, "redact": redact,
        "redact_servers": redact_servers, "redact_orgs": redact_orgs,
        "verbose": verbose, "no_color": no_color,
    }
    if reason is not None or confirm_profile is not None:
        from eclictl.safety.run import root_flags

        flags.update(root_flags(reason, confirm_profile))
    appctx = AppContext(factory, flags)
    if columns:
        appctx.columns = [c.strip() for c in columns.split(",") if c.strip()]
    appctx.sort_by = sort_by
    appctx.no_headers = no_headers
    appctx.activate()
    ctx.call_on_close(appctx.close)
