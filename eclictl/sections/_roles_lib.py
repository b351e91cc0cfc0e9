"""Reading and changing roles and their permission rows (`/api/roles*`): shared by the roles and
users sections and by undo (eclictl/safety/kinds.py), which restores roles without importing a section.

The panel IGNORES the role id in `DELETE /api/roles/:id/permissions/:permId` (the row id alone
decides), so `revoke_one` only deletes rows that `GET /api/roles/:id/permissions` lists for that role.
"""

from __future__ import annotations

from typing import Any

from eclictl.errors import NotFoundError, RejectedError

PATH = "/api/roles"


def fetch_roles(api: Any) -> list[dict[str, Any]]:
    """Every role with its permission rows and parent (GET /api/roles; no paging)."""
    body = api.get(PATH)
    return [r for r in (body if isinstance(body, list) else []) if isinstance(r, dict)]


def find_role(roles: list[dict[str, Any]], ref: str) -> dict[str, Any]:
    """A role by id or exact name (case-insensitive when that is unique); exit 6 otherwise."""
    text = str(ref).strip()
    if text.isdigit():
        for role in roles:
            if str(role.get("id")) == text:
                return role
    exact = [r for r in roles if r.get("name") == text]
    if len(exact) == 1:
        return exact[0]
    loose = [r for r in roles if str(r.get("name") or "").lower() == text.lower()]
    if len(loose) == 1:
        return loose[0]
    if len(loose) > 1:
        raise RejectedError(f"'{ref}' matches several roles: {', '.join(str(r.get('id')) for r in loose)}",
                            hint="use the id")
    names = ", ".join(sorted(str(r.get("name")) for r in roles)[:20])
    raise NotFoundError(f"no role '{ref}'", hint=f"roles: {names}" if names else "there are no roles yet")


def role_perms(api: Any, role_id: int) -> list[dict[str, Any]]:
    """The permission rows of exactly this role (the only rows revoke may delete)."""
    body = api.get(f"{PATH}/{role_id}/permissions")
    return [p for p in (body if isinstance(body, list) else []) if isinstance(p, dict)]


def create_role(ctx: Any, name: str, description: str | None, parent_id: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name}
    if description is not None:
        body["description"] = description
    if parent_id is not None:
        body["parentRoleId"] = parent_id
    answer = ctx.api.post(PATH, body)
    role = answer.get("role") if isinstance(answer, dict) else None
    if not isinstance(role, dict) or role.get("id") is None:  # "succeeded, details unavailable": re-read
        role = find_role(fetch_roles(ctx.api), name)
    return role


def grant_one(ctx: Any, role_id: int, perm: str) -> None:
    ctx.api.post(f"{PATH}/{role_id}/permissions", {"value": perm})


def revoke_one(ctx: Any, role_id: int, perm: str) -> int:
    """Delete this role's rows holding `perm`; never a row another role owns."""
    rows = [p for p in role_perms(ctx.api, role_id) if p.get("value") == perm]
    for row in rows:
        ctx.api.delete(f"{PATH}/{role_id}/permissions/{int(row['id'])}")
    return len(rows)
