"""What every doctor check group shares: the Check record, the Probe it reads, the statuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OK, WARN, FAIL, SKIP, INFO = "ok", "warn", "fail", "skip", "info"
GROUPS = ("config", "network", "identity", "limits", "drift")
_RANK = {OK: 0, INFO: 0, SKIP: 0, WARN: 1, FAIL: 2}


@dataclass
class Check:
    id: str  # group.name, e.g. "network.clock", "drift.users"
    status: str  # ok | warn | fail | skip | info
    summary: str
    fix: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def group(self) -> str:
        return self.id.split(".", 1)[0]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "group": self.group, "status": self.status, "summary": self.summary,
                "fix": self.fix, "details": self.details}


@dataclass
class Probe:
    ctx: Any
    client: Any = None  # authenticated, max_retries=0 (None when no credential or the config is broken)
    reachable: bool = False  # /health answered (whatever its status)
    identity: dict[str, Any] | None = None
    access: list[dict[str, Any]] = field(default_factory=list)
    seen: list[tuple[int, Any]] = field(default_factory=list)  # (status, headers) of every answer (limits)
    rate_limited: bool = False
    skip_drift: bool = False


def overall(checks: list[Check]) -> str:
    worst = max((_RANK.get(c.status, 0) for c in checks), default=0)
    return {0: OK, 1: WARN, 2: FAIL}[worst]
