"""The HTTP transport behind ApiClient: connection pools of at most 8, one per group of threads.

httpcore's pool does O(connections) work on every request and on every response close, and
for each idle connection that work is a poll() syscall (`has_expired`). With 32 bulk workers on one
pool of 32, that bookkeeping doubled the client's CPU per request (~0.65 -> ~1.2 ms) and, under the
interpreter lock, capped a run near 600 requests/s whatever the latency. Several small pools, each
thread keeping the one it was given, keep the bookkeeping constant (bench/bulk.py shows the figures).

ApiClient mounts it for "all://" (only when it needs more than SHARD_SIZE connections), so proxies
from the environment keep their own transports exactly as httpx sets them up.

Every transport of a client shares one TLS context, built on the first https connection: httpx
builds one per transport up front (loading the CA bundle, ~10-20 ms each), which a command talking
to a plain-HTTP panel (the sandbox, an internal panel) never uses.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

import httpx

#: Connections per pool: up to this many, one pool behaves as before.
SHARD_SIZE = 8


class LazyTLSContext:
    """Stands for the `ssl.SSLContext` httpx would build (`verify=True`: certifi, or SSL_CERT_FILE /
    SSL_CERT_DIR from the environment), and builds it when a TLS connection first needs it."""

    def __init__(self) -> None:
        self._context: Any = None
        self._lock = threading.Lock()

    @property
    def built(self) -> bool:
        return self._context is not None

    def __getattr__(self, name: str) -> Any:
        with self._lock:
            if self._context is None:
                self._context = httpx.create_ssl_context(verify=True, trust_env=True)
        return getattr(self._context, name)


def pooled_mounts(pool_size: int, verify: Any = True) -> dict[str, httpx.BaseTransport] | None:
    """httpx `mounts` for `pool_size` connections; None (httpx's own pool) up to SHARD_SIZE."""
    return {"all://": pooled_transport(pool_size, verify)} if pool_size > SHARD_SIZE else None


def pooled_transport(pool_size: int, verify: Any = True) -> httpx.BaseTransport:
    """One httpx transport holding `pool_size` connections in pools of at most SHARD_SIZE."""
    pool_size = max(1, pool_size)
    shards = -(-pool_size // SHARD_SIZE)
    if shards == 1:
        return _transport(pool_size, verify)
    return ShardedTransport([_transport(-(-pool_size // shards), verify) for _ in range(shards)])


def _transport(size: int, verify: Any) -> httpx.HTTPTransport:
    return httpx.HTTPTransport(verify=verify,
                               limits=httpx.Limits(max_connections=size, max_keepalive_connections=size))


class ShardedTransport(httpx.BaseTransport):
    """Sends each thread's requests through one of several transports, given out in turn.

    Threads are spread evenly (thread i gets pool i mod n), so N workers on n pools of N/n
    connections never wait for a connection while another pool has one idle.
    """

    def __init__(self, shards: list[httpx.BaseTransport]) -> None:
        self.shards = shards
        self._turn = itertools.count()
        self._local = threading.local()

    def _shard(self) -> httpx.BaseTransport:
        shard = getattr(self._local, "shard", None)
        if shard is None:
            shard = self._local.shard = self.shards[next(self._turn) % len(self.shards)]
        return shard

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._shard().handle_request(request)

    def close(self) -> None:
        for shard in self.shards:
            shard.close()
