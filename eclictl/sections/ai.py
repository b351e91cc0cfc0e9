"""AI Models tab: `/api/admin/ai/*` (docs/panel/integrations.md#ai-models, docs/panel/users.md#ai-model-links).

The panel checks `ai:manage` on the *user*: an API key works only when its owner is root (even an
admin-type key). The model list exposes every upstream `apiKey` and fallback-endpoint key, so every
record is scrubbed here before it reaches any output format (keys dropped, credentials and query
strings removed from endpoint URLs). Create/update answer `text/plain` `[object Object]`, so they
re-read the model through the list. Linking a user goes through `/api/ai/...` (feature `ai`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from eclictl.errors import NotFoundError, RejectedError, UsageError
from eclictl.inputs import loads_json
from eclictl.options import YesOpt, command, opt
from eclictl.output.columns import Col
from eclictl.sections._fields import Bulk, Field, Write, add_writes
from eclictl.sections._scrub import AI_DENIED_HINT, ScrubbedSection, safe_url, scrub, with_hint  # noqa: F401
from eclictl.sections._spec import build, detail_view, register

BASE = "/api/admin/ai"
MODELS_PATH = f"{BASE}/models"
MODEL_PANEL = "Model"
SECRET_PANEL = "Upstream credentials (never shown)"


def _ai_call(ctx: Any, method: str, path: str, body: Any = None) -> Any:
    """One AI request; an unnamed 403 ('AI management permission required.') gets the ai:manage hint."""
    from eclictl.api.errors import ApiPermissionError

    try:
        return ctx.api.request(method, path, json_body=body).data
    except ApiPermissionError as exc:
        raise with_hint(exc, AI_DENIED_HINT) from None


app = typer.Typer(name="ai", help="AI models: upstream models, plan links and user links (needs ai:manage).",
                  no_args_is_help=True, add_completion=False,
                  context_settings={"help_option_names": ["-h", "--help"]}, rich_markup_mode="rich")

MODELS = ScrubbedSection(
    name="ai models",
    help="AI models: list, show, create, edit, delete (API keys are never shown).",
    path=MODELS_PATH,
    columns=(Col("id"), Col("name"), Col("config.modelId", "UPSTREAM MODEL"), Col("tags"), Col("endpoint")),
    permission="ai:manage",
    tab="ai",
    verbs=("list", "show"),
    examples=("eclictl ai models list", "eclictl ai models list -o json",
              "eclictl ai models show eclipse-chat-small", "eclictl ai models show 2 -o json"),
)
models_app = build(MODELS)
app.add_typer(models_app, name="models")


# -- helpers ----------------------------------------------------------------------------------

def _json_object(text: Optional[str], flag: str) -> Any:
    if text is None:
        return None
    try:
        value = loads_json(text)
    except ValueError as exc:
        raise UsageError(f"{flag} must be JSON, e.g. '{{\"requestsPerDay\": 100}}': {exc}") from None
    if value is not None and not isinstance(value, dict):
        raise UsageError(f"{flag} must be a JSON object (or null)")
    return value


def _read_secret(ctx: Any, key: Optional[str], key_file: Optional[Path]) -> Optional[str]:
    """The upstream API key from a file or stdin ('-'), never from a visible argument."""
    if key is not None and key_file is not None:
        raise UsageError("give the API key once: --api-key - or --api-key-file FILE")
    if key is not None and key != "-":
        raise UsageError("refusing an API key on the command line (visible in ps and shell history)",
                         hint="use --api-key - (reads stdin) or --api-key-file FILE")
    if key is None and key_file is None:
        return None
    text = ctx.io.stdin.readline() if key == "-" else ctx.read_text(key_file, dash=False)
    secret = text.strip()
    if not secret:
        raise UsageError("the API key is empty")
    return secret


def _endpoints(path: Optional[Path]) -> Any:
    if path is None:
        return None
    try:
        data = loads_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UsageError(f"{path} is not JSON: {exc}") from None
    if data is not None and not (isinstance(data, list) and all(isinstance(e, (dict, str)) for e in data)):
        raise UsageError("--endpoints-file must hold a JSON array of {id?, url?|endpoint?, apiKey?|key?}")
    for i, ep in enumerate(data or []):
        url = (ep.get("url") or ep.get("endpoint")) if isinstance(ep, dict) else ep
        if url is not None:
            _check_url(str(url), f"endpoint at index {i}")
    return data


def _check_url(url: str, what: str = "--endpoint") -> None:
    from urllib.parse import urlsplit

    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise UsageError(f"{what} must be an http(s) URL, got '{safe_url(url)}'")


def _models(ctx: Any) -> list[dict[str, Any]]:
    return [m for m in MODELS.iter_rows(ctx.api) if isinstance(m, dict)]


def _resolve(rows: list[dict[str, Any]], ref: str) -> dict[str, Any]:
    by_id = [m for m in rows if ref.isdigit() and str(m.get("id")) == ref]
    if by_id:
        return by_id[0]
    named = [m for m in rows if str(m.get("name", "")) == ref]
    if len(named) > 1:
        raise RejectedError(f"'{ref}' matches several AI models: {', '.join(str(m.get('id')) for m in named)}",
                            hint="use the id")
    if not named:
        raise NotFoundError(f"no AI model '{ref}'")
    return named[0]


def _int(ref: str, what: str) -> int:
    if not ref.isdigit():
        raise UsageError(f"{what} ids are numbers, got '{ref}'")
    return int(ref)


def _link_row(body: Any, **extra: Any) -> dict[str, Any]:
    """A link answer without the embedded model keys and user row."""
    body = body if isinstance(body, dict) else {}
    link = body.get("link") if isinstance(body.get("link"), dict) else {}
    model = link.get("model") if isinstance(link.get("model"), dict) else {}
    row: dict[str, Any] = {"linkId": link.get("id"), "modelId": model.get("id", extra.get("modelId")),
                           "modelName": model.get("name")}
    row.update({k: v for k, v in extra.items() if k not in row or row[k] is None})
    row["limits"] = scrub(link.get("limits"))
    row["updated"] = bool(body.get("updated"))
    return row


# -- models -----------------------------------------------------------------------------------

LimitsOpt = opt(str, "--limits", help="Limits as a JSON object, e.g. '{\"requestsPerDay\": 100}'.", panel=MODEL_PANEL)
#: The arguments the link verbs share.
ModelArg = Annotated[str, typer.Argument(metavar="MODEL", help="Model id or exact name.")]
PlanArg = Annotated[str, typer.Argument(metavar="PLAN", help="Plan id.")]
LinkUserArg = Annotated[str, typer.Argument(metavar="USER", help="User id or exact e-mail (the panel finds the link "
                                            "by LINK alone).")]
LinkArg = Annotated[str, typer.Argument(metavar="LINK", help="Link id (see the user's profile, aiModels[].id).")]


def _nonempty(value: str) -> str:
    if not value.strip():
        raise UsageError("--name must not be empty")
    return value


def _url(value: str) -> str:
    _check_url(value)
    return value


def _model_secrets(ctx: Any, body: dict[str, Any], extras: dict[str, Any]) -> None:
    """--model-id goes into config; the API key is read from stdin or a file (--clear-api-key: null)."""
    clear = extras.get("clear_api_key")
    if clear and (extras.get("api_key") is not None or extras.get("api_key_file") is not None):
        raise UsageError("--clear-api-key conflicts with --api-key/--api-key-file")
    if "config.modelId" in body:
        extras["model_only"] = "config" not in body
        body["config"] = {**(body.get("config") or {}), "modelId": body.pop("config.modelId")}
    secret = _read_secret(ctx, extras.get("api_key"), extras.get("api_key_file"))
    if secret is not None:
        body["apiKey"] = secret
    if clear:
        body["apiKey"] = None


def _send_new(ctx: Any, method: str, path: str, body: dict[str, Any]) -> Any:
    before = {m.get("id") for m in _models(ctx)}
    return before, _ai_call(ctx, method, path, body)  # text/plain `[object Object]` on the real panel


def _find_new(ctx: Any, ident: Any, body: dict[str, Any], sent: Any) -> Any:
    """The panel's answer carries no record: the new model is the one the list did not have before."""
    before, answer = sent
    rows = _models(ctx)
    created = [m for m in rows if m.get("id") not in before and m.get("name") == body.get("name")]
    if isinstance(answer, dict) and answer.get("id") is not None:
        created = [m for m in rows if m.get("id") == answer.get("id")] or created
    if not created:
        ctx.warn("the panel accepted the model but it is not in the model list; check `eclictl ai models list`")
        return scrub({k: v for k, v in body.items() if k != "apiKey"})
    model = max(created, key=lambda m: m.get("id") or 0)
    ctx.info(f"created AI model {model.get('id')} ({body.get('name')})")
    return model


def _model_id(ctx: Any, ref: str, body: dict[str, Any], extras: dict[str, Any]) -> Any:
    model = _resolve(_models(ctx), ref)
    if extras.get("model_only") and isinstance(model.get("config"), dict):
        # The panel replaces config as a whole: keep the other config keys.
        body["config"] = {**model["config"], "modelId": body["config"]["modelId"]}
    return model.get("id")


def _reread_model(ctx: Any, ident: Any, body: dict[str, Any], answer: Any) -> Any:
    fresh = next((m for m in _models(ctx) if m.get("id") == ident), None)
    if fresh is None:
        raise NotFoundError(f"AI model {ident} is gone after the update")
    return fresh


NO_DIRS = (("dir_okay", False),)
MODEL_FIELDS = (
    Field("name", "--name", str, "Model name shown to users.", verbs=("create",), required=True, panel=MODEL_PANEL,
          check=_nonempty, show_default=True),
    Field("name", "--name", str, "New name.", verbs=("edit",), panel=MODEL_PANEL, check=_nonempty),
    Field("config.modelId", "--model-id", str, "Upstream model name (config.modelId).", panel=MODEL_PANEL),
    Field("config", "--config", str, "The whole config object as JSON.", panel=MODEL_PANEL,
          check=lambda v: _json_object(v, "--config")),
    Field("limits", "--limits", str, "Limits as a JSON object, e.g. '{\"requestsPerDay\": 100}'.",
          panel=MODEL_PANEL, check=lambda v: _json_object(v, "--limits")),
    Field("tags", "--tag", list[str], "A tag (repeat; replaces the tag list).", panel=MODEL_PANEL, param="tags",
          check=lambda v: list(dict.fromkeys(t.strip() for t in v if t.strip()))),
    Field("endpoint", "--endpoint", str, "OpenAI-compatible base URL (http/https).", panel=MODEL_PANEL, check=_url),
    Field("endpoints", "--endpoints-file", Path, "JSON array of fallback endpoints [{id?, url, apiKey?}] (replaces "
          "the list).", panel=SECRET_PANEL, options=NO_DIRS, check=_endpoints),
    Field("apiKey", type=str, verbs=(), secret=True, help="The upstream API key (from stdin or a file)."),
)
KEY_OPTIONS = (
    Field("apiKey", "--api-key", str, "Read the upstream API key from stdin ('-' only: a key typed as an argument "
          "would be visible in ps).", metavar="-", panel=SECRET_PANEL),
    Field("apiKey", "--api-key-file", Path, "Read the upstream API key from this file.", panel=SECRET_PANEL,
          options=NO_DIRS),
)
ORDER = ("name", "model_id", "config", "limits", "tags", "endpoint", "api_key", "api_key_file", "endpoints_file")
MODEL_WRITES = (
    Write("create", "Create an AI model; the API key comes from a file or stdin and is never printed.",
          "Examples:\n\n"
          "  eclictl ai models create --name eclipse-chat --model-id gpt-4o-mini "
          "--endpoint https://llm.example.com/v1 --api-key-file ./key.txt\n\n"
          "  pass show llm/key | eclictl ai models create --name chat --endpoint https://llm/v1 --api-key -",
          "POST", MODELS_PATH, fields=ORDER, extra=KEY_OPTIONS, prepare=_model_secrets, send=_send_new,
          reread=_find_new),
    Write("edit", "Change an AI model; only the given fields are sent (each replaces the stored value).",
          "Examples:\n\n"
          "  eclictl ai models edit eclipse-chat-small --limits '{\"requestsPerDay\": 800}'\n\n"
          "  eclictl ai models edit 2 --api-key-file ./new-key.txt\n\n"
          "  eclictl ai models edit 3 --model-id llama-3.3-70b --tag local --tag big",
          "PUT", f"{MODELS_PATH}/{{id}}", fields=(*ORDER, "clear_api_key"), ref="ID|NAME",
          ref_help="The model's id or exact name.", nothing=("nothing to change", "see `eclictl ai models edit --help`"),
          extra=(*KEY_OPTIONS, Field("apiKey", "--clear-api-key", bool, "Remove the upstream API key.",
                                     panel=SECRET_PANEL)),
          prepare=_model_secrets, resolve=_model_id, send=_ai_call, reread=_reread_model),
)
MODELS = register(replace(MODELS, fields=MODEL_FIELDS, writes=MODEL_WRITES))
add_writes(models_app, MODELS)


def _targets(ctx: Any, items: list[str]) -> dict[str, dict[str, Any]]:
    """Every ref resolved against one listing, before anything is deleted."""
    rows = _models(ctx)
    return {item: _resolve(rows, item) for item in items}


add_writes(models_app, replace(MODELS, writes=(
    Bulk("delete", "Delete AI models (all names/ids are checked against the list before anything is deleted).",
         "Examples:\n\n  eclictl ai models delete 3 --yes\n\n  eclictl ai models delete local-llama eclipse-code --yes",
         "delete AI models", "ID|NAME...", "Model ids or names; '-' reads stdin.",
         lambda ctx, item, targets: _ai_call(ctx, "DELETE", f"{MODELS_PATH}/{targets[item].get('id')}"),
         lookup=_targets,
         dry_run=False,
         question=lambda items: f"Delete AI models {', '.join(items[:10])}? Users and plans lose access."),
)))


# -- cooldowns and plan links -----------------------------------------------------------------

@app.command("cooldowns", epilog="Examples:\n\n  eclictl ai cooldowns\n\n  eclictl ai cooldowns -o json")
@command()
def cooldowns() -> Any:
    """Recent upstream-endpoint cooldowns (rate-limited or failing endpoints, up to 100)."""
    from eclictl.context import current
    from eclictl.output.render import View

    from eclictl.api.pagination import extract_items

    rows = extract_items(_ai_call(current(), "GET", f"{BASE}/cooldowns"), None, f"GET {BASE}/cooldowns")
    # Redis entries {timestamp, modelId, modelName, endpoint, waitMs}; one that is not JSON comes back as a string.
    rows = [scrub(r) if isinstance(r, dict) else {"raw": r} for r in rows]
    return View(rows, columns=(Col("timestamp", "WHEN"), Col("modelId", "MODEL"), Col("modelName", "NAME"),
                               Col("endpoint"), Col("waitMs", "WAIT MS")), empty="no AI endpoint cooldowns")


@app.command("plan-models", epilog="Examples:\n\n  eclictl ai plan-models 3\n\n  eclictl ai plan-models 3 -o json")
@command()
def plan_models(plan: PlanArg) -> Any:
    """List the AI models a plan gives access to, with the per-plan limits."""
    from eclictl.context import current
    from eclictl.output.render import View

    plan_id = _int(plan, "plan")
    from eclictl.api.pagination import rows_of

    path = f"{BASE}/plans/{plan_id}/models"
    rows = [scrub(r) for r in rows_of(_ai_call(current(), "GET", path), None, f"GET {path}")]
    return View(rows, columns=(Col("id", "LINK"), Col("model.id", "MODEL"), Col("model.name", "NAME"),
                               Col("limits")), empty=f"no AI models linked to plan {plan_id}")


def _link(ctx: Any, model: str, target_key: str, target_id: int, limits: str | None, path: str) -> Any:
    """POST a plan or user link (validated before the request); the answer becomes one link row."""
    body: dict[str, Any] = {target_key: target_id}
    if limits is not None:
        body["limits"] = _json_object(limits, "--limits")
    model_id = _resolve(_models(ctx), model).get("id")
    answer = _ai_call(ctx, "POST", path.format(model=model_id), body)
    return detail_view(MODELS, _link_row(answer, modelId=model_id, **{target_key: target_id}))


@app.command("link-plan", epilog="Examples:\n\n  eclictl ai link-plan eclipse-chat-small 3\n\n"
             "  eclictl ai link-plan 2 3 --limits '{\"requestsPerDay\": 300}'")
@command(writes=True)
def link_plan(
    model: ModelArg,
    plan: PlanArg,
    limits: LimitsOpt = None,
) -> Any:
    """Give a plan's users access to a model (an existing link gets its limits updated)."""
    from eclictl.context import current

    return _link(current(), model, "planId", _int(plan, "plan"), limits, f"{MODELS_PATH}/{{model}}/link-plan")


@app.command("unlink-plan", epilog="Examples:\n\n  eclictl ai unlink-plan eclipse-chat-small 3 --yes")
@command()
def unlink_plan(
    model: ModelArg,
    plan: PlanArg,
    yes: YesOpt = False,
) -> Any:
    """Remove a model from a plan (its users lose access unless linked otherwise)."""
    from eclictl.context import current

    ctx = current()
    plan_id = _int(plan, "plan")
    model_id = _resolve(_models(ctx), model).get("id")
    ctx.confirm(f"Unlink AI model {model_id} from plan {plan_id}?", yes=yes, what="unlink an AI model")
    _ai_call(ctx, "DELETE", f"{MODELS_PATH}/{model_id}/unlink-plan/{plan_id}")
    return {"modelId": model_id, "planId": plan_id, "unlinked": True}


# -- user links -------------------------------------------------------------------------------


def _user(ctx: Any, ref: str) -> int:
    from eclictl.sections._spec import user_ref

    return user_ref(ctx.api, ref)

@app.command("link-user", epilog="Examples:\n\n  eclictl ai link-user eclipse-chat-small 42\n\n"
             "  eclictl ai link-user 2 42 --limits '{\"requestsPerDay\": 50}'")
@command(writes=True)
def link_user(
    model: ModelArg,
    user: Annotated[str, typer.Argument(metavar="USER", help="User id or exact e-mail.")],
    limits: LimitsOpt = None,
) -> Any:
    """Give one user access to a model (feature 'ai'; an existing link gets its limits updated)."""
    from eclictl.context import current

    ctx = current()
    return _link(ctx, model, "userId", _user(ctx, user), limits, "/api/ai/models/{model}/link-user")


@app.command("user-limits", epilog="Examples:\n\n  eclictl ai user-limits 42 7 --limits '{\"requestsPerDay\": 20}'")
@command(writes=True)
def user_limits(
    user: LinkUserArg,
    link: LinkArg,
    limits: Annotated[str, typer.Option("--limits", help="Limits as a JSON object (or null).")],
) -> Any:
    """Change the limits of one user's model link (needs admin:access and ai:read)."""
    from eclictl.context import current

    ctx = current()
    link_id = _int(link, "link")
    user_id = _user(ctx, user)
    value = _json_object(limits, "--limits")
    answer = ctx.api.put(f"/api/admin/users/{user_id}/ai/{link_id}", {"limits": value})
    return detail_view(MODELS, _link_row(answer, linkId=link_id, userId=user_id))


@app.command("unlink-user", epilog="Examples:\n\n  eclictl ai unlink-user 42 7 --yes")
@command()
def unlink_user(
    user: LinkUserArg,
    link: LinkArg,
    yes: YesOpt = False,
) -> Any:
    """Remove one user's model link (needs admin:access and ai:read; the panel serves it at /admin/..., no /api)."""
    from eclictl.api.errors import ApiNotFoundError, ApiStatusError
    from eclictl.context import current

    ctx = current()
    link_id = _int(link, "link")
    user_id = _user(ctx, user)
    ctx.confirm(f"Remove AI link {link_id} of user {user_id}?", yes=yes, what="remove an AI link")
    tried: list[str] = []
    # The panel registers this DELETE without the /api prefix (a known bug); a fixed panel would use /api.
    for path in (f"/admin/users/{user_id}/ai/{link_id}", f"/api/admin/users/{user_id}/ai/{link_id}"):
        tried.append(path)
        try:
            resp = ctx.api.request("DELETE", path, expect_json=False)  # a non-JSON 200 is judged below
        except ApiNotFoundError as exc:
            if isinstance(exc.body, dict) and exc.body.get("error") not in (None, "Route not found"):
                raise  # the panel's own answer, e.g. 'Link not found'
            continue  # no such route here (or a proxy page): try the other path
        except ApiStatusError as exc:
            if exc.status == 405:
                continue
            raise
        if not (resp.is_json and isinstance(resp.data, dict)):
            # Only the panel answers JSON here; an HTML page means a proxy sent /admin/... elsewhere.
            raise RejectedError(f"DELETE {path} was not answered by the panel (HTTP {resp.status}, not JSON); "
                                f"AI link {link_id} may still exist",
                                hint="the panel serves this route outside /api: make the proxy forward "
                                     "/admin/users/*/ai/* to the backend, or remove the link in the portal")
        return {"userId": user_id, "linkId": link_id, "unlinked": True}
    raise NotFoundError(f"the panel has no route to remove user AI links (tried {' and '.join(tried)})",
                        hint="a proxy may forward only /api/* to the backend; remove the link in the portal")
