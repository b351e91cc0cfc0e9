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

import re
from typing import Annotated, Any, Optional

import typer

from eclictl.errors import NotFoundError, RejectedError, UsageError
from eclictl.options import SAFETY_PANEL, DryRunOpt, YesOpt, command
from eclictl.output.columns import Col
from eclictl.sections._spec import Section, build

PATH = "/api/admin/eggs"
FILES_PANEL = "Files"
FETCH_PANEL = "Download"
FILTER_PANEL = "Filters"
#: Egg documents are templates, not panel secrets: keep config keys such as `token` intact
#: (the client strips keys by name), or diff/apply would see changes that are not there.
KEEP = frozenset({"apiKey", "token", "tokenId", "tempToken", "csrfToken", "clientSecret", "secret",
                  "daemonToken", "key"})
SECRET_VAR = re.compile(r"PASSWORD|SECRET|TOKEN|KEY", re.I)
DEFAULT_MAX_SIZE = 5 * 1024 * 1024

EGGS = Section(
    name="eggs",
    help="Eggs (server templates): list, show, export, lint, import, diff, apply, edit, sync, delete.",
    path=PATH,
    columns=(Col("id"), Col("name", max_width=40), Col("dockerImage", "IMAGE", max_width=48), Col("author"),
             Col("visible"), Col("requiresKvm", "KVM"), Col("rootless"), Col("updatedAt", "UPDATED")),
    permission="eggs:read",
    sensitive={"author": "pii"},
    verbs=(),
    examples=("eclictl eggs list --hidden", "eclictl eggs lint eggs/", "eclictl eggs apply eggs/ --dry-run"),
)
app = build(EGGS)


def _ctx() -> Any:
    from eclictl.context import current

    return current()


# -- reading the panel ------------------------------------------------------------------------
def _translate(exc: Any) -> Exception:
    """docs/panel/eggs.md#gate: a denied caller gets 422 `Request error` (list, bulk delete) or an empty 401/403."""
    from eclictl.api.errors import ApiPermissionError

    empty = not exc.body
    if exc.status == 422 and exc.method in ("GET", "DELETE") and exc.path.rstrip("/") == PATH:
        why = "the panel answered 422 Request error, which is how it denies GET /api/admin/eggs"
    elif exc.status in (401, 403) and empty:
        why = f"the panel answered HTTP {exc.status} with an empty body"
    else:
        return exc
    return ApiPermissionError(f"permission denied: {why}", status=exc.status, method=exc.method, path=exc.path,
                              body=exc.body, hint="egg routes need the eggs:read permission (or an admin-type "
                              "API key; a client key works only when its owner is root)")


def call(ctx: Any, method: str, path: str, **kw: Any) -> Any:
    """One egg request with the panel's odd denials mapped to exit 5; returns the ApiResponse."""
    from eclictl.api.errors import ApiStatusError

    try:
        return ctx.api.request(method, path, keep=KEEP, **kw)
    except ApiStatusError as exc:
        raise _translate(exc) from None


def fetch_rows(ctx: Any) -> list[dict[str, Any]]:
    """Every egg as GET /api/admin/eggs returns it (the only JSON source of egg details)."""
    data = call(ctx, "GET", PATH).data
    return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []


def display(row: dict[str, Any]) -> dict[str, Any]:
    """A row for output: 0/1 columns as booleans; secret-looking variable defaults masked on --redact."""
    from eclictl.eggs_lib.mapping import normalise_row

    out = normalise_row(row)
    if "pii" in _ctx().redact_categories():
        out["envVars"] = _mask_vars(out.get("envVars"))
    return out


def _mask_vars(items: Any, key: str = "default_value") -> Any:
    """docs/panel/eggs.md#the-upstream-sample-egg: defaults of PASSWORD/SECRET/TOKEN/KEY variables are credential-like."""
    from eclictl.output.redact import MASK

    if not isinstance(items, list):
        return items
    out = []
    for item in items:
        if isinstance(item, dict) and SECRET_VAR.search(str(item.get("env_variable") or item.get("name") or "")) \
                and item.get(key) not in (None, ""):
            item = {**item, key: MASK}
        out.append(item)
    return out


def find(rows: list[dict[str, Any]], ref: str) -> dict[str, Any]:
    """An egg by id or exact name; a name used by several eggs is exit 7 naming them."""
    text = str(ref).strip()
    if text.isdigit():
        for row in rows:
            if str(row.get("id")) == text:
                return row
    matches = [r for r in rows if r.get("name") == text]
    if len(matches) == 1:
        return matches[0]
    if matches:
        ids = ", ".join(str(r.get("id")) for r in matches)
        raise RejectedError(f"'{text}' matches several eggs: {ids}", hint="use the id")
    raise NotFoundError(f"no egg '{text}'", hint="list them with `eclictl eggs list`")


def _view(rows: Any, **kw: Any) -> Any:
    from eclictl.output.render import View

    return View(rows, sensitive=EGGS.sensitive, **kw)


# -- list / show ------------------------------------------------------------------------------
@app.command("list", epilog="Examples:\n\n  eclictl eggs list\n\n  eclictl eggs list --hidden\n\n"
             "  eclictl eggs list --name-contains minecraft -o json")
@command()
def list_eggs(
    visible: Annotated[Optional[bool], typer.Option("--visible/--hidden", help="Only eggs users can see, or only "
                                                    "hidden ones.", rich_help_panel=FILTER_PANEL,
                                                    show_default=False)] = None,
    name_contains: Annotated[Optional[str], typer.Option("--name-contains", metavar="TEXT", help="Only eggs whose "
                                                         "name contains TEXT (case-insensitive).",
                                                         rich_help_panel=FILTER_PANEL, show_default=False)] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", "-n", min=1, help="Show at most N eggs.",
                                                 show_default=False)] = None,
) -> Any:
    """List every egg, sorted by name (the panel has no paging or filters; these filter locally)."""
    ctx = _ctx()
    rows = [display(r) for r in fetch_rows(ctx)]
    if visible is not None:
        rows = [r for r in rows if bool(r.get("visible")) == visible]
    if name_contains:
        rows = [r for r in rows if name_contains.lower() in str(r.get("name") or "").lower()]
    return _view(rows[:limit] if limit else rows, columns=EGGS.columns, empty="no eggs found")


@app.command("show", epilog="Examples:\n\n  eclictl eggs show 4\n\n  eclictl eggs show Paper -o json")
@command()
def show(ref: Annotated[str, typer.Argument(metavar="EGG", help="Egg id or exact name.")]) -> Any:
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


def _document(doc: Any) -> str:
    from eclictl.output.render import dumps

    return dumps(doc) + "\n"


def _print_document(ctx: Any, doc: dict[str, Any]) -> Any:
    """The document on stdout: as is into a pipe or file (it round-trips through `apply`); on a
    terminal, or in another -o format, it is shown like any output (masked in privacy mode)."""
    if ctx.output in (None, "json") and not ctx.io.stdout_tty:
        from eclictl.files import note_exports_unmasked

        ctx.io.stdout.write(_document(doc))
        note_exports_unmasked(ctx)
        return None
    ctx.output = ctx.output or "json"
    if "pii" in ctx.redact_categories():
        doc = {**doc, "variables": _mask_vars(doc.get("variables"))}
    return _view(doc, detail=True)


def _export_doc(ctx: Any, row: dict[str, Any]) -> Any:
    """The panel's export document, untouched: it is written back by `apply`, so never masked."""
    from eclictl.eggs_lib.mapping import keep_empties

    doc = call(ctx, "GET", f"{PATH}/{row.get('id')}/export").data
    if not isinstance(doc, dict):
        raise RejectedError(f"egg {row.get('id')}: the panel's export was not JSON")
    # The panel leaves out an empty configFiles {} / fileDenylist [] / features [], and its importer
    # stores what is missing as null: write them out so export -> import gives the same egg.
    doc = keep_empties(doc, row)
    return doc


def _write_dir(directory: str, docs: list[tuple[dict[str, Any], Any]]) -> list[dict[str, Any]]:
    import os

    from eclictl.eggs_lib.mapping import safe_filename
    from eclictl.files import make_private_dir, write_private

    make_private_dir(directory)
    names = [safe_filename(row.get("name"), f"egg-{row.get('id')}") for row, _ in docs]
    out = []
    for (row, doc), name in zip(docs, names):
        if names.count(name) > 1:  # several eggs share a name: keep every file
            name = f"{name[:-5]}-{row.get('id')}.json"
        path = os.path.join(directory, name)
        write_private(path, _document(doc))
        out.append({"id": row.get("id"), "name": row.get("name"), "file": path})
    return out


# -- loading and linting files ----------------------------------------------------------------
FINDING_COLUMNS = (Col("file", max_width=48), Col("path", max_width=32), Col("level"), Col("code"), Col("message"))
StrictOpt = Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.", rich_help_panel=SAFETY_PANEL)]


def _lint_summary(results: list[Any], strict: bool) -> dict[str, Any]:
    findings = [f.row() for r in results for f in r.findings]
    errors = sum(r.errors for r in results)
    return {"ok": errors == 0, "strict": strict, "files": len(results), "errors": errors,
            "warnings": sum(r.warnings for r in results), "results": [r.summary() for r in results],
            "findings": findings}


def _collect(paths: list[str]) -> list[str]:
    from eclictl.eggs_lib.lint import collect_files

    try:
        files = collect_files(paths)
    except FileNotFoundError as exc:
        raise UsageError(f"no such file or directory: {exc.args[0]}") from None
    if not files:
        raise UsageError(f"no *.json egg files under {', '.join(paths)}")
    return files


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


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def download(url: str, *, timeout: float, max_size: int) -> str:
    """Fetch an egg document ourselves (private CI mirrors the panel cannot reach), capped in size."""
    import httpx

    from eclictl import __version__
    from eclictl.api.errors import ApiConnectionError, ApiTimeoutError

    chunks: list[bytes] = []
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=5,
                          headers={"User-Agent": f"eclictl/{__version__}", "Accept": "application/json"}) as client:
            with client.stream("GET", url) as resp:
                if resp.status_code >= 400:
                    raise UsageError(f"cannot fetch {url}: HTTP {resp.status_code}")
                declared = resp.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_size:
                    raise UsageError(f"{url} is {declared} bytes, over the {max_size}-byte cap (--max-size)")
                total = 0
                for chunk in resp.iter_bytes():
                    total += len(chunk)
                    if total > max_size:
                        raise UsageError(f"{url} is over the {max_size}-byte cap (--max-size)")
                    chunks.append(chunk)
    except httpx.TimeoutException:
        raise ApiTimeoutError(f"fetching {url} timed out after {timeout:g} s",
                              hint="raise --fetch-timeout") from None
    except httpx.HTTPError as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ApiConnectionError(f"cannot fetch {url}: {detail}") from None
    try:
        return b"".join(chunks).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{url} is not UTF-8 text") from None


def load_sources(ctx: Any, sources: list[str], *, urls: bool = False, timeout: float = 30.0,
                 max_size: int = DEFAULT_MAX_SIZE) -> list[Any]:
    """Read and lint every source; any error refuses the run before a single request to the panel."""
    from eclictl.eggs_lib.lint import cross_file_findings, lint_file, lint_text

    results = []
    for source in sources:
        if urls and _is_url(source):
            results.append(lint_text(download(source, timeout=timeout, max_size=max_size), source))
        else:
            results.extend(lint_file(f) for f in _collect([source]))
    seen: set[str] = set()
    results = [r for r in results if not (r.file in seen or seen.add(r.file))]
    for finding in cross_file_findings(results):
        next(r for r in results if r.file == finding.file).findings.append(finding)
    errors = [f for r in results for f in r.findings if f.level == "error"]
    if not errors:
        from eclictl.output.redact import refuse_masked_file

        for r in results:
            refuse_masked_file(r.doc, r.file)  # a file made in privacy mode must not overwrite real values
    for f in (f for r in results for f in r.findings if f.level == "warning"):
        ctx.warn(f"{f.file}: {f.path}: {f.message}")
    if errors:
        for f in errors:
            ctx.info(f"error: {f.file}: {f.path}: {f.message}")
        raise RejectedError(f"{len(errors)} lint error(s): nothing was sent to the panel",
                            hint="see `eclictl eggs lint` for the full report")
    return results


# -- import -----------------------------------------------------------------------------------
FetchTimeoutOpt = Annotated[float, typer.Option("--fetch-timeout", min=0.1, metavar="SECONDS",
                                                help="Timeout for downloading a URL.", rich_help_panel=FETCH_PANEL)]
MaxSizeOpt = Annotated[int, typer.Option("--max-size", min=1, metavar="BYTES", help="Refuse downloads larger "
                                         "than this.", rich_help_panel=FETCH_PANEL)]
IMPORT_COLUMNS = (Col("item", "SOURCE"), Col("status"), Col("id"), Col("name"), Col("message"))


def _report(ctx: Any, report: Any, extra: dict[str, dict[str, Any]], columns: Any,
            summary_extra: dict[str, Any]) -> None:
    """Emit a bulk report with extra per-item fields, then exit like bulk.finish (8 / 130)."""
    from eclictl.bulk import FAILED
    from eclictl.errors import Interrupted, PartialFailure

    summary = report.summary()
    for row in summary["items"]:
        row.update(extra.get(row["item"], {}))
    summary.update(summary_extra)
    ctx.emit(_view(summary["items"], columns=columns, id_field="id", json_data=summary))
    failed = [r for r in report.results if r.status == FAILED]
    if report.interrupted:
        raise Interrupted(f"{report.action} interrupted")
    if failed:
        raise PartialFailure(f"{report.action}: {len(failed)} of {len(report.results)} item(s) failed "
                             f"({', '.join(r.item for r in failed[:10])})")


def _import_one(ctx: Any, doc: Any, known: set[Any], name: Any) -> dict[str, Any]:
    """POST the document, then find the new row by comparing ids (the panel answers `[object Object]`)."""
    call(ctx, "POST", f"{PATH}/import", json_body={"json": doc})
    rows = fetch_rows(ctx)
    new = [r for r in rows if r.get("id") not in known]
    known.update(r.get("id") for r in new)
    mine = [r for r in new if r.get("name") == name] or new
    if not mine:
        raise RejectedError("the panel answered 201 but no new egg appeared in the list")
    if len(mine) > 1:
        ctx.warn(f"several eggs appeared meanwhile ({', '.join(str(r.get('id')) for r in mine)}); "
                 "taking the newest")
    return max(mine, key=lambda r: r.get("id") or 0)


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


def _plan(ctx: Any, paths: list[str], prune: bool) -> tuple[list[Any], list[dict[str, Any]]]:
    from eclictl.eggs_lib.mapping import desired_state, plan

    results = load_sources(ctx, paths)
    wanted = [(r.file, desired_state(r.doc)) for r in results]
    return results, plan(wanted, fetch_rows(ctx), prune=prune)


def _mask_change(change: dict[str, Any]) -> dict[str, Any]:
    path = str(change.get("path", ""))
    if path.startswith("envVars[") and path.endswith(".default_value") and SECRET_VAR.search(path):
        return {**change, "panel": "•••" if change.get("panel") else change.get("panel"),
                "wanted": "•••" if change.get("wanted") else change.get("wanted")}
    if path.startswith("envVars") and isinstance(change.get("wanted"), (list, dict)):
        return {**change, "panel": _mask_vars(change.get("panel")), "wanted": _mask_vars(change.get("wanted"))}
    return change


def _plan_rows(entries: list[dict[str, Any]], redact: bool) -> list[dict[str, Any]]:
    rows = []
    for e in entries:
        base = {"file": e["file"], "id": e["id"], "name": e["name"], "action": e["action"]}
        if e["action"] == "update":
            for change in e["changes"]:
                change = _mask_change(change) if redact else change
                rows.append({**base, "path": change["path"], "panel": change["panel"], "wanted": change["wanted"]})
        elif e["action"] in ("create", "delete", "error"):
            rows.append({**base, "path": "", "panel": None, "wanted": e["message"] or None})
    return rows


def _plan_json(entries: list[dict[str, Any]], redact: bool) -> list[dict[str, Any]]:
    return [{"file": e["file"], "id": e["id"], "name": e["name"], "action": e["action"],
             "fields": sorted(e["put"]), "changes": [_mask_change(c) if redact else c for c in e["changes"]],
             "message": e["message"]} for e in entries]


def _counts(entries: list[dict[str, Any]]) -> dict[str, int]:
    keys = ("create", "update", "unchanged", "delete", "error")
    return {k: sum(1 for e in entries if e["action"] == k) for k in keys}


@app.command("diff", epilog="Examples:\n\n  eclictl eggs diff eggs/\n\n  eclictl eggs diff paper.json -o json\n\n"
             "  eclictl eggs diff eggs/ >/dev/null || echo 'eggs drifted'")
@command()
def diff(
    paths: Annotated[list[str], typer.Argument(metavar="PATH...", help="Egg files or directories.")],
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


APPLY_COLUMNS = (Col("item", max_width=32), Col("action"), Col("id", "EGG"), Col("status"),
                 Col("fields", max_width=40), Col("message"))


@app.command("apply", epilog="Examples:\n\n  eclictl eggs apply eggs/ --dry-run\n\n  eclictl eggs apply eggs/\n\n"
             "  eclictl eggs apply eggs/ --prune --yes --max-affected 5")
@command()
def apply(
    paths: Annotated[list[str], typer.Argument(metavar="PATH...", help="Egg files or directories.")],
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


def _item(entry: dict[str, Any]) -> str:
    return entry["file"] if entry["file"] is not None else f"egg {entry['id']}"


def _execute(ctx: Any, results: list[Any], entries: list[dict[str, Any]]) -> None:
    from eclictl.bulk import DONE, FAILED, BulkRunner
    from eclictl.eggs_lib.mapping import desired_state

    docs = {r.file: r.doc for r in results}
    by_item = {_item(e): e for e in entries}
    known = {e["id"] for e in entries if e["id"] is not None} | {r.get("id") for r in fetch_rows(ctx)}
    extra = {item: {"action": e["action"], "id": e["id"], "name": e["name"], "fields": sorted(e["put"])}
             for item, e in by_item.items()}

    def one(item: str) -> Any:
        entry = by_item[item]
        action = entry["action"]
        if action == "error":
            raise RejectedError(entry["message"])
        if action == "unchanged":
            return ("skipped", "unchanged")
        if action == "delete":
            call(ctx, "DELETE", f"{PATH}/{entry['id']}")
            return ("done", "deleted")
        if action == "create":
            row = _import_one(ctx, docs[item], known, entry["name"])
            entry["id"] = extra[item]["id"] = row.get("id")
            return _fix_after_import(ctx, entry, desired_state(docs[item]), row, extra[item])
        call(ctx, "PUT", f"{PATH}/{entry['id']}", json_body=entry["put"])
        return ("done", f"updated {len(entry['put'])} field(s)")

    report = BulkRunner(ctx, concurrency=1).run("apply eggs", list(by_item), one)
    _verify(ctx, report, by_item, docs, DONE, FAILED)
    tally = {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0}
    for res in report.results:
        action = by_item[res.item]["action"]
        if res.status == DONE and action in ("create", "update", "delete"):
            tally[{"create": "created", "update": "updated", "delete": "deleted"}[action]] += 1
        elif action == "unchanged":
            tally["unchanged"] += 1
    ctx.info("apply eggs: " + ", ".join(f"{v} {k}" for k, v in tally.items()))
    _report(ctx, report, extra, APPLY_COLUMNS, {"dry_run": False, **tally})


def _keep_stated_empties(ctx: Any, doc: Any, row: dict[str, Any]) -> Any:
    """The file says {} / [] where the new egg holds null: PUT them, then read the egg back to check."""
    from eclictl.eggs_lib.mapping import stated_empties
    from eclictl.writes import verify_applied

    wanted = stated_empties(doc)
    put = {k: v for k, v in wanted.items() if row.get(k) != v or type(row.get(k)) is not type(v)}
    if not put:
        return ("done", f"created egg {row.get('id')}")
    call(ctx, "PUT", f"{PATH}/{row.get('id')}", json_body=put)
    fresh = next((r for r in fetch_rows(ctx) if r.get("id") == row.get("id")), None)
    verify_applied(put, fresh, what=f"egg {row.get('id')}",
                   expect={k: (lambda v, want=v: v == want and type(v) is type(want)) for k, v in put.items()})
    return ("done", f"created egg {row.get('id')}; restored empty {', '.join(sorted(put))} with a PUT")


def _fix_after_import(ctx: Any, entry: dict[str, Any], wanted: dict[str, Any], row: dict[str, Any],
                      extra: dict[str, Any]) -> Any:
    """The importer drops what the file says in places it does not read (meta.requires_kvm...): PUT it."""
    from eclictl.eggs_lib.mapping import field_changes

    put, _ = field_changes(wanted, row)
    if not put:
        return ("done", f"created egg {row.get('id')}")
    call(ctx, "PUT", f"{PATH}/{row.get('id')}", json_body=put)
    extra["fields"] = sorted(put)
    return ("done", f"created egg {row.get('id')}; fixed {', '.join(sorted(put))} with a PUT")


def _verify(ctx: Any, report: Any, by_item: dict[str, Any], docs: dict[str, Any], done: str, failed: str) -> None:
    """Re-read once and check that every written egg now matches its file."""
    from eclictl.eggs_lib.mapping import desired_state, field_changes

    written = [r for r in report.results if r.status == done and by_item[r.item]["action"] in ("create", "update")]
    deleted = [r for r in report.results if r.status == done and by_item[r.item]["action"] == "delete"]
    if not written and not deleted:
        return
    rows = {r.get("id"): r for r in fetch_rows(ctx)}
    for res in written:
        row = rows.get(by_item[res.item]["id"])
        if row is None:
            res.status, res.message = failed, "verify: the egg is not in the list after apply"
            continue
        put, _ = field_changes(desired_state(docs[res.item]), row)
        if put:
            res.status, res.message = failed, f"verify: the panel did not store {', '.join(sorted(put))}"
    for res in deleted:
        if by_item[res.item]["id"] in rows:
            res.status, res.message = failed, "verify: the egg is still listed after delete"


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
    ref: Annotated[str, typer.Argument(metavar="EGG", help="Egg id or exact name.")],
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
    ref: Annotated[str, typer.Argument(metavar="EGG", help="Egg id or exact name.")],
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
