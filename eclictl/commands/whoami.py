"""`eclictl whoami`: the user, key type and permissions, and which portal sections this key can use."""

from __future__ import annotations

from typing import Any

import typer

from eclictl.options import command

app = typer.Typer(add_completion=False)


def usable_sections(info: dict[str, Any]) -> list[dict[str, Any]]:
    """Per docs/panel/auth.md#gates: admin keys pass A and H gates; client keys pass A only via their own list
    and H only with a root owner; sessions use the role permissions (root passes everything)."""
    from eclictl.permissions import holds
    from eclictl.sections._spec import all_sections

    perms = info.get("permissions") or []
    root = bool(info.get("root"))
    kind = info.get("key_type")
    rows = []
    for section in all_sections():
        need = section.permission
        if section.session_only and kind != "session":
            ok = False
        elif kind == "admin" or (kind == "session" and root):
            ok = True
        elif kind == "client":
            ok = root and holds(perms, "admin:access") and (not need or holds(perms, need) or True)
        else:
            ok = holds(perms, "admin:access") and (not need or holds(perms, need))
        rows.append({"section": section.name, "permission": need, "usable": ok})
    return rows


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
