"""A plain section, declarations only: the template a new section starts from (docs/DEVELOPING.md).

`links` speaks to the panel's short-URL routes (`/api/admin/shorturls*`) without the rules and quirks
the real `eclictl shorturls` adds (code and target checks, reserved root paths, the null-owner 422):
what is left is what every section declares. tests/sections/test_plain_section.py mounts it as
`eclictl links` and runs list, show, create, edit and delete against the sandbox.
"""

from __future__ import annotations

from enum import Enum

from eclictl.output.columns import Col
from eclictl.sections._fields import Field, Write
from eclictl.sections._spec import Filter, ListOpts, Section, build, user_ref

PATH = "/api/admin/shorturls"


class Prefix(str, Enum):
    a = "a"
    root = "root"


PREFIX_HELP = "'a' serves /a/<code>, 'root' serves /<code>."
FIELDS = (
    Field("code", type=str, argument=True, verbs=("create",), help="The code."),
    Field("targetUrl", type=str, argument=True, param="target", metavar="TARGET", verbs=("create",),
          help="Where the link leads."),
    Field("prefix", "--prefix", Prefix, PREFIX_HELP, verbs=("create",), default=Prefix.a, show_default=False),
    Field("code", "--code", help="New code.", verbs=("edit",)),
    Field("targetUrl", "--target", help="New target.", verbs=("edit",)),
    Field("prefix", "--prefix", Prefix, PREFIX_HELP, verbs=("edit",)),
)
WRITES = (
    Write("create", "Create a short link.", "Examples:\n\n  eclictl links create discord https://discord.gg/abc",
          "POST", PATH),
    Write("edit", "Change a short link's code, target or prefix.",
          "Examples:\n\n  eclictl links edit discord --target https://discord.gg/new",
          "PUT", f"{PATH}/{{id}}", ref="ID|CODE", ref_help="Link id or code.",
          nothing=("nothing to change: give --code, --target and/or --prefix", None)),
)
LINKS = Section(
    name="links",
    help="Short links: list, show, create, edit, delete.",
    path=PATH,
    columns=(Col("id"), Col("code"), Col("prefix"), Col("targetUrl", "TARGET", max_width=60),
             Col("ownerId", "OWNER"), Col("createdAt", "CREATED")),
    name_fields=("code",),  # a code is accepted wherever an id is
    delete_path=f"{PATH}/{{id}}",
    permission="admin.shorturl.add",
    filters=(
        Filter("prefix", "Only this prefix.", type=Prefix),
        Filter("owner", "Only links of this user: id or exact e-mail.", field="ownerId", metavar="USER",
               convert=user_ref),
        Filter("search", "Code contains this text.", field="code", contains=True, short="-q"),
    ),
    list_opts=ListOpts(all="Fetch everything (the panel never pages)."),
    fields=FIELDS,
    writes=WRITES,
    verbs=("list", "show", "delete", "create", "edit"),
    examples=("eclictl links list --prefix root", "eclictl links show discord -o json",
              "eclictl links delete discord --yes"),
)
app = build(LINKS)
