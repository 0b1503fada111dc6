"""Changes from the API's JSON, with ``catalog.schema.*`` standing for every table of a schema
and ``catalog.*`` for every schema of a catalog ("grant SELECT on every table in main.sales")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lakechat.catalog.base import Catalog
from lakechat.catalog.changes import Change, parse_change
from lakechat.catalog.names import ObjectName, Securable
from lakechat.errors import BadRequest

#: one proposal holds at most this many statements
MAX_CHANGES = 10_000


def expand(catalog: Catalog, bodies: Sequence[Mapping[str, Any]]) -> list[Change]:
    changes: list[Change] = []
    for body in bodies:
        name = str(body.get("name", "")) if isinstance(body, Mapping) else ""
        if name.strip().endswith(".*"):
            if body.get("action") in ("create", "drop"):
                raise BadRequest(
                    "create and drop name one object each; a `.*` name is for grants, owners, comments and tags"
                )
            parent = ObjectName.parse(name.strip()[:-2])
            if parent.securable is Securable.TABLE:
                raise BadRequest(f"{name!r}: a table holds no objects to change")
            children = (catalog.list_schemas(parent.catalog) if parent.securable is Securable.CATALOG
                        else catalog.list_tables(*parent.parts))  # fmt: skip
            children = [c for c in children if c.name.leaf != "information_schema"]
            if not children:
                raise BadRequest(f"{parent.securable.value} {parent} holds nothing to change")
            changes += [
                parse_change({**body, "name": c.name.full_name, "securable": None})
                for c in children
            ]
        else:
            changes.append(parse_change(body))
        if len(changes) > MAX_CHANGES:
            raise BadRequest(f"one proposal holds at most {MAX_CHANGES} statements")
    return changes
