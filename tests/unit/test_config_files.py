"""Issue #21.11: the config directory is 0700, a readable config.toml is warned about, and
parallel writers never lose each other's changes."""

from __future__ import annotations

import io
import stat
import threading
from pathlib import Path
from typing import Any

from eclictl.config import load_config


def test_the_config_directory_is_created_0700(cli: Any, isolated_config: Path) -> None:
    assert not isolated_config.exists()
    r = cli("config", "set", "output", "json")
    assert r.exit_code == 0, r
    assert stat.S_IMODE(isolated_config.stat().st_mode) == 0o700
    assert stat.S_IMODE((isolated_config / "config.toml").stat().st_mode) == 0o600


def test_a_readable_config_file_is_warned_about_once(cli: Any, isolated_config: Path) -> None:
    assert cli("config", "set", "output", "json").exit_code == 0
    path = isolated_config / "config.toml"
    path.chmod(0o644)
    r = cli("config", "get", "output")
    assert r.exit_code == 0, r
    assert r.stderr.count("is open to other users (mode 0644)") == 1 and f"chmod 600 {path}" in r.stderr
    r = cli("profile", "list")
    assert r.stderr.count("open to other users") == 1
    path.chmod(0o600)
    assert "open to other users" not in cli("config", "get", "output").stderr


def test_parallel_config_set_on_different_profiles_keeps_every_change(isolated_config: Path) -> None:
    """12 writers at once through the real `config set` path (save_profile): none is lost."""
    from eclictl.commands.profile import save_profile
    from eclictl.context import AppContext, Factory, IOStreams

    writers, rounds = 12, 3
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        streams = IOStreams(io.StringIO(), io.StringIO(), io.StringIO(), False, False, False)
        ctx = AppContext(Factory(io=streams, env={"ECLICTL_CONFIG_DIR": str(isolated_config)}), {})
        try:
            start.wait()
            for r in range(rounds):
                save_profile(ctx, f"p{n}", {"timeout": float(r + 1), "rate": n}, make_current=False)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    profiles = load_config(isolated_config / "config.toml")["profiles"]
    assert {name: (p["timeout"], p["rate"]) for name, p in profiles.items()} == {
        f"p{n}": (float(rounds), n) for n in range(writers)}
    assert sorted(p.name for p in isolated_config.iterdir()) == ["config.toml"]  # no lock or temp file left
