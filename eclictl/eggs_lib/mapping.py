"""How the panel's importer turns an egg document into an Egg row, and how rows are compared.

`map_import()` follows docs/panel/eggs.md#import field by field, quirks included (the last
`docker_images` entry wins, `meta.requires_kvm` is not read, unparsable `config.*` strings are
dropped, JS truthiness for booleans), so `eggs diff`/`apply` can predict exactly what an import
stores. `desired_state()` is that mapping plus the fixes `apply` makes with a follow-up PUT.
`plan()` matches files to panel eggs and lists the field changes. Pure stdlib: no I/O.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from eclictl.inputs import loads_json

DEFAULT_CONTAINER = "ghcr.io/pterodactyl/installers:debian"
DEFAULT_ENTRYPOINT = "bash"
MAX_LEN = 255
V1, V2 = "PTDL_v1", "PTDL_v2"

#: The fields `eggs apply` manages (PUT-able, docs/panel/eggs.md#create-and-edit). `visible` and `allowedPortals` are
#: panel-side settings an egg file does not describe, so apply never touches them.
MANAGED: tuple[str, ...] = (
    "name", "description", "author", "dockerImage", "dockerImages", "startup", "envVars", "configFiles",
    "processConfig", "installScript", "features", "fileDenylist", "updateUrl", "rootless", "requiresKvm",
)
#: Every field PUT /api/admin/eggs/:id accepts (docs/panel/eggs.md#create-and-edit).
PUTTABLE: tuple[str, ...] = MANAGED + ("visible", "allowedPortals")
#: Boolean columns that GET /api/admin/eggs returns as 0/1 (raw SQL, docs/panel/eggs.md#create-and-edit).
BOOL_COLUMNS: tuple[str, ...] = ("visible", "requiresKvm", "rootless")
_MISSING = object()


class ImportRejected(Exception):
    """What the panel answers instead of storing the egg: (status, error message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# -- JavaScript semantics the importer relies on --------------------------------------------
def js_truthy(value: Any) -> bool:
    """`Boolean(x)` in JavaScript: "false" and [] are true; 0, "", null are false."""
    if value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0 and value == value  # NaN is falsy
    if isinstance(value, str):
        return value != ""
    return True


def coalesce(*values: Any) -> Any:
    """`a ?? b ?? c`: the first value that is neither missing nor null."""
    for value in values:
        if value is not None and value is not _MISSING:
            return value
    return None


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def version_of(doc: Mapping[str, Any]) -> str:
    """`meta.version`, defaulting to PTDL_v1; only the exact "PTDL_v2" changes behaviour."""
    version = _obj(doc.get("meta")).get("version")
    return version if isinstance(version, str) and version else V1


def parse_json_string(value: str) -> tuple[bool, Any]:
    """(parsed?, value) for a JSON-encoded config string (Pterodactyl writes config.* this way)."""
    try:
        return True, loads_json(value)
    except ValueError:
        return False, None


# -- field rules ------------------------------------------------------------------------------
def derive_images(doc: Mapping[str, Any]) -> tuple[Any, Any]:
    """(dockerImage, dockerImages) exactly as the importer picks them (docs/panel/eggs.md#import)."""
    images = doc.get("docker_images")
    if version_of(doc) == V2 and isinstance(images, dict):
        values = list(images.values())
        return (values[-1] if values else None), images
    source = images if images is not None else doc.get("image")
    if isinstance(source, dict):
        values = list(source.values())
        return (values[-1] if values else None), source
    if isinstance(source, list):
        return (source[-1] if source else None), source
    return source, None


def convert_v1(doc: Any) -> dict[str, Any] | None:
    """A PTDL_v1 egg with the old `images` list, rewritten as PTDL_v2; None when nothing to convert.

    The official Pterodactyl eggs still ship six such files (ARK, CS:GO, ...): the panel finds no
    docker image in them (400), while Pterodactyl's own importer (EggParserService) converts them:
    each image becomes a `docker_images` entry labelled with itself, `images`/`image` go away and
    every variable gets `field_type: text`. Only a non-empty list (or object) of strings is
    converted; anything else is left for lint to report.
    """
    if not isinstance(doc, dict) or version_of(doc) == V2 or doc.get("docker_images") is not None:
        return None
    images = doc.get("images")
    values = list(images.values()) if isinstance(images, dict) else images
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
        return None
    out = {k: v for k, v in doc.items() if k not in ("images", "image")}
    out["meta"] = {**_obj(doc.get("meta")), "version": V2}
    out["docker_images"] = {image: image for image in values}
    variables = doc.get("variables")
    if isinstance(variables, list):
        out["variables"] = [{**v, "field_type": "text"} if isinstance(v, dict) else v for v in variables]
    return out


def variables_of(doc: Mapping[str, Any]) -> Any:
    """`variables`, else `env` (null counts as absent)."""
    return coalesce(doc.get("variables"), doc.get("env"))


def map_variable(entry: Any) -> dict[str, Any]:
    """One envVars entry: the eight importer keys with their defaults; everything else dropped."""
    src = _obj(entry)
    return {
        "name": coalesce(src.get("name"), ""),
        "description": coalesce(src.get("description"), ""),
        "env_variable": coalesce(src.get("env_variable"), ""),
        "default_value": coalesce(src.get("default_value"), ""),
        "user_viewable": coalesce(src.get("user_viewable"), True),
        "user_editable": coalesce(src.get("user_editable"), True),
        "rules": coalesce(src.get("rules"), ""),
        "field_type": coalesce(src.get("field_type"), "text"),
    }


def normalise_done(done: Any) -> list[str]:
    """`startup.done` as the panel stores it: non-empty strings, `[" "]` when there are none."""
    items = [done] if isinstance(done, str) else (done if isinstance(done, list) else [])
    kept = [item for item in items if isinstance(item, str) and item != ""]
    return kept or [" "]


def _config_object(value: Any) -> dict[str, Any]:
    """config.startup / config.logs: a JSON string is parsed (silently {} on failure) or an object used."""
    if isinstance(value, str):
        ok, parsed = parse_json_string(value)
        return parsed if ok and isinstance(parsed, dict) else {}
    return _obj(value)


def map_config_files(value: Any) -> Any:
    """config.files: a JSON string is parsed, an object kept, an unparsable string dropped (None)."""
    if isinstance(value, str):
        ok, parsed = parse_json_string(value)
        return parsed if ok else None
    return value if isinstance(value, (dict, list)) else None


def map_stop(value: Any) -> dict[str, Any]:
    stop = coalesce(value, "stop")
    if stop == "SIGKILL":
        return {"type": "kill", "value": "SIGKILL"}
    if stop == "SIGTERM":
        return {"type": "stop", "value": "SIGTERM"}
    return {"type": "command", "value": stop}


def map_process_config(config: Mapping[str, Any]) -> dict[str, Any]:
    startup = _config_object(config.get("startup"))
    logs = _config_object(config.get("logs"))
    return {
        "startup": {
            "done": normalise_done(startup.get("done")),
            "user_interaction": coalesce(startup.get("userInteraction"), startup.get("user_interaction"), []),
            "strip_ansi": coalesce(startup.get("strip_ansi"), False),
        },
        "stop": map_stop(config.get("stop")),
        "configs": coalesce(logs.get("custom"), []),
    }


def map_install_script(doc: Mapping[str, Any]) -> Any:
    installation = _obj(doc.get("scripts")).get("installation")
    if not js_truthy(installation):
        return None
    src = _obj(installation)
    return {
        "script": coalesce(src.get("script"), ""),
        "container": coalesce(src.get("container"), DEFAULT_CONTAINER),
        "entrypoint": coalesce(src.get("entrypoint"), DEFAULT_ENTRYPOINT),
    }


def _text_or(value: Any, default: str) -> Any:
    return value if js_truthy(value) else default


# -- the importer -----------------------------------------------------------------------------
def map_import(doc: Any) -> dict[str, Any]:
    """The Egg row POST /api/admin/eggs/import stores for `doc`, or ImportRejected (400/500)."""
    if not isinstance(doc, dict):
        raise ImportRejected(400, "Egg JSON does not contain a docker image")
    image, images = derive_images(doc)
    if not js_truthy(image):
        raise ImportRejected(400, "Egg JSON does not contain a docker image")
    variables = variables_of(doc)
    if variables is not None and (not isinstance(variables, list) or any(v is None for v in variables)):
        raise ImportRejected(500, "Internal server error")
    name = _text_or(doc.get("name"), "Imported Egg")
    if (isinstance(name, str) and len(name) > MAX_LEN) or (isinstance(image, str) and len(image) > MAX_LEN):
        raise ImportRejected(500, "Internal server error")
    config = _obj(doc.get("config"))
    meta = _obj(doc.get("meta"))
    return {
        "name": name,
        "description": _text_or(doc.get("description"), ""),
        "author": _text_or(doc.get("author"), ""),
        "dockerImage": image,
        "dockerImages": images,
        "startup": _text_or(doc.get("startup"), ""),
        "envVars": [map_variable(v) for v in (variables or [])],
        "configFiles": map_config_files(config.get("files")),
        "processConfig": map_process_config(config),
        "installScript": map_install_script(doc),
        "features": doc.get("features") if isinstance(doc.get("features"), list) else None,
        "fileDenylist": doc.get("file_denylist") if isinstance(doc.get("file_denylist"), list) else None,
        "allowedPortals": None,
        "updateUrl": meta.get("update_url"),
        "visible": True,
        "requiresKvm": js_truthy(coalesce(doc.get("requires_kvm"), doc.get("requiresKvm"))),
        "rootless": js_truthy(coalesce(meta.get("rootless"), doc.get("rootless"))),
    }


def desired_state(doc: Any) -> dict[str, Any]:
    """What `apply` makes the panel hold: the importer's mapping plus the round-trip fixes.

    Fix: `meta.requires_kvm` (what the panel's own export writes) also sets requiresKvm.
    """
    row = map_import(doc)
    if js_truthy(_obj(doc.get("meta")).get("requires_kvm")):
        row["requiresKvm"] = True
    return {key: row[key] for key in MANAGED}


# -- panel rows -------------------------------------------------------------------------------
def normalise_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A GET /api/admin/eggs row with its 0/1 boolean columns as real booleans."""
    out = dict(row)
    for key in BOOL_COLUMNS:
        if key in out and out[key] is not None:
            out[key] = js_truthy(out[key])
    return out


def same(a: Any, b: Any) -> bool:
    """JSON equality that tells true from 1 (Python's == does not)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return bool(a == b)


def _env_keys(items: list[Any]) -> list[str] | None:
    keys = [item.get("env_variable") for item in items if isinstance(item, dict)]
    if len(keys) != len(items) or not all(isinstance(k, str) and k for k in keys) or len(set(keys)) != len(keys):
        return None
    return keys  # type: ignore[return-value]


def leaf_changes(path: str, panel: Any, wanted: Any) -> list[dict[str, Any]]:
    """Field-level differences below `path`: nested keys, variables by env_variable."""
    if same(panel, wanted):
        return []
    if isinstance(panel, dict) and isinstance(wanted, dict):
        out: list[dict[str, Any]] = []
        for key in list(wanted) + [k for k in panel if k not in wanted]:
            out += leaf_changes(f"{path}.{key}", panel.get(key, _MISSING), wanted.get(key, _MISSING))
        return out
    if isinstance(panel, list) and isinstance(wanted, list):
        pk, wk = _env_keys(panel), _env_keys(wanted)
        if pk is not None and wk is not None and pk != wk:
            by_p = dict(zip(pk, panel))
            by_w = dict(zip(wk, wanted))
            out = []
            for key in wk + [k for k in pk if k not in by_w]:
                out += leaf_changes(f"{path}[{key}]", by_p.get(key, _MISSING), by_w.get(key, _MISSING))
            if not out:  # same variables, other order
                out.append(_change(path, panel, wanted))
            return out
        if pk is not None and pk == wk:
            out = []
            for key, p_item, w_item in zip(pk, panel, wanted):
                out += leaf_changes(f"{path}[{key}]", p_item, w_item)
            return out
        if len(panel) == len(wanted):
            out = []
            for i, (p_item, w_item) in enumerate(zip(panel, wanted)):
                out += leaf_changes(f"{path}[{i}]", p_item, w_item)
            return out
    return [_change(path, panel, wanted)]


def _change(path: str, panel: Any, wanted: Any) -> dict[str, Any]:
    kind = "added" if panel is _MISSING else "removed" if wanted is _MISSING else "changed"
    return {"path": path, "change": kind, "panel": None if panel is _MISSING else panel,
            "wanted": None if wanted is _MISSING else wanted}


def comparable(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Fields with the panel's equivalent spellings unified, so export -> apply is a no-op.

    The export (docs/panel/eggs.md#export) omits an empty `configFiles`/`fileDenylist`/`features` and writes
    `{"default": dockerImage}` when `dockerImages` is null; re-importing stores those forms, which
    mean the same thing. Only comparisons use this; PUT bodies carry the file's own values.
    """
    out = dict(fields)
    if "configFiles" in out and out["configFiles"] in ({}, None):
        out["configFiles"] = None
    for key in ("fileDenylist", "features", "allowedPortals"):
        if key in out and out[key] == []:
            out[key] = None
    if "dockerImages" in out and out["dockerImages"] is None and out.get("dockerImage") is not None:
        out["dockerImages"] = {"default": out["dockerImage"]}
    return out


#: Empty values the panel's export omits (eggHandler.ts writes config.files, features and file_denylist
#: only when non-empty) and its importer then stores as null: (row field, where the document holds it).
EMPTIES = (("configFiles", ("config", "files"), {}), ("fileDenylist", ("file_denylist",), []),
           ("features", ("features",), []))


def keep_empties(doc: dict[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
    """The export `doc` with the row's empty {} / [] written out, so a re-import keeps them (not null)."""
    out = dict(doc)
    for field, where, empty in EMPTIES:
        if row.get(field) != empty or type(row.get(field)) is not type(empty):
            continue
        parent = out
        for step in where[:-1]:
            parent[step] = dict(parent.get(step) if isinstance(parent.get(step), dict) else {})
            parent = parent[step]
        parent.setdefault(where[-1], type(empty)())
    return out


def stated_empties(doc: Any) -> dict[str, Any]:
    """The empty {} / [] values a document states explicitly (`config.files: "{}"` counts)."""
    mapped = map_import(doc)
    return {field: empty for field, _, empty in EMPTIES if mapped.get(field) == empty
            and type(mapped.get(field)) is type(empty)}


def field_changes(wanted: Mapping[str, Any], row: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(fields to PUT, leaf-level changes) turning the panel row into `wanted`."""
    current = comparable(normalise_row(row))
    target = comparable({**wanted, "dockerImage": wanted.get("dockerImage", current.get("dockerImage"))})
    put: dict[str, Any] = {}
    leaves: list[dict[str, Any]] = []
    for key in wanted:
        have, value = current.get(key), target.get(key)
        if not same(have, value):
            put[key] = wanted[key]
            for leaf in leaf_changes(key, have, value):
                leaves.append({"field": key, **leaf})
    return put, leaves


# -- matching files to panel eggs -------------------------------------------------------------
def identity(wanted: Mapping[str, Any]) -> tuple[str, Any]:
    """How a file is matched: ("update_url", url) when it has one, else ("name", name)."""
    url = wanted.get("updateUrl")
    if isinstance(url, str) and url.strip():
        return "update_url", url
    return "name", wanted.get("name")


def candidates(wanted: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Panel eggs a file may describe: same update_url, else the same exact name."""
    kind, value = identity(wanted)
    if kind == "update_url":
        found = [r for r in rows if r.get("updateUrl") == value]
        if found:
            return found
    return [r for r in rows if r.get("name") == wanted.get("name")]


def plan(files: Sequence[tuple[str, Mapping[str, Any]]], rows: Iterable[Mapping[str, Any]], *,
         prune: bool = False) -> list[dict[str, Any]]:
    """One entry per file (create/update/unchanged/error) plus, with prune, one per orphan (delete).

    A file matching several panel eggs, or two files describing the same egg, is an error entry
    that names the candidates; the eggs involved are never pruned.
    """
    rows = list(rows)
    entries: list[dict[str, Any]] = []
    seen_keys: dict[tuple[str, Any], str] = {}
    claimed: dict[Any, str] = {}
    protected: set[Any] = set()
    for file, wanted in files:
        entry: dict[str, Any] = {"file": file, "name": wanted.get("name"), "id": None, "action": "create",
                                 "put": {}, "changes": [], "message": ""}
        entries.append(entry)
        key = identity(wanted)
        found = candidates(wanted, rows)
        protected.update(r.get("id") for r in found)
        if key in seen_keys:
            entry.update(action="error", message=f"describes the same egg as {seen_keys[key]} ({key[0]} {key[1]!r})")
            continue
        seen_keys[key] = file
        if len(found) > 1:
            ids = ", ".join(f"{r.get('id')} ({r.get('name')})" for r in found)
            entry.update(action="error", message=f"matches several panel eggs: {ids}; keep one "
                                                 "(eclictl eggs delete ID) or set a unique meta.update_url")
            continue
        if not found:
            entry["message"] = "no panel egg with this " + ("update_url or name" if key[0] == "update_url" else "name")
            continue
        row = found[0]
        entry["id"] = row.get("id")
        if row.get("id") in claimed:
            entry.update(action="error",
                         message=f"egg {row.get('id')} is already described by {claimed[row.get('id')]}")
            continue
        claimed[row.get("id")] = file
        put, leaves = field_changes(wanted, row)
        entry.update(action="update" if put else "unchanged", put=put, changes=leaves)
    if prune:
        for row in rows:
            if row.get("id") not in claimed and row.get("id") not in protected:
                entries.append({"file": None, "name": row.get("name"), "id": row.get("id"), "action": "delete",
                                "put": {}, "changes": [], "message": "no file describes this egg"})
    return entries


def safe_filename(name: Any, fallback: str) -> str:
    """The panel's export file name: every character outside [A-Za-z0-9_-] becomes `_`."""
    import re

    text = re.sub(r"[^A-Za-z0-9_-]", "_", str(name or ""))[:120]
    return (text if text.strip("_") else fallback) + ".json"
