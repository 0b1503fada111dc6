"""`lakechat keys create | list | revoke | encryption-key`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import typer

from lakechat.cli.output import console, print_json, print_table
from lakechat.errors import BadRequest

if TYPE_CHECKING:
    from lakechat.security.api_keys import ApiKeyService

app = typer.Typer(help="Manage API keys.", no_args_is_help=True)

_DURATION = re.compile(r"^(\d+)([hdw])$")


def _service() -> ApiKeyService:
    from lakechat.security.api_keys import ApiKeyService
    from lakechat.settings import load_settings
    from lakechat.store.database import StateStore

    return ApiKeyService(StateStore(load_settings().state_url))


def parse_expiry(value: str | None) -> datetime | None:
    """``30d``, ``12h``, ``2w`` from now, or an ISO 8601 time with a timezone."""
    if not value:
        return None
    match = _DURATION.match(value.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        hours = {"h": 1, "d": 24, "w": 24 * 7}[unit] * amount
        return datetime.now(UTC) + timedelta(hours=hours)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(
            f"--expires {value!r}: use 30d, 12h, 2w or an ISO time such as 2027-01-01T00:00:00Z"
        ) from None
    if parsed.tzinfo is None:
        raise BadRequest(f"--expires {value!r} needs a timezone, for example {value}Z")
    return parsed


@app.command("create")
def create(
    name: str = typer.Option(..., "--name", help="Who or what the key is for."),
    tenant: str = typer.Option("default", "--tenant", help="Tenant whose rows the key may see."),
    role: str = typer.Option("viewer", "--role", help="viewer, analyst or admin."),
    scope: list[str] = typer.Option(
        [], "--scope", help="A scope (repeat); default: the role's scopes."
    ),
    group: list[str] = typer.Option([], "--group", help="A group the key belongs to (repeat)."),
    expires: str | None = typer.Option(None, "--expires", help="30d, 12h, 2w or an ISO time."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create a key. The key is printed once and never stored."""
    issued = _service().create(
        name=name,
        tenant=tenant,
        role=role,
        scopes=scope or None,
        groups=group or None,
        expires_at=parse_expiry(expires),
        created_by="cli",
    )
    if as_json:
        print_json({"key": issued.secret, **issued.info.as_json()})
        return
    console.print(
        f"created key [bold]{issued.info.name}[/] ({issued.info.id}, role {issued.info.role}, tenant {issued.info.tenant})"
    )
    console.print(f"scopes: {', '.join(issued.info.scopes)}")
    console.print("store it now, it is not shown again:")
    console.print(issued.secret, highlight=False, soft_wrap=True)


@app.command("list")
def list_keys(
    all_keys: bool = typer.Option(True, "--all/--active", help="Include revoked keys."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List keys with their prefix, tenant, role, scopes and state."""
    keys = _service().list(include_revoked=all_keys)
    if as_json:
        print_json({"keys": [k.as_json() for k in keys]})
        return
    print_table(
        "API keys",
        ["id", "name", "prefix", "tenant", "role", "scopes", "state", "expires", "last used"],
        (
            [
                k.id,
                k.name,
                f"lc_{k.prefix}_…",
                k.tenant,
                k.role,
                " ".join(k.scopes),
                k.state,
                k.expires_at.isoformat() if k.expires_at else "",
                k.last_used_at.isoformat() if k.last_used_at else "",
            ]
            for k in keys
        ),
    )


@app.command("revoke")
def revoke(
    key: str = typer.Argument(..., help="The key's id or prefix."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Revoke a key; requests with it get 401 api_key_revoked."""
    info = _service().revoke(key, revoked_by="cli")
    if as_json:
        print_json(info.as_json())
    else:
        console.print(f"revoked key [bold]{info.name}[/] ({info.id})")


@app.command("encryption-key")
def encryption_key(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Print a new random ENCRYPTION_KEY (a Fernet key)."""
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    if as_json:
        print_json({"encryption_key": key})
    else:
        typer.echo(key)
