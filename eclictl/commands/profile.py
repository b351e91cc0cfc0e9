"""`eclictl profile`: named connection profiles in config.toml."""

from __future__ import annotations

from typing import Annotated, Any, Mapping

import typer

from eclictl.config import SECRET_KEYS, mask_secret, mask_url_password, save_config
from eclictl.errors import NotFoundError
from eclictl.options import YesOpt, command

app = typer.Typer(name="profile", add_completion=False, help="Connection profiles: list, use, show, remove.", no_args_is_help=True)


def save_profile(ctx: Any, name: str, values: Mapping[str, Any], *, make_current: bool | None = None,
                 replace: bool = False) -> None:
    """Merge values into a profile and write config.toml atomically (mode 0600)."""
    ctx.reload_config()
    data = dict(ctx.config)
    profiles = dict(data.get("profiles", {}))
    profile = {} if replace else dict(profiles.get(name, {}))
    for key, value in values.items():
        if value is None:
            profile.pop(key, None)
        else:
            profile[key] = value
    profiles[name] = profile
    data["profiles"] = profiles
    if make_current or (make_current is None and "current_profile" not in data):
        data["current_profile"] = name
    save_config(ctx.config_file, data)
    ctx.reload_config()


def _rows(ctx: Any) -> list[dict[str, Any]]:
    data = ctx.config
    current_name = data.get("current_profile")
    rows = []
    for name, profile in sorted(data.get("profiles", {}).items()):
        auth = "api key" if profile.get("api_key") else ("session" if profile.get("token") else "none")
        rows.append({"name": name, "current": name == current_name, "url": mask_url_password(profile.get("url")),
                     "auth": auth,
                     "output": profile.get("output"), "redact": profile.get("redact")})
    return rows


@app.command("list", epilog="Examples:\n\n  eclictl profile list\n\n  eclictl profile list -o json")
@command()
def list_profiles() -> Any:
    """List profiles (the current one is marked)."""
    from eclictl.context import current
    from eclictl.output.columns import Col
    from eclictl.output.render import View

    return View(_rows(current()), columns=[Col("name"), Col("current"), Col("url"), Col("auth"), Col("output"),
                                           Col("redact")], id_field="name", empty="no profiles yet: eclictl auth login")


@app.command("use", epilog="Examples:\n\n  eclictl profile use production")
def use(name: Annotated[str, typer.Argument(help="Profile to make current.")]) -> None:
    """Make a profile the default for every command."""
    from eclictl.context import current

    ctx = current()
    data = dict(ctx.config)
    if name not in data.get("profiles", {}):
        raise NotFoundError(f"no profile named '{name}'")
    data["current_profile"] = name
    save_config(ctx.config_file, data)
    ctx.info(f"now using profile '{name}'")


@app.command("show", epilog="Examples:\n\n  eclictl profile show\n\n  eclictl profile show sandbox -o json")
@command()
def show(name: Annotated[str, typer.Argument(help="Profile (default: the current one).")] = "") -> Any:
    """Show a profile's settings (secrets masked)."""
    from eclictl.context import current

    ctx = current()
    name = name or ctx.settings.profile
    profile = ctx.config.get("profiles", {}).get(name)
    if profile is None:
        raise NotFoundError(f"no profile named '{name}'")
    return {"name": name, **{k: (mask_secret(v) if k in SECRET_KEYS and v else mask_url_password(v) if k in
                                 ("url", "web_url") else v) for k, v in profile.items()}}


@app.command("remove", epilog="Examples:\n\n  eclictl profile remove old-panel --yes")
def remove(name: Annotated[str, typer.Argument(help="Profile to delete.")], yes: YesOpt = False) -> None:
    """Delete a profile and its stored credentials."""
    from eclictl.context import current

    ctx = current()
    data = dict(ctx.config)
    profiles = dict(data.get("profiles", {}))
    if name not in profiles:
        raise NotFoundError(f"no profile named '{name}'")
    ctx.confirm(f"Remove profile '{name}' and its credentials?", yes=yes, what="remove a profile")
    del profiles[name]
    data["profiles"] = profiles
    if data.get("current_profile") == name:
        data.pop("current_profile")
    save_config(ctx.config_file, data)
    ctx.info(f"removed profile '{name}'")
