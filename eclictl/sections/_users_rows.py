"""How `eclictl users` shapes what it shows: plan rows, role links, children, exports (no requests but reads)."""

from __future__ import annotations

from typing import Any

from eclictl.output.columns import Col


def _strip_ai_endpoints(profile: dict[str, Any]) -> None:
    """AI model `endpoint(s)` are secrets too (docs/panel/conventions.md#privacy); the client drops apiKey."""
    for link in profile.get("aiModels") or []:
        model = link.get("model") if isinstance(link, dict) else None
        if isinstance(model, dict):
            model.pop("endpoint", None)
            model.pop("endpoints", None)


def _optional(ctx: Any, what: str, fn: Any) -> Any:
    """A secondary read for `show`: a missing permission is a warning, not a failure."""
    from eclictl.api.errors import ApiPermissionError

    try:
        return fn()
    except ApiPermissionError as exc:
        ctx.warn(f"{what} not shown: {exc.message}")
        return None


PLAN_COLUMNS = (Col("planId", "PLAN"), Col("name"), Col("type"), Col("price"), Col("orderId", "ORDER"),
                Col("status"), Col("expiresAt", "EXPIRES"))


def _plan_rows(body: Any) -> list[dict[str, Any]]:
    rows = []
    for entry in (body or {}).get("plans") or []:
        plan = entry.get("plan") or {} if isinstance(entry, dict) else {}
        order = entry.get("order") or {} if isinstance(entry, dict) else {}
        rows.append({"planId": plan.get("id"), "name": plan.get("name"), "type": plan.get("type"),
                     "price": plan.get("price"), "orderId": order.get("id"), "status": order.get("status"),
                     "expiresAt": order.get("expiresAt")})
    return rows


def _clean_export(data: dict[str, Any]) -> dict[str, Any]:
    """The export carries API key values and AI endpoints: never written anywhere."""
    for key in data.get("apiKeys") or []:
        if isinstance(key, dict):
            key.pop("key", None)
    _strip_ai_endpoints(data)
    return data


CHILD_COLUMNS = (Col("id"), Col("email"), Col("firstName", "FIRST"), Col("lastName", "LAST"),
                 Col("portalType", "PORTAL"), Col("suspended"), Col("createdAt", "CREATED"))


ROLE_LINK_COLUMNS = (Col("roleId", "ROLE"), Col("name"), Col("description"), Col("assignmentId", "LINK"))


def _links(api: Any, user_id: int) -> list[dict[str, Any]]:
    rows = api.get(f"/api/users/{user_id}/roles") or []
    return [r for r in rows if isinstance(r, dict)]


def _link_row(link: dict[str, Any]) -> dict[str, Any]:
    role = link.get("role") or {}
    return {"assignmentId": link.get("id"), "roleId": role.get("id"), "name": role.get("name"),
            "description": role.get("description"), "parentRoleId": role.get("parentRoleId")}
