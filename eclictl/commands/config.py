"""`eclictl config get|set|unset|path`: one setting of the current profile."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from eclictl.config import PROFILE_KEYS, SECRET_KEYS, mask_secret, parse_profile_value
from eclictl.errors import UsageError
from eclictl.options import command

app = typer.Typer(name="config", add_completion=False, help="Read and change settings of the current profile.", no_args_is_help=True)

_KEYS_HELP = ", ".join(sorted(PROFILE_KEYS))
#: Left out of the full listing: what `auth login` stores for a session (see `eclictl auth status`),
#: and bookkeeping. `config get KEY` still answers for each (secrets masked).
INTERNAL_KEYS = frozenset({"profile_exists", "token", "csrf_token", "token_expires_at"})


@app.command("get", epilog="Examples:\n\n  eclictl config get\n\n  eclictl config get redact\n\n"
                           "  eclictl -p prod config get url")
@command(config=True)
def get(key: Annotated[str, typer.Argument(help=f"One of: {_KEYS_HELP}. Empty = all.")] = "") -> Any:
    """Show the effective value of a setting and where it comes from (flag, env, profile)."""
    from eclictl.context import current

    ctx = current()
    settings = ctx.settings
    public = settings.public()
    if key:
        if key not in public:
            raise UsageError(f"unknown setting '{key}'", hint=f"known settings: {_KEYS_HELP}")
        return {"key": key, "value": public[key], "source": settings.sources.get(key, "default")}
    return [{"key": k, "value": v, "source": settings.sources.get(k, "default")} for k, v in public.items()
            if k not in INTERNAL_KEYS]


@app.command("set", epilog="Examples:\n\n  eclictl config set redact true\n\n  eclictl config set output json\n\n"
                           "  eclictl config set timeout 60")
def set_(key: Annotated[str, typer.Argument(help=f"One of: {_KEYS_HELP}.")],
         value: Annotated[str, typer.Argument(help="The new value.")]) -> None:
    """Change a setting in the current profile (validated before it is written)."""
    from eclictl.commands.profile import save_profile
    from eclictl.context import current

    ctx = current()
    parsed = parse_profile_value(key, value)
    save_profile(ctx, ctx.settings.profile, {key: parsed})
    shown = mask_secret(str(parsed)) if key in SECRET_KEYS else parsed
    ctx.info(f"{ctx.settings.profile}: {key} = {shown}")


@app.command("unset", epilog="Examples:\n\n  eclictl config unset output")
def unset(key: Annotated[str, typer.Argument(help="Setting to remove from the profile.")]) -> None:
    """Remove a setting from the current profile (back to its default)."""
    from eclictl.commands.profile import save_profile
    from eclictl.context import current

    if key not in PROFILE_KEYS:
        raise UsageError(f"unknown setting '{key}'", hint=f"known settings: {_KEYS_HELP}")
    ctx = current()
    save_profile(ctx, ctx.settings.profile, {key: None})


@app.command("path", epilog="Examples:\n\n  eclictl config path")
def path() -> None:
    """Print where config.toml lives (ECLICTL_CONFIG_DIR overrides it)."""
    from eclictl.context import current

    ctx = current()
    ctx.io.stdout.write(f"{ctx.config_file}\n")
