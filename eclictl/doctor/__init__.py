"""`eclictl doctor`: checks with a status and a one-line fix each, grouped by what they look at.

One module per group (config, network, identity, limits, drift); each exposes `run(probe) -> list[Check]`.
`Probe` carries what the groups share: the context, the clients (never retrying: a doctor reports
what it sees now), the answers seen so far and the identity found.
"""

from __future__ import annotations

from typing import Any

from eclictl.doctor.checks import FAIL, GROUPS, INFO, OK, SKIP, WARN, Check, Probe, overall

__all__ = ["FAIL", "GROUPS", "INFO", "OK", "SKIP", "WARN", "Check", "Probe", "overall", "run_checks"]


def run_checks(ctx: Any, *, drift: bool = True) -> dict[str, Any]:
    """Every group in order; the report as `-o json` prints it."""
    from datetime import datetime, timezone

    from eclictl import __version__
    from eclictl.doctor import config as config_checks
    from eclictl.doctor import drift as drift_checks
    from eclictl.doctor import identity, limits, network

    probe = Probe(ctx, skip_drift=not drift)
    checks: list[Check] = []
    checks += config_checks.run(probe)
    checks += network.run(probe)
    checks += identity.run(probe)
    drift_part = drift_checks.run(probe)
    checks += limits.run(probe)  # after drift: it judges every answer this run saw
    checks += drift_part
    if probe.client is not None:
        probe.client.close()
    status = overall(checks)
    counts = {s: sum(1 for c in checks if c.status == s) for s in (OK, WARN, FAIL, SKIP, INFO)}
    settings = _settings(ctx)
    return {
        "status": status,
        "healthy": status != FAIL,
        "profile": settings.profile if settings else None,
        "url": settings.url if settings else None,
        "eclictl": __version__,
        "checked_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "counts": counts,
        "checks": [c.as_dict() for c in checks],
    }


def _settings(ctx: Any) -> Any:
    try:
        return ctx.settings
    except Exception:  # noqa: BLE001 - a broken config is reported by the config checks
        return None
