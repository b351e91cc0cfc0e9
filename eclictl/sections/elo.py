"""ELO tab: `/api/admin/elo*` (docs/panel/elo.md), behind the `elo` flag.

Every edit and reset rewrites the linked server: memory, disk and CPU are recomputed from the score
(overwriting manual changes) and `disqualified` suspends it. Any PUT that carries `moderationStatus`
e-mails the owner, changed or not, so eclictl sends only the fields that change. JSON null would be
stored as the text "null": eclictl never sends it (a cleared text field is sent as "").
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from eclictl.api.pagination import PageSpec
from eclictl.errors import UsageError
from eclictl.options import YesOpt, bool_opt, command, opt
from eclictl.output.columns import Col
from eclictl.sections._spec import Filter, Section, build, detail_view

PATH = "/api/admin/elo"
STATUSES = ("active", "changes_requested", "disqualified")
SERVER_NOTE = ("every ELO write rewrites the linked server: memory, disk and CPU are recomputed from the score "
               "(manual changes are overwritten) and pushed to Wings")
MAIL_NOTE = "the owner is e-mailed about the moderation status"
EDIT_PANEL = "Fields"
MOD_PANEL = "Moderation"

ELO = Section(
    name="elo",
    help="ELO showcase projects: list, show, edit, moderate, reset (elo flag).",
    path=PATH,
    pages=PageSpec(items_key="projects", page_param="page", size_param="per", page_size=100,
                   total_pages_key="totalPages"),
    columns=(Col("id"), Col("title"), Col("eloScore", "SCORE"), Col("totalVotes", "VOTES"), Col("wins"),
             Col("losses"), Col("moderationStatus", "STATUS"), Col("isWellMade", "WELL MADE"),
             Col("serverStatus", "SERVER"), Col("ownerName", "OWNER")),
    name_fields=("title",),
    show_path=f"{PATH}/{{id}}",
    permission="admin:access",
    tab="elo",
    search_param="search",
    sensitive={"title": "servers", "serverName": "servers"},
    filters=(Filter("search", "Title or server id contains this (on the panel).", param="search", short="-q"),
             Filter("status", "Only this moderation status: active, changes_requested, disqualified.",
                    field="moderationStatus")),
    verbs=("list", "show"),
    examples=("eclictl elo list --status changes_requested", "eclictl elo list -q pixel -o json",
              "eclictl elo show 3", "eclictl elo edit 3 --score 1200", "eclictl elo edit 3 --status disqualified "
              "--note 'copied project' --yes", "eclictl elo reset 3 4 --yes"),
)
app = build(ELO)


def _current(ctx: Any, ident: int) -> dict[str, Any]:
    body = ctx.api.get(f"{PATH}/{ident}")
    return body if isinstance(body, dict) else {}


def _range(opt: str, value: int | None, low: int, high: int) -> int | None:
    if value is not None and not low <= value <= high:
        raise UsageError(f"{opt} must be between {low} and {high} (the panel would clamp it silently)")
    return value


def _text(clear: bool, value: str | None, opt: str) -> str | None:
    if clear and value is not None:
        raise UsageError(f"give {opt} or --clear-{opt[2:]}, not both")
    return "" if clear else value


@app.command("edit", epilog="Examples:\n\n  eclictl elo edit 3 --score 1200 --k 16\n\n"
             "  eclictl elo edit 3 --status changes_requested --note 'add screenshots' --yes\n\n"
             "  eclictl elo edit 3 --clear-readme --screenshot https://img.example/1.png")
@command(writes=True)
def elo_edit(
    ref: Annotated[str, typer.Argument(metavar="ID|TITLE", help="The project's id or exact title.")],
    score: opt(int, "--score", help="ELO score, 100-99999.", panel=EDIT_PANEL) = None,
    k: opt(int, "--k", help="K-factor, 8-64.", panel=EDIT_PANEL) = None,
    skip_tokens: opt(int, "--skip-tokens", help="0 to the project's maximum.", panel=EDIT_PANEL) = None,
    title: opt(str, "--title", panel=EDIT_PANEL) = None,
    description: opt(str, "--description", panel=EDIT_PANEL) = None,
    readme: opt(str, "--readme", panel=EDIT_PANEL) = None,
    github: opt(str, "--github", metavar="URL", panel=EDIT_PANEL) = None,
    demo: opt(str, "--demo", metavar="URL", panel=EDIT_PANEL) = None,
    screenshots: opt(list[str], "--screenshot", metavar="URL", help="Repeat for each; replaces the list.",
                     panel=EDIT_PANEL) = None,
    clear_readme: bool_opt("--clear-readme", panel=EDIT_PANEL) = False,
    clear_github: bool_opt("--clear-github", panel=EDIT_PANEL) = False,
    clear_demo: bool_opt("--clear-demo", panel=EDIT_PANEL) = False,
    clear_screenshots: bool_opt("--clear-screenshots", panel=EDIT_PANEL) = False,
    well_made: opt(bool, "--well-made/--not-well-made", help="Resource bonus x1.25.", panel=MOD_PANEL) = None,
    status: opt(str, "--status", help="active, changes_requested or disqualified (e-mails the owner; disqualified "
                "suspends the server).", panel=MOD_PANEL) = None,
    note: opt(str, "--note", help="Moderation note ('' clears it).", panel=MOD_PANEL) = None,
    yes: YesOpt = False,
) -> Any:
    """Change the given fields; only those that differ are sent (asks before a status change)."""
    from eclictl.context import current
    from eclictl.sections._readback import require_stored

    ctx = current()
    if status is not None and status not in STATUSES:
        raise UsageError(f"--status must be one of {', '.join(STATUSES)}")
    if clear_screenshots and screenshots:
        raise UsageError("give --screenshot or --clear-screenshots, not both")
    wanted: dict[str, Any] = {
        "eloScore": _range("--score", score, 100, 99999), "kFactor": _range("--k", k, 8, 64),
        "skipTokensRemaining": skip_tokens, "title": title, "description": description,
        "readme": _text(clear_readme, readme, "--readme"), "githubUrl": _text(clear_github, github, "--github"),
        "demoUrl": _text(clear_demo, demo, "--demo"),
        "screenshots": [] if clear_screenshots else (list(screenshots) if screenshots else None),
        "isWellMade": well_made, "moderationStatus": status, "moderationNote": note}
    # never JSON null; text is trimmed here as the panel trims it, so the read-back compares like with like
    wanted = {key: (val.strip() if isinstance(val, str) else val) for key, val in wanted.items() if val is not None}
    if not wanted:
        raise UsageError("nothing to change: give at least one field option")
    ident = ELO.resolve_id(ctx.api, ref)
    before = _current(ctx, ident)
    if skip_tokens is not None:
        _range("--skip-tokens", skip_tokens, 0, int(before.get("maxSkipTokens") or 0))
    comparable = {"eloScore", "kFactor", "skipTokensRemaining", "title", "description", "isWellMade",
                  "moderationStatus", "moderationNote"}
    body = {key: val for key, val in wanted.items()
            if key not in comparable or before.get(key) != (val if val != "" or key != "moderationNote" else None)}
    for key in sorted(set(wanted) - set(body)):
        ctx.info(f"{key} already {wanted[key]!r}: not sent" + (f" ({MAIL_NOTE} whenever it is sent)"
                                                              if key == "moderationStatus" else ""))
    if not body:
        return detail_view(ELO, before)
    if "moderationStatus" in body:
        ctx.confirm(f"Set project {ident} to {body['moderationStatus']}? The owner is e-mailed"
                    + ("; the server is suspended" if body["moderationStatus"] == "disqualified" else "")
                    + " and its resources are recomputed.", yes=yes, what="change a moderation status")
    ctx.warn(SERVER_NOTE)
    ctx.api.put(f"{PATH}/{ident}", body)
    after = _current(ctx, ident)
    checked = {key: (None if key == "moderationNote" and val == "" else val) for key, val in body.items()
               if key in comparable}
    return require_stored(ctx, f"ELO project {ident}", checked, after, detail_view(ELO, after),
                          hint=f"check `eclictl elo show {ident}`")


@app.command("reset", epilog="Examples:\n\n  eclictl elo reset 3\n\n  eclictl elo list --status active -o ids | "
             "eclictl elo reset - --yes")
@command(bulk=True)
def elo_reset(
    refs: Annotated[list[str], typer.Argument(metavar="ID...", help="Project ids or titles; '-' reads stdin.")],
    yes: YesOpt = False,
) -> Any:
    """Reset projects to 1000 (k 24, votes, wins and losses 0); votes and devlogs stay (asks first)."""
    from eclictl.bulk import BulkRunner, finish
    from eclictl.context import current

    ctx = current()
    items = ctx.read_ids(refs)
    ctx.confirm(f"Reset {len(items)} ELO project(s) to 1000 ({', '.join(items[:10])})? Their servers' resources "
                "are recomputed.", yes=yes, what="reset ELO projects")
    ctx.warn(SERVER_NOTE)

    def one(ref: str) -> Any:
        ident = ELO.resolve_id(ctx.api, ref)
        answer = ctx.api.post(f"{PATH}/{ident}/reset")
        if not isinstance(answer, dict) or answer.get("eloScore") != 1000:
            raise RuntimeError("the panel did not confirm the reset")
        return None

    finish(ctx, BulkRunner(ctx).run("reset ELO projects", items, one))
    return None
