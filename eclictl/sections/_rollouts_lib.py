"""Reading the rollouts list: shared by the rollouts section and by undo (eclictl/safety/kinds.py),
which restores rollouts without importing a section.
"""

from __future__ import annotations

from typing import Any

PATH = "/api/admin/rollouts"


def fetch_rollouts(api: Any) -> list[dict[str, Any]]:
    """Every rollout (GET /api/admin/rollouts; no paging)."""
    return api.rows(PATH)
