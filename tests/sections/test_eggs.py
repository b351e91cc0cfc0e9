"""`eclictl eggs ...` against the sandbox panel: listing, export, lint, import, diff, apply, prune, edit, sync."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from eclictl.eggs_lib.mapping import map_import, same

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "eggs"
EXPRESS = FIXTURES / "ok" / "ptdl_v2_nodejs_express.json"
KVM = FIXTURES / "warn" / "kvm_meta_only.json"
V1 = FIXTURES / "v1"


def writes(sandbox: Any) -> list[tuple[str, str, int]]:
    return [r for r in sandbox.requests if r[0] != "GET"]


def copy(tmp_path: Path, *sources: Path) -> Path:
    folder = tmp_path / "eggs"
    folder.mkdir(exist_ok=True)
    for src in sources:
        shutil.copy(src, folder / src.name)
    return folder


def export_dir(cli: Any, tmp_path: Path, *ids: str) -> Path:
    folder = tmp_path / "exported"
    r = cli("eggs", "export", *ids, "--dir", str(folder))
    assert r.exit_code == 0, r
    return folder


# -- list / show ------------------------------------------------------------------------------
def test_list_is_sorted_with_real_booleans_in_tsv_and_json(cli: Any) -> None:
    r = cli("eggs", "list")
    assert r.exit_code == 0, r
    lines = [line.split("\t") for line in r.stdout.splitlines()]
    assert [line[1] for line in lines] == ["Node.js Generic", "Paper", "Python Generic", "QEMU - Debian 13 VM",
                                           "Terraria", "Terraria", "Vanilla Bedrock"]
    bedrock = lines[-1]
    assert bedrock[0] == "5" and bedrock[4] == "false"
    data = cli("eggs", "list", "-o", "json").json()
    qemu = next(e for e in data if e["id"] == 4)
    assert qemu["requiresKvm"] is True and qemu["visible"] is True and qemu["rootless"] is False
    assert qemu["envVars"][0]["env_variable"] == "VM_MEMORY"  # full rows in json


def test_list_filters(cli: Any) -> None:
    assert [e["id"] for e in cli("eggs", "list", "--hidden", "-o", "json").json()] == [5]
    r = cli("eggs", "list", "--visible", "--name-contains", "TERRA", "-o", "ids")
    assert r.stdout.split() == ["6", "7"]
    assert cli("eggs", "list", "-n", "2", "-o", "ids").stdout.split() == ["2", "1"]


def test_show_by_id_or_name_ambiguous_and_missing(cli: Any) -> None:
    assert cli("eggs", "show", "Paper", "-o", "json").json()["id"] == 1
    r = cli("eggs", "show", "3")
    assert r.exit_code == 0 and "dockerImage\tghcr.io/pterodactyl/yolks:python_3.11" in r.stdout
    r = cli("eggs", "show", "Terraria")
    assert r.exit_code == 7 and "matches several eggs: 6, 7" in r.stderr
    r = cli("eggs", "show", "999")
    assert r.exit_code == 6 and "no egg '999'" in r.stderr


def test_redact_masks_author_and_credential_defaults(cli: Any) -> None:
    shown = cli("eggs", "show", "4", "-o", "json", "--redact").json()
    assert "noname@ecli.app" not in json.dumps(shown)
    by_env = {v["env_variable"]: v["default_value"] for v in shown["envVars"]}
    assert by_env["ROOT_PASSWORD"] == "•••" and by_env["VM_MEMORY"] == "2048"
    table = cli("eggs", "list", "--redact").stdout
    assert "noname@ecli.app" not in table and "parker@example.com" not in table
    plain = cli("eggs", "show", "4", "-o", "json").json()
    assert {v["env_variable"]: v["default_value"] for v in plain["envVars"]}["ROOT_PASSWORD"] == "changeme"


def test_permission_denials_are_exit_5_not_422(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    r = cli("eggs", "list", key="plain")
    assert r.exit_code == 5 and "422 Request error" in r.stderr and "eggs:read" in r.stderr
    assert cli("eggs", "list", key="root_client", env={}).exit_code == 0  # root-owned client key passes
    sandbox.inject_fault(method="POST", path="/api/admin/eggs/import", status=403, body="")
    r = cli("eggs", "import", str(EXPRESS))
    assert r.exit_code == 8 and "HTTP 403 with an empty body" in r.stdout + r.stderr


# -- export -----------------------------------------------------------------------------------
def test_export_stdout_file_and_dir(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    from eclictl.sandbox.routes.eggs import export_document

    from eclictl.eggs_lib.mapping import keep_empties

    r = cli("eggs", "export", "QEMU - Debian 13 VM")
    assert r.exit_code == 0
    row = sandbox.state.eggs[4]
    assert r.json() == keep_empties(export_document(row), row) and r.json()["meta"]["requires_kvm"] is True
    assert "file_denylist" not in export_document(row) and r.json()["file_denylist"] == []
    out = tmp_path / "paper.json"
    assert cli("eggs", "export", "1", "--file", str(out)).exit_code == 0
    assert json.loads(out.read_text())["name"] == "Paper"
    r = cli("eggs", "export", "6", "7", "Paper", "--dir", str(tmp_path / "d"))
    assert r.exit_code == 0, r
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["Paper.json", "Terraria-6.json", "Terraria-7.json"]
    assert [line.split("\t")[0] for line in r.stdout.splitlines()] == ["6", "7", "1"]
    r = cli("eggs", "export", "1", "2")
    assert r.exit_code == 2 and "--dir" in r.stderr


# -- lint -------------------------------------------------------------------------------------
def test_lint_is_offline_and_reports_errors_with_exit_7(cli: Any, sandbox: Any) -> None:
    r = cli("eggs", "lint", str(FIXTURES / "error"), "-o", "json", key=None, url=None)
    assert r.exit_code == 7, r
    report = r.json()
    assert report["ok"] is False and report["files"] == 11 and report["errors"] == 11
    codes = {Path(f["file"]).name: f["code"] for f in report["findings"]}
    assert codes["variable_null.json"] == "variable-null" and codes["invalid_json.json"] == "invalid-json"
    assert "11 error(s) in 11 of 11 file(s)" in r.stderr
    assert sandbox.requests == []


def test_lint_ok_warnings_tsv_and_strict(cli: Any, sandbox: Any) -> None:
    r = cli("eggs", "lint", str(FIXTURES / "ok"), key=None, url=None)
    assert r.exit_code == 0 and r.stdout == "" and "2 file(s) checked: no errors, 0 warning(s)" in r.stderr
    r = cli("eggs", "lint", str(FIXTURES / "pelican"), key=None, url=None)
    assert r.exit_code == 0
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    assert {row[3] for row in rows} == {"unknown-version", "multiple-images", "rules-not-string"}
    assert all(row[2] == "warning" and row[1].startswith("$") for row in rows)
    assert cli("eggs", "lint", str(FIXTURES / "pelican"), "--strict", key=None, url=None).exit_code == 7
    r = cli("eggs", "lint", str(FIXTURES / "nope"), key=None, url=None)
    assert r.exit_code == 2 and "no such file or directory" in r.stderr
    assert sandbox.requests == []


def test_official_v1_eggs_lint_clean_with_one_warning_each(cli: Any, sandbox: Any) -> None:
    r = cli("eggs", "lint", str(V1), "-o", "json", key=None, url=None)
    assert r.exit_code == 0, r
    report = r.json()
    assert report["errors"] == 0 and report["warnings"] == 2
    assert [f["code"] for f in report["findings"]] == ["converted-v1", "converted-v1"]
    assert sandbox.requests == []


# -- import -----------------------------------------------------------------------------------
def test_official_v1_eggs_import_diff_and_apply(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    folder = copy(tmp_path, *sorted(V1.iterdir()))
    r = cli("eggs", "diff", str(folder), "-o", "json")
    assert r.exit_code == 1, r
    assert [e["action"] for e in r.json()["eggs"]] == ["create", "create"]
    assert r.stderr.count("converted to PTDL_v2") == 2
    r = cli("eggs", "import", str(folder), "-o", "json")
    assert r.exit_code == 0, r
    assert r.stderr.count("converted to PTDL_v2") == 2 and r.json()["done"] == 2
    stored = {e["name"]: e for e in sandbox.state.eggs.values()}
    ark = stored["Ark: Survival Evolved"]
    assert ark["dockerImage"] == "ghcr.io/pterodactyl/games:source"
    assert ark["dockerImages"] == {"ghcr.io/pterodactyl/games:source": "ghcr.io/pterodactyl/games:source"}
    r = cli("eggs", "apply", str(folder), "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["unchanged"] == 2 and r.stderr.count("converted to PTDL_v2") == 2
    assert cli("eggs", "diff", str(folder)).exit_code == 0


def test_import_reports_the_new_id_and_stores_the_importer_mapping(cli: Any, sandbox: Any) -> None:
    r = cli("eggs", "import", str(EXPRESS), "-o", "json")
    assert r.exit_code == 0, r
    report = r.json()
    assert report["ids"] == [8] and report["items"][0]["id"] == 8 and report["done"] == 1
    stored = sandbox.state.eggs[8]
    for key, value in map_import(json.loads(EXPRESS.read_text())).items():
        assert same(stored[key], value), key
    assert [m for m, p, _ in writes(sandbox)] == ["POST"]


def test_import_of_an_existing_egg_needs_yes(cli: Any, sandbox: Any) -> None:
    assert cli("eggs", "import", str(EXPRESS)).exit_code == 0
    r = cli("eggs", "import", str(EXPRESS))
    assert r.exit_code == 2 and "already has this egg (id 8)" in r.stderr
    assert len(sandbox.state.eggs) == 8
    r = cli("eggs", "import", str(EXPRESS), "--yes", "-o", "ids")
    assert r.exit_code == 0 and r.stdout.split() == ["9"]
    assert sandbox.state.eggs[9]["name"] == "Node.js Express"


def test_a_malformed_file_never_causes_a_request(cli: Any, sandbox: Any) -> None:
    for args in (("import", str(EXPRESS), str(FIXTURES / "error" / "variable_null.json")),
                 ("apply", str(FIXTURES / "error" / "invalid_json.json")),
                 ("diff", str(FIXTURES / "error" / "no_docker_image.json"))):
        r = cli("eggs", *args)
        assert r.exit_code == 7, r
        assert "nothing was sent to the panel" in r.stderr
    assert sandbox.requests == []


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *a: Any, **kw: Any) -> None:
            super().__init__(*a, directory=str(root), **kw)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def test_import_from_url_is_downloaded_by_eclictl(cli: Any, sandbox: Any, web: tuple[str, Path]) -> None:
    base, root = web
    shutil.copy(EXPRESS, root / "express.json")
    r = cli("eggs", "import", f"{base}/express.json", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["ids"] == [8] and sandbox.state.eggs[8]["name"] == "Node.js Express"
    posted = [p for m, p, _ in writes(sandbox)]
    assert posted == ["/api/admin/eggs/import"]  # the document was sent, not the URL
    r = cli("eggs", "import", f"{base}/express.json", "--yes", "--max-size", "100")
    assert r.exit_code == 2 and "100-byte cap" in r.stderr
    r = cli("eggs", "import", f"{base}/missing.json")
    assert r.exit_code == 2 and "HTTP 404" in r.stderr
    assert len(sandbox.state.eggs) == 8


# -- diff / apply -----------------------------------------------------------------------------
def test_exported_eggs_round_trip_with_no_changes(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    folder = export_dir(cli, tmp_path, "1", "2", "3", "4", "5")
    before = len(sandbox.requests)
    r = cli("eggs", "diff", str(folder))
    assert r.exit_code == 0, r
    assert "no changes: the panel matches 5 egg file(s)" in r.stderr
    r = cli("eggs", "apply", str(folder), "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["unchanged"] == 5 and r.json()["updated"] == 0
    assert writes(sandbox) == [] and len(sandbox.requests) > before
    assert sandbox.state.eggs[4]["requiresKvm"] is True  # meta.requires_kvm is honoured


def test_export_then_import_keeps_empty_config_files_and_denylist(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    """The panel's export omits configFiles {} / fileDenylist [] and its importer stores null for them."""
    from eclictl.sandbox.routes.eggs import export_document

    row = sandbox.state.eggs[4]
    assert (row["configFiles"], row["fileDenylist"]) == ({}, [])
    raw = export_document(row)  # what the panel itself serves
    assert "files" not in raw["config"] and "file_denylist" not in raw
    out = tmp_path / "vm.json"
    assert cli("eggs", "export", "4", "--file", str(out)).exit_code == 0
    r = cli("eggs", "import", str(out), "--yes", "-o", "json")
    assert r.exit_code == 0, r
    new = sandbox.state.eggs[r.json()["ids"][0]]
    assert (new["configFiles"], new["fileDenylist"]) == ({}, [])  # not null
    # the panel's own file (without the keys) still imports as null, as on the real panel
    raw_file = tmp_path / "raw.json"
    raw_file.write_text(json.dumps(raw))
    r = cli("eggs", "import", str(raw_file), "--yes", "-o", "json")
    assert r.exit_code == 0 and sandbox.state.eggs[r.json()["ids"][0]]["configFiles"] is None


def _edit_paper(folder: Path) -> Path:
    path = folder / "Paper.json"
    doc = json.loads(path.read_text())
    doc["startup"] = "java -Xmx{{SERVER_MEMORY}}M -jar server.jar nogui"
    doc["variables"][0]["default_value"] = "paper.jar"
    path.write_text(json.dumps(doc))
    return path


def test_diff_lists_field_changes_and_exits_1(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    folder = export_dir(cli, tmp_path, "1")
    _edit_paper(folder)
    r = cli("eggs", "diff", str(folder), "-o", "json")
    assert r.exit_code == 1, r
    egg = r.json()["eggs"][0]
    assert egg["id"] == 1 and egg["action"] == "update" and egg["fields"] == ["envVars", "startup"]
    paths = {c["path"]: c for c in egg["changes"]}
    assert paths["envVars[SERVER_JARFILE].default_value"]["panel"] == "server.jar"
    assert paths["envVars[SERVER_JARFILE].default_value"]["wanted"] == "paper.jar"
    rows = [line.split("\t") for line in cli("eggs", "diff", str(folder)).stdout.splitlines()]
    assert [row[3] for row in rows] == ["startup", "envVars[SERVER_JARFILE].default_value"]
    assert writes(sandbox) == []


def test_diff_by_update_url_and_ambiguous_name(cli: Any, tmp_path: Path) -> None:
    folder = export_dir(cli, tmp_path, "1", "6")
    doc = json.loads((folder / "Paper.json").read_text())
    doc["name"] = "PaperMC"
    (folder / "Paper.json").write_text(json.dumps(doc))
    r = cli("eggs", "diff", str(folder / "Paper.json"), "-o", "json")
    assert r.exit_code == 1 and r.json()["eggs"][0]["changes"][0]["path"] == "name"
    r = cli("eggs", "diff", str(folder))
    assert r.exit_code == 7 and "matches several panel eggs: 6 (Terraria), 7 (Terraria)" in r.stderr


def test_apply_creates_updates_fixes_kvm_and_is_idempotent(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    folder = export_dir(cli, tmp_path, "1")
    _edit_paper(folder)
    shutil.copy(EXPRESS, folder)
    shutil.copy(KVM, folder)
    r = cli("eggs", "apply", str(folder), "-o", "json")
    assert r.exit_code == 0, r
    report = r.json()
    assert (report["created"], report["updated"], report["unchanged"], report["failed"]) == (2, 1, 0, 0)
    by_name = {e["name"]: e for e in sandbox.state.eggs.values()}
    assert by_name["Paper"]["startup"].endswith("nogui") and by_name["Paper"]["id"] == 1
    kvm = by_name["QEMU - Alpine VM"]
    assert kvm["requiresKvm"] is True  # the importer dropped it; apply fixed it with a PUT
    item = next(i for i in report["items"] if i["name"] == "QEMU - Alpine VM")
    assert item["fields"] == ["requiresKvm"] and "fixed requiresKvm" in item["message"]
    first = len(writes(sandbox))
    assert [m for m, _, _ in writes(sandbox)].count("POST") == 2
    again = cli("eggs", "apply", str(folder), "-o", "json")
    assert again.exit_code == 0 and (again.json()["created"], again.json()["updated"]) == (0, 0)
    assert again.json()["unchanged"] == 3 and len(writes(sandbox)) == first
    assert cli("eggs", "diff", str(folder)).exit_code == 0


def test_apply_table_report_and_dry_run(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    folder = copy(tmp_path, EXPRESS)
    r = cli("eggs", "apply", str(folder), "--dry-run")
    assert r.exit_code == 0 and "create" in r.stdout and writes(sandbox) == []
    r = cli("eggs", "apply", str(folder))
    assert r.exit_code == 0
    row = r.stdout.splitlines()[0].split("\t")
    assert row[0].endswith("ptdl_v2_nodejs_express.json") and row[1:4] == ["create", "8", "done"]


def test_apply_ambiguous_file_fails_that_egg_only(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    folder = export_dir(cli, tmp_path, "6")
    shutil.copy(EXPRESS, folder)
    r = cli("eggs", "apply", str(folder), "-o", "json")
    assert r.exit_code == 8, r
    items = {Path(i["item"]).name: i for i in r.json()["items"]}
    terraria = items["Terraria.json"]
    assert terraria["status"] == "failed" and "6 (Terraria), 7 (Terraria)" in terraria["message"]
    assert items["ptdl_v2_nodejs_express.json"]["status"] == "done" and 8 in sandbox.state.eggs


def test_apply_partial_failure_and_verification(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    folder = export_dir(cli, tmp_path, "1", "2", "3")
    _edit_paper(folder)
    for name in ("Node_js_Generic.json", "Python_Generic.json"):
        doc = json.loads((folder / name).read_text())
        doc["description"] = "changed by CI"
        (folder / name).write_text(json.dumps(doc))
    sandbox.inject_fault(method="PUT", path="/api/admin/eggs/1", status=500)
    # a "success" that stores nothing: verification must catch it
    sandbox.inject_fault(method="PUT", path="/api/admin/eggs/3", status=200, body="[object Object]")
    r = cli("eggs", "apply", str(folder), "-o", "json")
    assert r.exit_code == 8, r
    status = {i["id"]: (i["status"], i["message"]) for i in r.json()["items"]}
    assert status[1][0] == "failed" and "Internal server error" in status[1][1]
    assert status[2][0] == "done" and sandbox.state.eggs[2]["description"] == "changed by CI"
    assert status[3] == ("failed", "verify: the panel did not store description")
    assert "2 of 3 item(s) failed" in r.stderr


def test_prune_guard_refuses_and_changes_nothing(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    folder = copy(tmp_path, EXPRESS)
    r = cli("eggs", "apply", str(folder), "--prune", "--yes", "--max-affected", "3")
    assert r.exit_code == 7 and "7 existing egg(s) would be updated or deleted, more than --max-affected 3" in r.stderr
    assert writes(sandbox) == [] and len(sandbox.state.eggs) == 7
    r = cli("eggs", "apply", str(folder), "--prune")
    assert r.exit_code == 2 and "--yes" in r.stderr and writes(sandbox) == []


def test_prune_deletes_what_no_file_describes(cli: Any, sandbox: Any, tmp_path: Path) -> None:
    folder = export_dir(cli, tmp_path, "1")
    shutil.copy(EXPRESS, folder)
    r = cli("eggs", "diff", str(folder), "--prune", "-o", "json")
    assert r.exit_code == 1 and r.json()["delete"] == 6
    r = cli("eggs", "apply", str(folder), "--prune", "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert (r.json()["deleted"], r.json()["created"], r.json()["unchanged"]) == (6, 1, 1)
    assert sorted(e["name"] for e in sandbox.state.eggs.values()) == ["Node.js Express", "Paper"]
    assert not any(p == "/api/admin/eggs" for m, p, _ in writes(sandbox))  # never the delete-all route


# -- delete / edit / sync ---------------------------------------------------------------------
def test_delete_needs_yes_and_reports_per_egg(cli: Any, sandbox: Any) -> None:
    r = cli("eggs", "delete", "5")
    assert r.exit_code == 2 and 5 in sandbox.state.eggs
    r = cli("eggs", "delete", "5", "Terraria", "-", "--yes", stdin="3\n")
    assert r.exit_code == 8, r
    assert 5 not in sandbox.state.eggs and 3 not in sandbox.state.eggs and 6 in sandbox.state.eggs
    assert "matches several eggs: 6, 7" in r.stdout


def test_edit_sets_typed_fields_and_rereads(cli: Any, sandbox: Any) -> None:
    r = cli("eggs", "edit", "Paper", "--set", "requiresKvm=true", "--set", 'allowedPortals=["paid"]', "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["requiresKvm"] is True and r.json()["allowedPortals"] == ["paid"]
    assert sandbox.state.eggs[1]["requiresKvm"] is True and sandbox.state.eggs[1]["allowedPortals"] == ["paid"]
    before = len(writes(sandbox))
    r = cli("eggs", "edit", "1", "--set", "visible=false", "--dry-run")
    assert r.exit_code == 0 and "visible" in r.stdout and len(writes(sandbox)) == before
    assert cli("eggs", "edit", "1", "--set", "colour=red").exit_code == 2
    r = cli("eggs", "edit", "1", "--set", "visible=maybe")
    assert r.exit_code == 2 and "visible must be true or false" in r.stderr
    assert len(writes(sandbox)) == before


def test_sync_reports_each_server_and_fails_on_offline_nodes(cli: Any, sandbox: Any) -> None:
    users = [c for c in sandbox.state.servers.values() if c.get("eggId") == 1]
    r = cli("eggs", "sync", "Paper", "-o", "json")
    assert r.exit_code == 0, r
    assert r.json()["total"] == len(users) and {x["status"] for x in r.json()["results"]} == {"synced"}
    sandbox.state.offline_nodes.add(users[0]["nodeId"])
    r = cli("eggs", "sync", "1")
    assert r.exit_code == 8
    assert "The operation was aborted." in r.stdout and "server(s) failed" in r.stderr
    posted = [p for m, p, _ in writes(sandbox)]
    assert posted == ["/api/admin/eggs/1/sync", "/api/admin/eggs/1/sync"]
