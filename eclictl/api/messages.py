"""The panel's untranslated message keys, as plain sentences (one table).

The panel answers errors through `ctx.t('area.name')`, which looks the key up in
backend/src/i18n/messages/en.json and returns the KEY ITSELF when it finds nothing. Two kinds of
answer therefore reach a client as raw keys such as `user.cannotSuspendAdmin`:

* the feature-flag request hook (backend/src/routes/index.ts) runs before the i18n plugin, where
  `ctx.t` is a stub that returns the key (backend/src/app.ts): every prefix-gated 503 says
  `common.featureDisabled` (recorded live on `GET /api/oauth/apps`);
* handlers that name a key en.json lacks (checked against en.json at upstream commit 3700da9).

Only the keys a route eclictl calls can return are listed; the sentences of keys en.json has are
en.json's own. An unknown key is shown as it came. `-v` logs the raw key next to the sentence.
"""

from __future__ import annotations

import re

#: `area.name` (dots, camelCase or snake_case segments): never a sentence, which has spaces.
KEY_RE = re.compile(r"^[a-z][A-Za-z0-9]*(?:\.[A-Za-z0-9_]+)+$")

#: Keys of the feature-flag hook -> the flag they name (None: name it from the route).
FEATURE_KEYS: dict[str, str | None] = {
    "common.featureDisabled": None,               # backend/src/routes/index.ts, every prefix-gated flag
    "auth.featureOauthIsDisabled": "oauth",       # /.well-known/oauth-authorization-server
    "organisation.featureDnsIsDisabled": "dns",   # /api/organisations/:id/dns/...
}

#: Raw keys the routes eclictl calls can answer with, and what they mean.
MESSAGES: dict[str, str] = {
    # en.json's own sentences (reach clients raw only through the request hook)
    "common.featureDisabled": "the feature is disabled on the panel",
    "auth.featureOauthIsDisabled": "Feature 'oauth' is disabled",
    "organisation.featureDnsIsDisabled": "Feature 'dns' is disabled",
    # keys en.json lacks: the panel sends them as they are
    "user.cannotSuspendAdmin": "root and rootAdmin accounts cannot be suspended",  # adminHandler.ts PUT users, fraud-alerts
    "payment.cannotReject": "only orders awaiting payment (awaiting_payment, payment_sent or pending) can be "
                            "rejected",  # paymentHandler.ts reject-payment
    "payment.cannotCancel": "this order can no longer be cancelled",  # orderHandler.ts /orders/:id/cancel
    "orders.unrecognizedOrderType": "unrecognised order type",  # orderHandler.ts, organisationHandler.ts
    "orders.planLookupFailed": "the plan could not be looked up",  # orderHandler.ts
    "server.serverNotFound": "server not found",  # serverHandler.ts force-transfer
    "server.invalidDownloadUrl": "download_url must be a public http(s) URL",  # serverHandler.ts
    "coupon.discounttype_must_be_percentage_or_fixed": "discountType must be 'percentage' or 'fixed'",
}


#: Panel messages whose cause is not in them, by key and by en.json sentence -> a hint naming the way out.
HINTS: dict[str, str] = {
    # tunnelHandler.ts requireTunnelRollout: the caller (an API key's owner) must be in the rollout
    # `tunnel_feature`, admins included, whatever the `tunnels` flag says; rollouts are cached 30 s.
    "system.tunnelsNotAvailable": "tunnels are gated by the rollout 'tunnel_feature', which must exist, be active "
                                  "and include this key's owner: see `eclictl rollouts check tunnel_feature USER`, "
                                  "then `eclictl rollouts overrides add tunnel_feature USER` (live within 30 s)",
}
_HINT_SENTENCES = {"Tunnels feature is not yet available to you": "system.tunnelsNotAvailable"}


def hint_for(message: str, key: str | None = None) -> str | None:
    """A hint for a panel message (raw key or its English sentence), when its cause is known."""
    return HINTS.get(key or _HINT_SENTENCES.get(message.strip(), ""))


def panel_key(message: str | None) -> str | None:
    """The raw key when the panel's `error` text is one (`user.cannotSuspendAdmin`), else None."""
    if not isinstance(message, str):
        return None
    text = message.strip()
    return text if KEY_RE.match(text) else None


def sentence(key: str) -> str:
    """The plain sentence for a raw key; an unknown key stays as it came (it is all there is)."""
    return MESSAGES.get(key, key)
