"""Roles as code: the TOML file (`roles export/diff/apply`), the plan it makes, and applying it."""

from __future__ import annotations

from typing import Any

from eclictl.errors import EclictlError, RejectedError, UsageError
from eclictl.output.columns import Col
from eclictl.sections._roles_api import PATH, _role_perms, _values, create_role, fetch_roles, grant_one, revoke_one

PLAN_COLUMNS = (Col("action"), Col("role"), Col("permission"), Col("detail"))


def _check_max_affected(plan: list[dict[str, Any]], roles: list[dict[str, Any]], limit: int | None) -> None:
    """Like `eggs apply --max-affected`: count the existing roles a plan grants to, revokes from or deletes."""
    if limit is None:
        return
    existing = {str(r.get("name")) for r in roles}
    affected = {c["role"] for c in plan if c["action"] in ("grant", "revoke", "delete") and c["role"] in existing}
    if len(affected) > limit:
        raise RejectedError(f"{len(affected)} existing role(s) would be changed or deleted, more than --max-affected "
                            f"{limit}: nothing was changed", hint="review with `eclictl roles diff`, then raise "
                            "--max-affected")


# -- roles as code: the file ------------------------------------------------------------------
ROLE_KEYS = ("description", "parent", "permissions")
_HEADER_HINT = ("# EcliPanel roles as code: `eclictl roles diff -f FILE`, `eclictl roles apply -f FILE`.\n"
                "# description and parent are compared only when present; the panel cannot change them after\n"
                "# a role is created (recreate the role instead). Inheritance is one level deep.\n\n")


def export_toml(roles: list[dict[str, Any]]) -> str:
    """Every role as `[roles.<name>]` with description, parent and sorted, unique permissions."""
    import tomli_w

    by_id = {r.get("id"): r for r in roles}
    doc: dict[str, Any] = {}
    for role in sorted(roles, key=lambda r: str(r.get("name"))):
        entry: dict[str, Any] = {}
        if role.get("description"):
            entry["description"] = str(role["description"])
        parent = by_id.get(role.get("parentRoleId")) or (role.get("parentRole") or {})
        if parent.get("name"):
            entry["parent"] = str(parent["name"])
        entry["permissions"] = sorted(set(_values(role.get("permissions"))))
        doc[str(role.get("name"))] = entry
    return _HEADER_HINT + tomli_w.dumps({"roles": doc})


class RoleFile:
    """A parsed roles file; keeps the text so errors can name the line of a key."""

    def __init__(self, path: str, text: str, roles: dict[str, dict[str, Any]]) -> None:
        self.path = path
        self.text = text
        self.roles = roles

    def line_of(self, role: str | None, key: str | None = None) -> int | None:
        """Line of `[roles.<role>]` (or of `key` inside it); None when it cannot be found."""
        import re

        header = re.compile(r"^\s*\[\s*roles\s*\.\s*(.+?)\s*\]\s*$")
        current: str | None = None
        header_line: int | None = None
        for number, line in enumerate(self.text.splitlines(), start=1):
            m = header.match(line)
            if m:
                current = m.group(1).strip().strip("\"'")
                if current == role:
                    header_line = number
                    if key is None:
                        return number
                continue
            if line.lstrip().startswith("["):
                current = None
            if current == role and key and re.match(rf"^\s*\"?{re.escape(key)}\"?\s*=", line):
                return number
        return header_line

    def error(self, message: str, role: str | None = None, key: str | None = None) -> UsageError:
        line = self.line_of(role, key) if role else None
        where = f"{self.path}:{line}" if line else self.path
        dotted = ".".join(x for x in ("roles", role, key) if x)
        return UsageError(f"{where}: {dotted}: {message}")


def load_file(path: str) -> RoleFile:
    """Read and validate a roles TOML file; every problem is exit 2 naming file, line and key."""
    from eclictl.tomlfile import read_toml

    text, data = read_toml(path)
    rf = RoleFile(path, text, {})
    extra = [k for k in data if k != "roles"]
    if extra:
        raise UsageError(f"{path}: unknown top-level key '{extra[0]}' (expected only [roles.<name>] tables)")
    roles = data.get("roles", {})
    if not isinstance(roles, dict):
        raise UsageError(f"{path}: 'roles' must be a table of [roles.<name>] entries")
    for name, spec in roles.items():
        rf.roles[name] = _check_entry(rf, name, spec)
    _check_cycles(rf)
    return rf


def _check_entry(rf: RoleFile, name: str, spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise rf.error("must be a table ([roles.<name>])", name)
    if not name.strip():
        raise rf.error("a role name cannot be empty", name)
    for key in spec:
        if key not in ROLE_KEYS:
            raise rf.error(f"unknown key (allowed: {', '.join(ROLE_KEYS)})", name, key)
    for key in ("description", "parent"):
        if key in spec and not isinstance(spec[key], str):
            raise rf.error("must be a string", name, key)
    perms = spec.get("permissions", [])
    if not isinstance(perms, list) or not all(isinstance(p, str) and p.strip() == p and p for p in perms):
        raise rf.error("must be an array of non-empty permission strings", name, "permissions")
    if spec.get("parent") == name:
        raise rf.error("a role cannot be its own parent", name, "parent")
    return {**spec, "permissions": sorted(set(perms))}


def _check_cycles(rf: RoleFile) -> None:
    for start in rf.roles:
        seen = [start]
        parent = rf.roles[start].get("parent")
        while parent in rf.roles:
            if parent in seen:
                raise rf.error(f"parent cycle: {' -> '.join(seen + [parent])}", start, "parent")
            seen.append(parent)
            parent = rf.roles[parent].get("parent")


def _creation_order(rf: RoleFile) -> list[str]:
    """Parents before children (only parents that are in the file matter)."""
    done: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        parent = rf.roles[name].get("parent")
        if parent in rf.roles:
            visit(parent)
        done.append(name)

    for name in sorted(rf.roles):
        visit(name)
    return done


# -- roles as code: the plan ------------------------------------------------------------------
def _change(action: str, role: str, permission: str = "", detail: str = "") -> dict[str, Any]:
    return {"action": action, "role": role, "permission": permission, "detail": detail}


def make_plan(rf: RoleFile, roles: list[dict[str, Any]], *, prune: bool) -> list[dict[str, Any]]:
    """create / grant / revoke / delete rows, plus `drift` rows the panel cannot apply."""
    by_name = {str(r.get("name")): r for r in roles}
    by_id = {r.get("id"): r for r in roles}
    plan: list[dict[str, Any]] = []
    for name in _creation_order(rf):
        spec = rf.roles[name]
        current = by_name.get(name)
        parent = spec.get("parent")
        if parent and parent not in rf.roles and parent not in by_name:
            raise rf.error(f"parent role '{parent}' is neither in the file nor on the panel", name, "parent")
        if current is None:
            bits = [f"parent {parent}" if parent else "", f"'{spec['description']}'" if spec.get("description") else ""]
            plan.append(_change("create", name, detail=", ".join(b for b in bits if b)))
            plan += [_change("grant", name, p, "new role") for p in spec["permissions"]]
            continue
        plan += _drift(name, spec, current, by_id)
        have = set(_values(current.get("permissions")))
        plan += [_change("grant", name, p) for p in spec["permissions"] if p not in have]
        plan += [_change("revoke", name, p) for p in sorted(have - set(spec["permissions"]))]
    if prune:
        plan += _prune(rf, roles, by_id)
    return plan


def _drift(name: str, spec: dict[str, Any], current: dict[str, Any], by_id: dict[Any, Any]) -> list[dict[str, Any]]:
    out = []
    why = "the panel cannot change it after creation; recreate the role to apply"
    if "description" in spec and (spec["description"] or "") != (current.get("description") or ""):
        out.append(_change("drift", name, detail=f"description: panel '{current.get('description') or ''}', "
                                                 f"file '{spec['description']}' ({why})"))
    if "parent" in spec:
        parent = (by_id.get(current.get("parentRoleId")) or {}).get("name") or ""
        if (spec["parent"] or "") != parent:
            out.append(_change("drift", name, detail=f"parent: panel '{parent}', file '{spec['parent']}' ({why})"))
    return out


def _depth(role: dict[str, Any], by_id: dict[Any, Any]) -> int:
    depth, seen = 0, {role.get("id")}
    parent = by_id.get(role.get("parentRoleId"))
    while parent is not None and parent.get("id") not in seen:
        depth += 1
        seen.add(parent.get("id"))
        parent = by_id.get(parent.get("parentRoleId"))
    return depth


def _prune(rf: RoleFile, roles: list[dict[str, Any]], by_id: dict[Any, Any]) -> list[dict[str, Any]]:
    extra = [r for r in roles if str(r.get("name")) not in rf.roles]
    extra_ids = {r.get("id") for r in extra}
    out = []
    for role in sorted(extra, key=lambda r: (-_depth(r, by_id), str(r.get("name")))):
        kept_children = [str(r.get("name")) for r in roles
                         if r.get("parentRoleId") == role.get("id") and r.get("id") not in extra_ids]
        if kept_children:
            out.append(_change("drift", str(role.get("name")),
                               detail=f"not in the file but parent of {', '.join(kept_children)}: cannot delete"))
            continue
        count = len(role.get("permissions") or [])
        out.append(_change("delete", str(role.get("name")),
                           detail=f"revokes {count} permission(s) first" if count else ""))
    return out


def plan_view(plan: list[dict[str, Any]], *, with_status: bool = False) -> Any:
    from eclictl.output.render import View

    cols = PLAN_COLUMNS + ((Col("status"), Col("message")) if with_status else ())
    return View(plan, columns=cols, id_field="role", empty="no changes")


# -- roles as code: applying ------------------------------------------------------------------
def _apply_one(ctx: Any, change: dict[str, Any], rf: RoleFile, ids: dict[str, int]) -> None:
    action, name, perm = change["action"], change["role"], change["permission"]
    if action == "create":
        spec = rf.roles[name]
        parent = spec.get("parent")
        role = create_role(ctx, name, spec.get("description"), ids[parent] if parent else None)
        ids[name] = int(role["id"])
    elif action == "grant":
        grant_one(ctx, ids[name], perm)
    elif action == "revoke":
        revoke_one(ctx, ids[name], perm)
    elif action == "delete":
        role_id = ids[name]
        for row in _role_perms(ctx.api, role_id):
            ctx.api.delete(f"{PATH}/{role_id}/permissions/{int(row['id'])}")
        try:
            ctx.api.delete(f"{PATH}/{role_id}")
        except EclictlError as exc:
            raise RejectedError(f"{exc.message} (still assigned to users? `eclictl roles delete {name} --force`)")


def execute(ctx: Any, plan: list[dict[str, Any]], rf: RoleFile, file: str, *, prune: bool) -> None:
    """Run the plan in order, stop at the first failure, report every row, then verify."""
    from eclictl.errors import PartialFailure

    roles = fetch_roles(ctx.api)
    ids = {str(r.get("name")): int(r["id"]) for r in roles}
    from eclictl.safety.undo import remember

    for name in dict.fromkeys(c["role"] for c in plan if c["action"] != "drift"):
        remember(ctx, "role", name, rows=roles)  # for `eclictl undo` / --revert-after
    rows: list[dict[str, Any]] = []
    failed = None
    for change in plan:
        row = {**change, "status": "done", "message": ""}
        if change["action"] == "drift":
            row["status"] = "not applied"
        elif failed is not None:
            row["status"] = "not started"
        else:
            try:
                _apply_one(ctx, change, rf, ids)
            except EclictlError as exc:
                row["status"], row["message"], failed = "failed", exc.message, change
        rows.append(row)
    ctx.emit(plan_view(rows, with_status=True))
    if failed is not None:
        raise PartialFailure(f"apply stopped at {failed['action']} {failed['role']} {failed['permission']}"
                             .rstrip() + "; rerun `eclictl roles diff` to see what is left")
    left = [c for c in make_plan(rf, fetch_roles(ctx.api), prune=prune) if c["action"] != "drift"]
    if left:
        raise EclictlError(f"verification failed: the panel still differs from {file} in {len(left)} place(s), "
                           f"e.g. {left[0]['action']} {left[0]['role']} {left[0]['permission']}".rstrip())
    drifts = [c for c in plan if c["action"] == "drift"]
    if drifts:
        raise RejectedError(f"{len(drifts)} difference(s) cannot be applied: the panel has no route to change a "
                            "role's description or parent, or to delete a parent role",
                            hint="recreate those roles (delete, then apply) if the change matters")
    ctx.info(f"applied {len(plan)} change(s); the panel now matches {file}")

