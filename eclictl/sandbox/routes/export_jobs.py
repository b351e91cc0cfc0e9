"""Sandbox: export jobs (docs/panel/accounts.md#export-jobs).

Jobs live in `state.export_jobs` (uuid -> row), shared with `POST /api/admin/users/:id/export-job`
(routes/users.py); archives in `state.export_archives` (uuid -> bytes). A simulated runner
processes one queued job per elapsed minute, like the panel's cron.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import uuid
from datetime import datetime, timedelta
from typing import Any

from eclictl.sandbox.router import HttpError, Raw, Request, admin, found, route
from eclictl.sandbox.state import iso, now, parse_iso, table

GATE = admin("admin:export-jobs")
RUNNER_CRON = "*/1 * * * *"


def jobs(state: Any) -> dict[str, dict[str, Any]]:
    """The one export-job table, whichever route module touches it first."""
    return table(state, "export_jobs")


def archives(state: Any) -> dict[str, bytes]:
    return table(state, "export_archives")


def _archive_bytes(job: dict[str, Any], user: dict[str, Any] | None) -> bytes:
    """A small, deterministic tar.gz like the panel's (user-export.json + servers/)."""
    import gzip
    import json

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        payload = json.dumps({"user": {k: v for k, v in (user or {}).items() if k != "passwordHash"},
                              "exportedAt": job.get("updatedAt")}, default=str).encode()
        info = tarfile.TarInfo("user-export.json")
        info.size, info.mtime = len(payload), 0
        tar.addfile(info, io.BytesIO(payload))
    return gzip.compress(raw.getvalue(), mtime=0)


def _token(job_id: str, salt: str) -> str:
    return hashlib.sha256(f"{job_id}:{salt}".encode()).hexdigest()[:48]


def _complete(state: Any, job: dict[str, Any], when: datetime) -> None:
    user = state.users.get(job.get("userId"))
    job["updatedAt"] = iso(when)
    if user is None:
        job.update(status="failed", progress=0, message="User not found")
        return
    job.update(status="completed", progress=100, message="Export completed",
               resultPath=f"/var/lib/eclipanel/exports/{job['id']}.tar.gz",
               shareToken=_token(job["id"], "auto"), shareLinkExpiresAt=iso(when + timedelta(days=30)),
               shareDownloadsRemaining=3)
    archives(state)[job["id"]] = _archive_bytes(job, user)


def tick(state: Any) -> None:
    """The runner: one queued job (oldest first) per elapsed minute since the last run."""
    current = now(state)
    last = getattr(state, "export_runner_last", None) or current
    minutes = int((current - last).total_seconds() // 60)
    if getattr(state, "export_runner_last", None) is None:
        state.export_runner_last = current
        return
    if minutes <= 0:
        return
    queued = sorted((j for j in jobs(state).values() if j.get("status") == "queued"),
                    key=lambda j: j.get("createdAt") or "")
    for job in queued[:minutes]:
        _complete(state, job, current)
    state.export_runner_last = last + timedelta(minutes=minutes)


def _job_or_404(req: Request) -> dict[str, Any]:
    tick(req.state)
    job = found(jobs(req.state), req.params.get("id", ""), "Job not found")
    return job


def new_job(state: Any, user_id: int, admin_id: int | None, status: str, when: datetime, rng: Any = None) -> dict[str, Any]:
    job_id = str(uuid.UUID(int=(rng.getrandbits(128) if rng else uuid.uuid4().int), version=4))
    job = {"id": job_id, "userId": user_id, "adminId": admin_id, "status": status, "progress": 0,
           "message": "Requested by user" if status == "requested" else "Queued", "resultPath": None,
           "shareToken": None, "shareLinkExpiresAt": None, "shareDownloadsRemaining": 0,
           "createdAt": iso(when), "updatedAt": iso(when)}
    jobs(state)[job_id] = job
    return job


def seed(state: Any, rng: Any) -> None:
    rows = jobs(state)
    base = now(state)
    user_ids = sorted(state.users)[:12] or [1]
    plan = [("requested", 2), ("requested", 5), ("queued", 1), ("completed", 30), ("completed", 60),
            ("failed", 90), ("running", 3), ("completed", 200)]
    for i, (status, minutes_ago) in enumerate(plan):
        when = base - timedelta(minutes=minutes_ago)
        user_id = user_ids[(i * 5 + 3) % len(user_ids)] if i != 5 else 999999
        job = new_job(state, user_id, None if status == "requested" else user_ids[0], status, when, rng)
        if status == "running":
            job.update(progress=40, message="Collecting server files")
        elif status == "failed":
            job.update(message="User not found", updatedAt=iso(when + timedelta(minutes=1)))
        elif status == "completed":
            _complete(state, job, when + timedelta(minutes=1))
    if len(rows) and getattr(state, "export_runner_last", None) is None:
        state.export_runner_last = base


@route("GET", "/api/admin/export-jobs", gates=GATE)
def list_jobs(req: Request) -> Any:
    tick(req.state)
    limit = req.int_arg("limit", 100, high=500)
    status = req.arg("status")
    rows = [j for j in jobs(req.state).values() if not status or j.get("status") == status]
    rows.sort(key=lambda j: j.get("createdAt") or "", reverse=True)
    current = now(req.state)
    last = getattr(req.state, "export_runner_last", None)
    meta = {"runnerCron": RUNNER_CRON,
            "nextRunAt": iso(current.replace(second=0, microsecond=0) + timedelta(minutes=1)),
            "lastRunAt": iso(last) if last else None}
    return {"jobs": [dict(j) for j in rows[:limit]], "meta": meta}


@route("GET", "/api/admin/export-jobs/:id", gates=GATE)
def get_job(req: Request) -> Any:
    return {"job": dict(_job_or_404(req))}


@route("POST", "/api/admin/export-jobs/:id/approve", gates=GATE)
def approve(req: Request) -> Any:
    job = _job_or_404(req)
    if job.get("status") != "requested":
        raise HttpError(400, "only requested export jobs can be approved")
    user = getattr(req.principal, "user", None) or {}
    job.update(status="queued", adminId=user.get("id"), message="Approved by staff", updatedAt=iso(now(req.state)))
    return {"success": True, "jobId": job["id"]}


@route("GET", "/api/admin/export-jobs/:id/download", gates=GATE)
def download(req: Request) -> Any:
    job = _job_or_404(req)
    data = archives(req.state).get(job["id"])
    if job.get("status") != "completed" or not job.get("resultPath") or data is None:
        raise HttpError(400, "Job not completed or no archive available")
    return Raw(200, "application/gzip", data,
               {"Content-Disposition": f'attachment; filename="export-{job.get("userId")}.tar.gz"'})


def _origin(req: Request) -> str:
    host = req.headers.get("host") or "localhost"
    proto = req.headers.get("x-forwarded-proto") or "http"
    return f"{proto}://{host}"


@route("POST", "/api/admin/export-jobs/:id/share-link", gates=GATE)
def share_link(req: Request) -> Any:
    job = _job_or_404(req)
    try:
        hours = int(req.json_object().get("expiresHours", 24))
    except (TypeError, ValueError):
        hours = 24
    hours = max(1, min(720, hours))
    if job.get("status") != "completed" or not job.get("resultPath"):
        raise HttpError(400, "Job must be completed with archive before sharing")
    counter = getattr(req.state, "export_share_counter", 0) + 1
    req.state.export_share_counter = counter
    token = _token(job["id"], f"share-{counter}")
    expires = now(req.state) + timedelta(hours=hours)
    job.update(shareToken=token, shareLinkExpiresAt=iso(expires), shareDownloadsRemaining=1,
               updatedAt=iso(now(req.state)))
    path = f"/api/public/export-shares/{token}"
    return {"success": True, "shareUrl": _origin(req) + path, "sharePath": path, "expiresAt": iso(expires),
            "downloadsRemaining": 1}


@route("DELETE", "/api/admin/export-jobs/:id", gates=GATE)
def delete_job(req: Request) -> Any:
    job = _job_or_404(req)
    jobs(req.state).pop(job["id"], None)
    archives(req.state).pop(job["id"], None)
    return {"success": True}


@route("GET", "/api/public/export-shares/:token", auth=False)
def public_share(req: Request) -> Any:
    token = req.params.get("token")
    job = next((j for j in jobs(req.state).values() if token and j.get("shareToken") == token), None)
    if job is None:
        raise HttpError(404, "Share link not found")
    expires = parse_iso(job.get("shareLinkExpiresAt"))
    if expires is not None and expires < now(req.state):
        raise HttpError(410, "Share link expired")
    if not job.get("shareDownloadsRemaining"):
        raise HttpError(410, "Share link has already been used")
    data = archives(req.state).get(job["id"])
    if data is None or not job.get("resultPath"):
        raise HttpError(404, "Export archive unavailable")
    job["shareDownloadsRemaining"] = 0
    return Raw(200, "application/gzip", data,
               {"Content-Disposition": f'attachment; filename="export-{job.get("userId")}.tar.gz"'})
