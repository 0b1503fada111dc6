"""The embedded catalog: the DuckDB lakehouse's objects with governance from the state store.

Catalogs are the lakehouse's files, schemas and tables what DuckDB holds in them; owners,
comments, tags, grants and groups live in the state store. Grants are enforced: they decide
which tables a principal's raw SQL may read (``readable_patterns``), as Unity Catalog's
rules say (USE_CATALOG and USE_SCHEMA to reach a table, SELECT on it or inherited from its
schema or catalog, ALL_PRIVILEGES for everything, an owner holding every privilege).
"""

from __future__ import annotations

import difflib
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from sqlglot import exp

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
from lakechat.catalog.governance import Governance, GovernanceStore
from lakechat.catalog.lakehouse_files import LakehouseFiles, Snapshot, read_governance_seed
from lakechat.catalog.names import ObjectName, Securable
from lakechat.errors import BadRequest, Conflict, NotFound
from lakechat.security.principals import Principal
from lakechat.store.database import StateStore

#: every principal belongs to this group, as on Databricks
ACCOUNT_USERS = "account users"
#: who owns Databricks' built-in catalogs (samples, system)
SYSTEM_USER = "System user"
#: groups the demo's stories use, known from the start
DEMO_GROUPS = ("analysts", "engineers", "data_stewards")
#: how long enforcement reuses a read of the governance tables (a change made in this
#: process clears it at once; one made by another process is seen within this)
GOVERNANCE_TTL_SECONDS = 2.0


class EmbeddedCatalog:
    kind: ClassVar[str] = "embedded"
    KNOWS_PRINCIPALS: ClassVar[bool] = True

    def __init__(self, lakehouse_dir: Path, store: StateStore) -> None:
        self.files = LakehouseFiles(lakehouse_dir)
        self.governance = GovernanceStore(store)
        self._lock = threading.Lock()
        self._cached: tuple[float, Governance] | None = None
        self._seeded = False
        self._principals: tuple[float, frozenset[str]] | None = None

    # reading ----------------------------------------------------------------------
    def _ensure_seeded(self) -> None:
        if not self._seeded:
            self._seeded = True
            self.seed_from_lakehouse(DEMO_GROUPS)

    def _state(self, *, cached_ok: bool = False) -> tuple[Snapshot, Governance]:
        """The lakehouse and its governance; reads see every change at once, even one made
        by another process; ``cached_ok`` (enforcement on each SQL request) may reuse a read
        up to GOVERNANCE_TTL_SECONDS old."""
        self._ensure_seeded()
        with self._lock:
            cached = self._cached
        if not cached_ok or cached is None or time.monotonic() - cached[0] > GOVERNANCE_TTL_SECONDS:
            cached = (time.monotonic(), self.governance.read())
            with self._lock:
                self._cached = cached
        return self.files.snapshot(), cached[1]

    def _changed(self) -> None:
        with self._lock:
            self._cached = None

    def _info(self, name: ObjectName, gov: Governance, **table: object) -> ObjectInfo:
        meta = gov.metadata.get(name.full_name)
        return ObjectInfo(
            name,
            owner=meta.owner if meta else None,
            comment=meta.comment if meta else None,
            tags=dict(gov.tags.get(name.full_name, {})),
            created_at=meta.created_at if meta else None,
            created_by=meta.created_by if meta else None,
            **table,  # type: ignore[arg-type]
        )

    def list_catalogs(self) -> list[ObjectInfo]:
        snap, gov = self._state()
        return [self._info(ObjectName((c,)), gov) for c in snap.catalogs]

    def list_schemas(self, catalog: str) -> list[ObjectInfo]:
        name = ObjectName.parse(catalog, Securable.CATALOG)
        snap, gov = self._state()
        self._require(name, snap)
        return [self._info(ObjectName((name.catalog, s)), gov) for s in snap.schemas[name.catalog]]

    def list_tables(self, catalog: str, schema: str) -> list[ObjectInfo]:
        name = ObjectName.parse(f"{catalog}.{schema}", Securable.SCHEMA)
        snap, gov = self._state()
        self._require(name, snap)
        stored = snap.tables.get((name.parts[0], name.parts[1]), ())
        return [self._table(ObjectName((*name.parts, t.name)), snap, gov) for t in stored]

    def _table(self, name: ObjectName, snap: Snapshot, gov: Governance) -> ObjectInfo:
        stored = next(t for t in snap.tables[(name.parts[0], name.parts[1])] if t.name == name.leaf)
        columns = tuple(
            ColumnInfo(c.name, c.type, _column_comment(gov, name, c), c.nullable)
            for c in stored.columns
        )
        return self._info(
            name, gov, table_type=stored.table_type, data_source_format="DUCKDB", columns=columns
        )

    def get(self, name: ObjectName) -> ObjectInfo:
        snap, gov = self._state()
        self._require(name, snap)
        if name.securable is Securable.TABLE:
            return self._table(name, snap, gov)
        return self._info(name, gov)

    def exists(self, name: ObjectName) -> bool:
        return _exists(name, self.files.snapshot())

    def _require(self, name: ObjectName, snap: Snapshot) -> None:
        for depth in range(1, len(name.parts) + 1):
            part = ObjectName(name.parts[:depth])
            if not _exists(part, snap):
                siblings = (
                    _children(ObjectName(name.parts[: depth - 1]), snap)
                    if depth > 1
                    else list(snap.catalogs)
                )
                close = difflib.get_close_matches(part.leaf, siblings, n=1)
                hint = (
                    f"; did you mean {'.'.join((*name.parts[: depth - 1], close[0]))}?"
                    if close
                    else ""
                )
                raise NotFound(f"{part.securable.value} {part} does not exist{hint}")

    def grants(self, name: ObjectName) -> list[PrivilegeAssignment]:
        snap, gov = self._state()
        self._require(name, snap)
        return [
            PrivilegeAssignment(p, privs) for p, privs in gov.grants.get(name.full_name, {}).items()
        ]

    def principals(self) -> list[str]:
        _, gov = self._state()
        owners = {m.owner for m in gov.metadata.values() if m.owner}
        return sorted({ACCOUNT_USERS, *self.governance.groups(), *self.governance.users(), *owners})

    def is_principal(self, name: str) -> bool:
        return name in self.principals()

    # enforcement ------------------------------------------------------------------
    def readable_patterns(self, principal: Principal) -> tuple[str, ...]:
        """The tables ``principal`` may SELECT under its grants, as allow-list patterns."""
        snap, gov = self._state(cached_ok=True)
        who = {principal.name, ACCOUNT_USERS, *principal.groups}

        def holds(full_name: str, *wanted: str) -> bool:
            meta = gov.metadata.get(full_name)
            if meta is not None and meta.owner in who:
                return True
            by = gov.grants.get(full_name, {})
            return any(p in wanted or p == "ALL_PRIVILEGES" for w in who for p in by.get(w, ()))

        patterns: list[str] = []
        for catalog in snap.catalogs:
            if not holds(catalog, "USE_CATALOG"):
                continue
            for schema in snap.schemas.get(catalog, ()):
                full = f"{catalog}.{schema}"
                if not (holds(catalog, "USE_SCHEMA") or holds(full, "USE_SCHEMA")):
                    continue
                if holds(catalog, "SELECT") or holds(full, "SELECT"):
                    patterns.append(f"{full}.*")
                    continue
                patterns += [f"{full}.{t.name}" for t in snap.tables.get((catalog, schema), ())
                             if holds(f"{full}.{t.name}", "SELECT")]  # fmt: skip
        return tuple(patterns)

    # changes ----------------------------------------------------------------------
    def apply(self, change: Change, *, actor: str) -> None:
        self._ensure_seeded()
        snap = self.files.snapshot()
        name = change.name
        try:
            if isinstance(change, Create):
                self._create(change, snap, actor)
            elif isinstance(change, Drop):
                self._drop(change, snap)
            else:
                self._require(name, snap)
                self._govern(change)
        finally:
            self._changed()

    def _govern(self, change: Change) -> None:
        full = change.name.full_name
        if isinstance(change, SetComment):
            self.governance.set_comment(full, change.comment)
        elif isinstance(change, SetTags):
            self.governance.set_tags(full, change.tags)
        elif isinstance(change, UnsetTags):
            self.governance.unset_tags(full, change.keys)
        elif isinstance(change, SetOwner):
            self._known(change.owner)
            self.governance.set_owner(full, change.owner)
        elif isinstance(change, Revoke):
            self._known(change.principal)
            self.governance.revoke(full, change.principal, change.privileges)
        elif isinstance(change, Grant):
            self._known(change.principal)
            self.governance.grant(full, change.principal, change.privileges)
        else:  # pragma: no cover - every Change subclass is handled above
            raise BadRequest(f"the embedded catalog cannot {change.action}")

    def _known(self, principal: str) -> None:
        with self._lock:
            recent = self._principals
        if (
            recent is not None
            and time.monotonic() - recent[0] <= GOVERNANCE_TTL_SECONDS
            and principal in recent[1]
        ):
            return  # a batch checks the same principal hundreds of times
        known = self.principals()
        with self._lock:
            self._principals = (time.monotonic(), frozenset(known))
        if principal not in known:
            close = difflib.get_close_matches(principal, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise BadRequest(
                f"unknown principal {principal!r}: {hint}known principals are "
                f"{', '.join(known)} (a group is known once it is created or an API key "
                "belongs to it)"
            )

    def _create(self, change: Create, snap: Snapshot, actor: str) -> None:
        name = change.name
        if _exists(name, snap):
            raise Conflict(f"{name.securable.value} {name} already exists")
        if name.parent is not None:
            self._require(name.parent, snap)
        if name.leaf == "information_schema":
            raise BadRequest("information_schema is reserved for the catalog's own metadata")
        if name.securable is Securable.CATALOG:
            self.files.create_catalog(name.catalog)
        elif name.securable is Securable.SCHEMA:
            self.files.run(name.catalog, [f"CREATE SCHEMA {_ident(name.leaf)}"])
        else:
            columns = ", ".join(
                f"{_ident(c.name)} {exp.DataType.build(c.type, dialect='databricks').sql('duckdb')}"
                for c in change.columns
            )
            self.files.run(
                name.catalog,
                [f"CREATE TABLE {_ident(name.parts[1])}.{_ident(name.leaf)} ({columns})"],
            )
        self.governance.created(name.full_name, owner=actor, comment=change.comment)
        for column in change.columns:
            if column.comment:
                self.governance.set_comment(f"{name.full_name}.{column.name}", column.comment)

    def _drop(self, change: Drop, snap: Snapshot) -> None:
        name = change.name
        self._require(name, snap)
        inside = _children(name, snap) if name.securable is not Securable.TABLE else []
        if inside and not change.cascade:
            shown = ", ".join(inside[:5]) + (
                f" and {len(inside) - 5} more" if len(inside) > 5 else ""
            )
            raise BadRequest(
                f"{name.securable.value} {name} is not empty (it holds {shown}); drop it with "
                "cascade to drop everything in it too"
            )
        if name.securable is Securable.CATALOG:
            self.files.drop_catalog(name.catalog)
        elif name.securable is Securable.SCHEMA:
            self.files.run(name.catalog, [f"DROP SCHEMA {_ident(name.leaf)} CASCADE"])
        else:
            stored = next(
                t for t in snap.tables[(name.parts[0], name.parts[1])] if t.name == name.leaf
            )
            kind = "VIEW" if stored.table_type == "VIEW" else "TABLE"
            self.files.run(
                name.catalog, [f"DROP {kind} {_ident(name.parts[1])}.{_ident(name.leaf)}"]
            )
        self.governance.forget(name.full_name)

    def seed_from_lakehouse(self, groups: Iterable[str] = ()) -> int:
        """Take owners and schema grants from the lakehouse's system.information_schema
        (what the demo's platform data says), once: a store that already holds governance
        is left as it is. Returns how many objects were seeded."""
        seed = read_governance_seed(self.files)
        if seed is None or self.governance.read().metadata:
            return 0
        snap = self.files.snapshot()
        seeded = 0
        for full_name, (owner, created_by, created) in seed.owners.items():
            if _exists(ObjectName(tuple(full_name.split("."))), snap):
                self.governance.seed(
                    full_name, owner=owner, created_by=created_by, created_at=created
                )
                seeded += 1
        # as on Databricks: the built-in catalogs belong to "System user", the others to
        # the workspace admin, and tables to whoever the platform data says
        for catalog in snap.catalogs:
            owner = SYSTEM_USER if catalog in ("samples", "system") else seed.admin
            for schema in (None, *snap.schemas.get(catalog, ())):
                full = catalog if schema is None else f"{catalog}.{schema}"
                self.governance.seed(full, owner=owner, created_by=owner)
                if schema is not None and catalog in ("samples", "system"):
                    for table in snap.tables.get((catalog, schema), ()):
                        self.governance.seed(f"{full}.{table.name}", owner=owner, created_by=owner)
        grantees = set(groups)
        for schema, grantee, privilege in seed.grants:
            if _exists(ObjectName(tuple(schema.split("."))), snap):
                self.governance.grant(schema, grantee, [privilege])
                grantees.add(grantee)
        for group in sorted(grantees):
            self.governance.add_group(group)
        self._changed()
        return seeded

    def add_groups(self, names: Iterable[str]) -> int:
        added = sum(self.governance.add_group(n) for n in names)
        self._changed()
        return added


def _exists(name: ObjectName, snap: Snapshot) -> bool:
    parts = name.parts
    if parts[0] not in snap.catalogs:
        return False
    if len(parts) == 1:
        return True
    if parts[1] not in snap.schemas.get(parts[0], ()):
        return False
    return len(parts) == 2 or any(
        t.name == parts[2] for t in snap.tables.get((parts[0], parts[1]), ())
    )


def _children(name: ObjectName, snap: Snapshot) -> list[str]:
    if len(name.parts) == 1:
        return list(snap.schemas.get(name.catalog, ()))
    return [t.name for t in snap.tables.get((name.parts[0], name.parts[1]), ())]


def _column_comment(gov: Governance, table: ObjectName, column: ColumnInfo) -> str | None:
    meta = gov.metadata.get(f"{table.full_name}.{column.name}")
    return meta.comment if meta and meta.comment else column.comment


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
