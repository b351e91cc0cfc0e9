"""Orders tab: /api/admin/orders* and /api/admin/payment-methods (docs/panel/billing.md#orders).

Feature `billing` (503 -> exit 9). The list pages by 50 with `q` (digits = user id, else e-mail
substring) and `userId`; there is no single-order route, so `show` searches the list. Payment
routes (confirm/reject, payment methods) accept only a login session (JWT): any API key gets 401.
Creating an order with a plan applies the plan to the user at once, even while unpaid; the panel
does not check that the plan exists (an unknown id gives a free, active order that cancels the
user's other orders), so `issue` checks it first. Deleting an order does not undo plan limits.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer

from eclictl.api.pagination import PageSpec
from eclictl.errors import NotFoundError, UsageError
from eclictl.inputs import loads_json
from eclictl.options import ForceOpt, YesOpt, bool_opt, command, opt
from eclictl.output.columns import Col
from eclictl.sections._fields import Bulk, add_writes, numbers
from eclictl.sections._spec import FILTER_PANEL, Filter, Section, build, detail_view, user_ref
from eclictl.writes import given

PATH = "/api/admin/orders"
METHODS_PATH = "/api/admin/payment-methods"
ORDER_PANEL = "Order"
KNOWN_STATUSES = ("pending", "awaiting_payment", "payment_sent", "active", "paid", "completed", "cancelled")
SENSITIVE = {"paymentTxId": "pii", "cryptoAddress": "pii", "notes": "pii", "address": "pii"}

ORDERS = Section(
    name="orders",
    help="Orders & payments: list, show, issue, edit, delete, confirm/reject payments, invoices (feature 'billing').",
    path=PATH,
    pages=PageSpec(items_key="orders", page_param="page", total_key="total"),
    columns=(Col("id"), Col("userId", "USER"), Col("orgId", "ORG"), Col("status"), Col("amount"),
             Col("planId", "PLAN"), Col("description", max_width=30), Col("paymentMethod", "METHOD"),
             Col("createdAt", "CREATED"), Col("expiresAt", "EXPIRES")),
    name_fields=(),
    verbs=("list", "show"),
    permission="orders:view",
    tab="orders",
    sensitive=SENSITIVE,
    filters=(
        Filter("query", "Digits: a user id; else part of the user's e-mail (panel-side).", param="q", short="-q"),
        Filter("user", "Only this user: id or exact e-mail (panel-side; ignored by the panel when --query is "
               "given).", param="userId", convert=user_ref),
        Filter("status", "Only orders in this status (pending, awaiting_payment, payment_sent, active, cancelled).",
               field="status"),
        Filter("plan", "Only orders for this plan id.", field="planId"),
    ),
    examples=("eclictl orders list", "eclictl orders list -q jane@example.com --status active -o json",
              "eclictl orders list --all --status payment_sent", "eclictl orders show 1042"),
)
app = build(ORDERS)

methods_app = typer.Typer(name="payment-methods", help="Payment methods offered at checkout (login session only).",
                          no_args_is_help=True, add_completion=False,
                          context_settings={"help_option_names": ["-h", "--help"]}, rich_markup_mode="rich")
app.add_typer(methods_app, name="payment-methods")

METHOD_COLUMNS = (Col("id"), Col("type"), Col("label"), Col("enabled"), Col("currency"), Col("network"),
                  Col("address", max_width=24))


# -- helpers ---------------------------------------------------------------------------------------

def _order_ids(ctx: Any, refs: list[str]) -> list[str]:
    return numbers("order")(ctx, ctx.read_ids(refs))


def _one_id(ref: str) -> int:
    if not ref.strip().isdigit():
        raise UsageError(f"order ids are numbers, got '{ref}'")
    return int(ref)


def _check_money(value: float | None, flag: str) -> None:
    if value is not None and (not math.isfinite(value) or value < 0):
        raise UsageError(f"{flag} must be a number >= 0, got {value}")


def _check_iso(value: str | None, flag: str) -> None:
    if value is None:
        return
    from datetime import datetime

    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{flag} must be an ISO 8601 date or time, got '{value}'") from None


def _items(raw: str | None) -> Any:
    """--items: a JSON array of {description, quantity, price}, or a plain marker like admin:manual."""
    import json

    if raw is None:
        return None
    text = raw.strip()
    if not text.startswith("["):
        return text
    try:
        value = loads_json(text)
    except ValueError:
        raise UsageError("--items is not valid JSON") from None
    for item in value:
        if not isinstance(item, dict):
            raise UsageError("--items entries must be objects {description, quantity, price}")
        for key in ("quantity", "price"):
            number = item.get(key)
            if number is not None and (isinstance(number, bool) or not isinstance(number, (int, float))
                                       or not math.isfinite(number) or number < 0):
                raise UsageError(f"--items {key} must be a number >= 0")
    return json.dumps(value)


def find_order(ctx: Any, order_id: int) -> dict[str, Any]:
    """Orders have no single-order route: search the (paged) list."""
    for row in ORDERS.iter_rows(ctx.api):
        if isinstance(row, dict) and row.get("id") == order_id:
            return row
    raise NotFoundError(f"no order {order_id}")


def _order_view(ctx: Any, answer: Any, order_id: int | None) -> Any:
    order = answer.get("order") if isinstance(answer, dict) else None
    if isinstance(order, dict) and len(order) > 2:
        extra = {k: v for k, v in answer.items() if k not in ("order", "success")} if isinstance(answer, dict) else {}
        return detail_view(ORDERS, {**order, **extra})
    ident = order.get("id") if isinstance(order, dict) else order_id
    if ident is None:
        return {"success": True}
    return detail_view(ORDERS, find_order(ctx, int(ident)))


def _payment_call(ctx: Any, path: str, body: dict[str, Any]) -> Any:
    """Payment routes reject API keys with 401: say so instead of a bare 'Unauthorized'."""
    from eclictl.api.errors import ApiAuthError

    try:
        return ctx.api.post(path, body)
    except ApiAuthError as exc:
        if ctx.settings.api_key:
            exc.hint = "payment routes accept only a login session: run `eclictl auth login` (API keys get 401)"
        raise


# -- issue / edit / delete -------------------------------------------------------------------------

@app.command("issue", epilog="Examples:\n\n  eclictl orders issue 42 --plan 3\n\n"
             "  eclictl orders issue jane@example.com --amount 12.50 --description 'Setup fee'\n\n"
             "  eclictl orders issue 42 --plan 5 --lifetime --notes 'partner deal' -o json")
@command(writes=True)
def issue(
    user: Annotated[str, typer.Argument(metavar="USER", help="User id or exact e-mail.")],
    plan: opt(int, "--plan", help="Plan id (applied to the user at once, even while unpaid).",
              panel=ORDER_PANEL) = None,
    amount: opt(float, "--amount", help="Amount; default: the plan's (regional) price (tax for the user's country "
                "goes to taxAmount/taxRate only). 0, or a free plan, activates at once.", panel=ORDER_PANEL) = None,
    tax_amount: opt(float, "--tax-amount", help="Tax part of --amount.", panel=ORDER_PANEL) = None,
    tax_rate: opt(float, "--tax-rate", help="Tax rate in percent (0-100).", panel=ORDER_PANEL) = None,
    description: opt(str, "--description", help="Shown on the invoice.", panel=ORDER_PANEL) = None,
    items: opt(str, "--items", help="JSON [{description, quantity, price}] or a marker (with --plan the panel "
               "replaces it by one line for the plan).", panel=ORDER_PANEL) = None,
    expires: opt(str, "--expires", help="ISO 8601 expiry (default +30 days).", panel=ORDER_PANEL) = None,
    notes: opt(str, "--notes", help="Internal notes.", panel=ORDER_PANEL) = None,
    lifetime: bool_opt("--lifetime", help="A lifetime order (+100 years).", panel=ORDER_PANEL) = False,
) -> Any:
    """Issue an order for a user (orders:issue); amount 0 activates it and cancels their other orders."""
    from eclictl.context import current
    from eclictl.sections.users import resolve_user_id

    ctx = current()
    _check_money(amount, "--amount")
    _check_money(tax_amount, "--tax-amount")
    _check_money(tax_rate, "--tax-rate")
    if tax_rate is not None and tax_rate > 100:
        raise UsageError("--tax-rate is a percentage from 0 to 100")
    _check_plan_id(plan)
    _check_iso(expires, "--expires")
    parsed_items = _items(items)
    user_id = resolve_user_id(ctx.api, user)
    if plan is not None:
        _check_plan_exists(ctx, plan)
    body = {"userId": user_id, **given(planId=plan, amount=amount, taxAmount=tax_amount, taxRate=tax_rate,
                                       description=description, items=parsed_items, expiresAt=expires, notes=notes,
                                       billingType="lifetime" if lifetime else None)}
    if plan is not None:
        ctx.warn(f"plan {plan} is applied to user {user_id} now, before payment")
    answer = ctx.api.post(PATH, body)
    return _order_view(ctx, answer, None)


def _check_plan_id(plan: int | None) -> None:
    if plan is not None and plan < 1:
        raise UsageError("--plan must be a plan id")


def _check_plan_exists(ctx: Any, plan_id: int) -> None:
    """The panel issues an order for any plan id: an unknown one becomes a free, active order that
    cancels the user's other active orders. Refuse it here; without admin:plans:view, only warn."""
    from eclictl.api.errors import ApiError
    from eclictl.sections.plans import PLANS

    try:
        PLANS.resolve(ctx.api, str(plan_id))
    except NotFoundError:
        raise NotFoundError(f"no plan {plan_id}", hint="see `eclictl plans list`") from None
    except ApiError as exc:
        if getattr(exc, "status", None) in (401, 403):
            ctx.warn(f"cannot check that plan {plan_id} exists ({exc}); the panel does not check it either")
            return
        raise


@app.command("edit", epilog="Examples:\n\n  eclictl orders edit 1042 --status cancelled --notes 'refunded'\n\n"
             "  eclictl orders edit 1042 --amount 9.99 --expires 2027-01-31T00:00:00Z\n\n"
             "  eclictl orders edit 1042 --clear-plan")
@command(writes=True)
def edit(
    ref: Annotated[str, typer.Argument(metavar="ID", help="Order id.")],
    status: Annotated[Optional[str], typer.Option("--status", help=f"New status ({', '.join(KNOWN_STATUSES)}); "
                                                  "not validated by the panel.", rich_help_panel=ORDER_PANEL,
                                                  show_default=False)] = None,
    notes: opt(str, "--notes", help="Replace the notes (an org_order marker is kept).", panel=ORDER_PANEL) = None,
    expires: opt(str, "--expires", help="ISO 8601 expiry.", panel=ORDER_PANEL) = None,
    description: opt(str, "--description", help="New description.", panel=ORDER_PANEL) = None,
    amount: opt(float, "--amount", help="New total (>= 0).", panel=ORDER_PANEL) = None,
    plan: opt(int, "--plan", help="New plan id.", panel=ORDER_PANEL) = None,
    clear_plan: bool_opt("--clear-plan", help="Detach the plan (planId null).", panel=ORDER_PANEL) = False,
    items: opt(str, "--items", help="JSON [{description, quantity, price}] or a marker.", panel=ORDER_PANEL) = None,
    user: opt(str, "--user", help="Move the order to this user id or e-mail.", panel=ORDER_PANEL) = None,
) -> Any:
    """Change an order; an active/paid/completed order with a plan re-applies the plan to the user."""
    from eclictl.context import current

    ctx = current()
    order_id = _one_id(ref)
    _check_money(amount, "--amount")
    _check_iso(expires, "--expires")
    if plan is not None and clear_plan:
        raise UsageError("--plan and --clear-plan exclude each other")
    _check_plan_id(plan)
    if status is not None and not status.strip():
        raise UsageError("--status must not be empty")
    body = given(status=status, notes=notes, expiresAt=expires, description=description, amount=amount, planId=plan,
                 items=_items(items))
    if clear_plan:
        body["planId"] = None
    if not body and user is None:
        raise UsageError("nothing to change", hint="pass at least one option, e.g. --status cancelled")
    if status is not None and status not in KNOWN_STATUSES:
        ctx.warn(f"'{status}' is not a status the panel uses ({', '.join(KNOWN_STATUSES)}); sent as given")
    if user is not None:
        from eclictl.sections.users import resolve_user_id

        body["userId"] = resolve_user_id(ctx.api, user)
    answer = ctx.api.put(f"{PATH}/{order_id}", body)
    return _order_view(ctx, answer, order_id)


def _delete_order(ctx: Any, item: str) -> Any:
    ctx.api.delete(f"{PATH}/{item}")  # unknown ids: 404 `Order not found` -> exit 6
    return {"id": int(item), "deleted": True}


add_writes(app, replace(ORDERS, writes=(
    Bulk("delete", "Delete orders (plan limits they granted stay); unknown ids fail with 'Order not found' (exit 6).",
         "Examples:\n\n  eclictl orders delete 1042 --yes\n\n"
         "  eclictl orders list --status cancelled -o ids | eclictl orders delete - --yes",
         "delete orders", "ID...", "Order ids; '-' reads stdin.", _delete_order, items=numbers("order"),
         dry_help="List what would be deleted.", direct=True,
         question=lambda items: f"Delete {len(items)} orders: {', '.join(items[:10])}?"),
)))


# -- payments --------------------------------------------------------------------------------------

@app.command("confirm-payment", epilog="Examples:\n\n  eclictl orders confirm-payment 1042 --tx-id PAYID-7Q2 --yes\n\n"
             "  eclictl orders list --status payment_sent -o ids | eclictl orders confirm-payment - --yes")
@command(bulk=True)
def confirm_payment(
    refs: Annotated[list[str], typer.Argument(metavar="ID...", help="Order ids; '-' reads stdin.")],
    tx_id: opt(str, "--tx-id", help="Payment reference (one order only).") = None,
    notes: opt(str, "--notes", help="Appended to the order's notes.") = None,
    yes: YesOpt = False,
) -> Any:
    """Mark orders paid: active for a month, the user's other active orders cancelled, plan limits raised."""
    from eclictl.context import current

    ctx = current()
    items = _order_ids(ctx, refs)
    if tx_id is not None and len(items) > 1:
        raise UsageError("--tx-id is one payment's reference: confirm one order at a time with it")
    body: dict[str, Any] = {}
    if tx_id:
        body["txId"] = tx_id
    if notes:
        body["notes"] = notes
    return _payments(ctx, "confirm payments", items, yes, f"Confirm payment of {len(items)} orders: "
                     f"{', '.join(items[:10])}? Other active orders of those users are cancelled.",
                     lambda item: _payment_call(ctx, f"{PATH}/{item}/confirm-payment", body))


@app.command("reject-payment", epilog="Examples:\n\n  eclictl orders reject-payment 1042 --reason 'no funds received' --yes")
@command(bulk=True)
def reject_payment(
    refs: Annotated[list[str], typer.Argument(metavar="ID...", help="Order ids; '-' reads stdin.")],
    reason: opt(str, "--reason", help="Appended to the notes ('Payment rejected: ...').") = None,
    yes: YesOpt = False,
) -> Any:
    """Reject pending payments: the orders are cancelled (the user gets no e-mail)."""
    from eclictl.context import current

    ctx = current()
    items = _order_ids(ctx, refs)
    body: dict[str, Any] = {"reason": reason} if reason else {}
    return _payments(ctx, "reject payments", items, yes,
                     f"Reject the payment of {len(items)} orders: {', '.join(items[:10])}?",
                     lambda item: _payment_call(ctx, f"{PATH}/{item}/reject-payment", body))


def _payments(ctx: Any, action: str, items: list[str], yes: bool, question: str, call: Callable[[str], Any]) -> Any:
    """confirm-payment/reject-payment: one confirmation, then `call(order id)` per order, each answer
    judged by _payment_result (one order: its own result and exit code)."""
    from eclictl.bulk import confirm_and_run

    return confirm_and_run(ctx, action, items, lambda item: _payment_result(item, call(item)), question=question,
                           yes=yes, what=action, direct=True)


def _payment_result(item: str, answer: Any) -> dict[str, Any]:
    order = answer.get("order") if isinstance(answer, dict) else None
    order = order if isinstance(order, dict) else {}
    return {"id": order.get("id", int(item)), "status": order.get("status")}


# -- invoice ---------------------------------------------------------------------------------------

@app.command("invoice", epilog="Examples:\n\n  eclictl orders invoice 1042 -f invoice-1042.pdf\n\n"
             "  eclictl orders invoice 1042 -f - | lpr")
@command()
def invoice(
    ref: Annotated[str, typer.Argument(metavar="ID", help="Order id.")],
    file: opt(str, "--file", "-f", help="Write the PDF here; '-' = stdout (only when piped). Default: the "
              "panel's name, invoice-<id>.pdf.") = None,
    force: ForceOpt = False,
) -> Any:
    """Download an order's invoice PDF (holds billing name and address: kept 0600)."""
    from eclictl.context import current

    ctx = current()
    order_id = _one_id(ref)
    path = f"{PATH}/{order_id}/invoice"
    if file == "-":
        if ctx.io.stdout_tty:
            raise UsageError("refusing to write a PDF to the terminal", hint="pipe it, or pass -f FILE")
        _stream_to_stdout(ctx, path, f"invoice-{order_id}.pdf")
        return None
    from eclictl.sections.export_jobs import download_to_file

    saved = download_to_file(ctx, path, dest=Path(file) if file else None, force=force,
                             default_name=f"invoice-{order_id}.pdf")
    return {"id": order_id, **saved}


def _stream_to_stdout(ctx: Any, path: str, label: str) -> None:
    from eclictl.sections.export_jobs import download_progress

    out = ctx.io.stdout
    binary = getattr(out, "buffer", None)

    class _Sink:
        def write(self, chunk: bytes) -> None:
            if binary is not None:
                binary.write(chunk)
            else:  # an in-memory text stream: latin-1 maps bytes 1:1
                out.write(chunk.decode("latin-1"))

    out.flush()
    progress = download_progress(ctx, label)
    try:
        ctx.api.download(path, _Sink(), on_progress=progress.update if progress else None)
    finally:
        if progress:
            progress.close()
    if binary is not None:
        binary.flush()


# -- payment methods -------------------------------------------------------------------------------

@methods_app.command("list", epilog="Examples:\n\n  eclictl orders payment-methods list\n\n"
                     "  eclictl orders payment-methods list --enabled -o json")
@command()
def methods_list(
    enabled: bool_opt("--enabled", help="Only enabled methods.", panel=FILTER_PANEL) = False,
) -> Any:
    """List the checkout payment methods (admin:payment:manage, login session only)."""
    from eclictl.api.errors import ApiAuthError
    from eclictl.api.pagination import rows_of
    from eclictl.context import current
    from eclictl.output.render import View

    ctx = current()
    try:
        body = ctx.api.get(METHODS_PATH)
    except ApiAuthError as exc:
        if ctx.settings.api_key:
            exc.hint = "payment routes accept only a login session: run `eclictl auth login` (API keys get 401)"
        raise
    rows = rows_of(body, "methods", f"GET {METHODS_PATH}")
    if enabled:
        rows = [r for r in rows if r.get("enabled")]
    return View(rows, columns=METHOD_COLUMNS, sensitive=SENSITIVE, empty="no payment methods")
