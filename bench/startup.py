#!/usr/bin/env python3
"""Startup cost of eclictl: median wall time over N runs, as ratios to `import typer` and `pass`.

Not a pass/fail test: it prints figures. Target: help and completion within 1.5x of
`python -c "import typer"`; a network command adds httpx only when it runs.
Run: .venv/bin/python bench/startup.py [--runs 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def median_ms(argv: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    py = sys.executable
    eclictl = [py, "-m", "eclictl"]
    env = dict(os.environ, ECLICTL_CONFIG_DIR="/nonexistent-eclictl-bench", COLUMNS="100")
    cases = {
        "python -c pass": [py, "-c", "pass"],
        "python -c 'import typer'": [py, "-c", "import typer"],
        "eclictl --version": eclictl + ["--version"],
        "eclictl --help": eclictl + ["--help"],
        "eclictl users --help": eclictl + ["users", "--help"],
    }
    results = {name: median_ms(argv, args.runs, env) for name, argv in cases.items()}
    comp_env = dict(env, COMP_WORDS="eclictl us", COMP_CWORD="1")
    results["completion (bash, static script)"] = median_ms(
        ["bash", "-c", "source completions/eclictl.bash; COMP_WORDS=(eclictl us); COMP_CWORD=1; _eclictl"],
        args.runs, comp_env)
    check = subprocess.run([py, "-c", "import sys, eclictl.main, eclictl.app; "
                            "print('httpx' in sys.modules, 'rich.table' in sys.modules)"],
                           capture_output=True, text=True)
    base = results["python -c 'import typer'"]
    print(f"median of {args.runs} runs (ms)        ms    x typer   x pass")
    for name, ms in results.items():
        print(f"  {name:<34}{ms:7.1f}   {ms / base:6.2f}   {ms / results['python -c pass']:6.2f}")
    print(f"httpx / rich.table imported at startup: {check.stdout.strip()}")


if __name__ == "__main__":
    main()
