"""Verified bulk reports: what really changed per item after a write the panel answers vaguely (fraud, antiabuse)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Iterator, Optional, Sequence

import typer

from eclictl.errors import NotFoundError, PartialFailure, RejectedError
from eclictl.options import SAFETY_PANEL
from eclictl.output.columns import Col
from eclictl.sections._spec import FILTER_PANEL

CRON_PANEL = "Scheduling"

if TYPE_CHECKING:
    from eclictl.context import AppContext

REPORT_COLUMNS = (Col("item"), Col("id"), Col("status"), Col("message"))


@dataclass
class Outcome:
    item: str  # as given (an id or e-mail)
    id: Any  # the resolved id, or None
    status: str
    message: str = ""

    def row(self) -> dict[str, Any]:
        return {"item": self.item, "id": self.id, "status": self.status, "message": self.message}


@dataclass
class VerifiedReport:
    """A per-item report whose outcomes were checked by re-reading the panel."""

    action: str
    statuses: tuple[str, ...]
    outcomes: list[Outcome] = field(default_factory=list)
    dry_run: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def summary(self) -> dict[str, Any]:
        """The stable JSON shape (documented in each verb's epilog)."""
        out: dict[str, Any] = {"action": self.action, "dry_run": self.dry_run, "total": len(self.outcomes),
                               "counts": {s: self.count(s) for s in self.statuses}}
        for status in self.statuses:
            out[status] = [o.item for o in self.outcomes if o.status == status]
        out["items"] = [o.row() for o in self.outcomes]
        out.update(self.extra)
        return out

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def finish_verified(ctx: "AppContext", report: VerifiedReport, *, quiet: bool = False) -> None:
    """Print the report (nothing with --quiet on success); exit 8 on failures, 6 when nothing was found."""
    from eclictl.output.render import View

    failed = report.failed
    all_missing = bool(report.outcomes) and report.count("not_found") == len(report.outcomes)
    if not quiet or failed or all_missing or ctx.output_requested:  # --quiet never drops what -o asked for
        ctx.emit(View([o.row() for o in report.outcomes], columns=REPORT_COLUMNS, id_field="id",
                      json_data=report.summary(), empty="nothing to do"))
    if not quiet or failed or all_missing:
        parts = [f"{report.count(s)} {s.replace('_', ' ')}" for s in report.statuses if report.count(s)]
        ctx.info(f"{report.action}{' (dry run)' if report.dry_run else ''}: " + (", ".join(parts) or "nothing to do"))
    if failed:
        ids = ", ".join(o.item for o in failed[:20]) + (", …" if len(failed) > 20 else "")
        raise PartialFailure(f"{report.action}: {len(failed)} of {len(report.outcomes)} item(s) failed ({ids})",
                             hint="re-run the same command to retry the failed items")
    if all_missing:
        raise NotFoundError(f"{report.action}: none of the given items exist")


def check_max_affected(count: int, limit: int | None, what: str) -> None:
    if limit is not None and count > limit:
        raise RejectedError(f"{count} {what} would change, more than --max-affected {limit}; nothing was done",
                            hint="narrow the selection or raise --max-affected")


def batches(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def abort_on_access_error(exc: Exception, done_any: bool) -> None:
    """An auth/permission error before anything changed is the command's error, not a partial run."""
    from eclictl.api.errors import ApiAuthError, ApiPermissionError

    if not done_any and isinstance(exc, (ApiAuthError, ApiPermissionError)):
        raise exc


SinceOpt = Annotated[Optional[str], typer.Option(
    "--since", help="Only alerts detected within this duration (30d, 12h, 2w) or since this date.",
    rich_help_panel=FILTER_PANEL, show_default=False)]


QuietOpt = Annotated[bool, typer.Option("--quiet", help="Print nothing when everything succeeded (cron).",
                                        rich_help_panel=CRON_PANEL)]


MaxAffectedOpt = Annotated[Optional[int], typer.Option(
    "--max-affected", min=0, help="Refuse (exit 7, nothing changed) when more than N would change.",
    rich_help_panel=SAFETY_PANEL, show_default=False)]
