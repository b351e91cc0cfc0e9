"""Per-endpoint pagination: EcliPanel has no common convention (docs/panel/pagination.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator


@dataclass(frozen=True)
class PageSpec:
    """How one list endpoint answers.

    items_key None means the body is a bare array (or the whole list in one go);
    page_param None means the endpoint does not paginate.
    """

    items_key: str | None = None
    page_param: str | None = None
    first_page: int = 1
    size_param: str | None = None
    page_size: int | None = None
    total_key: str | None = None  # "meta.total" reads a nested envelope
    total_pages_key: str | None = None
    max_pages: int = 100_000


ALL_AT_ONCE = PageSpec()


def extract_items(body: Any, items_key: str | None, where: str = "the list") -> list[Any]:
    """The rows of a list answer: `{key: [...]}` or a bare array (either is accepted, so a panel that
    changes its envelope does not break us).

    Anything else (an object with no list in it, a number, text, nothing) cannot be read as a list:
    ApiBadResponseError (exit 1) instead of an empty list, so a script never takes "unreadable" for
    "none".
    """
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        if items_key and isinstance(body.get(items_key), list):
            return body[items_key]
        for value in body.values():
            if isinstance(value, list) and (not value or isinstance(value[0], dict)):
                return value
    from eclictl.api.errors import ApiBadResponseError

    expected = f"a list (or an object with '{items_key}')" if items_key else "a list"
    raise ApiBadResponseError(f"{where}: the panel answered {_shape(body)} where {expected} was expected",
                              hint="nothing was read as an empty list; run `eclictl doctor` if the panel was upgraded")


def _shape(body: Any) -> str:
    if body is None:
        return "nothing"
    if isinstance(body, dict):
        keys = ", ".join(list(body)[:6])
        return f"an object without a list ({{{keys}}})" if keys else "an empty object"
    return f"a {type(body).__name__}"


def rows_of(body: Any, items_key: str | None = None, where: str = "the list") -> list[dict[str, Any]]:
    """`extract_items` keeping the object rows (what every table of records wants)."""
    return [r for r in extract_items(body, items_key, where) if isinstance(r, dict)]


def iterate_pages(fetch: Any, path: str, spec: PageSpec, params: dict[str, Any] | None = None,
                  *, start_page: int | None = None, single_page: bool = False,
                  reporter: Any = None) -> Iterator[list[Any]]:
    """Yield each page's items as it arrives. `fetch(path, params)` returns the decoded body.

    When the panel states a total (`total_key` rows or `total_pages_key` pages) and the pages run
    out before it, the list is incomplete: ApiBadResponseError says how many rows arrived, instead
    of a short list that looks whole. `reporter` (eclictl/output/progress.py) is told about each
    page (progress on a terminal) and about a first page shown alone while more rows exist.
    """
    if reporter is None:
        yield from _iterate(fetch, path, spec, params, start_page, single_page, None)
        return
    try:
        yield from _iterate(fetch, path, spec, params, start_page, single_page, reporter)
    finally:
        reporter.finished()


def _fetch_page(fetch: Any, path: str, params: dict[str, Any], reporter: Any, number: int, seen: int,
                total: int | None) -> Any:
    if reporter is None:
        return fetch(path, params)
    reporter.fetching(number, seen, total)
    try:
        return fetch(path, params)
    finally:
        reporter.fetched()


def _iterate(fetch: Any, path: str, spec: PageSpec, params: dict[str, Any] | None, start_page: int | None,
             single_page: bool, reporter: Any) -> Iterator[list[Any]]:
    params = dict(params or {})
    if spec.page_param is None:
        yield extract_items(_fetch_page(fetch, path, params, reporter, 1, 0, None), spec.items_key, f"GET {path}")
        return
    page = start_page if start_page is not None else spec.first_page
    check = not single_page and page == spec.first_page
    if spec.size_param and spec.page_size:
        params[spec.size_param] = spec.page_size
    seen = 0
    pages = 0
    stated: tuple[int | None, int | None] = (None, None)
    previous_first: Any = object()
    for _ in range(spec.max_pages):
        params[spec.page_param] = page
        body = _fetch_page(fetch, path, params, reporter, pages + 1, seen, stated[0])
        if isinstance(body, dict):
            stated = (_int(body, spec.total_key) if stated[0] is None else stated[0],
                      _int(body, spec.total_pages_key) if stated[1] is None else stated[1])
        items = extract_items(body, spec.items_key, f"GET {path}")
        if not items:
            break
        first = items[0].get("id") if isinstance(items[0], dict) else items[0]
        if first == previous_first:
            break  # the panel ignored the page parameter: stop instead of looping forever
        previous_first = first
        yield items
        seen += len(items)
        pages += 1
        if single_page:
            if reporter is not None and page == spec.first_page:
                reporter.partial(len(items), *stated)
            return
        if isinstance(body, dict):
            total_pages = _int(body, spec.total_pages_key)
            if total_pages is not None and page - spec.first_page + 1 >= total_pages:
                return
            total = _int(body, spec.total_key)
            if total is not None and seen >= total:
                return
        size = spec.page_size or (body.get("per") if isinstance(body, dict) else None)
        if isinstance(size, int) and len(items) < size:
            break
        page += 1
    if check:
        _check_complete(path, seen, pages, *stated)


def _int(body: dict[str, Any], key: str | None) -> int | None:
    """`body[key]` as a whole number; a dotted key reads a nested envelope (`meta.total`)."""
    value: Any = body
    for part in key.split(".") if key else [None]:
        value = value.get(part) if part and isinstance(value, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _check_complete(path: str, seen: int, pages: int, total: int | None, total_pages: int | None) -> None:
    """The pages ran out: fail when the panel had said there would be more."""
    from eclictl.api.errors import ApiBadResponseError

    if total is not None and seen < total:
        raise ApiBadResponseError(f"GET {path}: the list is incomplete: the panel stated {total} rows but only "
                                  f"{seen} arrived", hint="the list changed while it was read, or a page came back "
                                  "short; run it again")
    if total_pages is not None and pages < total_pages:
        raise ApiBadResponseError(f"GET {path}: the list is incomplete: the panel stated {total_pages} pages but "
                                  f"only {pages} arrived ({seen} rows)", hint="run it again")
