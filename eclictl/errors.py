"""The exit codes and the error tree every command raises into.

main() is the only place that turns these into an exit status; commands raise.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    """Documented in `eclictl help exit-codes` and the README."""

    OK = 0
    ERROR = 1
    USAGE = 2
    NETWORK = 3
    AUTH = 4
    PERMISSION = 5
    NOT_FOUND = 6
    REJECTED = 7
    PARTIAL = 8
    FEATURE_DISABLED = 9
    INTERRUPTED = 130


EXIT_CODE_HELP: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.ERROR: "any other error: a 5xx from the panel, or a success answer that cannot be read "
                    "(JSON cut short, an HTML page or an empty body where JSON was due, a list shorter "
                    "than the total the panel stated)",
    ExitCode.USAGE: "usage error: bad flag, bad value, unknown column, bad or too deeply nested file, "
                    "unwritable --file/--journal, a --resume journal of another command",
    ExitCode.NETWORK: "network error or timeout (the panel could not be reached, or stopped sending), "
                      "or a redirect (3xx): the URL points elsewhere and nothing was carried out",
    ExitCode.AUTH: "authentication failed (HTTP 401) or the stored session expired",
    ExitCode.PERMISSION: "permission denied (HTTP 403); the message names the missing permission when known",
    ExitCode.NOT_FOUND: "not found (HTTP 404)",
    ExitCode.REJECTED: "input rejected (HTTP 400/409/422), ambiguous name, a safety limit refused the run "
                       "(--max-affected, --prune with an empty file), or a value to write holds a privacy mask",
    ExitCode.PARTIAL: "a bulk operation partly failed; the report says which items",
    ExitCode.FEATURE_DISABLED: "the feature is disabled on the panel (HTTP 503 `common.featureDisabled` or "
                                 "'Feature ... is disabled')",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C or SIGTERM)",
}


class EclictlError(Exception):
    """Base of every error eclictl reports to the user as one line."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, *, hint: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details


class UsageError(EclictlError):
    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """A broken config file or profile."""


class RejectedError(EclictlError):
    """Refused before or by the panel: bad input, ambiguity, safety limits."""

    exit_code = ExitCode.REJECTED


class NotFoundError(EclictlError):
    exit_code = ExitCode.NOT_FOUND


class AuthError(EclictlError):
    exit_code = ExitCode.AUTH


class PartialFailure(EclictlError):
    """Raised after a bulk report was printed, so main() only sets the exit code."""

    exit_code = ExitCode.PARTIAL


class Interrupted(EclictlError):
    exit_code = ExitCode.INTERRUPTED


class QuietExit(EclictlError):
    """Exit with a code and no error line: `diff` commands exit 1 when changes are pending."""

    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(message)
        self.exit_code = code  # type: ignore[assignment]
