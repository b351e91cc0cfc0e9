"""A run builds only the verb it calls: Typer's per-verb signature work is most of a listing's start-up."""

from __future__ import annotations

from typing import Any

import pytest
import typer.main


@pytest.fixture
def built_verbs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    names: list[str] = []
    original = typer.main.get_command_from_info

    def counting(command_info: Any, **kwargs: Any) -> Any:
        names.append(command_info.callback.__name__)
        return original(command_info, **kwargs)

    monkeypatch.setattr(typer.main, "get_command_from_info", counting)
    return names


def test_a_listing_builds_only_the_list_verb(cli: Any, built_verbs: list[str]) -> None:
    result = cli("users", "list", "-o", "json")
    assert result.exit_code == 0, result
    assert len(result.json()) > 0
    assert len(built_verbs) == 1, built_verbs


def test_a_mistyped_verb_still_gets_the_whole_group_and_a_suggestion(cli: Any, built_verbs: list[str]) -> None:
    result = cli("users", "lst")
    assert result.exit_code == 2
    assert "did you mean 'list'" in result.stderr.lower()
    assert len(built_verbs) > 5


def test_a_verb_of_a_nested_group_still_runs(cli: Any) -> None:
    models = cli("ai", "models", "list", "-o", "json")
    assert models.exit_code == 0, models
    assert isinstance(models.json(), list)
