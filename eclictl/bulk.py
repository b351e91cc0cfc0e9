"""The one bulk runner behind every multi-item verb.

Runs an action per item with bounded concurrency over the shared client, keeps results in
input order, shows a progress bar on a terminal only, and reports every item as done,
failed or not started. A partly failed run exits 8 after printing exactly which items failed.
"""

from __future__ import annotations

import contextvars
import re
import threading
from concurrent.futures import ThreadPoolExecutor
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
    error: BaseException | None = field(default=None, repr=False)  # why it failed (not in the JSON report)

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
    """`run(items, action)`; the action returns (status, message) or data, or raises.

    Concurrency is bounded by `concurrency` (default: settings.concurrency). Starts are paced under
    `rate` per minute (default: settings.rate; 0 = unlimited) with the context's injectable sleep.
    `journal` appends one durable JSON line per finished item; `resume` reports items a previous
    journal has as done/skipped as skipped, without calling the action. Ctrl-C (KeyboardInterrupt,
    in the caller or raised by an action) stops scheduling, lets in-flight items finish, and marks
    the rest not_started; `finish()` then exits 130.
    """

    #: How many times one item is re-run after the panel answered 429 (beyond the client's own retries).
    RATE_LIMIT_RETRIES = 5

    def __init__(self, ctx: Any, *, concurrency: int | None = None, progress: bool | None = None,
                 rate: int | None = None, journal: Any = None, resume: Any = None,
                 pacer: Any = None) -> None:
        self.ctx = ctx
        self.concurrency = max(1, concurrency or ctx.settings.concurrency or 1)
        self.progress = ctx.io.stderr_tty if progress is None else progress
        self._stop = threading.Event()
        self.journal_path = journal if journal is not None else getattr(ctx, "bulk_journal", None)
        self.resume_path = resume if resume is not None else getattr(ctx, "bulk_resume", None)
        if self.resume_path and not self.journal_path:
            self.journal_path = self.resume_path  # a resumed run keeps journaling where it left off
        self._sleep = ctx.factory.sleep  # injectable: tests record the waits instead of sleeping
        if pacer is None:
            from eclictl.pacing import Pacer

            budget = ctx.settings.rate if rate is None else rate
            # Burst: all workers may start at once, or up to 3 s of budget (never more than that
            # over the budget in any window).
            burst = max(self.concurrency, int(budget or 0) // 20)
            pacer = Pacer(budget or 0, burst=burst, sleep=self._sleep)
        self.pacer = pacer

    def _attempt(self, action: Callable[[str], Any], item: str, context: contextvars.Context) -> Any:
        """Run one item; a 429 that outlived the client's retries backs the whole run off and retries.

        Safe for every method, POST included: the panel's rate limiter answers 429 before any
        handler runs, so the rejected request changed nothing (see api/retry.py).
        """
        from eclictl.api.errors import ApiRateLimitError
        from eclictl.api.retry import backoff

        for attempt in range(self.RATE_LIMIT_RETRIES + 1):
            try:
                return context.copy().run(action, item)
            except ApiRateLimitError as exc:
                if attempt >= self.RATE_LIMIT_RETRIES or self._stop.is_set():
                    exc.message = f"rate-limited by the panel (HTTP 429, {attempt + 1} tries): {exc.message}"
                    raise
                delay = backoff(attempt, status=429)
                self.pacer.pause(delay)  # every worker slows down, not just this one
                self._sleep(delay)
        raise AssertionError("unreachable")

    def run(self, action_name: str, items: Sequence[str], action: Callable[[str], Any]) -> BulkReport:
        from eclictl.journal import Journal, check_journal, load_finished

        safety = getattr(self.ctx, "safety", None)
        if safety is not None and items:
            safety.ensure_allowed(action_name)  # a protected profile asks once, before any worker starts
        report = BulkReport(action_name, [ItemResult(str(i)) for i in items])
        # What the journal's header records, and what a resumed journal must have been written by.
        identity = {**(getattr(self.ctx, "bulk_identity", None) or {}), "action": action_name}
        previous: dict[str, str] = {}
        if self.resume_path:
            check_journal(self.resume_path, identity, resume=True, warn=self.ctx.warn)
            previous = load_finished(self.resume_path)
        journal = None
        if self.journal_path:
            if str(self.journal_path) != str(self.resume_path):
                check_journal(self.journal_path, identity, resume=False, warn=self.ctx.warn)
            journal = Journal(self.journal_path, identity=identity)
        todo: list[int] = []
        for index, result in enumerate(report.results):
            if result.item in previous:
                result.status, result.message = SKIPPED, "done in a previous run"
                if journal:
                    journal.record(result.item, SKIPPED, result.message)
            else:
                todo.append(index)
        skipped = len(report.results) - len(todo)
        if skipped:
            self.ctx.info(f"{action_name}: resuming; {skipped} item(s) done in a previous run")
        bar = _Progress(self.ctx, action_name, len(items)) if self.progress and items else None
        if bar and skipped:
            bar.skip(skipped)
        context = contextvars.copy_context()
        client = _client_of(self.ctx)
        # Pace requests (an item may need several) through the shared client when there is one;
        # otherwise pace item starts.
        self._item_pacer = None if client is not None else self.pacer
        previous_pacer = None
        if client is not None:
            previous_pacer, client.pacer = client.pacer, self.pacer

        def one(index: int) -> None:
            result = report.results[index]
            try:
                outcome = self._attempt(action, result.item, context)
            except KeyboardInterrupt:
                # The action was cut short: its effect is unknown, so it is not "done" (a resume retries it).
                self._stop.set()
                result.status, result.message = FAILED, "interrupted (may have been partly applied)"
            except Exception as exc:  # noqa: BLE001 - every failure becomes a row in the report
                result.status, result.message, result.error = FAILED, describe_error(exc), exc
            else:
                if isinstance(outcome, tuple) and len(outcome) == 2 and outcome[0] in (DONE, FAILED, SKIPPED):
                    result.status, result.message = outcome
                else:
                    result.status, result.data = DONE, outcome
            if journal:
                journal.record(result.item, result.status, result.message)
            if bar:
                bar.advance(result.status == FAILED)

        try:
            # Items always run on worker threads (even one at a time), so a Ctrl-C reaches the main
            # thread, which stops scheduling and waits for the in-flight items to finish.
            self._run_pool(todo, one)
        except KeyboardInterrupt:
            self._stop.set()
        finally:
            if client is not None:
                client.pacer = previous_pacer
            if bar:
                bar.close()
            if journal:
                journal.close()
        report.interrupted = self._stop.is_set()
        return report

    def _pace_start(self) -> None:
        if self._item_pacer is not None:
            self._item_pacer.acquire()

    def _run_pool(self, todo: Sequence[int], one: Callable[[int], None]) -> None:
        """Start each item when a worker is free (after its pace); O(1) per item for this thread.

        A semaphore counts free workers: `concurrent.futures.wait()` on the pending set cost
        O(concurrency) lock operations per finished item here, which showed at 32 workers.
        """
        free = threading.Semaphore(self.concurrency)

        def run(index: int) -> None:
            try:
                one(index)
            finally:
                free.release()

        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="eclictl-bulk") as pool:
            try:
                for index in todo:
                    free.acquire()
                    if self._stop.is_set():
                        break
                    self._pace_start()
                    if self._stop.is_set():
                        break
                    pool.submit(run, index)
            except KeyboardInterrupt:
                self._stop.set()
                pool.shutdown(wait=True)  # let in-flight items finish so their outcome is known
                raise


def _client_of(ctx: Any) -> Any:
    """The context's shared API client, created if need be; None for contexts without one."""
    try:
        return ctx.api
    except Exception:  # noqa: BLE001 - not configured (unit tests, offline verbs): pace item starts instead
        return None


class _Progress:
    def __init__(self, ctx: Any, label: str, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, \
            TimeRemainingColumn
        from rich.text import Text

        class RateColumn(ProgressColumn):
            def render(self, task: Any) -> Text:
                speed = task.finished_speed or task.speed
                return Text(f"{speed:.1f} items/s" if speed else "– items/s")

        self._lock = threading.Lock()
        self.failed = 0
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("failed: {task.fields[failed]}"), RateColumn(),
                                 TextColumn("ETA"), TimeRemainingColumn(),
                                 console=Console(file=ctx.io.stderr, force_terminal=True), transient=True)
        self.task = self.progress.add_task(label, total=total, failed=0)
        self.progress.start()

    def skip(self, count: int) -> None:
        with self._lock:
            self.progress.update(self.task, advance=count)

    def advance(self, failed: bool) -> None:
        with self._lock:
            self.failed += int(failed)
            self.progress.update(self.task, advance=1, failed=self.failed)

    def close(self) -> None:
        self.progress.stop()


def confirm_and_run(ctx: Any, action: str, items: Sequence[str], one: Callable[[str], Any], *,
                    question: str | None, what: str = "", yes: bool = False, dry_run: bool = False,
                    dry_action: str = "delete", direct: bool = False) -> Any:
    """The shape of a multi-item verb: `--dry-run` lists the items (returned as a View), else confirm
    (when `question` is given; refused without a TTY unless --yes), run every item, print the report.
    `direct`: a single item runs without the report (run_items: its own result and exit code)."""
    if dry_run:
        from eclictl.output.render import View

        return View([{"item": i, "action": dry_action} for i in items], id_field="item")
    if question is not None:
        ctx.confirm(question, yes=yes, what=what)
    if direct:
        return run_items(ctx, action, list(items), one)
    finish(ctx, BulkRunner(ctx).run(action, items, one))
    return None


def run_items(ctx: Any, action: str, items: list[str], fn: Any) -> Any:
    """One item: call it directly, so its error keeps its own exit code (403 -> 5, 404 -> 6, ...);
    several: BulkRunner with the per-item report (exit 8 when some failed)."""
    if len(items) == 1:
        result = fn(items[0])
        return result if isinstance(result, dict) else {"item": items[0], "status": "done"}
    finish(ctx, BulkRunner(ctx).run(action, items, fn))
    return None


def finish(ctx: Any, report: BulkReport, *, quiet: bool = False) -> None:
    """Print the per-item report; exit 8 (partial) or 130 (interrupted) when not all went well."""
    from eclictl.output.render import View

    failed = report.failed
    if not (quiet and not failed and not report.interrupted) or getattr(ctx, "output_requested", False):
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
        common = _common_permission_error(report)
        if common is not None:
            raise common
        raise PartialFailure(f"{report.action}: {len(failed)} of {len(report.results)} item(s) failed")


_PERMISSION_TOKEN = re.compile(r"\b[a-z]+(?:[:.][a-z*-]+){1,3}\b")


def _is_permission_denial(exc: BaseException | None) -> bool:
    """A 403 that is about what the key may do (not a 403 refusal such as 'Cannot remove organisation
    owner' or 'Server is hibernated'): it names a permission, or says permission/Forbidden."""
    from eclictl.api.errors import ApiPermissionError

    if not isinstance(exc, ApiPermissionError):
        return False
    text = exc.message
    return bool(exc.permission or "permission" in text.lower() or text.strip() in ("Forbidden", "Admin page access "
                "required.") or _PERMISSION_TOKEN.search(text))


def _common_permission_error(report: BulkReport) -> EclictlError | None:
    """Every item refused (403) for the same missing permission: not a partial run, so the run exits
    5 with the reason (and its hint) instead of 8."""
    from eclictl.api.errors import ApiPermissionError

    errors = [r.error for r in report.results]
    if not errors or report.interrupted or not all(_is_permission_denial(e) for e in errors):
        return None
    first = errors[0]
    assert isinstance(first, ApiPermissionError)
    if any(e.message != first.message for e in errors):  # type: ignore[union-attr]
        return None
    return ApiPermissionError(f"{report.action}: all {len(errors)} item(s) refused: {first.message}",
                              status=first.status, method=first.method, path=first.path, body=first.body,
                              hint=first.hint)
