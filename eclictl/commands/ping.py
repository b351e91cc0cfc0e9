"""`eclictl ping`: is the panel up? (`GET /health`, no credentials needed)."""

from __future__ import annotations

from typing import Any

import typer

from eclictl.options import command

app = typer.Typer(add_completion=False)


@app.command("ping", epilog="Examples:\n\n  eclictl ping\n\n  eclictl --url https://backend.example.com ping")
@command()
def ping() -> Any:
    """Check that the panel answers /health (exit 0 ok, 1 degraded, 3 unreachable)."""
    from eclictl.context import current
    from eclictl.errors import EclictlError

    ctx = current()
    client = ctx.build_client(require_auth=False)
    resp = client.request("GET", "/health", raise_for_status=False)
    body = resp.data if isinstance(resp.data, dict) else {}
    result = {"url": client.base_url, "status": body.get("status", f"HTTP {resp.status}"),
              "http_status": resp.status, "ms": round(resp.elapsed_ms)}
    if resp.status != 200:
        ctx.emit(result)
        raise EclictlError(f"the panel is not healthy: {result['status']}")
    return result
