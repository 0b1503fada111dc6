"""Unity Catalog names and privileges: what a securable is called and what may be granted on it.

Names are one to three dot-separated identifiers (``main``, ``main.sales``,
``main.sales.orders``), each letters, digits and underscores, compared case-insensitively
and kept lower-case, as Unity Catalog does. Privileges are written with underscores in the
API (``USE_SCHEMA``) and with spaces in SQL (``USE SCHEMA``); both are accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from lakechat.errors import BadRequest

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")


class Securable(StrEnum):
    CATALOG = "catalog"
    SCHEMA = "schema"
    TABLE = "table"


#: the number of name parts of each securable
DEPTH = {Securable.CATALOG: 1, Securable.SCHEMA: 2, Securable.TABLE: 3}

#: Unity Catalog's privileges on each securable (grants on a catalog or schema are
#: inherited by what it contains).
PRIVILEGES: dict[Securable, tuple[str, ...]] = {
    Securable.CATALOG: (
        "ALL_PRIVILEGES", "APPLY_TAG", "BROWSE", "CREATE_FUNCTION", "CREATE_MATERIALIZED_VIEW",
        "CREATE_SCHEMA", "CREATE_TABLE", "CREATE_VOLUME", "EXECUTE", "MANAGE", "MODIFY",
        "READ_VOLUME", "REFRESH", "SELECT", "USE_CATALOG", "USE_SCHEMA", "WRITE_VOLUME",
    ),
    Securable.SCHEMA: (
        "ALL_PRIVILEGES", "APPLY_TAG", "CREATE_FUNCTION", "CREATE_MATERIALIZED_VIEW",
        "CREATE_TABLE", "CREATE_VOLUME", "EXECUTE", "MANAGE", "MODIFY", "READ_VOLUME",
        "REFRESH", "SELECT", "USE_SCHEMA", "WRITE_VOLUME",
    ),
    Securable.TABLE: ("ALL_PRIVILEGES", "APPLY_TAG", "MANAGE", "MODIFY", "REFRESH", "SELECT"),
}  # fmt: skip

ALL_PRIVILEGE_NAMES: tuple[str, ...] = PRIVILEGES[Securable.CATALOG]


@dataclass(frozen=True, order=True)
class ObjectName:
    """A validated catalog, schema or table name."""

    parts: tuple[str, ...]

    @classmethod
    def parse(cls, text: str, securable: Securable | None = None) -> ObjectName:
        """``text`` as a name; with ``securable``, it must have that many parts."""
        raw = (text or "").strip()
        parts = tuple(part.strip().strip("`").strip() for part in raw.split("."))
        if not raw or len(parts) > 3 or not all(_IDENTIFIER.fullmatch(p) for p in parts):
            raise BadRequest(
                f"{raw!r} is not a valid name: use catalog, catalog.schema or "
                "catalog.schema.table, each part letters, digits and underscores "
                "(starting with a letter or underscore, at most 255 characters)"
            )
        name = cls(tuple(p.lower() for p in parts))
        if securable is not None and len(parts) != DEPTH[securable]:
            shape = ("catalog", "catalog.schema", "catalog.schema.table")[DEPTH[securable] - 1]
            raise BadRequest(f"a {securable.value} is named {shape}; {raw!r} is not")
        return name

    @property
    def securable(self) -> Securable:
        return (Securable.CATALOG, Securable.SCHEMA, Securable.TABLE)[len(self.parts) - 1]

    @property
    def full_name(self) -> str:
        return ".".join(self.parts)

    @property
    def catalog(self) -> str:
        return self.parts[0]

    @property
    def parent(self) -> ObjectName | None:
        return ObjectName(self.parts[:-1]) if len(self.parts) > 1 else None

    @property
    def leaf(self) -> str:
        return self.parts[-1]

    def __str__(self) -> str:
        return self.full_name


def parse_securable(text: str) -> Securable:
    try:
        return Securable(text.strip().lower())
    except ValueError:
        raise BadRequest(f"unknown securable type {text!r}: use catalog, schema or table") from None


def privilege(text: str, securable: Securable) -> str:
    """A privilege as the API names it (``USE_SCHEMA``), checked against ``securable``."""
    name = re.sub(r"[\s_]+", "_", text.strip().upper())
    if name == "ALL":
        name = "ALL_PRIVILEGES"
    if name not in ALL_PRIVILEGE_NAMES:
        raise BadRequest(
            f"unknown privilege {text!r}; Unity Catalog privileges are "
            f"{', '.join(ALL_PRIVILEGE_NAMES)}"
        )
    if name not in PRIVILEGES[securable]:
        raise BadRequest(
            f"{name} cannot be granted on a {securable.value}; on a {securable.value} use "
            f"{', '.join(PRIVILEGES[securable])}"
        )
    return name


def sql_privilege(name: str) -> str:
    """``USE_SCHEMA`` as Databricks SQL writes it: ``USE SCHEMA``."""
    return name.replace("_", " ")


def principal_name(text: str) -> str:
    """A user, group or service principal as written; backticks and spaces trimmed."""
    name = (text or "").strip().strip("`").strip()
    if not name or len(name) > 255 or any(c in name for c in "`\n\r\t"):
        raise BadRequest(
            f"{text!r} is not a valid principal: give a user (alice@example.com), "
            "a group (analysts) or a service principal's application id"
        )
    return name
