"""What `mailboxes` and its purge share: the list route, folder names, paging through a folder."""

from __future__ import annotations

import re
from typing import Any, Iterator

PATH = "/api/admin/company-mailboxes"
FOLDERS = ("INBOX", "SENT", "TRASH", "JUNK")
_ADDRESS = re.compile(r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


def _page(api: Any, box: str, params: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    body = api.get(f"{PATH}/{box}/messages", params)
    body = body if isinstance(body, dict) else {}
    rows = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    return body.get("meta") if isinstance(body.get("meta"), dict) else {}, rows


def _iter_folder(api: Any, box: str, folder: str, extra: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    page = 1
    while True:
        meta, rows = _page(api, box, {"folder": folder, "page": page, "limit": 100, **(extra or {})})
        yield from rows
        if not rows or page * 100 >= int(meta.get("total") or 0):
            return
        page += 1
