"""Portal sections declared as data; `build()` generates their list/show/delete verbs.

Modelled on hcloud's base.ListCmd: a section file is one `Section(...)` value plus the custom
verbs it needs, decorated on the Typer app that `build()` returns. `search`, the docs and the
section-wide tests iterate over the same declarations (`all_sections()`).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any, Callable, Iterable, Iterator, Mapping, Optional

import typer

from eclictl.api.pagination import ALL_AT_ONCE, PageSpec
from eclictl.errors import NotFoundError, RejectedError, UsageError
from eclictl.options import SAFETY_PANEL, YesOpt, command
from eclictl.output.columns import Col, Group

FILTER_PANEL = "Filters"


@dataclass(frozen=True)
class Filter:
    """A list filter: sent to the panel as a query parameter, or applied client-side."""

    name: str  # option name without dashes, e.g. "status"
    help: str
    param: str | None = None  # query parameter; None = client-side match on `field`
    field: str | None = None  # record field for client-side filtering
    is_flag: bool = False
    off: str | None = None  # a yes/no filter: `--{name}/--{off}` (e.g. --active/--inactive); unset = both
    short: str | None = None  # e.g. "-q"
    contains: bool = False  # client-side: substring match instead of exact (case-insensitive)
    #: Checks/translates the value before use: (api, value) -> value; raises UsageError for bad input.
    #: E.g. `user_ref` (an e-mail becomes the user's id), or a section's alias table.
    convert: Callable[[Any, str], Any] | None = None
    type: Any = str  # the option's type: str, int, float or an Enum (its choices; the value's .value is used)
    metavar: str | None = None
    #: Client-side test of one row, (row, value) -> bool, where a plain field comparison does not say it
    #: (several fields, a computed state); with is_flag it runs only when the flag is given.
    match: Callable[[dict[str, Any], Any], bool] | None = None
    #: The help panel; None = the general options (an option that changes how rows are shown, not which:
    #: with `param`, it reaches the section's own fetch, `Section.list_rows`).
    panel: str | None = FILTER_PANEL


@dataclass(frozen=True)
class ListOpts:
    """The standard options of a `list` verb and their help; None leaves an option out. The list's own
    help and examples go to `add_list`."""

    limit: str | None = "Show at most N rows."
    limit_min: bool = False  # True: typer checks --limit >= 1 (help shows [x>=1]); False: "--limit must be at least 1"
    all: str | None = "Fetch every page."
    page: str | None = "Start at this page."  # only on a paged list (PageSpec.page_param)
    page_min: bool = True  # as limit_min, for --page
    web: str | None = "Open this tab of the web portal instead."  # only where the section has a tab
    filters_first: bool = False  # the filters come before --limit/--all/--page/--web in the help


def user_ref(api: Any, value: str) -> int:
    """A filter naming a user: an id as is, an exact e-mail resolved to its id (the panel's userId
    filters take only numbers and answer 500 for anything else)."""
    from eclictl.sections._users_lib import resolve_user_id

    return resolve_user_id(api, value)


@dataclass(frozen=True)
class Section:
    name: str  # the command group, e.g. "users"
    help: str  # one-line summary
    path: str  # list path, e.g. "/api/admin/users"
    columns: tuple[Col, ...] = ()
    pages: PageSpec = ALL_AT_ONCE
    id_field: str = "id"
    id_type: type = int
    name_fields: tuple[str, ...] = ("name",)  # accepted instead of an id (exact match)
    show_path: str | None = None  # e.g. "/api/admin/users/{id}/profile"; None = pick from the list
    show_key: str | None = None  # unwrap `{job: {...}}`
    delete_path: str | None = None
    permission: str = ""  # the permission the portal tab needs (docs)
    tab: str | None = None  # portal tab for deep links (?tab=...)
    web_param: str | None = None  # deep-link parameter that opens one record (viewUser, viewServer)
    sensitive: Mapping[str, str] = field(default_factory=dict)  # extra field -> redaction category
    keep_secrets: frozenset[str] = frozenset()
    filters: tuple[Filter, ...] = ()
    verbs: tuple[str, ...] = ("list", "show", "delete")
    examples: tuple[str, ...] = ()
    searchable: bool = True  # listed by section-wide tests and `search`
    search_param: str | None = None  # query param that narrows the list when resolving a name
    session_only: bool = False  # the panel refuses every API key here (401): a login session is needed
    groups: tuple[Group, ...] = ()  # `show` on a terminal: titled parts, nested lists as small tables
    #: Writable keys (eclictl.sections._fields.Field) and the create/edit verbs generated from them (Write).
    fields: tuple[Any, ...] = ()
    writes: tuple[Any, ...] = ()
    #: The generated `list`: its standard options; the section's own fetch, (ctx, params) -> rows, where
    #: `params` holds the query-param filters (then filters, --limit and sorting run here); and its own
    #: View built from the final rows (computed columns, json_data), instead of `list_view`.
    list_opts: ListOpts = ListOpts()
    list_rows: Callable[[Any, dict[str, Any]], Iterable[dict[str, Any]]] | None = None
    list_render: Callable[[Iterable[dict[str, Any]]], Any] | None = None
    empty: str | None = None  # what an empty `list` says on a terminal; None = "no <name> found"

    # -- data access used by generated and custom verbs -------------------------------------
    def path_for(self, template: str, ident: Any) -> str:
        return template.format(id=ident)

    def iter_rows(self, api: Any, params: Mapping[str, Any] | None = None, *, limit: int | None = None,
                  page: int | None = None, all_pages: bool = True) -> Iterator[dict[str, Any]]:
        return api.iterate(self.path, self.pages, params, limit=limit, start_page=page,
                           single_page=not all_pages)

    def rows_by_id(self, api: Any) -> dict[str, dict[str, Any]]:
        """Every record keyed by its id as text: for bulk verbs that check each given id's state first."""
        return {str(r.get(self.id_field)): r for r in self.iter_rows(api) if isinstance(r, dict)}

    def coerce_id(self, ref: str) -> Any:
        if self.id_type is int:
            try:
                return int(ref)
            except ValueError:
                return None
        return ref

    def resolve(self, api: Any, ref: str) -> dict[str, Any]:
        """A record by id or exact name; ambiguity is exit 7 with the candidates."""
        ident = self.coerce_id(ref)
        params = {self.search_param: ref} if self.search_param else None
        rows = list(self.iter_rows(api, params))
        if ident is not None:
            for row in rows:
                if str(row.get(self.id_field)) == str(ident):
                    return row
        matches = [r for r in rows if any(str(r.get(f, "")) == ref for f in self.name_fields)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            ids = ", ".join(str(r.get(self.id_field)) for r in matches)
            raise RejectedError(f"'{ref}' matches several {self.name}: {ids}", hint="use the id")
        raise NotFoundError(f"no {self.singular} '{ref}'")

    def resolve_id(self, api: Any, ref: str) -> Any:
        ident = self.coerce_id(ref)
        if ident is not None and (self.id_type is not int or ref.isdigit()):
            return ident
        return self.resolve(api, ref)[self.id_field]

    def fetch(self, api: Any, ref: str) -> dict[str, Any]:
        if self.show_path:
            ident = self.resolve_id(api, ref)
            body = api.request("GET", self.path_for(self.show_path, ident), keep=self.keep_secrets).data
            if self.show_key and isinstance(body, dict) and isinstance(body.get(self.show_key), dict):
                body = body[self.show_key]
            if body is None:
                return self.resolve(api, str(ident))
            return body
        return self.resolve(api, ref)

    @property
    def singular(self) -> str:
        return self.name[:-1] if self.name.endswith("s") else self.name


_REGISTRY: dict[str, Section] = {}


def register(section: Section) -> Section:
    _REGISTRY[section.name] = section
    return section


def all_sections() -> list[Section]:
    """Every declared section (imports each section module)."""
    import importlib
    import pkgutil

    import eclictl.sections as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"eclictl.sections.{info.name}")
    return sorted(_REGISTRY.values(), key=lambda s: s.name)


def _epilog(section: Section, verb: str) -> str:
    lines = [e for e in section.examples if f" {verb}" in e] or [f"eclictl {section.name} {verb}"]
    return "Examples:\n\n" + "\n\n".join(f"  {e}" for e in lines)


def group(name: str, help: str, parent: typer.Typer | None = None) -> typer.Typer:
    """A command group as every section's (-h, help when called bare), added to `parent` when given."""
    app = typer.Typer(name=name, help=help, no_args_is_help=True, add_completion=False,
                      context_settings={"help_option_names": ["-h", "--help"]}, rich_markup_mode="rich")
    if parent is not None:
        parent.add_typer(app, name=name)
    return app


def build(section: Section) -> typer.Typer:
    """The section's Typer group with the generated verbs it declares."""
    register(section)
    app = group(section.name, section.help)
    if "list" in section.verbs:
        app.command("list", help=f"List {section.name}.", epilog=_epilog(section, "list"))(_list_verb(section))
    if "show" in section.verbs:
        app.command("show", help=f"Show one {section.singular} by id or name.",
                    epilog=_epilog(section, "show"))(_show_verb(section))
    if "delete" in section.verbs and section.delete_path:
        app.command("delete", help=f"Delete {section.name} by id (asks first; --yes in scripts).",
                    epilog=_epilog(section, "delete"))(_delete_verb(section))
    wanted = [w.verb for w in section.writes if w.verb in section.verbs]
    if wanted:  # generated from the declared fields (eclictl/sections/_fields.py)
        from eclictl.sections._fields import add_writes

        add_writes(app, section, *wanted)
    return app


def list_view(section: Section, rows: Any) -> Any:
    from eclictl.output.render import View

    return View(rows, columns=section.columns, id_field=section.id_field, sensitive=section.sensitive,
                empty=section.empty or f"no {section.name} found")


def detail_view(section: Section, record: Any) -> Any:
    from eclictl.output.render import View

    return View(record, detail=True, id_field=section.id_field, sensitive=section.sensitive, groups=section.groups)


def add_list(app: typer.Typer, section: Section, help: str, examples: tuple[str, ...]) -> None:
    """The generated `list` verb with the section's own help and examples, registered on `app` at this
    point (the group's help lists its verbs in that order)."""
    epilog = "Examples:\n\n" + "\n\n".join(f"  {e}" for e in examples)
    app.command("list", help=help, epilog=epilog)(_list_verb(section))


def _list_verb(section: Section) -> Callable[..., Any]:
    opts = section.list_opts

    def list_cmd(**kwargs: Any) -> Any:
        from eclictl.context import current

        ctx = current()
        limit = kwargs.pop("limit", None)
        all_pages = kwargs.pop("all", False)
        page = kwargs.pop("page", None)
        if kwargs.pop("web", False):
            from eclictl.weblinks import open_tab

            return open_tab(ctx, section.tab or section.name)
        if limit is not None and limit < 1:
            raise UsageError("--limit must be at least 1")
        if page is not None and page < 1:
            raise UsageError("--page must be at least 1")
        params: dict[str, Any] = {}
        local: list[tuple[Filter, Any]] = []
        for flt in section.filters:
            value = kwargs.pop(flt.name, None)
            if value is None or (value is False and not flt.off):
                continue
            if isinstance(value, Enum):
                value = value.value
            if flt.convert is not None:
                value = flt.convert(ctx.api, value)
            if flt.param:
                params[flt.param] = ("true" if value else "false") if flt.off else value
            else:
                local.append((flt, value))
        rows = _list_rows(section, ctx, params, local, limit, page, all_pages)
        return section.list_render(rows) if section.list_render else list_view(section, rows)

    list_cmd.__signature__ = inspect.Signature(_list_params(section, opts))  # type: ignore[attr-defined]
    list_cmd.__annotations__ = {p.name: p.annotation for p in list_cmd.__signature__.parameters.values()}
    list_cmd.__name__ = f"{section.name}_list"
    return command()(list_cmd)


def _list_rows(section: Section, ctx: Any, params: dict[str, Any], local: list[tuple[Filter, Any]],
               limit: int | None, page: int | None, all_pages: bool) -> Iterable[dict[str, Any]]:
    if section.list_rows is not None:  # the section's own fetch: filters and --limit apply here
        rows: Iterable[dict[str, Any]] = section.list_rows(ctx, params)
        return _limit(_filter_rows(iter(rows), local), limit)
    paginated = section.pages.page_param is not None
    rows = section.iter_rows(ctx.api, params, limit=None if local else limit, page=page,
                             all_pages=(all_pages or limit is not None or bool(local) or not paginated))
    if local:
        return _limit(_filter_rows(rows, local), limit)
    if not paginated and limit is not None:
        return _limit(rows, limit)
    return rows


def _option(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def _list_params(section: Section, opts: ListOpts) -> list[inspect.Parameter]:
    """The option block: --limit/-n, --all, --page, --web (as `opts` and the section say), then the filters
    (or the filters first, with `opts.filters_first`)."""
    params: list[inspect.Parameter] = []
    if opts.limit is not None:
        lim: dict[str, Any] = {"min": 1} if opts.limit_min else {}
        params.append(_option("limit", Annotated[Optional[int], typer.Option(
            "--limit", "-n", help=opts.limit, show_default=False, **lim)], None))
    if opts.all is not None:
        params.append(_option("all", Annotated[bool, typer.Option("--all", help=opts.all)], False))
    if section.pages.page_param and opts.page is not None:
        pmin: dict[str, Any] = {"min": 1} if opts.page_min else {}
        params.append(_option("page", Annotated[Optional[int], typer.Option(
            "--page", help=opts.page, show_default=False, **pmin)], None))
    if section.tab and opts.web is not None:
        params.append(_option("web", Annotated[bool, typer.Option("--web", help=opts.web)], False))
    filters = [_filter_param(flt) for flt in section.filters]
    return filters + params if opts.filters_first else params + filters


def _filter_param(flt: Filter) -> inspect.Parameter:
    """One filter as a keyword option (in the Filters panel unless it says otherwise)."""
    names = [f"--{flt.name.replace('_', '-')}"] + ([flt.short] if flt.short else [])
    extra: dict[str, Any] = {"rich_help_panel": flt.panel} if flt.panel else {}
    if flt.off:
        return _option(flt.name, Annotated[Optional[bool], typer.Option(
            f"{names[0]}/--{flt.off}", help=flt.help, show_default=False, **extra)], None)
    if flt.is_flag:
        return _option(flt.name, Annotated[bool, typer.Option(*names, help=flt.help, **extra)], False)
    if flt.metavar:
        extra["metavar"] = flt.metavar
    return _option(flt.name, Annotated[Optional[flt.type], typer.Option(
        *names, help=flt.help, show_default=False, **extra)], None)


def _filter_rows(rows: Iterator[dict[str, Any]], filters: list[tuple[Filter, Any]]) -> Iterator[dict[str, Any]]:
    for row in rows:
        if all(_matches(row, flt, value) for flt, value in filters):
            yield row


def _matches(row: dict[str, Any], flt: Filter, value: Any) -> bool:
    if flt.match is not None:
        return flt.match(row, value)
    actual = row.get(flt.field or flt.name)
    if flt.off:
        return bool(actual) == bool(value)
    if flt.is_flag:
        return bool(actual)
    have = str(actual if actual is not None else "").lower()
    return str(value).lower() in have if flt.contains else str(value).lower() == have


def _limit(rows: Iterator[Any], limit: int | None) -> Iterator[Any]:
    for i, row in enumerate(rows):
        if limit is not None and i >= limit:
            return
        yield row


def _show_verb(section: Section) -> Callable[..., Any]:
    def show_cmd(ref: str, web: bool = False) -> Any:
        from eclictl.context import current

        ctx = current()
        if web:
            from eclictl.weblinks import open_tab

            extra = {section.web_param: section.resolve_id(ctx.api, ref)} if section.web_param else {}
            return open_tab(ctx, section.tab or section.name, **extra)
        return detail_view(section, section.fetch(ctx.api, ref))

    ref_ann = Annotated[str, typer.Argument(metavar="ID|NAME", help=f"The {section.singular}'s id or exact name.")]
    params = [inspect.Parameter("ref", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=ref_ann)]
    if section.tab:
        params.append(inspect.Parameter("web", inspect.Parameter.KEYWORD_ONLY, default=False,
                                        annotation=Annotated[bool, typer.Option(
                                            "--web", help="Open the web portal's tab instead.")]))
    show_cmd.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    show_cmd.__annotations__ = {p.name: p.annotation for p in params}
    show_cmd.__name__ = f"{section.name}_show"
    return command()(show_cmd)


def _delete_verb(section: Section) -> Callable[..., Any]:
    def delete_cmd(
        refs: Annotated[list[str], typer.Argument(metavar="ID...", help="Ids or names; '-' reads stdin.")],
        yes: YesOpt = False,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be deleted.",
                                              rich_help_panel=SAFETY_PANEL)] = False,
    ) -> Any:
        from eclictl.bulk import confirm_and_run
        from eclictl.context import current

        ctx = current()
        items = ctx.read_ids(refs)

        def delete_one(ref: str) -> Any:
            ident = section.resolve_id(ctx.api, ref)
            ctx.api.delete(section.path_for(section.delete_path or "", ident))
            return None

        return confirm_and_run(ctx, f"delete {section.name}", items, delete_one, yes=yes, dry_run=dry_run,
                               question=f"Delete {len(items)} {section.name}: {', '.join(items[:10])}?",
                               what=f"delete {section.name}")

    delete_cmd.__name__ = f"{section.name}_delete"
    return command(bulk=True)(delete_cmd)
