"""The one authenticated client: the only module that imports httpx."""

from __future__ import annotations

import json
import random
import re
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator, Mapping

import httpx

from eclictl import __version__
from eclictl.api import retry, writes
from eclictl.api.errors import (
    ApiBadResponseError,
    ApiConnectionError,
    ApiRedirectError,
    ApiStatusError,
    ApiTimeoutError,
    error_for_status,
)
from eclictl.api.pagination import PageSpec, iterate_pages, rows_of
from eclictl.output.redact import refuse_masked
from eclictl.api.secrets import ALWAYS_STRIP, SECRET_FIELDS, scrub_text, strip_secrets

__all__ = ["ALWAYS_STRIP", "SECRET_FIELDS", "ApiClient", "ApiResponse", "scrub_text", "strip_secrets"]

_TITLE = re.compile(r"<title>(.*?)</title>", re.I | re.S)
_BINARY_TYPES = ("application/gzip", "application/pdf", "application/octet-stream")
#: The panel's answer for a handler that returned an ORM entity (eggs, mounts, rollouts, AI models):
#: 200/201 text/plain with this literal text. The write worked; the caller re-reads what it needs.
BARE_ENTITY = "[object Object]"
_NOT_SENT_AGAIN = " after it may have reached the panel; not sent again (it may have been applied: check before re-running)"


@dataclass
class ApiResponse:
    status: int
    headers: Mapping[str, str]
    data: Any  # decoded JSON with secrets stripped, or None
    text: str  # the raw body text ("" for binary)
    is_json: bool
    elapsed_ms: float
    #: The known text/plain `[object Object]` success answer (data is None: re-read to see the result).
    bare_entity: bool = False
    #: A DELETE answered 404 after an earlier attempt may have reached the panel: already gone, done.
    gone: bool = False


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
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout, timeout)
        self._sleep = sleep
        self._log = log
        self._rng = random.Random()
        self._lock = threading.Lock()
        self.request_count = 0
        #: Set by the bulk runner for the length of a run: every request (retries too) takes a slot
        #: from it, so a run stays under the panel's per-IP budget however many requests an item needs.
        self.pacer: Any = None
        #: Set by the context in privacy mode: sees every decoded JSON body (to learn people's names).
        self.observe: Callable[[Any], None] | None = None
        #: Told about every POST/PUT/PATCH/DELETE (eclictl/safety/run.py): `before_write(method, path)`
        #: may refuse (a protected profile's gate), `after_write(method, path, status, error)` records it.
        self.write_observer: Any = None
        #: Told about every page of a paginated fetch (eclictl/output/progress.py): progress, first-page note.
        self.page_reporter: Any = None
        #: Set by the context with -v: gets a summary of every answer (eclictl/api/reqlog.py), the
        #: persistent side of the -v log that `doctor --bundle` attaches.
        self.record: Callable[[dict[str, Any]], None] | None = None
        #: Sees every answer's status and headers (`eclictl doctor` reads rate-limit headers from it).
        self.on_response: Callable[[int, Mapping[str, str]], None] | None = None
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

    def request(self, method: str, path: str, **kwargs: Any) -> ApiResponse:
        """One logical request; a write is reported to the observer before it is sent and after."""
        observer = self.write_observer
        if observer is None or method.upper() in ("GET", "HEAD", "OPTIONS"):
            return self._request(method, path, **kwargs)
        shown = path if path.startswith("/") else "/" + path
        observer.before_write(method.upper(), shown)
        try:
            result = self._request(method, path, **kwargs)
        except ApiStatusError as exc:
            observer.after_write(method.upper(), shown, getattr(exc, "status", None), exc)
            raise
        except Exception as exc:
            observer.after_write(method.upper(), shown, None, exc)
            raise
        observer.after_write(method.upper(), shown, result.status, None)
        return result

    def _request(
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
        expect_json: bool = True,
    ) -> ApiResponse:
        """One logical request with safe retries; errors become the ApiError tree.

        A success status must carry JSON (or the panel's known `[object Object]` text) unless
        `expect_json` is False: anything else raises ApiBadResponseError, never "no rows".
        A write is sent again only when it never reached a handler, or when api/writes.txt declares
        its route repeatable.
        """
        method = method.upper()
        if not path.startswith("/"):
            path = "/" + path
        clean_params = {k: v for k, v in (params or {}).items() if v is not None}
        if json_body is not None and method not in ("GET", "HEAD"):
            refuse_masked(json_body, method=method, path=path)  # never write a privacy mask back
        is_write = method in writes.WRITE_METHODS
        resend_ok = writes.may_resend(method, path)
        reached = False  # an earlier attempt may have reached the panel's handler
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
                if self.record is not None:
                    self._record(method, path, clean_params, 0, (time.monotonic() - started) * 1000, 0,
                                 error=type(exc).__name__)
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
                reached = True  # sent (or partly sent): the handler may have run
                if self.record is not None:
                    self._record(method, path, clean_params, 0, (time.monotonic() - started) * 1000, 0,
                                 error=type(exc).__name__)
                if attempt < self.max_retries and resend_ok:
                    self._wait(attempt, None, None, f"read error ({type(exc).__name__})")
                    attempt += 1
                    continue
                timed_out = isinstance(exc, (httpx.ReadTimeout, httpx.WriteTimeout))
                cls = ApiTimeoutError if timed_out else ApiConnectionError
                note = _NOT_SENT_AGAIN if is_write and not resend_ok else ""
                raise cls(f"{method} {path}: {'timed out' if timed_out else 'connection lost'}{note}",
                          hint="raise --timeout for slow routes" if timed_out else None) from None
            except httpx.HTTPError as exc:
                raise ApiConnectionError(f"{method} {path}: {_describe(exc)}") from None

            elapsed_ms = (time.monotonic() - started) * 1000
            result = self._decode(resp, keep, elapsed_ms)
            if self.observe is not None and result.is_json:
                self.observe(result.data)
            status = resp.status_code
            self._emit_log(f"← {status} {method} {path} ({elapsed_ms:.0f} ms, {len(resp.content)} B)")
            if self.record is not None:
                self._record(method, path, clean_params, status, elapsed_ms, len(resp.content), result)
            if self.on_response is not None:
                self.on_response(status, resp.headers)
            if 300 <= status < 400:
                raise self.redirect_error(method, path, resp)  # never a success, whoever asks
            if status < 400:
                if expect_json and not _usable(method, result):
                    raise self._bad_response(method, path, resp, result)
                return result
            if status == 404 and method == "DELETE" and reached:
                # The earlier attempt deleted it before the answer was lost: gone means done.
                self._emit_log(f"  {method} {path}: 404 after a resend: an earlier attempt deleted it; done")
                return replace(result, gone=True)
            if not raise_for_status:
                return result
            error = self._error(method, path, resp, result)
            is_feature_off = type(error).__name__ == "ApiFeatureDisabledError"
            if status >= 500 and not is_feature_off:
                reached = True
            if (attempt < self.max_retries and not is_feature_off
                    and retry.may_retry_status(method, status, path)):
                retry_after = retry.parse_retry_after(resp.headers.get("Retry-After"))
                self._wait(attempt, status, retry_after, f"HTTP {status}")
                attempt += 1
                continue
            if error.panel_key:
                self._emit_log(f"  panel message key: {error.panel_key}")
            if is_write and status >= 500 and not is_feature_off and not resend_ok:
                error.message += _NOT_SENT_AGAIN
            raise error

    def _record(self, method: str, path: str, params: Mapping[str, Any], status: int, elapsed_ms: float,
                size: int, result: ApiResponse | None = None, error: str | None = None) -> None:
        from eclictl.api.reqlog import summary

        try:
            entry = summary(method, path, params, status, elapsed_ms, size,
                            body=result.data if result is not None else None,
                            is_json=bool(result is not None and result.is_json), error=error)
            for secret in self._secrets:
                entry["path"] = entry["path"].replace(secret, "****")
            self.record(entry)  # type: ignore[misc]
        except Exception:  # noqa: BLE001 - the log is a help, never a failure
            pass

    def _wait(self, attempt: int, status: int | None, retry_after: float | None, why: str) -> None:
        delay = retry.backoff(attempt, status=status, retry_after=retry_after, rng=self._rng)
        if status == 429 and self.pacer is not None:
            self.pacer.pause(delay)  # the panel's window is full: hold every worker, not just this one
        self._emit_log(f"  retry {attempt + 1}/{self.max_retries} after {why}: waiting {delay:.1f} s")
        self._sleep(delay)

    @staticmethod
    def _decode(resp: httpx.Response, keep: frozenset[str], elapsed_ms: float) -> ApiResponse:
        """Decode and strip: JSON is parsed whatever the content type says, so no label hides a secret."""
        ctype = resp.headers.get("content-type", "").lower()
        if ctype.startswith(_BINARY_TYPES):
            return ApiResponse(resp.status_code, resp.headers, None, "", False, elapsed_ms)
        raw = resp.text
        body = raw.lstrip("\ufeff \t\r\n")
        data: Any = None
        is_json = False
        if "json" in ctype or body[:1] in ("{", "["):
            try:
                data = strip_secrets(json.loads(body), keep=keep)
                is_json = True
            except ValueError:
                pass
        text = "" if is_json else scrub_text(raw, keep=keep)
        bare = not is_json and raw.strip() == BARE_ENTITY
        return ApiResponse(resp.status_code, resp.headers, data, text, is_json, elapsed_ms, bare_entity=bare)

    def redirect_error(self, method: str, path: str, resp: httpx.Response) -> ApiRedirectError:
        """Any 3xx: name the Location; the usual cause is an http:// URL that redirects to https://."""
        from urllib.parse import urljoin, urlsplit

        location = resp.headers.get("location")
        target = scrub_text(urljoin(str(resp.request.url), location)) if location else None
        where = f"a redirect to {target}" if target else "a redirect without a Location"
        message = (f"{method} {path}: the panel answered HTTP {resp.status_code} with {where}; eclictl does "
                   f"not follow redirects, so the request was not carried out")
        hint = "check the panel URL (--url / ECLICTL_URL / `eclictl config set url`)"
        if target:
            base, dest = urlsplit(self.base_url), urlsplit(target)
            new_base = f"{dest.scheme}://{dest.netloc}"
            prefix = dest.path[: -len(path)] if dest.path.endswith(path) else ""
            new_base += prefix.rstrip("/")
            if dest.hostname == base.hostname and dest.scheme == "https" and base.scheme == "http":
                hint = (f"the panel redirects to {new_base}: use that URL (--url {new_base}, or "
                        f"`eclictl config set url {new_base}`)")
            else:
                hint = f"the panel URL redirects to {new_base}: if that is the panel, use that URL"
        return ApiRedirectError(message, status=resp.status_code, location=target, hint=hint)

    @staticmethod
    def _bad_response(method: str, path: str, resp: httpx.Response, result: ApiResponse) -> ApiBadResponseError:
        """A success status whose body is not the JSON asked for: say what arrived instead."""
        ctype = resp.headers.get("content-type", "").split(";")[0].strip() or "no content type"
        raw = result.text
        size = len(resp.content)
        hint = None
        if not raw.strip():
            what = "an empty body"
        elif "html" in ctype or raw.lstrip().startswith("<"):
            title = _TITLE.search(raw)
            what = f"an HTML page{' (' + ' '.join(title.group(1).split())[:80] + ')' if title else ''}"
            hint = "a proxy or a login page answers in place of the panel API: check the panel URL"
        elif "json" in ctype or raw.lstrip()[:1] in ("{", "["):
            try:
                json.loads(raw)
                reason = "not JSON"
            except ValueError as exc:
                reason = str(exc).split(":")[0]
            what = f"JSON that is cut short or damaged ({size} bytes: {reason})"
            hint = "the answer was damaged on the way (a proxy or a dropped connection): nothing was read; run it again"
        else:
            snippet = " ".join(raw.split())[:80]
            what = f"{ctype} text ('{snippet}')"
        return ApiBadResponseError(f"{method} {path}: the panel answered HTTP {resp.status_code} with {what} "
                                   f"where JSON was expected", hint=hint)

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
                message = scrub_text(message)
        if message is None:
            reason = resp.reason_phrase or "error"
            if "html" in resp.headers.get("content-type", "") or result.text.lstrip().startswith("<"):
                title = _TITLE.search(result.text)
                what = f" ({' '.join(title.group(1).split())})" if title else ""
                message = f"HTTP {resp.status_code} {reason} from a proxy or the panel: HTML error page{what}"
            elif result.text.strip():
                message = f"HTTP {resp.status_code} {reason}: {scrub_text(result.text.strip()[:200])}"
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

    def rows(self, path: str, params: Mapping[str, Any] | None = None, *, key: str | None = None,
             **kw: Any) -> list[dict[str, Any]]:
        """The records of an unpaged list GET; an answer that is not a list is ApiBadResponseError."""
        return rows_of(self.get(path, params, **kw), key, f"GET {path}")

    def pages(self, path: str, spec: PageSpec, params: Mapping[str, Any] | None = None, *,
              start_page: int | None = None, single_page: bool = False) -> Iterator[list[Any]]:
        """Each page's items as it arrives (constant memory for streaming output)."""
        return iterate_pages(lambda p, q: self.get(p, q), path, spec, dict(params or {}),
                             start_page=start_page, single_page=single_page, reporter=self.page_reporter)

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

        The read timeout (--timeout) holds between chunks: a panel that stops sending fails the
        download instead of hanging it. `on_headers` sees the success response's headers first
        (e.g. `X-Truncated` on log exports).
        """
        self._emit_log(f"→ GET {path} (download)")
        timeout = httpx.Timeout(self.timeout, connect=self.connect_timeout)
        try:
            with self._http.stream("GET", path, params=params, timeout=timeout) as resp:
                if 300 <= resp.status_code < 400:
                    raise self.redirect_error("GET", path, resp)
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
        except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout, httpx.ConnectTimeout):
            raise ApiTimeoutError(f"GET {path}: timed out (no data from the panel for {self.timeout:g} s)",
                                  hint="raise --timeout (ECLICTL_TIMEOUT) if the panel is only slow") from None
        except httpx.HTTPError as exc:
            raise ApiConnectionError(f"GET {path}: {_describe(exc)}") from None


def _usable(method: str, result: ApiResponse) -> bool:
    """A success answer that can be read as what a JSON route promises."""
    return result.is_json or result.bare_entity or method == "HEAD" or result.status == 204


def _query_suffix(params: Mapping[str, Any]) -> str:
    if not params:
        return ""
    from urllib.parse import urlencode

    return "?" + urlencode({k: v for k, v in params.items()}, doseq=True)


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]
