"""Export Jobs tab: `/api/admin/export-jobs*` (docs/panel/accounts.md#export-jobs).

Job ids are UUID strings. Every job listing carries a public `shareToken`: the client strips it
from every answer; only `share-link` shows a share URL, because that is what it is for.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Callable, Mapping, Optional

import typer

from eclictl.api.pagination import PageSpec
from eclictl.errors import UsageError
from eclictl.options import ForceOpt, LegacyFileOpt, command
from eclictl.output.columns import Col
from eclictl.sections._fields import Bulk, add_writes
from eclictl.sections._spec import FILTER_PANEL, Section, build, list_view

PATH = "/api/admin/export-jobs"
STATUSES = ("requested", "queued", "running", "completed", "failed")
FILE_PANEL = "File"

EXPORT_JOBS = Section(
    name="export-jobs",
    help="Export jobs: list, show, approve, download, share links, delete (GDPR data exports).",
    path=PATH,
    pages=PageSpec(items_key="jobs"),
    columns=(
        Col("id", max_width=36), Col("userId", "USER"), Col("adminId", "ADMIN"), Col("status"),
        Col("progress", "PROGRESS", fmt=lambda v: f"{v}%"), Col("message", max_width=40),
        Col("shareDownloadsRemaining", "DOWNLOADS"), Col("createdAt", "CREATED"),
    ),
    id_type=str,
    name_fields=(),
    show_path=PATH + "/{id}",
    show_key="job",
    delete_path=PATH + "/{id}",
    permission="admin:export-jobs",
    tab="export-jobs",
    verbs=("show", "delete"),
    examples=(
        "eclictl export-jobs list --status requested",
        "eclictl export-jobs list -o json | jq '.[].id'",
        "eclictl export-jobs show 6f1c2d3e-0000-4000-8000-000000000001",
        "eclictl export-jobs delete 6f1c2d3e-0000-4000-8000-000000000001 --yes",
        "eclictl export-jobs list --status failed -o ids | eclictl export-jobs delete - --yes",
    ),
)

app = build(EXPORT_JOBS)


def _job_path(job_id: str, suffix: str = "") -> str:
    from urllib.parse import quote

    return f"{PATH}/{quote(job_id, safe='')}{suffix}"


@app.command("list", epilog="Examples:\n\n  eclictl export-jobs list\n\n"
             "  eclictl export-jobs list --status requested -o ids\n\n"
             "  eclictl export-jobs list --limit 500 -o json --redact")
@command()
def list_jobs(
    status: Annotated[Optional[str], typer.Option(
        "--status", help=f"Only jobs in this state ({', '.join(STATUSES)}).", rich_help_panel=FILTER_PANEL,
        show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Newest N jobs (the panel allows 1-500).",
                                       min=1, max=500)] = 100,
    web: Annotated[bool, typer.Option("--web", help="Open this tab of the web portal instead.")] = False,
) -> Any:
    """List export jobs, newest first (the panel has no paging: at most 500)."""
    from eclictl.context import current

    ctx = current()
    if web:
        from eclictl.weblinks import open_tab

        return open_tab(ctx, "export-jobs")
    body = ctx.api.get(PATH, {"limit": limit, "status": status})
    from eclictl.api.pagination import extract_items

    jobs = extract_items(body, "jobs", f"GET {PATH}")
    meta = body.get("meta") if isinstance(body, dict) else None
    if isinstance(meta, dict) and ctx.io.stderr_tty:
        ctx.info(f"runner: every minute ({meta.get('runnerCron', '?')}), one queued job per run; "
                 f"next run {meta.get('nextRunAt') or '?'}, last run {meta.get('lastRunAt') or 'never'}")
    return list_view(EXPORT_JOBS, jobs)


add_writes(app, replace(EXPORT_JOBS, writes=(
    Bulk("approve", "Approve user-requested export jobs (status `requested` -> `queued`).",
         "Examples:\n\n  eclictl export-jobs approve 6f1c2d3e-0000-4000-8000-000000000001\n\n"
         "  eclictl export-jobs list --status requested -o ids | eclictl export-jobs approve -",
         "approve export jobs", "ID...", "Job ids; '-' reads stdin.",
         lambda ctx, job_id: ctx.api.post(_job_path(job_id, "/approve")), yes=False, dry_action="approve"),
)))


@app.command("share-link", epilog="Examples:\n\n  eclictl export-jobs share-link 6f1c2d3e-0000-4000-8000-000000000001\n\n"
             "  eclictl export-jobs share-link 6f1c2d3e-0000-4000-8000-000000000001 --expires-hours 72 -o json")
@command(writes=True)
def share_link(
    job_id: Annotated[str, typer.Argument(metavar="ID", help="The job's id (UUID).")],
    expires_hours: Annotated[int, typer.Option("--expires-hours", help="Link lifetime in hours (1-720).",
                                               min=1, max=720)] = 24,
) -> Any:
    """Create a one-download public share URL (replaces any earlier link of the job)."""
    from eclictl.context import current

    ctx = current()
    body = ctx.api.post(_job_path(job_id, "/share-link"), {"expiresHours": expires_hours}) or {}
    ctx.info("anyone holding this URL can download the archive once, without logging in")
    return {"id": job_id, "shareUrl": body.get("shareUrl"), "sharePath": body.get("sharePath"),
            "expiresAt": body.get("expiresAt"), "downloadsRemaining": body.get("downloadsRemaining")}


@app.command("download", epilog="Examples:\n\n  eclictl export-jobs download 6f1c2d3e-0000-4000-8000-000000000001\n\n"
             "  eclictl export-jobs download 6f1c2d3e-0000-4000-8000-000000000001 --file /secure/u42.tar.gz")
@command()
def download(
    job_id: Annotated[str, typer.Argument(metavar="ID", help="A completed job's id (UUID).")],
    file: Annotated[Optional[Path], typer.Option("--file", "-f", help="Write here, 0600 (default: the panel's "
                                                 "file name, export-<userId>.tar.gz).", rich_help_panel=FILE_PANEL,
                                                 show_default=False)] = None,
    force: ForceOpt = False,
    legacy_file: LegacyFileOpt = None,
) -> Any:
    """Download a completed job's archive (.tar.gz) to a file, with a progress bar on a terminal."""
    from eclictl.context import current

    ctx = current()
    saved = download_to_file(ctx, _job_path(job_id, "/download"), dest=file, legacy=legacy_file,
                             force=force, default_name=f"export-{job_id}.tar.gz")
    return {"id": job_id, **saved}


# -- the streaming download helper (also used by `logs export`) ------------------------------

def download_to_file(ctx: Any, path: str, *, dest: Path | None, force: bool, default_name: str,
                     legacy: str | None = None, params: Mapping[str, Any] | None = None,
                     on_headers: Callable[[Mapping[str, str]], None] | None = None) -> dict[str, Any]:
    """Stream `path` into a 0600 temporary file beside the target, then move it into place.

    The file name comes from `dest` (or `legacy`, the hidden `-O FILE`), else the panel's
    Content-Disposition, else `default_name`; `params` left None are not sent.
    A partial file never survives an error; an existing file is kept unless `force`
    (eclictl/files.py: exports hold personal data).
    """
    from eclictl.files import PrivateFile

    dest = dest or (Path(legacy) if legacy else None)
    params = {k: v for k, v in params.items() if v is not None} if params else None

    directory = dest.parent if dest is not None else Path.cwd()
    if dest is not None and dest.is_dir():
        directory, dest = dest, None
    if dest is not None and dest.exists() and not force:
        raise UsageError(f"{dest} exists", hint="pass --force to overwrite, or --file to choose another name")
    if not directory.is_dir():
        raise UsageError(f"directory {directory} does not exist")
    progress = download_progress(ctx, Path(default_name).name)
    try:
        with PrivateFile(directory, binary=True, suffix=".part") as part:
            size, disposition = ctx.api.download(path, part.handle, params=params,
                                                 on_progress=progress.update if progress else None,
                                                 on_headers=on_headers)
            target = dest or directory / _safe_name(disposition or default_name)
            if target.exists() and not force:
                raise UsageError(f"{target} exists", hint="pass --force to overwrite, or --file to choose another "
                                 "name")
            part.commit(target)
    finally:
        if progress:
            progress.close()
    return {"file": str(target), "bytes": size}


def _safe_name(name: str) -> str:
    """Never let a Content-Disposition name escape the chosen directory."""
    base = Path(name.replace("\\", "/")).name.strip()
    return base if base and base not in (".", "..") else "download.bin"


class _Bar:
    def __init__(self, ctx: Any, label: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                 TransferSpeedColumn(), console=Console(file=ctx.io.stderr), transient=True)
        self.task = self.progress.add_task(label, total=None)
        self.progress.start()

    def update(self, done: int, total: int | None) -> None:
        self.progress.update(self.task, completed=done, total=total)

    def close(self) -> None:
        self.progress.stop()


def download_progress(ctx: Any, label: str) -> _Bar | None:
    """A byte-count progress bar on a terminal (None on a pipe); shared by every download verb."""
    return _Bar(ctx, label) if ctx.io.stderr_tty else None
