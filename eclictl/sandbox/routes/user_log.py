"""Sandbox: the UserLog table (`state.user_logs`, id -> row), which several route modules append to
(logs' seed, announcements' broadcast runner, fraud scans) and logs and audit read.

It holds no routes: it sits below the route modules that share the table, so none of them
imports another for it.
"""

from __future__ import annotations

from typing import Any

from eclictl.sandbox.state import iso, now, table


def user_logs(state: Any) -> dict[int, dict[str, Any]]:
    return table(state, "user_logs")


def add_log(state: Any, user_id: int | None, action: str, *, target_type: str | None = None,
            target_id: Any = None, metadata: dict[str, Any] | None = None, ip: str | None = None,
            when: Any = None) -> dict[str, Any]:
    """Append a UserLog row (the activity log that `GET /api/admin/logs` and the audit routes read)."""
    rows = user_logs(state)
    log_id = max(rows, default=0) + 1
    row = {"id": log_id, "userId": user_id, "action": action, "targetId": None if target_id is None else str(target_id),
           "targetType": target_type, "metadata": metadata, "isRead": False, "ipAddress": ip,
           "timestamp": iso(when or now(state))}
    rows[log_id] = row
    return row
