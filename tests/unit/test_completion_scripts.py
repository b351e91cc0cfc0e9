"""The generated completion scripts, exercised in a real bash: `complete -p`, then COMP_WORDS/COMP_CWORD
and the completion function, as bash itself calls it on TAB."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "completions" / "eclictl.bash"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def _bin_dir(tmp_path: Path) -> Path:
    """A PATH entry whose `eclictl` runs this checkout (the script calls it for profile names)."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    shim = folder / "eclictl"
    shim.write_text(f"#!/bin/sh\necho \"$@\" >> '{tmp_path / 'calls'}'\nexec {sys.executable} -m eclictl \"$@\"\n")
    shim.chmod(0o755)
    return folder


def complete(tmp_path: Path, *words: str, profiles: tuple[str, ...] = ()) -> list[str]:
    """What TAB offers after `words` (the last one is the word being completed)."""
    config = tmp_path / "cfg"
    config.mkdir(exist_ok=True)
    if profiles:
        (config / "config.toml").write_text("".join(f'[profiles.{p}]\nurl = "http://127.0.0.1:1"\n'
                                                    for p in profiles))
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    program = (f"source '{SCRIPT}' && complete -p eclictl >/dev/null && "
               f"COMP_WORDS=({quoted}) && COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)) && _eclictl && "
               "printf '%s\\n' \"${COMPREPLY[@]}\"")
    env = {**os.environ, "ECLICTL_CONFIG_DIR": str(config),
           "PATH": f"{_bin_dir(tmp_path)}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


def test_the_value_of_p_is_not_taken_for_a_command(tmp_path: Path) -> None:
    # `sandbox` is also a command: it used to become the path, so `us` matched nothing
    assert complete(tmp_path, "eclictl", "-p", "sandbox", "us") == ["users"]
    assert complete(tmp_path, "eclictl", "--profile", "sandbox", "users", "li") == ["list"]
    assert not (tmp_path / "calls").exists()  # skipping a value starts no Python


def test_only_profile_names_start_eclictl_and_it_skips_typer(tmp_path: Path) -> None:
    complete(tmp_path, "eclictl", "-p", "", profiles=("a",))
    assert (tmp_path / "calls").read_text() == "completion --list-profiles\n"


def test_profile_names_after_p(tmp_path: Path) -> None:
    names = ("prod", "sandbox", "staging")
    assert complete(tmp_path, "eclictl", "-p", "", profiles=names) == list(names)
    assert complete(tmp_path, "eclictl", "--profile", "st", profiles=names) == ["staging"]
    assert complete(tmp_path, "eclictl", "auth", "login", "--profile", "p", profiles=names) == ["prod"]


def test_output_formats_after_o_anywhere(tmp_path: Path) -> None:
    formats = ["table", "wide", "tsv", "json", "jsonl", "csv", "ids"]
    assert complete(tmp_path, "eclictl", "-o", "") == formats
    assert complete(tmp_path, "eclictl", "users", "list", "-o", "j") == ["json", "jsonl"]
    assert complete(tmp_path, "eclictl", "users", "list", "--output", "=", "c") == ["csv"]  # --output=c
    # a value is skipped when finding the command: `-o json` does not hide `users`' verbs
    assert "list" in complete(tmp_path, "eclictl", "-o", "json", "users", "")


def test_choice_arguments_and_options(tmp_path: Path) -> None:
    assert complete(tmp_path, "eclictl", "servers", "power", "") == ["start", "stop", "restart", "kill"]
    assert complete(tmp_path, "eclictl", "-p", "x", "servers", "power", "re") == ["restart"]
    assert complete(tmp_path, "eclictl", "servers", "power", "start", "") == []  # SERVER...: no choices
    assert complete(tmp_path, "eclictl", "logs", "list", "--type", "") == ["audit", "serverErrors", "requests"]
    assert complete(tmp_path, "eclictl", "completion", "") == ["bash", "zsh", "fish", "powershell"]


def test_commands_and_options_still_complete(tmp_path: Path) -> None:
    assert "users" in complete(tmp_path, "eclictl", "")
    assert complete(tmp_path, "eclictl", "users", "list", "--col") == ["--columns"]


def test_completion_command_prints_the_packaged_scripts(tmp_path: Path) -> None:
    env = {**os.environ, "ECLICTL_CONFIG_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    for shell, name in (("bash", "eclictl.bash"), ("zsh", "_eclictl"), ("fish", "eclictl.fish"),
                        ("powershell", "eclictl.ps1")):
        done = subprocess.run([sys.executable, "-m", "eclictl", "completion", shell], capture_output=True,
                              text=True, env=env, timeout=60)
        assert done.returncode == 0 and done.stdout == (ROOT / "completions" / name).read_text()
    done = subprocess.run(["bash", "--norc", "-c", 'eval "$(python -m eclictl completion bash)" && complete -p '
                           "eclictl"], capture_output=True, text=True, timeout=60,
                          env={**env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"})
    assert done.stdout.strip() == "complete -o default -F _eclictl eclictl", done.stderr


def test_profile_lookup_does_not_load_typer(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[profiles.b]\nurl = "http://x"\n[profiles.a]\nurl = "http://y"\n')
    code = ("import sys; from eclictl.main import run; run(['completion', '--list-profiles']); "
            "print('typer' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "ECLICTL_CONFIG_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)})
    assert (done.stdout, done.stderr.strip()) == ("a\nb\n", "False")


def test_the_scripts_are_package_data_in_the_wheel() -> None:
    """The wheel force-includes completions/ as eclictl/completions/ (pip and pipx users get
    `eclictl completion SHELL`); nothing excludes it."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wheel = config["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["packages"] == ["eclictl"] and not wheel.get("exclude")
    assert wheel["force-include"] == {"completions": "eclictl/completions"}
    assert sorted(p.name for p in (ROOT / "completions").iterdir()) == [
        "_eclictl", "eclictl.bash", "eclictl.fish", "eclictl.ps1"]
