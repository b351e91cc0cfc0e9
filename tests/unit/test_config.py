"""Profiles: precedence flag > env > profile > default; atomic writes with mode 0600; clear errors."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from eclictl.config import load_config, resolve_settings, save_config
from eclictl.errors import ConfigError, UsageError

CONFIG = {
    "current_profile": "prod",
    "profiles": {
        "prod": {"url": "https://prod.example.com", "api_key": "p" * 64, "output": "json", "timeout": 12.0},
        "staging": {"url": "https://staging.example.com", "redact": True},
    },
}


def test_profile_values_apply_when_nothing_overrides() -> None:
    s = resolve_settings({}, {}, CONFIG)
    assert (s.profile, s.url, s.output, s.timeout) == ("prod", "https://prod.example.com", "json", 12.0)
    assert s.sources["url"] == "profile prod"
    assert s.max_retries == 3 and "max_retries" not in s.sources  # default


def test_env_beats_profile_and_flag_beats_env() -> None:
    env = {"ECLICTL_URL": "https://env.example.com", "ECLICTL_OUTPUT": "csv"}
    s = resolve_settings({}, env, CONFIG)
    assert s.url == "https://env.example.com" and s.output == "csv" and s.sources["url"].startswith("env")
    s = resolve_settings({"url": "https://flag.example.com"}, env, CONFIG)
    assert s.url == "https://flag.example.com" and s.sources["url"] == "flag"


def test_profile_selection_precedence() -> None:
    assert resolve_settings({}, {"ECLICTL_PROFILE": "staging"}, CONFIG).profile == "staging"
    assert resolve_settings({"profile": "staging"}, {"ECLICTL_PROFILE": "prod"}, CONFIG).redact is True


def test_unknown_profile_flag_is_an_error_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_settings({"profile": "nope"}, {}, CONFIG)
    assert "prod" in info.value.message and "staging" in info.value.message


def test_invalid_env_value_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        resolve_settings({}, {"ECLICTL_OUTPUT": "yaml"}, CONFIG)
    with pytest.raises(UsageError):
        resolve_settings({}, {"ECLICTL_REDACT": "maybe"}, CONFIG)


def test_save_is_atomic_and_private(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "config.toml"
    save_config(path, CONFIG)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_config(path) == CONFIG
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temp files left


def test_broken_toml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[profiles.prod]\nurl = "https://x"\napi_key = \n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in info.value.message and "line 3" in info.value.message
