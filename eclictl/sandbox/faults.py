"""Fault injection for the sandbox: what a flaky network or a proxy in front of the panel does.

Two moments, like a proxy:
* before the panel (the default): error statuses, HTML pages, redirects, delays and broken
  connections answer instead of the panel; the handler never runs.
* after the panel (`forward=True`, and every fault that alters the real answer: `truncate`,
  `content_type`, `stall`): the handler runs and changes state, then the answer is replaced
  (a 502 after forwarding), lost (`drop`: a reset after forwarding), cut short, mislabelled, or
  sent slowly (headers and the first bytes, then nothing for `stall` seconds).
Connection-level faults cannot be a (status, headers, body) answer, so `handle()` raises
`ConnectionFault` and each transport turns it into its own failure; a stalled body is a `Stalled`
bytes value that each transport sends in two parts.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

REASONS = {301: "Moved Permanently", 302: "Found", 307: "Temporary Redirect", 308: "Permanent Redirect",
           400: "Bad Request", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error",
           502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}


class ConnectionFault(Exception):
    """The answer is a broken connection: kind is "drop", "timeout" or "connect"."""

    def __init__(self, kind: str, wait: float = 0.0) -> None:
        super().__init__(kind)
        self.kind = kind
        self.wait = wait


class Stalled(bytes):
    """A body whose first `at` bytes go out at once, the rest only after `seconds` (or a release)."""

    at: int
    seconds: float
    release: threading.Event

    def __new__(cls, data: bytes, *, at: int, seconds: float, release: threading.Event) -> "Stalled":
        obj = super().__new__(cls, data)
        obj.at, obj.seconds, obj.release = max(0, min(at, len(data))), seconds, release
        return obj


@dataclass
class Fault:
    method: str | None
    path: str | None
    status: int | None = None
    body: Any = None
    html: bool = False
    delay: float = 0.0
    drop: bool = False
    timeout: bool = False
    connect_error: bool = False
    times: int = 1
    after: int = 0
    forward: bool = False  # let the panel handle the request first, then fail
    redirect: str | None = None  # answer 3xx (status, default 301) with this Location
    truncate: int | None = None  # the real body cut to this many bytes (a consistent Content-Length)
    content_type: str | None = None  # the real body under this content type
    stall: float = 0.0  # send the real answer's first `stall_after` bytes, then nothing for this long
    stall_after: int = 0
    release: threading.Event = field(default_factory=threading.Event)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and (self.path is None
                                                                           or path.startswith(self.path))

    @property
    def after_handler(self) -> bool:
        """The handler runs first (the request reached the panel)."""
        return self.forward or self.truncate is not None or self.content_type is not None or self.stall > 0

    @property
    def replaces_answer(self) -> bool:
        return self.status is not None or self.body is not None or self.html or self.redirect is not None

    @property
    def delay_only(self) -> bool:
        """Only a delay was asked for: answer normally, just late (a slow panel)."""
        return not (self.replaces_answer or self.drop or self.timeout or self.connect_error)

    def answer(self) -> tuple[int, dict[str, str], bytes]:
        if self.redirect is not None:
            status = self.status or 301
            return status, {"content-type": "text/html", "location": self.redirect}, html_page(status)
        status = self.status or 500
        if self.html:
            return status, {"content-type": "text/html"}, html_page(status)
        if isinstance(self.body, str):
            return status, {"content-type": "text/plain;charset=utf-8"}, self.body.encode()
        body = self.body if self.body is not None else {"error": default_message(status)}
        return status, {"content-type": "application/json;charset=utf-8"}, json.dumps(body).encode()

    def after_answer(self, status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        """What the client gets once the panel has answered (status, headers, body)."""
        if self.connect_error or self.drop:
            raise ConnectionFault("drop")  # a reset after forwarding: the panel acted, the answer is lost
        if self.timeout:
            raise ConnectionFault("timeout")
        if self.replaces_answer:
            return self.answer()  # e.g. a 502 from the proxy after the panel handled the request
        headers = dict(headers)
        if self.truncate is not None:
            body = body[: self.truncate]
        if self.content_type is not None:
            headers["content-type"] = self.content_type
        if self.stall:
            body = Stalled(body, at=self.stall_after, seconds=self.stall, release=self.release)
        return status, headers, body


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
