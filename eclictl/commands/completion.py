"""`eclictl completion SHELL`: print the shell completion script shipped in the package.

The scripts are generated from the command tree (scripts/gen_docs.py) and are static: pressing TAB
never starts Python, except to list profile names after `-p/--profile`: the scripts run
`eclictl completion --list-profiles`, which eclictl.main answers from config.toml before Typer is
loaded (eclictl.configpath.profile_names); it is not a Typer option.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

app = typer.Typer(add_completion=False)


class Shell(str, Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"
    powershell = "powershell"


#: shell -> file in completions/ (in the wheel: eclictl/completions/)
FILES = {Shell.bash: "eclictl.bash", Shell.zsh: "_eclictl", Shell.fish: "eclictl.fish",
         Shell.powershell: "eclictl.ps1"}

EPILOG = """Examples:

  eval "$(eclictl completion bash)"          # add this line to ~/.bashrc

  eval "$(eclictl completion zsh)"           # add this line to ~/.zshrc, after compinit

  eclictl completion fish > ~/.config/fish/completions/eclictl.fish

  eclictl completion powershell | Out-String | Invoke-Expression   # add to $PROFILE

Completes commands, options, choice values (`-o`, `servers power`) and profile names after -p/--profile.
"""


@app.command("completion", epilog=EPILOG)
def completion(
    shell: Annotated[Shell, typer.Argument(help="The shell to print the script for.", show_default=False)],
) -> None:
    """Print the shell completion script (bash, zsh, fish, powershell); see the examples to install it."""
    from eclictl.context import current

    current().io.stdout.write(script(shell.value))


def script(shell: str) -> str:
    """The completion script for `shell`: package data in a wheel, the repository's completions/ in a checkout."""
    from importlib import resources
    from pathlib import Path

    name = FILES[Shell(shell)]
    shipped = resources.files("eclictl") / "completions" / name
    if shipped.is_file():
        return shipped.read_text(encoding="utf-8")
    checkout = Path(__file__).resolve().parents[2] / "completions" / name  # an editable install
    return checkout.read_text(encoding="utf-8")
