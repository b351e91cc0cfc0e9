"""Runs the app and decides the exit code: the only sys.exit in eclictl."""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import sys
from typing import Any, Sequence

from eclictl.errors import EclictlError, ExitCode


def run(argv: Sequence[str] | None = None, factory: object | None = None) -> int:
    """Run one command line; returns the exit code. Tests call this with a Factory."""
    args = expand_redact_all(list(sys.argv[1:] if argv is None else argv))
    if _fast_help(args, factory):
        return 0
    from eclictl.context import Factory, context_of
    from eclictl.safety.run import finish_run

    factory = factory if isinstance(factory, Factory) else Factory()
    factory = dataclasses.replace(factory, argv=tuple(args))  # echoed as typed, never masked
    code = _run(args, factory)
    # Only here is the exit code known: undo record, automatic revert, then the audit trail line.
    return finish_run(context_of(factory), args, code)


def _run(args: list[str], factory: Any) -> int:
    import typer
    from typer.core import TyperGroup  # noqa: F401  (typer's vendored click types live here)

    from eclictl.app import app

    io = factory.io
    debug = factory.env.get("ECLICTL_DEBUG", "") not in ("", "0")
    command = typer.main.get_command(app)
    redirect = io.stdout is not sys.stdout or io.stderr is not sys.stderr
    with contextlib.ExitStack() as stack:
        if redirect:
            stack.enter_context(contextlib.redirect_stdout(io.stdout))
            stack.enter_context(contextlib.redirect_stderr(io.stderr))
        stack.callback(_finish, factory)
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
            return _closed_pipe()
        except SystemExit as exc:
            # Typer's main turns EPIPE into sys.exit(1) even with standalone_mode=False
            cause = exc.__context__
            if isinstance(cause, OSError) and cause.errno == errno.EPIPE:
                return _closed_pipe()
            raise
        except RecursionError:
            # Hostile input (JSON/TOML nested thousands deep) that slipped past the readers' depth check.
            io.stderr.write("error: the input is nested too deeply to process\n")
            return int(ExitCode.USAGE)
        except Exception as exc:  # noqa: BLE001 - the one place that turns anything into a clean line
            if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
                return _closed_pipe()
            if type(exc).__name__ == "NoArgsIsHelpError":
                # `eclictl` alone asks for help (exit 0, like gh); `eclictl users` alone lacks its verb (exit 2)
                io.stdout.write(str(exc.format_message()).rstrip("\n") + "\n")  # type: ignore[attr-defined]
                return 0 if not args else int(ExitCode.USAGE)
            usage = _usage_error(exc)
            if usage is not None:
                io.stderr.write(cap(usage.rstrip("\n")) + "\n")
                return int(ExitCode.USAGE)
            io.stderr.write(f"error: internal error: {type(exc).__name__}: {cap(_redacted(str(exc)))}\n")
            if debug:
                _traceback(io.stderr)
            else:
                io.stderr.write("(set ECLICTL_DEBUG=1 for a traceback, and please report it)\n")
            return int(ExitCode.ERROR)


def _closed_pipe() -> int:
    """The reader of stdout went away (`eclictl ... | head -1`): not an error, exit 0 quietly (as
    `yes | head` does), so `set -o pipefail` scripts keep working. Later writes, and the flush at exit,
    go to /dev/null instead of raising again."""
    with contextlib.suppress(Exception):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _fast_help(args: list[str], factory: object | None) -> bool:
    """Answer `--version`, a plain `... --help` (from the generated help index) and the completion scripts'
    profile lookup before Typer is imported."""
    io = getattr(factory, "io", None)
    stream = io.stdout if io is not None else sys.stdout
    if args == ["--version"]:
        from eclictl import __version__

        text: str | None = f"eclictl {__version__}\n"
    elif args == ["completion", "--list-profiles"]:  # what the completion scripts run on TAB after -p
        from eclictl.configpath import profile_names

        text = "".join(f"{name}\n" for name in profile_names(getattr(factory, "env", None)))
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
    """Typer's vendored click raises UsageError subclasses for bad flags and values: one line in our words."""
    from typer._click.exceptions import ClickException, UsageError  # typer's own vendored copy

    from eclictl.usage_errors import describe

    if not isinstance(exc, ClickException):
        return None
    described = describe(exc)
    message, hint = described if described is not None else (exc.format_message(), None)
    text = f"error: {message}"
    if hint:
        text += f"\nhint: {hint}"
    elif isinstance(exc, UsageError) and exc.ctx is not None:
        text += f"\nTry '{exc.ctx.command_path} --help' for help."
    return text + "\n"


def _redacted(text: str) -> str:
    """An error or hint as shown: personal data masked, the panel's address and the user's input kept."""
    from eclictl.context import current

    try:
        return current().redactor().message(text)
    except Exception:  # noqa: BLE001 - a broken config must not hide the original error
        return text


#: Longest error or hint line: a message may echo input (a 200 KB TOML line, a huge argument).
MAX_MESSAGE = 400


def cap(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text` cut to `limit` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def _finish(factory: object) -> None:
    """After the command (and its error line): the run's one privacy footer or script note."""
    from eclictl.context import context_of

    ctx = context_of(factory)  # type: ignore[arg-type]
    if ctx is None:
        return
    with contextlib.suppress(Exception):  # a broken config or a closed pipe must not change the exit code
        ctx.finish()


def _report(exc: EclictlError, stream: object) -> None:
    if not exc.message:
        return  # QuietExit: the command already said everything
    message = cap(_redacted(exc.message))
    line = f"error: {message}"
    if exc.hint:
        line += f"\nhint: {cap(_redacted(exc.hint))}"
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
        text = current().redactor().log(text)
    except Exception:  # noqa: BLE001
        pass
    stream.write(text)  # type: ignore[attr-defined]


def _on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM (systemd, timeout, kill) unwinds like Ctrl-C: `finally` blocks run, so a download's
    `.part` file is removed and a bulk run reports what finished."""
    raise KeyboardInterrupt


def main() -> None:
    import signal

    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:  # a parent that ignores SIGTERM keeps it ignored
        signal.signal(signal.SIGTERM, _on_sigterm)
    code = run()
    try:
        sys.stdout.flush()  # here, not at interpreter exit, where a closed pipe would print a traceback
    except (BrokenPipeError, OSError):
        _closed_pipe()
    sys.exit(code)
