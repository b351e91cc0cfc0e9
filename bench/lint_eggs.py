#!/usr/bin/env python3
"""Lint throughput of `eclictl eggs lint`: a generated corpus of egg files in a temp dir.

Not a pass/fail test: it prints files/s and total seconds (target: 500 files in under 2 s).
Measures the pure lint (eclictl.eggs_lib.lint.lint_paths: walk + read + parse + rules) and,
with --cli, the whole command including interpreter startup.
Run: .venv/bin/python bench/lint_eggs.py [--count 1000] [--cli]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def egg(i: int) -> dict:
    """A realistic PTDL_v2 egg (~3 KB); every 10th has a warning, every 50th an error."""
    doc = {
        "_comment": "DO NOT EDIT: FILE GENERATED AUTOMATICALLY BY PTERODACTYL PANEL - PTERODACTYL.IO",
        "meta": {"version": "PTDL_v2", "update_url": f"https://eggs.example.com/bench/{i}.json"},
        "exported_at": "2024-06-01T12:00:00+00:00",
        "name": f"Bench Egg {i}",
        "author": "bench@example.com",
        "description": "A generated egg for the lint benchmark. " * 4,
        "features": ["eula"],
        "docker_images": {"Java 21": "ghcr.io/pterodactyl/yolks:java_21",
                          "Java 17": "ghcr.io/pterodactyl/yolks:java_17"},
        "file_denylist": [],
        "startup": "java -Xms128M -Xmx{{SERVER_MEMORY}}M -jar {{SERVER_JARFILE}}",
        "config": {"files": json.dumps({"server.properties": {
                       "parser": "properties", "find": {"server-port": "{{server.build.default.port}}"}}}),
                   "startup": "{\r\n    \"done\": \")! For help, type \"\r\n}", "logs": "{}", "stop": "stop"},
        "scripts": {"installation": {"script": "#!/bin/ash\n" + "echo installing\n" * 20,
                                     "container": "ghcr.io/pterodactyl/installers:alpine", "entrypoint": "ash"}},
        "variables": [{"name": f"Var {n}", "description": "A variable.", "env_variable": f"VAR_{n}",
                       "default_value": str(n), "user_viewable": True, "user_editable": True,
                       "rules": "required|string|max:20", "field_type": "text"} for n in range(8)],
    }
    if i % 10 == 0:
        doc["startup"] = ""
    if i % 50 == 0:
        doc["variables"].append(None)
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cli", action="store_true", help="also time `python -m eclictl eggs lint DIR`")
    args = parser.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from eclictl.eggs_lib.lint import lint_paths

    with tempfile.TemporaryDirectory(prefix="eclictl-bench-eggs-") as tmp:
        for i in range(args.count):
            sub = os.path.join(tmp, f"group-{i % 10}")
            os.makedirs(sub, exist_ok=True)
            with open(os.path.join(sub, f"egg-{i}.json"), "w", encoding="utf-8") as fh:
                json.dump(egg(i), fh, indent=4)
        best = float("inf")
        for _ in range(args.runs):
            start = time.perf_counter()
            results = lint_paths([tmp])
            best = min(best, time.perf_counter() - start)
        errors = sum(r.errors for r in results)
        warnings = sum(r.warnings for r in results)
        print(f"lint_paths: {len(results)} files in {best:.3f} s = {len(results) / best:,.0f} files/s "
              f"({errors} errors, {warnings} warnings; best of {args.runs})")
        if args.cli:
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "eclictl", "eggs", "lint", tmp, "-o", "json"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                                  env={**os.environ, "ECLICTL_CONFIG_DIR": tmp})
            took = time.perf_counter() - start
            print(f"eclictl eggs lint (whole command, exit {proc.returncode}): {took:.3f} s = "
                  f"{len(results) / took:,.0f} files/s")


if __name__ == "__main__":
    main()
