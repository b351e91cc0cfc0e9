"""The API error tree, mapped from HTTP status (modelled on httpx's _exceptions.py).

ApiError
 ├── ApiStatusError            (the panel answered with an error status)
 │    ├── ApiAuthError          401
 │    ├── ApiPermissionError    403  (.permission: the missing permission when the panel names it)
 │    ├── ApiNotFoundError      404
 │    ├── ApiValidationError    400 / 422
 │    ├── ApiConflictError      409
 │    ├── ApiRateLimitError     429
 │    ├── ApiFeatureDisabledError 503 `common.featureDisabled` / "Feature ... is disabled"
 │    └── ApiServerError        5xx
 ├── ApiBadResponseError       (a 2xx whose body is not the JSON that was expected: cut short, HTML...)
 └── ApiConnectionError        (nothing usable came back)
      ├── ApiTimeoutError
      └── ApiRedirectError      3xx: the URL points somewhere else; nothing was carried out
"""

from __future__ import annotations

import re
from typing import Any

from eclictl.api.messages import FEATURE_KEYS, hint_for, panel_key, sentence
from eclictl.errors import EclictlError, ExitCode

_PERMISSION_RE = re.compile(r"Admin permission (?P<perm>\S+?) required")
_FEATURE_RE = re.compile(r"Feature '(?P<feature>[^']*)' is disabled")


class ApiError(EclictlError):
    exit_code = ExitCode.ERROR


class ApiConnectionError(ApiError):
    exit_code = ExitCode.NETWORK


class ApiTimeoutError(ApiConnectionError):
    pass


class ApiRedirectError(ApiConnectionError):
    """Any 3xx: eclictl never follows redirects (the key must not travel to another host)."""

    def __init__(self, message: str, *, status: int, location: str | None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.location = location


class ApiBadResponseError(ApiError):
    """A success status with a body that cannot be what was asked for: never read as "nothing"."""

    exit_code = ExitCode.ERROR


class ApiStatusError(ApiError):
    def __init__(self, message: str, *, status: int, method: str, path: str, body: Any = None,
                 hint: str | None = None) -> None:
        super().__init__(message, hint=hint, details=body)
        self.status = status
        self.method = method
        self.path = path
        self.body = body
        #: The panel's untranslated message key (`user.cannotSuspendAdmin`) when its error was one;
        #: the message then carries the plain sentence (api/messages.py) and `-v` logs the key.
        self.panel_key: str | None = None


class ApiAuthError(ApiStatusError):
    exit_code = ExitCode.AUTH


class ApiPermissionError(ApiStatusError):
    exit_code = ExitCode.PERMISSION

    @property
    def permission(self) -> str | None:
        m = _PERMISSION_RE.search(self.message)
        return m.group("perm") if m else None


class ApiNotFoundError(ApiStatusError):
    exit_code = ExitCode.NOT_FOUND


class ApiValidationError(ApiStatusError):
    exit_code = ExitCode.REJECTED


class ApiConflictError(ApiStatusError):
    exit_code = ExitCode.REJECTED


class ApiRateLimitError(ApiStatusError):
    exit_code = ExitCode.ERROR


class ApiServerError(ApiStatusError):
    exit_code = ExitCode.ERROR


class ApiFeatureDisabledError(ApiStatusError):
    exit_code = ExitCode.FEATURE_DISABLED

    @property
    def feature(self) -> str | None:
        m = _FEATURE_RE.search(self.message)
        feature = m.group("feature") if m else None
        return None if feature in (None, "{feature}") else feature


def feature_for_path(path: str) -> str | None:
    """The panel's 503 body names no flag (`common.featureDisabled`); name it from the path instead."""
    from eclictl.settings_schema import FEATURE_PREFIXES

    for flag, prefixes in FEATURE_PREFIXES.items():
        if any(path.startswith(p) for p in prefixes):
            return flag
    return None


def _key_of(message: str, body: Any) -> str | None:
    raw = body.get("error") if isinstance(body, dict) else None
    return panel_key(raw if isinstance(raw, str) else message)


def error_for_status(status: int, message: str, *, method: str, path: str, body: Any) -> ApiStatusError:
    """One mapping from status to error class, used by the client and by `eclictl api`.

    A raw i18n key (the panel's `ctx.t` returns the key when it has no sentence) becomes its plain
    sentence here, once, for every command; the key stays on the error as `panel_key`.
    """
    kwargs: dict[str, Any] = {"status": status, "method": method, "path": path, "body": body}
    key = _key_of(message, body)
    if key is not None:
        message = sentence(key) + message[message.index(key) + len(key):] if key in message else sentence(key)
    if status == 503 and (key in FEATURE_KEYS or _FEATURE_RE.search(message)):
        err503 = ApiFeatureDisabledError(message, **kwargs)
        err503.panel_key = key
        feature = err503.feature or FEATURE_KEYS.get(key or "") or feature_for_path(path)
        if feature:
            err503.message = f"Feature '{feature}' is disabled on the panel"
            err503.hint = f"enable it with `eclictl flags enable {feature}`"
        return err503
    err = _by_status(status, message, kwargs)
    err.panel_key = key
    err.hint = err.hint or hint_for(message, key)
    return err


def _by_status(status: int, message: str, kwargs: dict[str, Any]) -> ApiStatusError:
    if status == 401:
        return ApiAuthError(message, hint="check the API key (`eclictl auth status`) or log in again", **kwargs)
    if status == 403:
        err = ApiPermissionError(message, **kwargs)
        if err.permission:
            err.hint = f"this key lacks the '{err.permission}' permission"
        elif "(api key)" in message:
            err.hint = "this client API key's own permission list does not cover the route (its owner's roles do not count)"
        return err
    if status in (404, 410):
        return ApiNotFoundError(message, **kwargs)
    if status in (400, 422):
        return ApiValidationError(message, **kwargs)
    if status == 409:
        return ApiConflictError(message, **kwargs)
    if status == 429:
        return ApiRateLimitError(message, hint="the panel allows 500 requests/minute per IP; wait a minute",
                                 **kwargs)
    if status >= 500:
        return ApiServerError(message, **kwargs)
    return ApiStatusError(message, **kwargs)
