#!/usr/bin/env python3
"""Start-up cost of eclictl, as ratios to `python -c "import typer"` measured in the same run.

Not a pass/fail test: it prints figures. Each round runs the yardstick and then every case, so
all of them see the same machine load (the machine is shared: only ratios within one run mean
anything). Goals: help and completion within 1.5x of the yardstick; a command that talks to a
(zero-latency) panel within 2.0x. The "floor" row is what any such command must import (Typer to
parse, httpx and httpcore to talk): eclictl's own share is the difference.

The children run with bytecode caching on, in a private cache folder, after a warm-up round:
that is how an installed eclictl starts (pip compiles it), even where PYTHONDONTWRITEBYTECODE=1.
Run: .venv/bin/python bench/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_sandbox(env: dict[str, str]) -> subprocess.Popen[str]:
    """`eclictl sandbox --write-profile sandbox` (no latency, no rate limit), ready when it printed its URL."""
    proc = subprocess.Popen([sys.executable, "-m", "eclictl", "sandbox", "--write-profile", "sandbox",
                             "--rate-limit", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=env)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("# saved as profile"):
            return proc
    raise SystemExit("the sandbox did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    py = sys.executable
    script = str(Path(py).parent / "eclictl")
    eclictl = [script] if Path(script).exists() else [py, "-m", "eclictl"]
    work = Path(tempfile.mkdtemp(prefix="eclictl-bench-"))
    env = dict(os.environ, ECLICTL_CONFIG_DIR=str(work / "config"), COLUMNS="100", NO_COLOR="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    for var in ("ECLICTL_URL", "ECLICTL_API_KEY", "ECLICTL_PROFILE", "ECLICTL_TOKEN"):
        env.pop(var, None)
    completion = str(ROOT / "completions" / "eclictl.bash")
    cases: dict[str, list[str]] = {
        "python -c 'import typer'": [py, "-c", "import typer"],
        "python -c pass": [py, "-c", "pass"],
        "floor: import typer, httpx, httpcore": [py, "-c", "import typer, httpx, httpcore"],
        "eclictl --version": eclictl + ["--version"],
        "eclictl --help": eclictl + ["--help"],
        "eclictl users --help": eclictl + ["users", "--help"],
        "eclictl users list --help": eclictl + ["users", "list", "--help"],
        "eclictl -p sandbox users list -o json": eclictl + ["-p", "sandbox", "users", "list", "-o", "json"],
        "complete `eclictl users <TAB>` (bash)": [
            "bash", "-c", f"source {completion}; COMP_WORDS=(eclictl users ''); COMP_CWORD=2; _eclictl; "
            "[[ ${#COMPREPLY[@]} -gt 10 ]]"],
        # profile names start Python (config.toml), without Typer: eclictl.main answers before loading it
        "complete `eclictl -p <TAB>` (bash)": [
            "bash", "-c", f"PATH={Path(script).parent}:$PATH; source {completion}; COMP_WORDS=(eclictl -p ''); "
            "COMP_CWORD=2; _eclictl; [[ ${#COMPREPLY[@]} -ge 1 ]]"],
    }
    sandbox = start_sandbox(env)
    samples: dict[str, list[float]] = {name: [] for name in cases}
    try:
        for name, argv in cases.items():  # warm-up round: bytecode caches, and every case must succeed
            done = subprocess.run(argv, capture_output=True, text=True, env=env)
            if done.returncode != 0:
                raise SystemExit(f"{name}: exit {done.returncode}\n{done.stderr}")
        for _ in range(args.runs):
            for name, argv in cases.items():
                start = time.perf_counter()
                subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
                samples[name].append((time.perf_counter() - start) * 1000)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)

    medians = {name: statistics.median(values) for name, values in samples.items()}
    base = medians["python -c 'import typer'"]
    goals = {"eclictl --help": 1.5, "eclictl users --help": 1.5, "eclictl users list --help": 1.5,
             "eclictl -p sandbox users list -o json": 2.0, "complete `eclictl users <TAB>` (bash)": 1.5,
             "complete `eclictl -p <TAB>` (bash)": 1.5}
    print(f"median of {args.runs} interleaved runs                         ms   x typer   goal")
    for name, ms in medians.items():
        goal = goals.get(name)
        verdict = "" if goal is None else f"<= {goal:.1f}x  {'ok' if ms / base <= goal else 'MISSED'}"
        print(f"  {name:<40}{ms:7.1f}   {ms / base:6.2f}   {verdict}")
    check = subprocess.run([py, "-c", "import sys; from eclictl.main import run; run(['--help']); "
                            "print(*sorted(m for m in ('typer', 'rich', 'httpx', 'pydantic', 'markdown_it') "
                            "if m in sys.modules), file=sys.stderr)"], capture_output=True, text=True, env=env)
    print(f"imported by `eclictl --help`: {check.stderr.strip() or 'none of typer, rich, httpx, pydantic, markdown_it'}")


if __name__ == "__main__":
    main()
