"""Roles: reading roles and permission rows, the permission checks, and the single writes
(`/api/roles*`, `/api/permissions`); used by `eclictl roles`, `users assign` and undo.

The panel ignores the role id in a permission row's DELETE path: `revoke_one` deletes only rows that
`GET /api/roles/:id/permissions` lists for that very role.
"""

from __future__ import annotations

from typing import Any, Iterable

from eclictl.errors import NotFoundError, RejectedError, UsageError

PATH = "/api/roles"

#: Checked by the panel's code but missing from its catalogue (docs/panel/roles.md#permissions-the-routes-check).
KNOWN_UNCATALOGUED = frozenset({
    "admin:student:verify", "admin:payment:manage", "admin:read", "admin:write", "mailbox:read",
    "admin.shorturl.add", "admin.shorturl.edit.own", "admin.shorturl.edit.any", "admin.shorturl.remove",
})


# -- reading ----------------------------------------------------------------------------------
def fetch_roles(api: Any) -> list[dict[str, Any]]:
    """Every role with its permission rows and parent (GET /api/roles; no paging)."""
    return api.rows(PATH)


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


def _role_perms(api: Any, role_id: int) -> list[dict[str, Any]]:
    """The permission rows of exactly this role (the only rows revoke may delete)."""
    return api.rows(f"{PATH}/{role_id}/permissions")


def fetch_catalogue(api: Any) -> list[dict[str, Any]]:
    return api.rows("/api/permissions")


def _values(perms: Any) -> list[str]:
    return [str(p.get("value")) for p in (perms or []) if isinstance(p, dict) and p.get("value") is not None]


# -- permission string checks ---------------------------------------------------------------
def _is_known_wildcard(perm: str, catalogue: set[str]) -> bool:
    """`x:*` (or `x:y:*`) is a known wildcard when the catalogue has entries under `x:`."""
    if not perm.endswith(":*") or perm == "*":
        return False
    prefix = perm[:-1]
    return any(value.startswith(prefix) for value in catalogue)


def check_permission(ctx: Any, perm: str, catalogue: set[str], *, allow_wildcard: bool) -> None:
    """Refuse `*` without --allow-wildcard; warn about strings the panel does not know."""
    import difflib

    if not perm or perm != perm.strip() or " " in perm:
        raise UsageError(f"'{perm}' is not a permission string (no spaces, not empty)")
    if perm == "*":
        if not allow_wildcard:
            raise RejectedError("refusing to grant '*' (full platform access)",
                                hint="pass --allow-wildcard if that is really meant")
        ctx.warn("granting '*': holders of this role get full platform access")
        return
    if perm in catalogue or _is_known_wildcard(perm, catalogue):
        return
    if perm in KNOWN_UNCATALOGUED:
        ctx.info(f"note: '{perm}' is checked by the panel but missing from its catalogue "
                 "(the portal's role editor will not list it)")
        return
    close = difflib.get_close_matches(perm, sorted(catalogue | KNOWN_UNCATALOGUED), n=1)
    extra = f"; did you mean '{close[0]}'?" if close else ""
    ctx.warn(f"'{perm}' is neither in the panel's permission catalogue nor a known wildcard{extra} "
             "(the panel stores any string)")


def check_permissions(ctx: Any, perms: Iterable[str], *, allow_wildcard: bool) -> None:
    perms = list(perms)
    if not perms:
        return
    catalogue = {str(p.get("value")) for p in fetch_catalogue(ctx.api)}
    for perm in perms:
        check_permission(ctx, perm, catalogue, allow_wildcard=allow_wildcard)


# -- create / delete ------------------------------------------------------------------------
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
    rows = [p for p in _role_perms(ctx.api, role_id) if p.get("value") == perm]
    for row in rows:
        ctx.api.delete(f"{PATH}/{role_id}/permissions/{int(row['id'])}")
    return len(rows)

