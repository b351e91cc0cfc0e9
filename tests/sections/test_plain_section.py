"""The plain section template (tests/sections/plain_links.py) is a working section of about 100 lines.

It is mounted as `eclictl links` for these tests only (the section registry and the command index are
patched back afterwards) and runs every generated verb against the sandbox's short-URL routes.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest

MODULE = "tests.sections.plain_links"


@pytest.fixture
def links(monkeypatch: pytest.MonkeyPatch) -> Any:
    import eclictl.app as app_module
    from eclictl.sections import _spec

    monkeypatch.setattr(_spec, "_REGISTRY", dict(_spec._REGISTRY))
    monkeypatch.delitem(sys.modules, MODULE, raising=False)
    known = app_module.command_modules()
    monkeypatch.setattr(app_module, "command_modules",
                        lambda: {**known, "links": (MODULE, app_module.SECTIONS_PANEL)})
    return importlib.import_module(MODULE)


def test_the_template_stays_about_a_hundred_lines() -> None:
    lines = (Path(__file__).parent / "plain_links.py").read_text().splitlines()
    assert len(lines) <= 100, len(lines)


def test_every_generated_verb_is_offered(cli: Any, links: Any) -> None:
    r = cli("links", "--help", key=None, url=None)
    assert r.exit_code == 0, r
    for verb in ("list", "show", "create", "edit", "delete"):
        assert verb in r.stdout


def test_list_and_its_filters_read_the_panel(cli: Any, sandbox: Any, links: Any) -> None:
    rows = sandbox.state.short_urls.values()
    r = cli("links", "list", "-o", "json")
    assert r.exit_code == 0, r
    assert sorted(x["id"] for x in r.json()) == sorted(x["id"] for x in rows)
    r = cli("links", "list", "--prefix", "root", "-o", "ids")
    assert r.exit_code == 0, r
    assert sorted(r.stdout.split()) == sorted(str(x["id"]) for x in rows if x["prefix"] == "root")


def test_create_show_edit_delete_round_trip(cli: Any, sandbox: Any, links: Any) -> None:
    r = cli("links", "create", "plain-demo", "https://example.com/plain", "-o", "json")
    assert r.exit_code == 0, r
    created = r.json()
    assert sandbox.state.short_urls[created["id"]]["targetUrl"] == "https://example.com/plain"

    r = cli("links", "show", "plain-demo", "-o", "json")
    assert r.exit_code == 0 and r.json()["id"] == created["id"], r

    r = cli("links", "edit", "plain-demo", "--target", "/docs", "-o", "json")
    assert r.exit_code == 0, r
    assert sandbox.state.short_urls[created["id"]]["targetUrl"] == "/docs"

    assert cli("links", "edit", "plain-demo").exit_code == 2  # nothing to change
    r = cli("links", "delete", "plain-demo", "--yes")
    assert r.exit_code == 0, r
    assert created["id"] not in sandbox.state.short_urls
