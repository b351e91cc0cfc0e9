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


def test_opt_and_bool_opt_build_the_option_a_hand_written_annotation_would() -> None:
    import typing
    from typing import Annotated, Optional

    import typer

    from eclictl.options import bool_opt, opt

    def parts(ann: object) -> tuple[object, dict[str, object]]:
        base, info = typing.get_args(ann)
        return base, vars(info)

    assert parts(opt(int, "--limit", "-l", help="A count.", panel="Limits", min=1)) == parts(
        Annotated[Optional[int], typer.Option("--limit", "-l", help="A count.", rich_help_panel="Limits",
                                              show_default=False, min=1)])
    assert parts(opt(str, "--tag", help="A tag.")) == parts(
        Annotated[Optional[str], typer.Option("--tag", help="A tag.", show_default=False)])
    assert parts(bool_opt("--force", help="Go on.", panel="Safety")) == parts(
        Annotated[bool, typer.Option("--force", help="Go on.", rich_help_panel="Safety")])
    assert parts(opt(str, "--tag", help="A tag.")) != parts(opt(str, "--tag", help="Another."))
