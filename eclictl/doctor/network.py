"""Network checks: the panel answers, TLS, no redirect, clock skew against its Date header, round trip.

All from one unauthenticated `GET /health` (the panel's own health route), sent once, never retried.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from eclictl.doctor.checks import FAIL, OK, SKIP, WARN, Check, Probe

#: Skew beyond this breaks 2FA codes (30 s TOTP steps) and makes expiry times misleading.
SKEW_WARN_SECONDS = 30
#: Beyond this, session expiry and scheduled reverts are off by minutes.
SKEW_FAIL_SECONDS = 300
CERT_WARN_DAYS = 14
RTT_WARN_MS = 1000
RTT_FAIL_MS = 10000


def run(probe: Probe) -> list[Check]:
    from eclictl.api.errors import ApiConnectionError, ApiRedirectError

    ctx = probe.ctx
    try:
        url = ctx.settings.url
    except Exception:  # noqa: BLE001 - reported by the config checks
        url = None
    if not url:
        return [Check("network.answers", SKIP, "no panel URL configured: nothing to reach")]
    client = ctx.build_client(api_key="", token="", require_auth=False)
    client.max_retries = 0
    started = time.monotonic()
    try:
        resp = client.request("GET", "/health", raise_for_status=False, expect_json=False)
    except ApiRedirectError as exc:  # the panel is elsewhere: the other groups are not run against this URL
        return [Check("network.answers", FAIL, "the panel URL answers with a redirect, not the panel",
                      exc.hint, {"status": exc.status}),
                Check("network.redirect", FAIL, f"GET /health was redirected (HTTP {exc.status}) to "
                      f"{exc.location or 'nowhere'}", exc.hint, {"status": exc.status, "location": exc.location}),
                _tls(url, None)]
    except ApiConnectionError as exc:  # timeouts too
        tls_error = _is_tls_error(exc.message)
        checks = [Check("network.answers", FAIL, f"the panel does not answer: {exc.message}",
                        "check the URL (`eclictl config get url`) and that the panel is up; "
                        "behind a proxy, check the proxy", {"error": type(exc).__name__})]
        if tls_error:
            checks.append(_tls(url, exc.message))
        return checks
    finally:
        client.close()
    probe.reachable = True
    probe.seen.append((resp.status, resp.headers))
    rtt = resp.elapsed_ms or (time.monotonic() - started) * 1000
    return [_answers(resp), Check("network.redirect", OK, "no redirect: the URL reaches the panel directly"),
            _tls(url, None, _cert_days(ctx, url)),
            clock_check(resp.headers.get("date"), rtt, age=resp.headers.get("age")), rtt_check(rtt)]


def _answers(resp: Any) -> Check:
    details = {"status": resp.status, "ms": round(resp.elapsed_ms)}
    body = resp.data if resp.is_json and isinstance(resp.data, dict) else None
    ctype = resp.headers.get("content-type", "")
    html = body is None and ("html" in ctype or resp.text.lstrip().startswith("<"))
    if html and resp.status >= 400:
        return Check("network.answers", FAIL, f"the panel is not healthy: HTTP {resp.status} from a proxy (an HTML "
                     "error page): the panel behind it does not answer", "check that the panel's backend runs "
                     "and that the proxy points at it", details)
    if html:
        return Check("network.answers", FAIL, f"an HTML page answers GET /health (HTTP {resp.status}), not the "
                     "panel API: a proxy, a login page or the web frontend", "point the URL at the panel's "
                     "backend (the API host), not the web portal or a proxy login", details)
    if resp.status == 429:
        return Check("network.answers", FAIL, "the panel answers, but refuses requests now (429 Too many "
                     "requests)", "wait up to 60 s (the panel's window) and run it again", details)
    if resp.status != 200 or body is None:
        what = body.get("status") if body else (resp.text.strip()[:80] or "no body")
        fix = ("the panel is still starting: wait and run it again" if what == "starting" else
               "check the panel's logs and its database connection")
        return Check("network.answers", FAIL, f"the panel is not healthy: HTTP {resp.status} ({what})", fix, details)
    details["health"] = body.get("status")
    return Check("network.answers", OK, f"GET /health answered {resp.status} ({body.get('status')})",
                 details=details)


def _is_tls_error(message: str) -> bool:
    text = message.lower()
    return any(w in text for w in ("certificate", "ssl", "tls", "handshake"))


def _cert_days(ctx: Any, url: str) -> float | None:
    """Days until the panel's certificate expires, read in a separate TLS handshake (None: not read,
    e.g. behind an HTTP proxy or in tests, where the transport is not the network)."""
    import socket
    import ssl

    parts = urlsplit(url)
    if parts.scheme != "https" or ctx.factory.transport is not None or not parts.hostname:
        return None
    try:
        context = ssl.create_default_context()
        with socket.create_connection((parts.hostname, parts.port or 443), timeout=5) as sock:
            with context.wrap_socket(sock, server_hostname=parts.hostname) as tls:
                cert = tls.getpeercert() or {}
        return (ssl.cert_time_to_seconds(cert["notAfter"]) - time.time()) / 86400
    except (OSError, ssl.SSLError, KeyError, ValueError):
        return None


def _tls(url: str, error: str | None, cert_days: float | None = None) -> Check:
    from eclictl.config import plain_http_remote

    parts = urlsplit(url)
    if error is not None:
        return Check("network.tls", FAIL, f"TLS failed: {error}", "renew or fix the panel's certificate (it "
                     "must match the host name and chain to a trusted CA); set SSL_CERT_FILE for a private CA",
                     {"scheme": parts.scheme})
    if parts.scheme == "https":
        days = None if cert_days is None else round(cert_days, 1)
        details: dict[str, Any] = {"scheme": "https", "cert_days_left": days}
        if cert_days is not None and cert_days < CERT_WARN_DAYS:
            return Check("network.tls", WARN, f"https: the certificate expires in {cert_days:.0f} days",
                         "renew the panel's certificate (check its ACME/certbot renewal)", details)
        left = f"; it expires in {cert_days:.0f} days" if cert_days is not None else ""
        return Check("network.tls", OK, f"https: the certificate was verified{left}", details=details)
    if plain_http_remote(url):
        https = url.replace("http://", "https://", 1)
        return Check("network.tls", WARN, f"plain http:// to {parts.hostname}: the credential crosses the "
                     "network unencrypted", f"use https (eclictl config set url {https})", {"scheme": "http"})
    return Check("network.tls", OK, "plain http on this machine (loopback): nothing crosses the network",
                 details={"scheme": "http"})


def clock_check(date_header: str | None, rtt_ms: float, now: datetime | None = None, age: Any = None) -> Check:
    """The panel's clock against ours (its Date header, taken as half-way through the round trip).

    The panel lets caches keep /health for 5 s (backend/src/app.ts); a cached answer's `Age` is added.
    """
    from email.utils import parsedate_to_datetime

    if not date_header:
        return Check("network.clock", WARN, "the panel sent no Date header: the clock skew is unknown",
                     "check the proxy in front of the panel (it should pass Date on)", {"skew_seconds": None})
    try:
        theirs = parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return Check("network.clock", WARN, f"the panel's Date header is unreadable ({date_header[:40]})",
                     None, {"skew_seconds": None})
    ours = (now or datetime.now(timezone.utc)).timestamp() - rtt_ms / 2000
    try:
        cached = max(0, int(str(age))) if age is not None else 0
    except ValueError:
        cached = 0
    skew = theirs.timestamp() + cached - ours
    details = {"skew_seconds": round(skew, 1), "panel_date": date_header}
    side = "ahead of" if skew > 0 else "behind"
    text = f"the panel's clock is {abs(skew):.0f} s {side} this machine's"
    fix = "synchronise both clocks with NTP (e.g. `timedatectl set-ntp true`)"
    if abs(skew) > SKEW_FAIL_SECONDS:
        return Check("network.clock", FAIL, text + ": session expiry, scheduled reverts and audit times disagree",
                     fix, details)
    if abs(skew) > SKEW_WARN_SECONDS:
        return Check("network.clock", WARN, text + ": 2FA codes may be refused", fix, details)
    return Check("network.clock", OK, f"clocks agree (skew {abs(skew):.0f} s)", details=details)


def rtt_check(ms: float) -> Check:
    details = {"ms": round(ms)}
    if ms >= RTT_FAIL_MS:
        return Check("network.rtt", FAIL, f"round trip {ms:.0f} ms: requests near the timeout will fail",
                     "check the network path to the panel; raise --timeout (ECLICTL_TIMEOUT) meanwhile", details)
    if ms >= RTT_WARN_MS:
        return Check("network.rtt", WARN, f"round trip {ms:.0f} ms: bulk runs will be slow",
                     "run eclictl closer to the panel, or raise --concurrency for bulk verbs", details)
    return Check("network.rtt", OK, f"round trip {ms:.0f} ms", details=details)
