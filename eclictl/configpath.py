"""Where config.toml lives, and its profile names: kept free of heavy imports (no dataclasses, pathlib
or Typer), because shell completion runs this on TAB after -p/--profile."""

from __future__ import annotations

import os
import sys
from typing import Mapping


def config_dir_name(env: Mapping[str, str] | None = None) -> str:
    """ECLICTL_CONFIG_DIR, else the platform's user config folder for eclictl."""
    env = os.environ if env is None else env
    override = env.get("ECLICTL_CONFIG_DIR")
    if override:
        return override
    import platformdirs

    return platformdirs.user_config_dir("eclictl")


def profile_names(env: Mapping[str, str] | None = None) -> list[str]:
    """Profile names in config.toml, sorted; none when it is missing or unreadable (TAB must never
    fail loudly: `eclictl profile list` reports a broken file)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        with open(os.path.join(config_dir_name(env), "config.toml"), "rb") as fh:
            profiles = tomllib.loads(fh.read().decode("utf-8")).get("profiles", {})
    except Exception:  # noqa: BLE001 - missing, unreadable or invalid: offer nothing, say nothing
        return []
    return sorted(str(name) for name in profiles) if isinstance(profiles, dict) else []
