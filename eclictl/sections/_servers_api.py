"""Servers: ids, paths, the live state behind power/suspend errors, and option parsing (`eclictl servers`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Callable

import typer

from eclictl.api.pagination import PageSpec
from eclictl.errors import EclictlError, ExitCode, NotFoundError, UsageError
from eclictl.options import split_pair
from eclictl.output.columns import Col
from eclictl.sections._spec import Filter, Section

#: The SERVER argument of the one-server verbs.
ServerArg = Annotated[str, typer.Argument(metavar="SERVER", help="Server UUID or exact name.")]


_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


class NodeOfflineError(EclictlError):
    """The panel could not reach the Wings node hosting the server."""

    exit_code = ExitCode.ERROR


def server_id(ref: str) -> str:
    """A server UUID for a reference (UUID or exact name)."""
    from eclictl.context import current

    return str(SERVERS.resolve_id(current().api, ref.strip()))


def _norm(value: Any) -> str:
    return str(value or "").replace("-", "").lower()


def _server_path(uuid: str, suffix: str = "") -> str:
    return f"/api/admin/servers/{uuid}{suffix}"


def live_item(api: Any, uuid: str) -> dict[str, Any] | None:
    """The server's list item, which tells whether its node answered (status unavailable/unknown)."""
    from eclictl.api.errors import ApiError

    try:
        for row in SERVERS.iter_rows(api, {"q": uuid}, limit=200):
            if _norm(row.get("uuid")) == _norm(uuid):
                return row
    except ApiError:
        return None
    return None


def orphan_message(item: dict[str, Any]) -> str:
    """A listed server the panel has no configuration for (it exists only on a node's Wings)."""
    return (f"server {item.get('uuid')} exists on node {item.get('nodeName') or '?'} (Wings) but the panel has "
            "no configuration for it, so the panel cannot manage it")


def explain(api: Any, uuid: str, exc: Exception, action: str) -> Exception:
    """Turn a bare 404/502 from a node-touching route into 'node X is offline' when that is why."""
    from eclictl.api.errors import ApiError, ApiNotFoundError, ApiStatusError

    if not isinstance(exc, ApiStatusError) or exc.status not in (404, 502, 504):
        return exc
    try:
        body = api.get(_server_path(uuid)) or {}
    except ApiNotFoundError:
        orphan = live_item(api, uuid)
        if orphan is not None:
            return NotFoundError(f"{action} {uuid}: {orphan_message(orphan)}",
                                 hint="`eclictl servers sync from-wings` imports it (default limits, you as owner)")
        return NotFoundError(f"no server '{uuid}'")
    except ApiError:
        return exc
    server = body.get("server") if isinstance(body, dict) and isinstance(body.get("server"), dict) else {}
    item = live_item(api, uuid) or {}
    node = item.get("nodeName") or (f"#{server['nodeId']}" if server.get("nodeId") is not None else "?")
    status = item.get("status")
    if status == "unavailable":
        err = NodeOfflineError(f"{action} {uuid}: node {node} is offline; the panel could not reach Wings",
                               hint="nothing was changed on Wings; retry when the node is back "
                                    "(its heartbeats: eclictl nodes list)")
        return err
    if status == "unknown" or exc.status in (502, 504):
        err = NodeOfflineError(f"{action} {uuid}: node {node} did not answer for this server "
                               f"(Wings unreachable, or it no longer has the server): {exc.message}",
                               hint="check the node; `eclictl servers sync to-wings` recreates missing servers")
        err.exit_code = exc.exit_code if status == "unknown" and exc.status == 404 else ExitCode.ERROR
        return err
    return exc


def act(api: Any, uuid: str, action: str, call: Callable[[], Any]) -> Any:
    """Run a node-touching request; failures are explained (offline node, missing server)."""
    from eclictl.api.errors import ApiError

    try:
        return call()
    except ApiError as exc:
        raise explain(api, uuid, exc, action) from None


def warn_if_offline(ctx: Any, uuid: str, what: str) -> None:
    """Routes that swallow Wings errors still say success: tell the user when Wings missed it."""
    item = live_item(ctx.api, uuid)
    if item and item.get("status") in ("unavailable", "unknown"):
        ctx.warn(f"node {item.get('nodeName') or '?'} is {'offline' if item['status'] == 'unavailable' else 'not answering'}: "
                 f"{what} is saved in the panel but Wings was not updated; it applies at the next sync")


def _size(value: str | None, flag: str = "--memory") -> Any:
    """Sizes go to the panel as typed: 2048 (MB) or '2G' (the panel parses units, with the grammar
    units.py checks here first)."""
    if value is None:
        return None
    from eclictl.units import size_option

    size_option(flag, value)
    text = value.strip()
    return int(text) if text.isdigit() else text


def _cpu(value: str | None) -> Any:
    if value is None:
        return None
    from eclictl.units import parse_cpu_percent

    if parse_cpu_percent(value) is None:
        raise UsageError(f"--cpu must be a percentage (100 = one core), '150%' or '1.5 cores', got '{value}'")
    text = value.strip()
    return int(text) if text.isdigit() else text


def _owner(ctx: Any, ref: str | None) -> int | None:
    if ref is None:
        return None
    from eclictl.sections.users import resolve_user_id

    return resolve_user_id(ctx.api, ref)


def _allocations(values: list[str]) -> list[dict[str, Any]]:
    """IP:PORT[=FQDN] values; the first is the default allocation."""
    out: list[dict[str, Any]] = []
    for i, raw in enumerate(values):
        spec, _, fqdn = raw.partition("=")
        host, sep, port = spec.rpartition(":")
        host = host.strip("[]")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise UsageError(f"--allocation expects IP:PORT[=FQDN], got '{raw}'")
        entry: dict[str, Any] = {"ip": host, "port": int(port), "is_default": i == 0}
        if fqdn:
            entry["fqdn"] = fqdn
        out.append(entry)
    return out


def _env_pairs(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in values:
        key, value = split_pair(pair, "--env", "KEY=VALUE")
        out[key] = value
    return out


def _duration(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text)
    if not m:
        raise UsageError(f"--duration expects seconds or 30s/15m/2h/1d, got '{text}'")
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def _ip_type(ip: str, wanted: str | None) -> str:
    import ipaddress

    try:
        version = ipaddress.ip_address(ip).version
    except ValueError:
        raise UsageError(f"'{ip}' is not an IP address") from None
    detected = "ipv4" if version == 4 else "ipv6"
    if wanted and wanted != detected:
        raise UsageError(f"{ip} is an {detected} address, not {wanted}")
    return detected


#: What --redact masks beyond the built-in PII keys (docs/panel/servers.md#privacy); `environment` values (also
#: inside a live item's `configuration`) may hold passwords, so the whole subtree is masked.
SENSITIVE = {"name": "servers", "suspendedBy": "pii", "dmcaBy": "pii", "suspendedReason": "pii",
             "dmcaReason": "pii", "emailRecipient": "pii", "environment": "subtree"}


@dataclass(frozen=True)
class ServerSection(Section):
    """Server ids are UUID strings; anything else is looked up as an exact name."""

    def coerce_id(self, ref: str) -> Any:
        return ref if _UUID_RE.match(ref.strip()) else None

    def fetch(self, api: Any, ref: str) -> dict[str, Any]:
        """The panel's configuration of a server; for a server only Wings knows (listed, but with no
        configuration row: GET /api/admin/servers/:id reads the DB only, backend/src/handlers/adminHandler.ts)
        its list item, with a warning, so `show` agrees with `list`."""
        from eclictl.api.errors import ApiNotFoundError

        try:
            return super().fetch(api, ref)
        except ApiNotFoundError:
            ident = self.coerce_id(ref)
            item = live_item(api, ident) if ident is not None else self.resolve(api, ref)
            if item is None:
                raise
        from eclictl.context import current

        current().warn(orphan_message(item))
        return item


SERVERS = ServerSection(
    name="servers",
    help="Servers: list, show, create, edit, power, suspend, throttle, dedicated IPs, mounts, Wings sync.",
    path="/api/admin/servers",
    pages=PageSpec(items_key="servers", page_param="page", page_size=50, total_key="total"),
    columns=(Col("uuid", "UUID"), Col("name"), Col("status"), Col("nodeName", "NODE"),
             Col("userId", "OWNER"), Col("is_suspended", "SUSPENDED"), Col("eggId", "EGG")),
    id_field="uuid",
    id_type=str,
    search_param="q",
    show_path="/api/admin/servers/{id}",
    show_key="server",
    permission="admin:servers:read",
    tab="servers",
    web_param="viewServer",
    sensitive=SENSITIVE,
    filters=(
        Filter("query", "Substring of the name, UUID or node name (server-side).", param="q", short="-q"),
        Filter("status", "Only this status: running, offline, suspended, unavailable (node offline), "
                         "unknown, hibernated...", field="status"),
        Filter("node", "Only servers whose node name contains this (case-insensitive).", field="nodeName",
               contains=True),
        Filter("suspended", "Only suspended servers.", field="is_suspended", is_flag=True),
    ),
    verbs=("list", "show"),
    examples=(
        "eclictl servers list -q minecraft",
        "eclictl servers list --status unavailable -o json",
        "eclictl servers list --all -o ids --suspended",
        "eclictl servers show 0b6c8a52-6f0e-4d8e-9a51-2f1d6a0c1e01",
        "eclictl servers show lobby-1 -o json --redact",
    ),
)
