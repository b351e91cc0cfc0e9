"""`eclictl open`: the same place in the web Staff Portal (like `gh browse`)."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from eclictl.errors import UsageError
from eclictl.options import command

app = typer.Typer(add_completion=False)


def _section_tab(name: str) -> str:
    """A section's command name stands for its portal tab (`mailboxes` -> `company-mailboxes`)."""
    from eclictl.sections._spec import all_sections
    from eclictl.weblinks import TABS

    for section in all_sections():
        if section.name == name and section.tab in TABS:
            return section.tab
    raise UsageError(f"unknown portal tab '{name}'", hint=f"tabs: {', '.join(TABS)}")


@app.command("open", epilog=(
    "Examples:\n\n"
    "  eclictl open                      # the Staff Portal overview\n\n"
    "  eclictl open fraud\n\n"
    "  eclictl open mailboxes               # a section name opens its tab (company-mailboxes)\n\n"
    "  eclictl open --user 42            # opens the user's detail dialog\n\n"
    "  eclictl open --server 5f0c8a1e-...\n\n"
    "The web address comes from the profile's web_url, else the API URL's origin."))
@command(exclude=("columns", "no_headers"))
def open_portal(
    tab: Annotated[Optional[str], typer.Argument(help="Portal tab (e.g. users, fraud, payments) or section name (e.g. payment-methods).",
                                                 show_default=False)] = None,
    user: Annotated[Optional[str], typer.Option("--user", metavar="USER", help="Open this user (viewUser): id or "
                                                "exact e-mail.",
                                                show_default=False)] = None,
    server: Annotated[Optional[str], typer.Option("--server", help="Open this server by UUID (viewServer).",
                                                  show_default=False)] = None,
) -> Any:
    """Print the Staff Portal link for a tab (and open it in a browser on a terminal)."""
    from eclictl.context import current
    from eclictl.weblinks import TABS, open_tab

    if tab is not None and tab not in TABS:
        tab = _section_tab(tab)
    if user is not None and server is not None:
        raise UsageError("give --user or --server, not both")
    if tab is None:
        tab = "users" if user is not None else ("servers" if server is not None else "overview")
    user_id = None
    if user is not None:
        from eclictl.sections._spec import user_ref

        user_id = user_ref(current().api, user) if not user.strip().isdigit() else int(user)
    return open_tab(current(), tab, viewUser=user_id, viewServer=server)
