"""Sandbox: AI models and their plan/user links (docs/panel/integrations.md#ai-models, docs/panel/users.md#ai-model-links).

Gates: every `/api/admin/ai/*` route and `link-user` check `ai:manage` on the *user* (no admin-API-key
bypass: a key works only when its owner is root) -> 403 `AI management permission required.`.
`/api/ai/*` is also behind the `ai` feature (the handler's prefix gate). Quirks reproduced:
create/update answer `text/plain` `[object Object]`; the model list exposes `apiKey`/endpoint keys;
link objects embed the full model (keys included) and, for user links, the full user row; the user-link
DELETE is registered without the `/api` prefix (`DELETE /admin/users/:id/ai/:linkId`).
User links live in `state.user_ai_links` with the shape routes/users.py uses
(`{id, userId, limits, model: {...}}`), so the profile's `aiModels[]` shows links made here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from eclictl.sandbox.auth import allowed, require
from eclictl.sandbox.router import HttpError, Raw, Request, found, route, whole
from eclictl.sandbox.state import next_key, table

OBJECT_OBJECT = Raw(200, "text/plain;charset=utf-8", b"[object Object]")
MODEL_KEYS = ("name", "config", "limits", "tags", "endpoint", "apiKey", "endpoints")


def seed(state: Any, rng: Any) -> None:
    models = table(state, "ai_models")
    if models:
        return
    rows = [
        ("eclipse-chat-small", {"modelId": "gpt-4o-mini", "temperature": 0.7}, {"requestsPerDay": 500},
         "https://llm.internal:8443/v1", "sk-live-model1-9f8e7d6c5b4a39281706f5e4",
         [{"id": "fallback-1", "url": "https://llm-backup.internal/v1", "apiKey": "sk-fallback-1-a1b2c3d4e5f60718"}],
         ["chat", "default"]),
        ("eclipse-code", {"modelId": "qwen2.5-coder-32b"}, {"requestsPerDay": 200, "tokensPerRequest": 8192},
         "https://code-llm.internal/v1", "sk-live-model2-0a1b2c3d4e5f60718293a4b5",
         [{"endpoint": "https://code-llm-2.internal/v1", "key": "fb-key-model2-77c1e0d9a8b7c6d5"}], ["code"]),
        ("local-llama", {"modelId": "llama-3.1-8b-instruct"}, None, None, None, None, ["local"]),
    ]
    for name, config, limits, endpoint, key, endpoints, tags in rows:
        mid = next_key(models)
        models[mid] = {"id": mid, "name": name, "config": config, "limits": limits, "endpoint": endpoint,
                       "apiKey": key, "endpoints": endpoints, "tags": tags}
    links = table(state, "ai_plan_links")
    for model_id, plan_id, limits in ((1, 2, {"requestsPerDay": 100}), (1, 3, {"requestsPerDay": 1000}),
                                      (2, 3, {"requestsPerDay": 300})):
        lid = next_key(links)
        links[lid] = {"id": lid, "modelId": model_id, "planId": plan_id, "limits": limits}
    cooldowns = table(state, "ai_cooldowns")  # the Redis list entries logEndpointCooldown pushes
    cooldowns[1] = {"timestamp": state.iso(state.now() - 60), "modelId": 1, "modelName": "eclipse-chat-small",
                    "endpoint": "https://llm-backup.internal/v1", "waitMs": 120000}


def _gate(req: Request) -> None:
    """ai:manage on the user (S-style): admin API keys do not bypass it, root owners do."""
    if req.principal is None:
        raise HttpError(401, "Unauthorized")
    if not allowed(req.principal, "S", "ai:manage", req.state):
        raise HttpError(403, "AI management permission required.")


def _model(req: Request, name: str = "id") -> dict[str, Any]:
    return req.row(table(req.state, "ai_models"), "Model not found", name)


def _check_urls(body: dict[str, Any]) -> None:
    def ok(url: Any) -> bool:
        try:
            return urlparse(str(url)).scheme in ("http", "https")
        except ValueError:
            return False

    if body.get("endpoint") and not ok(body["endpoint"]):
        raise HttpError(400, "Invalid endpoint URL")
    for i, ep in enumerate(body.get("endpoints") or []):
        url = (ep.get("endpoint") or ep.get("url")) if isinstance(ep, dict) else ep
        if url and not ok(url):
            raise HttpError(400, f"Invalid endpoint URL at index {i}")


@route("GET", "/api/admin/ai/models")
def list_models(req: Request) -> Any:
    _gate(req)
    return [dict(m) for _, m in sorted(table(req.state, "ai_models").items())]


@route("GET", "/api/admin/ai/cooldowns")
def list_cooldowns(req: Request) -> Any:
    _gate(req)
    return list(table(req.state, "ai_cooldowns").values())[:100]


@route("POST", "/api/admin/ai/models")
def create_model(req: Request) -> Any:
    _gate(req)
    body = req.json_object()
    _check_urls(body)
    models = table(req.state, "ai_models")
    mid = next_key(models)

    def obj(key: str) -> Any:
        return body.get(key) if isinstance(body.get(key), dict) and body.get(key) else None

    def text(value: Any) -> Any:
        return value if isinstance(value, str) else None

    endpoints = body.get("endpoints")
    models[mid] = {
        "id": mid, "name": str(body.get("name") or ""), "config": obj("config"), "limits": obj("limits"),
        "endpoint": text(body.get("endpoint")), "apiKey": text(body.get("apiKey")),
        "endpoints": [{k: text(ep.get(k)) for k in ("id", "endpoint", "url", "apiKey", "key")}
                      for ep in endpoints if isinstance(ep, dict)] if isinstance(endpoints, list) else None,
        "tags": [str(t) for t in body["tags"]] if isinstance(body.get("tags"), list) else None,
    }  # create coerces like the panel: non-objects dropped, tags stringified, endpoint fields kept if strings
    return OBJECT_OBJECT  # a bare entity: the panel answers text/plain


@route("PUT", "/api/admin/ai/models/:id")
def update_model(req: Request) -> Any:
    _gate(req)
    model = _model(req)
    body = req.json_object()
    _check_urls(body)
    for key in MODEL_KEYS:
        if key in body:
            model[key] = body[key]  # as sent, no coercion
    return OBJECT_OBJECT


@route("DELETE", "/api/admin/ai/models/:id")
def delete_model(req: Request) -> Any:
    _gate(req)
    _model(req)  # aiHandler.ts: 404 `Model not found` for an unknown id
    table(req.state, "ai_models").pop(req.param_int("id"), None)
    return {"success": True}


def _public_model(model: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in model.items() if k not in ("apiKey", "endpoint")}


@route("GET", "/api/admin/ai/plans/:planId/models")
def plan_models(req: Request) -> Any:
    _gate(req)
    plan_id = req.param_int("planId")
    if plan_id not in table(req.state, "plans"):
        raise HttpError(404, "Plan not found")
    models = table(req.state, "ai_models")
    return [{"id": link["id"], "model": _public_model(models[link["modelId"]]), "limits": link.get("limits")}
            for _, link in sorted(table(req.state, "ai_plan_links").items())
            if link.get("planId") == plan_id and link.get("modelId") in models]


@route("POST", "/api/admin/ai/models/:id/link-plan")
def link_plan(req: Request) -> Any:
    _gate(req)
    model = _model(req)
    body = req.json_object()
    plan = found(table(req.state, "plans"), whole(body.get("planId")), "Plan not found")
    links = table(req.state, "ai_plan_links")
    existing = next((l for l in links.values() if l["modelId"] == model["id"] and l["planId"] == plan["id"]), None)
    if existing is not None:
        if "limits" in body:
            existing["limits"] = body.get("limits")
        # loaded without relations: the answer is just {id, limits}
        return {"success": True, "link": {"id": existing["id"], "limits": existing.get("limits")}, "updated": True}
    lid = next_key(links)
    links[lid] = {"id": lid, "modelId": model["id"], "planId": plan["id"], "limits": body.get("limits")}
    return {"success": True, "link": _plan_link(links[lid], model, plan)}


def _plan_link(link: dict[str, Any], model: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    return {"id": link["id"], "model": dict(model), "plan": dict(plan), "limits": link.get("limits")}


@route("DELETE", "/api/admin/ai/models/:id/unlink-plan/:planId")
def unlink_plan(req: Request) -> Any:
    _gate(req)
    links = table(req.state, "ai_plan_links")
    mid, pid = req.param_int("id"), req.param_int("planId")
    link = next((l for l in links.values() if l["modelId"] == mid and l["planId"] == pid), None)
    if link is None:
        raise HttpError(404, "Link not found")
    del links[link["id"]]
    return {"success": True}


@route("POST", "/api/ai/models/:id/link-user")
def link_user(req: Request) -> Any:
    _gate(req)
    model = _model(req)
    body = req.json_object()
    user = found(req.state.users, whole(body.get("userId")), "User not found")
    links = table(req.state, "user_ai_links")
    existing = next((l for l in links.values() if l.get("userId") == user["id"]
                     and (l.get("modelId") or (l.get("model") or {}).get("id")) == model["id"]), None)
    if existing is not None:
        existing["limits"] = body.get("limits", existing.get("limits"))
        # loaded without relations: the answer is just {id, limits}
        return {"success": True, "link": {"id": existing["id"], "limits": existing.get("limits")}, "updated": True}
    lid = next_key(links)
    links[lid] = {"id": lid, "userId": user["id"], "modelId": model["id"], "limits": body.get("limits"),
                  "model": dict(model)}
    return {"success": True, "link": _user_link(links[lid], user)}


def _user_link(link: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    # The real link embeds the full user row (passwordHash, 2FA secret, sessions...).
    return {"id": link["id"], "model": dict(link.get("model") or {}), "user": dict(user), "limits": link.get("limits")}


def _user_link_or_404(req: Request) -> dict[str, Any]:
    require(req, "A", "admin:access")
    require(req, "H", "ai:read")
    return req.row(table(req.state, "user_ai_links"), "Link not found", "linkId")  # :id is ignored


@route("PUT", "/api/admin/users/:id/ai/:linkId")
def update_user_link(req: Request) -> Any:
    link = _user_link_or_404(req)
    body = req.json_object()
    if "limits" in body:  # `if (limits !== undefined)`
        link["limits"] = body.get("limits")
    return {"success": True, "link": {"id": link["id"], "limits": link.get("limits")}}  # no relations loaded


@route("DELETE", "/admin/users/:id/ai/:linkId")
def delete_user_link(req: Request) -> Any:
    link = _user_link_or_404(req)
    del req.state.user_ai_links[link["id"]]
    return {"success": True}
