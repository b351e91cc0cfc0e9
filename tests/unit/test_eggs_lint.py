"""eclictl.eggs_lib: lint rules per fixture file, and the importer mapping against the panel's samples."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from eclictl.eggs_lib.lint import CODES, ERROR, WARNING, collect_files, lint_file, lint_paths, lint_text
from eclictl.eggs_lib.mapping import (
    ImportRejected, desired_state, field_changes, map_import, plan, safe_filename, same,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "eggs"
SAMPLES = Path(__file__).resolve().parents[1] / "contract" / "samples"

#: file -> (level, code) pairs it must produce, exactly (each file is linted alone).
EXPECTED: dict[str, set[tuple[str, str]]] = {
    "ok/ptdl_v1_bungeecord.json": set(),
    "ok/ptdl_v2_nodejs_express.json": set(),
    "pelican/plcn_v1_python_bot.json": {(WARNING, "unknown-version"), (WARNING, "multiple-images"),
                                        (WARNING, "rules-not-string")},
    "error/invalid_json.json": {(ERROR, "invalid-json")},
    "error/not_object.json": {(ERROR, "not-object")},
    "error/no_docker_image.json": {(ERROR, "no-docker-image")},
    "error/v1_images_key_only.json": {(ERROR, "no-docker-image")},
    "error/v2_empty_docker_images.json": {(ERROR, "no-docker-image")},
    "error/image_not_string.json": {(ERROR, "image-not-string")},
    "error/variables_not_array.json": {(ERROR, "variables-not-array")},
    "error/variable_null.json": {(ERROR, "variable-null")},
    "error/variable_not_object.json": {(ERROR, "variable-not-object")},
    "error/name_too_long.json": {(ERROR, "too-long")},
    "error/image_too_long.json": {(ERROR, "too-long")},
    "warn/empty_startup.json": {(WARNING, "empty-startup")},
    "warn/unknown_version.json": {(WARNING, "unknown-version")},
    "warn/unparsable_config_files.json": {(WARNING, "unparsable-config")},
    "warn/unparsable_config_startup.json": {(WARNING, "unparsable-config")},
    "warn/unparsable_config_logs.json": {(WARNING, "unparsable-config")},
    "warn/variable_no_env_variable.json": {(WARNING, "variable-no-env")},
    "warn/default_not_string.json": {(WARNING, "default-not-string")},
    "warn/flags_not_bool.json": {(WARNING, "variable-flag-not-bool")},
    "warn/rules_not_string.json": {(WARNING, "rules-not-string")},
    "warn/no_install_script.json": {(WARNING, "no-install-script")},
    "warn/kvm_meta_only.json": {(WARNING, "kvm-meta-only")},
    "warn/multiple_images.json": {(WARNING, "multiple-images")},
    "warn/missing_name.json": {(WARNING, "missing-name")},
    "warn/images_array.json": {(WARNING, "images-array")},
    "warn/v2_images_not_object.json": {(WARNING, "images-not-object")},
    "v1/egg-ark--survival-evolved.json": {(WARNING, "converted-v1")},
    "v1/egg-counter--strike--global-offensive.json": {(WARNING, "converted-v1")},
}

#: the JSON path each single-finding file must name.
PATHS = {
    "error/v1_images_key_only.json": "$.images",
    "v1/egg-ark--survival-evolved.json": "$.images",
    "error/image_not_string.json": '$.docker_images["Node.js 20"]',
    "error/variable_null.json": "$.variables[2]",
    "error/name_too_long.json": "$.name",
    "warn/unparsable_config_logs.json": "$.config.logs",
    "warn/default_not_string.json": "$.variables[0].default_value",
    "warn/kvm_meta_only.json": "$.meta.requires_kvm",
}


def load(rel: str) -> Any:
    return json.loads((FIXTURES / rel).read_text(encoding="utf-8"))


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_each_fixture_gives_exactly_its_findings(rel: str) -> None:
    result = lint_file(str(FIXTURES / rel))
    assert {(f.level, f.code) for f in result.findings} == EXPECTED[rel]
    assert all(f.file.endswith(rel) and f.path.startswith("$") and f.message for f in result.findings)
    if rel in PATHS:
        assert PATHS[rel] in [f.path for f in result.findings]


def test_every_code_is_exercised_by_the_corpus() -> None:
    produced = {code for pairs in EXPECTED.values() for _, code in pairs} | {"duplicate-egg", "duplicate-on-panel"}
    assert produced == set(CODES)


def test_error_files_are_exactly_what_the_importer_rejects() -> None:
    for rel in EXPECTED:
        result = lint_file(str(FIXTURES / rel))
        if result.doc is None:
            continue
        rejected = False
        try:
            map_import(result.doc)
        except ImportRejected:
            rejected = True
        # two lint checks (docs/panel/eggs.md#import) are stricter than the panel here: a non-string image or a non-object variable
        # is stored (as junk) rather than rejected, so lint calls them errors on purpose
        if rel not in ("error/image_not_string.json", "error/variable_not_object.json"):
            assert rejected == bool(result.errors), rel


def test_directory_is_searched_recursively_and_duplicates_warned() -> None:
    results = lint_paths([str(FIXTURES / "dupes")])
    assert [Path(r.file).name for r in results] == ["express_a.json", "express_b.json"]
    dup = [f for r in results for f in r.findings]
    assert [(f.code, f.level) for f in dup] == [("duplicate-egg", WARNING)]
    assert "express_a.json" in dup[0].message and dup[0].path == "$.meta.update_url"


def test_strict_turns_warnings_into_errors() -> None:
    results = lint_paths([str(FIXTURES / "warn" / "empty_startup.json")], strict=True)
    assert [(f.level, f.code) for f in results[0].findings] == [(ERROR, "empty-startup")]


def test_collect_files_missing_path_and_non_json_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.json").write_text("{}")
    assert collect_files([str(tmp_path)]) == [str(tmp_path / "a.json")]
    with pytest.raises(FileNotFoundError):
        collect_files([str(tmp_path / "nope")])


def test_lint_text_reports_line_and_column() -> None:
    result = lint_text('{\n  "name": "x",\n}', "inline")
    assert result.doc is None and result.findings[0].code == "invalid-json"
    # Python < 3.13 points at the closing brace (line 3), 3.13 at the trailing comma (line 2)
    assert re.search(r"line [23] column \d+", result.findings[0].message)


# -- the importer mapping -----------------------------------------------------------------------
def test_mapping_matches_the_live_import_sample() -> None:
    """POST import of debianvm.json stored exactly the row in GET_api_admin_eggs_after_import (id 5)."""
    doc = sample("POST_api_admin_eggs_import.json")["request"]["body"]["json"]
    stored = next(r for r in sample("GET_api_admin_eggs_after_import.json")["body"] if r["id"] == 5)
    mapped = map_import(doc)
    for key, value in mapped.items():
        want = stored[key]
        if key in ("visible", "requiresKvm", "rootless"):
            want = bool(want)
        assert same(value, want), key
    assert field_changes(desired_state(doc), stored) == ({}, [])


def test_mapping_matches_the_rejection_samples() -> None:
    with pytest.raises(ImportRejected) as exc:
        map_import(sample("POST_api_admin_eggs_import_400_no_docker_image.json")["request"]["body"]["json"])
    assert (exc.value.status, exc.value.message) == (400, "Egg JSON does not contain a docker image")


def test_mapping_quirks() -> None:
    v1 = map_import(load("ok/ptdl_v1_bungeecord.json"))
    assert v1["dockerImage"] == "quay.io/pterodactyl/core:java" and v1["dockerImages"] is None
    assert v1["processConfig"]["startup"] == {"done": ["Listening on "], "user_interaction":
                                              ["Listening on /0.0.0.0:25577"], "strip_ansi": False}
    assert v1["processConfig"]["configs"] is False  # Pterodactyl's logs.custom boolean
    assert v1["processConfig"]["stop"] == {"type": "command", "value": "end"}
    pel = map_import(load("pelican/plcn_v1_python_bot.json"))
    assert pel["dockerImage"] == "ghcr.io/parkervcp/yolks:python_3.11"  # the last one wins
    assert pel["envVars"][0]["rules"] == ["required", "string"] and "sort" not in pel["envVars"][0]
    kvm = load("warn/kvm_meta_only.json")
    assert map_import(kvm)["requiresKvm"] is False and desired_state(kvm)["requiresKvm"] is True
    assert map_import(load("warn/unparsable_config_files.json"))["configFiles"] is None
    assert map_import({"image": "x", "config": {"stop": "SIGKILL"}})["processConfig"]["stop"] == \
        {"type": "kill", "value": "SIGKILL"}
    assert map_import({"image": "x"})["name"] == "Imported Egg"
    with pytest.raises(ImportRejected) as exc:
        map_import(load("error/variable_null.json"))
    assert exc.value.status == 500


def test_sandbox_importer_agrees_with_the_mapping() -> None:
    """Two independent implementations of the importer (docs/panel/eggs.md#import) must agree on the whole corpus."""
    from eclictl.sandbox.router import HttpError
    from eclictl.sandbox.routes.eggs import import_document

    checked = 0
    for path in collect_files([str(FIXTURES)]):
        result = lint_file(path)
        if result.doc is None:
            continue
        try:
            ours: Any = map_import(result.doc)
        except ImportRejected as exc:
            ours = exc.status
        try:
            theirs: Any = import_document(result.doc)
        except HttpError as exc:
            theirs = exc.status
        assert same(ours, theirs), path
        checked += 1
    assert checked >= 25


def test_plan_matches_by_update_url_then_name_and_flags_ambiguity() -> None:
    rows = [{"id": 1, "name": "Paper", "updateUrl": "u1"}, {"id": 6, "name": "Terraria"},
            {"id": 7, "name": "Terraria"}, {"id": 9, "name": "Orphan"}]
    files = [("a.json", {"name": "Paper 2", "updateUrl": "u1"}), ("b.json", {"name": "Terraria", "updateUrl": None}),
             ("c.json", {"name": "New", "updateUrl": None})]
    entries = plan(files, rows, prune=True)
    by = {e["file"]: e for e in entries}
    assert by["a.json"]["id"] == 1 and by["a.json"]["action"] == "update" and "name" in by["a.json"]["put"]
    assert by["b.json"]["action"] == "error" and "6 (Terraria), 7 (Terraria)" in by["b.json"]["message"]
    assert by["c.json"]["action"] == "create"
    deletes = [e["id"] for e in entries if e["action"] == "delete"]
    assert deletes == [9]  # ambiguous candidates are never pruned


def test_leaf_changes_key_variables_by_env_name() -> None:
    wanted = {"envVars": [{"env_variable": "A", "default_value": "2"}, {"env_variable": "B", "default_value": "x"}]}
    row = {"envVars": [{"env_variable": "A", "default_value": "1"}]}
    put, leaves = field_changes(wanted, row)
    assert list(put) == ["envVars"]
    assert [(c["path"], c["change"]) for c in leaves] == [("envVars[A].default_value", "changed"),
                                                          ("envVars[B]", "added")]


def test_same_tells_booleans_from_numbers_and_rows_are_normalised() -> None:
    assert not same(True, 1) and same({"a": [1, "x"]}, {"a": [1, "x"]}) and not same({"a": 1}, {"a": 1, "b": 2})
    assert field_changes({"requiresKvm": True}, {"requiresKvm": 1}) == ({}, [])


def test_safe_filename_matches_the_panel_download_name() -> None:
    assert safe_filename("QEMU - Debian 13 VM", "egg-1") == "QEMU_-_Debian_13_VM.json"
    assert safe_filename("../../etc/passwd", "egg-1") == "______etc_passwd.json"
    assert safe_filename("", "egg-3") == "egg-3.json"


def test_official_v1_eggs_convert_like_pterodactyls_importer() -> None:
    """Each `images` entry becomes a docker_images entry labelled with itself; variables get field_type
    text; the importer then stores the image instead of answering 400."""
    raw = load("v1/egg-ark--survival-evolved.json")
    with pytest.raises(ImportRejected):
        map_import(raw)  # what the panel does with the file as it ships
    result = lint_file(str(FIXTURES / "v1/egg-ark--survival-evolved.json"))
    doc = result.doc
    assert "images" not in doc and "image" not in doc and doc["meta"]["version"] == "PTDL_v2"
    assert doc["docker_images"] == {"ghcr.io/pterodactyl/games:source": "ghcr.io/pterodactyl/games:source"}
    assert {v["field_type"] for v in doc["variables"]} == {"text"}
    assert map_import(doc)["dockerImage"] == "ghcr.io/pterodactyl/games:source"
    two = lint_text(json.dumps({**raw, "images": ["a/b:1", "a/b:2"]}), "two.json")
    assert two.doc["docker_images"] == {"a/b:1": "a/b:1", "a/b:2": "a/b:2"}
    assert [f.code for f in two.findings] == ["converted-v1", "multiple-images"]
    # a v2 file, a v1 file with `image`, and an unusable `images` are left alone
    for doc in ({**raw, "meta": {"version": "PTDL_v2"}}, {**raw, "images": None, "image": "x/y:1"},
                {**raw, "images": [1]}, {**raw, "images": []}):
        assert "converted-v1" not in [f.code for f in lint_text(json.dumps(doc), "f.json").findings]
