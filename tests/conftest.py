"""Shared fixtures: a fresh sandbox panel per test, and `cli(...)` to run eclictl against it.

`cli` runs the real command tree in-process through eclictl.main.run with the sandbox mounted
as an httpx.MockTransport (fast); tests/e2e runs the installed binary over real HTTP.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest

SANDBOX_URL = "http://sandbox.localhost"  # a loopback name (RFC 6761): no plain-http key warning


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str
    sleeps: list[float] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.stdout)

    def jsonl(self) -> list[Any]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    def __repr__(self) -> str:  # shown by pytest on failed asserts
        return f"Result(exit_code={self.exit_code}, stdout={self.stdout[:2000]!r}, stderr={self.stderr[:2000]!r})"


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Never touch the developer's real config (simonw/llm's LLM_USER_PATH pattern)."""
    path = tmp_path / "eclictl-config"
    monkeypatch.setenv("ECLICTL_CONFIG_DIR", str(path))
    monkeypatch.setenv("ECLICTL_STATE_DIR", str(tmp_path / "eclictl-state"))  # audit trail, undo records
    for var in ("ECLICTL_URL", "ECLICTL_API_KEY", "ECLICTL_PROFILE", "ECLICTL_OUTPUT", "ECLICTL_REDACT",
                "ECLICTL_DEBUG", "ECLICTL_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    return path


@pytest.fixture
def sandbox() -> Any:
    from eclictl.sandbox import Sandbox

    return Sandbox(seed=0)


@pytest.fixture
def cli(sandbox: Any, isolated_config: Any) -> Callable[..., Result]:
    return make_cli(sandbox, isolated_config)


def make_cli(sandbox: Any, config_dir: Any) -> Callable[..., Result]:
    from eclictl.context import Factory, IOStreams
    from eclictl.main import run

    def invoke(*args: str, stdin: str = "", tty: bool = False, key: str | None = "admin",
               env: dict[str, str] | None = None, url: str | None = SANDBOX_URL, transport: Any = None,
               browser: list[str] | None = None, clock: Callable[[], float] | None = None) -> Result:
        streams = IOStreams(io.StringIO(stdin), io.StringIO(), io.StringIO(), tty, tty, tty)
        environ = {"ECLICTL_CONFIG_DIR": str(config_dir),
                   "ECLICTL_STATE_DIR": os.environ.get("ECLICTL_STATE_DIR") or str(config_dir) + "-state"}
        if url:
            environ["ECLICTL_URL"] = url
        if key:
            environ["ECLICTL_API_KEY"] = sandbox.keys[key] if key in sandbox.keys else key
        environ.update(env or {})
        sleeps: list[float] = []
        opened = browser if browser is not None else []
        factory = Factory(io=streams, env=environ, transport=transport or sandbox.transport(),
                          sleep=sleeps.append, open_browser=lambda u: opened.append(u) or True,
                          **({"clock": clock} if clock is not None else {}))
        code = run(list(args), factory)
        return Result(code, streams.stdout.getvalue(), streams.stderr.getvalue(), sleeps)

    return invoke
