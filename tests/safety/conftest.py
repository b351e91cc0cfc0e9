"""Fixtures for the safety tests: a CLI whose sleeps move the sandbox's clock, and a recorded spawner."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.conftest import SANDBOX_URL, Result


@pytest.fixture
def state_dir() -> Path:
    return Path(os.environ["ECLICTL_STATE_DIR"])


@pytest.fixture
def spawned() -> list[dict[str, Any]]:
    """What `--revert-after` asked to start (the watcher is driven by the tests, not forked)."""
    return []


@pytest.fixture
def run_cli(sandbox: Any, isolated_config: Path, spawned: list[dict[str, Any]]) -> Callable[..., Result]:
    """Like `cli`, but every sleep of the CLI advances the sandbox's virtual clock (the flag cache),
    and a revert watcher is recorded instead of started."""
    from eclictl.context import Factory, IOStreams
    from eclictl.main import run

    def spawn(record_id: int, env: Any, log: Path, cwd: Path) -> int:
        failure = next((s["fail"] for s in spawned if "fail" in s), None)
        if failure is not None:
            raise failure
        spawned.append({"id": record_id, "env": dict(env), "log": log, "cwd": cwd})
        return 999999

    def invoke(*args: str, stdin: str = "", tty: bool = False, env: dict[str, str] | None = None,
               key: str | None = "admin") -> Result:
        streams = IOStreams(io.StringIO(stdin), io.StringIO(), io.StringIO(), tty, tty, tty)
        environ = {"ECLICTL_CONFIG_DIR": str(isolated_config), "ECLICTL_STATE_DIR": os.environ["ECLICTL_STATE_DIR"],
                   "ECLICTL_URL": SANDBOX_URL}
        if key:
            environ["ECLICTL_API_KEY"] = sandbox.keys[key]
        environ.update(env or {})
        sleeps: list[float] = []

        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            sandbox.state.advance(seconds)

        factory = Factory(io=streams, env=environ, transport=sandbox.transport(), sleep=sleep,
                          open_browser=lambda u: True, spawn=spawn)
        code = run(list(args), factory)
        return Result(code, streams.stdout.getvalue(), streams.stderr.getvalue(), sleeps)

    return invoke


def trail(state: Path) -> list[dict[str, Any]]:
    path = state / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def record(state: Path, record_id: int) -> dict[str, Any]:
    return json.loads((state / "undo" / f"{record_id}.json").read_text())
