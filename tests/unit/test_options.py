"""The @command decorator's handling of annotations (see eclictl/options.py)."""

from __future__ import annotations


def test_python_310_implicit_optional_around_annotated_is_undone() -> None:
    """3.10's get_type_hints gives Optional[Annotated[...]] for `= None` defaults; Typer needs the Annotated."""
    from typing import Annotated, Optional, Union

    import typer

    from eclictl.options import _unwrap_implicit_optional

    inner = Annotated[Optional[str], typer.Option("--tag")]
    assert _unwrap_implicit_optional(Union[inner, None]) is inner
    assert _unwrap_implicit_optional(inner) is inner
    assert _unwrap_implicit_optional(Optional[int]) == Optional[int]
