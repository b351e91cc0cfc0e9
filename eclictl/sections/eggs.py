"""Eggs tab: `/api/admin/eggs*` (docs/panel/eggs.md), and eggs-as-code for CI.

The panel's egg routes need a safe layer in front of them (docs/panel/eggs.md#gate, docs/panel/eggs.md#import,
docs/panel/eggs.md#routes):
* one permission (`eggs:read`) gates everything, including delete; denials are a 422
  `Request error` (list) or an empty 401/403 body: both are reported here as exit 5;
* create/update/import answer `[object Object]`, never the egg: ids come from re-reading the list;
* import never upserts, so `apply` matches files to eggs itself (update_url, else exact name),
  imports what is missing, PUTs what changed (also fixing `meta.requires_kvm`), and verifies;
* the list returns booleans as 0/1: shown here as true/false.
Pure lint/mapping logic lives in eclictl/eggs_lib (no CLI imports; unit-tested and benchmarked).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Optional

import typer

from eclictl.errors import RejectedError, UsageError
from eclictl.options import SAFETY_PANEL, DryRunOpt, YesOpt, command
from eclictl.output.columns import Col
from eclictl.sections._eggs_api import DEFAULT_MAX_SIZE, PATH, SENSITIVE, _ctx, _view, call, display, fetch_rows, find
from eclictl.sections._eggs_files import (FINDING_COLUMNS, _collect, _counts, _document, _execute, _export_doc,
                                          _import_one, _keep_stated_empties, _lint_summary, _mask_change, _plan,
                                          _plan_json, _plan_rows, _print_document, _report, _write_dir,
                                          load_sources)
from eclictl.sections._spec import Filter, ListOpts, Section, add_list, build

FILES_PANEL = "Files"
FETCH_PANEL = "Download"

EGGS = Section(
    name="eggs",
    help="Eggs (server templates): list, show, export, lint, import, diff, apply, edit, sync, delete.",
    path=PATH,
    columns=(Col("id"), Col("name", max_width=40), Col("dockerImage", "IMAGE", max_width=48), Col("author"),
             Col("visible"), Col("requiresKvm", "KVM"), Col("rootless"), Col("updatedAt", "UPDATED")),
    permission="eggs:read",
    sensitive=SENSITIVE,
    verbs=(),
    examples=("eclictl eggs list --hidden", "eclictl eggs lint eggs/", "eclictl eggs apply eggs/ --dry-run"),
)
app = build(EGGS)


# -- reading the panel ------------------------------------------------------------------------


# -- list / show ------------------------------------------------------------------------------
add_list(app, replace(
    EGGS,
    filters=(Filter("visible", "Only eggs users can see, or only hidden ones.", off="hidden"),
             Filter("name_contains", "Only eggs whose name contains TEXT (case-insensitive).", field="name",
                    contains=True, metavar="TEXT")),
    list_opts=ListOpts(limit="Show at most N eggs.", limit_min=True, all=None, filters_first=True),
    list_rows=lambda ctx, params: [display(r) for r in fetch_rows(ctx)],
), "List every egg, sorted by name (the panel has no paging or filters; these filter locally).",
    ("eclictl eggs list", "eclictl eggs list --hidden", "eclictl eggs list --name-contains minecraft -o json"))


#: The EGG argument of the one-egg verbs.
EggArg = Annotated[str, typer.Argument(metavar="EGG", help="Egg id or exact name.")]


@app.command("show", epilog="Examples:\n\n  eclictl eggs show 4\n\n  eclictl eggs show Paper -o json")
@command()
def show(ref: EggArg) -> Any:
    """Show one egg with its variables, process config and install script."""
    ctx = _ctx()
    return _view(display(find(fetch_rows(ctx), ref)), detail=True)


# -- export -----------------------------------------------------------------------------------
@app.command("export", epilog="Examples:\n\n  eclictl eggs export Paper > paper.json\n\n"
             "  eclictl eggs export 4 --file debian-vm.json\n\n"
             "  eclictl eggs list -o ids | eclictl eggs export - --dir eggs/")
@command()
def export(
    refs: Annotated[list[str], typer.Argument(metavar="EGG...", help="Egg ids or exact names; '-' reads stdin.")],
    file: Annotated[Optional[str], typer.Option("--file", "-f", metavar="FILE", help="Write the document to FILE "
                                                "(one egg; 0600, replaced atomically).", rich_help_panel=FILES_PANEL,
                                                show_default=False)] = None,
    directory: Annotated[Optional[str], typer.Option("--dir", metavar="DIR", help="Write one file per egg into DIR "
                                                     "(named like the panel's download, e.g. Paper.json).",
                                                     rich_help_panel=FILES_PANEL, show_default=False)] = None,
) -> Any:
    """Export eggs in the panel's PTDL_v2 format (the file `eggs apply` reads back; real values even in
    privacy mode)."""
    ctx = _ctx()
    items = ctx.read_ids(refs)
    if file and directory:
        raise UsageError("use either --file FILE or --dir DIR")
    if len(items) > 1 and not directory:
        raise UsageError(f"{len(items)} eggs: use --dir DIR to write one file each")
    rows = fetch_rows(ctx)
    chosen = [find(rows, ref) for ref in items]
    docs = [(row, _export_doc(ctx, row)) for row in chosen]
    if file:
        from eclictl.files import note_exports_unmasked, write_private

        write_private(file, _document(docs[0][1]))
        note_exports_unmasked(ctx)
        ctx.info(f"wrote egg {docs[0][0].get('id')} to {file}")
        return None
    if directory:
        from eclictl.files import note_exports_unmasked

        written = _write_dir(directory, docs)
        note_exports_unmasked(ctx)
        return _view(written, columns=(Col("id"), Col("name"), Col("file")))
    return _print_document(ctx, docs[0][1])


# -- loading and linting files ----------------------------------------------------------------
StrictOpt = Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.", rich_help_panel=SAFETY_PANEL)]


@app.command("lint", epilog="Examples:\n\n  eclictl eggs lint eggs/\n\n  eclictl eggs lint paper.json --strict\n\n"
             "  eclictl eggs lint eggs/ -o json > lint-report.json")
@command()
def lint(
    paths: Annotated[list[str], typer.Argument(metavar="PATH...", help="Egg files, or directories searched "
                                               "recursively for *.json.")],
    strict: StrictOpt = False,
) -> Any:
    """Check egg files offline: errors the panel would reject, warnings for what it silently degrades."""
    from eclictl.eggs_lib.lint import lint_paths

    ctx = _ctx()
    results = lint_paths(_collect(paths), strict=strict)
    summary = _lint_summary(results, strict)
    ctx.emit(_view(summary["findings"], columns=FINDING_COLUMNS, id_field="file", json_data=summary, empty=""))
    bad = sum(1 for r in results if r.errors)
    if summary["errors"]:
        raise RejectedError(f"{summary['errors']} error(s) in {bad} of {len(results)} file(s)")
    ctx.info(f"{len(results)} file(s) checked: no errors, {summary['warnings']} warning(s)")
    return None


# -- import -----------------------------------------------------------------------------------
FetchTimeoutOpt = Annotated[float, typer.Option("--fetch-timeout", min=0.1, metavar="SECONDS",
                                                help="Timeout for downloading a URL.", rich_help_panel=FETCH_PANEL)]
MaxSizeOpt = Annotated[int, typer.Option("--max-size", min=1, metavar="BYTES", help="Refuse downloads larger "
                                         "than this.", rich_help_panel=FETCH_PANEL)]
IMPORT_COLUMNS = (Col("item", "SOURCE"), Col("status"), Col("id"), Col("name"), Col("message"))


@app.command("import", epilog="Examples:\n\n  eclictl eggs import paper.json\n\n"
             "  eclictl eggs import eggs/ --yes -o json\n\n"
             "  eclictl eggs import https://mirror.ci.internal/eggs/paper.json")
@command()
def import_eggs(
    sources: Annotated[list[str], typer.Argument(metavar="PATH|URL...", help="Egg files, directories, or "
                                                 "http(s) URLs (downloaded by eclictl, not by the panel).")],
    yes: YesOpt = False,
    fetch_timeout: FetchTimeoutOpt = 30.0,
    max_size: MaxSizeOpt = DEFAULT_MAX_SIZE,
) -> Any:
    """Import egg files as new eggs (lint first; the panel never updates: see `eggs apply`)."""
    from eclictl.bulk import BulkRunner
    from eclictl.eggs_lib.lint import panel_duplicate_findings
    from eclictl.eggs_lib.mapping import map_import

    ctx = _ctx()
    results = load_sources(ctx, sources, urls=True, timeout=fetch_timeout, max_size=max_size)
    rows = fetch_rows(ctx)
    dups = panel_duplicate_findings(results, rows)
    for finding in dups:
        ctx.warn(f"{finding.file}: {finding.message}")
    if dups:
        ctx.confirm(f"{len(dups)} egg(s) already exist; import anyway and create duplicates?", yes=yes,
                    what="import eggs that already exist (duplicates)")
    by_source = {r.file: r.doc for r in results}
    known = {r.get("id") for r in rows}
    extra: dict[str, dict[str, Any]] = {}

    def one(source: str) -> Any:
        name = map_import(by_source[source])["name"]
        extra[source] = {"id": None, "name": name}
        row = _import_one(ctx, by_source[source], known, name)
        extra[source]["id"] = row.get("id")
        return _keep_stated_empties(ctx, by_source[source], row)

    report = BulkRunner(ctx, concurrency=1).run("import eggs", list(by_source), one)
    created = [e["id"] for e in extra.values() if e.get("id") is not None]
    _report(ctx, report, extra, IMPORT_COLUMNS, {"ids": created})
    return None


# -- diff / apply -----------------------------------------------------------------------------
PLAN_COLUMNS = (Col("file", max_width=40), Col("id", "EGG"), Col("action"), Col("path", "FIELD", max_width=40),
                Col("panel", max_width=40), Col("wanted", "FILE VALUE", max_width=40))
PruneOpt = Annotated[bool, typer.Option("--prune", help="Also delete panel eggs that no file describes.",
                                        rich_help_panel=SAFETY_PANEL)]


EggPathsArg = Annotated[list[str], typer.Argument(metavar="PATH...", help="Egg files or directories.")]


@app.command("diff", epilog="Examples:\n\n  eclictl eggs diff eggs/\n\n  eclictl eggs diff paper.json -o json\n\n"
             "  eclictl eggs diff eggs/ >/dev/null || echo 'eggs drifted'")
@command()
def diff(
    paths: EggPathsArg,
    prune: PruneOpt = False,
) -> Any:
    """Show what `eggs apply` would change, field by field; exit 0 none, 1 changes pending."""
    from eclictl.errors import QuietExit

    ctx = _ctx()
    _, entries = _plan(ctx, paths, prune)
    redact = "pii" in ctx.redact_categories()
    counts = _counts(entries)
    pending = counts["create"] + counts["update"] + counts["delete"]
    summary = {"pending": pending, **counts, "eggs": _plan_json(entries, redact)}
    rows = _plan_rows(entries, redact)
    if rows:
        ctx.emit(_view(rows, columns=PLAN_COLUMNS, json_data=summary))
    elif ctx.output_format == "json":
        ctx.emit(_view([], json_data=summary))
    errors = [e for e in entries if e["action"] == "error"]
    for e in errors:
        ctx.info(f"error: {e['file']}: {e['message']}")
    if errors:
        raise RejectedError(f"{len(errors)} file(s) cannot be matched to one panel egg")
    if pending:
        raise QuietExit(1)
    ctx.info(f"no changes: the panel matches {counts['unchanged']} egg file(s)")
    return None


@app.command("apply", epilog="Examples:\n\n  eclictl eggs apply eggs/ --dry-run\n\n  eclictl eggs apply eggs/\n\n"
             "  eclictl eggs apply eggs/ --prune --yes --max-affected 5")
@command()
def apply(
    paths: EggPathsArg,
    dry_run: DryRunOpt = False,
    prune: PruneOpt = False,
    yes: YesOpt = False,
    max_affected: Annotated[Optional[int], typer.Option(
        "--max-affected", min=0, metavar="N", help="Refuse (exit 7, nothing changed) when more than N existing "
        "eggs would be updated or deleted. Default: no limit, or 10 with --prune.", rich_help_panel=SAFETY_PANEL,
        show_default=False)] = None,
) -> Any:
    """Make the panel match the files: import missing eggs, update changed ones, verify (idempotent)."""
    ctx = _ctx()
    results, entries = _plan(ctx, paths, prune)
    counts = _counts(entries)
    affected = counts["update"] + counts["delete"]
    limit = max_affected if max_affected is not None else (10 if prune else None)
    if limit is not None and affected > limit:
        raise RejectedError(f"{affected} existing egg(s) would be updated or deleted, more than --max-affected "
                            f"{limit}: nothing was changed", hint="review with `eclictl eggs diff`, then raise "
                            "--max-affected")
    redact = "pii" in ctx.redact_categories()
    if dry_run:
        summary = {"dry_run": True, **counts, "eggs": _plan_json(entries, redact)}
        return _view(_plan_rows(entries, redact), columns=PLAN_COLUMNS, json_data=summary, empty="no changes")
    deletes = [e for e in entries if e["action"] == "delete"]
    if deletes:
        names = ", ".join(f"{e['id']} ({e['name']})" for e in deletes[:10])
        ctx.confirm(f"Delete {len(deletes)} egg(s) that no file describes: {names}?", yes=yes, what="prune eggs")
    _execute(ctx, results, entries)
    return None


# -- edit / delete / sync ---------------------------------------------------------------------
_STRINGS = ("name", "dockerImage", "startup")
_TEXT_OR_NULL = ("description", "author", "updateUrl")
_BOOLS = ("visible", "rootless", "requiresKvm")
_OBJECTS = ("dockerImages", "configFiles", "processConfig", "installScript")
_LISTS = ("features", "fileDenylist", "allowedPortals")
PORTALS = ("free", "paid", "enterprise", "educational")


def check_edit(field: str, value: Any) -> Any:
    """Validate one `--set` value the way the panel should have (it stores anything)."""
    from eclictl.eggs_lib.mapping import PUTTABLE

    if field not in PUTTABLE:
        raise UsageError(f"unknown egg field '{field}'", hint=f"editable: {', '.join(PUTTABLE)}")
    if field in _STRINGS:
        if value is None or not str(value).strip():
            raise UsageError(f"{field} cannot be empty")
        return str(value)
    if field in _TEXT_OR_NULL:
        return None if value is None else str(value)
    if field in _BOOLS:
        if not isinstance(value, bool):
            raise UsageError(f"{field} must be true or false, got {value!r}")
        return value
    if field == "envVars":
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise UsageError("envVars must be a JSON array of variable objects")
        return value
    if field in _OBJECTS:
        if value is not None and not isinstance(value, dict):
            raise UsageError(f"{field} must be a JSON object or null")
        return value
    if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
        raise UsageError(f"{field} must be a JSON array of strings or null, e.g. {field}='[\"eula\"]'")
    if field == "allowedPortals" and value and any(v not in PORTALS for v in value):
        raise UsageError(f"allowedPortals entries must be among {', '.join(PORTALS)}")
    return value


@app.command("edit", epilog="Examples:\n\n  eclictl eggs edit 4 --set requiresKvm=true\n\n"
             "  eclictl eggs edit Paper --set visible=false --set 'allowedPortals=[\"paid\"]'\n\n"
             "  eclictl eggs edit 4 --set startup='./run.sh' --dry-run")
@command()
def edit(
    ref: EggArg,
    sets: Annotated[list[str], typer.Option("--set", metavar="FIELD=VALUE", help="A field to change (JSON values "
                                            "for arrays/objects); repeatable.", rich_help_panel="Fields")],
    dry_run: DryRunOpt = False,
) -> Any:
    """Edit egg fields (PUT), then re-read and show the egg. Servers using it are re-synced by the panel."""
    from eclictl.eggs_lib.mapping import field_changes
    from eclictl.options import parse_assignments

    ctx = _ctx()
    values = {k: check_edit(k, v) for k, v in parse_assignments(sets).items()}
    row = find(fetch_rows(ctx), ref)
    put, leaves = field_changes(values, row)
    if dry_run or not put:
        if not put:
            ctx.info(f"egg {row.get('id')}: nothing to change")
        redact = "pii" in ctx.redact_categories()
        return _view([{"id": row.get("id"), **(_mask_change(c) if redact else c)} for c in leaves],
                     columns=(Col("id", "EGG"), Col("field"), Col("path"), Col("panel"), Col("wanted")),
                     empty="no changes")
    call(ctx, "PUT", f"{PATH}/{row.get('id')}", json_body=put)
    after = find(fetch_rows(ctx), str(row.get("id")))
    left, _ = field_changes(put, after)
    if left:
        raise RejectedError(f"egg {row.get('id')}: the panel did not store {', '.join(sorted(left))}")
    return _view(display(after), detail=True)


@app.command("delete", epilog="Examples:\n\n  eclictl eggs delete 6 --yes\n\n"
             "  eclictl eggs list --name-contains old -o ids | eclictl eggs delete - --yes")
@command()
def delete(
    refs: Annotated[list[str], typer.Argument(metavar="EGG...", help="Egg ids or exact names; '-' reads stdin.")],
    yes: YesOpt = False,
    dry_run: DryRunOpt = False,
) -> Any:
    """Delete eggs one by one (servers using them keep their own image; never the panel's delete-all)."""
    from eclictl.bulk import BulkRunner, finish

    ctx = _ctx()
    items = ctx.read_ids(refs)
    rows = fetch_rows(ctx)
    if dry_run:
        return _view([{"item": i, "action": "delete"} for i in items], id_field="item")
    ctx.confirm(f"Delete {len(items)} egg(s): {', '.join(items[:10])}?", yes=yes, what="delete eggs")

    def one(ref: str) -> Any:
        row = find(rows, ref)
        call(ctx, "DELETE", f"{PATH}/{row.get('id')}")
        return ("done", f"deleted egg {row.get('id')} ({row.get('name')})")

    finish(ctx, BulkRunner(ctx, concurrency=1).run("delete eggs", items, one))
    return None


SYNC_COLUMNS = (Col("uuid"), Col("status"), Col("error"))


@app.command("sync", epilog="The panel runs the sync synchronously, one server after another (up to 10 s per "
             "unreachable node), and reports each server as synced, skipped_opt_out, node_service_unavailable "
             "(its node is gone) or error.\n\nExamples:\n\n  eclictl eggs sync Paper\n\n  eclictl eggs sync 4 --respect-opt-out -o json")
@command(writes=True)
def sync(
    ref: EggArg,
    respect_opt_out: Annotated[bool, typer.Option("--respect-opt-out", help="Skip servers that opted out of egg "
                                                  "auto-sync (by default the panel syncs them too).")] = False,
    wait: Annotated[float, typer.Option("--wait", min=1, metavar="SECONDS", help="How long to wait: the panel "
                                        "syncs each server in turn, up to 10 s per offline node.",
                                        rich_help_panel="Connection")] = 600.0,
) -> Any:
    """Push the egg to every server using it now (each node re-reads the config); exit 8 on failures."""
    from eclictl.errors import PartialFailure

    ctx = _ctx()
    row = find(fetch_rows(ctx), ref)
    body = call(ctx, "POST", f"{PATH}/{row.get('id')}/sync", json_body={"respectOptOut": respect_opt_out},
                timeout=wait).data or {}
    results = [r for r in body.get("results") or [] if isinstance(r, dict)]
    ctx.emit(_view(results, columns=SYNC_COLUMNS, id_field="uuid", json_data=body,
                   empty=f"no servers use egg {row.get('id')}"))
    bad = [r for r in results if r.get("status") in ("error", "node_service_unavailable")]
    ctx.info(f"egg {row.get('id')}: {len(results) - len(bad)} of {body.get('total', len(results))} server(s) "
             "synced or skipped")
    if bad:
        raise PartialFailure(f"sync egg {row.get('id')}: {len(bad)} server(s) failed")
    return None
