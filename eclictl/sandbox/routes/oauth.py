"""Sandbox: OAuth apps (docs/panel/integrations.md#oauth-apps, feature `oauth` via the prefix gate).

There are no admin OAuth routes: staff use the normal app routes, where `admin:oauth` lists every app
and `oauth:manage`/`admin:oauth` may edit any app (user-based checks: an API key counts only when its
owner is root). Quirks reproduced: the client secret appears only in the create and rotate-secret
answers; PUT returns the raw entity with `clientSecretHash` and the owner's full user row; the public
GET by clientId 404s for inactive apps. Plaintext secrets are kept in `state.oauth_secrets` only so
tests can prove they never reach any output.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from eclictl.sandbox.auth import allowed
from eclictl.sandbox.router import HttpError, Request, route

SCOPES = ("profile", "email", "servers:read", "servers:write", "orgs:read", "billing:read", "admin")
GRANTS = ("authorization_code", "client_credentials", "refresh_token")
PUBLIC = ("id", "clientId", "name", "description", "logoUrl", "privacyPolicyUrl", "termsOfServiceUrl",
          "redirectUris", "allowedScopes", "grantTypes", "active", "createdAt")
CREATE_NOTE = "Store clientSecret securely - it will not be shown again."
ROTATE_NOTE = "All existing tokens have been revoked. Store the new secret securely."
#: The create answer (oauthHandler.ts): no `active`, plus clientSecret and _note.
CREATED = ("id", "clientId", "name", "description", "logoUrl", "privacyPolicyUrl", "termsOfServiceUrl",
           "redirectUris", "allowedScopes", "grantTypes", "createdAt")


def _hash(secret: str) -> str:
    return "$sha256$" + hashlib.sha256(secret.encode()).hexdigest()


def seed(state: Any, rng: Any) -> None:
    state.oauth_apps, state.oauth_secrets, state.oauth_tokens = {}, {}, {}
    rows = [("Billing Dashboard", 1, ["https://billing.example.com/callback"], ["profile", "email", "billing:read"],
             True),
            ("Discord Bot", 2, ["https://bot.example.net/oauth"], ["profile", "servers:read"], True),
            ("Legacy Importer", 3, ["http://localhost:8080/cb"], ["profile"], False)]
    for i, (name, owner, uris, scopes, active) in enumerate(rows, start=1):
        secret = "ecs_" + "".join(rng.choice("0123456789abcdef") for _ in range(48))
        state.oauth_secrets[i] = secret
        state.oauth_apps[i] = {
            "id": i, "clientId": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "name": name,
            "description": f"{name} integration", "logoUrl": None, "privacyPolicyUrl": None,
            "termsOfServiceUrl": None, "redirectUris": uris, "allowedScopes": scopes,
            "grantTypes": ["authorization_code", "refresh_token"], "active": active,
            "createdAt": state.iso(state.now() - 86400 * (40 - i * 7)),
            "clientSecretHash": _hash(secret), "ownerId": owner,
        }
        state.oauth_tokens[i] = 2 + i  # live access tokens; rotate-secret revokes them


def _user(req: Request) -> dict[str, Any]:
    return getattr(req.principal, "user", None) or {}


def _can(req: Request, perm: str) -> bool:
    return allowed(req.principal, "S", perm, req.state)


def _public(app: dict[str, Any]) -> dict[str, Any]:
    return {k: app.get(k) for k in PUBLIC}


def _app_or_error(req: Request) -> dict[str, Any]:
    app = req.row(req.state.oauth_apps, "App not found")
    if not (app.get("ownerId") == _user(req).get("id") or _can(req, "oauth:manage") or _can(req, "admin:oauth")):
        raise HttpError(403, "Forbidden")
    return app


def _js_or(value: Any, default: Any) -> Any:
    """JS `value || default`: only null/false/0/'' fall back (an empty array does not)."""
    return default if value is None or value is False or value == 0 or value == "" else value


@route("GET", "/api/oauth/apps")
def list_apps(req: Request) -> Any:
    rows = sorted(req.state.oauth_apps.values(), key=lambda a: a["id"])
    if not _can(req, "admin:oauth"):
        rows = [a for a in rows if a.get("ownerId") == _user(req).get("id")]
    return [_public(a) for a in rows]


@route("POST", "/api/oauth/apps")
def create_app(req: Request) -> Any:
    body = req.json_object()
    if not body.get("name"):
        raise HttpError(400, "name is required")
    uris = body.get("redirectUris")
    if not isinstance(uris, list) or not uris:
        raise HttpError(400, "redirectUris must be a non-empty array")
    scopes = _js_or(body.get("allowedScopes"), ["profile", "email"])  # [] is truthy in JS: no default
    scopes = [s for s in scopes if s in SCOPES]
    if not scopes:
        raise HttpError(400, "No valid scopes provided")
    grants = _js_or(body.get("grantTypes"), ["authorization_code", "refresh_token"])
    grants = [g for g in grants if g in GRANTS]
    table = req.state.oauth_apps
    ident = max(table, default=0) + 1
    secret = "ecs_" + hashlib.sha256(f"sandbox-oauth-{ident}-{len(table)}".encode()).hexdigest()[:48]
    app = {"id": ident, "clientId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-oauth-{ident}")),
           "name": body["name"], "description": body.get("description"), "logoUrl": body.get("logoUrl"),
           "privacyPolicyUrl": str(body["privacyPolicyUrl"]).strip() if body.get("privacyPolicyUrl") else None,
           "termsOfServiceUrl": str(body["termsOfServiceUrl"]).strip() if body.get("termsOfServiceUrl") else None,
           "redirectUris": uris, "allowedScopes": scopes, "grantTypes": grants, "active": True,
           "createdAt": req.state.iso(req.state.now()), "clientSecretHash": _hash(secret),
           "ownerId": _user(req).get("id")}
    table[ident] = app
    req.state.oauth_secrets[ident] = secret
    return 201, {**{k: app.get(k) for k in CREATED}, "clientSecret": secret, "_note": CREATE_NOTE}


@route("GET", "/api/oauth/apps/:clientId", auth=False)
def public_app(req: Request) -> Any:
    app = next((a for a in req.state.oauth_apps.values() if a["clientId"] == req.params.get("clientId")), None)
    if app is None or not app.get("active"):
        raise HttpError(404, "App not found")
    owner = req.state.users.get(app.get("ownerId"))
    keys = ("clientId", "name", "description", "logoUrl", "privacyPolicyUrl", "termsOfServiceUrl",
            "allowedScopes", "grantTypes")  # no id, no redirect URIs
    name = " ".join(x for x in ((owner or {}).get("firstName"), (owner or {}).get("lastName")) if x)
    return {**{k: app.get(k) for k in keys},
            "ownerName": (owner or {}).get("displayName") or name or "Eclipse Systems"}


@route("PUT", "/api/oauth/apps/:id")
def update_app(req: Request) -> Any:
    app = _app_or_error(req)
    body = req.json_object()
    for key in ("name", "description", "logoUrl", "redirectUris", "grantTypes", "active", "privacyPolicyUrl",
                "termsOfServiceUrl"):
        if key in body:
            app[key] = body[key]  # grantTypes are NOT filtered (a panel quirk)
    for key in ("privacyPolicyUrl", "termsOfServiceUrl"):
        if key in body:
            app[key] = str(body[key]).strip() if body[key] else None
    if "allowedScopes" in body and isinstance(body["allowedScopes"], list):
        app["allowedScopes"] = [s for s in body["allowedScopes"] if s in SCOPES]
    owner = req.state.users.get(app.get("ownerId")) or {}
    return {"success": True, "app": {**{k: v for k, v in app.items() if k != "ownerId"}, "owner": dict(owner)}}


@route("POST", "/api/oauth/apps/:id/rotate-secret")
def rotate_secret(req: Request) -> Any:
    app = _app_or_error(req)
    secret = "ecs_" + hashlib.sha256(f"{app['clientSecretHash']}:rotated".encode()).hexdigest()[:48]
    app["clientSecretHash"] = _hash(secret)
    req.state.oauth_secrets[app["id"]] = secret
    req.state.oauth_tokens[app["id"]] = 0  # every token of the app is revoked
    return {"clientId": app["clientId"], "clientSecret": secret, "_note": ROTATE_NOTE}


@route("DELETE", "/api/oauth/apps/:id")
def delete_app(req: Request) -> Any:
    app = _app_or_error(req)
    del req.state.oauth_apps[app["id"]]
    req.state.oauth_secrets.pop(app["id"], None)
    return {"success": True}
