"""The sandbox over real HTTP answers without a per-request stall.

It used to write the status line and headers, then the body, in two small writes: with Nagle's
algorithm on the server and the client's delayed ACK, every keep-alive request waited ~40 ms.
The bounds below are loose on purpose (a loaded 2-core machine): the stall was 40+ ms per request.
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Iterator

import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture
def served() -> Iterator[Any]:
    from eclictl.sandbox import Sandbox

    panel = Sandbox(seed=0, rate_limit=None)
    handle = panel.serve(port=0)
    try:
        yield panel, handle
    finally:
        handle.close()


def _median_ms(call: Any, n: int = 25) -> float:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples[3:])


def test_sequential_keep_alive_requests_do_not_stall(served: Any) -> None:
    from eclictl.api.client import ApiClient

    panel, handle = served
    api = ApiClient(handle.url, api_key=panel.keys["admin"], max_retries=0)
    try:
        get = _median_ms(lambda: api.get("/api/admin/users/3/profile"))
        put = _median_ms(lambda: api.put("/api/admin/users/3", {"inactive": False}))
    finally:
        api.close()
    assert panel.requests[-1] == ("PUT", "/api/admin/users/3", 200)
    assert get < 15 and put < 15, (get, put)


def test_configured_latency_is_the_only_wait(served: Any) -> None:
    from eclictl.api.client import ApiClient

    panel, handle = served
    panel.latency_ms = 20
    api = ApiClient(handle.url, api_key=panel.keys["admin"], max_retries=0)
    try:
        put = _median_ms(lambda: api.put("/api/admin/users/3", {"inactive": False}), n=15)
    finally:
        api.close()
    assert 20 <= put < 35, put
