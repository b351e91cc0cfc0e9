"""Eggs as code: exporting, loading and linting egg files, and planning/applying them (`eclictl eggs`)."""

from __future__ import annotations

from typing import Any

from eclictl.errors import RejectedError, UsageError
from eclictl.output.columns import Col
from eclictl.sections._eggs_api import DEFAULT_MAX_SIZE, PATH, SECRET_VAR, _mask_vars, _view, call, fetch_rows


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


FINDING_COLUMNS = (Col("file", max_width=48), Col("path", max_width=32), Col("level"), Col("code"), Col("message"))


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


APPLY_COLUMNS = (Col("item", max_width=32), Col("action"), Col("id", "EGG"), Col("status"),
                 Col("fields", max_width=40), Col("message"))
