"""Replay every recorded live response (tests/contract/samples) against a fresh sandbox.

The sandbox must answer with the same status (exact for 4xx, same class otherwise), the same
content-type family and the same JSON shape (tests/contract/shape.py). Samples that depended
on the sampler's own earlier requests get an equivalent setup here (`SETUP`), with ids rewritten.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path
from typing import Any, Callable

import httpx
import pytest

from eclictl.sandbox import Sandbox
from eclictl.sandbox.router import match
from tests.contract.shape import content_family, is_error_body, shape_diff

SAMPLES = Path(__file__).parent / "samples"


def load_routes() -> None:
    """Import every route module so `match` sees the whole table before any Sandbox exists."""
    import eclictl.sandbox.routes as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        importlib.import_module(f"{pkg.__name__}.{info.name}")

BOGUS_KEY = "0" * 64


def key_for(sandbox: Sandbox, kind: str | None) -> str | None:
    """Map the sampler's `key_kind` text to a seeded sandbox key."""
    if kind is None:
        return None
    text = kind.lower()
    if text.startswith("bogus"):
        return BOGUS_KEY
    if text.startswith("admin key"):
        return sandbox.keys["admin"]
    if "plain user" in text:
        return sandbox.keys["plain"]
    if "root user" in text:
        return sandbox.keys["root_client_star" if "'*'" in text or '"*"' in text else "root_client"]
    raise AssertionError(f"unknown key_kind {kind!r}")


def auth_headers(auth: str | None, key: str | None) -> dict[str, str]:
    if auth is None or key is None:
        return {}
    if auth.startswith("Authorization: ApiKey"):
        return {"Authorization": f"ApiKey {key}"}
    if auth.startswith("Authorization: Bearer"):
        return {"Authorization": f"Bearer {key}"}
    if auth.startswith("X-API-Key"):
        return {"X-API-Key": key}
    raise AssertionError(f"unknown auth form {auth!r}")


class Panel:
    """A fresh sandbox plus an admin client for setup requests."""

    def __init__(self) -> None:
        self.sandbox = Sandbox(seed=0)
        self.client = httpx.Client(transport=self.sandbox.transport(), base_url="http://sandbox.test")
        self.admin = {"Authorization": f"ApiKey {self.sandbox.keys['admin']}"}

    def post(self, path: str, body: Any) -> Any:
        r = self.client.post(path, json=body, headers=self.admin)
        assert r.status_code == 200, (path, r.status_code, r.text)
        return r.json()

    def role(self, name: str = "sample-role", perm: str | None = None) -> tuple[int, int | None]:
        rid = self.post("/api/roles", {"name": name, "description": "created by the test"})["role"]["id"]
        pid = self.post(f"/api/roles/{rid}/permissions", {"value": perm})["perm"]["id"] if perm else None
        return rid, pid

    def key(self) -> int:
        return int(self.post("/api/apikeys", {"name": "sample-temp-key", "type": "client",
                                              "permissions": ["roles:read", "admin:access"]})["id"])


def _role_path(fmt: str, perm: str | None = None) -> Callable[[Panel], str]:
    def setup(panel: Panel) -> str:
        rid, pid = panel.role(perm=perm)
        return fmt.format(rid=rid, pid=pid)
    return setup


def _dup_role(panel: Panel) -> str:
    panel.role(name="eclictl-test-role-1795501114")
    return "/api/roles"


def _settings_put(panel: Panel) -> str:
    r = panel.client.put("/api/admin/settings", json={"registrationNotice": "set by the sampler",
                                                       "billingCurrency": "eur"}, headers=panel.admin)
    assert r.status_code == 200, r.text
    return "/api/admin/settings"


#: sample name -> setup(panel) returning the request path to use.
SETUP: dict[str, Callable[[Panel], str]] = {
    "DELETE_api_apikeys_id": lambda p: f"/api/apikeys/{p.key()}",
    "GET_api_apikeys_id": lambda p: f"/api/apikeys/{p.key()}",
    "DELETE_api_roles_id": _role_path("/api/roles/{rid}"),
    "DELETE_api_roles_id_500_role_has_permissions": _role_path("/api/roles/{rid}", "servers:read"),
    "DELETE_api_roles_id_permissions_permId": _role_path("/api/roles/{rid}/permissions/{pid}", "servers:read"),
    "GET_api_roles_id": _role_path("/api/roles/{rid}"),
    "GET_api_roles_id_permissions": _role_path("/api/roles/{rid}/permissions", "servers:read"),
    "POST_api_roles_id_permissions": _role_path("/api/roles/{rid}/permissions"),
    "POST_api_roles_500_duplicate_name": _dup_role,
    "GET_api_admin_settings_after_put": _settings_put,
}
#: Samples whose state came from the sampler's earlier mutations on another section's data.
NEEDS_HISTORY = {
    "GET_api_admin_eggs_after_import": "needs the sampler's egg import first (eggs section)",
    "GET_api_admin_fraud-alerts_after_dismiss": "needs the sampler's dismissal of its only alert (fraud section)",
}

#: Divergences in other sections' sandbox modules, reported to their owners (non-strict xfail).
KNOWN_GAPS = {
    "GET_api_admin_eggs_id_export": "routes/eggs.py: the export of egg 5 lacks `scripts` (the live one has it)",
}


def sample_files() -> list[Path]:
    return sorted(SAMPLES.glob("*.json"))


@pytest.mark.parametrize("sample_path", sample_files(), ids=lambda p: p.stem)
def test_sample(sample_path: Path, request: pytest.FixtureRequest) -> None:
    sample = json.loads(sample_path.read_text())
    req = sample["request"]
    name = sample_path.stem
    path = req["path"].split("?")[0]
    load_routes()
    route, _, _ = match(req["method"], path)
    if route is None and sample["status"] != 404:
        pytest.skip(f"the sandbox has no route {req['method']} {path} yet")
    if name in NEEDS_HISTORY:
        pytest.skip(NEEDS_HISTORY[name])
    if name in KNOWN_GAPS:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_GAPS[name], strict=False))
    panel = Panel()
    full_path = SETUP[name](panel) if name in SETUP else req["path"]
    headers = auth_headers(req["auth"], key_for(panel.sandbox, req["key_kind"]))
    body = req["body"]
    if isinstance(body, str):  # sent verbatim (the malformed-JSON sample)
        content: bytes | None = body.encode()
        headers["Content-Type"] = "application/json"
    elif body is not None:
        content = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    else:
        content = None
    r = panel.client.request(req["method"], full_path, content=content, headers=headers)

    want = sample["status"]
    assert r.status_code // 100 == want // 100, (r.status_code, r.text[:300])
    if 400 <= want < 500:
        assert r.status_code == want, (r.status_code, r.text[:300])
    assert content_family(r.headers.get("content-type")) == content_family(sample["content_type"])
    if content_family(sample["content_type"]) != "application/json":
        assert isinstance(sample["body"], str) and r.text == sample["body"]
        return
    got = r.json()
    if is_error_body(sample["body"]) and want >= 400:
        assert is_error_body(got) and set(got) == set(sample["body"]), got
        if want in (401, 403, 404, 422, 429, 500):
            assert got["error"] == sample["body"]["error"]
        return
    problems = shape_diff(sample["body"], got)
    assert not problems, "\n".join(problems[:20])


def test_every_sample_has_a_known_key_kind() -> None:
    panel = Panel()
    for path in sample_files():
        req = json.loads(path.read_text())["request"]
        auth_headers(req["auth"], key_for(panel.sandbox, req["key_kind"]))
