"""End to end: `eclictl sandbox --drift` rehearses a panel upgrade and `eclictl doctor` reports it, over real HTTP."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_binary import base_env, eclictl_binary, run

pytestmark = pytest.mark.e2e


def test_doctor_reports_the_simulated_upgrade_and_reads_the_servers_date(tmp_path: Path) -> None:
    env = base_env(tmp_path, "http://unused", None)
    env.pop("ECLICTL_URL")
    proc = subprocess.Popen([eclictl_binary(), "sandbox", "--drift", "users.email=mail", "--drift", "roles.name=title"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().split("=", 1)[1]
        key = proc.stdout.readline().strip().split("=", 1)[1]
        proc.stdout.readline()  # how to use the two lines above
        notes = [proc.stdout.readline().strip() for _ in range(2)]
        assert notes == ["# simulated upgrade: users records carry mail instead of email",
                         "# simulated upgrade: roles records carry title instead of name"]
        env.update({"ECLICTL_URL": url, "ECLICTL_API_KEY": key})
        r = run(["doctor", "-o", "json"], env)
        assert r.returncode == 1, r.stderr
        checks = {c["id"]: c for c in json.loads(r.stdout)["checks"]}
        assert checks["drift.users"]["details"]["missing"] == ["email"]
        assert checks["drift.roles"]["details"]["missing"] == ["name", "parentRole.name"]  # nested records too
        assert checks["network.clock"]["status"] == "ok"  # one Date header, from the sandbox's clock
        assert checks["network.answers"]["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
