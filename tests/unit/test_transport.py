"""ApiClient's connection pools: at most 8 connections per httpcore pool, one pool per group of threads."""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

import httpx

from eclictl.api.transport import SHARD_SIZE, ShardedTransport, pooled_mounts, pooled_transport


def test_up_to_eight_connections_keep_httpx_own_pool() -> None:
    assert SHARD_SIZE == 8
    assert pooled_mounts(1) is None and pooled_mounts(8) is None
    mounts = pooled_mounts(32)
    assert mounts is not None and list(mounts) == ["all://"]
    sharded = mounts["all://"]
    assert isinstance(sharded, ShardedTransport) and len(sharded.shards) == 4
    assert isinstance(pooled_transport(20), ShardedTransport) and len(pooled_transport(20).shards) == 3


def test_each_thread_keeps_one_pool_and_threads_spread_evenly() -> None:
    seen: dict[int, set[int]] = defaultdict(set)  # shard -> threads
    lock = threading.Lock()

    def recorder(shard: int) -> httpx.MockTransport:
        def handler(request: httpx.Request) -> httpx.Response:
            with lock:
                seen[shard].add(threading.get_ident())
            return httpx.Response(200, json={"shard": shard})
        return httpx.MockTransport(handler)

    transport = ShardedTransport([recorder(i) for i in range(4)])
    answers: dict[int, set[int]] = defaultdict(set)  # thread -> shards
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()  # all 8 threads alive at once: none reuses another's identity
        with httpx.Client(transport=transport) as client:
            for _ in range(5):
                shard = client.get("http://panel.test/x").json()["shard"]
                answers[threading.get_ident()].add(shard)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(len(shards) == 1 for shards in answers.values())  # a thread never switches pools
    assert sorted(len(threads_) for threads_ in seen.values()) == [2, 2, 2, 2]


def test_closing_the_client_closes_every_pool() -> None:
    closed: list[int] = []

    class Shard(httpx.MockTransport):
        def __init__(self, n: int) -> None:
            super().__init__(lambda r: httpx.Response(204))
            self.n = n

        def close(self) -> None:
            closed.append(self.n)

    client = httpx.Client(mounts={"all://": ShardedTransport([Shard(i) for i in range(3)])})
    client.close()
    assert sorted(closed) == [0, 1, 2]


def test_api_client_uses_split_pools_only_for_many_connections_and_never_around_an_injected_transport() -> None:
    from eclictl.api.client import ApiClient

    def mounted(client: Any) -> list[Any]:
        return [t for t in client._http._mounts.values() if isinstance(t, ShardedTransport)]

    assert mounted(ApiClient("http://panel.test", api_key="k", pool_size=8)) == []
    assert len(mounted(ApiClient("http://panel.test", api_key="k", pool_size=32))) == 1
    mock = httpx.MockTransport(lambda r: httpx.Response(200, json={}))
    assert mounted(ApiClient("http://panel.test", api_key="k", pool_size=32, transport=mock)) == []
