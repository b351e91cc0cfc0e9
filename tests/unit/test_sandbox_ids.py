"""Path ids in the sandbox, as `Number(ctx.params.id)` treats them on the panel.

Most handlers pass the number straight to `findOneBy`: NaN fails in SQL (the global 500, recorded
live for `GET /api/admin/users/abc/profile`). A few check `isNaN(id)` first and answer their own 400.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from eclictl.sandbox import Sandbox


@pytest.fixture(scope="module")
def client() -> Any:
    sb = Sandbox(seed=0)
    return httpx.Client(transport=sb.transport(), base_url="http://sandbox.test",
                        headers={"Authorization": f"ApiKey {sb.keys['admin']}"})


@pytest.mark.parametrize("method,path,status,error", [
    ("GET", "/api/admin/users/abc/profile", 500, "Internal server error"),
    ("DELETE", "/api/admin/plans/abc", 500, "Internal server error"),
    ("GET", "/api/admin/users/1.5/profile", 404, "User not found"),  # a fraction matches no row
    ("GET", "/api/admin/users/abc/children", 400, "invalid_parent_id"),
    ("POST", "/api/admin/users/abc/export-job", 400, "Invalid userId"),
    ("DELETE", "/api/admin/antiabuse/incidents/abc", 400, "valid incident id is required"),
    ("POST", "/api/tunnel/devices/abc/delete", 400, "invalid_id"),
    ("PUT", "/api/admin/rollouts/abc", 400, "Invalid rollout ID"),
])
def test_a_non_numeric_id_gets_the_panels_answer(client: Any, method: str, path: str, status: int,
                                                 error: str) -> None:
    r = client.request(method, path, json={})
    assert (r.status_code, r.json()["error"]) == (status, error), r.text
