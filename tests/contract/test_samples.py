"""Replay every recorded live response (tests/contract/samples, see tests/contract/README.md).

Each sample is sent to a fresh sandbox (after its SETUP, tests/contract/setups.py) and must come back
with the same status, content-type family and body (tests/contract/replay.py), then pass its CHECKS.
Two lists name the samples that do not replay, each with its reason:

* NOT_COPIED: behaviour the sandbox deliberately does not reproduce (skipped).
* PENDING_OTHER_BRANCH: behaviour being changed on another branch right now (non-strict xfail);
  once that branch is merged the entry is removed and the sample replays like the others.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eclictl.sandbox.state import SANDBOX_PASSWORD
from tests.contract.replay import compare
from tests.contract.setups import CHECKS, OPTIONAL_KEYS, SETUP, SAMPLES, VARIABLE_TEXT, Panel, sandbox_path

BOGUS_KEY = "0" * 64

#: Samples the sandbox should not copy, with the reason.
NOT_COPIED: dict[str, str] = {}

#: Samples whose sandbox behaviour another branch is changing now (xfail, strict=False).
PENDING_OTHER_BRANCH: dict[str, str] = {}
# Not pending: POST_api_apikeys_jwt_without_csrf replays today and must keep replaying: the panel
# accepts a write with a Bearer login token and no x-csrf-token (its CSRF check finds no session id).


def key_for(panel: Panel, kind: str | None) -> str | None:
    """Map the recorder's `key_kind` text to a seeded sandbox key (or a root login token)."""
    if kind is None:
        return None
    text = kind.lower()
    keys = panel.sandbox.keys
    if text.startswith("bogus"):
        return BOGUS_KEY
    if text.startswith("session jwt of root"):
        return panel.jwt()
    if text.startswith("admin key"):
        return keys["admin"]
    if "plain user" in text:
        return panel.plain_key()
    if "root user" in text:
        return keys["root_client_star" if "'*'" in text or '"*"' in text else "root_client"]
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


def sample_files() -> list[Path]:
    return sorted(SAMPLES.glob("*.json"))


@pytest.mark.parametrize("sample_path", sample_files(), ids=lambda p: p.stem)
def test_sample(sample_path: Path, request: pytest.FixtureRequest) -> None:
    name = sample_path.stem
    if name in NOT_COPIED:
        pytest.skip(NOT_COPIED[name])
    if name in PENDING_OTHER_BRANCH:
        request.applymarker(pytest.mark.xfail(reason=PENDING_OTHER_BRANCH[name], strict=False))
    sample = json.loads(sample_path.read_text())
    req = sample["request"]
    panel = Panel()
    path, body = sandbox_path(req["path"]), req["body"]
    if name in SETUP:
        prepared = SETUP[name](panel)
        path, body = prepared if isinstance(prepared, tuple) else (prepared, body)
    if isinstance(body, dict) and body.get("password") == "<password>":  # scrubbed by the recorder
        body = {**body, "password": SANDBOX_PASSWORD}
    headers = auth_headers(req["auth"], key_for(panel, req["key_kind"]))
    content: bytes | None = None
    if isinstance(body, str):  # sent verbatim (the malformed-JSON samples)
        content = body.encode()
    elif body is not None:
        content = json.dumps(body).encode()
    if content is not None:
        headers["Content-Type"] = "application/json"
    r = panel.client.request(req["method"], path, content=content, headers=headers)
    problems = compare(sample, r.status_code, r.headers.get("content-type"), r.text,
                       OPTIONAL_KEYS.get(name, frozenset()), VARIABLE_TEXT.get(name))
    assert not problems, "\n".join(problems[:20])
    if name in CHECKS:
        CHECKS[name](panel, r.json() if "json" in r.headers.get("content-type", "") else r.text)


def test_every_sample_has_a_known_key_kind() -> None:
    panel = Panel()
    for path in sample_files():
        req = json.loads(path.read_text())["request"]
        auth_headers(req["auth"], key_for(panel, req["key_kind"]))


def test_every_listed_name_is_a_sample() -> None:
    names = {p.stem for p in sample_files()}
    for table in (SETUP, CHECKS, OPTIONAL_KEYS, VARIABLE_TEXT, NOT_COPIED, PENDING_OTHER_BRANCH):
        assert set(table) <= names, sorted(set(table) - names)


def test_the_comparison_catches_what_a_replay_must_not_change() -> None:
    csv = {"status": 200, "content_type": "text/csv; charset=utf-8", "body": "\ufeffid,action\r\n1,login\r\n"}
    assert compare(csv, 200, "text/csv", "\ufeffid,action\r\n7,logout\r\n") == []
    assert compare(csv, 200, "text/csv", "id,action\r\n7,logout\r\n")  # no BOM
    assert compare(csv, 200, "text/csv", "\ufeffid,action\n7,logout\n")  # LF, not CRLF
    assert compare(csv, 201, "text/csv", csv["body"])  # status
    text = {"status": 201, "content_type": "text/plain;charset=utf-8", "body": "[object Object]"}
    assert compare(text, 201, "text/plain", "[object Object]") == []
    assert compare(text, 201, "application/json", '{"id": 1}')
    error = {"status": 400, "content_type": "application/json", "body": {"error": "Unknown column 'NaN' in 'SET'"}}
    assert compare(error, 400, "application/json", '{"error": "Unknown column \'NaN\' in \'field list\'"}')
    assert compare(error, 400, "application/json", '{"error": "x", "field": "y"}')
    db = {"status": 400, "content_type": "application/json", "body": {"error": "(conn:25, no: 1045) denied"}}
    assert compare(db, 400, "application/json", '{"error": "(conn:3, no: 1045) denied"}', variable=r"conn:-?\d+") == []
    plan = {"status": 200, "content_type": "application/json", "body": {"success": True, "plan": {"id": 1}}}
    assert compare(plan, 200, "application/json", '{"success": true, "plan": {"id": 1, "description": null}}')
