"""Finding objects across the catalog: by name, comment or tag, and tables without an owner."""

from __future__ import annotations

from collections.abc import Iterator

from lakechat.catalog.base import Catalog, ObjectInfo
from lakechat.catalog.names import ObjectName, Securable

#: a search answers with at most this many objects
SEARCH_LIMIT = 200


def walk(catalog: Catalog, under: ObjectName | None = None) -> Iterator[ObjectInfo]:
    """Every catalog, schema and table (under ``under`` when given), parents first."""
    catalogs = [catalog.get(ObjectName(under.parts[:1]))] if under else catalog.list_catalogs()
    for cat in catalogs:
        if under is None or len(under.parts) == 1:
            yield cat
        schemas = catalog.list_schemas(cat.name.catalog)
        if under is not None and len(under.parts) > 1:
            schemas = [s for s in schemas if s.name.parts[1] == under.parts[1]]
        for schema in schemas:
            if under is None or len(under.parts) <= 2:
                yield schema
            for table in catalog.list_tables(*schema.name.parts):
                if under is None or len(under.parts) < 3 or table.name == under:
                    yield table


def search(catalog: Catalog, text: str, *, securable: Securable | None = None,
           limit: int = SEARCH_LIMIT) -> list[ObjectInfo]:  # fmt: skip
    """Objects whose name, comment, a column's name, or a tag (name or value) holds ``text``
    (case-insensitive); names first."""
    needle = text.strip().lower()
    by_name: list[ObjectInfo] = []
    by_other: list[ObjectInfo] = []
    for info in walk(catalog):
        if securable is not None and info.securable is not securable:
            continue
        if needle in info.name.full_name:
            by_name.append(info)
        elif (needle in (info.comment or "").lower()
              or any(needle in k.lower() or needle in v.lower() for k, v in info.tags.items())
              or any(needle in c.name.lower() or needle in (c.comment or "").lower() for c in info.columns)):  # fmt: skip
            by_other.append(info)
        if len(by_name) >= limit:
            break
    return (by_name + by_other)[:limit]


def without_owner(catalog: Catalog, securable: Securable = Securable.TABLE,
                  under: ObjectName | None = None) -> list[ObjectInfo]:  # fmt: skip
    return [i for i in walk(catalog, under) if i.securable is securable and not i.owner]
