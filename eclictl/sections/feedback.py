"""Feedback tab: `/api/admin/feedback*` (docs/panel/support.md#feedback).

Needs only `admin:access`. The list pages (`page`, `limit` up to 100) and filters on an exact
`rating` (0-5) server-side; ELO vote feedback is left out by the panel. Messages are the users' own
free text and each row embeds the author (name, e-mail): both are masked by --redact.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from eclictl.api.pagination import PageSpec
from eclictl.errors import UsageError
from eclictl.output.columns import Col
from eclictl.sections._fields import Bulk, add_writes
from eclictl.sections._spec import Filter, ListOpts, Section, add_list, build, register

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
register(FEEDBACK)  # `list` (validated --rating) and `delete` (numeric ids) are added below


def _rating(api: Any, value: int) -> int:
    if not 0 <= value <= 5:
        raise UsageError(f"--rating must be 0-5, got {value}")
    return value


add_list(app, replace(FEEDBACK, filters=(replace(FEEDBACK.filters[0], type=int, convert=_rating),),
                      list_opts=ListOpts(page="Start at this page (100 per page).", page_min=False)),
         "List feedback, newest first (one page of 100 unless --all or --limit).",
         ("eclictl feedback list", "eclictl feedback list --rating 1 --all -o json",
          "eclictl feedback list --page 2 --redact"))


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
