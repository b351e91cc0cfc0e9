"""Portal sections declared as data; `build()` generates their list/show/delete verbs.

Modelled on hcloud's base.ListCmd: a section file is one `Section(...)` value plus the custom
verbs it needs, decorated on the Typer app that `build()` returns. `search`, the docs and the
section-wide tests iterate over the same declarations (`all_sections()`).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Annotated, Any, Callable, Iterator, Mapping, Optional

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


def build(section: Section) -> typer.Typer:
    """The section's Typer group with the generated verbs it declares."""
    register(section)
    app = typer.Typer(name=section.name, help=section.help, no_args_is_help=True, add_completion=False,
                      context_settings={"help_option_names": ["-h", "--help"]}, rich_markup_mode="rich")
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
                empty=f"no {section.name} found")


def detail_view(section: Section, record: Any) -> Any:
    from eclictl.output.render import View

    return View(record, detail=True, id_field=section.id_field, sensitive=section.sensitive, groups=section.groups)


def _list_verb(section: Section) -> Callable[..., Any]:
    def list_cmd(**kwargs: Any) -> Any:
        from eclictl.context import current

        ctx = current()
        limit = kwargs.pop("limit", None)
        all_pages = kwargs.pop("all", False)
        page = kwargs.pop("page", None)
        web = kwargs.pop("web", False)
        if web:
            from eclictl.weblinks import open_tab

            return open_tab(ctx, section.tab or section.name)
        if limit is not None and limit < 1:
            raise UsageError("--limit must be at least 1")
        params: dict[str, Any] = {}
        local: list[tuple[Filter, Any]] = []
        for flt in section.filters:
            value = kwargs.pop(flt.name, None)
            if value is None or (value is False and not flt.off):
                continue
            if flt.convert is not None:
                value = flt.convert(ctx.api, value)
            if flt.param:
                params[flt.param] = ("true" if value else "false") if flt.off else value
            else:
                local.append((flt, value))
        paginated = section.pages.page_param is not None
        rows = section.iter_rows(ctx.api, params, limit=None if local else limit, page=page,
                                 all_pages=(all_pages or limit is not None or bool(local) or not paginated))
        if local:
            rows = _limit(_filter_rows(rows, local), limit)
        elif not paginated and limit is not None:
            rows = _limit(rows, limit)
        return list_view(section, rows)

    params = [
        inspect.Parameter("limit", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=Annotated[Optional[int], typer.Option(
                              "--limit", "-n", help="Show at most N rows.", show_default=False)]),
        inspect.Parameter("all", inspect.Parameter.KEYWORD_ONLY, default=False,
                          annotation=Annotated[bool, typer.Option("--all", help="Fetch every page.")]),
    ]
    if section.pages.page_param:
        params.append(inspect.Parameter("page", inspect.Parameter.KEYWORD_ONLY, default=None,
                                        annotation=Annotated[Optional[int], typer.Option(
                                            "--page", help="Start at this page.", min=1, show_default=False)]))
    if section.tab:
        params.append(inspect.Parameter("web", inspect.Parameter.KEYWORD_ONLY, default=False,
                                        annotation=Annotated[bool, typer.Option(
                                            "--web", help="Open this tab of the web portal instead.")]))
    for flt in section.filters:
        names = [f"--{flt.name.replace('_', '-')}"] + ([flt.short] if flt.short else [])
        if flt.off:
            ann: Any = Annotated[Optional[bool], typer.Option(f"{names[0]}/--{flt.off}", help=flt.help,
                                                              rich_help_panel=FILTER_PANEL, show_default=False)]
            default: Any = None
        elif flt.is_flag:
            ann = Annotated[bool, typer.Option(*names, help=flt.help, rich_help_panel=FILTER_PANEL)]
            default = False
        else:
            ann = Annotated[Optional[str], typer.Option(*names, help=flt.help, rich_help_panel=FILTER_PANEL,
                                                        show_default=False)]
            default = None
        params.append(inspect.Parameter(flt.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=ann))
    list_cmd.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    list_cmd.__annotations__ = {p.name: p.annotation for p in params}
    list_cmd.__name__ = f"{section.name}_list"
    return command()(list_cmd)


def _filter_rows(rows: Iterator[dict[str, Any]], filters: list[tuple[Filter, Any]]) -> Iterator[dict[str, Any]]:
    for row in rows:
        ok = True
        for flt, value in filters:
            actual = row.get(flt.field or flt.name)
            if flt.off:
                ok = ok and bool(actual) == bool(value)
            elif flt.is_flag:
                ok = ok and bool(actual)
            else:
                have = str(actual if actual is not None else "").lower()
                ok = ok and (str(value).lower() in have if flt.contains else str(value).lower() == have)
        if ok:
            yield row


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
