"""The repository stands alone: nothing cites documents outside it, and users never see a citation.

A clone has nothing beside it, so code, tests and docs point to docs/panel/ pages or to upstream
source paths; every `docs/panel/<page>.md#<anchor>` they cite must be a heading of that page. Text a
user can see (help, epilogs, warnings, errors, table titles) states the fact and cites no document.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("eclictl", "tests", "scripts", "bench", "docs")
TEXT_SUFFIXES = {".py", ".md", ".txt", ".toml", ".cfg", ".ini", ".sh", ".bash", ".zsh", ".fish", ".yml",
                 ".yaml", ".json"}
SECTION_SIGN = "\u00a7"  # spelled as an escape so this file does not match its own scan
#: References to the old out-of-tree contract (built from parts for the same reason).
OUTSIDE = re.compile("|".join(re.escape(s) for s in ("../" + "shared", "shared" + "/api", SECTION_SIGN)))
#: A document reference in user-visible text: a section sign or any `name.md`.
DOC_REF = re.compile(SECTION_SIGN + r"|\b[\w./-]+\.md\b")
#: `.md` names that are not citations: example input files in help examples.
EXAMPLE_FILES = {"notes.md"}
PANEL_REF = re.compile(r"docs/panel/([\w-]+\.md)(?:#([\w-]+))?")


def _files() -> Iterator[Path]:
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and path.suffix in TEXT_SUFFIXES and ".venv" not in path.parts \
                    and "__pycache__" not in path.parts:
                yield path


def _doc_refs(text: str) -> list[str]:
    return [m.group(0) for m in DOC_REF.finditer(text) if m.group(0) not in EXAMPLE_FILES]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces become hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every anchor GitHub gives the headings of a Markdown page (repeats get -1, -2, ...)."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    fenced = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        m = re.match(r"#{1,6}\s+(.+?)\s*#*\s*$", line)
        if m and not fenced:
            base = slug(m.group(1))
            n = seen.get(base, 0)
            seen[base] = n + 1
            out.add(base if n == 0 else f"{base}-{n}")
    return out


def test_slug_matches_github() -> None:
    assert slug("Bare entities answer `[object Object]`") == "bare-entities-answer-object-object"
    assert slug("KYC (ID verification) records") == "kyc-id-verification-records"
    assert slug("Mass allocation change, reboot all") == "mass-allocation-change-reboot-all"


# -- nothing cites the out-of-tree contract ----------------------------------------------------

def test_no_file_cites_documents_outside_the_repository() -> None:
    hits = []
    for path in _files():
        for no, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{no}: {line.strip()[:100]}")
    assert not hits, f"{len(hits)} citation(s) of documents outside the repo:\n" + "\n".join(hits[:60])


# -- cited docs/panel anchors exist --------------------------------------------------------------

def _panel_citations() -> Iterator[tuple[str, str, str | None]]:
    panel = ROOT / "docs" / "panel"
    for path in _files():
        text = path.read_text(encoding="utf-8", errors="replace")
        where = str(path.relative_to(ROOT))
        for m in PANEL_REF.finditer(text):
            yield where, m.group(1), m.group(2)
        if path.parent == panel:  # links between the pages: `[x](nodes.md#gates)`, `(#routes)`
            for m in re.finditer(r"\]\((?:\./)?([\w-]+\.md)?(?:#([\w-]+))?\)", text):
                if m.group(1) or m.group(2):
                    yield where, m.group(1) or path.name, m.group(2)


def test_every_cited_panel_page_and_anchor_exists() -> None:
    panel = ROOT / "docs" / "panel"
    cache: dict[str, set[str]] = {}
    broken, count = [], 0
    for where, page, anchor in _panel_citations():
        count += 1
        if not (panel / page).is_file():
            broken.append(f"{where}: docs/panel/{page} does not exist")
            continue
        known = cache.setdefault(page, anchors(panel / page))
        if anchor and anchor not in known:
            broken.append(f"{where}: docs/panel/{page}#{anchor} is not a heading of that page")
    assert count > 150  # the code does point there
    assert not broken, "\n".join(sorted(set(broken)))


# -- user-visible text cites no document -----------------------------------------------------------

def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            yield from _strings(v)


def test_generated_help_index_cites_no_document() -> None:
    import eclictl._help as help_pkg

    names = [m.name for m in pkgutil.iter_modules(help_pkg.__path__)]
    assert len(names) > 30
    hits = []
    for name in names:
        module = importlib.import_module(f"eclictl._help.{name}")
        for attr, value in vars(module).items():
            if attr.startswith("__"):
                continue
            hits += [f"_help/{name}.py: {ref!r} in {text[:80]!r}" for text in _strings(value)
                     for ref in _doc_refs(text)]
    index = importlib.import_module("eclictl._command_index")
    hits += [f"_command_index: {ref!r}" for attr, value in vars(index).items() if not attr.startswith("__")
             for text in _strings(value) for ref in _doc_refs(text)]
    assert not hits, "\n".join(hits)


def test_reference_cites_no_document() -> None:
    text = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    refs = _doc_refs(text.replace("docs/reference.md", ""))  # its own generated-file banner, if any
    assert not refs, refs


def _docstring_ids(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def _is_command(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A Typer command or callback: its docstring is help text."""
    for dec in func.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if isinstance(target, ast.Attribute) and target.attr in ("command", "callback"):
            return True
    return False


def test_no_string_in_the_code_cites_a_document() -> None:
    """Messages, hints, titles and help strings in eclictl/: no section signs, no `.md` citations.

    Docstrings of helpers are comments (they may point to docs/panel/); docstrings of commands are help.
    Generators of the docs themselves are exempt: they name the files they write.
    """
    exempt = {"_reference.py", "_command_index.py"}
    hits = []
    for path in sorted((ROOT / "eclictl").rglob("*.py")):
        if path.name in exempt or "_help" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _docstring_ids(tree)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_command(node):
                first = node.body[0]
                if isinstance(first, ast.Expr):
                    skip.discard(id(first.value))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                hits += [f"{path.relative_to(ROOT)}:{node.lineno}: {ref!r}" for ref in _doc_refs(node.value)]
    assert not hits, "\n".join(hits)


# -- the messages that used to cite documents ------------------------------------------------------

def _clean(text: str) -> None:
    assert SECTION_SIGN not in text and not _doc_refs(text), text


def test_client_key_403_hint_states_the_fact(cli: Any) -> None:
    r = cli("users", "list", key="plain")
    assert r.exit_code == 5 and "permission list does not cover the route" in r.stderr
    _clean(r.stderr)


def test_nodes_health_title_states_the_rule(cli: Any) -> None:
    r = cli("nodes", "health", "--watch", "5", "--iterations", "1", tty=True)
    assert r.exit_code == 0 and "Node health" in r.stdout and "120 s" in r.stdout
    _clean(r.stdout + r.stderr)


def test_servers_throttle_note_states_the_fact(cli: Any) -> None:
    r = cli("servers", "throttle", "lobby-1", "--cpu", "10", "--duration", "2h", "-o", "json")
    assert r.exit_code == 0 and "restore timer lives in the panel process" in r.stderr
    _clean(r.stderr)


def test_antiabuse_severity_warning_states_the_fact(cli: Any) -> None:
    r = cli("antiabuse", "list", "--severity", "high", "-o", "ids")
    assert r.exit_code == 0 and "aiCategory" in r.stderr
    _clean(r.stderr)


@pytest.mark.parametrize("args", [("soc", "--help"), ("antiabuse", "list", "--help"), ("servers", "throttle", "--help"),
                                  ("nodes", "health", "--help")])
def test_help_screens_cite_no_document(cli: Any, args: tuple[str, ...]) -> None:
    r = cli(*args)
    assert r.exit_code == 0
    _clean(r.stdout)
