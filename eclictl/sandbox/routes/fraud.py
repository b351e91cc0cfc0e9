"""Sandbox: fraud alerts and fraud scans, `/api/admin/fraud-*` (docs/panel/fraud.md#fraud-alerts).

There is no alert table: an alert is a row of `state.users` with `fraudFlag = true` (the core seed
flags a few dozen users, reasons quoting their e-mail and IP). This module adds a couple of
suspended and underage cases, and `state.ai_models` (the AI model table every scan needs).

Quirks reproduced: the bulk dismiss answers with the number of ids it was *sent*; the PUT accepts
any action silently, and its dismiss clears only the flag (reason and date stay on the user);
dismissing never un-suspends; scan-all answers at once (the sweep runs here synchronously, and logs
`admin:fraud-scan:*` activity entries for the caller like the panel).
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from eclictl.sandbox.router import HttpError, Request, admin, route
from eclictl.sandbox.state import SEED_EPOCH, table

GATE = admin("admin:fraud")
ALERT_FIELDS = ("id", "firstName", "lastName", "address", "address2", "phone", "billingCompany", "billingCity",
                "billingState", "billingZip", "billingCountry", "fraudReason", "fraudDetectedAt", "email",
                "suspended")
ROOT_ROLES = ("*", "rootAdmin")
DISPOSABLE = ("mailinator.com", "10minutemail.com", "guerrillamail.com", "tempmail.dev", "spam.test")
SCAN_ALL_CAP = 5000
SIGNALS = ("identityRisk", "addressRisk", "contactRisk", "patternRisk", "businessRisk")
DAY = 86400.0


def ai_models(state: Any) -> dict[int, dict[str, Any]]:
    """The AI model table (shared with any module that needs it)."""
    return table(state, "ai_models")


def seed(state: Any, rng: Any) -> None:
    models = ai_models(state)
    if not models:
        models[1] = {"id": 1, "name": "fraud-screen-small", "provider": "openai-compatible",
                     "endpoint": "https://ai.sandbox.invalid/v1", "apiKey": "sk-sandbox-not-a-secret"}
    flagged = [u for _, u in sorted(state.users.items()) if u.get("fraudFlag") and u.get("role") not in ROOT_ROLES]
    for row in flagged[:2]:  # alerts on already suspended accounts
        row["suspended"] = True
    clean = [u for _, u in sorted(state.users.items())
             if not u.get("fraudFlag") and u.get("role") not in ROOT_ROLES and u["id"] > 7
             and not u.get("deletionRequested") and not u.get("deletedAt")]
    if clean:  # the underage rule flags and suspends (docs/panel/fraud.md#fraud-alerts)
        kid = clean[rng.randrange(len(clean))]
        kid.update(fraudFlag=True, suspended=True, fraudReason="Underage account (<13 years)",
                   fraudDetectedAt=state.iso(SEED_EPOCH - rng.uniform(70, 90) * DAY))


def _alert(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row.get(key) for key in ALERT_FIELDS}


def _user(req: Request) -> dict[str, Any]:
    return req.row(req.state.users, "User not found")


def _clear(row: dict[str, Any]) -> None:
    row.update(fraudFlag=False, fraudReason=None, fraudDetectedAt=None)


@route("GET", "/api/admin/fraud-alerts", gates=GATE)
def list_alerts(req: Request) -> Any:
    """Every flagged user, newest fraudDetectedAt first (MySQL sorts NULL last when descending)."""
    rows = [u for u in req.state.users.values() if u.get("fraudFlag")]
    rows.sort(key=lambda u: (u.get("fraudDetectedAt") or "", u["id"]), reverse=True)
    return [_alert(u) for u in rows]


@route("PUT", "/api/admin/fraud-alerts/:id", gates=GATE)
def act_on_alert(req: Request) -> Any:
    body = req.json_object()
    user = _user(req)
    action = body.get("action")
    if action == "dismiss":
        # reason and date are set to `undefined`, which save() skips: only the flag clears (adminHandler.ts)
        user["fraudFlag"] = False
    elif action == "suspend":
        if user.get("role") in ROOT_ROLES:
            raise HttpError(403, "user.cannotSuspendAdmin")
        if body.get("reason"):
            user["fraudReason"] = str(body["reason"])
        if not user.get("suspended"):
            _mail(req.state, user, "account-suspended")
        user["suspended"] = True
    # any other action: the row is re-saved unchanged and the answer is still success (docs/panel/fraud.md#fraud-alerts)
    return {"success": True}


def _mail(state: Any, user: dict[str, Any], template: str) -> None:
    sent = getattr(state, "sent_mail", None)
    if sent is None:
        sent = state.sent_mail = []
    sent.append({"to": user.get("email"), "template": template, "at": state.iso()})


def _number(value: Any) -> float:
    """JavaScript's Number(): numbers, numeric strings, booleans; everything else NaN."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip() or 0)
        except ValueError:
            return math.nan
    if value is None:
        return 0.0
    return math.nan


@route("POST", "/api/admin/fraud-alerts/dismiss", gates=GATE)
def bulk_dismiss(req: Request) -> Any:
    ids = req.json_object().get("ids")
    if not isinstance(ids, list) or not ids:
        raise HttpError(400, "ids array is required")
    wanted = {int(n) for n in map(_number, ids) if math.isfinite(n) and n == int(n)}
    for uid in wanted:
        row = req.state.users.get(uid)
        if row is not None:
            _clear(row)
    return {"success": True, "dismissed": len(ids)}  # the count sent, not the rows changed


# -- scans ------------------------------------------------------------------------------------

def _category(score: int) -> str:
    return "low" if score < 25 else "medium" if score < 45 else "high" if score < 75 else "critical"


def scan_user(state: Any, user: dict[str, Any]) -> dict[str, Any]:
    """fraudService.runFraudScanForUser with a deterministic stand-in for the AI (docs/panel/fraud.md#fraud-scans)."""
    email = str(user.get("email") or "")
    domain = email.rsplit("@", 1)[-1].lower()
    if domain in DISPOSABLE:
        score, reasons = 95, [f"Email domain is a known disposable provider: {domain}"]
        signals = {k: (100 if k == "identityRisk" else 0) for k in SIGNALS}
    else:
        digest = hashlib.sha256(f"scan:{user['id']}:{email}".encode()).digest()
        score = digest[0] % 100
        signals = {k: digest[i + 1] % 101 for i, k in enumerate(SIGNALS)}
        reasons = []
        if not user.get("phone"):
            reasons.append("No phone number on file")
        if user.get("billingCountry") and user.get("countryOverride"):
            reasons.append(f"Billing country {user['billingCountry']} differs from the country override")
        if score >= 45:
            reasons.append(f"Address {user.get('address') or '(none)'} in {user.get('billingCity') or '?'} "
                           f"looks synthetic")
        reasons = reasons[:6]
    suspicious = score >= 45
    if suspicious:
        user.update(fraudFlag=True, fraudReason="; ".join(reasons) or "Flagged by AI scan",
                    fraudDetectedAt=state.iso())
    elif user.get("fraudFlag") and score < 25:
        _clear(user)
    return {"success": True, "userId": user["id"], "fraudScore": score, "isSuspicious": suspicious,
            "riskCategory": _category(score), "reasons": reasons, "signals": signals}


@route("POST", "/api/admin/fraud-scan/:id", gates=GATE)
def scan_one(req: Request) -> Any:
    if not ai_models(req.state):
        raise HttpError(400, "No AI model configured.")
    return scan_user(req.state, _user(req))


@route("POST", "/api/admin/fraud-scan-all", gates=GATE)
def scan_all(req: Request) -> Any:
    if not ai_models(req.state):
        raise HttpError(400, "No AI model configured.")
    from eclictl.sandbox.routes.user_log import add_log

    state = req.state
    caller = req.principal.user.get("id") if req.principal is not None else None
    add_log(state, caller, "admin:fraud-scan:started", metadata={"limit": SCAN_ALL_CAP})
    users = [u for _, u in sorted(state.users.items())][:SCAN_ALL_CAP]
    flagged = 0
    for user in users:  # the panel sweeps in the background, 1.5 s apart; the sandbox does it at once
        flagged += int(scan_user(state, user)["isSuspicious"])
    add_log(state, caller, "admin:fraud-scan:completed",
            metadata={"scanned": len(users), "flagged": flagged, "errors": 0})
    return {"success": True, "message": "Fraud scan initiated — results will be available shortly."}
