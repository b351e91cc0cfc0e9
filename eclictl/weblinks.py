"""Deep links into the web Staff Portal: `<panel>/dashboard/admin?tab=<tab>`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

TABS = (
    "overview", "users", "roles", "verifications", "studentVerifications", "deletions", "servers", "transfers",
    "nodes", "aegis", "eggs", "databases", "tunnels", "backup-configs", "organisations", "plans", "orders",
    "coupons", "payments", "soc", "fraud", "audit", "logs", "announcements", "tickets", "company-mailboxes",
    "chat", "feedback", "oauth", "rollouts", "ai", "metrics", "export-jobs", "outbound-emails", "shorturls",
    "settings", "applications", "elo",
)


def web_base(ctx: Any) -> str:
    """The profile's web_url, else the origin of the API URL."""
    s = ctx.settings
    if s.web_url:
        return s.web_url.rstrip("/")
    if not s.url:
        from eclictl.errors import UsageError

        raise UsageError("no panel URL configured", hint="set web_url or url in the profile")
    parts = urlsplit(s.url)
    return f"{parts.scheme}://{parts.netloc}"


def portal_url(ctx: Any, tab: str | None = None, **params: Any) -> str:
    query: dict[str, Any] = {}
    if tab:
        query["tab"] = tab
    query.update({k: v for k, v in params.items() if v is not None})
    suffix = f"?{urlencode(query)}" if query else ""
    return f"{web_base(ctx)}/dashboard/admin{suffix}"


def open_tab(ctx: Any, tab: str | None, **params: Any) -> str:
    """Print the link, and open it in a browser when there is a terminal to come back to."""
    url = portal_url(ctx, tab, **params)
    opener = ctx.factory.open_browser
    if opener is None:
        import webbrowser

        opener = webbrowser.open
    if ctx.interactive:  # a script or CI job only gets the printed link
        try:
            opener(url)
        except Exception:  # noqa: BLE001 - printing the link is enough
            pass
    return url
