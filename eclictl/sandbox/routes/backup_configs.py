"""Sandbox: backup configurations (docs/panel/backup-configs.md; backend/src/handlers/backupConfigHandler.ts).

A catalogue nothing else reads. Gates are A(`admin:read`) / A(`admin:write`) only. POST trims and checks
the name (400 `Name required (1-255 chars)`), answers 201 with a random UUID; PUT copies every present key
as sent (no validation: a PUT without a body, or a non-string name that the database refuses, is a 500);
DELETE is a hard delete. `config` (storage credentials) is returned verbatim.
"""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from eclictl.sandbox.router import HttpError, Request, found, route

PATH = "/api/admin/backup-configurations"
FIELDS = ("uuid", "name", "description", "backupDisk", "config", "shared", "maintenanceEnabled", "createdAt",
          "updatedAt")


def seed(state: Any, rng: Any) -> None:
    state.backup_configs = {}
    plan = [
        ("Local disk", "Default: archives on each node's disk.", "local", None, True, True),
        ("S3 offsite (demo)", "Offsite copies in an S3 bucket.", "s3",
         {"bucket": "demo-backups", "region": "eu-central-1", "endpoint": "https://s3.example.test",
          "accessKeyId": "AKIADEMO0000EXAMPLE", "secretAccessKey": "demo/secret/key+EXAMPLE"}, False, True),
        ("Restic vault (demo)", None, "restic",
         {"repository": "sftp:backup@vault.example.test:/srv/restic", "password": "demo-restic-pass"}, True, False),
    ]
    for i, (name, desc, disk, config, shared, maint) in enumerate(plan):
        ident = str(uuidlib.UUID(int=rng.getrandbits(128), version=4))
        stamp = state.iso(state.now() - (40 - i * 10) * 86400)
        state.backup_configs[ident] = {"uuid": ident, "name": name, "description": desc, "backupDisk": disk,
                                       "config": config, "shared": shared, "maintenanceEnabled": maint,
                                       "createdAt": stamp, "updatedAt": stamp}


def _view(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in FIELDS}


def _find(req: Request) -> dict[str, Any]:
    row = found(req.state.backup_configs, req.params["uuid"], "Not found")
    return row


@route("GET", PATH, gates=(("A", "admin:read"),))
def list_configs(req: Request) -> Any:
    rows = sorted(req.state.backup_configs.values(), key=lambda r: r["createdAt"], reverse=True)
    return {"data": [_view(r) for r in rows]}


@route("GET", PATH + "/:uuid", gates=(("A", "admin:read"),))
def get_config(req: Request) -> Any:
    return _view(_find(req))


@route("POST", PATH, gates=(("A", "admin:write"),))
def create_config(req: Request) -> Any:
    body = req.json()
    raw = body.get("name") if isinstance(body, dict) else None
    if raw is not None and not isinstance(raw, str):
        raise RuntimeError("name.trim is not a function")  # the panel's global 500
    name = (raw or "").strip()
    if not name or len(name) > 255:
        raise HttpError(400, "Name required (1-255 chars)")
    stamp = req.state.iso()
    row = {"uuid": str(uuidlib.uuid4()), "name": name, "description": body.get("description") or None,
           "backupDisk": body.get("backupDisk") or "local", "config": body.get("config") or None,
           "shared": body.get("shared") is True, "maintenanceEnabled": body.get("maintenanceEnabled") is not False,
           "createdAt": stamp, "updatedAt": stamp}
    req.state.backup_configs[row["uuid"]] = row
    return 201, _view(row)


@route("PUT", PATH + "/:uuid", gates=(("A", "admin:write"),))
def update_config(req: Request) -> Any:
    row = _find(req)
    body = req.json()
    if not isinstance(body, dict):
        raise RuntimeError("body is undefined")  # `body.name` on a missing body: 500
    name = body.get("name", row["name"])
    if "name" in body and (not isinstance(name, str) or len(name) > 255):
        raise RuntimeError("database refused the name")  # NOT NULL / length: 500
    for key in ("name", "description", "backupDisk", "config", "shared", "maintenanceEnabled"):
        if key in body:
            row[key] = body[key]  # stored as sent: "false" stays a string, "" stays empty
    row["updatedAt"] = req.state.iso()
    return _view(row)


@route("DELETE", PATH + "/:uuid", gates=(("A", "admin:write"),))
def delete_config(req: Request) -> Any:
    req.state.backup_configs.pop(_find(req)["uuid"])
    return {"success": True}
