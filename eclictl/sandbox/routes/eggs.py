"""Sandbox: eggs / server templates (docs/panel/eggs.md).

`state.eggs` (id -> Egg row with real booleans). Quirks reproduced: one permission (eggs:read,
or an admin-type key) for everything; denials are 422 `Request error` on the list and bulk
delete and an empty 403 elsewhere; single-egg answers are text/plain `[object Object]`; the
list returns booleans as 0/1; import never deduplicates and maps documents like the panel's
importer (docs/panel/eggs.md#import, written here independently of eclictl.eggs_lib so tests cross-check the two);
sync without a body is a 500.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Callable

from eclictl.sandbox.auth import allowed
from eclictl.sandbox.router import Handler, HttpError, Raw, Request, route

OBJECT_TEXT = b"[object Object]"
INSTALLER = "ghcr.io/pterodactyl/installers:debian"
JSON_COLUMNS = ("dockerImages", "envVars", "configFiles", "processConfig", "installScript", "features",
                "fileDenylist", "allowedPortals")
PUT_FIELDS = ("name", "description", "author", "dockerImage", "dockerImages", "startup", "envVars", "configFiles",
              "processConfig", "installScript", "features", "fileDenylist", "updateUrl", "visible",
              "allowedPortals", "rootless", "requiresKvm")
_JAVA = "ghcr.io/pterodactyl/yolks:java_"


# -- access ---------------------------------------------------------------------------------
def _allowed(req: Request) -> bool:
    """docs/panel/eggs.md#gate: an admin-type key passes; otherwise the user must hold eggs:read (H semantics)."""
    return allowed(req.principal, "H", "eggs:read", req.state)


def _gated(method: str, pattern: str, *, listing: bool = False) -> Callable[[Handler], Handler]:
    """A route behind the eggs gate. Denied, the list and the bulk delete answer 422 `Request error` (no body
    vs the declared response schema), every other route an empty text/plain 403."""

    def register(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def gate(req: Request) -> Any:
            if _allowed(req):
                return handler(req)
            if listing:
                raise HttpError(422, "Request error")
            return Raw(403, "text/plain;charset=utf-8", b"")

        route(method, pattern)(gate)
        return gate

    return register


def _object_text(status: int = 200) -> Raw:
    return Raw(status, "text/plain;charset=utf-8", OBJECT_TEXT)


# -- JavaScript-ish helpers -------------------------------------------------------------------
def _truthy(value: Any) -> bool:
    if value is None or value is False or value == "" :
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0
    return True


def _nn(value: Any, default: Any) -> Any:  # value ?? default
    return default if value is None else value


def _try_parse(text: str, fallback: Any) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return fallback


def _done(value: Any) -> list[str]:
    raw = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [d for d in raw if isinstance(d, str) and len(d) > 0] or [" "]


def _normalise_process(pc: Any) -> Any:
    """PUT and the importer both force `startup.done` to a non-empty string array."""
    if not isinstance(pc, dict):
        return pc
    startup = pc.get("startup") if isinstance(pc.get("startup"), dict) else {}
    pc = dict(pc)
    pc["startup"] = {**startup, "done": _done(startup.get("done"))}
    return pc


# -- the importer (docs/panel/eggs.md#import) --------------------------------------------------
def import_document(egg: Any) -> dict[str, Any]:
    """The row the panel stores for an egg document; HttpError for its 400/500 answers."""
    if not isinstance(egg, dict):
        egg = {}
    meta = egg.get("meta") if isinstance(egg.get("meta"), dict) else {}
    version = meta.get("version") or "PTDL_v1"
    docker_image: Any = None
    docker_images: Any = None
    if version == "PTDL_v2" and isinstance(egg.get("docker_images"), dict):
        docker_images = egg["docker_images"]
        values = list(docker_images.values())
        docker_image = values[-1] if values else None
    else:
        src = egg["docker_images"] if egg.get("docker_images") is not None else egg.get("image")
        if isinstance(src, (dict, list)):
            values = list(src.values()) if isinstance(src, dict) else list(src)
            docker_image = values[-1] if values else None
            docker_images = src
        else:
            docker_image = src
    if not _truthy(docker_image):
        raise HttpError(400, "Egg JSON does not contain a docker image")
    config = egg.get("config") if isinstance(egg.get("config"), dict) else {}
    files = config.get("files")
    config_files = (_try_parse(files, None) if isinstance(files, str)
                    else files if isinstance(files, (dict, list)) else None)
    startup = config.get("startup")
    startup = _try_parse(startup, {}) if isinstance(startup, str) else startup
    startup = startup if isinstance(startup, dict) else {}
    logs = config.get("logs")
    logs = _try_parse(logs, {}) if isinstance(logs, str) else logs
    logs = logs if isinstance(logs, dict) else {}
    stop = _nn(config.get("stop"), "stop")
    stop_obj = ({"type": "kill", "value": "SIGKILL"} if stop == "SIGKILL" else
                {"type": "stop", "value": "SIGTERM"} if stop == "SIGTERM" else {"type": "command", "value": stop})
    raw_vars = _nn(egg.get("variables"), egg.get("env"))
    env_vars: list[dict[str, Any]] = []
    if raw_vars is not None:
        if not isinstance(raw_vars, list) or any(v is None for v in raw_vars):
            raise HttpError(500, "Internal server error")  # vars.map / v.name on null throws
        for v in raw_vars:
            v = v if isinstance(v, dict) else {}
            env_vars.append({"name": _nn(v.get("name"), ""), "description": _nn(v.get("description"), ""),
                             "env_variable": _nn(v.get("env_variable"), ""),
                             "default_value": _nn(v.get("default_value"), ""),
                             "user_viewable": _nn(v.get("user_viewable"), True),
                             "user_editable": _nn(v.get("user_editable"), True),
                             "rules": _nn(v.get("rules"), ""), "field_type": _nn(v.get("field_type"), "text")})
    install = (egg.get("scripts") or {}).get("installation") if isinstance(egg.get("scripts"), dict) else None
    install_script = None
    if _truthy(install):
        inst = install if isinstance(install, dict) else {}
        install_script = {"script": _nn(inst.get("script"), ""), "container": _nn(inst.get("container"), INSTALLER),
                          "entrypoint": _nn(inst.get("entrypoint"), "bash")}
    name = egg.get("name") if _truthy(egg.get("name")) else "Imported Egg"
    if (isinstance(name, str) and len(name) > 255) or (isinstance(docker_image, str) and len(docker_image) > 255):
        raise HttpError(500, "Internal server error")  # varchar(255) overflow in the INSERT
    return {
        "name": name,
        "description": egg.get("description") if _truthy(egg.get("description")) else "",
        "author": egg.get("author") if _truthy(egg.get("author")) else "",
        "dockerImage": docker_image, "dockerImages": docker_images,
        "startup": egg.get("startup") if _truthy(egg.get("startup")) else "",
        "envVars": env_vars, "configFiles": config_files,
        "processConfig": {"startup": {"done": _done(startup.get("done")),
                                      "user_interaction": _nn(startup.get("userInteraction"),
                                                              _nn(startup.get("user_interaction"), [])),
                                      "strip_ansi": _nn(startup.get("strip_ansi"), False)},
                          "stop": stop_obj, "configs": _nn(logs.get("custom"), [])},
        "installScript": install_script,
        "features": egg.get("features") if isinstance(egg.get("features"), list) else None,
        "fileDenylist": egg.get("file_denylist") if isinstance(egg.get("file_denylist"), list) else None,
        "allowedPortals": None,
        "updateUrl": meta.get("update_url"),
        "visible": True,
        "requiresKvm": _truthy(_nn(egg.get("requires_kvm"), egg.get("requiresKvm"))),
        "rootless": _truthy(_nn(meta.get("rootless"), egg.get("rootless"))),
    }


def _store(state: Any, fields: dict[str, Any], at: str | None = None) -> dict[str, Any]:
    egg_id = state.next_id("eggs")
    when = at or state.iso()
    row = {"id": egg_id, "name": None, "description": None, "author": None, "dockerImage": None,
           "dockerImages": None, "startup": None, "envVars": None, "configFiles": None, "processConfig": None,
           "installScript": None, "features": None, "fileDenylist": None, "allowedPortals": None,
           "updateUrl": None, "visible": True, "requiresKvm": False, "rootless": False,
           "createdAt": when, "updatedAt": when}
    row.update(fields)
    state.eggs[egg_id] = row
    return row


# -- export (docs/panel/eggs.md#export) ---------------------------------------------------------
def export_document(row: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {"version": "PTDL_v2"}
    if row.get("updateUrl"):
        meta["update_url"] = row["updateUrl"]
    if row.get("rootless"):
        meta["rootless"] = True
    if row.get("requiresKvm"):
        meta["requires_kvm"] = True
    pc = row.get("processConfig") if isinstance(row.get("processConfig"), dict) else {}
    startup = pc.get("startup") if isinstance(pc.get("startup"), dict) else {}
    config: dict[str, Any] = {}
    if isinstance(row.get("configFiles"), dict) and row["configFiles"]:
        config["files"] = row["configFiles"]
    config["startup"] = {"done": startup.get("done") or [" "], "userInteraction": startup.get("user_interaction") or []}
    if "configs" in pc:
        config["logs"] = {"custom": pc["configs"]}
    stop = pc.get("stop") if isinstance(pc.get("stop"), dict) else {}
    config["stop"] = ("SIGKILL" if stop.get("type") == "kill" else "SIGTERM" if stop.get("value") == "SIGTERM"
                      else stop.get("value") if stop.get("type") == "command" and stop.get("value") else "stop")
    doc: dict[str, Any] = {
        "meta": meta, "name": row.get("name"), "author": row.get("author") or "",
        "description": row.get("description") or "",
        "docker_images": row.get("dockerImages") or {"default": row.get("dockerImage")},
        "startup": row.get("startup"), "config": config,
        "variables": [_export_var(v) for v in row.get("envVars") or [] if isinstance(v, dict)],
    }
    if isinstance(row.get("installScript"), dict):
        inst = row["installScript"]
        doc["scripts"] = {"installation": {"script": inst.get("script"), "container": inst.get("container"),
                                           "entrypoint": inst.get("entrypoint")}}
    if row.get("features"):
        doc["features"] = row["features"]
    if row.get("fileDenylist"):
        doc["file_denylist"] = row["fileDenylist"]
    return doc


def _export_var(v: dict[str, Any]) -> dict[str, Any]:
    return {"name": _nn(v.get("name"), v.get("env_variable")), "description": _nn(v.get("description"), ""),
            "env_variable": _nn(v.get("env_variable"), v.get("name")),
            "default_value": _nn(v.get("default_value"), _nn(v.get("defaultValue"), "")),
            "user_viewable": _nn(v.get("user_viewable"), _nn(v.get("userViewable"), True)),
            "user_editable": _nn(v.get("user_editable"), _nn(v.get("userEditable"), True)),
            "rules": _nn(v.get("rules"), ""), "field_type": _nn(v.get("field_type"), _nn(v.get("fieldType"), "text"))}


# -- seed -------------------------------------------------------------------------------------
def _var(name: str, env: str, default: str, rules: str, description: str = "") -> dict[str, Any]:
    return {"name": name, "description": description, "env_variable": env, "default_value": default,
            "user_viewable": True, "user_editable": True, "rules": rules, "field_type": "text"}


def _seed_docs() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(egg document, panel-side overrides) for the demo eggs; ids follow this order."""
    paper = {"meta": {"version": "PTDL_v2", "update_url": "https://eggs.example.com/minecraft/paper.json"},
             "name": "Paper", "author": "parker@example.com", "description": "High performance Spigot fork.",
             "docker_images": {"Java 21": f"{_JAVA}21", "Java 17": f"{_JAVA}17"},
             "startup": "java -Xms128M -Xmx{{SERVER_MEMORY}}M -jar {{SERVER_JARFILE}}",
             "config": {"files": "{\"server.properties\": {\"parser\": \"properties\", \"find\": "
                                 "{\"server-port\": \"{{server.build.default.port}}\"}}}",
                        "startup": "{\"done\": \")! For help, type \"}", "logs": "{}", "stop": "stop"},
             "scripts": {"installation": {"script": "#!/bin/ash\ncurl -o server.jar $DOWNLOAD_URL\n",
                                          "container": "ghcr.io/pterodactyl/installers:alpine", "entrypoint": "ash"}},
             "variables": [_var("Server Jar File", "SERVER_JARFILE", "server.jar", "required|string|max:20"),
                           _var("Minecraft Version", "MINECRAFT_VERSION", "latest", "nullable|string|max:20")],
             "features": ["eula", "java_version"], "file_denylist": []}
    node = {"meta": {"version": "PTDL_v2"}, "name": "Node.js Generic", "author": "yajtpg@example.com",
            "description": "A generic Node.js egg.",
            "docker_images": {"Node 18": "ghcr.io/pterodactyl/yolks:nodejs_18"},
            "startup": "node /home/container/{{JS_FILE}}",
            "config": {"files": "{}", "startup": "{\"done\": [\"change this text 1\"]}", "logs": "{}", "stop": "^^C"},
            "scripts": {"installation": {"script": "#!/bin/bash\nnpm install\n", "container": "node:18-bullseye-slim",
                                         "entrypoint": "bash"}},
            "variables": [_var("Main file", "JS_FILE", "index.js", "required|string")]}
    python = {"meta": {"version": "PTDL_v1"}, "name": "Python Generic", "author": "yajtpg@example.com",
              "description": "A generic Python egg.", "image": "ghcr.io/pterodactyl/yolks:python_3.11",
              "startup": "python /home/container/{{PY_FILE}}",
              "config": {"files": "{}", "startup": "{\"done\": \"change this text\"}", "logs": "{}", "stop": "SIGTERM"},
              "scripts": {"installation": {"script": "#!/bin/bash\npip install -r requirements.txt\n",
                                           "container": "python:3.11-slim", "entrypoint": "bash"}},
              "variables": [_var("App py file", "PY_FILE", "app.py", "required|string")]}
    qemu = {"meta": {"version": "PTDL_v2", "update_url": None}, "name": "QEMU - Debian 13 VM",
            "author": "noname@ecli.app", "description": "Run a full Debian 13 (Trixie) virtual machine using QEMU/KVM.",
            "docker_images": {"QEMU Debian 13": "thenoname/debian13:latest"}, "file_denylist": [],
            "startup": "echo \"Starting QEMU Debian 13 VM...\"",
            "config": {"files": "{}", "startup": "{\r\n    \"done\": \"VM is ready\"\r\n}", "logs": "{}",
                       "stop": "shutdown now"},
            "scripts": {"installation": {"script": "#!/bin/bash\r\nexit 0", "container": "debian:bookworm-slim",
                                         "entrypoint": "bash"}},
            "variables": [_var("VM Memory (MB)", "VM_MEMORY", "2048", "required|numeric|min:512|max:65536"),
                          _var("Root Password", "ROOT_PASSWORD", "changeme", "required|string|min:4|max:128")]}
    bedrock = {"meta": {"version": "PTDL_v2"}, "name": "Vanilla Bedrock", "author": "",
               "docker_images": {"Debian": "ghcr.io/parkervcp/yolks:debian"}, "startup": "./bedrock_server",
               "config": {"files": "{}", "startup": "{\"done\": \"Server started\"}", "logs": "{}", "stop": "stop"},
               "variables": []}
    terraria = {"meta": {"version": "PTDL_v2"}, "name": "Terraria", "author": "",
                "docker_images": {"Mono": "ghcr.io/parkervcp/yolks:mono_latest"}, "startup": "./TerrariaServer",
                "config": {"startup": "{\"done\": \"Server started\"}", "stop": "exit"}, "variables": []}
    return [(paper, {}), (node, {}), (python, {}), (qemu, {"requiresKvm": True}), (bedrock, {"visible": False}),
            (terraria, {}), (terraria, {})]  # the last two: the same file imported twice


def seed(state: Any, rng: Any) -> None:
    state.eggs = {}
    for n, (doc, extra) in enumerate(_seed_docs()):
        row = _store(state, import_document(doc), at=f"2025-01-{n + 2:02d}T10:00:00.000Z")
        row.update(extra)


# -- routes -----------------------------------------------------------------------------------
def _egg(req: Request) -> dict[str, Any]:
    return req.row(req.state.eggs, "Egg not found")


def _list_row(row: dict[str, Any]) -> dict[str, Any]:
    out = json.loads(json.dumps(row))
    for key in ("visible", "requiresKvm", "rootless"):
        out[key] = 1 if row.get(key) else 0  # raw SQL: tinyint columns arrive as numbers
    return out


def _sorted(state: Any) -> list[dict[str, Any]]:
    return sorted(state.eggs.values(), key=lambda r: (str(r.get("name") or ""), r["id"]))


@route("GET", "/api/eggs")
def public_list(req: Request) -> Any:
    rows = _sorted(req.state)
    if not _allowed(req):
        rows = [r for r in rows if r.get("visible")]
    return [json.loads(json.dumps(r)) for r in rows]


@route("GET", "/api/eggs/:id")
def public_get(req: Request) -> Any:
    _egg(req)
    return _object_text()


@_gated("GET", "/api/admin/eggs", listing=True)
def admin_list(req: Request) -> Any:
    return [_list_row(r) for r in _sorted(req.state)]


@_gated("DELETE", "/api/admin/eggs", listing=True)
def delete_all(req: Request) -> Any:
    req.state.eggs.clear()
    return None


@_gated("POST", "/api/admin/eggs")
def create(req: Request) -> Any:
    body = req.json_object()
    if not (_truthy(body.get("name")) and _truthy(body.get("dockerImage")) and _truthy(body.get("startup"))):
        raise HttpError(400, "name, dockerImage and startup are required")
    fields = {k: body.get(k) for k in ("name", "dockerImage", "startup", "description", "envVars", "configFiles",
                                       "features", "allowedPortals") if k in body}
    fields["visible"] = _nn(body.get("visible"), True)
    fields["rootless"] = _truthy(body.get("rootless"))
    fields["requiresKvm"] = _truthy(body.get("requiresKvm"))
    _store(req.state, fields)
    return _object_text(201)


@_gated("PUT", "/api/admin/eggs/:id")
def update(req: Request) -> Any:
    row = _egg(req)
    body = req.json_object()
    for key in PUT_FIELDS:
        if key not in body:
            continue
        value = body[key]
        if key == "processConfig":
            value = _normalise_process(value)
        elif key in ("rootless", "requiresKvm"):
            value = _truthy(value)
        row[key] = value  # `visible` is stored as sent
    row["updatedAt"] = req.state.iso()
    return _object_text()


@_gated("DELETE", "/api/admin/eggs/:id")
def delete_one(req: Request) -> Any:
    row = _egg(req)
    del req.state.eggs[row["id"]]
    return None


@_gated("POST", "/api/admin/eggs/import")
def import_egg(req: Request) -> Any:
    body = req.json_object()
    url, doc = body.get("url"), body.get("json")
    if not _truthy(url) and not _truthy(doc):
        raise HttpError(400, "Provide either json or url in the request body")
    if _truthy(url):
        doc = _fetch(req, url)
    if isinstance(doc, str):
        doc = {}  # a stringified document is not parsed: no image
    _store(req.state, import_document(doc))
    return _object_text(201)


_PRIVATE = re.compile(r"^(localhost|127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.|0\.)|"
                      r"\.(local|internal|lan)$", re.I)


def _fetch(req: Request, url: Any) -> Any:
    """The panel downloads `url` itself; the sandbox serves documents from `state.egg_urls`."""
    from urllib.parse import urlsplit

    parts = urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.hostname or _PRIVATE.search(parts.hostname):
        raise HttpError(400, "URL must use http or https scheme")
    served = getattr(req.state, "egg_urls", {}) or {}
    if str(url) not in served:
        raise HttpError(400, "Failed to fetch egg from URL: HTTP 404")
    text = served[str(url)]
    try:
        return json.loads(text)
    except ValueError as exc:
        raise HttpError(400, f"Could not fetch or parse egg URL: {exc}") from None


@_gated("GET", "/api/admin/eggs/:id/export")
def export(req: Request) -> Any:
    row = _egg(req)
    filename = re.sub(r"[^A-Za-z0-9_-]", "_", str(row.get("name") or "egg"))
    body = json.dumps(export_document(row), ensure_ascii=False).encode()
    return Raw(200, "application/json", body, {"Content-Disposition": f'attachment; filename="{filename}.json"'})


@_gated("POST", "/api/admin/eggs/:id/sync")
def sync(req: Request) -> Any:
    body = req.json(None)
    if not isinstance(body, dict):
        raise HttpError(500, "Internal server error")  # destructuring an absent body throws
    respect = bool(body.get("respectOptOut", False))
    egg_id = req.param_int("id")
    results = [_sync_one(req.state, cfg, respect) for cfg in (getattr(req.state, "servers", None) or {}).values()
               if cfg.get("eggId") == egg_id]
    return {"total": len(results), "results": results}


def _sync_one(state: Any, cfg: dict[str, Any], respect: bool) -> dict[str, Any]:
    uuid = cfg.get("uuid")
    if respect and cfg.get("autoSyncOnEggChange") is False:
        return {"uuid": uuid, "status": "skipped_opt_out"}
    try:
        from eclictl.sandbox.routes.servers import _sync, node_online, nodes
    except ImportError:  # pragma: no cover - servers module absent
        return {"uuid": uuid, "status": "synced"}
    if cfg.get("nodeId") not in nodes(state):
        return {"uuid": uuid, "status": "node_service_unavailable"}
    if not node_online(state, cfg.get("nodeId")):
        return {"uuid": uuid, "status": "error", "error": "The operation was aborted."}
    if not _sync(state, cfg):
        return {"uuid": uuid, "status": "error", "error": "HTTP 404"}
    return {"uuid": uuid, "status": "synced"}
