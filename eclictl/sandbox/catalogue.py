"""The permission catalogue served by `GET /api/permissions` (docs/panel/roles.md#the-catalogue), in source order.

The entries are data (catalogue.json beside this file: `{value, category, description?, admin}`, in the
panel's order); route modules and tests look them up here. The `admin` flag is a UI hint only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_ROWS: tuple[dict[str, Any], ...] = tuple(json.loads(Path(__file__).with_name("catalogue.json").read_text("utf-8")))

#: Stand-in for ADMIN_PAGE_PERMISSIONS (about 55 entries in the panel, list not published):
#: every catalogue entry flagged admin that starts with `admin:`, plus a few staff families.
_STAFF_FAMILIES = ("users", "roles", "orders", "nodes", "tickets", "soc", "logs", "apikeys", "deletions",
                   "idverification")
ADMIN_PAGE_PERMISSIONS: tuple[str, ...] = tuple(
    row["value"] for row in _ROWS
    if row["admin"] and (row["value"].startswith("admin:") or row["value"].split(":")[0] in _STAFF_FAMILIES)
)


def entries() -> list[dict[str, Any]]:
    """`{value, category, description?, admin}`; description is absent when the catalogue has none."""
    return [dict(row) for row in _ROWS]
