#!/usr/bin/env python3
"""Streaming a large panel: `eclictl users list --all -o jsonl` against a big sandbox over HTTP.

Not a pass/fail test: it prints figures — wall time, time to the first row, rows, and the CLI
process's peak RSS (constant memory is the point of jsonl streaming: rows are written as pages
arrive). The sandbox runs in its own process (a real panel is another machine), and the peak RSS
is the CLI's own high-water mark (VmHWM, sampled while it runs), not inherited fork memory.
Run: .venv/bin/python bench/stream.py [--users 100000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from typing import Any


def _serve(users: int, conn: Any) -> None:
    from eclictl.sandbox import Sandbox

    started = time.perf_counter()
    sandbox = Sandbox(users=users, rate_limit=None)
    seeded = time.perf_counter() - started
    server = sandbox.serve()
    conn.send((server.url, sandbox.keys["admin"], len(sandbox.state.users), seeded))
    conn.recv()
    server.close()


def _hwm_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100000)
    args = parser.parse_args()

    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.get_context("spawn").Process(target=_serve, args=(args.users, child), daemon=True)
    proc.start()
    url, key, count, seeded = parent.recv()
    print(f"sandbox seeded {count} users in {seeded:.1f} s (own process)")
    env = dict(os.environ, ECLICTL_URL=url, ECLICTL_API_KEY=key,
               ECLICTL_CONFIG_DIR="/nonexistent-eclictl-bench", ECLICTL_REDACT="0")
    argv = [sys.executable, "-m", "eclictl", "users", "list", "--all", "-o", "jsonl"]
    try:
        start = time.perf_counter()
        cli = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert cli.stdout is not None
        first = None
        rows = nbytes = 0
        peak_kib = 0
        samples: list[tuple[int, int]] = []
        for line in cli.stdout:
            if first is None:
                first = time.perf_counter() - start
            rows += 1
            nbytes += len(line)
            if rows % 2000 == 0:
                hwm = _hwm_kib(cli.pid) or 0
                peak_kib = max(peak_kib, hwm)
                samples.append((rows, hwm))
        err = cli.stderr.read().decode(errors="replace") if cli.stderr else ""
        code = cli.wait()
        wall = time.perf_counter() - start
        print(f"exit {code}; {rows} rows, {nbytes / 1e6:.1f} MB of jsonl")
        print(f"wall time {wall:.2f} s; first row after {first if first is not None else float('nan'):.2f} s; "
              f"{rows / wall:.0f} rows/s")
        if samples:
            early = samples[min(len(samples) - 1, 1)]
            print(f"peak RSS of the CLI: {peak_kib / 1024:.1f} MiB (after {early[0]} rows: {early[1] / 1024:.1f} MiB; "
                  f"after {samples[-1][0]} rows: {samples[-1][1] / 1024:.1f} MiB)")
        if code != 0:
            print(err.strip()[-2000:])
    finally:
        parent.send("stop")
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()


if __name__ == "__main__":
    main()
