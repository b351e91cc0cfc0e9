"""docs/reference.md, completions/ and the help index (eclictl/_help/) are generated from the command tree
and must not drift."""

from __future__ import annotations

from pathlib import Path

from eclictl._reference import command_tree, generated_files, stale_generated_files

ROOT = Path(__file__).resolve().parents[2]


def test_generated_files_are_current() -> None:
    stale = stale_generated_files(ROOT)
    assert not stale, f"stale: {', '.join(stale)}; regenerate with: python scripts/gen_docs.py"


def test_every_command_is_in_every_completion_script_and_the_reference() -> None:
    files = generated_files()

    def walk(node):  # type: ignore[no-untyped-def]
        yield node
        for child in node.children:
            yield from walk(child)

    for node in walk(command_tree()):
        if len(node.path) < 2:
            continue
        name = node.path[-1]
        assert f"`{' '.join(node.path)}`" in files["docs/reference.md"]
        for script in ("completions/eclictl.bash", "completions/_eclictl",
                       "completions/eclictl.fish", "completions/eclictl.ps1"):
            assert name in files[script], (script, node.path)


def test_every_command_has_a_summary_and_examples() -> None:
    def walk(node):  # type: ignore[no-untyped-def]
        yield node
        for child in node.children:
            yield from walk(child)

    for node in walk(command_tree()):
        assert node.help, f"{' '.join(node.path)} has no help text"
        if not node.children:
            assert "Examples:" in node.epilog, f"{' '.join(node.path)} has no examples in its epilog"


def test_a_help_screen_module_of_a_removed_command_counts_as_stale(tmp_path: Path) -> None:
    folder = tmp_path / "eclictl" / "_help"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text('"""hand-written"""\n')
    (folder / "_root.py").write_text("SCREENS = {}\n")
    (folder / "gone.py").write_text("SCREENS = {}\n")
    expected = {"eclictl/_help/_root.py": "SCREENS = {}\n", "eclictl/_help/users.py": "SCREENS = {}\n"}
    assert stale_generated_files(tmp_path, expected) == ["eclictl/_help/users.py", "eclictl/_help/gone.py"]
