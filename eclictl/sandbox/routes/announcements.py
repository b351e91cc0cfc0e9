"""Sandbox: product-update broadcasts (docs/panel/support.md#announcements).

Jobs are kept in `state.broadcast_jobs` (AdminBroadcastJob). A simulated runner finishes each
queued job a minute after it was queued and writes the sender's activity-log entry, the only
place the real panel reports a broadcast's outcome.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from eclictl.sandbox.router import HttpError, Request, admin, route
from eclictl.sandbox.routes.user_log import add_log
from eclictl.sandbox.state import iso, now, parse_iso, table

USER_CAP = 1000


def jobs(state: Any) -> dict[int, dict[str, Any]]:
    return table(state, "broadcast_jobs")


def seed(state: Any, rng: Any) -> None:
    jobs(state)
    base = now(state)
    add_log(state, 1, "admin-send-product-update", target_type="broadcast",
            metadata={"subject": "New EU-West nodes are live", "recipients": _recipients(state, False),
                      "force": False}, when=base - timedelta(days=12))
    add_log(state, 1, "admin-send-product-update:error", target_type="broadcast",
            metadata={"subject": "Scheduled maintenance", "error": "SMTP connection refused", "force": False},
            when=base - timedelta(days=3))


def _opted_in(user: dict[str, Any]) -> bool:
    settings = user.get("settings") if isinstance(user.get("settings"), dict) else {}
    notes = settings.get("notifications") if isinstance(settings.get("notifications"), dict) else {}
    return notes.get("productUpdates") is True


def _recipients(state: Any, force: bool) -> int:
    count = 0
    for _, user in sorted(state.users.items())[:USER_CAP]:
        if user.get("suspended") or user.get("inactive"):
            continue
        if not user.get("email") or user.get("emailVerified") is False:
            continue
        if force or _opted_in(user):
            count += 1
    return count


def tick(state: Any) -> None:
    """Finish every queued job older than a minute (the panel's cron runs once a minute)."""
    current = now(state)
    for job in sorted(jobs(state).values(), key=lambda j: j["id"]):
        created = parse_iso(job.get("createdAt"))
        if job.get("status") != "queued" or created is None or current - created < timedelta(minutes=1):
            continue
        job["recipients"] = _recipients(state, bool(job.get("force")))
        job["status"] = "completed"
        job["completedAt"] = iso(current)
        add_log(state, job.get("adminId"), "admin-send-product-update", target_type="broadcast",
                metadata={"subject": job["subject"], "recipients": job["recipients"], "force": job["force"]})


@route("POST", "/api/admin/product-updates", gates=admin("admin:announcements"))
def send(req: Request) -> Any:
    tick(req.state)
    body = req.json_object()
    subject, message = body.get("subject"), body.get("message")
    if not subject or not message:
        raise HttpError(400, "subject and message required")
    user = getattr(req.principal, "user", None) or {}
    if body.get("test"):
        if not user.get("email"):
            raise HttpError(400, "No admin email available to send test to")
        sent = getattr(req.state, "sent_mail", None)
        if sent is None:
            sent = req.state.sent_mail = []
        sent.append({"to": user["email"], "subject": f"{subject} — Eclipse Systems (TEST)", "body": message})
        add_log(req.state, user.get("id"), "admin-send-product-update-test", target_type="broadcast",
                metadata={"subject": subject})
        return {"success": True, "recipients": 1}
    queue = jobs(req.state)
    job_id = max(queue, default=0) + 1
    queue[job_id] = {"id": job_id, "adminId": user.get("id"), "subject": subject, "message": message,
                     "force": bool(body.get("force")), "excludeSuspended": bool(body.get("excludeSuspended")),
                     "status": "queued", "recipients": 0, "createdAt": iso(now(req.state))}
    return {"success": True, "status": "queued",
            "message": "Broadcast has been queued and will be sent in the background", "recipients": 0}
