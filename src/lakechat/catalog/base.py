"""The catalog protocol every provider implements, and what it returns.

Two providers: ``embedded`` (the DuckDB lakehouse, governance kept in the state store) and
``unity`` (Databricks Unity Catalog through databricks-sdk). Both read and change the same
objects the same way, so one conformance suite checks both.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from lakechat.catalog.changes import Change
from lakechat.catalog.names import ObjectName, Securable
from lakechat.security.principals import Principal


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str
    comment: str | None = None
    nullable: bool = True


@dataclass(frozen=True)
class ObjectInfo:
    """A catalog, schema or table with its governance."""

    name: ObjectName
    owner: str | None = None
    comment: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    created_by: str | None = None
    #: tables only
    table_type: str | None = None
    data_source_format: str | None = None
    columns: tuple[ColumnInfo, ...] = ()

    @property
    def securable(self) -> Securable:
        return self.name.securable

    def as_json(self, *, columns: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name.leaf,
            "full_name": self.name.full_name,
            "type": self.securable.value,
            "owner": self.owner,
            "comment": self.comment,
            "tags": dict(self.tags),
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "created_by": self.created_by,
        }
        if len(self.name.parts) > 1:
            body["catalog_name"] = self.name.parts[0]
        if len(self.name.parts) > 2:
            body["schema_name"] = self.name.parts[1]
        if self.securable is Securable.TABLE:
            body["table_type"] = self.table_type
            body["data_source_format"] = self.data_source_format
            if columns:
                body["columns"] = [asdict(c) for c in self.columns]
        return body


@dataclass(frozen=True)
class PrivilegeAssignment:
    principal: str
    privileges: tuple[str, ...]
    #: where the grant was made when it is inherited from a catalog or schema
    inherited_from: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "principal": self.principal,
            "privileges": list(self.privileges),
            "inherited_from": self.inherited_from,
        }


class Catalog(Protocol):
    """Read and change catalogs, schemas and tables, their owners, comments, tags and grants."""

    kind: ClassVar[str]
    #: whether ``principals()`` lists every principal, so an unknown one can be refused
    #: before a change is confirmed (Unity Catalog decides that itself)
    KNOWS_PRINCIPALS: ClassVar[bool]

    def list_catalogs(self) -> list[ObjectInfo]: ...

    def list_schemas(self, catalog: str) -> list[ObjectInfo]:
        """Raises NotFound for an unknown catalog."""
        ...

    def list_tables(self, catalog: str, schema: str) -> list[ObjectInfo]:
        """Raises NotFound for an unknown catalog or schema."""
        ...

    def get(self, name: ObjectName) -> ObjectInfo:
        """A catalog, schema or table by its name; NotFound when it does not exist."""
        ...

    def exists(self, name: ObjectName) -> bool: ...

    def grants(self, name: ObjectName) -> list[PrivilegeAssignment]:
        """The grants made on the object itself (NotFound when it does not exist)."""
        ...

    def is_principal(self, name: str) -> bool:
        """Whether a user, group or service principal of this name is known."""
        ...

    def principals(self) -> list[str]:
        """The known groups and users (for messages and suggestions)."""
        ...

    def readable_patterns(self, principal: Principal) -> tuple[str, ...]:
        """Tables the catalog's grants let ``principal`` read through lakechat's SQL guard,
        as allow-list patterns (empty where the warehouse enforces grants itself)."""
        ...

    def apply(self, change: Change, *, actor: str) -> None:
        """Carry out one change; raises BadRequest, NotFound, Conflict or PermissionDenied."""
        ...
