"""`eclictl sandbox`: the built-in demo panel, for trying eclictl and rehearsing scripts."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

app = typer.Typer(add_completion=False)


@app.command(
    "sandbox",
    epilog=(
        "Examples:\n\n"
        "  eclictl sandbox --write-profile sandbox &\n\n"
        "  eclictl sandbox --show-keys             # also the non-admin demo keys (permission tests)\n\n"
        "  eclictl -p sandbox users list --redact\n\n"
        "  eclictl sandbox --port 8099 --latency-ms 50 --fault-rate 0.05   # rehearse a flaky panel\n\n"
        "  eclictl sandbox --drift users.email=mail   # rehearse a panel upgrade; `eclictl doctor` reports it"
    ),
)
def sandbox(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 (0 picks a free one).", min=0,
                                      max=65535)] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed for the deterministic demo data.")] = 0,
    users: Annotated[int, typer.Option("--users", help="How many demo users to seed.", min=1)] = 300,
    latency_ms: Annotated[int, typer.Option("--latency-ms", help="Added latency per request.", min=0)] = 0,
    fault_rate: Annotated[float, typer.Option("--fault-rate", help="Share of requests answered with a 503 "
                                              "HTML page (0-1).", min=0.0, max=1.0)] = 0.0,
    rate_limit: Annotated[Optional[int], typer.Option("--rate-limit", help="Requests per minute per IP before "
                                                      "429, like the real panel (0 = off).", min=0)] = 500,
    flag_cache_seconds: Annotated[float, typer.Option("--flag-cache-seconds", help="How long feature flags stay "
                                                      "cached after a read, like the panel's 10 s (0 = off: "
                                                      "rehearse `flags ... --wait 0` quickly).", min=0.0)] = 10.0,
    drift: Annotated[Optional[list[str]], typer.Option("--drift", metavar="SECTION.FIELD=NEWNAME",
                                                       help="Simulate an upgraded panel: rename FIELD in every "
                                                       "record the section's routes return (repeatable).",
                                                       show_default=False)] = None,
    write_profile: Annotated[Optional[str], typer.Option("--write-profile", help="Save URL and admin key as "
                                                         "this profile.", show_default=False)] = None,
    show_keys: Annotated[bool, typer.Option("--show-keys", help="Also print the other demo keys (root and staff "
                                            "client keys, a plain user's, an expired one), one per line.")] = False,
) -> None:
    """Run a demo EcliPanel on 127.0.0.1 with seeded data (prints its URL and an admin key)."""
    import threading

    from eclictl.context import current
    from eclictl.errors import UsageError
    from eclictl.sandbox import Sandbox
    from eclictl.sandbox.drift import Drift

    ctx = current()
    try:
        simulated = Drift.parse(list(drift or []))  # bad input fails before anything is seeded
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    panel = Sandbox(seed=seed, latency_ms=latency_ms, fault_rate=fault_rate, rate_limit=rate_limit or None,
                    users=users)
    panel.state.flag_cache_seconds = flag_cache_seconds
    if drift:
        panel.drift = simulated
    server = panel.serve(port=port)
    out = ctx.io.stdout
    # What a user needs, in lines a shell can `export` (and tests read): URL, admin key, how to use them.
    out.write(f"ECLICTL_URL={server.url}\nECLICTL_API_KEY={panel.keys['admin']}\n")
    more = "" if show_keys else "; --show-keys: other demo keys"
    if write_profile:
        from eclictl.commands.profile import save_profile

        save_profile(ctx, write_profile, {"url": server.url, "api_key": panel.keys["admin"]}, make_current=False)
        out.write(f"# saved as profile '{write_profile}': eclictl -p {write_profile} users list "
                  f"(Ctrl-C stops the sandbox{more})\n")
    else:
        out.write(f"# export the two lines above, or use --write-profile NAME (Ctrl-C stops the sandbox{more})\n")
    if show_keys:
        for name, key in panel.keys.items():
            if name != "admin":
                out.write(f"# key {name}={key}\n")
    for section, pairs in (simulated.renames.items() if drift else ()):
        out.write(f"# simulated upgrade: {section} records carry " + ", ".join(f"{new} instead of {old}"
                                                                            for old, new in pairs) + "\n")
    out.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
