"""`mailboxes purge-from`: the most dangerous mailbox route, kept apart (docs/panel/mailboxes.md).

The panel deletes, for good, every message whose stored sender text contains the given string,
in every enabled mailbox account (the company boxes and every customer's). It answers at once
and reports the result later as an `admin:mailbox:purge` row in the audit log. So: root only, a
full address, a preview of what matches in the mailboxes the API can read, `--yes` and the address
typed again, then wait for the audit row.
"""

from __future__ import annotations

from typing import Any

from eclictl.errors import EclictlError, ExitCode, RejectedError, UsageError

PATH = "/api/admin/company-mailboxes"
POLL_SECONDS = 2.0


class NotRoot(EclictlError):
    exit_code = ExitCode.PERMISSION


def _preview(ctx: Any, address: str) -> list[dict[str, Any]]:
    """Matches in the company mailboxes (customers' mailboxes cannot be read through the API)."""
    from eclictl.sections._mailbox_lib import FOLDERS, _iter_folder

    body = ctx.api.get(PATH)
    boxes = [m for m in (body.get("mailboxes") if isinstance(body, dict) else None) or []
             if isinstance(m, dict) and m.get("provisioned")]
    needle = address.lower()
    hits = []
    for box in boxes:
        for folder in FOLDERS:
            for msg in _iter_folder(ctx.api, box["localPart"], folder, {"q": address}):
                if needle in str(msg.get("fromAddress") or "").lower():  # the panel's own match
                    hits.append({"mailbox": box["localPart"], "folder": folder, "id": msg.get("id"),
                                 "receivedAt": msg.get("receivedAt"), "subject": msg.get("subject")})
    return hits


def _purge_rows(ctx: Any, address: str) -> dict[Any, dict[str, Any]]:
    body = ctx.api.get(f"/api/admin/audit/{address}", {"per": 100})
    logs = body.get("logs") if isinstance(body, dict) else None
    return {r.get("id"): r for r in logs or [] if isinstance(r, dict) and r.get("action") == "admin:mailbox:purge"}


def purge(ctx: Any, address: str, *, yes: bool, confirm_address: str | None, wait: int) -> Any:
    from eclictl.commands.auth import describe_key
    from eclictl.sections._mailbox_lib import _ADDRESS

    if not _ADDRESS.match(address):
        raise UsageError(f"'{address}' is not a full e-mail address",
                         hint="the panel matches by substring: 'gmail.com' or '@' would wipe far more mail")
    if not yes:
        raise UsageError("purge-from needs --yes and the address typed again (there is no undo)")
    if not describe_key(ctx, ctx.api).get("root"):
        raise NotRoot("purge-from is for root admins only (the panel answers 403 Forbidden)")
    hits = _preview(ctx, address)
    ctx.warn(f"{len(hits)} message(s) from {address} in the company mailboxes you can read will be deleted for good; "
             "customers' personal mailboxes are purged too and cannot be previewed")
    for hit in hits[:20]:
        ctx.info(f"  {hit['mailbox']}/{hit['folder']} #{hit['id']} {hit['receivedAt']} {hit.get('subject') or ''}")
    typed = confirm_address if confirm_address is not None else ctx.prompt("Type the address again to purge")
    if typed.strip().lower() != address.lower():
        raise RejectedError("cancelled: the address typed again does not match; nothing was changed")
    ctx.confirm(f"Purge every message from {address} in every mailbox?", yes=yes, what="purge mail")
    known = set(_purge_rows(ctx, address))
    ctx.api.post(f"{PATH}/purge-from", {"from": address})
    waited = 0.0
    while True:
        fresh = [r for i, r in _purge_rows(ctx, address).items() if i not in known]
        if fresh:
            meta = fresh[0].get("metadata") if isinstance(fresh[0].get("metadata"), dict) else {}
            return {"address": address, "previewed": len(hits), "deleted": meta.get("deleted"),
                    "failed": meta.get("failed"), "mailboxes": meta.get("mailboxes")}
        if waited >= wait:
            ctx.warn("the purge is queued; its result will appear in the audit log (`eclictl audit`) and as a "
                     "panel notification")
            return {"address": address, "previewed": len(hits), "queued": True}
        ctx.factory.sleep(POLL_SECONDS)
        waited += POLL_SECONDS
