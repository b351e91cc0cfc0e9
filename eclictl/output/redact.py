"""Privacy mode: deterministic masking of personal data in what eclictl shows.

The rule: mask personal data about people in what is shown; never change data that eclictl
writes back, never mask the panel's own addresses or configuration, never surprise a script.

* Person fields, at any depth: names become initials, e-mails `j***@e***.com`, IPs `203.0.113.x`,
  phones `+4••••••67`, addresses `•••` (keys below; sections declare more with `sensitive=`).
* Free text (fraudReason, content, reason...): only the personal data inside is masked (e-mail and
  IP addresses, phone numbers, and the record's own person: names, e-mail local part, address,
  city...); the rest stays readable, so it can still be searched for.
* Every other string: e-mail and IP addresses (also URL-encoded, `jane%40corp.example`).
* Messages (errors, hints, notes, `message`/`error` fields such as a bulk report's outcomes) and
  -v logs: the same, plus phone numbers and people's names: the names this run received from the
  panel (whole word, exact case) and the words of an e-mail address in the same text
  (`Jane Doe (jane.doe@corp.example)`). Limits: a name that eclictl never received and that no
  e-mail address in the text spells is not recognised; a word that is also someone's name
  (`Rose`) is masked as well.
* Never masked: addresses in the configured panel URL and web URL (they are configuration, not
  people) and, in messages and plain strings, addresses the user typed (echoed as typed).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Callable, Iterable, Mapping

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
#: Messages inside data (a bulk report's per-item outcome, the panel's error text): masked like
#: error lines, so the names of people this run received are masked there too.
MESSAGE_KEYS = frozenset({"message", "error"})
SUBTREE_KEYS = frozenset({"metrics", "recentEvents", "raw"})
PERSON_CONTAINERS = frozenset({"user", "owner", "author", "member", "assignee", "createdBy", "staff",
                               "requester", "admin", "target", "targetUser", "actor"})
#: The fields that hold a person's name (what a run learns, and what free text is searched for).
PERSON_NAME_KEYS = frozenset({"firstName", "middleName", "lastName", "displayName", "fullName", "billingName",
                              "ownerName"})
#: A person's own values that are masked where their free text quotes them (address, city...).
_QUOTED_GENERIC_KEYS = frozenset({"address", "address2", "street", "city", "postalCode", "zip", "billingCity",
                                  "billingState", "billingZip", "billingCountry", "billingAddress",
                                  "billingCompany", "dateOfBirth", "githubLogin", "cryptoAddress", "paymentTxId"})

# The look-behind starts a match only where a run of local-part characters starts: without it
# a long run with no "@" costs quadratic time (a 200 KB token took minutes).
_EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+\-])([A-Za-z0-9._%+\-]+)(@|%40)([A-Za-z0-9\-]+)((?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})")
_IPV4_RE = re.compile(r"(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?!\d|\.\d)")  # "… 10.0.0.1." too
_IPV6_RE = re.compile(r"(?<![0-9A-Za-z:])(?:[0-9A-Fa-f]{1,4}:){2,7}(?::|[0-9A-Fa-f]{1,4})(?![0-9A-Za-z:])"
                      r"|(?<![0-9A-Za-z:])(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?"
                      r"(?![0-9A-Za-z:])")
# An international number (+, 7-15 digits) or a grouped national one (9-15 digits); never a bare
# digit run (ids, amounts), a date or an IP address.
_PHONE_RE = re.compile(r"(?<![\w+])(?:\+\d[\d ()/-]{5,18}\d|\(?\d{2,5}\)?[ /-]\d[\d ()/-]{4,16}\d)(?!\w)")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WORD_RE = re.compile(r"[^\W\d_][\w'’\-]*")
_LOCAL_SPLIT_RE = re.compile(r"[._+\-%\d]+")
#: Local parts of shared mailboxes, not people: their words are never taken for a name.
_ROLE_WORDS = frozenset({"admin", "abuse", "billing", "contact", "hello", "help", "info", "mail", "no", "noreply",
                         "postmaster", "reply", "root", "sales", "security", "support", "team", "test", "user",
                         "webmaster"})

#: Redaction categories: "pii" (people), "servers" (server names), "orgs" (organisation names).
ALL_CATEGORIES = frozenset({"pii", "servers", "orgs"})


def mask_email(value: str) -> str:
    def one(m: re.Match[str]) -> str:
        local, at, domain, tld = m.group(1), m.group(2), m.group(3), m.group(4)
        last = tld.rsplit(".", 1)[-1]
        return f"{local[:1]}***{at}{domain[:1]}***.{last}"

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


def _valid_ipv4(text: str) -> bool:
    return all(int(o) <= 255 for o in text.split("."))


def _valid_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _is_phone(text: str) -> bool:
    digits = sum(c.isdigit() for c in text)
    if text.startswith("+"):
        return 7 <= digits <= 15
    return 9 <= digits <= 15 and not _DATE_RE.match(text)


def addresses_in(text: str | None) -> set[str]:
    """The e-mail and IP addresses (and phone numbers) in a text, exactly as scrub() would find them."""
    if not text:
        return set()
    found = {m.group(0) for m in _EMAIL_RE.finditer(text)}
    found |= {m.group(0) for m in _IPV4_RE.finditer(text) if _valid_ipv4(m.group(0))}
    found |= {m.group(0) for m in _IPV6_RE.finditer(text) if _valid_ipv6(m.group(0))}
    found |= {m.group(0) for m in _PHONE_RE.finditer(text) if _is_phone(m.group(0))}
    return found


def scrub(text: str, keep: frozenset[str] | set[str] = frozenset()) -> str:
    """Mask e-mail and IP addresses inside any text; a match listed in `keep` is left as it is."""
    if not text or not isinstance(text, str) or ("." not in text and ":" not in text):
        return text  # every e-mail and IP address has a dot or a colon

    def email(m: re.Match[str]) -> str:
        return m.group(0) if m.group(0) in keep else mask_email(m.group(0))

    def ipv4(m: re.Match[str]) -> str:
        if m.group(0) in keep or not _valid_ipv4(m.group(0)):
            return m.group(0)
        return f"{m.group(1)}.{m.group(2)}.{m.group(3)}.x"

    def ipv6(m: re.Match[str]) -> str:
        if m.group(0) in keep or not _valid_ipv6(m.group(0)):
            return m.group(0)
        return mask_ip(m.group(0))

    if "@" in text or "%40" in text:
        text = _EMAIL_RE.sub(email, text)
    if "." in text:
        text = _IPV4_RE.sub(ipv4, text)
    if ":" in text:
        text = _IPV6_RE.sub(ipv6, text)
    return text


def mask_phones(text: str, keep: frozenset[str] | set[str] = frozenset()) -> str:
    """Mask phone numbers inside free text (see _PHONE_RE for what counts as one)."""
    if not text or not any(c.isdigit() for c in text):
        return text

    def one(m: re.Match[str]) -> str:
        found = m.group(0)
        return mask_phone(found) if _is_phone(found) and found not in keep else found

    return _PHONE_RE.sub(one, text)


def name_words(value: str) -> list[str]:
    """The words of a name worth looking for in text: two characters or more, starting with a letter."""
    return [w for w in _WORD_RE.findall(value) if len(w) >= 2]


def _local_words(text: str) -> set[str]:
    """Name-like words of the e-mail addresses in a text: `jane.doe@corp.example` -> {jane, doe}."""
    if "@" not in text and "%40" not in text:
        return set()
    words: set[str] = set()
    for m in _EMAIL_RE.finditer(text):
        # three letters or more: a two-letter piece (`by@…`, `to.li@…`) is more often a word than a name
        words.update(w.lower() for w in _LOCAL_SPLIT_RE.split(m.group(1)) if len(w) >= 3)
    return words - _ROLE_WORDS


def _email_terms(text: str) -> dict[str, str]:
    """Free-text terms spelt by the e-mail addresses in it: the local part and its name-like words."""
    if "@" not in text and "%40" not in text:
        return {}
    terms: dict[str, str] = {}
    for m in _EMAIL_RE.finditer(text):
        local = m.group(1)
        if len(local) >= 3 and local.lower() not in _ROLE_WORDS:
            terms[local.lower()] = "local"
        for word in _LOCAL_SPLIT_RE.split(local):
            if len(word) >= 3 and word.lower() not in _ROLE_WORDS:
                terms.setdefault(word.lower(), "name")
    return terms


def _anonymised(row: Mapping[str, Any]) -> bool:
    """A deleted account: the panel renames it `Deleted` / `User <id>`
    (backend/src/jobs/deletionExecutionJob.ts), which are no one's name."""
    return row.get("firstName") == "Deleted" and str(row.get("lastName") or "").startswith("User ")


class PrivacyState:
    """What one run's redaction shares: every Redactor of the run reads and updates it.

    `masked` says whether anything was actually masked (the footer and the script note only
    appear then); `typed` and `typed_words` are the user's own input (echoed as typed);
    `names` are name words of people the panel sent during this run (masked in messages).
    """

    def __init__(self) -> None:
        self.masked = False
        self.typed: set[str] = set()
        self.typed_words: set[str] = set()
        self.names: set[str] = set()

    def add_typed(self, text: str) -> None:
        self.typed |= addresses_in(text)
        self.typed_words.update(_WORD_RE.findall(text))

    def learn(self, data: Any) -> None:
        """Remember the names of the people in a response (called by the API client)."""
        stack: list[tuple[Any, bool]] = [(data, False)]
        while stack:
            value, in_person = stack.pop()
            if isinstance(value, list):
                stack.extend((v, in_person) for v in value if isinstance(v, (dict, list)))
                continue
            if not isinstance(value, dict):
                continue
            placeholder = _anonymised(value)
            for key, item in value.items():
                if isinstance(item, str):
                    if placeholder:
                        continue
                    if key in PERSON_NAME_KEYS or (in_person and key == "name"):
                        self.names.update(name_words(item))
                elif isinstance(item, (dict, list)):
                    stack.append((item, key in PERSON_CONTAINERS))


class _Quoted:
    """A record's own personal values, masked wherever its free text quotes them."""

    def __init__(self, terms: dict[str, str]) -> None:
        self.kinds = terms
        alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
        self.pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)

    def __call__(self, text: str) -> str:
        return self.pattern.sub(self._one, text)

    def _one(self, m: re.Match[str]) -> str:
        found = m.group(0)
        kind = self.kinds.get(found.lower(), "generic")
        if kind == "name":
            return mask_name(found)
        if kind == "local":
            return f"{found[:1]}***"
        if kind == "phone":
            return mask_phone(found)
        return MASK


def _own_terms(record: Mapping[str, Any], in_person: bool, terms: dict[str, str], *, depth: int = 0) -> None:
    for key, value in record.items():
        if isinstance(value, dict):
            if key in PERSON_CONTAINERS and depth == 0:
                _own_terms(value, True, terms, depth=1)
            continue
        if not isinstance(value, str) or not value.strip():
            continue
        text = " ".join(value.split())
        if key in PERSON_NAME_KEYS or (in_person and key == "name"):
            if len(text) >= 2:
                terms[text.lower()] = "name"
            for word in name_words(text):
                terms.setdefault(word.lower(), "name")
        elif key in EMAIL_KEYS and "@" in text:
            local = text.split("@", 1)[0]
            if len(local) >= 3:
                terms.setdefault(local.lower(), "local")
        elif key in PHONE_KEYS:
            if sum(c.isdigit() for c in text) >= 5:
                terms[text.lower()] = "phone"
        elif key in _QUOTED_GENERIC_KEYS and len(text) >= 3:
            terms.setdefault(text.lower(), "generic")


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
            if category in ("servers", "orgs"):
                return "name"
            rule = _builtin_rule(key, in_person)  # a declared message is personal as a whole
            return "generic" if rule in (None, "message") else rule
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
    if key in MESSAGE_KEYS:
        return "message"
    if key in SUBTREE_KEYS:
        return "subtree"
    if key in GENERIC_KEYS:
        return "generic"
    return None


class Redactor:
    """Applies the active categories; `extra` maps section-declared keys to a category.

    `keep`: the panel's own addresses (from the configured URLs), never masked anywhere.
    `state`: the run's shared PrivacyState (what was typed, names seen, whether anything was masked).
    """

    def __init__(self, categories: Iterable[str], extra: Mapping[str, str] | None = None, *,
                 keep: Iterable[str] = (), state: PrivacyState | None = None) -> None:
        self.categories = frozenset(categories)
        self.extra = dict(extra or {})
        self.keep = frozenset(keep)
        self.state = state if state is not None else PrivacyState()
        self._echoed: tuple[int, frozenset[str]] = (-1, self.keep)

    def extended(self, extra: Mapping[str, str]) -> "Redactor":
        """The same redactor with more section-declared keys (a View's `sensitive`)."""
        return Redactor(self.categories, {**self.extra, **extra}, keep=self.keep, state=self.state)

    @property
    def active(self) -> bool:
        return bool(self.categories)

    @property
    def masked(self) -> bool:
        return self.state.masked

    def _seen(self, before: Any, after: Any) -> Any:
        if after != before:
            self.state.masked = True
        return after

    # -- text -----------------------------------------------------------------------------
    def _kept(self) -> frozenset[str]:
        """The panel's addresses plus what the user typed (cached until more is typed)."""
        size, kept = self._echoed
        if size != len(self.state.typed):
            self._echoed = (len(self.state.typed), kept := self.keep | self.state.typed)
        return kept

    def text(self, value: str) -> str:
        """A plain string of data: e-mail and IP addresses masked, except the panel's and typed ones."""
        if "pii" not in self.categories or not isinstance(value, str):
            return value
        return self._seen(value, scrub(value, self._kept()))

    def message(self, value: str) -> str:
        """An error, hint or note: addresses, phones and names masked; what the user typed kept."""
        if "pii" not in self.categories or not isinstance(value, str):
            return value
        keep = self._kept()
        out = mask_phones(scrub(value, keep), keep)
        return self._seen(value, self._names(out, _local_words(value), self.state.typed_words))

    def log(self, value: str) -> str:
        """A -v request log line: everything personal masked (only the panel's own address is kept)."""
        if "pii" not in self.categories or not isinstance(value, str):
            return value
        return self._seen(value, self._names(scrub(value, self.keep), _local_words(value), ()))

    def _names(self, text: str, local_words: set[str], spared: Iterable[str]) -> str:
        """Mask the names of people: the ones this run received (exact case), and the words of an
        e-mail address's local part in the same text (`jane.doe@…` masks Jane and Doe)."""
        names = self.state.names
        if not names and not local_words:
            return text
        spare = set(spared)

        def one(m: re.Match[str]) -> str:
            word = m.group(0)
            if word in spare:
                return word
            return mask_name(word) if word in names or word.lower() in local_words else word

        return _WORD_RE.sub(one, text)

    def free_text(self, value: str, quoted: Callable[[str], str] | None = None) -> str:
        """Free text: the personal data inside it masked, the rest kept."""
        out = mask_phones(scrub(value, self.keep))
        if quoted is not None:
            out = quoted(out)
        spelt = _email_terms(value)  # `Jane's contact jane.doe@…`: the e-mail spells the name
        if spelt:
            out = _Quoted(spelt)(out)
        return self._seen(value, out)

    # -- records --------------------------------------------------------------------------
    def record(self, value: Any, *, in_person: bool = False, parent: str | None = None) -> Any:
        if not self.active:
            return value
        return self._walk(value, in_person, parent, None)

    def _walk(self, value: Any, in_person: bool, parent: str | None, up: Any) -> Any:
        """`up` is the chain of enclosing records, (record, in_person, up) or None, for free text."""
        if isinstance(value, dict):
            return self._walk_dict(value, in_person, parent, up)
        if isinstance(value, list):
            return [self._walk(v, in_person, parent, up) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def _walk_dict(self, value: Mapping[str, Any], in_person: bool, parent: str | None, up: Any) -> Any:
        pii = "pii" in self.categories
        here = (value, in_person, up)
        quoted: Any = False  # built on the first free-text field
        out: dict[str, Any] = {}
        for raw_key, item in value.items():
            key = raw_key
            if isinstance(raw_key, str) and pii:
                masked_key = scrub(raw_key, self.keep)  # IPs and e-mails used as keys (allocation maps)
                if masked_key != raw_key:
                    self.state.masked = True
                    n = 2
                    unique = masked_key
                    while unique in out:
                        unique, n = f"{masked_key}#{n}", n + 1
                    out[unique] = self._walk(item, in_person, parent, here)
                    continue
            how = rule_for(key, in_person, self.extra, self.categories)
            if parent == "documents" and key == "url" and pii:
                how = "generic"
            if how == "text" and item not in (None, "", []):
                if quoted is False:
                    quoted = _quoted_terms(here)
                out[key] = self._free(item, quoted, in_person, key, here)
            elif how == "message":
                out[key] = self.message(item) if isinstance(item, str) else self._walk(item, in_person, key, here)
            elif how == "text":
                out[key] = item
            elif how == "subtree" or (how is not None and not isinstance(item, (dict, list))):
                out[key] = self._seen(item, _mask_leaf(item, how))
            elif isinstance(item, (dict, list)):
                out[key] = self._walk(item, key in PERSON_CONTAINERS,
                                      parent if parent == "documents" else key, here)
            else:
                out[key] = self.text(item) if isinstance(item, str) else item
        return out

    def _free(self, item: Any, quoted: Any, in_person: bool, key: str, up: Any) -> Any:
        if isinstance(item, str):
            return self.free_text(item, quoted)
        if isinstance(item, list):
            return [self._free(v, quoted, in_person, key, up) for v in item]
        if isinstance(item, dict):
            return self._walk(item, in_person, key, up)
        return item


def _quoted_terms(chain: Any) -> _Quoted | None:
    """The personal values of the record holding a free-text field and of the records around it."""
    terms: dict[str, str] = {}
    while chain is not None:
        record, in_person, chain = chain
        _own_terms(record, in_person, terms)
    return _Quoted(terms) if terms else None

#: What the masks above leave in a value: `•••` (also inside phone masks), `(redacted text)`,
#: `j***@e***.com`, `203.0.113.x`, `2001:db8:0::x`, `+4•••12`. Such a value is eclictl's own
#: output read back (an export or `-o json` made in privacy mode), never real panel data.
_MASK_RE = re.compile(
    "•••|\\(redacted text\\)"
    r"|\S\*\*\*(?:@|%40)\S\*\*\*\.[A-Za-z]{2,}"
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
