"""Chat tab: channels and moderation, `/api/chat*` and `/api/admin/chat/ip-logs` (docs/panel/chat.md).

Everything under /api/chat answers 503 while the `chat` flag is off. "Deleting" a channel only
archives it, and no route can undo that: the verb is `archive`. Channel edits and new bans answer
`[object Object]`, so eclictl reads the record back. Moderation needs `chat:manage` (API keys: only
with a root owner). IP hashes and poster ids can be traced back to IP addresses: masked by --redact.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Annotated, Any, Optional

import typer

from eclictl.errors import EclictlError, UsageError
from eclictl.options import YesOpt, command
from eclictl.output.columns import Col
from eclictl.sections._fields import Bulk, add_writes
from eclictl.sections._spec import Filter, ListOpts, Section, add_list, build, detail_view, group, register

CHANNELS_PATH = "/api/chat/channels"
BANS_PATH = "/api/chat/ip-bans"
PRIVATE = {"ipHash": "pii", "posterId": "pii"}
ARCHIVE_NOTE = ("archiving cannot be undone through the API (no route or field unarchives); the channel stays "
                "readable by id and still accepts posts")

CHAT = Section(name="chat", help="Chat channels and moderation: channels, messages, bans, IP logs (chat flag).",
               path=CHANNELS_PATH + "/all", permission="chat:manage", tab="chat", verbs=(), searchable=False)
CHANNELS = Section(
    name="chat channels",
    help="Chat channels: list, show, edit, archive.",
    path=CHANNELS_PATH + "/all",
    columns=(Col("id"), Col("slug"), Col("name"), Col("type"), Col("isListed", "LISTED"), Col("isMature", "MATURE"),
             Col("threadCount", "THREADS"), Col("postCount", "POSTS"), Col("createdAt", "CREATED")),
    name_fields=("slug", "name"),
    show_path=CHANNELS_PATH + "/{id}",
    permission="chat:manage",
    tab="chat",
    verbs=("list", "show"),
    examples=("eclictl chat channels list --include-unlisted", "eclictl chat channels show general -o json",
              "eclictl chat channels edit general --name 'General chat'", "eclictl chat channels archive 5 --yes"),
)
BANS = Section(
    name="chat bans", help="Chat bans by IP hash or user: list, add, remove.", path=BANS_PATH,
    columns=(Col("id"), Col("ipHash", "IP HASH"), Col("userId", "USER"), Col("reason"), Col("expiresAt", "EXPIRES"),
             Col("createdAt", "CREATED")),
    permission="chat:manage", tab="chat", sensitive=PRIVATE, verbs=("list",), searchable=False,
    examples=("eclictl chat bans list --active", "eclictl chat bans add --user 42 --hours 24 --reason spam"),
)
app = build(CHAT)
channels_app = build(replace(CHANNELS, verbs=("show",)))
register(CHANNELS)
messages_app = group("messages", "Moderate messages: lookup, hide, unhide, delete, purge.")
bans_app = build(replace(BANS, verbs=()))
register(BANS)
app.add_typer(channels_app, name="channels")
app.add_typer(messages_app, name="messages")
app.add_typer(bans_app, name="bans")

IDS_HELP = "Ids; '-' reads stdin."
IdsArg = Annotated[list[str], typer.Argument(metavar="ID...", help=IDS_HELP)]


def slugify(value: str) -> str:
    """The panel's slug rule: lower-case, runs outside [a-z0-9-] become '-', no edge dashes, 64 chars."""
    return re.sub(r"^-|-$", "", re.sub(r"[^a-z0-9-]+", "-", value.lower()))[:64]


def _channel(ctx: Any, ident: Any) -> dict[str, Any]:
    body = ctx.api.get(f"{CHANNELS_PATH}/{ident}")
    return body if isinstance(body, dict) else {}


def _channel_id(ctx: Any, ref: str) -> int:
    return int(ref) if ref.isdigit() else int(CHANNELS.resolve(ctx.api, ref)["id"])


# -- channels ------------------------------------------------------------------------------------
def _channels(ctx: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Listed channels (the portal tab's route), or with --include-unlisted the route that filters by type."""
    kind = params.get("type")
    if params.get("include_unlisted"):
        rows = ctx.api.rows(CHANNELS_PATH, {"type": kind} if kind else None)
    else:
        rows = ctx.api.rows(CHANNELS_PATH + "/all")
    return [r for r in rows if kind is None or r.get("type") == kind]


add_list(channels_app, replace(
    CHANNELS,
    filters=(Filter("include_unlisted", "Also unlisted channels (archived ones never appear in a list).",
                    is_flag=True, param="include_unlisted"),
             Filter("type", "community or public_anonymous.", param="type")),
    list_opts=ListOpts(limit=None, all=None, filters_first=True), list_rows=_channels,
), "List channels, newest first (listed ones, as the portal tab shows them).",
    ("eclictl chat channels list", "eclictl chat channels list --include-unlisted --type community -o json"))


@channels_app.command("edit", epilog="Examples:\n\n  eclictl chat channels edit general --name 'General chat'\n\n"
                      "  eclictl chat channels edit 2 --slug 'Help Desk' --no-mature")
@command(writes=True)
def channels_edit(
    ref: Annotated[str, typer.Argument(metavar="ID|SLUG", help="Channel id, slug or exact name.")],
    name: Annotated[Optional[str], typer.Option("--name", show_default=False)] = None,
    slug: Annotated[Optional[str], typer.Option("--slug", help="Normalised as the panel does (lower-case, dashes).",
                                                show_default=False)] = None,
    description: Annotated[Optional[str], typer.Option("--description", help="'' clears it.",
                                                       show_default=False)] = None,
    mature: Annotated[Optional[bool], typer.Option("--mature/--no-mature", show_default=False)] = None,
) -> Any:
    """Rename, re-slug or re-describe a channel; read back (the panel answers [object Object])."""
    from eclictl.context import current
    from eclictl.sections._readback import require_stored

    ctx = current()
    body: dict[str, Any] = {}
    if name is not None:
        if not name.strip():
            raise UsageError("--name must not be empty (the panel would ignore it)")
        body["name"] = name.strip()
    if slug is not None:
        body["slug"] = slugify(slug)
        if not body["slug"]:
            raise UsageError("--slug has no usable characters (a-z, 0-9, '-')")
        if body["slug"] != slug:
            ctx.warn(f"slug sent as '{body['slug']}' (the panel's form)")
    if description is not None:
        body["description"] = description
    if mature is not None:
        body["isMature"] = mature
    if not body:
        raise UsageError("nothing to change: give --name, --slug, --description or --mature/--no-mature")
    ident = _channel_id(ctx, ref)
    ctx.api.put(f"{CHANNELS_PATH}/{ident}", body)
    after = _channel(ctx, ident)
    expect = {**body, **({"description": description.strip() or None} if description is not None else {})}
    return require_stored(ctx, f"channel {ident}", expect, after, detail_view(CHANNELS, after))


@channels_app.command("archive", epilog="Examples:\n\n  eclictl chat channels archive old-events\n\n"
                      "  eclictl chat channels archive 4 5 --yes")
@command(bulk=True)
def channels_archive(refs: IdsArg, yes: YesOpt = False) -> Any:
    """Archive channels (the panel's "delete"): cannot be undone through the API (asks first)."""
    from eclictl.bulk import BulkRunner, finish
    from eclictl.context import current

    ctx = current()
    items = ctx.read_ids(refs)
    ctx.confirm(f"Archive {len(items)} channel(s) ({', '.join(items[:10])})? This cannot be undone through the API.",
                yes=yes, what="archive channels")

    def one(ref: str) -> Any:
        ident = _channel_id(ctx, ref)
        if _channel(ctx, ident).get("isArchived"):
            return ("skipped", "already archived")
        ctx.api.delete(f"{CHANNELS_PATH}/{ident}")
        if not _channel(ctx, ident).get("isArchived"):
            raise RuntimeError("the panel answered success but the channel is not archived")
        return None

    report = BulkRunner(ctx).run("archive channels", items, one)
    ctx.info(ARCHIVE_NOTE)
    finish(ctx, report)
    return None


# -- messages ------------------------------------------------------------------------------------
MESSAGE_COLUMNS = (Col("id"), Col("channelId", "CHANNEL"), Col("posterId", "POSTER"), Col("userId", "USER"),
                   Col("content", max_width=60), Col("ipHash", "IP HASH"), Col("createdAt", "CREATED"))


def _lookup(ctx: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    return ctx.api.rows("/api/chat/messages/lookup", params)


@messages_app.command("lookup", epilog="Examples:\n\n  eclictl chat messages lookup --id 4\n\n"
                      "  eclictl chat messages lookup --poster ABCD2345 -o json")
@command()
def messages_lookup(
    message: Annotated[Optional[int], typer.Option("--id", help="One message by id.", show_default=False)] = None,
    poster: Annotated[Optional[str], typer.Option("--poster", help="Thread openers (up to 50) of this poster id.",
                                                  show_default=False)] = None,
) -> Any:
    """Find a message by id, or a poster's thread openers, with the IP hash logged for each."""
    from eclictl.context import current
    from eclictl.output.render import View

    if (message is None) == (poster is None):
        raise UsageError("give exactly one of --id or --poster")
    params = {"id": message} if message is not None else {"posterId": poster}
    return View(_lookup(current(), params), columns=MESSAGE_COLUMNS, sensitive=PRIVATE)


def _moderate(path_tail: str, method: str) -> Any:
    """One message of hide/unhide/delete: its channel is looked up by id first."""

    def one(ctx: Any, ref: str) -> Any:
        if not ref.isdigit():
            raise UsageError(f"'{ref}' is not a message id")
        found = _lookup(ctx, {"id": ref})  # the channel id in the path is not checked, but use the real one
        ctx.api.request(method, f"{CHANNELS_PATH}/{found[0].get('channelId', 0)}/messages/{ref}{path_tail}")
        return None

    return one


add_writes(messages_app, replace(CHAT, name="chat messages", writes=(
    Bulk("hide", 'Hide messages: others see "[removed by moderator]"; moderators still see them.',
         "Examples:\n\n  eclictl chat messages hide 4 5", "hide messages", "ID...", IDS_HELP,
         _moderate("/hide", "POST"), yes=False, dry_run=False),
    Bulk("unhide", "Show hidden messages again.", "Examples:\n\n  eclictl chat messages unhide 4", "unhide messages",
         "ID...", IDS_HELP, _moderate("/unhide", "POST"), yes=False, dry_run=False),
    Bulk("delete", "Delete messages for good (asks first; their IP-log rows stay).",
         "Examples:\n\n  eclictl chat messages delete 4 --yes", "delete messages", "ID...", IDS_HELP,
         _moderate("", "DELETE"), dry_run=False,
         question=lambda items: f"Delete {len(items)} message(s) for good ({', '.join(items[:10])})? Replies to a "
                                "thread opener stay behind, unreachable."),
)))


ChatUserOpt = Annotated[Optional[int], typer.Option("--user", help="User id.", show_default=False)]


@messages_app.command("purge", epilog="Examples:\n\n  eclictl chat messages purge --poster ABCD2345 --hours 6\n\n"
                      "  eclictl chat messages purge --user 42 --yes")
@command()
def messages_purge(
    poster: Annotated[Optional[str], typer.Option("--poster", help="Poster id.", show_default=False)] = None,
    user: ChatUserOpt = None,
    ip_hash: Annotated[Optional[str], typer.Option("--ip-hash", help="Instead match the IP hash (the panel then "
                                                   "ignores --poster/--user, yet needs one).", show_default=False)] = None,
    hours: Annotated[float, typer.Option("--hours", min=0.01, help="Only posts of the last N hours.")] = 24,
    yes: YesOpt = False,
) -> Any:
    """Delete every post of a poster or user (or IP hash) from the last N hours (never retried; asks first)."""
    from eclictl.context import current

    ctx = current()
    if poster is None and user is None:
        raise UsageError("give --poster or --user (the panel needs one even with --ip-hash)")
    target = f"IP hash {ip_hash}" if ip_hash else " and ".join(
        x for x in (f"poster {poster}" if poster else "", f"user {user}" if user is not None else "") if x)
    ctx.confirm(f"Delete every post of {target} from the last {hours:g} h?", yes=yes, what="purge messages")
    body = {k: v for k, v in (("posterId", poster), ("userId", user), ("ipHash", ip_hash), ("hours", hours))
            if v is not None}
    answer = ctx.api.post("/api/chat/messages/mass-delete", body)
    return {"deleted": (answer or {}).get("deleted") if isinstance(answer, dict) else None}


# -- bans and IP logs ----------------------------------------------------------------------------
def _bans(ctx: Any) -> list[dict[str, Any]]:
    return ctx.api.rows(BANS_PATH)


def _unexpired(ban: dict[str, Any], active: bool) -> bool:
    from datetime import datetime, timezone

    return not ban.get("expiresAt") or str(ban["expiresAt"])[:19] > datetime.now(timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S")


add_list(bans_app, replace(
    BANS,
    filters=(Filter("active", "Leave out expired bans (the panel lists the 100 newest, expired ones too).",
                    is_flag=True, match=_unexpired),),
    list_opts=ListOpts(limit=None, all=None, filters_first=True), list_rows=lambda ctx, params: _bans(ctx),
), "List the 100 newest chat bans.", ("eclictl chat bans list --active", "eclictl chat bans list -o json"))


@bans_app.command("add", epilog="Examples:\n\n  eclictl chat bans add --user 42 --hours 24 --reason spam\n\n"
                  "  eclictl chat bans add --ip-hash 0123456789abcdef")
@command(writes=True)
def bans_add(
    ip_hash: Annotated[Optional[str], typer.Option("--ip-hash", show_default=False)] = None,
    user: ChatUserOpt = None,
    hours: Annotated[Optional[float], typer.Option("--hours", min=0.01, help="Ban length (default: permanent).",
                                                   show_default=False)] = None,
    reason: Annotated[Optional[str], typer.Option("--reason", show_default=False)] = None,
) -> Any:
    """Ban an IP hash or a user from posting (never retried; the new ban is read back)."""
    from eclictl.context import current

    ctx = current()
    if ip_hash is None and user is None:
        raise UsageError("give --ip-hash or --user")
    body = {k: v for k, v in (("ipHash", ip_hash), ("userId", user), ("reason", reason), ("hours", hours))
            if v is not None}
    before = {b.get("id") for b in _bans(ctx)}
    ctx.api.post(BANS_PATH, body)
    new = [b for b in _bans(ctx) if b.get("id") not in before and b.get("userId") == user
           and (ip_hash is None or b.get("ipHash") == ip_hash)]
    if not new:
        raise EclictlError("the panel answered success but the new ban is not in the list",
                           hint="check `eclictl chat bans list`")
    from eclictl.output.render import View

    return View(new[0], detail=True, sensitive=PRIVATE)


def _unban(ctx: Any, ref: str) -> Any:
    if not ref.isdigit():
        raise UsageError(f"'{ref}' is not a ban id")
    ctx.api.post(f"{BANS_PATH}/{ref}/unban")
    return None


add_writes(bans_app, replace(BANS, writes=(
    Bulk("remove", "Lift bans (deletes the ban rows).", "Examples:\n\n  eclictl chat bans remove 3 4",
         "remove chat bans", "ID...", IDS_HELP, _unban, yes=False, dry_run=False),
)))


@app.command("ip-logs", epilog="Examples:\n\n  eclictl chat ip-logs\n\n  eclictl chat ip-logs --message 4 -o json")
@command()
def ip_logs(message: Annotated[Optional[int], typer.Option("--message", help="Only this message id.",
                                                           show_default=False)] = None) -> Any:
    """The 100 newest post IP-log rows (IP hashes; works while the chat flag is off)."""
    from eclictl.context import current
    from eclictl.output.render import View

    rows = current().api.rows("/api/admin/chat/ip-logs", {"messageId": message} if message else None)
    return View(rows, columns=(Col("id"), Col("messageId", "MESSAGE"), Col("channelId", "CHANNEL"),
                               Col("ipHash", "IP HASH"), Col("createdAt", "CREATED")), sensitive=PRIVATE)
