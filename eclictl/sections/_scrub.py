"""Scrubbing credentials out of records (AI models, OAuth apps): secret keys, URL credentials, 403 hints."""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from eclictl.sections._spec import Section


#: Field names whose values are credentials, at any depth (compared lower-case).
SECRET_NAMES = frozenset({"apikey", "api_key", "key", "token", "accesstoken", "refreshtoken", "secret",
                          "clientsecret", "clientsecrethash", "password", "passwordhash", "authorization",
                          "bearer", "twofactorsecret", "twofactorrecoverycodes", "sessions"})


def safe_url(value: str) -> str:
    """An URL without user:password@ and without query/fragment (keys often hide there)."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "•••"
    if not parts.scheme or not host:
        return value
    netloc = f"[{host}]" if ":" in host else host
    if port:
        netloc += f":{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def scrub(value: Any, *, urls: bool = True) -> Any:
    """A copy without credentials, at any depth; with `urls`, URLs lose credentials and query strings."""
    if isinstance(value, dict):
        return {k: scrub(v, urls=urls) for k, v in value.items() if str(k).lower() not in SECRET_NAMES}
    if isinstance(value, list):
        return [scrub(v, urls=urls) for v in value]
    if urls and isinstance(value, str) and value.startswith(("http://", "https://")):
        return safe_url(value)
    return value


def with_hint(exc: Exception, hint: str) -> Exception:
    """A 403 from a gate whose message names no permission gets a hint that does."""
    from eclictl.api.errors import ApiPermissionError

    if isinstance(exc, ApiPermissionError) and not exc.hint:
        exc.hint = hint
    return exc


AI_DENIED_HINT = ("AI routes check ai:manage on the user (a role permission); an API key passes only when "
                  "its owner is root (role * or rootAdmin), whatever the key type")


class ScrubbedSection(Section):
    """A Section whose rows are scrubbed as they are read (list, show and name resolution)."""

    scrub_urls = True  # class attribute, not a dataclass field
    denied_hint = AI_DENIED_HINT  # class attribute: the hint for an unnamed 403

    def iter_rows(self, api: Any, params: Mapping[str, Any] | None = None, *, limit: int | None = None,
                  page: int | None = None, all_pages: bool = True) -> Iterator[dict[str, Any]]:
        from eclictl.api.errors import ApiPermissionError

        try:
            for row in super().iter_rows(api, params, limit=limit, page=page, all_pages=all_pages):
                yield scrub(row, urls=self.scrub_urls) if isinstance(row, dict) else row
        except ApiPermissionError as exc:
            raise with_hint(exc, self.denied_hint) from None

