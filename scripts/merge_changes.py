#!/usr/bin/env python3
"""Fold changes/*.md fragments (written while several people worked in parallel) into
CHANGELOG.md (Unreleased) and README.md, then delete the fragments.

Fragment layout: '## Changelog' with '### Added/Changed/Fixed' lists, then '## README ...' parts.
README parts whose heading mentions 'row' are table rows for "Portal tab -> eclictl command";
the rest are README sections, appended before '## Development'.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse(text: str) -> tuple[dict[str, list[str]], list[str], list[str]]:
    changelog: dict[str, list[str]] = {}
    rows: list[str] = []
    sections: list[str] = []
    parts = re.split(r"^## ", text, flags=re.M)
    for part in parts[1:]:
        title, _, body = part.partition("\n")
        if title.lower().startswith("changelog"):
            current = None
            for line in body.splitlines():
                m = re.match(r"^### (\w+)", line)
                if m:
                    current = m.group(1)
                    changelog.setdefault(current, [])
                elif current and line.strip():
                    changelog[current].append(line)
        elif "readme" in title.lower() and "row" in title.lower():
            rows += [ln for ln in body.splitlines() if ln.startswith("|") and not set(ln) <= set("|-: ")
                     and "eclictl command" not in ln]
        elif "readme" in title.lower():
            body = body.strip("\n")
            body = re.sub(r"^### ", "## ", body, flags=re.M)
            if not body.startswith("## "):
                body = "## " + title.replace("README section:", "").strip().capitalize() + "\n\n" + body
            sections.append(body.strip() + "\n")
    return changelog, rows, sections


def main() -> int:
    fragments = sorted((ROOT / "changes").glob("*.md"))
    if not fragments:
        print("no fragments")
        return 0
    changelog_path, readme_path = ROOT / "CHANGELOG.md", ROOT / "README.md"
    changelog = changelog_path.read_text()
    readme = readme_path.read_text()
    all_rows: list[str] = []
    for frag in fragments:
        entries, rows, sections = parse(frag.read_text())
        all_rows += rows
        for kind, lines in entries.items():
            heading = f"### {kind}"
            unreleased_end = changelog.find("\n## [", changelog.find("## [Unreleased]") + 5)
            head = changelog if unreleased_end < 0 else changelog[:unreleased_end]
            tail = "" if unreleased_end < 0 else changelog[unreleased_end:]
            if heading in head:
                idx = head.index(heading)
                nxt = head.find("\n### ", idx + 1)
                insert_at = len(head) if nxt < 0 else nxt
                head = head[:insert_at].rstrip("\n") + "\n" + "\n".join(lines) + "\n" + head[insert_at:]
            else:
                head = head.rstrip("\n") + f"\n\n{heading}\n" + "\n".join(lines) + "\n"
            changelog = head + tail
        for section in sections:
            marker = "\n## Development"
            readme = readme.replace(marker, "\n" + section + marker, 1) if marker in readme else readme + "\n" + section
        frag.unlink()
    if all_rows:
        table = "## Portal tab → eclictl command\n\n| Portal tab | eclictl command |\n|---|---|\n" + \
            "\n".join(dict.fromkeys(all_rows)) + "\n"
        if "## Portal tab → eclictl command" in readme:
            start = readme.index("## Portal tab → eclictl command")
            end = readme.find("\n## ", start + 5)
            existing = [ln for ln in readme[start:end].splitlines() if ln.startswith("|") and "---" not in ln
                        and "eclictl command" not in ln]
            table = "## Portal tab → eclictl command\n\n| Portal tab | eclictl command |\n|---|---|\n" + \
                "\n".join(dict.fromkeys(existing + all_rows)) + "\n"
            readme = readme[:start] + table + readme[end:]
        else:
            readme = readme.replace("\n## Output", "\n" + table + "\n## Output", 1)
    changelog_path.write_text(changelog)
    readme_path.write_text(readme)
    print(f"merged {len(fragments)} fragment(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
