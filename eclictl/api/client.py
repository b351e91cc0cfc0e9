"""The one authenticated client: the only module that imports httpx."""

from __future__ import annotations

import json
import random
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

import httpx

from eclictl import __version__
from eclictl.api import retry
from eclictl.api.errors import (
    ApiConnectionError,
    ApiStatusError,
    ApiTimeoutError,
    error_for_status,
)
from eclictl.api.pagination import PageSpec, iterate_pages

#: Never reach a renderer, whatever the flags (../shared/api/README.md §12 rule 1).
ALWAYS_STRIP = frozenset({
    "passwordHash", "sessions", "twoFactorSecret", "twoFactorRecoveryCodes", "shareToken",
    "clientSecretHash", "rootPassword", "proxmoxSecret",
})
#: Secret values that a few commands exist to show once (API key creation, node tokens...).
SECRET_FIELDS = frozenset({"apiKey", "token", "tokenId", "tempToken", "csrfToken", "clientSecret",
                           "secret", "daemonToken", "proxmoxTokenId", "password", "rootPassword"})
_HEX_KEY = re.compile(r"^[0-9a-f]{64}$")
_TITLE = re.compile(r"<title>(.*?)</title>", re.I | re.S)


def strip_secrets(data: Any, *, keep: frozenset[str] = frozenset()) -> Any:
    """A copy without secret fields; `keep` names fields a command exists to show."""
    if isinstance(data, dict):
        out = {}
        for k, v in data.items():
            if k in ALWAYS_STRIP:
                continue
            if k in SECRET_FIELDS and k not in keep:
                continue
            if k == "key" and isinstance(v, str) and _HEX_KEY.match(v) and "key" not in keep:
                continue  # an API key's plaintext value
            out[k] = strip_secrets(v, keep=keep)
        return out
    if isinstance(data, list):
        return [strip_secrets(v, keep=keep) for v in data]
    return data


@dataclass
class ApiResponse:
    status: int
    headers: Mapping[str, str]
    data: Any  # decoded JSON with secrets stripped, or None
    text: str  # the raw body text ("" for binary)
    is_json: bool
    elapsed_ms: float


def normalise_base_url(url: str) -> str:
    """Accept both `https://panel` and `https://panel/api`: paths in code start with /api."""
    url = url.strip().rstrip("/")
    if url.endswith("/api"):
        url = url[: -len("/api")]
    return url


class ApiClient:
    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        token: str | None = None,
        csrf_token: str | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 5.0,
        max_retries: int = 3,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        log: Callable[[str], None] | None = None,
        pool_size: int = 8,
    ) -> None:
        self.base_url = normalise_base_url(base_url)
        self.max_retries = max_retries
        self._sleep = sleep
        self._log = log
        self._rng = random.Random()
        self._lock = threading.Lock()
        self.request_count = 0
        #: Set by the bulk runner for the length of a run: every request (retries too) takes a slot
        #: from it, so a run stays under the panel's per-IP budget however many requests an item needs.
        self.pacer: Any = None
        headers = {"User-Agent": f"eclictl/{__version__}", "Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"ApiKey {api_key}"
        elif token:
            headers["Authorization"] = f"Bearer {token}"
            if csrf_token:
                headers["X-CSRF-Token"] = csrf_token
        self._secrets = [s for s in (api_key, token, csrf_token) if s]
        from eclictl.api.transport import LazyTLSContext, pooled_mounts  # see api/transport.py

        tls = LazyTLSContext()  # one for all connections, built on the first https one
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(connect_timeout, timeout)),
            verify=tls,  # type: ignore[arg-type]
            transport=transport,
            mounts=pooled_mounts(pool_size, tls) if transport is None else None,
            limits=httpx.Limits(max_connections=max(pool_size, 1), max_keepalive_connections=max(pool_size, 1)),
            follow_redirects=False,
        )

    # -- plumbing -----------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def _emit_log(self, line: str) -> None:
        if self._log is None:
            return
        for secret in self._secrets:
            line = line.replace(secret, "****")
        self._log(line)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        keep: frozenset[str] = frozenset(),
        raise_for_status: bool = True,
        timeout: float | None = None,
    ) -> ApiResponse:
        """One logical request with safe retries; errors become the ApiError tree."""
        method = method.upper()
        if not path.startswith("/"):
            path = "/" + path
        clean_params = {k: v for k, v in (params or {}).items() if v is not None}
        attempt = 0
        while True:
            if self.pacer is not None:
                self.pacer.acquire()
            started = time.monotonic()
            self._emit_log(f"→ {method} {path}{_query_suffix(clean_params)}")
            try:
                with self._lock:
                    self.request_count += 1
                kwargs: dict[str, Any] = {"params": clean_params, "headers": dict(headers or {})}
                if json_body is not None:
                    kwargs["content"] = json.dumps(json_body).encode()
                    kwargs["headers"]["Content-Type"] = "application/json"
                elif content is not None:
                    kwargs["content"] = content
                if timeout is not None:
                    kwargs["timeout"] = timeout
                resp = self._http.request(method, path, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # Nothing reached the panel: any method may be retried.
                if attempt < self.max_retries:
                    self._wait(attempt, None, None, f"connect error ({type(exc).__name__})")
                    attempt += 1
                    continue
                raise ApiConnectionError(
                    f"cannot reach the panel at {self.base_url}: {_describe(exc)}",
                    hint="check --url / ECLICTL_URL and that the panel is up (`eclictl ping`)",
                ) from None
            except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.ReadError, httpx.WriteError,
                    httpx.RemoteProtocolError) as exc:
                if attempt < self.max_retries and retry.may_retry_read_error(method):
                    self._wait(attempt, None, None, f"read error ({type(exc).__name__})")
                    attempt += 1
                    continue
                timed_out = isinstance(exc, (httpx.ReadTimeout, httpx.WriteTimeout))
                cls = ApiTimeoutError if timed_out else ApiConnectionError
                sent_note = "" if retry.may_retry_read_error(method) else \
                    " (not retried: the request may have reached the panel; check its state before re-running)"
                raise cls(f"{method} {path}: {'timed out' if timed_out else 'connection lost'}{sent_note}",
                          hint="raise --timeout for slow routes" if timed_out else None) from None
            except httpx.HTTPError as exc:
                raise ApiConnectionError(f"{method} {path}: {_describe(exc)}") from None

            elapsed_ms = (time.monotonic() - started) * 1000
            result = self._decode(resp, keep, elapsed_ms)
            self._emit_log(f"← {resp.status_code} {method} {path} ({elapsed_ms:.0f} ms, {len(resp.content)} B)")
            if resp.status_code < 400 or not raise_for_status:
                return result
            error = self._error(method, path, resp, result)
            is_feature_off = type(error).__name__ == "ApiFeatureDisabledError"
            if (attempt < self.max_retries and not is_feature_off
                    and retry.may_retry_status(method, resp.status_code)):
                retry_after = retry.parse_retry_after(resp.headers.get("Retry-After"))
                self._wait(attempt, resp.status_code, retry_after, f"HTTP {resp.status_code}")
                attempt += 1
                continue
            raise error

    def _wait(self, attempt: int, status: int | None, retry_after: float | None, why: str) -> None:
        delay = retry.backoff(attempt, status=status, retry_after=retry_after, rng=self._rng)
        if status == 429 and self.pacer is not None:
            self.pacer.pause(delay)  # the panel's window is full: hold every worker, not just this one
        self._emit_log(f"  retry {attempt + 1}/{self.max_retries} after {why}: waiting {delay:.1f} s")
        self._sleep(delay)

    @staticmethod
    def _decode(resp: httpx.Response, keep: frozenset[str], elapsed_ms: float) -> ApiResponse:
        ctype = resp.headers.get("content-type", "")
        data: Any = None
        is_json = False
        text = ""
        if "json" in ctype or (not ctype and resp.content[:1] in (b"{", b"[")):
            try:
                data = strip_secrets(resp.json(), keep=keep)
                is_json = True
            except ValueError:
                pass
        if not is_json and not ctype.startswith(("application/gzip", "application/pdf",
                                                  "application/octet-stream")):
            text = resp.text
        return ApiResponse(resp.status_code, resp.headers, data, text, is_json, elapsed_ms)

    @staticmethod
    def _error(method: str, path: str, resp: httpx.Response, result: ApiResponse) -> ApiStatusError:
        message = None
        if result.is_json and isinstance(result.data, dict):
            raw = result.data.get("error") or result.data.get("message")
            if isinstance(raw, str) and raw:
                message = raw
                extra = result.data.get("message")
                if isinstance(extra, str) and extra and extra != raw:
                    message = f"{raw}: {extra}"
        if message is None:
            reason = resp.reason_phrase or "error"
            if "html" in resp.headers.get("content-type", "") or result.text.lstrip().startswith("<"):
                title = _TITLE.search(result.text)
                what = f" ({' '.join(title.group(1).split())})" if title else ""
                message = f"HTTP {resp.status_code} {reason} from a proxy or the panel: HTML error page{what}"
            elif result.text.strip():
                message = f"HTTP {resp.status_code} {reason}: {result.text.strip()[:200]}"
            else:
                message = f"HTTP {resp.status_code} {reason} (empty body)"
        return error_for_status(resp.status_code, message, method=method, path=path,
                                body=result.data if result.is_json else result.text)

    # -- conveniences -------------------------------------------------------------------
    def get(self, path: str, params: Mapping[str, Any] | None = None, **kw: Any) -> Any:
        return self.request("GET", path, params=params, **kw).data

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("POST", path, json_body=body, **kw).data

    def put(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("PUT", path, json_body=body, **kw).data

    def patch(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("PATCH", path, json_body=body, **kw).data

    def delete(self, path: str, params: Mapping[str, Any] | None = None, **kw: Any) -> Any:
        return self.request("DELETE", path, params=params, **kw).data

    def pages(self, path: str, spec: PageSpec, params: Mapping[str, Any] | None = None, *,
              start_page: int | None = None, single_page: bool = False) -> Iterator[list[Any]]:
        """Each page's items as it arrives (constant memory for streaming output)."""
        return iterate_pages(lambda p, q: self.get(p, q), path, spec, dict(params or {}),
                             start_page=start_page, single_page=single_page)

    def iterate(self, path: str, spec: PageSpec, params: Mapping[str, Any] | None = None, *,
                limit: int | None = None, start_page: int | None = None,
                single_page: bool = False) -> Iterator[Any]:
        count = 0
        for page in self.pages(path, spec, params, start_page=start_page, single_page=single_page):
            for item in page:
                if limit is not None and count >= limit:
                    return
                yield item
                count += 1

    def download(self, path: str, dest: Any, *, params: Mapping[str, Any] | None = None,
                 on_progress: Callable[[int, int | None], None] | None = None,
                 on_headers: Callable[[Mapping[str, str]], None] | None = None) -> tuple[int, str | None]:
        """Stream a binary body to an open file; returns (bytes, content-disposition filename).

        `on_headers` sees the success response's headers first (e.g. `X-Truncated` on log exports).
        """
        self._emit_log(f"→ GET {path} (download)")
        try:
            with self._http.stream("GET", path, params=params, timeout=httpx.Timeout(None, connect=5.0)) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    raise self._error("GET", path, resp, self._decode(resp, frozenset(), 0))
                if on_headers:
                    on_headers(resp.headers)
                total = int(resp.headers["content-length"]) if "content-length" in resp.headers else None
                written = 0
                for chunk in resp.iter_bytes(65536):
                    dest.write(chunk)
                    written += len(chunk)
                    if on_progress:
                        on_progress(written, total)
                disposition = resp.headers.get("content-disposition", "")
                m = re.search(r'filename="?([^";]+)"?', disposition)
                return written, (m.group(1) if m else None)
        except httpx.HTTPError as exc:
            raise ApiConnectionError(f"GET {path}: {_describe(exc)}") from None


def _query_suffix(params: Mapping[str, Any]) -> str:
    if not params:
        return ""
    from urllib.parse import urlencode

    return "?" + urlencode({k: v for k, v in params.items()}, doseq=True)


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]
