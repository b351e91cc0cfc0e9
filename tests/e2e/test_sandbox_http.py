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


def test_32_workers_get_32_connections_at_once(served: Any) -> None:
    """ApiClient splits 32 connections into pools of 8 (api/transport.py): all 32 still run at once."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from eclictl.api.client import ApiClient

    panel, handle = served
    together = threading.Barrier(32, timeout=20)
    original = panel.handle

    def handle_together(*args: Any, **kwargs: Any) -> Any:
        together.wait()  # breaks (-> 500) unless 32 requests are at the sandbox at the same time
        return original(*args, **kwargs)

    panel.handle = handle_together
    api = ApiClient(handle.url, api_key=panel.keys["admin"], max_retries=0, pool_size=32)
    try:
        with ThreadPoolExecutor(32) as pool:
            bodies = list(pool.map(lambda i: api.get(f"/api/admin/users/{i + 1}/profile"), range(32)))
    finally:
        api.close()
    assert len(bodies) == 32 and all(isinstance(b, dict) for b in bodies) and not together.broken


def test_environment_proxy_still_applies_with_split_pools(served: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The split pools are mounted for all:// and yield to httpx's proxy mounts from the environment."""
    from eclictl.api.client import ApiClient

    panel, handle = served
    for var in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HTTP_PROXY", handle.url)  # the sandbox answers absolute-form requests as a proxy would
    api = ApiClient("http://panel.invalid", api_key=panel.keys["admin"], max_retries=0, pool_size=32)
    try:
        assert api.get("/api/admin/users/3/profile")
    finally:
        api.close()
    assert panel.requests[-1][:2] == ("GET", "/api/admin/users/3/profile")


def _self_signed(tmp_path: Any) -> tuple[str, str]:
    import shutil
    import subprocess

    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def test_tls_is_set_up_on_the_first_https_connection_and_still_verifies(
        served: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's TLS context is built lazily (api/transport.py), with httpx's own rules: verified,
    SSL_CERT_FILE honoured."""
    import ssl

    from eclictl.api.client import ApiClient
    from eclictl.api.errors import ApiConnectionError

    panel, handle = served
    plain = ApiClient(handle.url, api_key=panel.keys["admin"], max_retries=0)
    assert plain.get("/api/admin/users/3/profile")
    assert not plain._http._transport._pool._ssl_context.built  # plain HTTP never needed it
    plain.close()

    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = handle._server
    server.socket = context.wrap_socket(server.socket, server_side=True)
    https = handle.url.replace("http://", "https://")
    for var in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(var, raising=False)
    untrusted = ApiClient(https, api_key=panel.keys["admin"], max_retries=0)
    with pytest.raises(ApiConnectionError):
        untrusted.get("/api/admin/users/3/profile")  # a self-signed certificate is refused
    untrusted.close()
    monkeypatch.setenv("SSL_CERT_FILE", cert)
    trusted = ApiClient(https, api_key=panel.keys["admin"], max_retries=0, pool_size=16)
    try:
        assert trusted.get("/api/admin/users/3/profile")["id"] == 3
    finally:
        trusted.close()
