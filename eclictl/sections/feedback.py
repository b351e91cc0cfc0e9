"""Feedback tab: `/api/admin/feedback*` (docs/panel/support.md#feedback).

Needs only `admin:access`. The list pages (`page`, `limit` up to 100) and filters on an exact
`rating` (0-5) server-side; ELO vote feedback is left out by the panel. Messages are the users' own
free text and each row embeds the author (name, e-mail): both are masked by --redact.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Optional

import typer

from eclictl.api.pagination import PageSpec
from eclictl.errors import UsageError
from eclictl.options import command
from eclictl.output.columns import Col
from eclictl.sections._fields import Bulk, add_writes
from eclictl.sections._spec import FILTER_PANEL, Filter, Section, build, list_view, register

PATH = "/api/admin/feedback"

FEEDBACK = Section(
    name="feedback",
    help="User feedback (ratings 0-5 and comments): list, show, delete.",
    path=PATH,
    pages=PageSpec(items_key="data", page_param="page", size_param="limit", page_size=100, total_key="total"),
    columns=(Col("id"), Col("rating"), Col("user.email", "USER"), Col("message", max_width=60),
             Col("createdAt", "CREATED")),
    name_fields=(),
    delete_path=f"{PATH}/{{id}}",
    permission="admin:access",
    tab="feedback",
    sensitive={"message": "pii"},
    filters=(Filter("rating", "Only this rating (0-5, server-side).", param="rating"),),
    verbs=("list", "show", "delete"),
    examples=("eclictl feedback list", "eclictl feedback list --rating 1 --all -o json --redact",
              "eclictl feedback show 12", "eclictl feedback show 12 -o json"),
)
app = build(replace(FEEDBACK, verbs=("show",)))
register(FEEDBACK)  # `list` (validated --rating) and `delete` (numeric ids) are hand-written below


@app.command("list", epilog="Examples:\n\n  eclictl feedback list\n\n"
             "  eclictl feedback list --rating 1 --all -o json\n\n  eclictl feedback list --page 2 --redact")
@command()
def feedback_list(
    rating: Annotated[Optional[int], typer.Option("--rating", help="Only this rating (0-5, server-side).",
                                                  rich_help_panel=FILTER_PANEL, show_default=False)] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", "-n", help="Show at most N rows.",
                                                 show_default=False)] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="Fetch every page.")] = False,
    page: Annotated[Optional[int], typer.Option("--page", help="Start at this page (100 per page).",
                                                show_default=False)] = None,
    web: Annotated[bool, typer.Option("--web", help="Open this tab of the web portal instead.")] = False,
) -> Any:
    """List feedback, newest first (one page of 100 unless --all or --limit)."""
    from eclictl.context import current

    ctx = current()
    if web:
        from eclictl.weblinks import open_tab

        return open_tab(ctx, "feedback")
    if rating is not None and not 0 <= rating <= 5:
        raise UsageError(f"--rating must be 0-5, got {rating}")
    if limit is not None and limit < 1:
        raise UsageError("--limit must be at least 1")
    if page is not None and page < 1:
        raise UsageError("--page must be at least 1")
    params = {"rating": rating} if rating is not None else None
    rows = FEEDBACK.iter_rows(ctx.api, params, limit=limit, page=page,
                              all_pages=all_pages or limit is not None)
    return list_view(FEEDBACK, rows)


def _positive(ctx: Any, items: list[str]) -> list[str]:
    bad = [i for i in items if not i.isdigit() or int(i) == 0]
    if bad:
        raise UsageError(f"feedback ids are positive numbers, got '{bad[0]}'")
    return items


add_writes(app, replace(FEEDBACK, writes=(
    Bulk("delete", "Delete feedback entries for good (there is no undo).",
         "Examples:\n\n  eclictl feedback delete 12 --yes\n\n"
         "  eclictl feedback list --rating 0 -o ids | eclictl feedback delete - --yes",
         "delete feedback", "ID...", "Feedback ids; '-' reads stdin.",
         lambda ctx, i: ctx.api.delete(f"{PATH}/{int(i)}"), items=_positive, dry_action="delete feedback",
         question=lambda items: f"Delete {len(items)} feedback {'entry' if len(items) == 1 else 'entries'}: "
                                f"{', '.join(items[:10])}?"),
)))
