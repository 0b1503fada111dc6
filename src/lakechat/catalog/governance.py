"""The embedded catalog's governance in the state store: owners, comments, tags, grants and
groups, keyed by an object's full name (a column's is its table's plus its own)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select

from lakechat.store.database import StateStore
from lakechat.store.models import (
    ApiKeyRow,
    CatalogGrantRow,
    CatalogGroupRow,
    CatalogMetadataRow,
    CatalogTagRow,
)
from lakechat.store.types import utcnow


@dataclass(frozen=True)
class Metadata:
    owner: str | None = None
    comment: str | None = None
    created_at: datetime | None = None
    created_by: str | None = None


@dataclass(frozen=True)
class Governance:
    """Everything the store holds, read in one go (the catalog is small)."""

    metadata: dict[str, Metadata]
    tags: dict[str, dict[str, str]]
    grants: dict[str, dict[str, tuple[str, ...]]]


class GovernanceStore:
    def __init__(self, store: StateStore) -> None:
        self.store = store

    def read(self) -> Governance:
        metadata: dict[str, Metadata] = {}
        tags: dict[str, dict[str, str]] = {}
        grants: dict[str, dict[str, list[str]]] = {}
        with self.store.session() as session:
            for m in session.scalars(select(CatalogMetadataRow)):
                metadata[m.full_name] = Metadata(m.owner, m.comment, m.created_at, m.created_by)
            for t in session.scalars(select(CatalogTagRow).order_by(CatalogTagRow.key)):
                tags.setdefault(t.full_name, {})[t.key] = t.value
            rows = select(CatalogGrantRow).order_by(
                CatalogGrantRow.principal, CatalogGrantRow.privilege
            )
            for g in session.scalars(rows):
                grants.setdefault(g.full_name, {}).setdefault(g.principal, []).append(g.privilege)
        frozen = {name: {p: tuple(v) for p, v in by.items()} for name, by in grants.items()}
        return Governance(metadata, tags, frozen)

    # changes ----------------------------------------------------------------------
    def created(self, full_name: str, *, owner: str, comment: str | None) -> None:
        with self.store.session() as session:
            session.merge(CatalogMetadataRow(full_name=full_name, owner=owner, comment=comment,
                                             created_at=utcnow(), created_by=owner))  # fmt: skip

    def seed(self, full_name: str, *, owner: str | None, created_by: str | None,
             created_at: datetime | None = None) -> None:  # fmt: skip
        row = CatalogMetadataRow(
            full_name=full_name, owner=owner, created_by=created_by, created_at=created_at
        )
        with self.store.session() as session:
            session.merge(row)

    def set_owner(self, full_name: str, owner: str) -> None:
        with self.store.session() as session:
            row = session.get(CatalogMetadataRow, full_name) or CatalogMetadataRow(
                full_name=full_name
            )
            row.owner = owner
            session.merge(row)

    def set_comment(self, full_name: str, comment: str | None) -> None:
        with self.store.session() as session:
            row = session.get(CatalogMetadataRow, full_name) or CatalogMetadataRow(
                full_name=full_name
            )
            row.comment = comment
            session.merge(row)

    def set_tags(self, full_name: str, tags: Iterable[tuple[str, str]]) -> None:
        with self.store.session() as session:
            for key, value in tags:
                session.merge(CatalogTagRow(full_name=full_name, key=key, value=value))

    def unset_tags(self, full_name: str, keys: Iterable[str]) -> None:
        with self.store.session() as session:
            session.execute(delete(CatalogTagRow).where(
                CatalogTagRow.full_name == full_name, CatalogTagRow.key.in_(list(keys))))  # fmt: skip

    def grant(self, full_name: str, principal: str, privileges: Iterable[str]) -> None:
        with self.store.session() as session:
            for privilege in privileges:
                session.merge(
                    CatalogGrantRow(full_name=full_name, principal=principal, privilege=privilege)
                )

    def revoke(self, full_name: str, principal: str, privileges: Iterable[str]) -> None:
        with self.store.session() as session:
            session.execute(delete(CatalogGrantRow).where(
                CatalogGrantRow.full_name == full_name, CatalogGrantRow.principal == principal,
                CatalogGrantRow.privilege.in_(list(privileges))))  # fmt: skip

    def forget(self, full_name: str) -> None:
        """An object dropped: its governance and everything under it goes too."""
        prefix = full_name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ".%"
        with self.store.session() as session:
            for table in (CatalogMetadataRow, CatalogTagRow, CatalogGrantRow):
                session.execute(delete(table).where(or_(
                    table.full_name == full_name, table.full_name.like(prefix, escape="\\"))))  # fmt: skip

    # principals -------------------------------------------------------------------
    def groups(self) -> list[str]:
        """Groups made here and every group an API key belongs to."""
        with self.store.session() as session:
            named = set(session.scalars(select(CatalogGroupRow.name)))
            for groups in session.scalars(
                select(ApiKeyRow.groups).where(ApiKeyRow.revoked_at.is_(None))
            ):
                named.update(groups or ())
        return sorted(named)

    def users(self) -> list[str]:
        """API key names: the users and services lakechat knows."""
        with self.store.session() as session:
            return sorted(
                set(session.scalars(select(ApiKeyRow.name).where(ApiKeyRow.revoked_at.is_(None))))
            )

    def add_group(self, name: str, description: str | None = None) -> bool:
        with self.store.session() as session:
            if session.get(CatalogGroupRow, name) is not None:
                return False
            session.add(CatalogGroupRow(name=name, description=description, created_at=utcnow()))
            return True
