"""AI models and OAuth apps against the sandbox panel (docs/panel/integrations.md#ai-models, docs/panel/integrations.md#oauth-apps)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def _flag_off(sandbox: Any, flag: str) -> None:
    sandbox.state.settings.setdefault("featureToggles", {})[flag] = False


def _ai_secrets(sandbox: Any) -> set[str]:
    found: set[str] = set()
    for model in sandbox.state.ai_models.values():
        if model.get("apiKey"):
            found.add(model["apiKey"])
        for ep in model.get("endpoints") or []:
            if isinstance(ep, dict):
                found.update(v for k, v in ep.items() if k in ("apiKey", "key") and v)
    return found


def _out(r: Any) -> str:
    return r.stdout + r.stderr


@pytest.mark.parametrize("group", [("ai",), ("ai", "models"), ("oauth",)])
def test_group_help(cli: Any, group: tuple[str, ...]) -> None:
    r = cli(*group, "--help", key=None, url=None)
    assert r.exit_code == 0 and "Usage" in r.stdout


def test_ai_create_help_says_how_to_pass_the_key(cli: Any) -> None:
    r = cli("ai", "models", "create", "--help", key=None, url=None)
    assert r.exit_code == 0 and "--api-key-file" in r.stdout and "stdin" in r.stdout


# -- AI models: secrets never shown -------------------------------------------------------------

def test_ai_models_list_and_show_never_show_keys(cli: Any, sandbox: Any) -> None:
    secrets = _ai_secrets(sandbox)
    assert len(secrets) == 4
    runs = [cli("ai", "models", "list", "-o", "json"), cli("ai", "models", "list", tty=True),
            cli("-v", "ai", "models", "list", "-o", "json"), cli("-v", "ai", "models", "show", "1", "-o", "json"),
            cli("ai", "models", "show", "eclipse-code", tty=True), cli("-v", "ai", "models", "list", "-o", "tsv")]
    for r in runs:
        assert r.exit_code == 0, r
        assert "eclipse-c" in r.stdout
        assert not [s for s in secrets if s in _out(r)], r
    rows = runs[0].json()
    assert [m["name"] for m in rows] == ["eclipse-chat-small", "eclipse-code", "local-llama"]
    assert rows[0]["endpoints"] == [{"id": "fallback-1", "url": "https://llm-backup.internal/v1"}]
    assert "→ GET /api/admin/ai/models" in runs[2].stderr


def test_ai_urls_lose_credentials_and_query(cli: Any, sandbox: Any) -> None:
    sandbox.state.ai_models[3]["endpoint"] = "https://bob:hunter2pass@llm.lan:8000/v1?api_key=qs-secret-123"
    r = cli("ai", "models", "show", "3", "-o", "json")
    assert r.exit_code == 0
    assert r.json()["endpoint"] == "https://llm.lan:8000/v1"
    assert "hunter2pass" not in r.stdout and "qs-secret-123" not in r.stdout


def test_ai_permission_is_user_based(cli: Any) -> None:
    r = cli("ai", "models", "list", key="plain")
    assert r.exit_code == 5 and "AI management permission required" in r.stderr
    assert cli("ai", "models", "list", key="staff_client").exit_code == 5


# -- AI models: create / edit / delete ------------------------------------------------------------

def test_ai_create_with_key_file_keeps_key_out_of_output(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_text("sk-new-upstream-key-0001\n")
    r = cli("-v", "ai", "models", "create", "--name", "chat-big", "--model-id", "gpt-4o", "--endpoint",
            "https://llm.example.com/v1", "--api-key-file", str(key_file), "--tag", "chat",
            "--limits", '{"requestsPerDay": 10}', "-o", "json")
    assert r.exit_code == 0, r
    model = max(sandbox.state.ai_models.values(), key=lambda m: m["id"])
    assert model["name"] == "chat-big" and model["apiKey"] == "sk-new-upstream-key-0001"
    assert model["config"] == {"modelId": "gpt-4o"} and model["tags"] == ["chat"]
    assert model["limits"] == {"requestsPerDay": 10}
    assert r.json()["id"] == model["id"] and r.json()["endpoint"] == "https://llm.example.com/v1"
    assert "sk-new-upstream-key-0001" not in _out(r)


def test_ai_create_key_from_stdin(cli: Any, sandbox: Any) -> None:
    r = cli("ai", "models", "create", "--name", "from-stdin", "--api-key", "-", "-o", "json",
            stdin="sk-stdin-key-42\n")
    assert r.exit_code == 0, r
    model = max(sandbox.state.ai_models.values(), key=lambda m: m["id"])
    assert model["name"] == "from-stdin" and model["apiKey"] == "sk-stdin-key-42"
    assert "sk-stdin-key-42" not in _out(r)


@pytest.mark.parametrize("args", [
    ("--api-key", "sk-on-the-command-line"),
    ("--endpoint", "ftp://llm.example.com"),
    ("--limits", "not json"),
    ("--limits", "[1, 2]"),
    ("--api-key-file", "/nonexistent/key.txt"),
])
def test_ai_create_bad_input_is_usage_before_any_request(cli: Any, sandbox: Any, args: tuple[str, ...]) -> None:
    count = len(sandbox.state.ai_models)
    r = cli("ai", "models", "create", "--name", "x", *args)
    assert r.exit_code == 2, r
    assert len(sandbox.state.ai_models) == count and not sandbox.requests
    assert "sk-on-the-command-line" not in _out(r)


def test_ai_create_rejected_by_panel_is_exit_7(cli: Any, sandbox: Any) -> None:
    count = len(sandbox.state.ai_models)
    sandbox.inject_fault(method="POST", path="/api/admin/ai/models", status=400,
                         body={"error": "Invalid endpoint URL at index 0"})
    r = cli("ai", "models", "create", "--name", "x")
    assert r.exit_code == 7 and "Invalid endpoint URL" in r.stderr
    assert len(sandbox.state.ai_models) == count


def test_ai_edit(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    r = cli("ai", "models", "edit", "eclipse-chat-small", "--model-id", "gpt-4.1-mini", "--limits",
            '{"requestsPerDay": 800}', "-o", "json")
    assert r.exit_code == 0, r
    model = sandbox.state.ai_models[1]
    assert model["config"] == {"modelId": "gpt-4.1-mini", "temperature": 0.7}  # other config keys kept
    assert model["limits"] == {"requestsPerDay": 800} and r.json()["limits"] == {"requestsPerDay": 800}
    assert model["apiKey"].startswith("sk-live-model1") and "apiKey" not in r.json()
    key_file = tmp_path / "k"
    key_file.write_text("sk-rotated-upstream-7")
    assert cli("ai", "models", "edit", "2", "--api-key-file", str(key_file)).exit_code == 0
    assert sandbox.state.ai_models[2]["apiKey"] == "sk-rotated-upstream-7"
    assert cli("ai", "models", "edit", "2", "--clear-api-key").exit_code == 0
    assert sandbox.state.ai_models[2]["apiKey"] is None
    assert cli("ai", "models", "edit", "2").exit_code == 2
    assert cli("ai", "models", "edit", "99", "--name", "x").exit_code == 6


def test_ai_edit_model_not_found_on_panel_is_exit_6(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(method="PUT", path="/api/admin/ai/models/2", status=404, body={"error": "Model not found"})
    r = cli("ai", "models", "edit", "2", "--name", "renamed")
    assert r.exit_code == 6 and sandbox.state.ai_models[2]["name"] == "eclipse-code"


def test_ai_delete(cli: Any, sandbox: Any) -> None:
    assert cli("ai", "models", "delete", "3").exit_code == 2 and 3 in sandbox.state.ai_models
    r = cli("ai", "models", "delete", "2", "99", "--yes")
    assert r.exit_code == 6 and 2 in sandbox.state.ai_models  # unknown ids are found before deleting
    r = cli("ai", "models", "delete", "local-llama", "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert 3 not in sandbox.state.ai_models and r.json()["items"][0]["status"] == "done"


# -- AI links ---------------------------------------------------------------------------------------

def test_ai_plan_links(cli: Any, sandbox: Any) -> None:
    r = cli("ai", "plan-models", "3", "-o", "json")
    assert r.exit_code == 0 and [x["model"]["name"] for x in r.json()] == ["eclipse-chat-small", "eclipse-code"]
    assert not [s for s in _ai_secrets(sandbox) if s in r.stdout]
    r = cli("ai", "link-plan", "local-llama", "2", "--limits", '{"requestsPerDay": 5}', "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["modelId"] == 3 and r.json()["planId"] == 2 and r.json()["updated"] is False
    links = [l for l in sandbox.state.ai_plan_links.values() if l["modelId"] == 3 and l["planId"] == 2]
    assert len(links) == 1 and links[0]["limits"] == {"requestsPerDay": 5}
    r = cli("ai", "link-plan", "3", "2", "--limits", '{"requestsPerDay": 6}', "-o", "json")
    assert r.json()["updated"] is True and links[0]["limits"] == {"requestsPerDay": 6}
    assert cli("ai", "link-plan", "3", "99").exit_code == 6
    assert cli("ai", "link-plan", "3", "pro").exit_code == 2
    assert cli("ai", "unlink-plan", "3", "2").exit_code == 2  # no --yes, no terminal
    assert cli("ai", "unlink-plan", "3", "2", "--yes").exit_code == 0
    assert not [l for l in sandbox.state.ai_plan_links.values() if l["modelId"] == 3]
    assert cli("ai", "unlink-plan", "3", "2", "--yes").exit_code == 6
    assert cli("ai", "plan-models", "99").exit_code == 6


def test_ai_user_links(cli: Any, sandbox: Any) -> None:
    user = sandbox.state.users[20]
    r = cli("ai", "link-user", "eclipse-code", "20", "--limits", '{"requestsPerDay": 50}', "-o", "json")
    assert r.exit_code == 0, r
    link = r.json()
    assert link["userId"] == 20 and link["modelId"] == 2 and link["updated"] is False
    row = sandbox.state.user_ai_links[link["linkId"]]
    assert row["userId"] == 20 and row["limits"] == {"requestsPerDay": 50}
    assert user["email"] not in r.stdout and "passwordHash" not in r.stdout
    assert not [s for s in _ai_secrets(sandbox) if s in r.stdout]
    r = cli("ai", "link-user", "2", "20", "--limits", '{"requestsPerDay": 60}', "-o", "json")
    assert r.json()["updated"] is True and r.json()["linkId"] == link["linkId"]
    profile = cli("users", "show", "20", "-o", "json")
    if profile.exit_code == 0 and "aiModels" in profile.stdout:
        assert not [s for s in _ai_secrets(sandbox) if s in profile.stdout]
    r = cli("ai", "user-limits", "20", str(link["linkId"]), "--limits", '{"requestsPerDay": 1}')
    assert r.exit_code == 0 and row["limits"] == {"requestsPerDay": 1}
    assert cli("ai", "unlink-user", "20", str(link["linkId"])).exit_code == 2
    r = cli("ai", "unlink-user", "20", str(link["linkId"]), "--yes")
    assert r.exit_code == 0, r
    assert link["linkId"] not in sandbox.state.user_ai_links
    assert ("DELETE", f"/admin/users/20/ai/{link['linkId']}", 200) in sandbox.requests
    assert cli("ai", "unlink-user", "20", str(link["linkId"]), "--yes").exit_code == 6
    assert cli("ai", "link-user", "2", "99999").exit_code == 6
    r = cli("ai", "link-user", "2", "bob@example.com")  # e-mails are looked up: an unknown one is exit 6
    assert r.exit_code == 6 and "no user with e-mail 'bob@example.com'" in r.stderr
    r = cli("ai", "link-user", "2", sandbox.state.users[20]["email"], "-o", "json")
    assert r.exit_code == 0 and r.json()["userId"] == 20, r
    assert cli("ai", "link-user", "2", "bob").exit_code == 2


def test_ai_link_user_needs_the_ai_feature(cli: Any, sandbox: Any) -> None:
    _flag_off(sandbox, "ai")
    before = len(sandbox.state.user_ai_links)
    r = cli("ai", "link-user", "1", "20")
    assert r.exit_code == 9, r
    assert len(sandbox.state.user_ai_links) == before
    assert cli("ai", "models", "list").exit_code == 0  # /api/admin/ai is not behind the flag


def test_ai_cooldowns(cli: Any, sandbox: Any) -> None:
    r = cli("ai", "cooldowns", "-o", "json")
    assert r.exit_code == 0, r
    row = r.json()[0]  # the Redis entry aiHandler.ts pushes: {timestamp, modelId, modelName, endpoint, waitMs}
    assert row["modelId"] == 1 and row["waitMs"] == 120000 and row["endpoint"] == "https://llm-backup.internal/v1"
    r = cli("ai", "cooldowns")
    assert r.exit_code == 0 and "eclipse-chat-small" in r.stdout and "120000" in r.stdout
    sandbox.inject_fault(method="GET", path="/api/admin/ai/cooldowns", status=200,
                         body=["not-json-entry", {"modelId": 2}])
    r = cli("ai", "cooldowns", "-o", "json")
    assert r.exit_code == 0 and r.json() == [{"raw": "not-json-entry"}, {"modelId": 2}]


def test_ai_denial_names_ai_manage(cli: Any) -> None:
    for args in (("ai", "models", "list"), ("ai", "cooldowns"), ("ai", "plan-models", "3")):
        r = cli(*args, key="plain")
        assert r.exit_code == 5, r
        assert "AI management permission required" in r.stderr and "ai:manage" in r.stderr
        assert "Traceback" not in r.stderr


def test_ai_delete_unknown_id_is_404_on_the_panel(cli: Any, sandbox: Any) -> None:
    r = cli("api", "DELETE", "/api/admin/ai/models/99")
    assert r.exit_code == 6 and "Model not found" in _out(r)


def test_ai_relinking_answers_only_id_and_limits(cli: Any, sandbox: Any) -> None:
    # an existing link is loaded without relations: {success, link: {id, limits}, updated: true}
    first = cli("ai", "link-plan", "1", "2", "--limits", '{"requestsPerDay": 7}', "-o", "json")
    assert first.exit_code == 0 and first.json()["updated"] is True
    assert first.json()["modelId"] == 1 and first.json()["planId"] == 2 and first.json()["modelName"] is None
    r = cli("ai", "user-limits", "20", "9999", "--limits", "{}")
    assert r.exit_code == 6 and "Link not found" in r.stderr


def test_ai_unlink_user_falls_back_and_refuses_a_proxy_page(cli: Any, sandbox: Any) -> None:
    link = cli("ai", "link-user", "2", "20", "-o", "json").json()
    lid = link["linkId"]
    # a proxy that forwards only /api/*: the unprefixed path gets an HTML 200 page, nothing is deleted
    sandbox.inject_fault(method="DELETE", path=f"/admin/users/20/ai/{lid}", status=200, html=True)
    r = cli("ai", "unlink-user", "20", str(lid), "--yes")
    assert r.exit_code == 7 and "not answered by the panel" in r.stderr and lid in sandbox.state.user_ai_links
    # 'Route not found' on the unprefixed path: the /api path is tried (none on this panel either)
    sandbox.inject_fault(method="DELETE", path=f"/admin/users/20/ai/{lid}", status=404,
                         body={"error": "Route not found"})
    r = cli("ai", "unlink-user", "20", str(lid), "--yes")
    assert r.exit_code == 6 and "no route to remove user AI links" in r.stderr, r
    assert ("DELETE", f"/api/admin/users/20/ai/{lid}", 404) in sandbox.requests
    assert lid in sandbox.state.user_ai_links
    r = cli("ai", "unlink-user", "20", str(lid), "--yes", key="plain")
    assert r.exit_code == 5  # authorize('admin:access') first: a client key without it is refused
    assert cli("ai", "unlink-user", "20", str(lid), "--yes").exit_code == 0


# -- OAuth apps ---------------------------------------------------------------------------------------

def test_oauth_list_show_never_show_secrets(cli: Any, sandbox: Any) -> None:
    secrets = set(sandbox.state.oauth_secrets.values()) | {a["clientSecretHash"] for a in
                                                            sandbox.state.oauth_apps.values()}
    runs = [cli("oauth", "list", "-o", "json"), cli("oauth", "list", tty=True), cli("-v", "oauth", "list"),
            cli("-v", "oauth", "show", "2", "-o", "json"), cli("oauth", "show", "Billing Dashboard", tty=True)]
    for r in runs:
        assert r.exit_code == 0, r
        assert "clientSecret" not in r.stdout
        assert not [s for s in secrets if s in _out(r)]
    assert [a["name"] for a in runs[0].json()] == ["Billing Dashboard", "Discord Bot", "Legacy Importer"]
    assert runs[3].json()["clientId"] == sandbox.state.oauth_apps[2]["clientId"]
    r = cli("oauth", "list", "--inactive", "-o", "ids")
    assert r.exit_code == 0 and r.stdout.split() == ["3"]
    r = cli("oauth", "list", "--active", "-o", "ids")  # the same switch as `oauth edit --active/--inactive`
    assert r.exit_code == 0 and sorted(r.stdout.split()) == ["1", "2"]
    assert cli("oauth", "list", "--active", "false").exit_code == 2  # not a string filter any more


def test_oauth_non_admin_sees_only_own_apps(cli: Any) -> None:
    r = cli("oauth", "list", "-o", "json", key="plain")
    assert r.exit_code == 0 and [a["id"] for a in r.json()] == [2]


def test_oauth_create_prints_secret_once(cli: Any, sandbox: Any) -> None:
    r = cli("oauth", "create", "--name", "Status Page", "--redirect-uri", "https://status.example.com/cb",
            "--scope", "profile", "--scope", "servers:read", "-o", "json")
    assert r.exit_code == 0, r
    body = r.json()
    app = sandbox.state.oauth_apps[body["id"]]
    assert app["name"] == "Status Page" and app["allowedScopes"] == ["profile", "servers:read"]
    assert body["clientSecret"] == sandbox.state.oauth_secrets[body["id"]]
    assert "store it now; it cannot be shown again" in r.stderr
    assert body["clientSecret"] not in cli("oauth", "show", str(body["id"]), "-o", "json").stdout


@pytest.mark.parametrize("args", [
    ("--name", "x"),  # no redirect URI
    ("--name", "x", "--redirect-uri", "not-a-url"),
    ("--name", "x", "--redirect-uri", "https://x.test/cb", "--scope", "root"),
    ("--name", "x", "--redirect-uri", "https://x.test/cb", "--grant-type", "password"),
    ("--name", " ", "--redirect-uri", "https://x.test/cb"),
])
def test_oauth_create_bad_input(cli: Any, sandbox: Any, args: tuple[str, ...]) -> None:
    count = len(sandbox.state.oauth_apps)
    assert cli("oauth", "create", *args).exit_code == 2
    assert len(sandbox.state.oauth_apps) == count and not sandbox.requests


def test_oauth_secret_refused_under_redact_except_json_pipe(cli: Any, sandbox: Any) -> None:
    count = len(sandbox.state.oauth_apps)
    args = ("oauth", "create", "--name", "Redacted", "--redirect-uri", "https://r.test/cb")
    r = cli(*args, "--redact", tty=True)
    assert r.exit_code == 2 and "--redact" in r.stderr and len(sandbox.state.oauth_apps) == count
    assert cli(*args, "--redact", "-o", "json", tty=True).exit_code == 2
    assert cli(*args, "--redact").exit_code == 2  # piped, but tsv
    r = cli(*args, "--redact", "-o", "json")
    assert r.exit_code == 0 and r.json()["clientSecret"] == sandbox.state.oauth_secrets[r.json()["id"]]
    old = sandbox.state.oauth_secrets[2]
    assert cli("oauth", "rotate-secret", "2", "--yes", "--redact", tty=True).exit_code == 2
    assert sandbox.state.oauth_secrets[2] == old


def test_oauth_create_rejected_by_panel_is_exit_7(cli: Any, sandbox: Any) -> None:
    sandbox.inject_fault(method="POST", path="/api/oauth/apps", status=400, body={"error": "No valid scopes provided"})
    r = cli("oauth", "create", "--name", "x", "--redirect-uri", "https://x.test/cb")
    assert r.exit_code == 7 and "No valid scopes" in r.stderr


def test_oauth_edit(cli: Any, sandbox: Any) -> None:
    owner = sandbox.state.users[2]
    r = cli("oauth", "edit", "Discord Bot", "--inactive", "--grant-type", "client_credentials", "-o", "json")
    assert r.exit_code == 0, r
    app = sandbox.state.oauth_apps[2]
    assert app["active"] is False and app["grantTypes"] == ["client_credentials"]
    body = r.json()
    assert body["active"] is False and body["ownerId"] == 2
    assert "clientSecretHash" not in body and "owner" not in body
    assert app["clientSecretHash"] not in r.stdout and owner["email"] not in r.stdout
    assert cli("oauth", "edit", "2").exit_code == 2
    assert cli("oauth", "edit", "2", "--scope", "everything").exit_code == 2
    assert cli("oauth", "edit", "99", "--active").exit_code == 6


def test_oauth_edit_other_users_app_is_403(cli: Any, sandbox: Any) -> None:
    r = cli("oauth", "edit", "1", "--name", "hijack", key="plain")
    assert r.exit_code == 5, r
    assert sandbox.state.oauth_apps[1]["name"] == "Billing Dashboard"


def test_oauth_rotate_secret(cli: Any, sandbox: Any) -> None:
    old = sandbox.state.oauth_secrets[1]
    assert cli("oauth", "rotate-secret", "1").exit_code == 2 and sandbox.state.oauth_secrets[1] == old
    r = cli("oauth", "rotate-secret", "Billing Dashboard", "--yes", "-o", "json")
    assert r.exit_code == 0, r
    new = sandbox.state.oauth_secrets[1]
    assert new != old and r.json() == {"id": 1, "clientId": sandbox.state.oauth_apps[1]["clientId"],
                                       "clientSecret": new}
    assert sandbox.state.oauth_tokens[1] == 0
    assert "store it now; it cannot be shown again" in r.stderr
    r = cli("oauth", "rotate-secret", "1", "--yes", key="plain")
    assert r.exit_code == 5 and "oauth:manage" in r.stderr and "admin:oauth" in r.stderr


def test_oauth_delete(cli: Any, sandbox: Any) -> None:
    assert cli("oauth", "delete", "3").exit_code == 2 and 3 in sandbox.state.oauth_apps
    r = cli("oauth", "delete", "Legacy Importer", "--yes")
    assert r.exit_code == 0, r
    assert 3 not in sandbox.state.oauth_apps
    r = cli("oauth", "delete", "3", "--yes")
    assert r.exit_code == 8 and "App not found" in _out(r)


def test_oauth_feature_disabled_is_exit_9(cli: Any, sandbox: Any) -> None:
    _flag_off(sandbox, "oauth")
    r = cli("oauth", "list")
    assert r.exit_code == 9, r
    # the live panel's body is the raw key `common.featureDisabled`: the flag is named from the route
    assert r.stderr == "error: Feature 'oauth' is disabled on the panel\nhint: enable it with `eclictl flags enable oauth`\n"
    assert r.sleeps == []  # a feature switch is not a 503 worth retrying
    r = cli("oauth", "create", "--name", "x", "--redirect-uri", "https://x.test/cb")
    assert r.exit_code == 9 and len(sandbox.state.oauth_apps) == 3


def test_oauth_create_answer_has_no_active_field_and_missing_fields_are_fine(cli: Any, sandbox: Any) -> None:
    # oauthHandler.ts answers {id, clientId, clientSecret, name, ..., createdAt, _note}: no `active`, no owner.
    r = cli("oauth", "create", "--name", "Shape", "--redirect-uri", "https://s.test/cb", "-o", "json")
    assert r.exit_code == 0, r
    body = r.json()
    assert body["clientSecret"] == sandbox.state.oauth_secrets[body["id"]] and "_note" not in body
    assert "active" not in body and body["allowedScopes"] == ["profile", "email"]
    r = cli("api", "POST", "/api/oauth/apps", "--input", "-",
            stdin='{"name": "e", "redirectUris": ["https://e.test"], "allowedScopes": []}')
    assert r.exit_code == 7 and "No valid scopes provided" in _out(r)  # [] is truthy in JS: no default
    sandbox.inject_fault(method="PUT", path="/api/oauth/apps/1", status=200, body={"success": True})
    r = cli("oauth", "edit", "1", "--description", "x", "-o", "json")
    assert r.exit_code == 0 and r.json()["id"] == 1  # no `app` in the answer: re-read from the list
