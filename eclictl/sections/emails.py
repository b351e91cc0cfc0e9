"""Outbound Emails tab: `/api/admin/outbound-emails` (docs/panel/support.md#outbound-e-mails).

Each item embeds the sender's complete user row (address, phone, date of birth, 2FA data...).
eclictl never shows it: rows keep only `user: {id, email, firstName, lastName}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Iterator, Mapping

import typer

from eclictl.api.pagination import PageSpec
from eclictl.errors import NotFoundError, UsageError
from eclictl.options import command
from eclictl.output.columns import Col
from eclictl.sections._spec import Filter, Section, build, detail_view, user_ref

PATH = "/api/admin/outbound-emails"
USER_KEEP = ("id", "email", "firstName", "lastName")


def slim(row: Any) -> Any:
    """Drop the embedded full user row (docs/panel/support.md#outbound-e-mails, docs/panel/conventions.md#privacy)."""
    if not isinstance(row, dict):
        return row
    out = dict(row)
    user = out.get("user")
    if isinstance(user, dict):
        out["user"] = {k: user.get(k) for k in USER_KEEP if k in user}
    return out


@dataclass(frozen=True)
class EmailsSection(Section):
    def iter_rows(self, api: Any, params: Mapping[str, Any] | None = None, *, limit: int | None = None,
                  page: int | None = None, all_pages: bool = True) -> Iterator[dict[str, Any]]:
        return (slim(r) for r in super().iter_rows(api, params, limit=limit, page=page, all_pages=all_pages))


EMAILS = EmailsSection(
    name="emails",
    help="Outbound e-mails users sent from the panel's mailbox: list and show.",
    path=PATH,
    pages=PageSpec(items_key="items", page_param="page", size_param="per", page_size=50, total_key="total"),
    columns=(
        Col("id"), Col("status"), Col("fromAddress", "FROM"), Col("toAddress", "TO"),
        Col("subject", max_width=40), Col("attempts"), Col("createdAt", "CREATED"), Col("sentAt", "SENT"),
    ),
    name_fields=(),
    permission="admin:outbound-emails",
    tab="outbound-emails",
    sensitive={"subject": "pii", "html": "pii", "cc": "subtree", "bcc": "subtree", "failureReason": "pii"},
    filters=(
        Filter("query", "Text in to/from/subject/body.", param="q", short="-q"),
        Filter("user", "Only mail sent by this user: id or exact e-mail.", param="userId", convert=user_ref),
        Filter("status", "queued|sent|failed.", param="status"),
    ),
    verbs=("list",),
    examples=(
        "eclictl emails list",
        "eclictl emails list --status failed --all -o json --redact",
        "eclictl emails list -q invoice --user 42",
        "eclictl emails list --user jane@example.com --status failed",
    ),
)

app = build(EMAILS)


@app.command("show", epilog="Examples:\n\n  eclictl emails show 812\n\n  eclictl emails show 812 -o json --redact")
@command()
def show(ref: Annotated[str, typer.Argument(metavar="ID", help="The e-mail's id.")]) -> Any:
    """Show one outbound e-mail with its body (searched page by page: there is no single-item route)."""
    from eclictl.context import current

    ctx = current()
    try:
        wanted = int(ref)
    except ValueError:
        raise UsageError(f"e-mail ids are numbers, got '{ref}'") from None
    for row in EMAILS.iter_rows(ctx.api, {}):
        if isinstance(row, dict) and row.get("id") == wanted:
            return detail_view(EMAILS, row)
        if isinstance(row, dict) and isinstance(row.get("id"), int) and row["id"] < wanted:
            break  # newest id first: it is not further on
    raise NotFoundError(f"no outbound e-mail {wanted}")
