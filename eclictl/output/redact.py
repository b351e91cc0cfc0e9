"""Privacy mode: deterministic masking of personal data (../shared/api/README.md §12 rule 2).

Masks keep rows distinguishable (`j***@e***.com`, `203.0.113.x`, initials) without revealing
the person. Key-based rules apply at any depth; on top of that every string anywhere is
scrubbed of e-mail and IP addresses, so free text, error messages and -v logs are masked too.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Iterable, Mapping

MASK = "•••"

NAME_KEYS = frozenset({"firstName", "middleName", "lastName", "displayName", "title", "gender",
                       "fullName", "contributorTitle", "billingName", "ownerName", "userName", "username"})
EMAIL_KEYS = frozenset({"email", "toAddress", "fromAddress", "userEmail", "ownerEmail", "contactEmail",
                        "billingEmail", "replyTo", "to", "from"})
PHONE_KEYS = frozenset({"phone", "phoneNumber"})
IP_KEYS = frozenset({"ipAddress", "sourceIp", "targetIp", "ip", "clientIp", "lastIp", "registrationIp",
                     "remoteAddress"})
GENERIC_KEYS = frozenset({
    "address", "address2", "billingCompany", "billingCity", "billingState", "billingZip", "billingCountry",
    "billingAddress", "countryOverride", "dateOfBirth", "age", "avatarUrl", "githubLogin", "githubProfileUrl",
    "githubAvatarUrl", "idDocumentUrl", "selfieUrl", "proofUrl", "paymentTxId", "cryptoAddress", "notes",
    "postalCode", "zip", "city", "street", "userAgent",
})
FREE_TEXT_KEYS = frozenset({"fraudReason", "content", "supportBanReason", "adminNotes", "body", "reason"})
SUBTREE_KEYS = frozenset({"metrics", "recentEvents", "raw"})
PERSON_CONTAINERS = frozenset({"user", "owner", "author", "member", "assignee", "createdBy", "staff",
                               "requester", "admin", "target", "targetUser", "actor"})

_EMAIL_RE = re.compile(r"([A-Za-z0-9._%+\-]+)@([A-Za-z0-9\-]+)((?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})")
_IPV4_RE = re.compile(r"(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_IPV6_RE = re.compile(r"(?<![0-9A-Za-z:])(?:[0-9A-Fa-f]{1,4}:){2,7}(?::|[0-9A-Fa-f]{1,4})(?![0-9A-Za-z:])"
                      r"|(?<![0-9A-Za-z:])(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?"
                      r"(?![0-9A-Za-z:])")

#: Redaction categories: "pii" (people), "servers" (server names), "orgs" (organisation names).
ALL_CATEGORIES = frozenset({"pii", "servers", "orgs"})


def mask_email(value: str) -> str:
    def one(m: re.Match[str]) -> str:
        local, domain, tld = m.group(1), m.group(2), m.group(3)
        last = tld.rsplit(".", 1)[-1]
        return f"{local[:1]}***@{domain[:1]}***.{last}"

    masked = _EMAIL_RE.sub(one, value)
    return masked if masked != value else (f"{value[:1]}***" if value else value)


def mask_ip(value: str) -> str:
    text = value.strip()
    try:
        ip = ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return scrub(value) if scrub(value) != value else MASK
    if ip.version == 4:
        return ".".join(text.split(".")[:3]) + ".x"
    groups = ip.exploded.split(":")[:3]
    return ":".join(g.lstrip("0") or "0" for g in groups) + "::x"


def mask_name(value: str) -> str:
    parts = [p for p in re.split(r"\s+", value.strip()) if p]
    if not parts:
        return value
    return " ".join(f"{p[0].upper()}." for p in parts)


def mask_phone(value: str) -> str:
    digits = [c for c in value if c.isdigit()]
    if len(digits) <= 4:
        return MASK
    head = "+" if value.strip().startswith("+") else ""
    return f"{head}{digits[0]}{'•' * (len(digits) - 3)}{''.join(digits[-2:])}"


def _ipv4_sub(m: re.Match[str]) -> str:
    octets = [int(o) for o in m.groups()]
    if any(o > 255 for o in octets):
        return m.group(0)
    return f"{m.group(1)}.{m.group(2)}.{m.group(3)}.x"


def _ipv6_sub(m: re.Match[str]) -> str:
    text = m.group(0)
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return text
    return mask_ip(text)


def scrub(text: str) -> str:
    """Mask e-mail and IP addresses inside any free text (messages, logs, reasons)."""
    if not text or not isinstance(text, str):
        return text
    if "@" in text:
        text = _EMAIL_RE.sub(lambda m: mask_email(m.group(0)), text)
    if "." in text:
        text = _IPV4_RE.sub(_ipv4_sub, text)
    if ":" in text:
        text = _IPV6_RE.sub(_ipv6_sub, text)
    return text


def _mask_leaf(value: Any, how: str) -> Any:
    if value is None or value == "" or isinstance(value, bool):
        return value
    if how == "name":
        return mask_name(value) if isinstance(value, str) else MASK
    if how == "email":
        return mask_email(value) if isinstance(value, str) else MASK
    if how == "phone":
        return mask_phone(value) if isinstance(value, str) else MASK
    if how == "ip":
        return mask_ip(value) if isinstance(value, str) else MASK
    if how == "text":
        return f"{MASK} (redacted text)" if isinstance(value, str) else MASK
    if how == "subtree":
        return _mask_all(value)
    return MASK


def _mask_all(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _mask_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_all(v) for v in value]
    if isinstance(value, str) and value:
        return MASK
    return value


def rule_for(key: str, in_person: bool, extra: Mapping[str, str], categories: frozenset[str]) -> str | None:
    """How a field is masked, or None to leave it (strings are still scrubbed)."""
    category = extra.get(key)
    if category == "subtree":  # a section-declared container: mask everything inside it
        return "subtree" if "pii" in categories else None
    if category is not None:
        if category in categories:
            return "name" if category in ("servers", "orgs") else _builtin_rule(key, in_person) or "generic"
        return None
    if "pii" not in categories:
        return None
    return _builtin_rule(key, in_person)


def _builtin_rule(key: str, in_person: bool) -> str | None:
    if key in NAME_KEYS or (in_person and key == "name"):
        return "name"
    if key in EMAIL_KEYS:
        return "email"
    if key in PHONE_KEYS:
        return "phone"
    if key in IP_KEYS:
        return "ip"
    if key in FREE_TEXT_KEYS:
        return "text"
    if key in SUBTREE_KEYS:
        return "subtree"
    if key in GENERIC_KEYS:
        return "generic"
    return None


class Redactor:
    """Applies the active categories; `extra` maps section-declared keys to a category."""

    def __init__(self, categories: Iterable[str], extra: Mapping[str, str] | None = None) -> None:
        self.categories = frozenset(categories)
        self.extra = dict(extra or {})

    @property
    def active(self) -> bool:
        return bool(self.categories)

    def text(self, value: str) -> str:
        return scrub(value) if "pii" in self.categories else value

    def record(self, value: Any, *, in_person: bool = False, parent: str | None = None) -> Any:
        if not self.active:
            return value
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for raw_key, item in value.items():
                key = raw_key
                if isinstance(raw_key, str) and "pii" in self.categories:
                    masked_key = scrub(raw_key)  # IPs and e-mails used as keys (allocation maps)
                    if masked_key != raw_key:
                        n = 2
                        unique = masked_key
                        while unique in out:
                            unique, n = f"{masked_key}#{n}", n + 1
                        out[unique] = self.record(item, in_person=in_person, parent=parent)
                        continue
                how = rule_for(key, in_person, self.extra, self.categories)
                if parent == "documents" and key == "url" and "pii" in self.categories:
                    how = "generic"
                if how is not None and not isinstance(item, (dict, list)) or how == "subtree":
                    out[key] = _mask_leaf(item, how)
                else:
                    out[key] = self.record(item, in_person=key in PERSON_CONTAINERS,
                                           parent=parent if parent == "documents" else key)
            return out
        if isinstance(value, list):
            return [self.record(v, in_person=in_person, parent=parent) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value


#: What the masks above leave in a value: `•••` (also inside phone masks), `(redacted text)`,
#: `j***@e***.com`, `203.0.113.x`, `2001:db8:0::x`, `+4•••12`. Such a value is eclictl's own
#: output read back (an export or `-o json` made in privacy mode), never real panel data.
_MASK_RE = re.compile(
    "•••|\\(redacted text\\)"
    r"|\S\*\*\*@\S\*\*\*\.[A-Za-z]{2,}"
    r"|(?<![\w.])\d{1,3}\.\d{1,3}\.\d{1,3}\.x(?![\w.])"
    r"|(?<![\w:])[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,2}::x(?![\w:])"
    "|\\d•{2,}\\d{2}(?!\\d)"
)


def carries_mask(value: Any, path: str = "") -> str | None:
    """The path of the first string (or key) in `value` that holds one of eclictl's masks, else None.

    Writes refuse such values: sending them would replace real data with the mask.
    """
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if _MASK_RE.search(item):
                return where or "(body)"
        elif isinstance(item, dict):
            for key, sub in reversed(list(item.items())):
                sub_path = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and _MASK_RE.search(key):
                    return sub_path
                stack.append((sub_path, sub))
        elif isinstance(item, (list, tuple)):
            for index in range(len(item) - 1, -1, -1):
                stack.append((f"{where}[{index}]", item[index]))
    return None


def refuse_masked(body: Any, *, method: str, path: str) -> None:
    """Raise RejectedError (exit 7) when a request body carries a mask: the one guard every write passes."""
    where = carries_mask(body)
    if where is None:
        return
    from eclictl.errors import RejectedError

    raise RejectedError(f"refusing {method} {path}: '{where}' holds a privacy mask (like •••, j***@e***.com or "
                        "203.0.113.x) instead of a real value; nothing was sent",
                        hint="privacy mode masks what eclictl shows; use the real value, or a file exported "
                        "with `export` (exports keep real values)")


def refuse_masked_file(data: Any, source: str) -> None:
    """The same guard for a file before apply/import plans anything (exit 7, nothing sent)."""
    where = carries_mask(data)
    if where is None:
        return
    from eclictl.errors import RejectedError

    raise RejectedError(f"{source}: '{where}' holds a privacy mask (like •••, j***@e***.com or 203.0.113.x) "
                        "instead of a real value: nothing was sent",
                        hint="export the file again (exports keep the panel's real values), or fix that value")
