"""Pure egg-file logic (no CLI, no HTTP): lint rules and the panel importer's field mapping.

Kept out of `eclictl/sections/` so it is not a command, and free of Typer/httpx/rich imports so
it can be unit-tested and benchmarked on its own (bench/lint_eggs.py).
"""
