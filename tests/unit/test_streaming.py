"""Issue #9: `list --all` writes each page as it arrives (constant memory), in every streamable format."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest

from eclictl.context import Factory, IOStreams
from eclictl.main import run


def _run_watching_last_page(sandbox: Any, config_dir: Any, args: list[str]) -> tuple[int, str, list[str]]:
    """Run the CLI; snapshot stdout when the request for the last users page arrives."""
    streams = IOStreams(io.StringIO(), io.StringIO(), io.StringIO(), False, False, False)
    base = sandbox.transport()
    total = len(sandbox.state.users)
    last_page = (total + 49) // 50
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/admin/users" and request.url.params.get("page") == str(last_page):
            seen.append(streams.stdout.getvalue())
        return base.handle_request(request)

    env = {"ECLICTL_CONFIG_DIR": str(config_dir), "ECLICTL_URL": "http://sandbox.localhost",
           "ECLICTL_API_KEY": sandbox.keys["admin"]}
    code = run(args, Factory(io=streams, env=env, transport=httpx.MockTransport(handler), sleep=lambda s: None))
    assert seen, "the last page was never requested"
    return code, streams.stdout.getvalue(), seen


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "ids", "tsv"])
def test_rows_are_written_before_the_last_page_is_served(sandbox: Any, isolated_config: Any, fmt: str) -> None:
    code, out, seen = _run_watching_last_page(sandbox, isolated_config, ["users", "list", "--all", "-o", fmt])
    assert code == 0
    total = len(sandbox.state.users)
    header = 1 if fmt == "csv" else 0  # tsv on a pipe has no header (like kubectl --no-headers)
    assert len(out.splitlines()) == total + header
    before_last = len(seen[0].splitlines()) - header
    assert before_last >= total - 50  # every earlier page was already out when the last was asked for


def test_json_all_streams_a_valid_array(sandbox: Any, isolated_config: Any) -> None:
    code, out, seen = _run_watching_last_page(sandbox, isolated_config, ["users", "list", "--all", "-o", "json"])
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == len(sandbox.state.users) and len({r["id"] for r in rows}) == len(rows)
    assert seen[0].lstrip().startswith("[") and seen[0].count('"email"') >= len(rows) - 50
