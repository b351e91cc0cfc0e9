"""The shared write checks (writes.py) and the one size/CPU parser (units.py)."""

from __future__ import annotations

import pytest

from eclictl.errors import UsageError
from eclictl.units import parse_cpu_percent, parse_size_mib
from eclictl.writes import NotAppliedError, ignored_fields, refuse_clears, same, verify_applied


@pytest.mark.parametrize("raw, mib", [(4096, 4096), ("4096", 4096), ("4G", 4096), ("4gb", 4096), ("1.5t", 1572864),
                                      ("512 MB", 512), ("2,5g", 2560), ("1048576b", 1), ("1gbs", 1024)])
def test_sizes_follow_the_panels_parse_size_to_mb(raw: object, mib: int) -> None:
    assert parse_size_mib(raw) == mib


@pytest.mark.parametrize("raw", ["lots", "", "-5", "4 GiB", None, True, [], "4G4"])
def test_not_a_size(raw: object) -> None:
    assert parse_size_mib(raw) is None


def test_cpu_words() -> None:
    assert [parse_cpu_percent(v) for v in (150, "150%", "1.5 cores", "2 vcpu", "1 core")] == [150, 150, 150, 200, 100]
    assert parse_cpu_percent("2 cpu") is None  # the panel would read that as 2 %
    assert parse_cpu_percent("fast") is None


def test_refuse_clears_names_the_fields_and_sends_nothing() -> None:
    refuse_clears({"name": "x", "notice": "kept"}, ("notice",))
    with pytest.raises(UsageError) as info:
        refuse_clears({"notice": None, "fqdn": " ", "name": "x"}, ("notice", "fqdn"), where="a node")
    assert info.value.message.startswith("the panel cannot clear notice, fqdn on a node")


def test_same_is_tolerant_where_the_panel_normalises() -> None:
    assert same(12, "12") and same(1, 1.0) and same(" a ", "a") and same(None, "") and same(True, 1)
    assert same({"memory": 4}, {"memory": 4, "disk": 9})  # a partial update
    assert not same(None, 1) and not same("a", "b") and not same([1], [1, 2]) and not same(True, 0)


def test_verify_applied_reports_each_ignored_field() -> None:
    verify_applied({"a": 1, "b": "x"}, {"a": 1, "b": "x", "c": 3}, what="thing 1")
    with pytest.raises(NotAppliedError) as info:
        verify_applied({"assignedTo": None, "priority": "high"}, {"assignedTo": 4, "priority": "high"}, what="ticket 9")
    assert info.value.exit_code == 7
    assert info.value.message == ("ticket 9: the panel answered success but ignored assignedTo: sent null, still 4 "
                                  "(applied: priority)")
    assert ignored_fields({"x": "4G"}, {"x": 4096}, expect={"x": lambda v: v == 4096}) == []
    assert ignored_fields({"secret": "s"}, {}, skip=("secret",)) == []
    with pytest.raises(NotAppliedError, match="could not be read back"):
        verify_applied({"a": 1}, None, what="thing 2")
