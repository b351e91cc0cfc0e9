"""What `mailboxes` and its purge share: the list route, folder names, paging through a folder."""

from __future__ import annotations

import re
from typing import Any, Iterator

from eclictl.api.pagination import PageSpec

PATH = "/api/admin/company-mailboxes"
FOLDERS = ("INBOX", "SENT", "TRASH", "JUNK")
_ADDRESS = re.compile(r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


def _page(api: Any, box: str, params: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One page of a folder: `{messages: [...], meta: {total, ...}}`; anything else is an error."""
    from eclictl.api.pagination import rows_of

    path = f"{PATH}/{box}/messages"
    body = api.get(path, params)
    rows = rows_of(body, "messages", f"GET {path}")
    return body.get("meta") if isinstance(body, dict) and isinstance(body.get("meta"), dict) else {}, rows


#: A folder's pages: 100 messages each, the total under `meta.total`.
FOLDER_PAGES = PageSpec(items_key="messages", page_param="page", size_param="limit", page_size=100,
                        total_key="meta.total")


def _iter_folder(api: Any, box: str, folder: str, extra: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    for row in api.iterate(f"{PATH}/{box}/messages", FOLDER_PAGES, {"folder": folder, **(extra or {})}):
        if isinstance(row, dict):
            yield row
