"""Read "as code" TOML files (roles, settings, ...) with one-line errors naming file, line and key."""

from __future__ import annotations

import re
from typing import Any

from eclictl.errors import UsageError
from eclictl.inputs import check_depth


def read_toml(path: str, stdin: Any = None) -> tuple[str, dict[str, Any]]:
    """(text, data) of a TOML file (`-` = stdin when given); any problem is a UsageError (exit 2)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        if path == "-" and stdin is not None:
            text = stdin.read()
        else:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(_describe(path, text, str(exc))) from None
    except RecursionError:
        raise UsageError(f"{path}: invalid TOML: nested too deeply") from None
    check_depth(data, path)
    from eclictl.output.redact import refuse_masked_file

    refuse_masked_file(data, path)  # an "as code" file is applied: never send a privacy mask back
    return text, data


def _describe(path: str, text: str, msg: str) -> str:
    m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
    line_no = int(m.group(1)) if m else None
    reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg) or "invalid TOML"
    lines = text.splitlines()
    near = lines[line_no - 1].split("=", 1)[0].strip() if line_no and line_no <= len(lines) else ""
    if not near and line_no and line_no >= 2 and line_no - 2 < len(lines):
        near = lines[line_no - 2].split("=", 1)[0].strip()
    where = f"{path}:{line_no}" if line_no else path
    if len(near) > 60:
        near = near[:60] + "…"
    return f"{where}: invalid TOML: {reason}" + (f" (near key '{near}')" if near else "")
