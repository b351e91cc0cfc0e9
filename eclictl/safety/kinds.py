"""What undo knows how to read and restore, one class per kind of panel state.

Every kind describes its target as a FLAT state: field -> value, a field that does not exist
being absent (ABSENT). Undo then works the same way for all of them: the fields a change touched
are those where `before` and `after` differ; the panel "has changed since" when such a field now
holds neither value; restoring writes `before` back for exactly those fields.

* settings   key "panel": every setting, and each flag as `featureToggles.<name>`
* rollout    key = rollout id: its fields, `exists`, and `override:<userId>` -> treatment
* role       key = role name (a recreated role gets a new id): `exists`, description, parent,
             `perm:<permission>`
* user-roles key = user id: `role:<role name>` for each role the user holds
"""

from __future__ import annotations

from typing import Any, Sequence


class _Absent:
    def __repr__(self) -> str:
        return "(none)"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()


def get(state: dict[str, Any], field: str) -> Any:
    return state[field] if field in state else ABSENT


class Kind:
    name = ""
    shared_fetch = True  # one fetch serves every key of this kind (a list route)

    def fetch(self, api: Any, key: str) -> Any:
        raise NotImplementedError

    def extract(self, rows: Any, key: str) -> dict[str, Any]:
        raise NotImplementedError

    def read(self, api: Any, key: str) -> dict[str, Any]:
        return self.extract(self.fetch(api, key), key)

    def equal(self, field: str, a: Any, b: Any) -> bool:
        if a is ABSENT or b is ABSENT:
            return a is b
        return bool(a == b)

    def restore(self, ctx: Any, key: str, want: dict[str, Any], now: dict[str, Any],
                before: dict[str, Any]) -> str:
        """Write `want` back; returns the key to verify (a recreated rollout has a new id)."""
        raise NotImplementedError

    def label(self, key: str, state: dict[str, Any], fields: Sequence[str] = ()) -> str:
        return f"{self.name} {key}"

    def needs_flag_wait(self, fields: list[str]) -> bool:
        return False


# -- settings and feature flags --------------------------------------------------------------------
def flatten_settings(body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key == "featureToggles" and isinstance(value, dict):
            for name, on in value.items():
                out[f"featureToggles.{name}"] = on
        else:
            out[key] = value
    return out


def _flag(value: Any) -> bool:
    """The panel's reading of a stored flag value; a name it does not know counts as on."""
    if value is ABSENT or value is None:
        return True
    if isinstance(value, bool):
        return value
    return value not in (0, "0", "false")


class Settings(Kind):
    name = "settings"

    def fetch(self, api: Any, key: str) -> Any:
        from eclictl.sections._settings_lib import fetch_settings

        return fetch_settings(api)

    def extract(self, rows: Any, key: str) -> dict[str, Any]:
        return flatten_settings(rows if isinstance(rows, dict) else {})

    def equal(self, field: str, a: Any, b: Any) -> bool:
        if field.startswith("featureToggles."):
            return _flag(a) == _flag(b)
        if a is ABSENT or b is ABSENT:
            return a is b
        from eclictl.settings_schema import same

        return same(field, a, b) or same(field, b, a)

    def restore(self, ctx: Any, key: str, want: dict[str, Any], now: dict[str, Any],
                before: dict[str, Any]) -> str:
        from eclictl.sections._settings_lib import put_settings

        body: dict[str, Any] = {}
        for field, value in want.items():
            if field.startswith("featureToggles."):
                body.setdefault("featureToggles", {})[field.split(".", 1)[1]] = _flag(value)
            elif value is not ABSENT:
                body[field] = value
        if body:
            put_settings(ctx.api, body)  # flags and settings in ONE PUT (the panel's flag cache)
        return key

    def label(self, key: str, state: dict[str, Any], fields: Sequence[str] = ()) -> str:
        flags = [f.split(".", 1)[1] for f in fields if f.startswith("featureToggles.")]
        others = [f for f in fields if not f.startswith("featureToggles.")]
        bits = ([f"flags {', '.join(flags)}"] if flags else []) + ([f"settings {', '.join(others)}"] if others else [])
        return "; ".join(bits) or "settings"

    def needs_flag_wait(self, fields: list[str]) -> bool:
        return any(f.startswith("featureToggles.") for f in fields)


# -- rollouts ---------------------------------------------------------------------------------------
ROLLOUT_FIELDS = ("name", "key", "description", "active", "hashRangeStart", "hashRangeEnd", "treatment")


def rollout_state(row: dict[str, Any] | None) -> dict[str, Any]:
    if not isinstance(row, dict):
        return {"exists": False}
    state: dict[str, Any] = {"exists": True}
    for field in ROLLOUT_FIELDS:
        if field in row:
            state[field] = row[field]
    for override in row.get("overrides") or []:
        if isinstance(override, dict) and override.get("userId") is not None:
            state[f"override:{override['userId']}"] = override.get("treatment")
    return state


class Rollout(Kind):
    name = "rollout"

    def fetch(self, api: Any, key: str) -> Any:
        from eclictl.sections._rollouts_lib import fetch_rollouts

        return fetch_rollouts(api)

    def extract(self, rows: Any, key: str) -> dict[str, Any]:
        row = next((r for r in rows or [] if str(r.get("id")) == str(key)), None)
        return rollout_state(row)

    def equal(self, field: str, a: Any, b: Any) -> bool:
        if field == "description":  # the panel stores '' for a missing description
            a = "" if a is ABSENT or a is None else a
            b = "" if b is ABSENT or b is None else b
        return super().equal(field, a, b)

    def restore(self, ctx: Any, key: str, want: dict[str, Any], now: dict[str, Any],
                before: dict[str, Any]) -> str:
        from eclictl.sections._rollouts_lib import PATH, fetch_rollouts

        api = ctx.api
        if "exists" in want and not want["exists"]:
            for field in now:
                if field.startswith("override:"):
                    api.delete(f"{PATH}/{key}/overrides/{field.split(':', 1)[1]}")
            api.delete(f"{PATH}/{key}")
            return key
        if want.get("exists") is True and not now.get("exists"):
            body = {f: before[f] for f in ROLLOUT_FIELDS if f in before}
            body["description"] = body.get("description") or ""
            api.post(PATH, body)
            row = next((r for r in fetch_rollouts(api) if r.get("key") == body.get("key")), None)
            if row is None:
                from eclictl.errors import EclictlError

                raise EclictlError(f"recreating rollout '{body.get('key')}': the panel said OK but it is not listed")
            key = str(row["id"])
            ctx.info(f"rollout {before.get('key')} recreated as rollout {key} (the panel gives it a new id)")
            want = {f: v for f, v in before.items() if f.startswith("override:")}
        fields = {f: want[f] for f in ROLLOUT_FIELDS if f in want and want[f] is not ABSENT}
        if "description" in fields and fields["description"] is None:
            fields["description"] = ""
        if fields:
            api.put(f"{PATH}/{key}", fields)
        for field, value in want.items():
            if not field.startswith("override:"):
                continue
            user = field.split(":", 1)[1]
            if value is ABSENT:
                api.delete(f"{PATH}/{key}/overrides/{user}")
            else:
                api.post(f"{PATH}/{key}/overrides", {"userId": int(user), "treatment": value or ""})
        return key

    def label(self, key: str, state: dict[str, Any], fields: Sequence[str] = ()) -> str:
        name = state.get("key")
        return f"rollout {key}" + (f" ({name})" if name else "")


# -- roles and their permissions --------------------------------------------------------------------
def role_state(roles: list[dict[str, Any]], name: str) -> dict[str, Any]:
    row = next((r for r in roles if r.get("name") == name), None)
    if row is None:
        return {"exists": False}
    by_id = {r.get("id"): r for r in roles}
    parent = (by_id.get(row.get("parentRoleId")) or row.get("parentRole") or {}).get("name") \
        if row.get("parentRoleId") is not None else None
    state: dict[str, Any] = {"exists": True, "description": row.get("description") or "", "parent": parent}
    for perm in row.get("permissions") or []:
        if isinstance(perm, dict) and perm.get("value") is not None:
            state[f"perm:{perm['value']}"] = True
    return state


class Role(Kind):
    name = "role"

    def fetch(self, api: Any, key: str) -> Any:
        from eclictl.sections._roles_api import fetch_roles

        return fetch_roles(api)

    def extract(self, rows: Any, key: str) -> dict[str, Any]:
        return role_state(list(rows or []), key)

    def equal(self, field: str, a: Any, b: Any) -> bool:
        if field.startswith("perm:"):
            return bool(a) == bool(b)
        if field == "description":
            a = "" if a is ABSENT or a is None else a
            b = "" if b is ABSENT or b is None else b
        return super().equal(field, a, b)

    def restore(self, ctx: Any, key: str, want: dict[str, Any], now: dict[str, Any],
                before: dict[str, Any]) -> str:
        from eclictl.errors import RejectedError
        from eclictl.sections._roles_api import PATH, _role_perms, create_role, fetch_roles, find_role, grant_one, \
            revoke_one

        roles = fetch_roles(ctx.api)
        row = next((r for r in roles if r.get("name") == key), None)
        if "exists" in want and not want["exists"]:
            if row is None:
                return key
            role_id = int(row["id"])
            for perm in _role_perms(ctx.api, role_id):
                ctx.api.delete(f"{PATH}/{role_id}/permissions/{int(perm['id'])}")
            try:
                ctx.api.delete(f"{PATH}/{role_id}")
            except Exception as exc:  # noqa: BLE001 - the panel answers 500 while users hold the role
                raise RejectedError(f"cannot delete role '{key}': {getattr(exc, 'message', exc)} "
                                    "(still assigned to users?)") from None
            return key
        if row is None:  # deleted by the change: recreate it with every permission it had
            parent = before.get("parent")
            parent_id = int(find_role(roles, parent)["id"]) if parent else None
            row = create_role(ctx, key, before.get("description") or None, parent_id)
            want = {f: True for f, v in before.items() if f.startswith("perm:") and v}
            ctx.info(f"role {key} recreated (new id {row.get('id')}); assign it to users again if needed")
        role_id = int(row["id"])
        for field, value in want.items():
            if not field.startswith("perm:"):
                continue
            perm = field.split(":", 1)[1]
            if value:
                grant_one(ctx, role_id, perm)
            else:
                revoke_one(ctx, role_id, perm)
        return key

    def label(self, key: str, state: dict[str, Any], fields: Sequence[str] = ()) -> str:
        return f"role {key}"


# -- role assignments -------------------------------------------------------------------------------
class UserRoles(Kind):
    name = "user-roles"
    shared_fetch = False

    def fetch(self, api: Any, key: str) -> Any:
        return api.rows(f"/api/users/{key}/roles")

    def extract(self, rows: Any, key: str) -> dict[str, Any]:
        state: dict[str, Any] = {}
        for link in rows or []:
            role = link.get("role") if isinstance(link, dict) else None
            if isinstance(role, dict) and role.get("name") is not None:
                state[f"role:{role['name']}"] = True
        return state

    def equal(self, field: str, a: Any, b: Any) -> bool:
        return bool(a) == bool(b)

    def restore(self, ctx: Any, key: str, want: dict[str, Any], now: dict[str, Any],
                before: dict[str, Any]) -> str:
        from eclictl.sections._roles_api import fetch_roles, find_role

        links = self.fetch(ctx.api, key)
        roles = None
        for field, value in want.items():
            name = field.split(":", 1)[1]
            if value:
                roles = roles if roles is not None else fetch_roles(ctx.api)
                role = find_role(roles, name)
                ctx.api.post(f"/api/users/{key}/roles", {"roleId": int(role["id"])})
            else:
                for link in links:
                    if (link.get("role") or {}).get("name") == name:
                        ctx.api.delete(f"/api/users/{key}/roles/{link['id']}")
        return key

    def label(self, key: str, state: dict[str, Any], fields: Sequence[str] = ()) -> str:
        return f"user {key} roles"


KINDS: dict[str, Kind] = {k.name: k for k in (Settings(), Rollout(), Role(), UserRoles())}
