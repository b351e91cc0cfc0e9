"""The typed schema of the panel settings (docs/panel/settings.md).

The panel stores every setting as text and does no type checking on PUT (docs/panel/settings.md#writing-settings): a wrong type is
accepted with 200 and silently coerced (`registrationEnabled: 0` reads back as *enabled*). So the
CLI checks every value here, before any request. The rule-string keys (docs/panel/settings.md#rule-strings) get a parser that
keeps the original text of each entry, so editors (`eclictl geoblock`) can rewrite one entry and
leave the entries they do not understand exactly as they were.

Pure data and functions: no Typer, no httpx (imported by the CLI and the sandbox alike).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from eclictl.inputs import loads_json


class SchemaError(ValueError):
    """A value that does not fit the schema; the CLI turns it into a UsageError (exit 2)."""


#: The prefix-gated feature flags of the panel's request hook (backend/src/routes/index.ts): a disabled
#: flag answers 503 with the raw key `common.featureDisabled` for every path under its prefixes.
FEATURE_PREFIXES: dict[str, tuple[str, ...]] = {
    "ai": ("/api/ai",),
    "ticketing": ("/api/tickets", "/api/admin/tickets"),
    "applications": ("/api/applications", "/api/admin/applications", "/api/public/applications"),
    "billing": ("/api/orders", "/api/admin/orders", "/api/payments", "/api/plans", "/api/coupons",
                "/api/admin/coupons"),
    "oauth": ("/api/oauth", "/.well-known/oauth-authorization-server"),
    "tunnels": ("/api/tunnel",),
    "registration": ("/api/users/register",),
    "elo": ("/api/elo", "/api/admin/elo"),
    "calendar": ("/api/calendar",),
    "chat": ("/api/chat", "/api/ws/chat"),
    "blog": ("/api/blog", "/api/public/blog", "/api/admin/blog"),
}


# -- ISO 3166-1 alpha-2 -------------------------------------------------------------------------
ISO_COUNTRIES: frozenset[str] = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO
JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA
RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
""".split())
#: The 27 EU member states (regionalPricing's `EU` tax fallback, eu.ts).
EU_COUNTRIES: frozenset[str] = frozenset("AT BE BG HR CY CZ DK EE FI FR DE GR IE IT LV LT LU MT NL PL PT RO SK SI ES "
                                         "SE HU".split())

# -- feature flags (docs/panel/settings.md#feature-flags) -------------------------------------
#: flag -> (default, where the panel enforces it)
FEATURE_FLAGS: dict[str, tuple[bool, str]] = {
    "registration": (True, "503 on /api/users/register (registrationEnabled must allow it too)"),
    "tempEmailFilter": (True, "not read by any code: switching it has no effect"),
    "captcha": (True, "captcha requirement on registration and the captcha endpoints"),
    "captchaInvisible": (False, "invisible-captcha mode"),
    "billing": (True, "503 on orders, payments, plans, coupons (not on apply-plan/cancel-plan)"),
    "ai": (True, "503 on /api/ai… plus handler checks"),
    "dns": (True, "503 on /api/organisations/…/dns/…"),
    "ticketing": (True, "503 on /api/tickets, /api/admin/tickets"),
    "applications": (True, "503 on /api/applications, /api/admin/applications, /api/public/applications"),
    "oauth": (True, "503 on /api/oauth and the OAuth metadata document"),
    "dedicatedIps": (True, "handler check on the dedicated-IP routes"),
    "tunnels": (True, "503 on /api/tunnel…"),
    "visualeditor": (True, "handler check in the visual editor routes"),
    "elo": (True, "503 on /api/elo, /api/admin/elo"),
    "calendar": (True, "503 on /api/calendar"),
    "chat": (True, "503 on /api/chat, /api/ws/chat"),
    "blog": (True, "503 on /api/blog, /api/public/blog, /api/admin/blog"),
}
DEFAULT_FLAGS: dict[str, bool] = {name: default for name, (default, _) in FEATURE_FLAGS.items()}
#: The panel's flag cache (Redis, docs/panel/settings.md#writing-settings): PUT does not clear it; wait longer than this before verifying.
FLAG_CACHE_SECONDS = 10
#: The panel stores ANY flag name sent to it (and never forgets one), and older panels have other
#: defaults (e.g. `hackclubStudentAuth`, `paint`, `codeInstances`): any printable name without spaces
#: or `=` is accepted, so a flag the panel returns can always be written back.
FLAG_NAME_RE = re.compile(r"^[^\s=\x00-\x1f\x7f]{1,128}$")

# -- webauthn (docs/panel/settings.md#the-settings-object) ------------------------------------
WEBAUTHN_FIELDS: dict[str, str] = {
    "enabled": "bool", "allowDiscoverable": "bool", "rpId": "string", "rpOrigin": "string",
    "authenticationTimeoutSeconds": "int", "registrationTimeoutSeconds": "int",
}


@dataclass(frozen=True)
class SettingKey:
    name: str
    kind: str  # bool | string | number | json | rules | flags | object | currency
    default: Any
    summary: str
    in_get: bool = True  # returned by GET /api/admin/settings
    low: float | None = None
    high: float | None = None
    rules: str | None = None  # geo | kyc | age | tax


SCHEMA: dict[str, SettingKey] = {k.name: k for k in (
    SettingKey("registrationEnabled", "bool", True, "Registration open (the `registration` flag must allow it too)."),
    SettingKey("registrationNotice", "string", "", "Text shown on the registration page."),
    SettingKey("portalDescriptions", "json", None, "Marketing text per portal tier (any JSON)."),
    SettingKey("geoBlockCountries", "rules", "", "Geo-block rules: `ru:5, by:4` (levels 0-5).", rules="geo"),
    SettingKey("kycRequiredCountries", "rules", "", "Countries whose users must pass KYC: `de,fr`.", rules="kyc"),
    SettingKey("countryAgeRules", "rules", "", "Minimum ages by country: `de:16, eu:14` (0-25).", rules="age"),
    SettingKey("billingCurrency", "currency", "USD", "Billing currency (upper-cased by the panel)."),
    SettingKey("billingTaxRules", "rules", "", "Tax rates in percent: `DE:19, EU:20, *:0`.", rules="tax"),
    SettingKey("gamblingEnabled", "bool", True, "The 'gambling mode' theme feature."),
    SettingKey("gamblingResourceLuckyChance", "number", 0.0777, "Chance 0-1.", low=0.0, high=1.0),
    SettingKey("gamblingPowerDenyChance", "number", 0.5, "Chance 0-1.", low=0.0, high=1.0),
    SettingKey("featureToggles", "flags", dict(DEFAULT_FLAGS), "Feature flags (merged on PUT; see `eclictl flags`)."),
    SettingKey("webauthn", "object", None, "Passkey settings (a PUT REPLACES the whole object)."),
    SettingKey("org_formation_fee", "number", "1", "Organisation formation fee (write-only here).", in_get=False,
               low=0.0),
    SettingKey("org_dns_addon_price", "number", "3", "Organisation DNS add-on price (write-only here).",
               in_get=False, low=0.0),
)}
#: Keys the admin GET returns, in the panel's order.
GET_KEYS: tuple[str, ...] = tuple(k for k, spec in SCHEMA.items() if spec.in_get)


# -- rule strings (docs/panel/settings.md#rule-strings) -------------------------------------------
# The panel parses these itself and stores whatever it is sent (docs/panel/settings.md#writing-settings): an entry it cannot parse is
# skipped silently. So an entry is a `problem` (refused by `settings set/apply`) only when the panel
# would SKIP it; an entry the panel applies is never refused, however odd: `warning` says why it is
# odd (not an ISO code, a fractional level, an empty level that reads as 0, a rate it clamps...).
@dataclass
class RuleEntry:
    """One entry of a rule string; `key` is None when the panel would ignore the entry."""

    raw: str
    key: str | None = None
    value: float | int | None = None
    problem: str | None = None
    warning: str | None = None


_JS_WS = " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
         "\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_DECIMAL = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_JS_RADIX = re.compile(r"^0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)$")


def js_number(text: str) -> float:
    """JavaScript `Number(string)`: trimmed, "" -> 0, decimal/exponent, 0x/0o/0b, Infinity; else NaN."""
    clean = text.strip(_JS_WS)
    if not clean:
        return 0.0
    if _JS_DECIMAL.match(clean):
        return float(clean)
    if _JS_RADIX.match(clean):
        return float(int(clean, 0))
    if clean in ("Infinity", "+Infinity"):
        return math.inf
    if clean == "-Infinity":
        return -math.inf
    return math.nan


def _num(value: float) -> float | int:
    return int(value) if value.is_integer() else value


_COUNTRY_TEXT = re.compile(r"^[a-z][a-z .'()-]*$")


def _country_warning(key: str, extra: frozenset[str] = frozenset()) -> str | None:
    """Why a key the panel accepts may not do what was meant (None = a plain ISO code or country name)."""
    if key in extra:
        return None
    if len(key) == 2 and key.isalpha() and key.isascii():
        if key.upper() in ISO_COUNTRIES:
            return None
        hint = " (GB is the United Kingdom; 'uk' also matches 'ukraine')" if key == "uk" else ""
        return f"'{key}' is not an ISO 3166 code{hint}: it matches billing countries that are, or start with, '{key}'"
    if not _COUNTRY_TEXT.match(key) or len(key) < 2:
        return f"'{key}' does not look like a country code or name: it only matches that exact billing country"
    return None


def _keyed(text: str, low: int, high: int, *, extra: frozenset[str] = frozenset(), what: str) -> list[RuleEntry]:
    """Geo-block and age rules exactly as the panel (eu.ts) parses them: entries split on runs of `,` `\\n` `\\r`,
    trimmed; each split on `:` `=` `;` must give exactly two parts; key trimmed+lower-cased, non-empty;
    value = JS `Number()` of the trimmed rest, kept when low <= value <= high (fractions included)."""
    out: list[RuleEntry] = []
    for raw in (part.strip() for part in re.split(r"[,\n\r]+", text or "")):
        if not raw:
            continue
        parts = [p.strip() for p in re.split(r"[:=;]", raw)]
        if len(parts) != 2:
            out.append(RuleEntry(raw, problem=f"'{raw}' is not <country>:<{what}>"))
            continue
        key, value_text = parts[0].lower(), parts[1]
        value = js_number(value_text)
        if not key:
            out.append(RuleEntry(raw, problem=f"'{raw}': no country before the separator"))
        elif math.isnan(value):
            out.append(RuleEntry(raw, problem=f"'{raw}': the {what} must be a number {low}-{high}"))
        elif not low <= value <= high:
            out.append(RuleEntry(raw, problem=f"'{raw}': the {what} must be {low}-{high}"))
        else:
            warning = _country_warning(key, extra)
            if not value_text:
                warning = f"'{raw}': no {what} given: the panel reads it as 0"
            elif not value.is_integer():
                warning = warning or f"'{raw}': a fractional {what} (the panel compares it as is)"
            out.append(RuleEntry(raw, key, _num(value), warning=warning))
    return out


def parse_geo(text: str) -> list[RuleEntry]:
    """geoBlockCountries: `ru:5, by:4` (entries by comma/newline; `:`, `=` or `;` before the level 0-5)."""
    return _keyed(text, 0, 5, what="level")


def parse_age(text: str) -> list[RuleEntry]:
    """Age rules: like geoBlockCountries with ages 0-25; `eu` and `uk` are special keys."""
    return _keyed(text, 0, 25, extra=frozenset({"eu", "uk"}), what="age")


def parse_kyc(text: str) -> list[RuleEntry]:
    """Country lists: comma-separated countries (codes or names, case-insensitive), matched as is by the panel."""
    out = []
    for raw in (part.strip() for part in (text or "").split(",")):
        if not raw:
            continue
        key = raw.lower()
        if re.search(r"[:=;\n\r]", key):
            out.append(RuleEntry(raw, problem=f"'{raw}' is not a country (entries are separated by commas only)"))
        else:
            out.append(RuleEntry(raw, key, None, warning=_country_warning(key)))
    return out


def parse_tax(text: str) -> list[RuleEntry]:
    """Regional pricing as regionalPricing.ts parses it: entries by runs of newline/comma/semicolon; `<CODE>:<rate>` or
    `<CODE>=<rate>` (parts after a second separator are ignored); key upper-cased; rate a finite JS number,
    clamped to 0-100 (percent)."""
    out = []
    for raw in (part.strip() for part in re.split(r"[\n,;]+", text or "")):
        if not raw:
            continue
        parts = [p.strip() for p in re.split(r"[:=]", raw)]
        if len(parts) < 2 or not parts[0]:
            out.append(RuleEntry(raw, problem=f"'{raw}' is not <CODE>:<rate>"))
            continue
        key, rate = parts[0].upper(), js_number(parts[1])
        if math.isnan(rate) or math.isinf(rate):
            out.append(RuleEntry(raw, problem=f"'{raw}': the rate must be a number (percent 0-100)"))
            continue
        warning = None
        if key not in ISO_COUNTRIES and key not in ("EU", "*", "DEFAULT"):
            warning = f"'{raw}': '{key}' is not an ISO country code, EU, * or DEFAULT (it only matches exactly)"
        if not 0 <= rate <= 100:
            warning = f"'{raw}': the panel clamps the rate to {0 if rate < 0 else 100} %"
        elif len(parts) > 2:
            warning = f"'{raw}': the panel ignores everything after the second separator"
        out.append(RuleEntry(raw, key, _num(min(100.0, max(0.0, rate))), warning=warning))
    return out


RULE_PARSERS = {"geo": parse_geo, "age": parse_age, "kyc": parse_kyc, "tax": parse_tax}


def rule_problems(key: str, text: str) -> list[str]:
    """Entries the panel would skip (refused before sending)."""
    spec = SCHEMA[key]
    return [e.problem for e in RULE_PARSERS[str(spec.rules)](text) if e.problem]


def rule_warnings(key: str, text: str) -> list[str]:
    """Entries the panel applies but that may not do what was meant (shown, never refused)."""
    spec = SCHEMA.get(key)
    if spec is None or spec.kind != "rules" or not isinstance(text, str):
        return []
    return [e.warning for e in RULE_PARSERS[str(spec.rules)](text) if e.warning]


GEO_LEVELS: dict[int, str] = {
    0: "none",
    1: "no ID verification (KYC upload)",
    2: "no KYC upload, no free services",
    3: "no KYC upload, no free or educational services",
    4: "no KYC, free, educational or paid services (subuser-only)",
    5: "registration blocked (and everything below)",
}


# -- values ---------------------------------------------------------------------------------------
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def parse_bool(raw: str, what: str) -> bool:
    low = raw.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise SchemaError(f"{what} is a boolean (true/false), got '{raw}'")


def _number(raw: Any, spec: SettingKey) -> float | int:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise SchemaError(f"{spec.name} is a number, got {json.dumps(raw)}")
    try:
        value = float(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise SchemaError(f"{spec.name} is a number, got '{raw}'") from None
    if math.isnan(value) or math.isinf(value):
        raise SchemaError(f"{spec.name} must be a finite number")
    if spec.low is not None and value < spec.low or spec.high is not None and value > spec.high:
        bounds = f"{spec.low:g}-{spec.high:g}" if spec.high is not None else f">= {spec.low:g}"
        raise SchemaError(f"{spec.name} must be {bounds}, got {raw}")
    if isinstance(value, float) and value.is_integer() and not (isinstance(raw, str) and "." in raw):
        return int(value)
    return value


def _webauthn_field(name: str, value: Any) -> Any:
    kind = WEBAUTHN_FIELDS.get(name)
    if kind == "bool" and not isinstance(value, bool):
        raise SchemaError(f"webauthn.{name} is a boolean")
    if kind == "string" and not isinstance(value, str):  # (TOML has no null: a null rpId is never exported)
        raise SchemaError(f"webauthn.{name} is a string")
    # the portal's number inputs send `Number(input)`, so 0 and fractions are real stored values
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0
                          or math.isinf(value)):
        raise SchemaError(f"webauthn.{name} is a number of seconds (>= 0)")
    return value


def check_value(key: str, value: Any) -> Any:
    """A typed value (from TOML/JSON) checked against the schema; returns what to send."""
    spec = SCHEMA.get(key)
    if spec is None:
        raise SchemaError(f"unknown setting '{key}' (known: {', '.join(SCHEMA)})")
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise SchemaError(f"{key} is a boolean (true/false), got {json.dumps(value, default=str)}")
        return value
    if spec.kind in ("string", "rules", "currency"):
        if not isinstance(value, str):
            raise SchemaError(f"{key} is a string, got {json.dumps(value, default=str)}")
        if spec.kind == "currency" and not re.fullmatch(r"[A-Za-z]{3}", value.strip()):
            raise SchemaError(f"{key} is a 3-letter currency code such as EUR, got '{value}'")
        if spec.kind == "rules":
            problems = rule_problems(key, value)
            if problems:
                raise SchemaError(f"{key}: {problems[0]}" + (f" (+{len(problems) - 1} more)"
                                                              if len(problems) > 1 else ""))
        return value
    if spec.kind == "number":
        return _number(value, spec)
    if spec.kind == "json":
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise SchemaError(f"{key} must be JSON data") from None
        return value
    if spec.kind == "flags":
        if not isinstance(value, dict):
            raise SchemaError(f"{key} is a table of flag = true/false")
        for name, on in value.items():
            if not FLAG_NAME_RE.match(str(name)):
                raise SchemaError(f"'{name}' is not a flag name")
            if not isinstance(on, bool):
                raise SchemaError(f"{key}.{name} is a boolean (true/false)")
        return dict(value)
    if spec.kind == "object":
        if not isinstance(value, dict):
            raise SchemaError(f"{key} is a table of passkey settings")
        return {name: _webauthn_field(name, v) for name, v in value.items()}
    raise SchemaError(f"{key}: unsupported kind {spec.kind}")  # pragma: no cover


def parse_cli_value(key: str, raw: str) -> tuple[str, Any]:
    """`KEY=VALUE` text to (top-level key, typed value). `featureToggles.ai=false`, `webauthn.enabled=false`
    give a one-entry object (the caller merges webauthn with the current object: PUT replaces it)."""
    if "." in key:
        top, sub = key.split(".", 1)
        if top == "featureToggles":
            if not FLAG_NAME_RE.match(sub):
                raise SchemaError(f"'{sub}' is not a flag name")
            return top, {sub: parse_bool(raw, key)}
        if top == "webauthn":
            kind = WEBAUTHN_FIELDS.get(sub)
            if kind is None:
                raise SchemaError(f"unknown webauthn field '{sub}' (known: {', '.join(WEBAUTHN_FIELDS)})")
            if kind == "bool":
                return top, {sub: parse_bool(raw, key)}
            if kind == "int":
                if not raw.strip().isdigit() or int(raw) < 1:
                    raise SchemaError(f"{key} is a whole number of seconds (>= 1), got '{raw}'")
                return top, {sub: int(raw)}
            return top, {sub: raw}
        raise SchemaError(f"unknown setting '{key}' (only featureToggles.<flag> and webauthn.<field> take a dot)")
    spec = SCHEMA.get(key)
    if spec is None:
        raise SchemaError(f"unknown setting '{key}' (known: {', '.join(SCHEMA)})")
    if spec.kind == "bool":
        return key, parse_bool(raw, key)
    if spec.kind == "number":
        return key, _number(raw.strip(), spec)
    if spec.kind in ("json", "flags", "object"):
        try:
            value = loads_json(raw)
        except ValueError:
            raise SchemaError(f"{key} takes JSON, got '{raw}'") from None
        return key, check_value(key, value)
    return key, check_value(key, raw)


def normalise(key: str, value: Any) -> Any:
    """What the panel will store/return for a value we send (for diffs): currency upper-cased, etc."""
    spec = SCHEMA.get(key)
    if spec is None:
        return value
    if spec.kind == "currency" and isinstance(value, str):
        return value.strip().upper()
    if spec.kind == "number" and not isinstance(value, bool) and isinstance(value, (int, float)):
        return float(value) if spec.in_get else str(value)
    return value


def same(key: str, wanted: Any, current: Any) -> bool:
    """Whether the panel's `current` already equals `wanted` (after the panel's own normalising)."""
    spec = SCHEMA.get(key)
    if spec is not None and spec.kind == "number":
        try:
            return float(wanted) == float(current)
        except (TypeError, ValueError):
            return False
    if spec is not None and spec.kind in ("flags", "object") and isinstance(wanted, dict):
        return isinstance(current, dict) and all(current.get(k) == v for k, v in wanted.items())
    return normalise(key, wanted) == current
