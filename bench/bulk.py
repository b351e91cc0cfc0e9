#!/usr/bin/env python3
"""Bulk throughput: N item operations through BulkRunner over real HTTP, sequential vs concurrent.

Not a pass/fail test: it prints figures. The sandbox adds --latency ms per request (a stand-in for
a remote panel); each item is one `PUT /api/admin/users/:id {"inactive": false}`.
Run: .venv/bin/python bench/bulk.py [--items 1000] [--latency 20] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import io
import time
from typing import Any


def make_ctx(concurrency: int) -> Any:
    from eclictl.config import Settings
    from eclictl.context import AppContext, Factory, IOStreams

    streams = IOStreams(io.StringIO(), io.StringIO(), io.StringIO(), False, False, False)
    ctx = AppContext(Factory(io=streams, env={"ECLICTL_CONFIG_DIR": "/nonexistent-eclictl-bench"}),
                     {"output": "json"})
    ctx._settings = Settings(concurrency=concurrency, rate=0)
    return ctx


def timed_run(url: str, key: str, ids: list[str], concurrency: int) -> tuple[float, Any]:
    from eclictl.api.client import ApiClient
    from eclictl.bulk import BulkRunner

    api = ApiClient(url, api_key=key, pool_size=concurrency, max_retries=0)
    ctx = make_ctx(concurrency)
    try:
        start = time.perf_counter()
        report = BulkRunner(ctx, concurrency=concurrency, rate=0, progress=False).run(
            "touch users", ids, lambda uid: api.put(f"/api/admin/users/{uid}", {"inactive": False}))
        return time.perf_counter() - start, report
    finally:
        api.close()


def _serve(latency: int, conn: Any) -> None:
    """Child process: the sandbox panel, so it does not share the client's interpreter lock
    (a real panel is another machine)."""
    from eclictl.sandbox import Sandbox

    sandbox = Sandbox(latency_ms=latency, rate_limit=None)
    eligible = [str(uid) for uid in sorted(sandbox.state.users)]
    server = sandbox.serve()
    conn.send((server.url, sandbox.keys["admin"], eligible))
    conn.recv()  # wait for "stop"
    conn.send(sandbox.max_in_flight)
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--latency", type=int, default=20, help="sandbox latency per request (ms)")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    import multiprocessing

    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.get_context("spawn").Process(target=_serve, args=(args.latency, child), daemon=True)
    proc.start()
    url, key, eligible = parent.recv()
    ids = [eligible[i % len(eligible)] for i in range(args.items)]
    try:
        results = {}
        for conc in (1, args.concurrency):
            wall, report = timed_run(url, key, ids, conc)
            summary = report.summary()
            results[conc] = wall
            print(f"concurrency {conc:>3}: {args.items} items in {wall:7.2f} s "
                  f"({args.items / wall:7.1f} items/s; done {summary['done']}, failed {summary['failed']})")
        parent.send("stop")
        print(f"max in flight at the sandbox: {parent.recv()}")
        print(f"speed-up x{results[1] / results[args.concurrency]:.1f} "
              f"(concurrency {args.concurrency} vs 1, rate 0, latency {args.latency} ms; sandbox in its own process)")
    finally:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()


if __name__ == "__main__":
    main()
