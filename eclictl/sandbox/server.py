"""The sandbox over real HTTP: a stdlib ThreadingHTTPServer on 127.0.0.1."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from eclictl.sandbox.faults import ConnectionFault, Stalled


class ServerHandle:
    """The running server: its URL, and `close()` (releases stalled answers, stops the thread)."""

    def __init__(self, server: Any, thread: threading.Thread, on_close: Any = None) -> None:
        self._server = server
        self._thread = thread
        self._on_close = on_close
        self.port = server.server_address[1]
        self.url = f"http://{server.server_address[0]}:{self.port}"

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def start(sandbox: Any, host: str, port: int) -> ServerHandle:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # One send per response: headers and body in separate small writes met Nagle's algorithm and
        # the client's delayed ACK (~40 ms per request). The buffer is flushed after each request.
        wbufsize = -1
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet server
            return

        _panel_date: Any = None

        def date_time_string(self, timestamp: Any = None) -> str:
            return self._panel_date or super().date_time_string(timestamp)

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            try:
                status, headers, payload = sandbox.handle(self.command, parts.path,
                                                          parse_qs(parts.query, keep_blank_values=True),
                                                          {k.lower(): v for k, v in self.headers.items()}, body,
                                                          self.client_address[0])
            except ConnectionFault:
                self.close_connection = True
                try:
                    self.connection.shutdown(2)
                except OSError:
                    pass
                return
            self._panel_date = headers.get("date")
            self.send_response(status)  # sends Date from date_time_string(): the panel's clock
            for k, v in headers.items():
                if k.lower() != "date":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command == "HEAD":
                return
            if isinstance(payload, Stalled):  # the first bytes now, the rest after the stall
                self.wfile.write(payload[: payload.at])
                self.wfile.flush()
                payload.release.wait(payload.seconds)
                try:
                    self.wfile.write(payload[payload.at:])
                except OSError:
                    self.close_connection = True  # the client gave up waiting
                return
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    # Polls for shutdown every 50 ms (default 0.5 s: each close, e.g. after every e2e test, waited that long).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="eclictl-sandbox",
                              daemon=True)
    thread.start()
    return ServerHandle(server, thread, on_close=getattr(sandbox, "release_stalls", None))
