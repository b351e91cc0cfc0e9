"""Profiles in config.toml and the settings resolved from flag > ECLICTL_* env > profile > default."""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from eclictl.errors import ConfigError, UsageError

OUTPUT_FORMATS = ("table", "wide", "tsv", "json", "jsonl", "csv", "ids")
DEFAULT_PROFILE = "default"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 3


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on", "y"):
        return True
    if text in ("0", "false", "no", "off", "n", ""):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _parse_output(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in OUTPUT_FORMATS:
        raise ValueError(f"must be one of {', '.join(OUTPUT_FORMATS)}")
    return text


def _parse_positive_float(value: Any) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError("must be positive")
    return number


def _parse_non_negative_int(value: Any) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must be zero or more")
    return number


def _parse_concurrency(value: Any) -> int:
    number = int(value)
    if not 1 <= number <= 64:
        raise ValueError("must be between 1 and 64")
    return number


def parse_rate(value: Any) -> int:
    """`450`, `450/min` or `7/s` -> requests per minute (0 = unpaced)."""
    text = str(value).strip().lower().replace(" ", "")
    factor = 1
    for suffix, per in (("/min", 1), ("/m", 1), ("/sec", 60), ("/s", 60)):
        if text.endswith(suffix):
            text, factor = text[: -len(suffix)], per
            break
    try:
        number = int(text)
    except ValueError:
        raise ValueError(f"expected N or N/min (e.g. 300/min), got {value!r}") from None
    if number < 0:
        raise ValueError("must be 0 (unpaced) or more")
    return number * factor


def _parse_url(value: Any) -> str:
    text = str(value).strip().rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    if "@" in text.split("://", 1)[1].split("/", 1)[0]:
        # never echo it: the part before @ is a password; eclictl authenticates with the API key
        raise ValueError("must not contain a user name or password (user:password@host); give the API key "
                         "with `eclictl auth login` or ECLICTL_API_KEY instead")
    return text


def mask_url_password(url: Any) -> Any:
    """An older profile may still hold `user:password@host`: show it as `user:****@host`."""
    if not isinstance(url, str) or "@" not in url:
        return url
    scheme, sep, rest = url.partition("://")
    netloc, slash, path = rest.partition("/")
    userinfo, _, host = netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}{sep}{user}:****@{host}{slash}{path}" if sep and userinfo else url


def plain_http_remote(url: str) -> bool:
    """True for an http:// URL whose host is not loopback: credentials would cross the network in clear."""
    import ipaddress
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme != "http":
        return False
    host = (parts.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


#: Keys a profile may hold, with their parser. `eclictl config set` validates against this.
PROFILE_KEYS: dict[str, Callable[[Any], Any]] = {
    "url": _parse_url,
    "api_key": str,
    "token": str,
    "token_expires_at": str,
    "csrf_token": str,
    "auth_email": str,
    "output": _parse_output,
    "redact": _parse_bool,
    "redact_servers": _parse_bool,
    "redact_orgs": _parse_bool,
    "timeout": _parse_positive_float,
    "max_retries": _parse_non_negative_int,
    "web_url": _parse_url,
    "concurrency": _parse_concurrency,
    "rate": parse_rate,
    # safety (eclictl/safety/gate.py): read from the profile only, never from flags or env
    "protected": _parse_bool,
    "require_reason": _parse_bool,
}
SECRET_KEYS = frozenset({"api_key", "token", "csrf_token"})


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    from eclictl.configpath import config_dir_name

    return Path(config_dir_name(env))


def config_path(env: Mapping[str, str] | None = None) -> Path:
    return config_dir(env) / "config.toml"


def load_config(path: Path) -> dict[str, Any]:
    """The whole file; a syntax error names the file, line and column."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}  # e.g. CI with ECLICTL_* variables only: no TOML parser to import
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}", hint="fix or delete the file") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply", hint="fix or delete the file") from None
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{path}: 'profiles' must be a table")
    return data


def make_config_dir(path: Path) -> None:
    """The config directory, created 0700: it holds API keys and session tokens."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)


@contextmanager
def config_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the config directory for a read-modify-write of config.toml.

    Parallel `config set` (cron jobs, CI) would otherwise each read the old file and the last
    replace would drop the others' changes. The lock is flock(2) on the directory itself: no lock
    file to leave behind, released when the process dies. Without fcntl (Windows) there is no lock.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    make_config_dir(path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def update_config(path: Path, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Read config.toml, apply `change` to it and write it back, all under config_lock."""
    with config_lock(path):
        data = load_config(path)
        change(data)
        save_config(path, data)
    return data


def update_profile(path: Path, name: str, values: Mapping[str, Any], *, make_current: bool | None = None,
                   replace: bool = False) -> None:
    """Merge values into a profile (None removes a key) and write config.toml atomically (mode 0600)."""
    def change(data: dict[str, Any]) -> None:
        profiles = dict(data.get("profiles", {}))
        profile = {} if replace else dict(profiles.get(name, {}))
        for key, value in values.items():
            if value is None:
                profile.pop(key, None)
            else:
                profile[key] = value
        profiles[name] = profile
        data["profiles"] = profiles
        if make_current or (make_current is None and "current_profile" not in data):
            data["current_profile"] = name

    update_config(path, change)  # locked: parallel `config set` keep every change


def loose_mode(path: Path) -> int | None:
    """The file's mode when group or others may read or write it (None when private or missing)."""
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return None
    return mode if mode & 0o077 else None


def save_config(path: Path, data: Mapping[str, Any]) -> None:
    """Atomic replace with mode 0600: the file holds API keys."""
    import tempfile

    import tomli_w

    make_config_dir(path)
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            tomli_w.dump(dict(data), fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        os.chmod(path, 0o600)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def parse_profile_value(key: str, value: Any) -> Any:
    parser = PROFILE_KEYS.get(key)
    if parser is None:
        raise UsageError(f"unknown setting '{key}'", hint=f"known settings: {', '.join(sorted(PROFILE_KEYS))}")
    try:
        return parser(value)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"invalid value for '{key}': {exc}") from None


@dataclass
class Settings:
    """Everything a command needs to know about where and how to talk to the panel."""

    profile: str = DEFAULT_PROFILE
    profile_exists: bool = False
    url: str | None = None
    api_key: str | None = None
    token: str | None = None
    token_expires_at: str | None = None
    csrf_token: str | None = None
    output: str | None = None
    redact: bool | None = None
    redact_servers: bool = False
    redact_orgs: bool = False
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    web_url: str | None = None
    concurrency: int = 8
    rate: int = 450
    sources: dict[str, str] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        """For `config get`/`profile show`: secrets never leave as plain text."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "sources":
                continue
            value = getattr(self, f.name)
            if f.name in SECRET_KEYS and value:
                value = mask_secret(value)
            out[f.name] = value
        return out


def mask_secret(value: str) -> str:
    """Show enough to tell keys apart, never enough to use one."""
    if len(value) <= 8:
        return "****"
    return f"{value[:4]}…{value[-4:]}"


_ENV_KEYS = {
    "url": "ECLICTL_URL",
    "api_key": "ECLICTL_API_KEY",
    "output": "ECLICTL_OUTPUT",
    "redact": "ECLICTL_REDACT",
    "timeout": "ECLICTL_TIMEOUT",
    "max_retries": "ECLICTL_MAX_RETRIES",
    "web_url": "ECLICTL_WEB_URL",
    "token": "ECLICTL_TOKEN",
    "concurrency": "ECLICTL_CONCURRENCY",
    "rate": "ECLICTL_RATE",
}


def missing_profile(name: str, profiles: Mapping[str, Any], source: str) -> ConfigError:
    """`-p NAME` (or ECLICTL_PROFILE=NAME, when the run needs what the profile would hold) names no profile."""
    known = ", ".join(sorted(profiles)) or "none"
    origin = "from ECLICTL_PROFILE; " if source == "env ECLICTL_PROFILE" else ""
    return ConfigError(f"no profile named '{name}' ({origin}known: {known})",
                       hint="create one with `eclictl auth login --profile NAME`")


def resolve_settings(flags: Mapping[str, Any], env: Mapping[str, str], config: Mapping[str, Any]) -> Settings:
    """flag > ECLICTL_* env > profile > default, each value tagged with where it came from."""
    profile_name, profile_source = DEFAULT_PROFILE, "default"
    for name, source in ((flags.get("profile"), "flag"), (env.get("ECLICTL_PROFILE"), "env ECLICTL_PROFILE"),
                         (config.get("current_profile"), "current_profile")):
        if name:
            profile_name, profile_source = str(name), source
            break
    profiles = config.get("profiles", {})
    profile = profiles.get(profile_name)
    if profile_source == "flag" and profile is None and not flags.get("allow_missing_profile"):
        raise missing_profile(profile_name, profiles, profile_source)
    settings = Settings(profile=profile_name, profile_exists=profile is not None)
    settings.sources["profile"] = profile_source
    profile = profile or {}
    for key in PROFILE_KEYS:
        if not hasattr(settings, key):
            continue
        value, source = None, None
        if flags.get(key) is not None:
            value, source = flags[key], "flag"
        elif key in _ENV_KEYS and env.get(_ENV_KEYS[key]) not in (None, ""):
            value, source = env[_ENV_KEYS[key]], f"env {_ENV_KEYS[key]}"
        elif key in profile:
            value, source = profile[key], f"profile {profile_name}"
        if source is None:
            continue
        try:
            value = PROFILE_KEYS[key](value)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"invalid {key} from {source}: {exc}") from None
        setattr(settings, key, value)
        settings.sources[key] = source
    return settings
