"""`eclictl auth`: log in (API key, or e-mail + password + 2FA), status, logout."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Optional

import typer

from eclictl.config import mask_secret
from eclictl.errors import AuthError, UsageError
from eclictl.options import command
from eclictl.permissions import is_root_role

app = typer.Typer(name="auth", add_completion=False, help="Log in to a panel, check the stored credentials, log out.",
                  no_args_is_help=True)

LOGIN_EPILOG = """Examples:

  eclictl auth login                                   # asks for URL and key (or e-mail + password)

  echo "$KEY" | eclictl auth login --url https://backend.example.com --with-key

  eclictl auth login --url https://backend.example.com --email me@example.com --password-stdin < pw.txt

  eclictl auth login --profile staging --url https://staging.example.com --with-key < key.txt

Root users who log in with e-mail and password get an `admin` API key minted for this host
(only the key is stored). Non-root staff cannot use API keys on admin routes, so eclictl
stores the session token (about one hour) and asks you to log in again when it expires.
"""


def _session_client(ctx: Any, url: str, token: str | None = None, csrf: str | None = None) -> Any:
    from eclictl.api.client import ApiClient

    s = ctx.settings
    return ApiClient(url, token=token, csrf_token=csrf, timeout=s.timeout, max_retries=s.max_retries,
                     transport=ctx.factory.transport, sleep=ctx.factory.sleep,
                     log=ctx.log if ctx.verbose else None)


def describe_key(ctx: Any, client: Any) -> dict[str, Any]:
    """Who the credentials belong to: /api/users/me plus the key (or session) details."""
    me = client.get("/api/users/me") or {}
    info: dict[str, Any] = {"user_id": me.get("id"), "email": me.get("email"), "role": me.get("role"),
                            "root": is_root_role(me.get("role"))}
    try:
        keys = client.get("/api/apikeys/my")
    except AuthError:
        raise
    except Exception:  # noqa: BLE001 - older panels: the key details are a bonus
        keys = None
    if isinstance(keys, list) and len(keys) == 1 and "Authorization" in client._http.headers \
            and client._http.headers["Authorization"].startswith("ApiKey"):
        key = keys[0]
        info.update({"auth": "api key", "key_id": key.get("id"), "key_name": key.get("name"),
                     "key_type": key.get("type"), "permissions": key.get("permissions") or [],
                     "expires_at": key.get("expiresAt")})
    else:
        session = client.get("/api/auth/session") or {}
        user = session.get("user", {}) if isinstance(session, dict) else {}
        info.update({"auth": "session", "key_type": "session",
                     "permissions": user.get("permissions") or []})
    return info


@app.command("login", epilog=LOGIN_EPILOG)
def login(
    url: Annotated[Optional[str], typer.Option("--url", help="Panel URL.", show_default=False)] = None,
    with_key: Annotated[bool, typer.Option("--with-key", help="Read the API key from stdin.")] = False,
    email: Annotated[Optional[str], typer.Option("--email", help="Log in with e-mail and password.",
                                                 show_default=False)] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    code: Annotated[Optional[str], typer.Option("--code", help="2FA code (TOTP), if the panel asks.",
                                                show_default=False)] = None,
    key_name: Annotated[Optional[str], typer.Option("--key-name", help="Name for a minted admin key "
                                                    "[eclictl-<host>].", show_default=False)] = None,
    profile_name: Annotated[Optional[str], typer.Option("--profile", "-p", metavar="NAME",
                                                        help="Profile to save the credentials in (created if "
                                                        "missing) [the current profile].",
                                                        show_default=False)] = None,
) -> None:
    """Log in and save the credentials in a profile (verified against the panel first)."""
    from eclictl.commands.profile import save_profile
    from eclictl.context import current

    ctx = current()
    ctx.flags["allow_missing_profile"] = True  # logging in is how a new profile comes to exist
    ctx.reload_config()
    profile = profile_name or ctx.flags.get("profile") or ctx.env.get("ECLICTL_PROFILE") \
        or ctx.config.get("current_profile") or "default"
    url = url or ctx.flags.get("url") or ctx.env.get("ECLICTL_URL")
    if not url:
        url = ctx.prompt("Panel URL (e.g. https://backend.example.com)")
    from eclictl.config import parse_profile_value

    url = parse_profile_value("url", url)
    if with_key:
        key = ctx.io.stdin.read().strip()
        if not key:
            raise UsageError("--with-key: no key on stdin")
    elif email:
        _login_password(ctx, profile, url, email, password_stdin, code, key_name)
        return
    else:
        if not ctx.interactive:
            raise UsageError("no terminal to ask for credentials",
                             hint="use --with-key (key on stdin) or --email E --password-stdin")
        key = ctx.prompt("API key (empty to log in with e-mail and password)", secret=True).strip()
        if not key:
            _login_password(ctx, profile, url, ctx.prompt("E-mail"), False, code, key_name)
            return
    client = ctx.build_client(url=url, api_key=key)
    info = describe_key(ctx, client)
    save_profile(ctx, profile, {"url": url, "api_key": key, "token": None, "token_expires_at": None,
                                "csrf_token": None})
    ctx.info(f"logged in to {url} as {info.get('email')} ({info.get('key_type')} key); saved as profile "
             f"'{profile}'")
    if info.get("key_type") == "client" and not info.get("root"):
        ctx.warn("a client key of a non-root user cannot use admin routes (the panel's H checks need a root "
                 "owner); log in with e-mail and password instead")


def _login_password(ctx: Any, profile: str, url: str, email: str, password_stdin: bool, code: str | None,
                    key_name: str | None) -> None:
    from eclictl.commands.profile import save_profile

    if password_stdin:
        password = ctx.io.stdin.readline().rstrip("\n")
    else:
        password = ctx.prompt("Password", secret=True)
    if not password:
        raise UsageError("no password given")
    ctx.warn_plain_http(url, "the password")
    client = _session_client(ctx, url)
    tokens = frozenset({"token", "csrfToken", "tempToken"})  # this command exists to receive them
    body = client.request("POST", "/api/auth/login", json_body={"email": email, "password": password},
                          keep=tokens).data
    if isinstance(body, dict) and body.get("twoFactorRequired"):
        if not code:
            code = ctx.prompt("2FA code")
        body = client.request("POST", "/api/auth/2fa/verify-login",
                              json_body={"tempToken": body.get("tempToken"), "token": code}, keep=tokens).data
    if not isinstance(body, dict) or not body.get("token"):
        raise AuthError("the panel did not return a session token")
    token, csrf = body["token"], body.get("csrfToken")
    session = _session_client(ctx, url, token, csrf)
    # The login answer is only {token, csrfToken} (its response schema drops the user object,
    # backend/src/handlers/authHandler.ts): who logged in comes from the session.
    current_session = session.get("/api/auth/session")
    user = current_session.get("user") if isinstance(current_session, dict) else None
    if not isinstance(user, dict):
        raise AuthError("logged in, but the panel did not say who the session belongs to (GET /api/auth/session)")
    if is_root_role(user.get("role")):
        name = key_name or f"eclictl-{socket.gethostname()}"
        # A session write carries the CSRF token (the session client sends X-CSRF-Token).
        created = session.request("POST", "/api/apikeys", json_body={"name": name, "type": "admin"},
                                  keep=frozenset({"apiKey"})).data
        key = created.get("apiKey") if isinstance(created, dict) else None
        if not key:
            raise AuthError("logged in, but the panel did not return the new admin API key")
        try:
            session.post("/api/auth/logout")
        except Exception:  # noqa: BLE001 - the session expires by itself within the hour
            pass
        save_profile(ctx, profile, {"url": url, "api_key": key, "token": None, "token_expires_at": None,
                                    "csrf_token": None, "auth_email": email})
        ctx.info(f"logged in as root {email}: minted admin API key '{name}' (only the key is stored); "
                 f"profile '{profile}'")
        return
    expires = _token_expiry(token)
    save_profile(ctx, profile, {"url": url, "token": token, "csrf_token": csrf, "api_key": None,
                                "token_expires_at": expires, "auth_email": email})
    ctx.info(f"logged in as {email} with a session token (staff keys cannot use admin routes); it expires at "
             f"{expires}: log in again then. Profile '{profile}'")


def _token_expiry(token: str) -> str:
    """The JWT's exp claim when readable, else the panel's default of one hour."""
    import base64
    import json

    when = datetime.now(timezone.utc) + timedelta(seconds=3600)
    parts = token.split(".")
    if len(parts) == 3:
        try:
            payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
            when = datetime.fromtimestamp(int(payload["exp"]), timezone.utc)
        except (ValueError, KeyError, TypeError):
            pass
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


@app.command("status", epilog="Examples:\n\n  eclictl auth status\n\n  eclictl auth status -o json\n\n"
                              "  eclictl auth status --show-key")
@command()
def status(show_key: Annotated[bool, typer.Option("--show-key", help="Print the key unmasked.")] = False) -> Any:
    """Who the stored credentials belong to; exits 4 if they no longer work."""
    from eclictl.context import current

    ctx = current()
    s = ctx.settings
    secret = s.api_key or s.token or ""
    info: dict[str, Any] = {"profile": s.profile, "url": s.url}
    info.update(describe_key(ctx, ctx.api))
    info["key"] = secret if show_key else mask_secret(secret)
    if info.get("auth") == "session":
        info["expires_at"] = s.token_expires_at
    return info


@app.command("logout", epilog="Examples:\n\n  eclictl auth logout\n\n  eclictl -p old auth logout --revoke")
@command(output=False, writes=True)
def logout(revoke: Annotated[bool, typer.Option("--revoke", help="Also delete the API key on the panel.")]
           = False) -> None:
    """Forget the stored credentials of the profile (and revoke the key with --revoke)."""
    from eclictl.commands.profile import save_profile
    from eclictl.context import current

    ctx = current()
    s = ctx.settings
    if not s.profile_exists:
        raise UsageError(f"profile '{s.profile}' holds no credentials")
    if revoke and s.api_key:
        mine = ctx.api.get("/api/apikeys/my") or []
        if isinstance(mine, list) and len(mine) == 1 and mine[0].get("id") is not None:
            ctx.api.delete(f"/api/apikeys/{mine[0]['id']}")
            ctx.info(f"revoked API key {mine[0].get('name')} on the panel")
    elif s.token:
        try:
            ctx.api.post("/api/auth/logout")
        except Exception:  # noqa: BLE001 - forgetting locally is what matters
            pass
    save_profile(ctx, s.profile, {"api_key": None, "token": None, "csrf_token": None, "token_expires_at": None})
    ctx.info(f"logged out of profile '{s.profile}'")
