"""What the fake metastore holds: catalogs, schemas, tables, their grants and tags.

One ``UnityState`` per fake, guarded by one re-entrant lock that the server holds for the
whole of each request, so every request sees and leaves a consistent metastore. Names are
kept in lower case, as Unity Catalog keeps them, and looked up case-insensitively.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from tests.catalog.fake_unity.column_types import ColumnType
from tests.catalog.fake_unity.errors import already_exists, invalid, not_found, permission_denied

ADMIN = "admin@example.com"
#: principals every fake knows unless told otherwise (users, groups, service principals)
DEFAULT_PRINCIPALS = frozenset(
    {
        ADMIN,
        "analyst@example.com",
        "account users",
        "admins",
        "analysts",
        "engineers",
        "data_stewards",
        "etl-service-principal",
    }
)
#: characters Unity Catalog refuses in a catalog, schema or table name
_FORBIDDEN_IN_NAMES = frozenset("./ ")


class Kind(StrEnum):
    CATALOG = "catalog"
    SCHEMA = "schema"
    TABLE = "table"


#: a full name's number of parts says what it names
DEPTH = {Kind.CATALOG: 1, Kind.SCHEMA: 2, Kind.TABLE: 3}
KIND_OF_DEPTH = {depth: kind for kind, depth in DEPTH.items()}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    nullable: bool = True
    comment: str | None = None


@dataclass
class MutableTag:
    value: str | None
    update_time: str  # RFC 3339, as the SDK's Timestamp reads it
    updated_by: str


@dataclass
class MutableSecurable:
    """A catalog, schema or table (a view is a table whose ``table_type`` is VIEW)."""

    kind: Kind
    full_name: str
    owner: str
    created_at: int  # milliseconds since the epoch, as Unity Catalog reports it
    created_by: str
    updated_at: int
    updated_by: str
    comment: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    grants: dict[str, set[str]] = field(default_factory=dict)  # principal -> privileges
    properties: dict[str, str] = field(default_factory=dict)
    catalog_type: str = "MANAGED_CATALOG"
    table_type: str = "MANAGED"
    data_source_format: str | None = "DELTA"
    columns: tuple[Column, ...] = ()
    view_definition: str | None = None

    @property
    def parts(self) -> list[str]:
        return self.full_name.split(".")

    @property
    def name(self) -> str:
        return self.parts[-1]

    def touch(self, by: str, now: int) -> None:
        self.updated_at, self.updated_by = now, by


class UnityState:
    """The metastore, plus what the test switched on: denials and the principals it knows."""

    def __init__(
        self,
        *,
        current_user: str = ADMIN,
        principals: frozenset[str] | set[str] = DEFAULT_PRINCIPALS,
        page_size: int = 50,
    ) -> None:
        self.lock = threading.RLock()
        self.current_user = current_user
        self.principals: set[str] = set(principals) | {current_user}
        self.page_size = page_size
        self.metastore_id = str(uuid.uuid4())
        self.objects: dict[str, MutableSecurable] = {}
        #: tags per entity full name (a column's is ``catalog.schema.table.column``)
        self.tags: dict[str, dict[str, MutableTag]] = {}
        #: full names the token may not change (an owner, a grant, a tag, a drop ...)
        self.protected: set[str] = set()
        #: statement id -> the StatementResponse it got
        self.statements: dict[str, dict[str, object]] = {}

    @staticmethod
    def now() -> int:
        return int(time.time() * 1000)

    # reading ----------------------------------------------------------------------
    def find(self, full_name: str) -> MutableSecurable | None:
        return self.objects.get(full_name.lower())

    def get(self, kind: Kind, full_name: str) -> MutableSecurable:
        """The securable, or the 404 that names the first missing part of its name."""
        parts = full_name.lower().split(".")
        if len(parts) != DEPTH[kind] or not all(parts):
            raise invalid(f"Invalid {kind} name '{full_name}'.")
        for depth in range(1, len(parts) + 1):
            prefix = ".".join(parts[:depth])
            if prefix not in self.objects:
                raise not_found(KIND_OF_DEPTH[depth], prefix)
        return self.objects[".".join(parts)]

    def children(self, parent: str) -> list[MutableSecurable]:
        depth = parent.count(".") + 2 if parent else 1
        prefix = f"{parent.lower()}." if parent else ""
        return sorted(
            (
                o
                for n, o in self.objects.items()
                if n.startswith(prefix) and n.count(".") + 1 == depth
            ),
            key=lambda o: o.full_name,
        )

    def is_principal(self, name: str) -> bool:
        return name in self.principals

    # changing ---------------------------------------------------------------------
    def add(
        self,
        kind: Kind,
        full_name: str,
        *,
        comment: str | None = None,
        owner: str | None = None,
        **details: object,
    ) -> MutableSecurable:
        """A new securable under an existing parent (404 without one, 409 if taken)."""
        parts = full_name.lower().split(".")
        if len(parts) != DEPTH[kind]:
            raise invalid(f"Invalid {kind} name '{full_name}'.")
        for part in parts:
            if not part or _FORBIDDEN_IN_NAMES & set(part) or len(part) > 255:
                raise invalid(
                    f"Invalid name '{part}': names may not be empty or longer than 255 "
                    "characters, nor contain a period, a space or a forward slash."
                )
        if len(parts) > 1:
            self.get(KIND_OF_DEPTH[len(parts) - 1], ".".join(parts[:-1]))
        name = ".".join(parts)
        if name in self.objects:
            raise already_exists(kind, name)
        now = self.now()
        created = MutableSecurable(
            kind,
            name,
            owner=owner or self.current_user,
            created_at=now,
            created_by=self.current_user,
            updated_at=now,
            updated_by=self.current_user,
            comment=comment or None,
        )
        for key, value in details.items():
            if not hasattr(created, key):
                raise TypeError(f"a securable has no field {key!r}")
            setattr(created, key, value)
        self.objects[name] = created
        return created

    def remove(self, target: MutableSecurable) -> None:
        """The securable and everything under it, with their tags."""
        prefix = target.full_name + "."
        for name in [n for n in self.objects if n == target.full_name or n.startswith(prefix)]:
            del self.objects[name]
        for entity in [e for e in self.tags if e == target.full_name or e.startswith(prefix)]:
            del self.tags[entity]

    def rename(self, target: MutableSecurable, new_full_name: str) -> None:
        """``target`` and everything under it (with their tags) under a new name."""
        old = target.full_name

        def inside(name: str) -> bool:
            return name == old or name.startswith(old + ".")

        for name in [n for n in self.objects if inside(n)]:
            moved = self.objects.pop(name)
            moved.full_name = new_full_name + name[len(old) :]
            self.objects[moved.full_name] = moved
        for name in [n for n in self.tags if inside(n)]:
            self.tags[new_full_name + name[len(old) :]] = self.tags.pop(name)

    def check_may_change(self, target: MutableSecurable, refusal: str) -> None:
        """403 when the test protected ``target``; ``refusal`` is Databricks' message."""
        if target.full_name in self.protected:
            raise permission_denied(refusal)


def owner_refusal(target: MutableSecurable) -> str:
    return f"User is not an owner of {target.kind.value.title()} '{target.full_name}'."


def privilege_refusal(privilege: str, target: MutableSecurable) -> str:
    return f"User does not have {privilege} on {target.kind.value.title()} '{target.full_name}'."
