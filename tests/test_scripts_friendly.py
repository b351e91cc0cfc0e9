"""Scripts and pipelines (issue 15, points 9 and 10): a uniform --yes, a reader that stops early, `api` in a
pipe, --quiet with -o json, documented filters, servers `list` and `show` agreeing, `config get`, `stats`,
and scripts/demo.sh in a log."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


# -- --yes everywhere something changes --------------------------------------------------------

def _verbs() -> list[tuple[tuple[str, ...], Any]]:
    import typer

    from eclictl._reference import _context
    from eclictl.app import app

    found = []

    def walk(cmd: Any, ctx: Any, path: tuple[str, ...]) -> None:
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                if sub is not None:
                    walk(sub, _context(sub, name, ctx), path + (name,))
        else:
            found.append((path, cmd))

    root = typer.main.get_command(app)
    walk(root, _context(root, "eclictl", None), ())
    return found


def test_every_verb_that_changes_something_accepts_yes() -> None:
    writing = [(path, cmd) for path, cmd in _verbs() if getattr(cmd.callback, "__eclictl_writes__", False)]
    assert len(writing) > 100
    missing = [" ".join(path) for path, cmd in writing
               if not any("--yes" in getattr(p, "opts", ()) for p in cmd.params)]
    assert not missing, missing


def test_yes_on_a_verb_that_never_asks_is_accepted_and_changes_nothing_else(cli: Any, sandbox: Any) -> None:
    r = cli("flags", "enable", "ticketing", "--yes", "--wait", "0", "-o", "json")
    assert r.exit_code == 0, r
    assert "No such option" not in r.stderr and "unknown option" not in r.stderr
    r = cli("flags", "list", "--help")
    assert "--yes" not in r.stdout  # reading verbs do not grow it


# -- a reader that stops early ---------------------------------------------------------------

class ClosedPipe(io.StringIO):
    """stdout of `eclictl ... | head -1` once head has exited."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_pipe_is_exit_0_and_silent(sandbox: Any, isolated_config: Path) -> None:
    from eclictl.context import Factory, IOStreams
    from eclictl.main import run

    streams = IOStreams(io.StringIO(), ClosedPipe(), io.StringIO(), False, False, False)
    env = {"ECLICTL_CONFIG_DIR": str(isolated_config), "ECLICTL_URL": "http://sandbox.localhost",
           "ECLICTL_API_KEY": sandbox.keys["admin"]}
    original = __import__("os").dup(1)
    try:
        code = run(["users", "list", "--all", "-o", "json"], Factory(io=streams, env=env,
                                                                       transport=sandbox.transport()))
    finally:
        __import__("os").dup2(original, 1)  # main points fd 1 at /dev/null after a closed pipe
    assert code == 0 and streams.stderr.getvalue() == ""


# -- api in a pipe ------------------------------------------------------------------------------

def test_api_prints_json_in_a_pipe_like_gh_api(cli: Any) -> None:
    import json

    piped = cli("api", "/api/admin/users")
    assert piped.exit_code == 0 and isinstance(json.loads(piped.stdout), dict), piped
    assert "users" in json.loads(piped.stdout)
    assert cli("api", "/api/admin/users", "-o", "tsv").stdout.startswith("users\t")  # -o still chooses
    assert not cli("api", "/api/admin/users", tty=True).stdout.lstrip().startswith("{")  # a terminal: a table


# -- --quiet never hides what -o asked for ------------------------------------------------------

def test_quiet_with_o_json_writes_the_summary_and_nothing_on_stderr(cli: Any, sandbox: Any) -> None:
    """The README cron line: `... --yes --quiet --since-last-run F -o json > fraud-last.json` wrote an empty
    file, because --quiet suppressed the data that -o json asked for."""
    r = cli("fraud", "dismiss", "--all-matching", "--reason-contains", "disposable", "--yes", "--quiet", "-o", "json")
    assert r.exit_code == 0 and r.stderr == "", r
    assert r.json()["counts"]["dismissed"] >= 3
    r = cli("fraud", "dismiss", "--all-matching", "--reason-contains", "disposable", "--yes", "--quiet")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")  # without -o: silent, as documented


# -- servers --------------------------------------------------------------------------------------

def test_servers_list_node_matches_a_part_of_the_node_name(cli: Any, sandbox: Any) -> None:
    every = cli("servers", "list", "--all", "-o", "json").json()
    fra = [s["uuid"] for s in every if "fra-1" in str(s.get("nodeName") or "")]
    assert fra and len(fra) < len(every)
    r = cli("servers", "list", "--all", "--node", "fra-1", "-o", "ids")
    assert r.exit_code == 0 and sorted(r.stdout.split()) == sorted(fra), r
    assert sorted(cli("servers", "list", "--all", "--node", "FRA", "-o", "ids").stdout.split()) == sorted(fra)


def test_every_listed_server_can_be_shown(cli: Any, sandbox: Any) -> None:
    """The list also reports servers only a node's Wings knows (no configuration row); the show route reads
    the DB only (backend/src/handlers/adminHandler.ts), so `show` said 'Server not found'."""
    rows = cli("servers", "list", "--all", "-o", "json").json()
    orphans = [r for r in rows if r["uuid"] not in {c["uuid"] for c in sandbox.state.servers.values()}]
    assert orphans, "the sandbox seeds a server only Wings knows"
    for row in rows:
        r = cli("servers", "show", row["uuid"], "-o", "json")
        assert r.exit_code == 0 and r.json()["uuid"] == row["uuid"], r
    orphan = orphans[0]["uuid"]
    r = cli("servers", "show", orphan)
    assert "has no configuration for it" in r.stderr
    r = cli("servers", "suspend", orphan, "--yes")
    assert r.exit_code != 0 and "has no configuration for it" in r.stdout + r.stderr
    assert "no server" not in r.stdout + r.stderr


# -- config get ------------------------------------------------------------------------------------

def test_config_get_hides_session_keys_and_names_current_profile(cli: Any, isolated_config: Path) -> None:
    isolated_config.mkdir(parents=True, exist_ok=True)
    (isolated_config / "config.toml").write_text(
        'current_profile = "staff"\n[profiles.staff]\nurl = "http://sandbox.localhost"\ntoken = "tok-123456789"\n'
        'csrf_token = "csrf-123456789"\ntoken_expires_at = "2999-01-01T00:00:00Z"\n')
    r = cli("config", "get", "-o", "json", url=None, key=None)
    assert r.exit_code == 0, r
    rows = {row["key"]: row for row in r.json()}
    assert "token" not in rows and "csrf_token" not in rows and "token_expires_at" not in rows
    assert rows["profile"] == {"key": "profile", "value": "staff", "source": "current_profile"}
    env = cli("config", "get", "profile", "-o", "json", url=None, key=None, env={"ECLICTL_PROFILE": "staff"})
    assert env.json()["source"] == "env ECLICTL_PROFILE"
    assert cli("-p", "staff", "config", "get", "profile", "-o", "json", url=None, key=None).json()["source"] == "flag"


# -- stats -----------------------------------------------------------------------------------------

def test_stats_durations_read_humanly_on_a_terminal_and_stay_raw_in_json(cli: Any) -> None:
    from eclictl.units import human_duration

    raw = cli("stats", "-o", "json").json()["stats"]["avgTicketResponseMs"]
    assert isinstance(raw, (int, float)) and raw >= 3_600_000
    shown = cli("stats", tty=True)
    assert shown.exit_code == 0
    line = next(line for line in shown.stdout.splitlines() if "avgTicketResponseMs " in line + " ")
    assert human_duration(raw) in line and str(raw) not in line
    assert human_duration(7_200_000) == "2h 0m" and human_duration(90_061_000) == "1d 1h"
    assert human_duration(850) == "850ms" and human_duration(65_000) == "1m 5s"


# -- scripts/demo.sh ------------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_demo_script_writes_no_escapes_into_a_log() -> None:
    text = (ROOT / "scripts" / "demo.sh").read_text()
    start, end = text.index("# -- output helpers"), text.index("# -- end of output helpers")
    helpers = text[start:end]
    done = subprocess.run(["bash", "-c", helpers + "\nstep echo hello"], capture_output=True, text=True,
                          timeout=30, env={"PATH": "/usr/bin:/bin", "TERM": "xterm"})
    assert done.returncode == 0 and done.stdout == "\n$ echo hello\nhello\n", done
    assert "\x1b" not in done.stdout and "\\033" not in done.stdout
