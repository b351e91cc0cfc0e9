#!/usr/bin/env python3
"""Bulk throughput: item operations through BulkRunner over real HTTP, as `eclictl users suspend` runs them.

Not a pass/fail test: it prints figures. Each item is one `PUT /api/admin/users/:id {"inactive": false}`
sent by the CLI's own path (AppContext -> ApiClient -> BulkRunner). The sandbox runs in its own
process (a real panel is another machine), so the two do not share an interpreter lock.

1. Sequential per-item time at 0 ms latency, then next to the configured latency: what each request
   costs beyond the wire (a stall, like the ~42 ms the sandbox once added, cannot hide here; on a
   busy machine the sandbox's latency sleep itself also wakes up late).
2. Concurrent run and speed-up, with the CPU per item of the client and of the sandbox (the client's
   CPU under the interpreter lock is the ceiling: 1000 / (ms per item) items/s at best), and the same
   requests from a bare thread pool, to show what the runner itself costs.
3. Rate-limited run: a fresh sandbox with the real panel's limiter (500 requests/min per IP, 60 s fixed
   window) and the CLI's default budget (450/min): N items must all be done, at >= 90% of the budget.
   It takes ~2 minutes for 1,000 items by nature; `--window-scale 10` runs the sandbox's clock (and
   the budget) ten times faster for a quick look: the real-window figure is the one that counts.

Run: .venv/bin/python bench/bulk.py [--items 1000] [--latency 20] [--concurrency 32] [--rate-items 1000]
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import resource
import statistics
import time
from typing import Any


def _serve(latency: int, rate_limit: int | None, window_scale: float, conn: Any) -> None:
    """Child process: the sandbox panel. Answers "cpu" (its CPU seconds), ("latency", ms), "stop" (statuses)."""
    from eclictl.sandbox import Sandbox

    sandbox = Sandbox(latency_ms=latency, rate_limit=rate_limit)
    if window_scale != 1:
        start = time.time()
        sandbox.state.clock = lambda: start + (time.time() - start) * window_scale  # the 60 s window, faster
    eligible = [str(uid) for uid in sorted(sandbox.state.users)]
    server = sandbox.serve()
    conn.send((server.url, sandbox.keys["admin"], eligible))
    while True:
        message = conn.recv()
        if message == "cpu":
            usage = resource.getrusage(resource.RUSAGE_SELF)
            conn.send(usage.ru_utime + usage.ru_stime)
        elif isinstance(message, tuple) and message[0] == "latency":
            sandbox.latency_ms = message[1]
            conn.send(None)
        else:
            break
    statuses: dict[int, int] = {}
    for _, _, status in sandbox.requests:
        statuses[status] = statuses.get(status, 0) + 1
    conn.send((sandbox.max_in_flight, statuses))
    server.close()


class Panel:
    """A sandbox in its own process."""

    def __init__(self, latency: int, rate_limit: int | None = None, window_scale: float = 1.0) -> None:
        self._conn, child = multiprocessing.Pipe()
        self._proc = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(latency, rate_limit, window_scale, child), daemon=True)
        self._proc.start()
        self.url, self.key, self.users = self._conn.recv()

    def cpu(self) -> float:
        self._conn.send("cpu")
        return float(self._conn.recv())

    def set_latency(self, ms: int) -> None:
        self._conn.send(("latency", ms))
        self._conn.recv()

    def stop(self) -> tuple[int, dict[int, int]]:
        self._conn.send("stop")
        result = self._conn.recv()
        self._proc.join(timeout=10)
        if self._proc.is_alive():
            self._proc.terminate()
        return result


def make_ctx(url: str, key: str, concurrency: int, rate: int) -> Any:
    """An AppContext as the CLI builds it for `--concurrency N --rate R`: its client is the shared one."""
    from eclictl.config import Settings
    from eclictl.context import AppContext, Factory, IOStreams

    streams = IOStreams(io.StringIO(), io.StringIO(), io.StringIO(), False, False, False)
    ctx = AppContext(Factory(io=streams, env={"ECLICTL_CONFIG_DIR": "/nonexistent-eclictl-bench"}), {"output": "json"})
    ctx._settings = Settings(url=url, api_key=key, concurrency=concurrency, rate=rate, max_retries=3)
    return ctx


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bulk_run(panel: Panel, ids: list[str], concurrency: int, rate: int, pacer: Any = None) -> dict[str, Any]:
    from eclictl.bulk import BulkRunner

    ctx = make_ctx(panel.url, panel.key, concurrency, rate)
    api = ctx.api
    try:
        api.get("/api/admin/users/1/profile")  # connect once, like any command's first request
        cpu0, server0, start = _cpu(), panel.cpu(), time.perf_counter()
        report = BulkRunner(ctx, progress=False, pacer=pacer).run(
            "touch users", ids, lambda uid: api.put(f"/api/admin/users/{uid}", {"inactive": False}))
        wall = time.perf_counter() - start
        cpu, server = _cpu() - cpu0, panel.cpu() - server0
    finally:
        ctx.close()
    summary = report.summary()
    return {"wall": wall, "cpu": cpu, "server": server, "done": summary["done"], "failed": summary["failed"],
            "n": len(ids)}


def pool_run(panel: Panel, ids: list[str], concurrency: int) -> dict[str, Any]:
    """The same requests from a bare thread pool on the same client: what BulkRunner adds."""
    from concurrent.futures import ThreadPoolExecutor

    ctx = make_ctx(panel.url, panel.key, concurrency, 0)
    api = ctx.api
    try:
        api.get("/api/admin/users/1/profile")
        cpu0, start = _cpu(), time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(lambda uid: api.put(f"/api/admin/users/{uid}", {"inactive": False}), ids))
        wall, cpu = time.perf_counter() - start, _cpu() - cpu0
    finally:
        ctx.close()
    return {"wall": wall, "cpu": cpu, "n": len(ids)}


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of the repeats (the machine is shared: slower repeats measure other people's load)."""
    return min(runs, key=lambda r: r["wall"])


def throughput(args: argparse.Namespace) -> None:
    panel = Panel(args.latency)
    users = panel.users
    try:
        seq_ids = [users[i % len(users)] for i in range(args.seq_items)]
        ids = [users[i % len(users)] for i in range(args.items)]
        if args.latency:
            panel.set_latency(0)
            bare_item = _best([bulk_run(panel, seq_ids, 1, 0) for _ in range(args.repeat)])
            panel.set_latency(args.latency)
            print(f"sequential : {bare_item['wall'] / bare_item['n'] * 1000:6.2f} ms per item at 0 ms latency "
                  "(what an item costs the client, the wire and the sandbox)")
        seq = _best([bulk_run(panel, seq_ids, 1, 0) for _ in range(args.repeat)])
        per_item = seq["wall"] / seq["n"] * 1000
        print(f"sequential : {per_item:6.2f} ms per item at {args.latency} ms latency "
              f"(+{per_item - args.latency:.2f} ms beyond the latency; {seq['n']} items, "
              f"client CPU {seq['cpu'] / seq['n'] * 1000:.2f} ms/item, sandbox CPU "
              f"{seq['server'] / seq['n'] * 1000:.2f} ms/item)")
        conc = _best([bulk_run(panel, ids, args.concurrency, 0) for _ in range(args.repeat)])
        rate = conc["n"] / conc["wall"]
        cpu_item = conc["cpu"] / conc["n"] * 1000
        print(f"concurrency {args.concurrency}: {conc['n']} items in {conc['wall']:.2f} s = {rate:7.1f} items/s "
              f"(ideal {args.concurrency * 1000 / per_item:.0f}/s); done {conc['done']}, failed {conc['failed']}")
        print(f"   client CPU {cpu_item:.2f} ms/item (under one interpreter lock: at most "
              f"{1000 / cpu_item:.0f} items/s), sandbox CPU {conc['server'] / conc['n'] * 1000:.2f} ms/item")
        bare = _best([pool_run(panel, ids, args.concurrency) for _ in range(args.repeat)])
        print(f"   same requests from a bare thread pool: {bare['n'] / bare['wall']:7.1f} items/s, client CPU "
              f"{bare['cpu'] / bare['n'] * 1000:.2f} ms/item (the runner adds the difference)")
        print(f"speed-up x{rate * per_item / 1000:.1f} (concurrency {args.concurrency} vs 1, unpaced, latency "
              f"{args.latency} ms; sandbox in its own process)")
    finally:
        in_flight, statuses = panel.stop()
    print(f"   max in flight at the sandbox: {in_flight}; statuses seen: {statuses}")


def rate_limited(args: argparse.Namespace) -> None:
    from eclictl.config import Settings
    from eclictl.pacing import Pacer

    budget = args.budget or Settings().rate
    scale = args.window_scale
    pacer = None
    if scale != 1:  # the budget x scale, but the burst the real budget gets (see BulkRunner)
        pacer = Pacer(budget * scale, burst=max(args.concurrency, budget // 20))
    panel = Panel(0, rate_limit=500, window_scale=scale)
    try:
        ids = [panel.users[i % len(panel.users)] for i in range(args.rate_items)]
        run = bulk_run(panel, ids, args.concurrency, budget, pacer)
    finally:
        _, statuses = panel.stop()
    minutes = run["wall"] * scale / 60
    achieved = run["n"] / minutes
    what = "real 60 s window" if scale == 1 else f"window and budget x{scale:g} faster: a quick look only"
    print(f"rate-limited ({what}): {run['n']} items in {run['wall']:.1f} s; done {run['done']}, "
          f"failed {run['failed']}; 429s seen by the sandbox: {statuses.get(429, 0)}")
    print(f"   {achieved:.0f} requests/min = {100 * achieved / budget:.0f}% of the configured budget ({budget}/min), "
          f"{100 * achieved / 500:.0f}% of the panel's 500/min per IP")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1000, help="items in the concurrent run")
    parser.add_argument("--seq-items", type=int, default=200, help="items in the sequential run")
    parser.add_argument("--latency", type=int, default=20, help="sandbox latency per request (ms)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3, help="repeats of each unpaced run (the best counts)")
    parser.add_argument("--rate-items", type=int, default=1000, help="items in the rate-limited run (0: skip it)")
    parser.add_argument("--budget", type=int, default=0,
                        help="--rate of the rate-limited run, per minute (default: the CLI's default)")
    parser.add_argument("--window-scale", type=float, default=1.0,
                        help="run the sandbox's clock and the budget this many times faster (quick look)")
    args = parser.parse_args()
    throughput(args)
    if args.rate_items:
        rate_limited(args)


if __name__ == "__main__":
    main()
