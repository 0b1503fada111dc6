"""The settings reference table in docs/configuration.md, generated from the Settings fields.

``python -m lakechat.settings_doc`` rewrites the table between its markers; the docs
test fails when the file and the code disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import SecretStr

from lakechat.settings import SECRET_FIELDS, Settings

BEGIN = "<!-- settings-table:begin -->"
END = "<!-- settings-table:end -->"


def settings_table() -> str:
    rows = ["| variable | default | what it does |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, SecretStr) or name in SECRET_FIELDS:
            shown = "unset" if default is None else "***"
        elif default is None:
            shown = "unset"
        elif isinstance(default, list):
            shown = ", ".join(default) or "empty"
        else:
            shown = f"`{default}`"
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{name.upper()}` | {shown} | {description} |")
    return "\n".join(rows)


def render(document: str) -> str:
    before, rest = document.split(BEGIN, 1)
    _, after = rest.split(END, 1)
    return f"{before}{BEGIN}\n{settings_table()}\n{END}{after}"


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/configuration.md")
    path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
