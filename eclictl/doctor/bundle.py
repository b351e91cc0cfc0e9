"""`eclictl doctor --bundle FILE.tar.gz`: one file to attach to a bug report, safe to share.

Inside `eclictl-doctor/`: report.json (the doctor report), versions.json (eclictl, Python,
platform, dependencies), config.json (the effective settings: secrets removed, not masked),
requests.jsonl (the last request summaries `-v` recorded: method, path, status, time, body
shape) and README.txt. Every file goes through the same last pass: the credentials in use are
cut out wherever they appear, and personal data (e-mail and IP addresses, phone numbers, the
names of people) is masked, except the panel's own address.
"""

from __future__ import annotations

import io
import json
import tarfile
import time
from pathlib import Path
from typing import Any

from eclictl.config import SECRET_KEYS

ROOT = "eclictl-doctor"
#: Settings that identify a person rather than configure eclictl.
_PERSONAL_SETTINGS = frozenset({"auth_email"})
README = """eclictl doctor bundle
=====================

report.json     the `eclictl doctor -o json` report
versions.json   eclictl, Python, platform and dependency versions
config.json     the effective settings and where each came from; API keys, session tokens and CSRF
                tokens are removed (only whether one is set is kept)
requests.jsonl  the last {n} requests recorded by `eclictl -v` (method, path, status, time, size and
                the answer's shape: field names and types, never values)

Personal data (e-mail and IP addresses, phone numbers, people's names) is masked in every file.
"""


def versions() -> dict[str, Any]:
    import platform
    import sys
    from importlib import metadata

    from eclictl import __version__

    deps: dict[str, str | None] = {}
    try:
        requires = metadata.requires("eclictl") or []
    except metadata.PackageNotFoundError:
        requires = []
    for req in requires:
        if "extra ==" in req:
            continue
        name = req.split(";")[0].strip()
        for sep in "<>=!~[ (":
            name = name.split(sep)[0]
        try:
            deps[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            if ";" not in req:  # a dependency for other Pythons only (a marker) is not missing
                deps[name] = None
    return {"eclictl": __version__, "python": platform.python_version(),
            "implementation": platform.python_implementation(), "platform": platform.platform(),
            "machine": platform.machine(), "dependencies": deps}


def effective_config(ctx: Any) -> dict[str, Any]:
    """The settings as resolved (flag > env > profile > default); secrets are gone, not masked."""
    try:
        s = ctx.settings
    except Exception as exc:  # noqa: BLE001 - a broken config file: say so, carry nothing of it
        return {"error": str(getattr(exc, "message", exc))}
    out: dict[str, Any] = {}
    for key, value in s.public().items():
        if key in SECRET_KEYS or key in _PERSONAL_SETTINGS:
            out[key] = "(set)" if value else None
        else:
            out[key] = value
    out["sources"] = dict(s.sources)
    out["env"] = sorted(k for k in ctx.env if k.startswith("ECLICTL_"))  # names only
    out["config_file"] = str(ctx.config_file)
    return out


def write(ctx: Any, report: dict[str, Any], dest: Path, *, last: int) -> dict[str, Any]:
    """Write the bundle; returns what went in (file names, request count)."""
    from eclictl.api.reqlog import request_log

    entries = request_log(ctx.env).entries(last)
    files = {
        "report.json": _json(report),
        "versions.json": _json(versions()),
        "config.json": _json(effective_config(ctx)),
        "requests.jsonl": "".join(json.dumps(e, ensure_ascii=False, default=str) + "\n" for e in entries),
        "README.txt": README.format(n=last),
    }
    clean = _cleaner(ctx, report)
    from eclictl.files import open_private

    with open_private(dest, binary=True) as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name, text in files.items():
            data = clean(text).encode("utf-8")
            info = tarfile.TarInfo(f"{ROOT}/{name}")
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
            tar.addfile(info, io.BytesIO(data))
    return {"bundle": str(dest), "files": [f"{ROOT}/{n}" for n in files], "requests": len(entries)}


def _json(data: Any) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False, default=str) + "\n"


def _cleaner(ctx: Any, report: dict[str, Any]) -> Any:
    """The last pass over every file: credentials cut out, personal data masked."""
    from eclictl.output.redact import PrivacyState, Redactor, addresses_in

    secrets: list[str] = []
    try:
        s = ctx.settings
        secrets = [v for v in (s.api_key, s.token, s.csrf_token) if v]
        keep = addresses_in(s.url) | addresses_in(s.web_url)
    except Exception:  # noqa: BLE001
        keep = set()
    for key in ("ECLICTL_API_KEY", "ECLICTL_TOKEN"):
        if ctx.env.get(key):
            secrets.append(ctx.env[key])
    state = PrivacyState()
    state.learn(report)  # the names of people the report mentions (the key's owner)
    redactor = Redactor({"pii", "servers", "orgs"}, keep=keep, state=state)

    home = str(Path.home())

    def clean(text: str) -> str:
        for secret in sorted(set(secrets), key=len, reverse=True):
            text = text.replace(secret, "(removed)")
        if len(home) > 1:
            text = text.replace(home, "~")  # the home directory often carries the user's name
        return redactor.log(text)

    return clean


def masked_report(ctx: Any, report: dict[str, Any]) -> dict[str, Any]:
    """The report with personal fields masked record-wise (before the text pass)."""
    from eclictl.output.redact import Redactor, addresses_in

    try:
        keep = addresses_in(ctx.settings.url)
    except Exception:  # noqa: BLE001
        keep = set()
    return Redactor({"pii", "servers", "orgs"}, keep=keep).record(report)
