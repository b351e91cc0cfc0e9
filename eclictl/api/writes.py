"""Which writes may be sent again after they may have reached the panel: one declaration per route.

EcliPanel has no Idempotency-Key. A write (POST/PUT/PATCH/DELETE) is re-sent without a declaration
only when it provably never reached a handler: a connect error (nothing was sent) or a 429 (the rate
limiter in backend/src/app.ts answers before any handler runs). After a 5xx, a timeout or a reset
once sent, only a route declared REPEATABLE here is re-sent; anything else (and any route missing
from this table) is reported as "may have been applied" instead.

Paths use the sandbox's template syntax (`:name` = one path segment). The table is printed in
changes/ and checked by tests/unit/test_writes.py against every write call site and sandbox route.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

REPEATABLE = "repeatable"  # a repeat leaves the panel as one send would
ONCE = "once"  # a repeat could act twice: never re-sent once it may have reached the handler


@dataclass(frozen=True)
class Write:
    method: str
    path: str
    policy: str
    reason: str

    @property
    def repeatable(self) -> bool:
        return self.policy == REPEATABLE


_GONE = "delete by id: a repeat finds it gone (a 404 after a resend counts as done)"

WRITES: tuple[Write, ...] = (
    # -- auth, keys, roles (core) --
    Write("POST", "/api/auth/login", ONCE, "opens a new session each time"),
    Write("POST", "/api/auth/2fa/verify-login", ONCE, "consumes the one-time login token"),
    Write("POST", "/api/auth/logout", ONCE, "ends the session; a repeat gets 401"),
    Write("POST", "/api/apikeys", ONCE, "not idempotent: mints a new key each time"),
    Write("DELETE", "/api/apikeys/:id", REPEATABLE, _GONE),
    Write("POST", "/api/roles", ONCE, "not idempotent: creates a role each time"),
    Write("DELETE", "/api/roles/:id", REPEATABLE, _GONE),
    Write("POST", "/api/roles/:id/permissions", ONCE, "adds a permission row each time"),
    Write("DELETE", "/api/roles/:id/permissions/:permId", REPEATABLE, _GONE),
    Write("POST", "/api/users/:id/roles", ONCE, "adds a role link each time"),
    Write("DELETE", "/api/users/:id/roles/:urId", REPEATABLE, _GONE),
    # -- users --
    Write("PUT", "/api/admin/users/:id", REPEATABLE,
          "field set; the suspension e-mail goes only on a false->true change"),
    Write("DELETE", "/api/admin/users/:id", REPEATABLE, _GONE),
    Write("POST", "/api/admin/users/:id/apply-plan", ONCE, "creates a new order each time (and cancels the others)"),
    Write("POST", "/api/admin/users/:id/cancel-plan", ONCE, "cancels every active order; a repeat could cancel one made since"),
    Write("POST", "/api/admin/users/:id/export-job", ONCE, "queues a new export job each time"),
    Write("POST", "/api/admin/users/:id/request-kyc", ONCE, "posts an in-panel message and an activity log each time"),
    Write("PUT", "/api/admin/users/:id/ai/:linkId", REPEATABLE, "full replacement of the link's limits"),
    Write("DELETE", "/admin/users/:id/ai/:linkId", REPEATABLE, _GONE),
    Write("DELETE", "/api/admin/users/:id/ai/:linkId", REPEATABLE, _GONE),
    # -- deletions, KYC --
    Write("PUT", "/api/admin/deletions/:id", ONCE, "not idempotent: e-mails the user on every decision"),
    Write("POST", "/api/admin/deletions/:id/cancel", ONCE, "state transition; a repeat gets 400"),
    Write("POST", "/api/admin/deletions/:id/expedite", ONCE, "runs the deletion and e-mails the user"),
    Write("PUT", "/api/admin/verifications/:id", REPEATABLE, "sets the status (no e-mail)"),
    Write("DELETE", "/api/admin/verifications/:id", REPEATABLE, _GONE),
    # -- fraud --
    Write("PUT", "/api/admin/fraud-alerts/:id", REPEATABLE,
          "dismiss clears flags; suspend e-mails only when not yet suspended"),
    Write("POST", "/api/admin/fraud-alerts/dismiss", ONCE, "bulk: the verb re-reads and reports instead"),
    Write("POST", "/api/admin/fraud-scan/:id", ONCE, "runs a scan (minutes) and stores its result"),
    Write("POST", "/api/admin/fraud-scan-all", ONCE, "starts a scan of every user"),
    # -- tickets --
    Write("PUT", "/api/admin/tickets/:id", ONCE, "not idempotent: appends a reply (and status messages)"),
    Write("POST", "/api/admin/tickets/archive", ONCE, "bulk: the verb reports per id instead"),
    # -- nodes, servers, mounts --
    Write("POST", "/api/nodes", ONCE, "not idempotent: creates a node each time"),
    Write("PUT", "/api/nodes/:id", REPEATABLE, "field set"),
    Write("DELETE", "/api/nodes/:id", REPEATABLE, _GONE),
    Write("POST", "/api/admin/servers", ONCE, "creates a server on a node each time"),
    Write("PUT", "/api/admin/servers/:id", REPEATABLE, "field set, then the same sync to Wings"),
    Write("DELETE", "/api/admin/servers/:id", REPEATABLE, _GONE),
    Write("POST", "/api/admin/servers/:id/dedicated-ip", ONCE, "assigns an address (and port mappings)"),
    Write("DELETE", "/api/admin/servers/:id/dedicated-ip", REPEATABLE, "removes the named address; gone is gone"),
    Write("POST", "/api/admin/servers/:id/mark-started", ONCE, "state transition on the server"),
    Write("POST", "/api/admin/servers/:id/mounts", ONCE, "attaches a mount"),
    Write("DELETE", "/api/admin/servers/:id/mounts/:mountId", REPEATABLE, _GONE),
    Write("POST", "/api/admin/servers/:id/power", ONCE, "power action (a second restart restarts again)"),
    Write("POST", "/api/admin/servers/:id/suspend", ONCE, "acts on Wings"),
    Write("POST", "/api/admin/servers/:id/unsuspend", ONCE, "acts on Wings"),
    Write("POST", "/api/admin/servers/:id/throttle", ONCE, "acts on Wings"),
    Write("POST", "/api/admin/servers/sync-from-wings", ONCE, "starts a sync job"),
    Write("POST", "/api/admin/sync-wings", ONCE, "starts a sync job"),
    Write("POST", "/api/admin/mounts", ONCE, "not idempotent: creates a mount each time"),
    Write("PUT", "/api/admin/mounts/:id", REPEATABLE, "field set (verified by re-read)"),
    Write("DELETE", "/api/admin/mounts/:id", REPEATABLE, _GONE),
    # -- eggs --
    Write("POST", "/api/admin/eggs", ONCE, "not idempotent: creates an egg each time"),
    Write("POST", "/api/admin/eggs/import", ONCE, "not idempotent: every import inserts a new egg"),
    Write("PUT", "/api/admin/eggs/:id", REPEATABLE, "field set; a repeat re-queues the same server sync"),
    Write("DELETE", "/api/admin/eggs/:id", REPEATABLE, _GONE),
    Write("DELETE", "/api/admin/eggs", ONCE, "deletes every egg: a repeat could remove eggs created since"),
    Write("POST", "/api/admin/eggs/:id/sync", ONCE, "syncs every server using the egg"),
    # -- plans, orders, prices --
    Write("POST", "/api/admin/plans", ONCE, "not idempotent: creates a plan each time"),
    Write("PUT", "/api/admin/plans/:id", REPEATABLE, "field set"),
    Write("DELETE", "/api/admin/plans/:id", REPEATABLE, _GONE),
    Write("PUT", "/api/admin/plans/:id/boost", REPEATABLE, "sets the boost (a repeat restarts its clock seconds later)"),
    Write("DELETE", "/api/admin/plans/:id/boost", REPEATABLE, "removes the boost; 200 when none is set"),
    Write("POST", "/api/admin/plans/:id/reapply-limits", ONCE, "starts a background job"),
    Write("POST", "/api/admin/regional-prices/:planId", ONCE, "creates a price row"),
    Write("DELETE", "/api/admin/regional-prices/:planId/:countryCode", REPEATABLE, _GONE),
    Write("POST", "/api/admin/orders", ONCE, "not idempotent: creates an order each time"),
    Write("PUT", "/api/admin/orders/:id", REPEATABLE, "field set (no e-mail)"),
    Write("DELETE", "/api/admin/orders/:id", REPEATABLE, _GONE),
    Write("POST", "/api/admin/orders/:id/confirm-payment", ONCE, "state transition on the order (payment gate)"),
    Write("POST", "/api/admin/orders/:id/reject-payment", ONCE, "appends a rejection note to the order"),
    Write("POST", "/api/admin/payment-methods", ONCE, "replaces the list (schema enforced); kept once as a payment route"),
    # -- student verifications --
    Write("PUT", "/api/admin/student-verifications/:id", REPEATABLE, "sets the status (and the notes, sent in full)"),
    Write("DELETE", "/api/admin/student-verifications/:id", REPEATABLE, _GONE),
    Write("DELETE", "/api/admin/student-verifications/:id/proof", REPEATABLE, "clears proofUrl; 200 when none is left"),
    Write("POST", "/api/admin/users/:id/deassign-student", REPEATABLE,
          "clears the student fields; a repeat only adds a second log row"),
    # -- company mailboxes --
    Write("POST", "/api/admin/company-mailboxes/:address/messages/:id/read", REPEATABLE, "sets read to the value sent"),
    Write("DELETE", "/api/admin/company-mailboxes/:address/messages/:id", ONCE,
          "moves to Trash; a repeat on the Trash copy would expunge it for good"),
    Write("POST", "/api/admin/company-mailboxes/:address/send", ONCE, "sends an e-mail each time"),
    Write("POST", "/api/admin/company-mailboxes/:address/messages/:id/reply", ONCE, "sends an e-mail each time"),
    Write("POST", "/api/admin/company-mailboxes/:address/preview", REPEATABLE, "renders only; sends nothing"),
    Write("POST", "/api/admin/company-mailboxes/:address/rotate-password", ONCE,
          "sets a new password each time; a repeat loses the first one"),
    Write("POST", "/api/admin/company-mailboxes/purge-from", ONCE, "deletes mail for good in every mailbox"),
    # -- transfers --
    Write("POST", "/api/servers/v1/:id/transfer", ONCE, "starts a transfer and rewrites the allocations"),
    Write("DELETE", "/api/servers/v1/:id/transfer", ONCE, "asks Wings to cancel; not a delete by id"),
    Write("POST", "/api/admin/nodes/:nodeId/servers/transfer", ONCE, "starts transfers for many servers"),
    # -- organisations --
    Write("PUT", "/api/admin/organisations/:id", REPEATABLE, "field set"),
    Write("DELETE", "/api/admin/organisations/:id", REPEATABLE, _GONE),
    Write("POST", "/api/admin/organisations/:id/members", ONCE, "adds a member (201)"),
    Write("DELETE", "/api/admin/organisations/:id/members/:userId", REPEATABLE, _GONE),
    # -- rollouts --
    Write("POST", "/api/admin/rollouts", ONCE, "not idempotent: creates a rollout each time"),
    Write("PUT", "/api/admin/rollouts/:id", REPEATABLE, "field set (verified by re-read)"),
    Write("DELETE", "/api/admin/rollouts/:id", REPEATABLE, _GONE),
    Write("POST", "/api/admin/rollouts/:id/overrides", ONCE, "creates an override row"),
    Write("DELETE", "/api/admin/rollouts/:id/overrides/:userId", REPEATABLE, _GONE),
    # -- settings, logs, metrics, announcements --
    Write("PUT", "/api/admin/settings", REPEATABLE, "field set, merged"),
    Write("POST", "/api/admin/slow-queries/clear", ONCE, "clears the log (newer entries too)"),
    Write("POST", "/api/admin/metrics/clear", ONCE, "clears the metrics (newer samples too)"),
    Write("POST", "/api/admin/product-updates", ONCE, "not idempotent: e-mails every recipient"),
    # -- short URLs, feedback, export jobs --
    Write("POST", "/api/admin/shorturls", ONCE, "not idempotent: creates a short URL"),
    Write("PUT", "/api/admin/shorturls/:id", REPEATABLE, "field set"),
    Write("DELETE", "/api/admin/shorturls/:id", REPEATABLE, _GONE),
    Write("DELETE", "/api/admin/feedback/:id", REPEATABLE, _GONE),
    Write("DELETE", "/api/admin/export-jobs/:id", REPEATABLE, _GONE),
    Write("POST", "/api/admin/export-jobs/:id/approve", ONCE, "state transition; starts the export"),
    Write("POST", "/api/admin/export-jobs/:id/share-link", ONCE, "replaces the share token each time"),
    # -- databases --
    Write("POST", "/api/admin/database-hosts", ONCE, "not idempotent: creates a host"),
    Write("PUT", "/api/admin/database-hosts/:id", REPEATABLE, "field set (no connection test)"),
    Write("DELETE", "/api/admin/database-hosts/:id", REPEATABLE, _GONE),
    Write("POST", "/api/admin/database-hosts/:id/test", ONCE, "opens a connection to the host"),
    # -- applications --
    Write("POST", "/api/admin/applications/forms", ONCE, "not idempotent: creates a form"),
    Write("PUT", "/api/admin/applications/forms/:id", REPEATABLE, "field set"),
    Write("DELETE", "/api/admin/applications/forms/:id", REPEATABLE, _GONE),
    Write("POST", "/api/admin/applications/forms/:id/invites", ONCE, "creates an invite"),
    Write("DELETE", "/api/admin/applications/invites/:inviteId", REPEATABLE, _GONE),
    Write("PUT", "/api/admin/applications/submissions/:id", REPEATABLE, "sets the status (no e-mail)"),
    Write("DELETE", "/api/admin/applications/submissions/:id", REPEATABLE, _GONE),
    Write("POST", "/api/admin/applications/submissions/bulk-delete", ONCE, "bulk: the verb reports per id"),
    # -- anti-abuse --
    Write("POST", "/api/admin/antiabuse/incidents/:id/status", ONCE, "state transition"),
    Write("POST", "/api/admin/antiabuse/incidents/bulk-status", ONCE, "bulk: the verb reports per id"),
    Write("DELETE", "/api/admin/antiabuse/incidents/:id", REPEATABLE, _GONE),
    Write("POST", "/api/admin/antiabuse/incidents/bulk-delete", ONCE, "bulk: the verb reports per id"),
    # -- AI --
    Write("POST", "/api/admin/ai/models", ONCE, "not idempotent: creates a model (even from an empty body)"),
    Write("PUT", "/api/admin/ai/models/:id", REPEATABLE, "field set: sent keys overwrite as-is"),
    Write("DELETE", "/api/admin/ai/models/:id", REPEATABLE, _GONE),
    Write("POST", "/api/admin/ai/models/:id/link-plan", ONCE, "creates or updates a plan link"),
    Write("DELETE", "/api/admin/ai/models/:id/unlink-plan/:planId", REPEATABLE, _GONE),
    Write("POST", "/api/ai/models/:id/link-user", ONCE, "creates a user link"),
    # -- OAuth apps --
    Write("POST", "/api/oauth/apps", ONCE, "not idempotent: creates an app with a new secret"),
    Write("PUT", "/api/oauth/apps/:id", REPEATABLE, "field set"),
    Write("DELETE", "/api/oauth/apps/:id", REPEATABLE, _GONE),
    Write("POST", "/api/oauth/apps/:id/rotate-secret", ONCE, "mints a new secret each time"),
    # -- tunnels --
    Write("POST", "/api/tunnel/device/approve", ONCE, "consumes the device code"),
    Write("POST", "/api/tunnel/devices", ONCE, "not idempotent: creates a device"),
    Write("POST", "/api/tunnel/devices/:id/delete", ONCE, "POST delete: not declared repeatable"),
    Write("POST", "/api/tunnel/devices/:id/regenerate-token", ONCE, "mints a new token each time"),
    Write("POST", "/api/tunnel/allocations/:id/close", ONCE, "state transition"),
    Write("POST", "/api/tunnel/allocations/:id/delete", ONCE, "POST delete: not declared repeatable"),
    Write("POST", "/api/tunnel/allocations/:id/edit", ONCE, "edits and re-binds on the agent"),
    # -- backup configurations --
    Write("POST", "/api/admin/backup-configurations", ONCE, "not idempotent: a new random uuid each time"),
    Write("PUT", "/api/admin/backup-configurations/:uuid", REPEATABLE, "field set: present keys overwrite"),
    Write("DELETE", "/api/admin/backup-configurations/:uuid", REPEATABLE, _GONE),
    # -- chat --
    Write("PUT", "/api/chat/channels/:id", REPEATABLE, "field set (verified by re-read: it answers [object Object])"),
    Write("DELETE", "/api/chat/channels/:id", REPEATABLE, "archives: a repeat archives it again"),
    Write("DELETE", "/api/chat/channels/:id/messages/:messageId", REPEATABLE, _GONE),
    Write("POST", "/api/chat/channels/:id/messages/:messageId/hide", REPEATABLE, "sets isHidden"),
    Write("POST", "/api/chat/channels/:id/messages/:messageId/unhide", REPEATABLE, "clears isHidden"),
    Write("POST", "/api/chat/ip-bans", ONCE, "not idempotent: adds a ban row each time"),
    Write("POST", "/api/chat/ip-bans/:id/unban", REPEATABLE, "deletes the ban by id; a repeat gets 404"),
    Write("POST", "/api/chat/messages/mass-delete", ONCE, "deletes by time window: a repeat could hit newer posts"),
    # -- coupons --
    Write("POST", "/api/admin/coupons", ONCE, "not idempotent: creates a coupon (a random code when none is sent)"),
    Write("PUT", "/api/admin/coupons/:id", REPEATABLE, "field set (verified by re-read)"),
    Write("DELETE", "/api/admin/coupons/:id", REPEATABLE, _GONE + "; its use records go with it"),
    # -- ELO --
    Write("PUT", "/api/admin/elo/:id", ONCE, "rewrites the linked server's resources and may e-mail the owner"),
    Write("POST", "/api/admin/elo/:id/reset", ONCE, "resets the score and rewrites the linked server's resources"),
    Write("DELETE", "/api/admin/elo/:id", REPEATABLE, _GONE + "; its votes and devlogs go with it"),
)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _regex(template: str) -> re.Pattern[str]:
    parts = ["[^/]+" if seg.startswith(":") else re.escape(seg) for seg in template.strip("/").split("/")]
    return re.compile("^/" + "/".join(parts) + "/?$")


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[Write, re.Pattern[str], int], ...]:
    rows = [(w, _regex(w.path), w.path.count(":")) for w in WRITES]
    return tuple(sorted(rows, key=lambda r: r[2]))  # literal segments win: /eggs/import before /eggs/:id


def lookup(method: str, path: str) -> Write | None:
    """The declaration for a concrete request path (query string ignored), or None."""
    method = method.upper()
    path = path.split("?", 1)[0]
    for write, regex, _ in _compiled():
        if write.method == method and regex.match(path):
            return write
    return None


def may_resend(method: str, path: str) -> bool:
    """May this request be sent again after it may have reached a handler?"""
    method = method.upper()
    if method not in WRITE_METHODS:
        return True  # GET/HEAD/OPTIONS read
    write = lookup(method, path)
    return write is not None and write.repeatable
