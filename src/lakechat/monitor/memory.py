"""Each user's long-term health preferences, kept in the state store with an expiry.

Two preferences today: the workspace a user looks at by default, and whether answers
should be a summary or the detail. Setting one again renews it for HEALTH_MEMORY_DAYS;
expired ones are ignored and removed on the next write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select

from lakechat.errors import BadRequest
from lakechat.store.database import StateStore
from lakechat.store.models import UserPreferenceRow
from lakechat.store.types import utcnow

#: preference -> the values it takes (None: any text)
KNOWN: dict[str, tuple[str, ...] | None] = {"workspace": None, "detail": ("summary", "detail")}


class PreferenceStore:
    def __init__(
        self, store: StateStore, ttl_days: int, clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self.store = store
        self.ttl = dt.timedelta(days=ttl_days)
        self.clock = clock

    def get(self, principal: str) -> dict[str, Any]:
        """The principal's preferences that have not expired."""
        with self.store.session() as session:
            rows = session.scalars(
                select(UserPreferenceRow).where(
                    UserPreferenceRow.principal == principal,
                    UserPreferenceRow.expires_at > self.clock(),
                )
            ).all()
            return {row.key: row.value for row in rows}

    def set(self, principal: str, tenant: str | None, key: str, value: Any) -> dt.datetime:
        """Remember ``key``; returns when it will be forgotten."""
        allowed = KNOWN.get(key, ())
        if key not in KNOWN:
            raise BadRequest(f"no preference {key!r}; the preferences are: {', '.join(KNOWN)}")
        if allowed is not None and value not in allowed:
            raise BadRequest(f"preference {key!r} is one of {', '.join(allowed)}, not {value!r}")
        now = self.clock()
        expires = now + self.ttl
        with self.store.session() as session:
            session.execute(delete(UserPreferenceRow).where(UserPreferenceRow.expires_at <= now))
            row = session.get(UserPreferenceRow, (principal, key))
            if row is None:
                session.add(UserPreferenceRow(principal=principal, key=key, tenant=tenant,
                                              value=value, updated_at=now, expires_at=expires))  # fmt: skip
            else:
                row.value, row.updated_at, row.expires_at = value, now, expires
        return expires

    def unset(self, principal: str, key: str) -> None:
        with self.store.session() as session:
            session.execute(
                delete(UserPreferenceRow).where(
                    UserPreferenceRow.principal == principal, UserPreferenceRow.key == key
                )
            )

    def forget(self, principal: str) -> int:
        with self.store.session() as session:
            result = session.execute(
                delete(UserPreferenceRow).where(UserPreferenceRow.principal == principal)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
