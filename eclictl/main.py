"""Runs the app and decides the exit code: the only sys.exit in eclictl."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Sequence

from eclictl.errors import EclictlError, ExitCode


def run(argv: Sequence[str] | None = None, factory: object | None = None) -> int:
    """Run one command line; returns the exit code. Tests call this with a Factory."""
    args = expand_redact_all(list(sys.argv[1:] if argv is None else argv))
    if _fast_help(args, factory):
        return 0
    import typer
    from typer.core import TyperGroup  # noqa: F401  (typer's vendored click types live here)

    from eclictl.app import app
    from eclictl.context import Factory

    factory = factory if isinstance(factory, Factory) else Factory()
    io = factory.io
    debug = factory.env.get("ECLICTL_DEBUG", "") not in ("", "0")
    command = typer.main.get_command(app)
    redirect = io.stdout is not sys.stdout or io.stderr is not sys.stderr
    with contextlib.ExitStack() as stack:
        if redirect:
            stack.enter_context(contextlib.redirect_stdout(io.stdout))
            stack.enter_context(contextlib.redirect_stderr(io.stderr))
        try:
            result = command.main(args=args, prog_name="eclictl", standalone_mode=False, obj=factory)
            return int(result) if isinstance(result, int) else 0
        except EclictlError as exc:
            _report(exc, io.stderr)
            if debug:
                _traceback(io.stderr)
            return int(exc.exit_code)
        except typer.Exit as exc:
            return int(exc.exit_code)
        except typer.Abort as exc:
            if isinstance(exc.__cause__, KeyboardInterrupt):
                io.stderr.write("interrupted\n")
                return int(ExitCode.INTERRUPTED)
            io.stderr.write("aborted\n")
            return int(ExitCode.ERROR)
        except KeyboardInterrupt:
            io.stderr.write("interrupted\n")
            return int(ExitCode.INTERRUPTED)
        except BrokenPipeError:
            with contextlib.suppress(Exception):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            return int(ExitCode.ERROR)
        except Exception as exc:  # noqa: BLE001 - the one place that turns anything into a clean line
            if type(exc).__name__ == "NoArgsIsHelpError":  # `eclictl users` alone: its help, exit 2
                io.stdout.write(str(exc.format_message()).rstrip("\n") + "\n")  # type: ignore[attr-defined]
                return int(ExitCode.USAGE)
            usage = _usage_error(exc)
            if usage is not None:
                io.stderr.write(usage)
                return int(ExitCode.USAGE)
            io.stderr.write(f"error: internal error: {type(exc).__name__}: {_redacted(str(exc))}\n")
            if debug:
                _traceback(io.stderr)
            else:
                io.stderr.write("(set ECLICTL_DEBUG=1 for a traceback, and please report it)\n")
            return int(ExitCode.ERROR)


def _fast_help(args: list[str], factory: object | None) -> bool:
    """Answer `--version` and a plain `... --help` (from the generated help index) before Typer is imported."""
    io = getattr(factory, "io", None)
    stream = io.stdout if io is not None else sys.stdout
    if args == ["--version"]:
        from eclictl import __version__

        text: str | None = f"eclictl {__version__}\n"
    elif "--help" in args or "-h" in args:
        from eclictl.helpfmt import fast_help

        text = fast_help(args, env=getattr(factory, "env", os.environ), stream=stream)
    else:
        return False
    if text is None:
        return False
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        with contextlib.suppress(Exception):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return True


def expand_redact_all(args: list[str]) -> list[str]:
    """`--redact=all` anywhere means all three privacy switches (the portal's three toggles)."""
    if "--redact=all" not in args:
        return args
    rest = [a for a in args if a != "--redact=all"]
    return ["--redact", "--redact-servers", "--redact-orgs", *rest]


def _usage_error(exc: Exception) -> str | None:
    """Typer's vendored click raises UsageError subclasses for bad flags and values."""
    from typer._click.exceptions import ClickException, UsageError  # typer's own vendored copy

    if isinstance(exc, UsageError):
        hint = ""
        if exc.ctx is not None:
            hint = f"\nTry '{exc.ctx.command_path} --help' for help."
        return f"error: {exc.format_message()}{hint}\n"
    if isinstance(exc, ClickException):
        return f"error: {exc.format_message()}\n"
    return None


def _redacted(text: str) -> str:
    from eclictl.context import current

    try:
        return current().redactor().text(text)
    except Exception:  # noqa: BLE001 - a broken config must not hide the original error
        return text


def _report(exc: EclictlError, stream: object) -> None:
    if not exc.message:
        return  # QuietExit: the command already said everything
    message = _redacted(exc.message)
    line = f"error: {message}"
    if exc.hint:
        line += f"\nhint: {_redacted(exc.hint)}"
    stream.write(line + "\n")  # type: ignore[attr-defined]


def _traceback(stream: object) -> None:
    """Only with ECLICTL_DEBUG=1, and never with locals (tokens live in locals)."""
    import traceback

    text = traceback.format_exc()
    try:
        from eclictl.context import current

        settings = current().settings
        for secret in (settings.api_key, settings.token, settings.csrf_token):
            if secret:
                text = text.replace(secret, "****")
        text = current().redactor().text(text)
    except Exception:  # noqa: BLE001
        pass
    stream.write(text)  # type: ignore[attr-defined]


def main() -> None:
    sys.exit(run())
