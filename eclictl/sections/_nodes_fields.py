"""Node fields: how each writable node field given to `nodes create/edit --set` is checked."""

from __future__ import annotations

import re
from typing import Any, Callable

from eclictl.errors import UsageError
from eclictl.options import split_pair

NODE_TYPES = ("free", "paid", "free_and_paid", "enterprise")


PROVIDERS = ("wings", "proxmox")


#: Never rendered (docs/panel/nodes.md#the-node-row): the client strips `token`/`secret`, these go too.
NODE_SECRETS = frozenset({"token", "rootUser", "rootPassword", "proxmoxSecret", "proxmoxTokenId", "secret"})


def _cleared(raw: str) -> bool:
    """"", null and none mean "clear" (never sent as the word null)."""
    return raw.strip().lower() in ("", "null", "none")


def _text(raw: str) -> Any:
    """Text as typed, or None to clear."""
    return None if _cleared(raw) else raw


def _typed(raw: str, conv: Callable[[str], Any], expected: str) -> Any:
    """None to clear, else `conv(raw)`; a ValueError names what was `expected`."""
    if _cleared(raw):
        return None
    try:
        return conv(raw)
    except ValueError:
        raise ValueError(expected) from None


def _int_in(lo: int, hi: int) -> Callable[[str], Any]:
    def conv(raw: str) -> Any:
        value = _typed(raw, int, f"an integer {lo}-{hi}")
        if value is not None and not lo <= value <= hi:
            raise ValueError(f"an integer {lo}-{hi}")
        return value
    return conv


def _number(raw: str) -> Any:
    value = _typed(raw, float, "a number")
    return int(value) if value is not None and value.is_integer() else value


def _bool(raw: str) -> bool:
    low = raw.strip().lower()
    if low in ("true", "yes", "1", "on"):
        return True
    if low in ("false", "no", "0", "off"):
        return False
    raise ValueError("true or false")


def _enum(*choices: str) -> Callable[[str], str]:
    def conv(raw: str) -> str:
        if raw not in choices:
            raise ValueError("one of " + ", ".join(choices))
        return raw
    return conv


def _uuid(raw: str) -> Any:
    if raw == "":
        return ""
    if not re.fullmatch(r"[0-9a-fA-F]{32}", raw.replace("-", "")):
        raise ValueError("a Wings node UUID (32 hex digits, dashes allowed)")
    return raw


def _cidr6(raw: str) -> Any:
    import ipaddress

    if raw == "":
        return ""
    try:
        net = ipaddress.ip_network(raw, strict=False)
    except ValueError:
        raise ValueError("an IPv6 CIDR like 2001:db8::/48") from None
    if net.version != 6 or "/" not in raw:
        raise ValueError("an IPv6 CIDR like 2001:db8::/48")
    return raw


def _ports(raw: str) -> Any:
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not all(p.isdigit() and 1 <= int(p) <= 65535 for p in parts):
        raise ValueError("comma-separated ports")
    return ",".join(parts)


#: Writable fields (docs/panel/nodes.md#create-edit-delete) and how a `--set` value is checked; the second item says
#: whether POST accepts it (the rest are PUT-only).
FIELDS: dict[str, tuple[Callable[[str], Any], bool]] = {
    "name": (str, True), "url": (str, True), "nodeId": (_uuid, True), "provider": (_enum(*PROVIDERS), True),
    "nodeType": (_enum(*NODE_TYPES), True), "backendWingsUrl": (_text, True), "fqdn": (_text, True),
    "allowedOrigin": (_text, True), "deploymentNotice": (_text, True), "ipv6Subnet": (_cidr6, True),
    "ipv6ExcludedPorts": (_ports, True), "ipv6ReservedCount": (_int_in(0, 10000), True),
    "portRangeStart": (_int_in(1, 65535), True), "portRangeEnd": (_int_in(1, 65535), True),
    "sftpPort": (_int_in(1, 65535), True), "sftpProxyPort": (_int_in(1, 65535), True), "useSSL": (_bool, True),
    "deploymentsDisabled": (_bool, True), "proxmoxHost": (_text, True), "proxmoxRealm": (_text, True),
    "proxmoxNode": (_text, True), "proxmoxStorage": (_text, True), "proxmoxBridge": (_text, True),
    "orgId": (_int_in(0, 2**31 - 1), False), "defaultIp": (_text, False), "cost": (_number, False),
    "memory": (_int_in(0, 2**31 - 1), False), "disk": (_int_in(0, 2**31 - 1), False),
    "cpu": (_int_in(0, 2**31 - 1), False), "serverLimit": (_int_in(0, 2**31 - 1), False),
}


#: The only field an empty value really clears on the panel (a plain string column it stores as sent).
CLEARABLE = frozenset({"ipv6ExcludedPorts"})


def _assignments(pairs: list[str], *, creating: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, raw = split_pair(pair)
        raw = raw.strip()
        if key in NODE_SECRETS:
            raise UsageError(f"'{key}' is a secret and cannot be set with --set",
                             hint="the token cannot be changed through the API; create uses --token")
        if key not in FIELDS:
            raise UsageError(f"unknown node field '{key}'", hint="fields: " + ", ".join(sorted(FIELDS)))
        conv, on_create = FIELDS[key]
        if creating and not on_create:
            raise UsageError(f"'{key}' can only be set after creation", hint="use `eclictl nodes edit`")
        try:
            value = conv(raw)
        except ValueError as exc:
            raise UsageError(f"{key} must be {exc}") from None
        if (value is None or value == "" or (key == "orgId" and value == 0)) and key not in CLEARABLE:
            if creating:
                continue  # an empty optional field on create is the default anyway
            # The panel turns an empty/null value into `undefined`, which TypeORM's save() skips:
            # it answers success and keeps the old value (nodeHandler.ts PUT /nodes/:id).
            raise UsageError(f"the panel cannot clear '{key}': it ignores empty and null values and keeps the "
                             "old one", hint="set a new value instead")
        out[key] = value
    return out


def _check_ranges(body: dict[str, Any]) -> None:
    start, end = body.get("portRangeStart"), body.get("portRangeEnd")
    if isinstance(start, int) and isinstance(end, int) and start > end:
        raise UsageError("portRangeStart must be less than or equal to portRangeEnd")


def _named(**values: Any) -> list[str]:
    return [f"{k}={'true' if v is True else 'false' if v is False else v}" for k, v in values.items()
            if v is not None]
