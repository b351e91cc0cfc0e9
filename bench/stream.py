#!/usr/bin/env python3
"""Streaming a large panel: `eclictl users list --all -o jsonl` against a big sandbox over HTTP.

Not a pass/fail test: it prints figures — wall time, time to the first row, rows, and the child's
peak RSS (constant memory is the point of jsonl streaming: rows are written as pages arrive).
Run: .venv/bin/python bench/stream.py [--users 100000]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100000)
    args = parser.parse_args()

    from eclictl.sandbox import Sandbox

    started = time.perf_counter()
    sandbox = Sandbox(users=args.users, rate_limit=None)
    print(f"seeded {len(sandbox.state.users)} users in {time.perf_counter() - started:.1f} s")
    server = sandbox.serve()
    env = dict(os.environ, ECLICTL_URL=server.url, ECLICTL_API_KEY=sandbox.keys["admin"],
               ECLICTL_CONFIG_DIR="/nonexistent-eclictl-bench", ECLICTL_REDACT="0")
    argv = [sys.executable, "-m", "eclictl", "users", "list", "--all", "-o", "jsonl"]
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert proc.stdout is not None
        first = None
        rows = 0
        nbytes = 0
        for line in proc.stdout:
            if first is None:
                first = time.perf_counter() - start
            rows += 1
            nbytes += len(line)
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        code = proc.wait()
        wall = time.perf_counter() - start
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
        print(f"exit {code}; {rows} rows, {nbytes / 1e6:.1f} MB of jsonl")
        print(f"wall time {wall:.2f} s; first row after {first if first is not None else float('nan'):.2f} s; "
              f"{rows / wall:.0f} rows/s")
        print(f"peak RSS of the child: {peak_kb / 1024:.1f} MiB"
              + (" (an earlier child was larger)" if before > peak_kb else ""))
        if code != 0:
            print(err.strip()[-2000:])
    finally:
        server.close()


if __name__ == "__main__":
    main()
