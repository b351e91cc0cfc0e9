"""Reading and writing the panel settings object: shared by the settings, flags and geoblock
sections and by undo (eclictl/safety/kinds.py), which restores settings without importing a section.
"""

from __future__ import annotations

from typing import Any

from eclictl.errors import EclictlError

PATH = "/api/admin/settings"


def fetch_settings(api: Any) -> dict[str, Any]:
    """The admin settings object (unknown keys kept as the panel sends them)."""
    body = api.get(PATH)
    if not isinstance(body, dict):
        raise EclictlError("the panel did not answer GET /api/admin/settings with a JSON object",
                           hint="check --url: is this an EcliPanel backend?")
    return body


def put_settings(api: Any, body: dict[str, Any]) -> dict[str, Any]:
    """One PUT; returns the `settings` the panel answered with ({} when it sent none)."""
    answer = api.put(PATH, body)
    settings = answer.get("settings") if isinstance(answer, dict) else None
    return settings if isinstance(settings, dict) else {}
