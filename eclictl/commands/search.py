"""`eclictl search`: the portal's global search box, `GET /api/admin/search` (docs/panel/search.md#search).

One request returns up to 20 users, organisations, servers and orders; `--type` and `--limit` only
filter that single response on this side (the panel has no such parameters). Names are encrypted at
rest, so only e-mail, id, organisation name/handle, server id/name/uuid/node and order
owner-e-mail/status/description can match.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Optional

import typer

from eclictl.options import command

app = typer.Typer(add_completion=False)

PATH = "/api/admin/search"
#: CLI type name -> key in the panel's answer. The CLI name is the key in `-o json` and the `type:` in `-o ids`.
TYPES = {"users": "users", "orgs": "organisations", "servers": "servers", "orders": "orders"}
ALIASES = {"user": "users", "org": "orgs", "organisations": "orgs", "organizations": "orgs", "organisation": "orgs",
           "server": "servers", "order": "orders"}
#: Which field is the id a next command takes.
ID_FIELDS = {"users": "id", "orgs": "id", "servers": "uuid", "orders": "id"}
TITLES = {"users": "Users", "orgs": "Organisations", "servers": "Servers", "orders": "Orders"}
#: Wings objects carry the server's environment (passwords, tokens): a whole subtree to mask.
SLOW_TIMEOUT = 120.0
SENSITIVE = {"environment": "subtree", "env": "subtree"}
_NAME_RE = re.compile(r"^[A-ZÀ-Þ][a-zß-ÿ'’\-]+(?:\s+[A-ZÀ-Þ][a-zß-ÿ'’\-]+)+$")


def looks_like_name(query: str) -> bool:
    """Two or more capitalised words without @ or digits: probably a person's name."""
    text = query.strip()
    return bool(_NAME_RE.match(text)) and "@" not in text and not any(c.isdigit() for c in text)


def parse_types(value: Optional[str]) -> list[str]:
    """`users,orgs` -> ordered CLI type names; unknown names are a usage error (exit 2)."""
    from eclictl.errors import UsageError

    if value is None:
        return list(TYPES)
    wanted: list[str] = []
    for raw in value.split(","):
        name = raw.strip().lower()
        if not name:
            continue
        name = ALIASES.get(name, name)
        if name not in TYPES:
            raise UsageError(f"unknown --type '{raw.strip()}'", hint=f"valid types: {', '.join(TYPES)}")
        if name not in wanted:
            wanted.append(name)
    if not wanted:
        raise UsageError("--type needs at least one of: " + ", ".join(TYPES))
    return [t for t in TYPES if t in wanted]


def _mask_names(rows: list[dict[str, Any]], kind: str, categories: frozenset[str]) -> list[dict[str, Any]]:
    """`name` means an org name or a server name depending on the type: mask it here, per type.

    (One JSON document holds both types, and redaction rules are keyed by field name.)
    """
    from eclictl.output.redact import mask_name

    category = {"orgs": "orgs", "servers": "servers"}.get(kind)
    if category is None or category not in categories:
        return rows
    out = []
    for row in rows:
        row = dict(row)
        for key in ("name", "handle") if kind == "orgs" else ("name",):
            if isinstance(row.get(key), str) and row[key]:
                row[key] = mask_name(row[key])
        conf = row.get("configuration")
        if kind == "servers" and isinstance(conf, dict) and isinstance(conf.get("meta"), dict):
            meta = dict(conf["meta"])
            if isinstance(meta.get("name"), str) and meta["name"]:
                meta["name"] = mask_name(meta["name"])
            row["configuration"] = {**conf, "meta": meta}
        out.append(row)
    return out


def _columns(kind: str) -> list[Any]:
    from eclictl.output.columns import Col

    if kind == "users":
        return [Col("id"), Col("email"), Col("firstName", "FIRST"), Col("lastName", "LAST"), Col("role"),
                Col("portalType", "PORTAL"), Col("suspended"), Col("fraudFlag", "FRAUD")]
    if kind == "orgs":
        return [Col("id"), Col("name", max_width=30), Col("handle"), Col("ownerId", "OWNER"),
                Col("portalTier", "TIER"), Col("status"), Col("isStaff", "STAFF")]
    if kind == "servers":
        return [Col("uuid"), Col("name", max_width=30), Col("status"), Col("nodeName", "NODE"),
                Col("eggId", "EGG")]  # Wings entries carry no owner; only config-only rows have userId
    return [Col("id"), Col("userId", "USER"), Col("status"), Col("amount"), Col("description", max_width=30),
            Col("createdAt", "CREATED")]


@app.command("search", epilog="Examples:\n\n  eclictl search alice@example.com\n\n"
             "  eclictl search 42 --type users,orders\n\n  eclictl search northwind -o json | jq .orgs\n\n"
             "  eclictl search lobby --type servers -o ids")
@command()
def search(
    query: Annotated[Optional[list[str]], typer.Argument(
        metavar="QUERY", help="E-mail, id, org name/handle, server name/uuid/node, or order "
        "status/description (words are joined with spaces). Digits match ids exactly (orders: also the "
        "owner's user id). Empty: the first 20 of each type.",
        show_default=False)] = None,
    types: Annotated[Optional[str], typer.Option(
        "--type", "-t", metavar="TYPES", help="Comma-separated: users, orgs, servers, orders (filters the one "
        "answer; the panel always searches all four).", rich_help_panel="Filters", show_default=False)] = None,
    limit: Annotated[Optional[int], typer.Option(
        "--limit", "-n", min=1, metavar="N", help="At most N results per type (the panel returns at most 20).",
        rich_help_panel="Filters", show_default=False)] = None,
) -> Any:
    """Search users, organisations, servers and orders at once (portal search box)."""
    from eclictl.context import current

    wanted = parse_types(types)
    q = " ".join(query or []).strip()
    ctx = current()
    if looks_like_name(q):
        ctx.warn(f"'{q}' looks like a person's name: names are encrypted at rest and never match; "
                 "search by e-mail, user id or organisation name/handle instead")
    # Slow on the panel (every node's Wings is asked in turn): allow at least SLOW_TIMEOUT seconds.
    timeout = max(float(getattr(ctx.settings, "timeout", 0) or 0), SLOW_TIMEOUT)
    body = ctx.api.request("GET", PATH, params={"q": q} if q else None, timeout=timeout).data
    body = body if isinstance(body, dict) else {}
    categories = ctx.redact_categories()
    found: dict[str, list[dict[str, Any]]] = {}
    for kind in wanted:
        rows = [r for r in (body.get(TYPES[kind]) or []) if isinstance(r, dict)]
        found[kind] = _mask_names(rows[:limit] if limit else rows, kind, categories)
    return _render(ctx, found)


def _render(ctx: Any, found: dict[str, list[dict[str, Any]]]) -> Any:
    """json: one object keyed by type; ids: `type:id` lines; jsonl: rows with `_type`; else a table per type."""
    from eclictl.output.render import View

    fmt = ctx.output_format
    if fmt == "json":
        return View(found, json_data=found, sensitive=SENSITIVE)
    if fmt == "ids":
        refs = [{"ref": f"{kind}:{row.get(ID_FIELDS[kind])}"} for kind, rows in found.items() for row in rows
                if row.get(ID_FIELDS[kind]) is not None]
        return View(refs, id_field="ref")
    if fmt == "jsonl":
        return View([{"_type": kind, **row} for kind, rows in found.items() for row in rows], sensitive=SENSITIVE)
    from eclictl.output.columns import Col

    shown = [(kind, rows) for kind, rows in found.items() if rows]
    if not shown:
        ctx.info("no matches (only e-mail, id, organisation name/handle, server name/uuid/node and order "
                 "status/description are searchable)")
        return None
    for n, (kind, rows) in enumerate(shown):
        cols = _columns(kind)
        if fmt != "table":  # tsv/csv: a leading TYPE column keeps mixed lines greppable (`cut -f1,2`)
            cols = [Col("_type", "TYPE"), *cols]
            rows = [{"_type": kind, **r} for r in rows]
        view = View(rows, columns=cols, id_field=ID_FIELDS[kind], sensitive=SENSITIVE,
                    title=f"{TITLES[kind]} ({len(rows)})" if fmt == "table" else None)
        if n == len(shown) - 1:
            return view
        ctx.emit(view)
    return None
