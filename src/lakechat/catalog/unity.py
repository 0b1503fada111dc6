"""Databricks Unity Catalog through databricks-sdk (extra ``databricks``).

Reads and most changes are Unity Catalog REST calls through ``WorkspaceClient``: catalogs,
schemas and tables (list, get, create, update owner and comment, delete), grants
(``w.grants``), tags (``w.entity_tag_assignments``). What the REST API cannot do (create a
managed table, comment a table) runs as the statement itself on the SQL warehouse
``DATABRICKS_WAREHOUSE_ID`` through the Statement Execution API. Databricks decides who may
do what: its refusals come back as 403 with Databricks' own message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from lakechat.catalog.base import ColumnInfo, ObjectInfo, PrivilegeAssignment
from lakechat.catalog.changes import (
    Change,
    Create,
    Drop,
    Grant,
    Revoke,
    SetComment,
    SetOwner,
    SetTags,
    UnsetTags,
)
from lakechat.catalog.names import ObjectName, Securable
from lakechat.errors import (
    BadRequest,
    ConfigurationError,
    Conflict,
    DependencyUnavailable,
    LakechatError,
    NotFound,
    PermissionDenied,
    QueryFailed,
)
from lakechat.security.principals import Principal
from lakechat.settings import Settings

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

T = TypeVar("T")
_TAG_ENTITY = {
    Securable.CATALOG: "catalogs",
    Securable.SCHEMA: "schemas",
    Securable.TABLE: "tables",
}
#: how long a CREATE TABLE or COMMENT statement may take on the warehouse
STATEMENT_WAIT = "30s"
#: how long one Unity Catalog call may retry before it fails
RETRY_SECONDS = 30
#: SQLSTATEs of a failed statement -> the error lakechat reports
_SQL_STATES: dict[str, type[LakechatError]] = {
    "42704": NotFound, "42P01": NotFound, "42P07": Conflict, "42711": BadRequest, "42501": PermissionDenied,
}  # fmt: skip


class UnityCatalog:
    kind: ClassVar[str] = "unity"
    KNOWS_PRINCIPALS: ClassVar[bool] = False

    def __init__(self, client: WorkspaceClient, warehouse_id: str | None) -> None:
        self.w = client
        self.warehouse_id = warehouse_id

    @classmethod
    def from_settings(cls, settings: Settings) -> UnityCatalog:
        try:
            from databricks.sdk import WorkspaceClient
        except ImportError as exc:  # pragma: no cover - the extra is installed in tests
            raise ConfigurationError(
                "CATALOG_PROVIDER=unity needs the databricks extra: pip install 'lakechat[databricks]'"
            ) from exc
        from databricks.sdk.config import Config

        assert settings.databricks_token is not None
        # the SDK retries an unreachable host, a 429 or a 503 for five minutes by default;
        # a catalog request gives up sooner and says Databricks cannot be reached
        config = Config(
            host=settings.databricks_host,
            token=settings.databricks_token.get_secret_value(),
            auth_type="pat",
            retry_timeout_seconds=RETRY_SECONDS,
            http_timeout_seconds=RETRY_SECONDS,
        )
        return cls(WorkspaceClient(config=config), settings.databricks_warehouse_id)

    # reading ----------------------------------------------------------------------
    def list_catalogs(self) -> list[ObjectInfo]:
        return self._call(
            lambda: [_info(ObjectName.parse(c.name or ""), c) for c in self.w.catalogs.list()]
        )

    def list_schemas(self, catalog: str) -> list[ObjectInfo]:
        name = ObjectName.parse(catalog, Securable.CATALOG)
        return self._call(lambda: [
            _info(ObjectName.parse(s.full_name or ""), s) for s in self.w.schemas.list(catalog_name=name.catalog)
        ])  # fmt: skip

    def list_tables(self, catalog: str, schema: str) -> list[ObjectInfo]:
        name = ObjectName.parse(f"{catalog}.{schema}", Securable.SCHEMA)
        return self._call(lambda: [
            _table(t) for t in self.w.tables.list(catalog_name=name.parts[0], schema_name=name.parts[1])
        ])  # fmt: skip

    def get(self, name: ObjectName) -> ObjectInfo:
        def read() -> ObjectInfo:
            if name.securable is Securable.CATALOG:
                info = _info(name, self.w.catalogs.get(name.full_name))
            elif name.securable is Securable.SCHEMA:
                info = _info(name, self.w.schemas.get(name.full_name))
            else:
                info = _table(self.w.tables.get(name.full_name))
            tags = {
                t.tag_key: t.tag_value or ""
                for t in self.w.entity_tag_assignments.list(
                    _TAG_ENTITY[name.securable], name.full_name
                )
            }
            return _with_tags(info, tags)

        return self._call(read)

    def exists(self, name: ObjectName) -> bool:
        try:
            self.get(name)
        except NotFound:
            return False
        return True

    def grants(self, name: ObjectName) -> list[PrivilegeAssignment]:
        found = self._call(lambda: self.w.grants.get(name.securable.value, name.full_name))
        return [
            PrivilegeAssignment(
                a.principal or "", tuple(sorted(_privilege(p) for p in a.privileges or ()))
            )
            for a in found.privilege_assignments or ()
        ]

    def principals(self) -> list[str]:
        return []

    def is_principal(self, name: str) -> bool:
        return True  # Unity Catalog refuses an unknown principal itself, in its own words

    def readable_patterns(self, principal: Principal) -> tuple[str, ...]:
        return ()  # Databricks enforces Unity Catalog grants on its own warehouse

    # changes ----------------------------------------------------------------------
    def apply(self, change: Change, *, actor: str) -> None:
        self._call(lambda: self._apply(change))

    def _apply(self, change: Change) -> None:
        from databricks.sdk.service.catalog import EntityTagAssignment, PermissionsChange, Privilege

        name, securable = change.name, change.securable
        api: Any = {Securable.CATALOG: self.w.catalogs, Securable.SCHEMA: self.w.schemas,
                    Securable.TABLE: self.w.tables}[securable]  # fmt: skip
        if isinstance(change, Create):
            if securable is Securable.CATALOG:
                self.w.catalogs.create(name=name.leaf, comment=change.comment)
            elif securable is Securable.SCHEMA:
                self.w.schemas.create(
                    name=name.leaf, catalog_name=name.catalog, comment=change.comment
                )
            else:
                self._statement(change.sql())
        elif isinstance(change, Drop):
            if securable is Securable.TABLE:
                self.w.tables.delete(name.full_name)
            else:
                api.delete(name.full_name, force=change.cascade or None)
        elif isinstance(change, SetComment):
            if securable is Securable.TABLE:
                self._statement(change.sql())
            else:
                api.update(name.full_name, comment=change.comment or "")
        elif isinstance(change, SetOwner):
            api.update(name.full_name, owner=change.owner)
        elif isinstance(change, SetTags):
            entity = _TAG_ENTITY[securable]
            held = {t.tag_key for t in self.w.entity_tag_assignments.list(entity, name.full_name)}
            for key, value in change.tags:
                tag = EntityTagAssignment(entity_name=name.full_name, tag_key=key, entity_type=entity,
                                          tag_value=value or None)  # fmt: skip
                if key in held:
                    self.w.entity_tag_assignments.update(
                        entity, name.full_name, key, tag, update_mask="tag_value"
                    )
                else:
                    self.w.entity_tag_assignments.create(tag)
        elif isinstance(change, UnsetTags):
            for key in change.keys:
                self.w.entity_tag_assignments.delete(_TAG_ENTITY[securable], name.full_name, key)
        elif isinstance(change, Grant):
            privileges = [Privilege(p) for p in change.privileges]
            if isinstance(change, Revoke):
                update = PermissionsChange(principal=change.principal, remove=privileges)
            else:
                update = PermissionsChange(principal=change.principal, add=privileges)
            self.w.grants.update(securable.value, name.full_name, changes=[update])
        else:  # pragma: no cover - every Change subclass is handled above
            raise BadRequest(f"Unity Catalog cannot {change.action}")

    def _statement(self, sql: str) -> None:
        from databricks.sdk.service.sql import StatementState

        if not self.warehouse_id:
            raise ConfigurationError(
                "creating a table or commenting one on Unity Catalog runs SQL: set DATABRICKS_WAREHOUSE_ID"
            )
        response = self.w.statement_execution.execute_statement(
            statement=sql, warehouse_id=self.warehouse_id, wait_timeout=STATEMENT_WAIT
        )
        state = response.status.state if response.status else None
        if state != StatementState.SUCCEEDED:
            error = response.status.error if response.status else None
            message = (error.message if error else None) or f"the statement ended {state}"
            sql_state = (response.status.sql_state if response.status else None) or ""
            raise _SQL_STATES.get(sql_state, QueryFailed)(f"Databricks: {message}")

    def _call(self, fn: Callable[[], T]) -> T:
        with _databricks_errors():
            return fn()


@contextmanager
def _databricks_errors() -> Iterator[None]:
    """Databricks' refusals in lakechat's error tree, with Databricks' own message."""
    from databricks.sdk import errors
    from databricks.sdk.errors.base import DatabricksError

    try:
        yield
    except errors.NotFound as exc:
        raise NotFound(f"Databricks: {_said(exc)}") from None
    except errors.PermissionDenied as exc:
        raise PermissionDenied(f"Databricks refused: {_said(exc)}") from None
    except (errors.ResourceAlreadyExists, errors.AlreadyExists) as exc:
        raise Conflict(f"Databricks: {_said(exc)}") from None
    except (errors.InvalidParameterValue, errors.BadRequest) as exc:
        raise BadRequest(f"Databricks: {_said(exc)}") from None
    except DatabricksError as exc:
        raise DependencyUnavailable("unity catalog", _said(exc)) from None


def _said(exc: Exception) -> str:
    """Databricks' own message, without the client configuration the SDK appends to it."""
    return str(exc).split(" Config: ", 1)[0].strip()


def _when(ms: int | None) -> datetime | None:
    return datetime.fromtimestamp(ms / 1000, tz=UTC) if ms else None


def _info(name: ObjectName, found: Any) -> ObjectInfo:
    return ObjectInfo(name, owner=found.owner, comment=found.comment or None,
                      created_at=_when(found.created_at), created_by=found.created_by)  # fmt: skip


def _table(found: Any) -> ObjectInfo:
    columns = tuple(
        ColumnInfo(
            c.name or "", (c.type_text or "").upper(), c.comment or None, c.nullable is not False
        )
        for c in sorted(found.columns or (), key=lambda c: c.position or 0)
    )
    table_type = found.table_type.value if found.table_type is not None else None
    source_format = found.data_source_format.value if found.data_source_format is not None else None
    return ObjectInfo(
        ObjectName.parse(found.full_name or ""),
        owner=found.owner,
        comment=found.comment or None,
        created_at=_when(found.created_at),
        created_by=found.created_by,
        table_type=table_type,
        data_source_format=source_format,
        columns=columns,
    )


def _with_tags(info: ObjectInfo, tags: dict[str, str]) -> ObjectInfo:
    from dataclasses import replace

    return replace(info, tags=tags)


def _privilege(value: Any) -> str:
    return str(getattr(value, "value", value))
