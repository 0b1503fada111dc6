"""Principals, roles and scopes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    ANALYST = "analyst"
    ADMIN = "admin"


class Scope(StrEnum):
    DATA_READ = "data:read"
    DATA_SQL = "data:sql"
    CATALOG_READ = "catalog:read"
    CATALOG_WRITE = "catalog:write"
    DOCS_READ = "docs:read"
    DOCS_WRITE = "docs:write"
    HEALTH_READ = "health:read"
    ADMIN = "admin"


ALL_SCOPES: frozenset[str] = frozenset(s.value for s in Scope)

#: The scopes a key of each role gets when no scopes are given.
ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.VIEWER: frozenset({"data:read", "catalog:read", "docs:read", "health:read"}),
    Role.ANALYST: frozenset(
        {"data:read", "data:sql", "catalog:read", "docs:read", "docs:write", "health:read"}
    ),
    Role.ADMIN: ALL_SCOPES,
}


@dataclass(frozen=True)
class Principal:
    """The caller of a request, as resolved from its API key (or the local admin)."""

    id: str
    name: str
    kind: str  # "api_key" or "local"
    tenant: str
    role: Role
    scopes: frozenset[str]
    groups: frozenset[str] = field(default_factory=frozenset)

    def has_scope(self, scope: str) -> bool:
        """The ``admin`` scope grants every other."""
        return scope in self.scopes or Scope.ADMIN.value in self.scopes


#: Every request runs as this principal when ENABLE_AUTH=false (development only).
LOCAL_ADMIN = Principal(
    id="local",
    name="local-admin",
    kind="local",
    tenant="default",
    role=Role.ADMIN,
    scopes=ALL_SCOPES,
)
