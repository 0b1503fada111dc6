"""API keys: hashed at rest, shown once, scoped, revocable, expiring; the keys API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from lakechat.errors import BadRequest, InvalidApiKey, NotFound, RevokedApiKey
from lakechat.security.api_keys import ApiKeyService, hash_key
from lakechat.security.principals import ROLE_SCOPES, Role
from lakechat.store.database import StateStore
from lakechat.store.models import ApiKeyRow, AuditLogRow
from lakechat.store.types import utcnow


def test_key_is_stored_hashed_with_a_visible_prefix(migrated: StateStore) -> None:
    issued = ApiKeyService(migrated).create(name="bi-tool", tenant="acme", role="analyst")
    assert issued.secret.startswith(f"lc_{issued.info.prefix}_")
    with migrated.engine.connect() as conn:
        dump = " ".join(str(v) for row in conn.execute(text("SELECT * FROM api_keys")) for v in row)
    assert issued.secret not in dump
    assert hash_key(issued.secret) in dump
    assert issued.info.prefix in dump


def test_verify_returns_the_principal(migrated: StateStore) -> None:
    service = ApiKeyService(migrated)
    issued = service.create(name="bi-tool", tenant="acme", role="analyst", groups=["analysts"])
    principal = service.verify(issued.secret)
    assert principal.tenant == "acme" and principal.role is Role.ANALYST
    assert principal.scopes == ROLE_SCOPES[Role.ANALYST]
    assert principal.groups == frozenset({"analysts"})
    assert principal.has_scope("data:sql") and not principal.has_scope("catalog:write")
    assert service.list()[0].last_used_at is not None


def test_explicit_scopes_and_validation(migrated: StateStore) -> None:
    service = ApiKeyService(migrated)
    issued = service.create(name="docs-bot", scopes=["docs:read", "docs:write"])
    assert service.verify(issued.secret).scopes == frozenset({"docs:read", "docs:write"})
    with pytest.raises(
        BadRequest, match="unknown scope data:write; valid scopes: admin, catalog:read"
    ):
        service.create(name="x", scopes=["data:write"])
    with pytest.raises(BadRequest, match="unknown role"):
        service.create(name="x", role="root")
    with pytest.raises(BadRequest, match="in the past"):
        service.create(name="x", expires_at=utcnow() - timedelta(days=1))


def test_wrong_and_tampered_keys_are_invalid(migrated: StateStore) -> None:
    service = ApiKeyService(migrated)
    issued = service.create(name="k")
    for bad in (
        "",
        "nonsense",
        issued.secret[:-1] + ("A" if issued.secret[-1] != "A" else "B"),
        "lc_zzzzzzzz_abc",
    ):
        with pytest.raises(InvalidApiKey):
            service.verify(bad)


def test_revocation_takes_effect_and_is_audited(migrated: StateStore) -> None:
    service = ApiKeyService(migrated, cache_seconds=60)
    issued = service.create(name="leaked")
    service.verify(issued.secret)  # now cached
    service.revoke(issued.info.prefix, revoked_by="alice")
    with pytest.raises(RevokedApiKey):
        service.verify(issued.secret)
    with pytest.raises(NotFound):
        service.revoke("no-such-key")
    with migrated.session() as session:
        actions = [
            (r.action, r.principal)
            for r in session.scalars(select(AuditLogRow).order_by(AuditLogRow.id))
        ]
    assert actions == [("api_key.create", "cli"), ("api_key.revoke", "alice")]
    with migrated.session() as session:
        assert session.scalars(select(ApiKeyRow)).one().revoked_at is not None


def test_keys_api_round_trip(client: TestClient, admin_key: str) -> None:
    headers = {"X-API-Key": admin_key}
    created = client.post(
        "/api/keys",
        json={
            "name": "bi",
            "tenant": "acme",
            "role": "analyst",
            "expires_at": "2099-01-01T00:00:00Z",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["key"].startswith("lc_") and body["tenant"] == "acme" and body["state"] == "active"
    listed = client.get("/api/keys", headers=headers).json()["keys"]
    assert {k["name"] for k in listed} >= {"bi"}
    assert all("key" not in k and "key_hash" not in k for k in listed)
    me = client.get("/api/whoami", headers={"Authorization": f"Bearer {body['key']}"}).json()
    assert me["tenant"] == "acme" and me["role"] == "analyst"
    assert client.delete(f"/api/keys/{body['id']}", headers=headers).json()["state"] == "revoked"
    assert client.get("/api/whoami", headers={"X-API-Key": body["key"]}).status_code == 401


def test_non_admin_cannot_manage_keys(client: TestClient) -> None:
    from tests.conftest import issue_key

    analyst = issue_key(client, role="analyst")
    assert client.get("/api/keys", headers={"X-API-Key": analyst}).status_code == 403
    assert (
        client.post("/api/keys", json={"name": "x"}, headers={"X-API-Key": analyst}).status_code
        == 403
    )


def test_auth_disabled_runs_as_local_admin(make_client, make_settings) -> None:  # type: ignore[no-untyped-def]
    client = make_client(make_settings(enable_auth=False))
    me = client.get("/api/whoami").json()
    assert me["name"] == "local-admin" and "admin" in me["scopes"]


def test_a_revoke_during_verification_is_not_undone_by_the_cache(
    migrated: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contextlib import contextmanager

    service = ApiKeyService(migrated, cache_seconds=60)
    issued = service.create(name="racing")
    real_session = migrated.session
    revoked = []

    @contextmanager
    def session_then_revoke():  # type: ignore[no-untyped-def]
        with real_session() as session:
            yield session
        if not revoked:  # the revoke lands after verify read the row, before it caches
            revoked.append(True)
            service.revoke(issued.info.id)

    monkeypatch.setattr(migrated, "session", session_then_revoke)
    service.verify(issued.secret)
    monkeypatch.undo()
    assert revoked
    with pytest.raises(RevokedApiKey):
        service.verify(issued.secret)
