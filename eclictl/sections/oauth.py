"""OAuth tab: `/api/oauth/apps*` (docs/panel/integrations.md#oauth-apps, feature `oauth`).

There are no admin OAuth routes: staff use the normal app routes, where `admin:oauth` lists every app
and `oauth:manage`/`admin:oauth` may change any app (a user-based check: an API key counts only when
its owner is root; otherwise you see and change only your own apps). A client secret is shown once,
by `create` and `rotate-secret`; the PUT answer's `clientSecretHash` and the owner's full user row are
dropped here. Secret policy: under --redact these two verbs refuse to run (before any request)
unless the output is `-o json` into a pipe, e.g. straight into a secret store.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Optional

import typer

from eclictl.errors import UsageError
from eclictl.options import YesOpt, command
from eclictl.output.columns import Col
from eclictl.sections._fields import Field, Write
from eclictl.sections._spec import Filter, build, detail_view
from eclictl.sections._scrub import ScrubbedSection, scrub, with_hint

APPS_PATH = "/api/oauth/apps"
APP_PANEL = "App"
SCOPES = ("profile", "email", "servers:read", "servers:write", "orgs:read", "billing:read", "admin")
GRANTS = ("authorization_code", "client_credentials", "refresh_token")
ONCE_NOTE = "store it now; it cannot be shown again"

DENIED_HINT = ("only the app's owner, or a user holding oauth:manage or admin:oauth, may change an app "
               "(checked on the user: an API key counts only when its owner is root)")


class _AppSection(ScrubbedSection):
    scrub_urls = False  # redirect URIs are shown as registered (they carry no credentials)
    denied_hint = DENIED_HINT


def _call(ctx: Any, method: str, path: str, body: Any = None, keep: frozenset[str] = frozenset()) -> Any:
    """One app request; the panel's bare 403 'Forbidden' gets a hint naming the permissions."""
    from eclictl.api.errors import ApiPermissionError

    try:
        return ctx.api.request(method, path, json_body=body, keep=keep).data
    except ApiPermissionError as exc:
        raise with_hint(exc, DENIED_HINT) from None


OAUTH = _AppSection(
    name="oauth",
    help="OAuth apps: list, show, create, edit, rotate-secret, delete (feature 'oauth').",
    path=APPS_PATH,
    columns=(Col("id"), Col("name"), Col("clientId", "CLIENT ID"), Col("active"), Col("allowedScopes", "SCOPES"),
             Col("createdAt", "CREATED")),
    name_fields=("name", "clientId"),
    delete_path=f"{APPS_PATH}/{{id}}",
    permission="admin:oauth",
    tab="oauth",
    filters=(Filter("active", "Only active apps (--inactive: only disabled ones), as `edit --active/--inactive`.",
                    field="active", off="inactive"),),
    examples=("eclictl oauth list", "eclictl oauth list --inactive -o json",
              "eclictl oauth show 'Discord Bot'", "eclictl oauth show 2 -o json",
              "eclictl oauth delete 3 --yes", "eclictl oauth list --inactive -o ids | eclictl oauth delete - --yes"),
    verbs=("list", "show", "delete", "create", "edit"),
)


def _check_values(values: Optional[list[str]], allowed: tuple[str, ...], flag: str) -> Optional[list[str]]:
    if values is None:
        return None
    bad = [v for v in values if v not in allowed]
    if bad:
        raise UsageError(f"unknown {flag} '{bad[0]}' (the panel would drop it silently)",
                         hint=f"one of: {', '.join(allowed)}")
    return list(dict.fromkeys(values))


def _check_uris(uris: Optional[list[str]]) -> Optional[list[str]]:
    if uris is None:
        return None
    from urllib.parse import urlsplit

    for uri in uris:
        if not urlsplit(uri).scheme or not urlsplit(uri).netloc:
            raise UsageError(f"--redirect-uri must be an absolute URL, got '{uri}'")
    return list(dict.fromkeys(uris))


def _guard_secret_output(ctx: Any) -> None:
    """A new secret must reach its reader: under --redact only `-o json` into a pipe is allowed."""
    if "pii" in ctx.redact_categories() and not (ctx.output_format == "json" and not ctx.io.stdout_tty):
        raise UsageError("refusing to print a new client secret under --redact",
                         hint="use --no-redact, or -o json piped into your secret store")


def _public(body: Any) -> dict[str, Any]:
    """An app record without the secret hash and the embedded owner row (kept as ownerId)."""
    body = body if isinstance(body, dict) else {}
    out = {k: v for k, v in scrub(body, urls=False).items() if k not in ("owner", "user")}
    owner = body.get("owner") if isinstance(body.get("owner"), dict) else body.get("user")
    if isinstance(owner, dict) and owner.get("id") is not None and "ownerId" not in out:
        out["ownerId"] = owner.get("id")
    return out


def _nonempty(value: str) -> str:
    if not value.strip():
        raise UsageError("--name must not be empty")
    return value


def _create_checks(ctx: Any, body: dict[str, Any], extras: dict[str, Any]) -> None:
    if not body.get("redirectUris"):
        raise UsageError("give at least one --redirect-uri")
    _guard_secret_output(ctx)


def _create_send(ctx: Any, method: str, path: str, body: dict[str, Any]) -> Any:
    return _call(ctx, method, path, body, keep=frozenset({"clientSecret"}))


def _created(ctx: Any, ident: Any, body: dict[str, Any], answer: Any) -> dict[str, Any]:
    """The new app as answered, with its client secret shown this once."""
    answer = answer if isinstance(answer, dict) else {}
    out = {k: v for k, v in _public(answer).items() if k != "_note"}
    if answer.get("clientSecret"):
        out["clientSecret"] = answer["clientSecret"]
        ctx.warn(f"the client secret is shown only once: {ONCE_NOTE}")
    return out


def _edited(ctx: Any, ident: Any, body: dict[str, Any], answer: Any) -> dict[str, Any]:
    record = answer.get("app") if isinstance(answer, dict) and isinstance(answer.get("app"), dict) else None
    return _public(record if record is not None else OAUTH.resolve(ctx.api, str(ident)))


def _edit_send(ctx: Any, method: str, path: str, body: dict[str, Any]) -> Any:
    return _call(ctx, method, path, body)


FIELDS = (
    Field("name", "--name", str, "App name.", verbs=("create",), required=True, panel=APP_PANEL, check=_nonempty,
          show_default=True),
    Field("name", "--name", str, "New name.", verbs=("edit",), panel=APP_PANEL, check=_nonempty),
    Field("redirectUris", "--redirect-uri", list[str], "Allowed redirect URI (repeat; replaces the list).",
          panel=APP_PANEL, check=_check_uris),
    Field("allowedScopes", "--scope", list[str], f"Allowed scope (repeat): {', '.join(SCOPES)}.", panel=APP_PANEL,
          check=lambda v: _check_values(v, SCOPES, "--scope")),
    Field("grantTypes", "--grant-type", list[str], f"Grant type (repeat): {', '.join(GRANTS)}.", panel=APP_PANEL,
          check=lambda v: _check_values(v, GRANTS, "--grant-type")),
    Field("description", "--description", str, "Description.", panel=APP_PANEL),
    Field("logoUrl", "--logo-url", str, "Logo URL.", panel=APP_PANEL),
    Field("privacyPolicyUrl", "--privacy-url", str, "Privacy policy URL.", panel=APP_PANEL),
    Field("termsOfServiceUrl", "--terms-url", str, "Terms of service URL.", panel=APP_PANEL),
    Field("active", "--active/--inactive", bool, "Enable or disable the app (disabled apps cannot be authorised).",
          verbs=("edit",), panel=APP_PANEL),
)
WRITES = (
    Write("create", "Create an app owned by you and print its client secret once (refused under --redact unless "
          "-o json to a pipe).",
          "Examples:\n\n"
          "  eclictl oauth create --name 'Billing Dashboard' --redirect-uri https://billing.example.com/cb\n\n"
          "  eclictl oauth create --name bot --redirect-uri https://bot.example.net/oauth --scope profile "
          "--scope servers:read -o json | jq -r .clientSecret",
          "POST", APPS_PATH, prepare=_create_checks, send=_create_send, reread=_created),
    Write("edit", "Change an app (yours, or any with oauth:manage/admin:oauth); grant types are checked here, not "
          "by the panel.",
          "Examples:\n\n  eclictl oauth edit 2 --inactive\n\n"
          "  eclictl oauth edit 'Discord Bot' --redirect-uri https://bot.example.net/cb --scope profile",
          "PUT", f"{APPS_PATH}/{{id}}", ref="ID|NAME", ref_help="App id, exact name or client id.",
          nothing=("nothing to change", "see `eclictl oauth edit --help`"), send=_edit_send, reread=_edited),
)
OAUTH = replace(OAUTH, fields=FIELDS, writes=WRITES)
app = build(OAUTH)


@app.command("rotate-secret", epilog="Examples:\n\n  eclictl oauth rotate-secret 2 --yes\n\n"
             "  eclictl oauth rotate-secret 'Discord Bot' --yes -o json | jq -r .clientSecret")
@command()
def rotate_secret(
    ref: Annotated[str, typer.Argument(metavar="ID|NAME", help="App id, exact name or client id.")],
    yes: YesOpt = False,
) -> Any:
    """Issue a new client secret (shown once) and revoke every token of the app."""
    from eclictl.context import current

    ctx = current()
    _guard_secret_output(ctx)
    ident = OAUTH.resolve_id(ctx.api, ref)
    ctx.confirm(f"Rotate the client secret of app {ident}? Every token it issued is revoked.", yes=yes,
                what="rotate an OAuth client secret")
    answer = _call(ctx, "POST", f"{APPS_PATH}/{ident}/rotate-secret", keep=frozenset({"clientSecret"}))
    answer = answer if isinstance(answer, dict) else {}
    out: dict[str, Any] = {"id": ident, "clientId": answer.get("clientId"), "clientSecret": answer.get("clientSecret")}
    if out["clientSecret"]:
        ctx.warn(f"new client secret issued; all tokens of the app are revoked: {ONCE_NOTE}")
    return detail_view(OAUTH, out)
