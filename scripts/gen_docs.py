#!/usr/bin/env python3
"""Regenerate docs/reference.md and completions/* from the command tree (--check: fail on drift)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eclictl._reference import generated_files, stale_generated_files  # noqa: E402


def main() -> int:
    check = "--check" in sys.argv[1:]
    files = generated_files()
    stale = stale_generated_files(ROOT, files)
    if not check:
        for rel in stale:
            path = ROOT / rel
            if rel not in files:
                path.unlink()  # a help screen module of a command that is gone
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(files[rel], encoding="utf-8")
    if check and stale:
        print("stale generated files: " + ", ".join(stale) + "\nrun: python scripts/gen_docs.py", file=sys.stderr)
        return 1
    if not check:
        print("updated: " + (", ".join(stale) or "nothing"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
