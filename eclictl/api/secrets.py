"""The one stripping step: secrets never leave the client, whatever the body's content type.

Every answer goes through here before anything else sees it: decoded JSON through `strip_secrets`,
any text (a JSON body mislabelled as text/plain that did not parse, a stack trace in a 500 page,
an error line) through `scrub_text`. Commands that exist to show one secret name it in `keep`.
"""

from __future__ import annotations

import re
from typing import Any

#: Never reach a renderer, whatever the flags.
ALWAYS_STRIP = frozenset({
    "passwordHash", "sessions", "twoFactorSecret", "twoFactorRecoveryCodes", "shareToken",
    "clientSecretHash", "rootPassword", "proxmoxSecret",
})
#: Secret values that a few commands exist to show once (API key creation, node tokens...).
SECRET_FIELDS = frozenset({"apiKey", "token", "tokenId", "tempToken", "csrfToken", "clientSecret",
                           "secret", "daemonToken", "proxmoxTokenId", "password", "rootPassword"})
#: `key` is a secret only in these places: an API key's value (64 hex digits), and an AI model's
#: fallback endpoint credential (`endpoints[].key`, backend/src/handlers/aiHandler.ts); elsewhere
#: `key` is a name (rollout keys, settings keys).
KEY_LISTS = frozenset({"endpoints"})
MASK = "****"

_HEX_KEY = re.compile(r"^[0-9a-f]{64}$")
#: A field name followed by `:` or `=`, quoted or not (JSON, JS object dumps, log lines, query strings).
_FIELD = re.compile(r"""(?P<q>["']?)\b(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P=q)\s*[:=]\s*""")


def secret_names(keep: frozenset[str] = frozenset()) -> frozenset[str]:
    """Every field name whose value is withheld (for text, where the context is unknown)."""
    return ALWAYS_STRIP | (SECRET_FIELDS - keep) | (frozenset() if "key" in keep else frozenset({"key"}))


def strip_secrets(data: Any, *, keep: frozenset[str] = frozenset(), _in_key_list: bool = False) -> Any:
    """A copy without secret fields; `keep` names fields a command exists to show."""
    if isinstance(data, dict):
        out = {}
        for k, v in data.items():
            if k in ALWAYS_STRIP:
                continue
            if k in SECRET_FIELDS and k not in keep:
                continue
            if k == "key" and "key" not in keep and (_in_key_list or (isinstance(v, str) and _HEX_KEY.match(v))):
                continue  # an API key's plaintext value, or an upstream endpoint's credential
            out[k] = strip_secrets(v, keep=keep, _in_key_list=k in KEY_LISTS)
        return out
    if isinstance(data, list):
        return [strip_secrets(v, keep=keep, _in_key_list=_in_key_list) for v in data]
    return data


def scrub_text(text: str, *, keep: frozenset[str] = frozenset()) -> str:
    """`text` with the value after every secret field name masked (cut-short JSON included)."""
    if not text:
        return text
    names = secret_names(keep)
    out: list[str] = []
    pos = 0
    for m in _FIELD.finditer(text):
        if m.start() < pos or m.group("name") not in names:
            continue
        start = m.end()
        end = _value_end(text, start)
        if end == start:
            continue
        out.append(text[pos:start])
        out.append(f'"{MASK}"' if text[start] in "\"'[{" else MASK)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _value_end(text: str, start: int) -> int:
    """Where the value starting at `start` ends: a quoted string, a bracketed block or a bare word.

    Unclosed strings and blocks (a body cut short) run to the end of the text.
    """
    if start >= len(text):
        return start
    first = text[start]
    if first in "\"'":
        i = start + 1
        while i < len(text):
            if text[i] == "\\":
                i += 2
                continue
            if text[i] == first:
                return i + 1
            i += 1
        return len(text)
    if first in "[{":
        depth, i, quote = 0, start, ""
        while i < len(text):
            ch = text[i]
            if quote:
                if ch == "\\":
                    i += 2
                    continue
                if ch == quote:
                    quote = ""
            elif ch in "\"'":
                quote = ch
            elif ch in "[{":
                depth += 1
            elif ch in "]}":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return len(text)
    m = re.compile(r"[^\s,;&}\]\)]*").match(text, start)
    return m.end() if m else start
