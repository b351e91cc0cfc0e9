"""`eclictl profile`: named connection profiles in config.toml."""

from __future__ import annotations

from typing import Annotated, Any, Mapping

import typer

from eclictl.config import SECRET_KEYS, mask_secret, mask_url_password, update_config
from eclictl.errors import NotFoundError
from eclictl.options import YesOpt, command

app = typer.Typer(name="profile", add_completion=False, help="Connection profiles: list, use, show, set, remove; "
                  "protect production panels.", no_args_is_help=True)


def save_profile(ctx: Any, name: str, values: Mapping[str, Any], *, make_current: bool | None = None,
                 replace: bool = False) -> None:
    """Merge values into a profile, write config.toml, and let the context read it again."""
    ctx.save_profile(name, values, make_current=make_current, replace=replace)


def _rows(ctx: Any) -> list[dict[str, Any]]:
    data = ctx.config
    current_name = data.get("current_profile")
    rows = []
    for name, profile in sorted(data.get("profiles", {}).items()):
        auth = "api key" if profile.get("api_key") else ("session" if profile.get("token") else "none")
        rows.append({"name": name, "current": name == current_name, "url": mask_url_password(profile.get("url")),
                     "auth": auth, "output": profile.get("output"), "redact": profile.get("redact"),
                     "protected": bool(profile.get("protected", False))})
    return rows


@app.command("list", epilog="Examples:\n\n  eclictl profile list\n\n  eclictl profile list -o json")
@command(config=True)
def list_profiles() -> Any:
    """List profiles (the current one is marked)."""
    from eclictl.context import current
    from eclictl.output.columns import Col
    from eclictl.output.render import View

    return View(_rows(current()), columns=[Col("name"), Col("current"), Col("url"), Col("auth"), Col("output"),
                                           Col("redact"), Col("protected")], id_field="name",
                empty="no profiles yet: eclictl auth login")


@app.command("use", epilog="Examples:\n\n  eclictl profile use production")
def use(name: Annotated[str, typer.Argument(help="Profile to make current.")]) -> None:
    """Make a profile the default for every command."""
    from eclictl.context import current

    ctx = current()

    def change(data: dict[str, Any]) -> None:
        if name not in data.get("profiles", {}):
            raise NotFoundError(f"no profile named '{name}'")
        data["current_profile"] = name

    update_config(ctx.config_file, change)
    ctx.reload_config()
    ctx.info(f"now using profile '{name}'")


@app.command("show", epilog="Examples:\n\n  eclictl profile show\n\n  eclictl profile show sandbox -o json")
@command(config=True)
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
    if name not in ctx.config.get("profiles", {}):
        raise NotFoundError(f"no profile named '{name}'")
    ctx.confirm(f"Remove profile '{name}' and its credentials?", yes=yes, what="remove a profile")

    def change(data: dict[str, Any]) -> None:
        profiles = dict(data.get("profiles", {}))
        profiles.pop(name, None)
        data["profiles"] = profiles
        if data.get("current_profile") == name:
            data.pop("current_profile")

    update_config(ctx.config_file, change)
    ctx.reload_config()
    ctx.info(f"removed profile '{name}'")


def _existing(ctx: Any, name: str) -> dict[str, Any]:
    profile = ctx.config.get("profiles", {}).get(name)
    if profile is None:
        raise NotFoundError(f"no profile named '{name}'")
    return profile


@app.command("set", epilog="Examples:\n\n  eclictl profile set production require_reason true\n\n"
             "  eclictl profile set staging timeout 60\n\n  eclictl profile set production output json")
def set_(name: Annotated[str, typer.Argument(help="Profile to change.")],
         key: Annotated[str, typer.Argument(help="A setting, as for `eclictl config set` (plus protected, "
                                            "require_reason).")],
         value: Annotated[str, typer.Argument(help="The new value.")]) -> None:
    """Change one setting of a named profile (validated before it is written)."""
    from eclictl.config import parse_profile_value
    from eclictl.context import current

    ctx = current()
    _existing(ctx, name)
    parsed = parse_profile_value(key, value)
    save_profile(ctx, name, {key: parsed}, make_current=False)
    shown = mask_secret(str(parsed)) if key in SECRET_KEYS else parsed
    ctx.info(f"{name}: {key} = {shown}")


@app.command("protect", epilog="Examples:\n\n  eclictl profile protect production\n\n"
             "  eclictl profile protect production --require-reason")
def protect(
    name: Annotated[str, typer.Argument(help="Profile to protect.")],
    require_reason: Annotated[bool, typer.Option("--require-reason", help="Also require --reason on every "
                                                 "change (same as `profile set NAME require_reason true`).")] = False,
) -> None:
    """Protect a profile: every change asks for the profile's name (or --confirm-profile NAME)."""
    from eclictl.context import current

    ctx = current()
    profile = _existing(ctx, name)
    values: dict[str, Any] = {"protected": True}
    if require_reason:
        values["require_reason"] = True
    save_profile(ctx, name, values, make_current=False)
    url = profile.get("url") or "(no URL yet)"
    ctx.info(f"profile '{name}' ({url}) is protected: changes need its name typed at the prompt, or "
             f"--confirm-profile {name} in scripts; --yes alone is not enough"
             + ("; a --reason is required" if require_reason or profile.get("require_reason") else ""))


@app.command("unprotect", epilog="Examples:\n\n  eclictl profile unprotect staging")
def unprotect(name: Annotated[str, typer.Argument(help="Profile to stop protecting.")]) -> None:
    """Stop protecting a profile (require_reason stays as it is)."""
    from eclictl.context import current

    ctx = current()
    _existing(ctx, name)
    save_profile(ctx, name, {"protected": None}, make_current=False)
    ctx.info(f"profile '{name}' is no longer protected")
