"""Writable fields declared once; `add_writes()` generates a section's `create` and `edit` verbs.

hcloud's lesson: one definition drives the verbs. A section lists the panel's writable JSON keys as
`Field`s (`Section.fields`), and each write verb as a `Write` (`Section.writes`): its route, which
fields it offers in which order, and the few hooks that are truly the section's own. Every generated
verb then does the same steps in the same order:

1. parse: each given option becomes `body[field.name]` after `field.check` (a UsageError, exit 2,
   before any request); `--set key=value` (where offered) is typed and checked by the same fields;
2. `prepare(ctx, body, extras)`: cross-field rules, and options that are not fields (a password
   file, a generated token) are turned into body keys;
3. nothing to change (edit) / `--dry-run` (shows the body, sends nothing);
4. the write (`send`, default: POST or PUT through the client);
5. verify-after-write: the panel sometimes answers "success" without writing, or `[object Object]`:
   a record answer is used, otherwise the record is re-read (`reread`); with `compare=True` the
   re-read record must show every sent field (eclictl.writes.verify_applied, exit 7 otherwise);
6. `view(record)`: what the verb prints (default: the section's detail view).

`doctor` reads `Section.fields` (each Field's `.name` and `.type`) to know what eclictl writes.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Annotated, Any, Callable, Optional

import typer

from eclictl.errors import NotFoundError, UsageError

#: Hooks. `prepare(ctx, body, extras)` may change `body`; `send(ctx, method, path, body)` -> answer;
#: `reread(ctx, ident, body, answer)` -> record; `view(record)` -> what to print.
Hook = Callable[..., Any]


@dataclass(frozen=True)
class Field:
    """One writable key of a panel record and the option that sets it."""

    name: str  # the panel's JSON key, e.g. "maxDatabases"
    option: str | None = None  # "--max-databases"; a pair "--active/--inactive"; None = only through --set
    type: Any = str  # the value's Python type: str, int, float, bool, list[str], an Enum, pathlib.Path
    help: str = ""
    verbs: tuple[str, ...] = ("create", "edit")  # which generated verbs offer it
    required: bool = False  # required on create (or on the verbs in `required_on`)
    required_on: tuple[str, ...] = ("create",)
    default: Any = None  # create's default (sent when the option is not given)
    choices: tuple[str, ...] = ()  # accepted values (an Enum type carries its own)
    check: Callable[[Any], Any] | None = None  # validates/converts a given value; raises UsageError
    param: str | None = None  # the Python parameter name (default: from the option)
    short: str | None = None
    metavar: str | None = None
    panel: str | None = None  # rich_help_panel
    show_default: bool | None = None  # None: shown only for a create default
    min: int | None = None
    max: int | None = None
    argument: bool = False  # a positional argument (create's `CODE TARGET`)
    options: tuple[tuple[str, Any], ...] = ()  # further typer.Option settings, e.g. (("dir_okay", False),)
    parse: Callable[[str], Any] | None = None  # a --set text -> value (default: as typed for str, else typed_value)
    to_body: Callable[[Any], Any] | None = None  # e.g. an Enum member -> its value, a flag -> its inverse
    sensitive: bool = False  # personal data: masked under --redact
    secret: bool = False  # a credential: never printed, never echoed in a dry run

    @property
    def pname(self) -> str:
        if self.param:
            return self.param
        base = (self.option or self.name).split("/")[0].lstrip("-")
        return base.replace("-", "_")

    def offered(self, verb: str) -> bool:
        return verb in self.verbs

    def convert(self, value: Any) -> Any:
        """The value to send (a given option or a typed --set value); UsageError when it is wrong."""
        if self.choices and value not in self.choices:
            raise UsageError(f"{self.option or self.name} must be one of: {', '.join(self.choices)}")
        if self.check is not None:
            value = self.check(value)
        if self.to_body is not None:
            value = self.to_body(value)
        elif hasattr(value, "value") and type(value).__module__ != "builtins":  # an Enum member
            value = value.value
        return value


@dataclass(frozen=True)
class Write:
    """One generated write verb (`create` or `edit`) of a section."""

    verb: str  # "create" or "edit" (the command name)
    summary: str  # the help's first line (the docstring)
    epilog: str  # "Examples:\n\n  ..."
    method: str  # "POST", "PUT" or "PATCH"
    path: str  # route; "{id}" is the edited record's id
    fields: tuple[str, ...] | None = None  # Python parameter names in help order (default: declaration order)
    extra: tuple[Field, ...] = ()  # options that are not body keys; their values reach `prepare` as `extras`
    ref: str | None = None  # metavar of the record argument (edit), e.g. "ID|NAME"
    ref_help: str = ""
    ref_type: Any = str  # int for a numeric id argument
    resolve: Hook | None = None  # (ctx, ref, body, extras) -> id; default: the section's resolve_id
    nothing: tuple[str, str | None] = ("nothing to change", None)  # (message, hint) when an edit sends nothing
    require: tuple[tuple[str, ...], str] | None = None  # (parameters, message): refused before any field check
    prepare: Hook | None = None
    send: Hook | None = None
    reread: Hook | None = None
    compare: bool = False  # verify that the re-read record shows each sent field
    compare_skip: tuple[str, ...] = ()
    view: Hook | None = None
    set_opt: Any = None  # the `--set FIELD=VALUE` option's annotation; "assignments" in `fields` places it
    set_any: bool = False  # --set also takes keys not declared as fields (typed, unchecked)
    dry_run: bool = False  # offer --dry-run (prints the body, sends nothing)
    dry_run_view: Hook | None = None  # (ident, method, path, body) -> what --dry-run prints, after resolving
    writes: bool = True  # @command(writes=...): the verb takes --reason/--confirm-profile
    undoable: bool = False


def _option_ann(f: Field, verb: str) -> tuple[Any, Any]:
    """(annotation, default) of a field's parameter on `verb`."""
    required = (f.required and verb in f.required_on) or (f.argument and verb == "create")
    flag = f.type is bool and f.option is not None and "/" not in f.option
    kwargs: dict[str, Any] = {"help": f.help}
    if f.panel:
        kwargs["rich_help_panel"] = f.panel
    if f.metavar:
        kwargs["metavar"] = f.metavar
    if f.min is not None:
        kwargs["min"] = f.min
    if f.max is not None:
        kwargs["max"] = f.max
    kwargs.update(dict(f.options))
    default: Any = inspect.Parameter.empty if required else (f.default if verb == "create" else None)
    if flag:
        default = False if default in (None, inspect.Parameter.empty) else default
    show = f.show_default if f.show_default is not None else (default not in (None, inspect.Parameter.empty)
                                                              and not flag)
    if not show and not flag:
        kwargs["show_default"] = False
    if f.argument:
        return Annotated[f.type, typer.Argument(**kwargs)], default
    names = [f.option or f"--{f.pname.replace('_', '-')}"] + ([f.short] if f.short else [])
    base = f.type if (required or flag or default is not None) else Optional[f.type]
    return Annotated[base, typer.Option(*names, **kwargs)], default


def _param(f: Field, verb: str) -> inspect.Parameter:
    ann, default = _option_ann(f, verb)
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD if f.argument else inspect.Parameter.KEYWORD_ONLY
    return inspect.Parameter(f.pname, kind, default=default, annotation=ann)


def _given(f: Field, value: Any, verb: str) -> bool:
    """Whether an option was given (a flag's False on edit, and a create default, count as given)."""
    if value is None:
        return False
    if f.type is bool and f.option and "/" not in f.option and value is False:
        return verb == "create" and f.default is not None
    return not (isinstance(value, (list, tuple)) and not value and f.default is None)


def body_of(section: Any, spec: Write, values: dict[str, Any]) -> dict[str, Any]:
    """The request body from the given options, each checked by its field."""
    body: dict[str, Any] = {}
    for f in section.fields:
        if f.offered(spec.verb) and f.pname in values and _given(f, values[f.pname], spec.verb):
            body[f.name] = f.convert(values[f.pname])
    return body


def parse_set(section: Any, spec: Write, pairs: list[str] | None) -> dict[str, Any]:
    """`--set key=value` pairs, typed and checked by the declared fields of the verb; a null value
    is passed on unchecked (the section's `prepare` decides whether a clear is possible)."""
    from eclictl.options import split_pair, typed_value

    known = {f.name: f for f in section.fields if (f.offered(spec.verb) or f.option is None) and not f.secret}
    out: dict[str, Any] = {}
    for pair in pairs or ():
        key, raw = split_pair(pair)
        f = known.get(key)
        if f is None and not spec.set_any:
            raise UsageError(f"unknown {section.singular} field '{key}'", hint="fields: " + ", ".join(sorted(known)))
        value = f.parse(raw) if f is not None and f.parse else (raw if f is not None and f.type is str
                                                                 else typed_value(raw))
        out[key] = f.convert(value) if f is not None and value is not None else value
    return out


def _resolve(section: Any, spec: Write, ctx: Any, ref: Any, body: dict[str, Any], extras: dict[str, Any]) -> Any:
    if spec.resolve is not None:
        return spec.resolve(ctx, ref, body, extras)
    return section.resolve_id(ctx.api, str(ref))


def write_step(ctx: Any, method: str, path: str, body: dict[str, Any]) -> Any:
    """The default write: the body as JSON through the one client (its answer's data, or None)."""
    if method == "POST":
        return ctx.api.post(path, body)
    if method == "PATCH":
        return ctx.api.patch(path, body)
    return ctx.api.put(path, body)


def reread_step(section: Any, ctx: Any, ident: Any, body: dict[str, Any], answer: Any) -> Any:
    """The record after a write: the answer when it is one, else read again (a text/plain
    `[object Object]` answer, a bare `{success: true}`)."""
    if isinstance(answer, dict) and answer.get(section.id_field) is not None:
        return answer
    if ident is not None:
        return section.fetch(ctx.api, str(ident))
    keys = [f.name for f in section.fields if f.name in section.name_fields and f.name in body] or list(body)[:1]
    rows = [r for r in section.iter_rows(ctx.api) if all(r.get(k) == body[k] for k in keys)]
    return max(rows, key=lambda r: r.get(section.id_field) or 0) if rows else dict(body)


def _make(section: Any, spec: Write) -> Callable[..., Any]:
    editing = spec.ref is not None

    def verb(**kwargs: Any) -> Any:
        from eclictl.context import current

        ctx = current()
        dry_run = kwargs.pop("dry_run", False)
        pairs = kwargs.pop("assignments", None)
        extras = {f.pname: kwargs.pop(f.pname) for f in spec.extra if f.pname in kwargs}
        ref = kwargs.pop("ref", None)
        if spec.require and any(kwargs.get(p) is None for p in spec.require[0]):
            raise UsageError(spec.require[1])  # a missing option is named before a wrong value of another
        body = body_of(section, spec, kwargs)
        body.update(parse_set(section, spec, pairs))
        if spec.prepare is not None:
            spec.prepare(ctx, body, extras)
        if editing and not body:
            raise UsageError(spec.nothing[0], hint=spec.nothing[1])
        if dry_run and spec.dry_run_view is None:
            return _view(section, spec, {k: v for k, v in body.items() if not _secret(section, k)})
        ident = _resolve(section, spec, ctx, ref, body, extras) if editing else None
        path = section.path_for(spec.path, ident)
        if dry_run:
            return spec.dry_run_view(ident, spec.method, path, {k: v for k, v in body.items() if not _secret(section, k)})
        answer = (spec.send or write_step)(ctx, spec.method, path, body)
        record = (spec.reread(ctx, ident, body, answer) if spec.reread
                  else reread_step(section, ctx, ident, body, answer))
        if spec.compare:
            from eclictl.writes import verify_applied

            verify_applied(body, record, what=f"{section.singular} {ident}",
                           skip=set(spec.compare_skip) | {f.name for f in section.fields if f.secret})
        return _view(section, spec, record)

    params: list[inspect.Parameter] = []
    if editing:
        params.append(inspect.Parameter("ref", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Annotated[
            spec.ref_type, typer.Argument(metavar=spec.ref, help=spec.ref_help)]))
    declared = {f.pname: f for f in section.fields if f.offered(spec.verb)}
    declared.update({f.pname: f for f in spec.extra})
    order = spec.fields or tuple(declared)
    for name in order:
        if name == "assignments":
            params.append(inspect.Parameter("assignments", inspect.Parameter.KEYWORD_ONLY, default=None,
                                            annotation=spec.set_opt))
        else:
            params.append(_param(declared[name], spec.verb))
    if spec.dry_run:
        from eclictl.options import DryRunOpt

        params.append(inspect.Parameter("dry_run", inspect.Parameter.KEYWORD_ONLY, default=False,
                                        annotation=DryRunOpt))
    params.sort(key=lambda p: p.kind != inspect.Parameter.POSITIONAL_OR_KEYWORD)
    verb.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    verb.__annotations__ = {p.name: p.annotation for p in params}
    verb.__name__ = f"{section.name.replace(' ', '_')}_{spec.verb}"
    verb.__doc__ = spec.summary
    from eclictl.options import command

    return command(writes=spec.writes or None, undoable=spec.undoable)(verb)


@dataclass(frozen=True)
class Bulk:
    """A generated multi-item verb (`delete`, `close`...): ids from arguments or stdin, --yes/--dry-run,
    one confirmation, the bulk runner and its per-item report (eclictl.bulk.confirm_and_run)."""

    verb: str
    summary: str
    epilog: str
    action: str  # "delete nodes": the report's name and the confirmation's `what`
    metavar: str  # "ID|NAME..."
    arg_help: str  # "Nodes; '-' reads ids from stdin."
    one: Hook  # (ctx, item) -> anything (done) | ("skipped", why); raising = failed
    question: Hook | None = None  # (items) -> the confirmation question; None: no confirmation
    items: Hook | None = None  # (ctx, items) -> items, checked (UsageError) before anything is sent
    dry_action: str = "delete"
    yes: bool = True  # offer --yes (False: a verb that never asks)
    dry_run: bool = True  # offer --dry-run
    dry_help: str = ""  # the --dry-run help, when not the common one
    #: (ctx, items) -> what every item needs, read once before the confirmation (the list the refs
    #: resolve against); `one` then gets (ctx, item, that)
    lookup: Hook | None = None
    direct: bool = False  # one item runs directly: its own result and exit code (eclictl.bulk.run_items)


def run_bulk(spec: Bulk, refs: list[str], *, yes: bool = False, dry_run: bool = False) -> Any:
    """What a Bulk verb does. A hand-written verb with options of its own builds its Bulk per run
    (the options closed into its hooks) and calls this."""
    from eclictl.bulk import confirm_and_run
    from eclictl.context import current

    ctx = current()
    items = ctx.read_ids(refs)
    if spec.items is not None:
        items = spec.items(ctx, items)
    if spec.lookup is not None:
        found = spec.lookup(ctx, items)
        one = lambda item: spec.one(ctx, item, found)  # noqa: E731
    else:
        one = lambda item: spec.one(ctx, item)  # noqa: E731
    return confirm_and_run(ctx, spec.action, items, one, yes=yes, dry_run=dry_run,
                           question=spec.question(items) if spec.question else None, what=spec.action,
                           dry_action=spec.dry_action, direct=spec.direct)


def _make_bulk(section: Any, spec: Bulk) -> Callable[..., Any]:
    from eclictl.options import SAFETY_PANEL, DryRunOpt, YesOpt, command

    def verb(refs: list[str], yes: bool = False, dry_run: bool = False) -> Any:
        return run_bulk(spec, refs, yes=yes, dry_run=dry_run)

    notes: dict[str, Any] = {"refs": Annotated[list[str], typer.Argument(metavar=spec.metavar, help=spec.arg_help)]}
    if spec.yes:
        notes["yes"] = YesOpt
    if spec.dry_run:
        notes["dry_run"] = DryRunOpt if not spec.dry_help else Annotated[bool, typer.Option(
            "--dry-run", help=spec.dry_help, rich_help_panel=SAFETY_PANEL)]
    params = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=note,
                                default=inspect.Parameter.empty if name == "refs" else False)
              for name, note in notes.items()]
    verb.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    verb.__annotations__ = {**notes, "return": Any}
    verb.__name__ = f"{section.name.replace(' ', '_')}_{spec.verb.replace('-', '_')}"
    verb.__doc__ = spec.summary
    return command(bulk=True)(verb)


def numbers(what: str) -> Hook:
    """A Bulk `items` check: every id is a number, else one usage error naming the first bad one."""

    def check(ctx: Any, items: list[str]) -> list[str]:
        bad = [i for i in items if not i.isdigit()]
        if bad:
            raise UsageError(f"{what} ids are numbers, got '{bad[0]}'")
        return items

    return check


def records(section: Any) -> Hook:
    """A Bulk `lookup`: the section's records by id, read once (for `on_record`)."""
    return lambda ctx, items: section.rows_by_id(ctx.api)


def on_listed(skip: Hook, act: Hook, after: Hook | None = None) -> Hook:
    """A Bulk `one` for verbs on listed records (with `lookup=records(section)`): an id the listing
    lacks fails "Not found", `skip(record)` -> why to leave it alone (skipped), else `act(api, item,
    record)`, then `after(record)` -> the item's outcome (None: plain done)."""

    def one(ctx: Any, item: str, known: dict[str, dict[str, Any]]) -> Any:
        rec = known.get(item)
        if rec is None:
            raise NotFoundError("Not found")
        reason = skip(rec)
        if reason:
            return ("skipped", reason)
        act(ctx.api, item, rec)
        return after(rec) if after is not None else None

    return one


def on_record(skip: Hook, call: Hook, note: str = "") -> Hook:
    """`on_listed` for a call by numeric id, `call(api, id)`; `note` is each done item's message."""
    return on_listed(skip, lambda api, item, rec: call(api, int(item)),
                     (lambda rec: ("done", note)) if note else None)


def ask(template: str) -> Hook:
    """A Bulk `question` from a template with {n} (how many) and {ids} (the first ten)."""
    return lambda items: template.format(n=len(items), ids=", ".join(items[:10]))


def listed(items: list[str]) -> str:
    """The first ten items for a confirmation question."""
    return ", ".join(items[:10]) + (" …" if len(items) > 10 else "")


def _secret(section: Any, key: str) -> bool:
    return any(f.secret and f.name == key for f in section.fields)


def _view(section: Any, spec: Write, record: Any) -> Any:
    if spec.view is not None:
        return spec.view(record)
    from eclictl.output.view import View  # what _spec.detail_view builds (_spec imports this module)

    return View(record, detail=True, id_field=section.id_field, sensitive=section.sensitive,
                groups=getattr(section, "groups", ()))


def add_writes(app: typer.Typer, section: Any, *verbs: str) -> None:
    """Add the section's declared write verbs (all, or those named) to `app`."""
    for spec in section.writes:
        if not verbs or spec.verb in verbs:
            make = _make_bulk if isinstance(spec, Bulk) else _make
            app.command(spec.verb, help=spec.summary, epilog=spec.epilog)(make(section, spec))
