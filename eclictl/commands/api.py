"""`eclictl api`: the raw escape hatch (like `gh api`), with the same auth, retries, redaction and exit codes."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from eclictl.errors import UsageError
from eclictl.inputs import loads_json
from eclictl.options import command, typed_value

app = typer.Typer(add_completion=False)

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")

EPILOG = """Examples:

  eclictl api GET /api/admin/users -f q=@example.com

  eclictl api /api/admin/users --paginate -o jsonl

  eclictl api POST /api/roles -f name=auditors -f description="read only"

  eclictl api PUT /api/admin/users/42 -F suspended=true

  eclictl api POST /api/admin/fraud-alerts/dismiss --input body.json

  eclictl api -i /health

-f sends a string, -F a typed value (true/false/null/numbers/JSON). With GET, fields become
query parameters; otherwise they form a JSON body. Secret fields (password hashes, 2FA
secrets, key values) are removed from every answer, whatever its content type. A redirect
(3xx) is an error (exit 3), never followed. In a pipe the answer is printed as JSON (-o for another format).
"""


@app.command("api", epilog=EPILOG)
@command(exclude=("columns", "no_headers"), writes=True)
def api(
    args: Annotated[list[str], typer.Argument(metavar="[METHOD] PATH", help="HTTP method (default GET, or POST "
                                              "when fields are given) and a path such as /api/admin/users.")],
    field: Annotated[Optional[list[str]], typer.Option("--field", "-f", help="key=value string field.",
                                                       show_default=False)] = None,
    typed: Annotated[Optional[list[str]], typer.Option("--raw-field", "-F", help="key=value typed field.",
                                                       show_default=False)] = None,
    header: Annotated[Optional[list[str]], typer.Option("--header", "-H", help="Extra header 'Name: value'.",
                                                        show_default=False)] = None,
    input_file: Annotated[Optional[str], typer.Option("--input", help="JSON body from a file, or - for stdin.",
                                                      show_default=False)] = None,
    paginate: Annotated[bool, typer.Option("--paginate", help="Follow ?page=N until an empty page.")] = False,
    include: Annotated[bool, typer.Option("--include", "-i", help="Print the status line and headers.")] = False,
) -> Any:
    """Call any panel route with your credentials."""
    from eclictl.api.errors import error_for_status
    from eclictl.api.secrets import scrub_text
    from eclictl.context import current

    ctx = current()
    if ctx.output is None and not ctx.io.stdout_tty:
        ctx.output = "json"  # like `gh api`: a pipe gets the panel's JSON, not a table of it (-o to choose)
    if len(args) == 1:
        method, path = None, args[0]
    elif len(args) == 2:
        method, path = args[0].upper(), args[1]
    else:
        raise UsageError("expected [METHOD] PATH")
    if method is not None and method not in METHODS:
        raise UsageError(f"unknown method '{args[0]}'", hint=f"one of {', '.join(METHODS)}")
    if not path.startswith("/"):
        raise UsageError(f"path must start with '/', e.g. /api/admin/users (got '{path}')")
    fields: dict[str, Any] = {}
    for pair in field or []:
        key, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"-f expects key=value, got '{pair}'")
        fields[key] = value
    for pair in typed or []:
        key, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"-F expects key=value, got '{pair}'")
        fields[key] = typed_value(value)
    body: Any = None
    if input_file:
        text = ctx.io.stdin.read() if input_file == "-" else _read(input_file)
        try:
            body = loads_json(text) if text.strip() else None
        except ValueError as exc:
            raise UsageError(f"--input is not valid JSON: {exc}") from None
    method = method or ("POST" if (fields or body is not None) else "GET")
    headers = {}
    for h in header or []:
        name, sep, value = h.partition(":")
        if not sep:
            raise UsageError(f"-H expects 'Name: value', got '{h}'")
        headers[name.strip()] = value.strip()
    params = fields if method in ("GET", "HEAD", "DELETE") else None
    if method not in ("GET", "HEAD", "DELETE") and fields:
        body = {**(body if isinstance(body, dict) else {}), **fields}

    def call(extra: dict[str, Any] | None = None, *, expect_json: bool = False) -> Any:
        resp = ctx.api.request(method, path, params={**(params or {}), **(extra or {})}, json_body=body,
                               headers=headers, raise_for_status=False, expect_json=expect_json)
        if include:
            ctx.io.stdout.write(f"HTTP {resp.status}\n")
            for k, v in resp.headers.items():
                if k.lower() not in ("set-cookie",):
                    ctx.io.stdout.write(f"{k}: {v}\n")
            ctx.io.stdout.write("\n")
        if resp.status >= 400:
            message = scrub_text(str((resp.data.get("error") if isinstance(resp.data, dict) else None)
                                     or f"HTTP {resp.status}"))
            if resp.is_json:
                ctx.emit(resp.data)
            raise error_for_status(resp.status, str(message), method=method, path=path, body=resp.data)
        return resp

    if not paginate:
        resp = call()
        return resp.data if resp.is_json else (resp.text or None)
    if method != "GET":
        raise UsageError("--paginate works with GET only")
    return _paginate(call)


def _paginate(call: Any) -> Any:
    from eclictl.api.pagination import extract_items
    from eclictl.output.render import View

    def rows() -> Any:
        page = 1
        previous = None
        while page < 100_000:
            resp = call({"page": page}, expect_json=True)  # an unreadable page ends the run with an error
            items = extract_items(resp.data, None)
            if not items or items == previous:
                return
            yield from items
            previous = items
            if isinstance(resp.data, list):
                return  # a bare array is the whole list
            page += 1

    return View(rows())


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
