"""The docs cover every setting, API route, error code and CLI command (datasette's test_docs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.routing import APIRoute

import lakechat.sqlguard.errors
import lakechat.store.backup  # noqa: F401 - registers BackupFailed in the error tree
from lakechat.api.app import create_app
from lakechat.cli.main import app as cli_app
from lakechat.errors import all_error_classes
from lakechat.settings import Settings
from lakechat.settings_doc import render

DOCS = Path(__file__).resolve().parent.parent / "docs"
FRAMEWORK_ROUTES = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name.upper()}`" in read("configuration.md")


def test_settings_table_is_current() -> None:
    text = read("configuration.md")
    assert render(text) == text, "run: python -m lakechat.settings_doc docs/configuration.md"


def api_routes(settings: Settings) -> list[str]:
    app = create_app(settings, configure_logs=False)
    found = []
    for route in app.routes:
        if isinstance(route, APIRoute) and route.path not in FRAMEWORK_ROUTES:
            found.extend(f"{method} {route.path}" for method in sorted(route.methods))
    return found


def test_every_route_is_documented(settings: Settings) -> None:
    text = read("api.md")
    routes = api_routes(settings)
    assert len(routes) >= 12
    missing = [route for route in routes if f"`{route}`" not in text]
    assert missing == []


def test_every_error_code_is_documented() -> None:
    text = read("api.md")
    missing = [cls.code for cls in all_error_classes() if f"`{cls.code}`" not in text]
    assert missing == []


def cli_commands(command: Any, prefix: str = "lakechat") -> list[str]:
    # typer vendors its own click: a group is whatever has sub-commands
    subcommands = getattr(command, "commands", None)
    if subcommands:
        found = []
        for name, sub in subcommands.items():
            found.extend(cli_commands(sub, f"{prefix} {name}"))
        return found
    return [prefix]


def test_every_cli_command_is_documented() -> None:
    text = read("cli.md")
    commands = cli_commands(typer.main.get_command(cli_app))
    assert "lakechat db restore" in commands
    missing = [c for c in commands if f"`{c}" not in text]
    assert missing == []


def test_readme_opens_with_the_two_commands() -> None:
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```", 2)[1].strip().splitlines()
    assert first_block == ["make demo", "make test"]
    for page in ("quickstart.md", "configuration.md", "api.md", "cli.md", "operations.md"):
        assert f"docs/{page}" in readme
