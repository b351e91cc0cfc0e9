"""Fault injection for the sandbox: error statuses, HTML pages, delays and broken connections.

A fault is matched before anything else (rate limit, routing, auth), like a proxy in front of the
panel failing. Connection-level faults cannot be a (status, headers, body) answer, so `handle()`
raises `ConnectionFault` and each transport turns it into its own failure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

REASONS = {400: "Bad Request", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error",
           502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}


class ConnectionFault(Exception):
    """The answer is a broken connection: kind is "drop", "timeout" or "connect"."""

    def __init__(self, kind: str, wait: float = 0.0) -> None:
        super().__init__(kind)
        self.kind = kind
        self.wait = wait


@dataclass
class Fault:
    method: str | None
    path: str | None
    status: int | None
    body: Any
    html: bool
    delay: float
    drop: bool
    timeout: bool
    connect_error: bool
    times: int
    after: int

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and (self.path is None
                                                                           or path.startswith(self.path))

    @property
    def delay_only(self) -> bool:
        """Only a delay was asked for: answer normally, just late (a slow panel)."""
        return (self.status is None and self.body is None and not self.html and not self.drop
                and not self.timeout and not self.connect_error)

    def answer(self) -> tuple[int, dict[str, str], bytes]:
        status = self.status or 500
        if self.html:
            return status, {"content-type": "text/html"}, html_page(status)
        if isinstance(self.body, str):
            return status, {"content-type": "text/plain;charset=utf-8"}, self.body.encode()
        body = self.body if self.body is not None else {"error": default_message(status)}
        return status, {"content-type": "application/json;charset=utf-8"}, json.dumps(body).encode()


def default_message(status: int) -> str:
    if status >= 500:
        return "Internal server error"
    if status == 429:
        return "Too many requests"
    if status == 404:
        return "Route not found"
    return "Request error"


def html_page(status: int) -> bytes:
    """The nginx error page a reverse proxy shows when the backend is down."""
    title = f"{status} {REASONS.get(status, 'Error')}"
    return (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
            f"<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n").encode()
