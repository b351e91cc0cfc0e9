"""The sandbox panel: one pure request handler, mounted as an httpx transport or a real HTTP server."""

from __future__ import annotations

import importlib
import json
import pkgutil
import random
import threading
import time
import traceback
from typing import TYPE_CHECKING, Any

from eclictl.sandbox import router
from eclictl.sandbox.faults import ConnectionFault, Fault, Stalled, html_page
from eclictl.sandbox.router import HttpError, Raw, Request
from eclictl.sandbox.state import State
from eclictl.settings_schema import FEATURE_PREFIXES

if TYPE_CHECKING:
    from eclictl.sandbox.server import ServerHandle

JSON_TYPE = "application/json;charset=utf-8"


_loaded = False
_load_lock = threading.Lock()


def load_routes() -> list[Any]:
    """Import every module in eclictl/sandbox/routes (once); returns them sorted by name."""
    global _loaded
    import eclictl.sandbox.routes as pkg

    mods = []
    with _load_lock:
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
            mods.append(importlib.import_module(f"eclictl.sandbox.routes.{info.name}"))
        _loaded = True
    return mods


def _flags(source: Any) -> dict[str, Any]:
    """The flags as the panel's gate sees them: through the 10 s flag cache (routes/settings.py).

    `source` is the State; a bare settings dict (older callers) is read directly, without the cache.
    """
    effective = None
    if not isinstance(source, dict):
        try:
            from eclictl.sandbox.routes.settings import effective_flags as effective
        except ImportError:  # pragma: no cover - settings routes absent: read the plain keys
            effective = None
    if effective is not None:
        return effective(source)
    settings = source if isinstance(source, dict) else (getattr(source, "settings", None) or {})
    merged: dict[str, Any] = {}
    for key in ("features", "featureFlags", "featureToggles", "panelFeatureToggles"):
        value = settings.get(key)
        if isinstance(value, dict):
            merged.update(value)
    return merged


class Sandbox:
    def __init__(self, seed: int = 0, latency_ms: int = 0, fault_rate: float = 0.0,
                 rate_limit: int | None = 500, users: int = 300, snapshot: bytes | None = None) -> None:
        """Seed a panel, or (`snapshot` from `Sandbox.snapshot()`) copy one without seeding again."""
        if snapshot is not None:
            import pickle

            load_routes()
            self.state, self.keys = pickle.loads(snapshot)
            seed = self.state.seed
        else:
            self._seed(seed, users)
        self.latency_ms = latency_ms
        self.fault_rate = fault_rate
        self.rate_limit = rate_limit
        self.requests: list[tuple[str, str, int]] = []
        self.errors: list[str] = []
        self.faults: list[Fault] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._rng = random.Random(f"faults:{seed}")
        self._windows: dict[str, tuple[float, int]] = {}
        #: A simulated upgrade renaming fields (eclictl/sandbox/drift.py); None = the panel as it is.
        self.drift: Any = None

    def simulate_drift(self, *specs: str) -> None:
        """Rename fields like an upgraded panel would: `simulate_drift("users.email=mail")`."""
        from eclictl.sandbox.drift import Drift

        self.drift = Drift.parse(list(specs))

    def _seed(self, seed: int, users: int) -> None:
        from eclictl.sandbox.seed import seed_core

        self.state = State(seed=seed)
        rng = random.Random(seed)
        self.keys: dict[str, str] = seed_core(self.state, rng, users)
        self.state.keys = self.keys
        for mod in load_routes():
            seed_fn = getattr(mod, "seed", None)
            if callable(seed_fn):
                seed_fn(self.state, random.Random(f"{seed}:{mod.__name__}"))

    def snapshot(self) -> bytes:
        """The state as bytes: `Sandbox(snapshot=...)` is a new panel in this state, without the cost of
        seeding (hundreds of contract replays each start from the same seeded panel). The copy runs on
        the wall clock; timestamps stay as they were."""
        import pickle

        return pickle.dumps((self.state, self.keys))

    # -- faults ---------------------------------------------------------------------------
    def inject_fault(self, *, method: str | None = None, path: str | None = None, status: int | None = None,
                     body: Any = None, html: bool = False, delay: float = 0.0, drop: bool = False,
                     timeout: bool = False, connect_error: bool = False, times: int = 1, after: int = 0,
                     forward: bool = False, redirect: str | None = None, truncate: int | None = None,
                     content_type: str | None = None, stall: float = 0.0, stall_after: int = 0) -> Fault:
        """One fault for the next `times` matching requests (after skipping `after` of them).

        See eclictl/sandbox/faults.py: `forward=True` (and truncate/content_type/stall) lets the
        panel handle the request first, so its state changes while the client sees the fault.
        """
        alters = truncate is not None or content_type is not None or stall or redirect is not None
        if status is None and body is None and not (html or drop or timeout or connect_error or delay or alters):
            status = 500
        if status is None and html:
            status = 503
        fault = Fault(method, path, status, body, html, delay, drop, timeout, connect_error, times, after,
                      forward=forward, redirect=redirect, truncate=truncate, content_type=content_type,
                      stall=stall, stall_after=stall_after)
        with self._lock:
            self.faults.append(fault)
        return fault

    def release_stalls(self) -> None:
        """Let every stalled answer finish (a server shutting down must not wait for them)."""
        with self._lock:
            for fault in self.faults:
                fault.release.set()

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times <= 0 or not fault.matches(method, path):
                    continue
                if fault.after > 0:
                    fault.after -= 1
                    continue
                fault.times -= 1
                return fault
        return None

    # -- the handler ----------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes,
               client: str = "127.0.0.1") -> tuple[int, dict[str, str], bytes]:
        method = method.upper()
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency_ms:
                time.sleep(self.latency_ms / 1000)
            status, out_headers, out_body = self._handle(method, path, query, headers, body, client)
            out_headers = {**out_headers, "date": self._date()}  # like any HTTP server (Bun sets it)
            if self.drift is not None:
                out_body = self.drift.apply(path, status, out_headers, out_body)
        except ConnectionFault:
            self._record(method, path, query, 0)
            raise
        finally:
            with self._lock:
                self.in_flight -= 1
        self._record(method, path, query, status)
        return status, out_headers, out_body

    def _date(self) -> str:
        """The Date header, from the sandbox clock (tests move it to rehearse a clock skew)."""
        from email.utils import formatdate

        return formatdate(self.state.now(), usegmt=True)

    def _record(self, method: str, path: str, query: dict[str, list[str]], status: int) -> None:
        from urllib.parse import urlencode

        suffix = f"?{urlencode(query, doseq=True)}" if query else ""
        with self._lock:
            self.requests.append((method, path + suffix, status))

    def _handle(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes,
                client: str) -> tuple[int, dict[str, str], bytes]:
        fault = self._take_fault(method, path)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.after_handler:
                return fault.after_answer(*self._panel(method, path, query, headers, body, client))
            if fault.connect_error:
                raise ConnectionFault("connect")
            if fault.timeout:
                raise ConnectionFault("timeout")
            if fault.drop:
                raise ConnectionFault("drop")
            if not fault.delay_only:
                return fault.answer()
        return self._panel(method, path, query, headers, body, client)

    def _panel(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes,
               client: str) -> tuple[int, dict[str, str], bytes]:
        """The panel itself: random faults, rate limit, feature gates, routing, auth, the handler."""
        if self.fault_rate and self._rng.random() < self.fault_rate:
            return 503, {"content-type": "text/html"}, html_page(503)
        limited = self._rate_limited(client)
        if limited is not None:
            return limited
        flags: dict[str, Any] | None = None
        for flag, prefixes in FEATURE_PREFIXES.items():
            if any(path.startswith(p) for p in prefixes):
                flags = _flags(self.state) if flags is None else flags
                if flags.get(flag) is False:
                    # The request hook runs before the i18n plugin, where `ctx.t` returns the key itself
                    # (backend/src/app.ts, backend/src/routes/index.ts): the body names no flag.
                    return self._json(503, {"error": "common.featureDisabled"})
        route, params, _ = router.match(method, path)
        if route is None:
            return self._json(404, {"error": "Route not found"})
        req = Request(method, path, query, {k.lower(): v for k, v in headers.items()}, body, self.state, params)
        try:
            if route.auth:
                from eclictl.sandbox.auth import authenticate, check_gate

                req.principal = authenticate(req)
                for kind, perm in route.gates:
                    check_gate(req.principal, kind, perm, self.state)
            with self.state.lock:
                result = route.handler(req)
        except HttpError as exc:
            status, payload = exc.status, exc.body
            out = self._json(status, payload)
            out[1].update(exc.headers)
            return out
        except Exception:  # noqa: BLE001 - the panel's global handler: 500 Internal server error
            self.errors.append(traceback.format_exc())
            return self._json(500, {"error": "Internal server error"})
        return self._result(result)

    def _rate_limited(self, client: str) -> tuple[int, dict[str, str], bytes] | None:
        if not self.rate_limit:
            return None
        now = self.state.now()
        with self._lock:
            start, count = self._windows.get(client, (now, 0))
            if now - start >= 60:
                start, count = now, 0
            count += 1
            self._windows[client] = (start, count)
        if count > self.rate_limit:
            return self._json(429, {"error": "Too many requests"})
        return None

    def _result(self, result: Any) -> tuple[int, dict[str, str], bytes]:
        if isinstance(result, Raw):
            return result.status, {"content-type": result.content_type, **result.headers}, result.body
        if result is None:
            return self._json(200, {"success": True})
        if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], int):
            status, payload = result
            if isinstance(payload, Raw):
                return status, {"content-type": payload.content_type, **payload.headers}, payload.body
            return self._json(status, payload)
        return self._json(200, result)

    @staticmethod
    def _json(status: int, payload: Any) -> tuple[int, dict[str, str], bytes]:
        return status, {"content-type": JSON_TYPE}, json.dumps(payload, default=str).encode()

    # -- mounts ---------------------------------------------------------------------------
    def transport(self) -> Any:
        import httpx
        from urllib.parse import parse_qs

        def handler(request: Any) -> Any:
            query = parse_qs(request.url.query.decode() if isinstance(request.url.query, bytes)
                             else str(request.url.query), keep_blank_values=True)
            try:
                status, headers, body = self.handle(request.method, request.url.path, query,
                                                    dict(request.headers), request.read(), "testclient")
            except ConnectionFault as exc:
                if exc.kind == "connect":
                    raise httpx.ConnectError("connection refused (injected)", request=request) from None
                if exc.kind == "timeout":
                    raise httpx.ReadTimeout("timed out (injected)", request=request) from None
                raise httpx.RemoteProtocolError("connection dropped (injected)", request=request) from None
            if isinstance(body, Stalled):
                # In memory nothing can wait on a socket: the stall is what the client's read timeout
                # turns it into, after the first bytes arrived.
                def stream(data: Stalled = body) -> Any:
                    yield bytes(data[: data.at])
                    raise httpx.ReadTimeout("no data (injected stall)", request=request)

                headers = {**headers, "content-length": str(len(body))}
                return httpx.Response(status, headers=headers, stream=_byte_stream(stream()))
            return httpx.Response(status, headers=headers, content=body)

        return httpx.MockTransport(handler)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> "ServerHandle":
        from eclictl.sandbox.server import start

        return start(self, host, port)


def _byte_stream(chunks: Any) -> Any:
    """An httpx sync byte stream over a generator (the MockTransport's stalled body)."""
    import httpx

    class Stream(httpx.SyncByteStream):
        def __iter__(self) -> Any:
            return iter(chunks)

    return Stream()
