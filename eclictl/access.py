"""Which portal sections a credential can use, and why not: shared by `whoami` and `doctor`.

The gates (backend/src/middleware/authorize.ts, backend/src/handlers/adminHandler.ts): an admin-type
API key and a root user's session pass every gate; a client-type key passes the A gate only with its
own permission list and the H gate only when its owner is root; a non-root session passes by its
role's permissions (admin:access plus the section's own permission).
"""

from __future__ import annotations

from typing import Any


def section_access(info: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per declared section: section, permission, usable, reason (why it is usable or not).

    `info` is what eclictl.commands.auth.describe_key returns (key_type, root, permissions).
    """
    from eclictl.sections._spec import all_sections

    return [_one(section.name, section.permission, info, getattr(section, "session_only", False))
            for section in all_sections()]


def _one(name: str, need: str, info: dict[str, Any], session_only: bool = False) -> dict[str, Any]:
    from eclictl.permissions import holds

    perms = info.get("permissions") or []
    root = bool(info.get("root"))
    kind = info.get("key_type")
    if session_only and kind != "session":
        ok, why = False, "the panel answers 401 to every API key here: log in with e-mail and password"
    elif kind == "admin":
        ok, why = True, "admin API key: passes every permission gate"
    elif kind == "session" and root:
        ok, why = True, "root user: passes every permission gate"
    elif kind == "client":
        if not root:
            ok, why = False, "client API key of a non-root owner: the panel's admin checks need a root owner"
        elif not holds(perms, "admin:access"):
            ok, why = False, "client API key without admin:access in its own permission list (root-only key check)"
        else:
            ok, why = True, "client API key of a root owner with admin:access"
    else:
        if not holds(perms, "admin:access"):
            ok, why = False, "the user's roles lack admin:access"
        elif need and not holds(perms, need):
            ok, why = False, f"the user's roles lack {need}"
        else:
            ok, why = True, "granted by the user's roles"
    return {"section": name, "permission": need, "usable": ok, "reason": why}
