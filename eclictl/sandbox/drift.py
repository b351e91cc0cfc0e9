"""A simulated panel upgrade: rename a field in every record a section's routes return.

`eclictl sandbox --drift users.email=mail` (repeatable) rehearses what a renamed field does to
eclictl, and lets `eclictl doctor` prove it notices. This is a post-processing layer over the
panel's answers (Sandbox.handle), keyed by section -> the route prefixes that section declares
(its list path and the fixed part of its show path); no route function knows about it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Drift:
    #: section name -> [(field, new name)]
    renames: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    #: route prefix -> [(field, new name)], built from the sections' declarations
    by_prefix: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    @classmethod
    def parse(cls, specs: list[str]) -> "Drift":
        """`SECTION.FIELD=NEWNAME` each; ValueError names the bad one (and the known sections)."""
        from eclictl.sections._spec import all_sections

        sections = {s.name.replace(" ", "-"): s for s in all_sections()}
        drift = cls()
        for spec in specs:
            left, eq, new = spec.partition("=")
            name, dot, fld = left.strip().partition(".")
            name = name.replace(" ", "-")
            if not (eq and dot and fld and new.strip()):
                raise ValueError(f"--drift {spec!r}: expected SECTION.FIELD=NEWNAME (e.g. users.email=mail)")
            section = sections.get(name)
            if section is None:
                raise ValueError(f"--drift {spec!r}: no section '{name}' (known: {', '.join(sorted(sections))})")
            pair = (fld.strip(), new.strip())
            drift.renames.setdefault(section.name, []).append(pair)
            for prefix in route_prefixes(section):
                drift.by_prefix.setdefault(prefix, []).append(pair)
        return drift

    def pairs_for(self, path: str) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for prefix, pairs in self.by_prefix.items():
            if path == prefix or path.startswith(prefix + "/"):
                out.extend(p for p in pairs if p not in out)
        return out

    def apply(self, path: str, status: int, headers: dict[str, str], body: bytes) -> bytes:
        """The answer as the upgraded panel would send it (JSON success answers only)."""
        if not self.by_prefix or type(body) is not bytes or status >= 300:
            return body
        if "json" not in headers.get("content-type", ""):
            return body
        pairs = self.pairs_for(path)
        if not pairs:
            return body
        try:
            data = json.loads(body)
        except ValueError:
            return body
        return json.dumps(_rename(data, dict(pairs)), default=str).encode()


def route_prefixes(section: Any) -> list[str]:
    """The paths a section reads: its list path and its show path up to the first `{`."""
    out = [section.path]
    if section.show_path:
        fixed = section.show_path.split("{", 1)[0].rstrip("/")
        if fixed and fixed not in out:
            out.append(fixed)
    return out


def _rename(value: Any, renames: dict[str, str]) -> Any:
    if isinstance(value, list):
        return [_rename(v, renames) for v in value]
    if isinstance(value, dict):
        return {renames.get(k, k): _rename(v, renames) for k, v in value.items()}
    return value
