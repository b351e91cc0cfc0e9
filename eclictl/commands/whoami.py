"""`eclictl whoami`: the user, key type and permissions, and which portal sections this key can use."""

from __future__ import annotations

from typing import Any

import typer

from eclictl.options import command

app = typer.Typer(add_completion=False)


def usable_sections(info: dict[str, Any]) -> list[dict[str, Any]]:
    """Per section: usable or not, and why (eclictl/access.py, shared with `doctor`)."""
    from eclictl.access import section_access

    return section_access(info)


@app.command("whoami", epilog="Examples:\n\n  eclictl whoami\n\n  eclictl whoami -o json | jq .sections")
@command()
def whoami() -> Any:
    """Show who you are on the panel, your key's type and permissions, and the sections you can use."""
    from eclictl.commands.auth import describe_key
    from eclictl.context import current

    ctx = current()
    info = describe_key(ctx, ctx.api)
    info["profile"] = ctx.settings.profile
    info["url"] = ctx.settings.url
    sections = usable_sections(info)
    info["sections"] = [s["section"] for s in sections if s["usable"]]
    info["sections_denied"] = [s["section"] for s in sections if not s["usable"]]
    return info
