"""API keys: issued once in plain text, stored as a SHA-256 hash with a visible prefix.

A key looks like ``lc_<prefix>_<secret>``: the prefix finds the stored row and is safe
to show in lists and logs; the secret has 256 bits of randomness, so a plain SHA-256
hash is enough to store it (the same scheme GitHub and Stripe use for tokens).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from lakechat.errors import (
    BadRequest,
    ExpiredApiKey,
    InvalidApiKey,
    NotFound,
    RevokedApiKey,
)
from lakechat.security.principals import ALL_SCOPES, ROLE_SCOPES, Principal, Role
from lakechat.store.audit import write_audit
from lakechat.store.database import StateStore
from lakechat.store.models import ApiKeyRow
from lakechat.store.types import utcnow

KEY_PREFIX = "lc_"
_ALPHANUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class ApiKeyInfo:
    """What may be shown about a key: never the key itself."""

    id: str
    name: str
    prefix: str
    tenant: str
    role: str
    scopes: tuple[str, ...]
    groups: tuple[str, ...]
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= utcnow():
            return "expired"
        return "active"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "prefix": self.prefix,
            "tenant": self.tenant,
            "role": self.role,
            "scopes": list(self.scopes),
            "groups": list(self.groups),
            "state": self.state,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
        }


@dataclass(frozen=True)
class IssuedKey:
    """A newly created key: ``secret`` is shown once and never stored."""

    info: ApiKeyInfo
    secret: str


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALPHANUM) for _ in range(n))


def parse_scopes(role: Role, scopes: list[str] | None) -> tuple[str, ...]:
    """The role's scopes when none are given; otherwise the given ones, each checked."""
    if not scopes:
        return tuple(sorted(ROLE_SCOPES[role]))
    unknown = sorted(set(scopes) - ALL_SCOPES)
    if unknown:
        raise BadRequest(
            f"unknown scope {', '.join(unknown)}; valid scopes: {', '.join(sorted(ALL_SCOPES))}"
        )
    return tuple(sorted(set(scopes)))


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise BadRequest(
            f"unknown role {value!r}; valid roles: {', '.join(r.value for r in Role)}"
        ) from None


class ApiKeyService:
    """Creates, lists, revokes and verifies keys; verified keys are cached briefly per process."""

    def __init__(self, store: StateStore, cache_seconds: float = 5.0) -> None:
        self._store = store
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()
        # bumped by every revoke; a verify that read the store before a revoke must not
        # cache what it read, or the revoked key would stay accepted until the cache expired
        self._generation = 0

    def create(
        self,
        *,
        name: str,
        tenant: str = "default",
        role: str = "viewer",
        scopes: list[str] | None = None,
        groups: list[str] | None = None,
        expires_at: datetime | None = None,
        created_by: str = "cli",
    ) -> IssuedKey:
        name = name.strip()
        if not name or len(name) > 200:
            raise BadRequest("a key needs a name of 1 to 200 characters")
        if not tenant.strip() or len(tenant) > 200:
            raise BadRequest("a key needs a tenant of 1 to 200 characters")
        if expires_at is not None:
            if expires_at.tzinfo is None:
                raise BadRequest("expires_at needs a timezone (for example 2027-01-01T00:00:00Z)")
            if expires_at <= utcnow():
                raise BadRequest("expires_at is in the past")
        parsed_role = parse_role(role)
        key_scopes = parse_scopes(parsed_role, scopes)
        prefix = _random(8)
        plaintext = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        row = ApiKeyRow(
            id=secrets.token_hex(8),
            name=name,
            prefix=prefix,
            key_hash=hash_key(plaintext),
            tenant=tenant.strip(),
            role=parsed_role.value,
            scopes=list(key_scopes),
            groups=sorted(set(groups or [])),
            created_by=created_by,
            created_at=utcnow(),
            expires_at=expires_at,
        )
        with self._store.session() as session:
            session.add(row)
            write_audit(
                session,
                principal=created_by,
                action="api_key.create",
                obj=f"api_key:{row.id} ({name})",
                tenant=row.tenant,
            )
            session.flush()
            info = _info(row)
        return IssuedKey(info=info, secret=plaintext)

    def list(self, include_revoked: bool = True) -> list[ApiKeyInfo]:
        with self._store.session() as session:
            query = select(ApiKeyRow).order_by(ApiKeyRow.created_at)
            if not include_revoked:
                query = query.where(ApiKeyRow.revoked_at.is_(None))
            return [_info(row) for row in session.scalars(query)]

    def revoke(self, key_id_or_prefix: str, *, revoked_by: str = "cli") -> ApiKeyInfo:
        with self._store.session() as session:
            row = session.scalars(
                select(ApiKeyRow).where(
                    (ApiKeyRow.id == key_id_or_prefix) | (ApiKeyRow.prefix == key_id_or_prefix)
                )
            ).first()
            if row is None:
                raise NotFound(f"no API key with id or prefix {key_id_or_prefix!r}")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                write_audit(
                    session,
                    principal=revoked_by,
                    action="api_key.revoke",
                    obj=f"api_key:{row.id} ({row.name})",
                    tenant=row.tenant,
                )
            info = _info(row)
        with self._lock:
            self._generation += 1
            self._cache = {k: v for k, v in self._cache.items() if v[1].id != info.id}
        return info

    def cached(self, plaintext: str) -> Principal | None:
        """The principal for a key verified within AUTH_CACHE_SECONDS, without touching the store."""
        entry = self._cache.get(hash_key(plaintext))
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        return None

    def verify(self, plaintext: str) -> Principal:
        """The principal a key stands for, or InvalidApiKey/RevokedApiKey/ExpiredApiKey."""
        digest = hash_key(plaintext)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        prefix = _prefix_of(plaintext)
        generation = self._generation
        with self._store.session() as session:
            row = session.scalars(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix)).first()
            if row is None or not hmac.compare_digest(row.key_hash, digest):
                raise InvalidApiKey()
            if row.revoked_at is not None:
                raise RevokedApiKey()
            if row.expires_at is not None and row.expires_at <= utcnow():
                raise ExpiredApiKey()
            session.execute(
                update(ApiKeyRow).where(ApiKeyRow.id == row.id).values(last_used_at=utcnow())
            )
            principal = Principal(
                id=row.id,
                name=row.name,
                kind="api_key",
                tenant=row.tenant,
                role=Role(row.role),
                scopes=frozenset(row.scopes),
                groups=frozenset(row.groups or []),
            )
            expires = row.expires_at
        ttl = self._cache_seconds
        if expires is not None:
            ttl = min(ttl, max(0.0, (expires - utcnow()).total_seconds()))
        if ttl > 0:
            with self._lock:
                if generation != self._generation:
                    return principal  # a revoke happened meanwhile: answer, but do not cache
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[digest] = (now + ttl, principal)
        return principal


def _prefix_of(plaintext: str) -> str:
    if not plaintext.startswith(KEY_PREFIX) or plaintext.count("_") < 2:
        raise InvalidApiKey()
    return plaintext[len(KEY_PREFIX) :].split("_", 1)[0]


def _info(row: ApiKeyRow) -> ApiKeyInfo:
    return ApiKeyInfo(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        tenant=row.tenant,
        role=row.role,
        scopes=tuple(row.scopes),
        groups=tuple(row.groups or []),
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )
