"""`eclictl help TOPIC`: topics that are not a command (exit codes, environment)."""

from __future__ import annotations

from typing import Annotated

import typer

from eclictl.errors import EXIT_CODE_HELP, UsageError

app = typer.Typer(add_completion=False)

ENVIRONMENT = {
    "ECLICTL_URL": "panel URL (like --url)",
    "ECLICTL_API_KEY": "API key (sent as `Authorization: ApiKey <key>`)",
    "ECLICTL_PROFILE": "profile to use (like --profile)",
    "ECLICTL_OUTPUT": "default output format",
    "ECLICTL_REDACT": "1/true to mask personal data",
    "ECLICTL_TIMEOUT": "request timeout in seconds",
    "ECLICTL_MAX_RETRIES": "retries for safe requests",
    "ECLICTL_CONCURRENCY": "items a bulk verb runs at once (like --concurrency; 1-64, default 8)",
    "ECLICTL_RATE": "request budget of a bulk run, N or N/min (like --rate; default 450, 0 = unpaced)",
    "ECLICTL_CONFIG_DIR": "where config.toml lives",
    "ECLICTL_DEBUG": "1 prints tracebacks (never with locals)",
    "NO_COLOR": "disable colours",
}


def exit_codes_text() -> str:
    return "\n".join(f"{int(code):>3}  {text}" for code, text in EXIT_CODE_HELP.items())


@app.command("help", epilog="Examples:\n\n  eclictl help exit-codes\n\n  eclictl help environment")
def help_topic(topic: Annotated[str, typer.Argument(help="exit-codes or environment")] = "exit-codes") -> None:
    """Explain exit codes or environment variables."""
    from eclictl.context import current

    out = current().io.stdout
    if topic == "exit-codes":
        out.write(exit_codes_text() + "\n")
    elif topic in ("environment", "env"):
        out.write("\n".join(f"{k:<22}{v}" for k, v in ENVIRONMENT.items()) + "\n")
    else:
        raise UsageError(f"unknown help topic '{topic}'", hint="topics: exit-codes, environment")
