"""The one bulk runner behind every multi-item verb.

Runs an action per item with bounded concurrency over the shared client, keeps results in
input order, shows a progress bar on a terminal only, and reports every item as done,
failed or not started. A partly failed run exits 8 after printing exactly which items failed.
"""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from eclictl.errors import EclictlError, PartialFailure

DONE, FAILED, SKIPPED, NOT_STARTED = "done", "failed", "skipped", "not_started"


@dataclass
class ItemResult:
    item: str
    status: str = NOT_STARTED
    message: str = ""
    data: Any = None

    def row(self) -> dict[str, Any]:
        return {"item": self.item, "status": self.status, "message": self.message}


@dataclass
class BulkReport:
    action: str
    results: list[ItemResult] = field(default_factory=list)
    interrupted: bool = False

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> list[ItemResult]:
        return [r for r in self.results if r.status == FAILED]

    def summary(self) -> dict[str, Any]:
        """The stable JSON shape of every bulk report."""
        by_status: dict[str, list[str]] = {DONE: [], FAILED: [], SKIPPED: [], NOT_STARTED: []}
        for r in self.results:
            by_status.setdefault(r.status, []).append(r.item)
        return {
            "action": self.action,
            "total": len(self.results),
            "done": len(by_status[DONE]),
            "failed": len(by_status[FAILED]),
            "skipped": len(by_status[SKIPPED]),
            "not_started": len(by_status[NOT_STARTED]),
            "interrupted": self.interrupted,
            "items": [r.row() for r in self.results],
        }


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, EclictlError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"


class BulkRunner:
    """`run(items, action)`; the action returns (status, message) or data, or raises."""

    def __init__(self, ctx: Any, *, concurrency: int | None = None, progress: bool | None = None) -> None:
        self.ctx = ctx
        self.concurrency = max(1, concurrency or ctx.settings.concurrency or 1)
        self.progress = ctx.io.stderr_tty if progress is None else progress
        self._stop = threading.Event()

    def run(self, action_name: str, items: Sequence[str], action: Callable[[str], Any]) -> BulkReport:
        report = BulkReport(action_name, [ItemResult(str(i)) for i in items])
        bar = _Progress(self.ctx, action_name, len(items)) if self.progress and items else None
        context = contextvars.copy_context()

        def one(index: int) -> None:
            result = report.results[index]
            try:
                outcome = context.copy().run(action, result.item)
            except Exception as exc:  # noqa: BLE001 - every failure becomes a row in the report
                result.status, result.message = FAILED, describe_error(exc)
            else:
                if isinstance(outcome, tuple) and len(outcome) == 2 and outcome[0] in (DONE, FAILED, SKIPPED):
                    result.status, result.message = outcome
                else:
                    result.status, result.data = DONE, outcome
            if bar:
                bar.advance(result.status == FAILED)

        try:
            if self.concurrency == 1:
                for index in range(len(items)):
                    if self._stop.is_set():
                        break
                    one(index)
            else:
                self._run_pool(len(items), one)
        except KeyboardInterrupt:
            report.interrupted = True
        finally:
            if bar:
                bar.close()
        return report

    def _run_pool(self, total: int, one: Callable[[int], None]) -> None:
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="eclictl-bulk") as pool:
            pending: set[Future[None]] = set()
            next_index = 0
            try:
                while next_index < total or pending:
                    while next_index < total and len(pending) < self.concurrency and not self._stop.is_set():
                        pending.add(pool.submit(one, next_index))
                        next_index += 1
                    if not pending:
                        break
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
            except KeyboardInterrupt:
                self._stop.set()
                wait(pending)  # let in-flight items finish so their outcome is known
                raise


class _Progress:
    def __init__(self, ctx: Any, label: str, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._lock = threading.Lock()
        self.failed = 0
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("failed: {task.fields[failed]}"), TimeRemainingColumn(),
                                 console=Console(file=ctx.io.stderr), transient=True)
        self.task = self.progress.add_task(label, total=total, failed=0)
        self.progress.start()

    def advance(self, failed: bool) -> None:
        with self._lock:
            self.failed += int(failed)
            self.progress.update(self.task, advance=1, failed=self.failed)

    def close(self) -> None:
        self.progress.stop()


def finish(ctx: Any, report: BulkReport, *, quiet: bool = False) -> None:
    """Print the per-item report; exit 8 (partial) or 130 (interrupted) when not all went well."""
    from eclictl.output.render import View

    failed = report.failed
    if not (quiet and not failed and not report.interrupted):
        from eclictl.output.columns import Col

        ctx.emit(View([r.row() for r in report.results], columns=[Col("item"), Col("status"), Col("message")],
                      id_field="item", json_data=report.summary()))
    done, skipped = report.count(DONE), report.count(SKIPPED)
    not_started = report.count(NOT_STARTED)
    if failed or report.interrupted or not quiet:
        parts = [f"{done} done"]
        if skipped:
            parts.append(f"{skipped} skipped")
        if failed:
            parts.append(f"{len(failed)} failed ({', '.join(r.item for r in failed[:20])}"
                         f"{', …' if len(failed) > 20 else ''})")
        if not_started:
            parts.append(f"{not_started} not started")
        ctx.info(f"{report.action}: " + ", ".join(parts))
    if report.interrupted:
        from eclictl.errors import Interrupted

        raise Interrupted(f"{report.action} interrupted; {not_started} item(s) not started")
    if failed:
        raise PartialFailure(f"{report.action}: {len(failed)} of {len(report.results)} item(s) failed")
