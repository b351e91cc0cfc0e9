"""Offline checks of egg files before the panel sees them (docs/panel/eggs.md#import).

Errors are what the panel itself rejects or crashes on (400/500 on import); warnings are what it
accepts but silently degrades. Every finding names the file, a JSON path (`$.variables[2].rules`)
and a stable `code` for machines. Pure stdlib, no I/O except reading the files given.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from eclictl.eggs_lib.mapping import (
    MAX_LEN, V1, V2, coalesce, convert_v1, derive_images, identity, js_truthy, map_import, parse_json_string,
    variables_of, version_of,
)
from eclictl.inputs import loads_json

ERROR, WARNING = "error", "warning"
KNOWN_VERSIONS = (V1, V2)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: code -> level; the stable vocabulary of `eggs lint -o json`.
CODES: dict[str, str] = {
    "invalid-json": ERROR, "not-object": ERROR, "no-docker-image": ERROR, "image-not-string": ERROR,
    "variables-not-array": ERROR, "variable-null": ERROR, "variable-not-object": ERROR, "too-long": ERROR,
    "empty-startup": WARNING, "unknown-version": WARNING, "unparsable-config": WARNING,
    "variable-no-env": WARNING, "default-not-string": WARNING, "variable-flag-not-bool": WARNING,
    "rules-not-string": WARNING, "no-install-script": WARNING, "kvm-meta-only": WARNING,
    "multiple-images": WARNING, "images-not-object": WARNING, "images-array": WARNING, "missing-name": WARNING,
    "duplicate-egg": WARNING, "duplicate-on-panel": WARNING, "converted-v1": WARNING,
}


@dataclass(frozen=True)
class Finding:
    file: str
    path: str
    level: str
    code: str
    message: str

    def row(self) -> dict[str, str]:
        return {"file": self.file, "path": self.path, "level": self.level, "code": self.code,
                "message": self.message}


@dataclass
class FileResult:
    """One linted file: the parsed document (None when unreadable) and its findings."""

    file: str
    doc: Any = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.level == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.level == WARNING)

    def summary(self) -> dict[str, Any]:
        doc = self.doc if isinstance(self.doc, dict) else {}
        return {"file": self.file, "name": doc.get("name"), "version": version_of(doc) if doc else None,
                "errors": self.errors, "warnings": self.warnings}


def key_path(path: str, key: Any) -> str:
    text = str(key)
    return f"{path}.{text}" if _IDENT.match(text) else f"{path}[{json.dumps(text, ensure_ascii=False)}]"


class _Collector:
    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[Finding] = []

    def add(self, code: str, path: str, message: str) -> None:
        self.items.append(Finding(self.file, path, CODES[code], code, message))


# -- the rules --------------------------------------------------------------------------------
def lint_document(doc: Any, file: str = "") -> list[Finding]:
    """Every finding for one parsed egg document."""
    out = _Collector(file)
    if not isinstance(doc, dict):
        out.add("not-object", "$", f"the document is a JSON {_json_type(doc)}, not an object")
        return out.items
    _check_version(doc, out)
    _check_images(doc, out)
    _check_name(doc, out)
    _check_startup(doc, out)
    _check_variables(doc, out)
    _check_config(doc, out)
    _check_scripts(doc, out)
    _check_kvm(doc, out)
    return out.items


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _kind(value: Any) -> str:
    """`a string`, `an array`: the JSON type with its article, for messages."""
    name = _json_type(value)
    return ("an " if name[0] in "aeiou" else "a ") + name


def _check_version(doc: Mapping[str, Any], out: _Collector) -> None:
    meta = doc.get("meta")
    version = meta.get("version") if isinstance(meta, dict) else None
    if version is not None and version not in KNOWN_VERSIONS:
        out.add("unknown-version", "$.meta.version", f"version {version!r} is handled as PTDL_v1 by the panel "
                "(only PTDL_v2 changes how the docker image is chosen)")


def _check_images(doc: Mapping[str, Any], out: _Collector) -> None:
    v2 = version_of(doc) == V2
    images = doc.get("docker_images")
    if v2 and images is not None and not isinstance(images, dict):
        out.add("images-not-object", "$.docker_images", f"PTDL_v2 expects docker_images to be an object of "
                f"label -> image; {_kind(images)} is read with the v1 rules")
    image, stored = derive_images(doc)
    source_key = "docker_images" if images is not None else "image"
    if not js_truthy(image):
        if isinstance(stored, (dict, list)) and not stored:
            why = f"{source_key} is empty"
        elif "images" in doc and images is None and doc.get("image") is None:
            why, source_key = ("the v1 key `images` holds no usable image (a list of image names converts to "
                               "docker_images)"), "images"
        else:
            why = "set docker_images (an object of label -> image) or image"
        out.add("no-docker-image", f"$.{source_key}", f"no docker image: {why} (the panel answers 400)")
        return
    if isinstance(stored, dict):
        for label, value in stored.items():
            if not isinstance(value, str):
                out.add("image-not-string", key_path(f"$.{source_key}", label),
                        f"image is {_kind(value)}, not a string")
    elif isinstance(stored, list):
        for i, value in enumerate(stored):
            if not isinstance(value, str):
                out.add("image-not-string", f"$.{source_key}[{i}]", f"image is {_kind(value)}, not a string")
        out.add("images-array", f"$.{source_key}", "an array is stored as dockerImages as-is (the panel "
                "expects an object of label -> image)")
    elif not isinstance(image, str):
        out.add("image-not-string", f"$.{source_key}", f"image is {_kind(image)}, not a string")
    if isinstance(image, str) and len(image) > MAX_LEN:
        out.add("too-long", f"$.{source_key}", f"the default image is {len(image)} characters; the panel "
                f"stores at most {MAX_LEN} (500 on import)")
    if isinstance(stored, (dict, list)) and len(stored) > 1:
        label = list(stored)[-1] if isinstance(stored, dict) else len(stored) - 1
        out.add("multiple-images", f"$.{source_key}", f"{len(stored)} images: the last one ({label}: {image}) "
                "becomes the egg's default image")


def _check_name(doc: Mapping[str, Any], out: _Collector) -> None:
    name = doc.get("name")
    if not js_truthy(name):
        out.add("missing-name", "$.name", "no name: the panel stores it as 'Imported Egg'")
    elif isinstance(name, str) and len(name) > MAX_LEN:
        out.add("too-long", "$.name", f"the name is {len(name)} characters; the panel stores at most {MAX_LEN} "
                "(500 on import)")


def _check_startup(doc: Mapping[str, Any], out: _Collector) -> None:
    startup = doc.get("startup")
    if not isinstance(startup, str) or not startup.strip():
        out.add("empty-startup", "$.startup", "startup command is missing or empty (servers get no "
                "invocation from this egg)")


def _check_variables(doc: Mapping[str, Any], out: _Collector) -> None:
    variables = variables_of(doc)
    if variables is None:
        return
    where = "$.variables" if doc.get("variables") is not None else "$.env"
    if not isinstance(variables, list):
        out.add("variables-not-array", where, f"must be an array, got {_kind(variables)} (the panel "
                "answers 500)")
        return
    for i, var in enumerate(variables):
        path = f"{where}[{i}]"
        if var is None:
            out.add("variable-null", path, "a null variable makes the panel answer 500")
        elif not isinstance(var, dict):
            out.add("variable-not-object", path, f"a variable must be an object, got {_kind(var)}")
        else:
            _check_variable(var, path, out)


def _check_variable(var: Mapping[str, Any], path: str, out: _Collector) -> None:
    label = var.get("env_variable") or var.get("name") or "?"
    if not js_truthy(var.get("env_variable")):
        out.add("variable-no-env", key_path(path, "env_variable"), f"variable {label!r} has no env_variable: "
                "servers created from the egg get it keyed by its display name")
    default = var.get("default_value")
    if default is not None and not isinstance(default, str):
        out.add("default-not-string", key_path(path, "default_value"),
                f"{label}: default_value is {_kind(default)}; stored as-is, environments expect strings")
    for flag in ("user_viewable", "user_editable"):
        value = var.get(flag)
        if value is not None and not isinstance(value, bool):
            out.add("variable-flag-not-bool", key_path(path, flag),
                    f"{label}: {flag} is {_kind(value)}, not true/false (stored as-is)")
    rules = var.get("rules")
    if rules is not None and not isinstance(rules, str):
        out.add("rules-not-string", key_path(path, "rules"),
                f"{label}: rules is {_kind(rules)}; the panel expects a pipe-separated string "
                "such as 'required|string|max:20' (stored as-is)")


def _check_config(doc: Mapping[str, Any], out: _Collector) -> None:
    config = doc.get("config")
    if config is None:
        return
    if not isinstance(config, dict):
        out.add("unparsable-config", "$.config", f"config is {_kind(config)}, not an object: it is "
                "ignored (default stop command, no done-lines)")
        return
    for key in ("files", "startup", "logs"):
        value = config.get(key)
        if not isinstance(value, str):
            continue
        ok, parsed = parse_json_string(value)
        if not ok:
            effect = "dropped" if key == "files" else "replaced by defaults"
            out.add("unparsable-config", f"$.config.{key}", f"config.{key} is a string that is not valid JSON: "
                    f"the panel silently {effect} it")
        elif key != "files" and not isinstance(parsed, dict):
            out.add("unparsable-config", f"$.config.{key}", f"config.{key} holds a JSON {_json_type(parsed)}, "
                    "not an object: the panel uses defaults")


def _check_scripts(doc: Mapping[str, Any], out: _Collector) -> None:
    scripts = doc.get("scripts")
    installation = scripts.get("installation") if isinstance(scripts, dict) else None
    script = installation.get("script") if isinstance(installation, dict) else None
    if not isinstance(script, str) or not script.strip():
        out.add("no-install-script", "$.scripts.installation.script", "no install script: servers get an empty "
                "installation")


def _check_kvm(doc: Mapping[str, Any], out: _Collector) -> None:
    meta = doc.get("meta")
    in_meta = js_truthy(meta.get("requires_kvm")) if isinstance(meta, dict) else False
    top = js_truthy(coalesce(doc.get("requires_kvm"), doc.get("requiresKvm")))
    if in_meta and not top:
        out.add("kvm-meta-only", "$.meta.requires_kvm", "the panel's importer ignores meta.requires_kvm: set "
                "top-level requires_kvm: true, or use `eclictl eggs apply`, which fixes it with a PUT")


# -- files ------------------------------------------------------------------------------------
def lint_text(text: str, file: str = "") -> FileResult:
    """Parse and lint one document's text."""
    result = FileResult(file)
    try:
        result.doc = loads_json(text)
    except ValueError as exc:
        where = f"line {exc.lineno} column {exc.colno}: " if hasattr(exc, "lineno") else ""
        msg = getattr(exc, "msg", str(exc))
        result.findings.append(Finding(file, "$", ERROR, "invalid-json", f"not valid JSON: {where}{msg}"))
        return result
    converted = convert_v1(result.doc)
    if converted is not None:
        count = len(converted["docker_images"])
        result.findings.append(Finding(file, "$.images", WARNING, "converted-v1", (
            f"PTDL_v1 egg: its `images` list ({count} image(s)) was converted to PTDL_v2 docker_images, as "
            "Pterodactyl's importer does (the panel alone answers 400 for it)")))
        result.doc = converted
    result.findings.extend(lint_document(result.doc, file))
    return result


def lint_file(path: str) -> FileResult:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        return FileResult(path, None, [Finding(path, "$", ERROR, "invalid-json", f"cannot read: {exc.strerror}")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return FileResult(path, None, [Finding(path, "$", ERROR, "invalid-json", "not UTF-8 text")])
    return lint_text(text, path)


def collect_files(paths: Iterable[str]) -> list[str]:
    """Files as given, and every `*.json` below directories (sorted; hidden directories skipped).

    Raises FileNotFoundError naming the first path that does not exist.
    """
    found: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            below = []
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                below.extend(os.path.join(root, f) for f in files if f.lower().endswith(".json"))
            found.extend(sorted(below))
        elif os.path.exists(path):
            found.append(path)
        else:
            raise FileNotFoundError(path)
    seen: set[str] = set()
    return [f for f in found if not (f in seen or seen.add(f))]


def cross_file_findings(results: Sequence[FileResult]) -> list[Finding]:
    """Two files describing the same egg (same update_url, else name): apply cannot tell them apart."""
    first: dict[tuple[str, Any], str] = {}
    out: list[Finding] = []
    for result in results:
        if result.errors or not isinstance(result.doc, dict):
            continue
        key = identity(map_import(result.doc))
        if key in first:
            out.append(Finding(result.file, "$.meta.update_url" if key[0] == "update_url" else "$.name", WARNING,
                               "duplicate-egg", f"same {key[0]} as {first[key]}: both describe one egg"))
        else:
            first[key] = result.file
    return out


def panel_duplicate_findings(results: Sequence[FileResult], rows: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """Files whose egg already exists on the panel: an import would create a duplicate."""
    rows = list(rows)
    out = []
    for result in results:
        if result.errors or not isinstance(result.doc, dict):
            continue
        mapped = map_import(result.doc)
        same = [r for r in rows if r.get("name") == mapped["name"]
                or (mapped.get("updateUrl") and r.get("updateUrl") == mapped.get("updateUrl"))]
        if same:
            ids = ", ".join(str(r.get("id")) for r in same)
            out.append(Finding(result.file, "$.name", WARNING, "duplicate-on-panel",
                               f"the panel already has this egg (id {ids}); import creates another copy "
                               "(use `eclictl eggs apply` to update in place)"))
    return out


def lint_paths(paths: Iterable[str], *, strict: bool = False) -> list[FileResult]:
    """Lint every file under `paths`; with strict, warnings count as errors."""
    results = [lint_file(p) for p in collect_files(paths)]
    extra = cross_file_findings(results)
    by_file = {r.file: r for r in results}
    for finding in extra:
        by_file[finding.file].findings.append(finding)
    if strict:
        for result in results:
            result.findings = [Finding(f.file, f.path, ERROR, f.code, f.message) for f in result.findings]
    return results
