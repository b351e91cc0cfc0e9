"""Sandbox.snapshot(): a copy of a seeded panel, independent of it and of other copies."""

from __future__ import annotations

import httpx

from eclictl.sandbox import Sandbox


def test_a_copy_answers_like_the_original_and_changes_stay_in_the_copy() -> None:
    original = Sandbox(seed=0)
    blob = original.snapshot()
    first, second = Sandbox(snapshot=blob), Sandbox(snapshot=blob)
    assert first.keys == original.keys and first.state.users == original.state.users
    assert first.state.keys is first.keys and first.state.lock is not original.state.lock
    first.state.users[3]["suspended"] = True
    assert not second.state.users[3].get("suspended") and not original.state.users[3].get("suspended")
    client = httpx.Client(transport=second.transport(), base_url="http://sandbox.test",
                          headers={"Authorization": f"ApiKey {second.keys['admin']}"})
    assert client.get("/api/admin/users/3/profile").json()["email"] == "staff@example.com"
    assert second.requests == [("GET", "/api/admin/users/3/profile", 200)] and first.requests == []
