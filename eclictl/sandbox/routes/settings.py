"""Sandbox: panel settings, feature flags, geo-block metrics (docs/panel/settings.md).

Storage (docs/panel/settings.md#routes): `state.settings` is the `panel_setting` table, key -> text value, as the panel
writes it (booleans "true"/"false", numbers as strings, JSON as JSON text). Feature flags are ONE
object under `panelFeatureToggles`; the sandbox keeps it as a parsed dict (not JSON text) so the
in-process readers (handler.py's feature gate, routes/servers.py `feature_on`) read it directly.
Tests that poke `state.settings["featureToggles"][flag] = False` still work: those alias keys are
read live under the stored object, and a flags PUT folds them into `panelFeatureToggles`.

The flag cache (docs/panel/settings.md#writing-settings): flags are read through a cache of `state.flag_cache_seconds` (default 10 s,
virtual clock) that PUT does not clear, and the PUT merge starts from the cached copy. So two
PUTs changing different flags within the window can undo the first one, as on the real panel.
"""

from __future__ import annotations

import json
import math
from typing import Any

from eclictl.sandbox import js
from eclictl.sandbox.router import Request, admin, route
from eclictl.settings_schema import DEFAULT_FLAGS, FLAG_CACHE_SECONDS

#: Test pokes (and older sandbox code) keep flags under these keys; read live, below the stored object.
FLAG_ALIASES = ("features", "featureFlags", "featureToggles")
FLAG_ROW = "panelFeatureToggles"
WEBAUTHN_DEFAULTS: dict[str, Any] = {"enabled": True, "allowDiscoverable": False, "rpId": "localhost",
                                     "rpOrigin": "http://127.0.0.1:3000", "authenticationTimeoutSeconds": 300,
                                     "registrationTimeoutSeconds": 300}


def seed(state: Any, rng: Any) -> None:
    state.flag_cache_seconds = FLAG_CACHE_SECONDS
    state.flag_cache = None  # (fetched_at, stored flags object) once read
    if not isinstance(getattr(state, "settings", None), dict):
        state.settings = {}


# -- JavaScript coercions the handler relies on ---------------------------------------------------
def js_number(value: Any) -> float:
    """`Number(value)` (NaN for what JavaScript cannot convert)."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        from eclictl.settings_schema import js_number as _string_number

        return _string_number(value)
    return math.nan


def flag_on(value: Any) -> bool:
    """docs/panel/settings.md#writing-settings: true/"true"/1/"1" on; false/"false"/0/"0" off; ANY other value on."""
    return not (value is False or value == 0 and not isinstance(value, bool) or value in ("false", "0"))


# -- flags through the cache ----------------------------------------------------------------------
def _stored_flags(state: Any) -> dict[str, Any]:
    raw = state.settings.get(FLAG_ROW)
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    return dict(raw) if isinstance(raw, dict) else {}


def _cached_stored(state: Any) -> dict[str, Any]:
    window = float(getattr(state, "flag_cache_seconds", FLAG_CACHE_SECONDS) or 0)
    cache = getattr(state, "flag_cache", None)
    now = state.now()
    if cache is not None and window > 0 and now - cache[0] < window:
        return dict(cache[1])
    fresh = _stored_flags(state)
    state.flag_cache = (now, dict(fresh))
    return fresh


def effective_flags(state: Any) -> dict[str, Any]:
    """Defaults, then test-poked alias keys (live), then the stored object AS CACHED."""
    merged: dict[str, Any] = dict(DEFAULT_FLAGS)
    for key in FLAG_ALIASES:
        value = state.settings.get(key)
        if isinstance(value, dict):
            merged.update(value)
    merged.update(_cached_stored(state))
    return merged


# -- the settings object (docs/panel/settings.md#the-settings-object) -----------------------------
def _chance(state: Any, key: str, default: float) -> float:
    raw = state.settings.get(key)
    if raw is None:
        return default
    value = js_number(raw)
    return default if math.isnan(value) else min(1.0, max(0.0, value))


def settings_view(state: Any) -> dict[str, Any]:
    s = state.settings
    try:
        portal = json.loads(s["portalDescriptions"]) if isinstance(s.get("portalDescriptions"), str) else None
    except ValueError:
        portal = None
    webauthn = dict(WEBAUTHN_DEFAULTS)
    stored = s.get("webauthn")
    if isinstance(stored, str):
        try:
            stored = json.loads(stored)
        except ValueError:
            stored = None
    if isinstance(stored, dict):
        webauthn.update(stored)
    flags = {k: flag_on(v) for k, v in effective_flags(state).items()}
    return {
        "registrationEnabled": s.get("registrationEnabled") != "false",
        "registrationNotice": str(s.get("registrationNotice") or ""),
        "portalDescriptions": None if portal in (0, "", False) else portal,  # `parsed || null`
        "geoBlockCountries": str(s.get("geoBlockCountries") or ""),
        "kycRequiredCountries": str(s.get("kycRequiredCountries") or ""),
        "countryAgeRules": s["countryAgeRules"] if isinstance(s.get("countryAgeRules"), str) else "",
        "billingCurrency": str(s.get("billingCurrency") or "USD").upper(),
        "billingTaxRules": str(s.get("billingTaxRules") or ""),
        "gamblingEnabled": s.get("gamblingEnabled") not in ("false", "0"),
        "gamblingResourceLuckyChance": _chance(state, "gamblingResourceLuckyChance", 0.0777),
        "gamblingPowerDenyChance": _chance(state, "gamblingPowerDenyChance", 0.5),
        "featureToggles": flags,
        "webauthn": webauthn,
    }


@route("GET", "/api/admin/settings", gates=admin("admin:settings"))
def get_settings(req: Request) -> Any:
    return settings_view(req.state)


@route("PUT", "/api/admin/settings", gates=admin("admin:settings"))
def put_settings(req: Request) -> Any:
    """docs/panel/settings.md#writing-settings: only the keys present are written; unknown keys ignored; NO type checking."""
    body = req.json_object()
    s = req.state.settings
    for key in ("registrationEnabled", "registrationNotice", "geoBlockCountries", "kycRequiredCountries",
                "countryAgeRules", "billingTaxRules", "org_formation_fee", "org_dns_addon_price"):
        if key in body:
            s[key] = js.string(body[key])
    if "billingCurrency" in body:
        s["billingCurrency"] = js.string(body["billingCurrency"]).strip().upper()
    if "gamblingEnabled" in body:
        s["gamblingEnabled"] = "false" if body["gamblingEnabled"] in (False, "false", "0") or (
            body["gamblingEnabled"] == 0 and not isinstance(body["gamblingEnabled"], bool)) else "true"
    for key, default in (("gamblingResourceLuckyChance", 0.0777), ("gamblingPowerDenyChance", 0.5)):
        if key in body:
            value = js_number(body[key])
            s[key] = js.string(default if math.isnan(value) else min(1.0, max(0.0, value)))
    if "portalDescriptions" in body:
        s["portalDescriptions"] = json.dumps(body["portalDescriptions"])
    if isinstance(body.get("featureToggles"), dict):
        merged = effective_flags(req.state)  # the CACHED copy: may be up to 10 s old (docs/panel/settings.md#writing-settings)
        merged.update({str(k): flag_on(v) for k, v in body["featureToggles"].items()})
        s[FLAG_ROW] = {k: flag_on(v) for k, v in merged.items()}
        for alias in FLAG_ALIASES:  # folded into the stored object
            s.pop(alias, None)
    if isinstance(body.get("webauthn"), dict):
        s["webauthn"] = json.dumps(body["webauthn"])
    return {"success": True, "settings": settings_view(req.state)}


# -- public endpoints (docs/panel/settings.md#routes) ---------------------------------------------
@route("GET", "/api/panel/settings", auth=False)
def public_settings(req: Request) -> Any:
    """Same fields as the admin GET (the org fees are stripped by the declared schema)."""
    return settings_view(req.state)


@route("GET", "/api/public/features", auth=False)
def public_features(req: Request) -> Any:
    return {"featureToggles": {k: flag_on(v) for k, v in effective_flags(req.state).items()}}


# -- geo-block metrics (docs/panel/settings.md#geo-block-metrics) ---------------------------------
def geo_rules(state: Any) -> dict[str, float]:
    """The panel's parse (eu.ts getGeoBlockRules, docs/panel/settings.md#rule-strings): exactly two parts, any key, `Number()` level 0-5
    (fractions and an empty level = 0 included), later entries win, other entries skipped."""
    from eclictl.settings_schema import parse_geo

    rules: dict[str, float] = {}
    for entry in parse_geo(str(state.settings.get("geoBlockCountries") or "")):
        if entry.key is not None and entry.value is not None:
            rules[entry.key] = entry.value
    return rules


def user_level(rules: dict[str, float], country: Any) -> float:
    text = str(country or "").strip().lower()
    if not text:
        return 0
    if text in rules:
        return rules[text]
    return rules.get(text[:2], 0)


@route("GET", "/api/admin/geo-block/metrics", gates=admin("admin:geoblock:view"))
def geo_metrics(req: Request) -> Any:
    rules = geo_rules(req.state)
    users = list(req.state.users.values())
    blocked = {"idVerification": 0, "free": 0, "educational": 0, "subuserOnly": 0, "registration": 0}
    by_country: dict[str, dict[str, int]] = {}
    for user in users:
        level = user_level(rules, user.get("billingCountry"))
        blocked["idVerification"] += level >= 1
        blocked["free"] += level >= 2
        blocked["educational"] += level >= 3
        blocked["subuserOnly"] += level == 4
        blocked["registration"] += level >= 5
        key = str(user.get("billingCountry") or "").strip().lower() or "unknown"
        row = by_country.setdefault(key, {"users": 0, "minLevel": level, "maxLevel": level})
        row["users"] += 1
        row["minLevel"] = min(row["minLevel"], level)
        row["maxLevel"] = max(row["maxLevel"], level)
    return {"totalUsers": len(users), "rules": rules, "blocked": blocked, "byCountry": by_country}
