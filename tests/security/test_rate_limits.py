"""Rate limits: per principal and route class, in memory or shared through Redis."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from lakechat.errors import RateLimited
from lakechat.security.rate_limits import RequestRateLimiter
from lakechat.settings import Settings
from tests.conftest import free_port, issue_key


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_memory_limit_per_identity(make_settings) -> None:  # type: ignore[no-untyped-def]
    limiter = RequestRateLimiter(make_settings(rate_limit_per_minute=3))

    async def scenario() -> tuple[list[bool], list[bool]]:
        a = [(await limiter.hit("default", "key:a")).allowed for _ in range(5)]
        b = [(await limiter.hit("default", "key:b")).allowed for _ in range(2)]
        return a, b

    a, b = run(scenario())
    assert a == [True, True, True, False, False]
    assert b == [True, True]  # another principal has its own budget


def test_route_class_override(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = make_settings(
        rate_limit_per_minute=100, rate_limit_query=2, rate_limit_chat=1
    )
    limiter = RequestRateLimiter(settings)
    assert (
        limiter.limit_for("query") == 2
        and limiter.limit_for("chat") == 1
        and limiter.limit_for("docs") == 100
    )

    async def scenario() -> None:
        await limiter.enforce("query", "k")
        await limiter.enforce("query", "k")
        with pytest.raises(RateLimited) as info:
            await limiter.enforce("query", "k")
        assert info.value.headers["Retry-After"].isdigit()
        assert "2 requests a minute" in info.value.message
        await limiter.enforce("default", "k")  # other classes are untouched

    run(scenario())


def test_disabled_limits_never_refuse(make_settings) -> None:  # type: ignore[no-untyped-def]
    limiter = RequestRateLimiter(make_settings(rate_limit_per_minute=1, rate_limit_enabled=False))

    async def scenario() -> None:
        for _ in range(5):
            await limiter.enforce("default", "k")

    run(scenario())


@pytest.mark.redis
def test_redis_budget_is_shared_between_workers(
    make_settings, redis_url: str, redis_prefix: str
) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(
        redis_url=redis_url, redis_key_prefix=redis_prefix, rate_limit_per_minute=4
    )
    worker_a, worker_b = RequestRateLimiter(settings), RequestRateLimiter(settings)
    assert worker_a.backend == "redis"

    async def scenario() -> list[bool]:
        results = []
        for i in range(8):
            limiter = worker_a if i % 2 else worker_b
            results.append((await limiter.hit("default", "key:shared")).allowed)
        await worker_a.close()
        await worker_b.close()
        return results

    assert sum(run(scenario())) == 4


@pytest.mark.redis
def test_redis_down_falls_back_to_memory(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(
        redis_url=f"redis://127.0.0.1:{free_port()}/0", rate_limit_per_minute=2
    )
    limiter = RequestRateLimiter(settings)

    async def scenario() -> list[bool]:
        results = [(await limiter.hit("default", "k")).allowed for _ in range(3)]
        await limiter.close()
        return results

    assert run(scenario()) == [True, True, False]


def test_routes_are_limited_per_key(make_client, make_settings) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = make_client(make_settings(rate_limit_per_minute=2))
    first, second = issue_key(client), issue_key(client)
    codes = [client.get("/api/whoami", headers={"X-API-Key": first}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert client.get("/api/whoami", headers={"X-API-Key": second}).status_code == 200
    # probes are never limited
    assert all(client.get("/health/live").status_code == 200 for _ in range(5))


def test_failed_key_checks_are_limited_per_address(make_client, make_settings) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = make_client(make_settings(rate_limit_auth_failures=3))
    bad = {"X-API-Key": "lc_nothere0_" + "x" * 30}
    codes = [client.get("/api/whoami", headers=bad).status_code for _ in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    refused = client.get("/api/whoami", headers=bad)
    assert refused.json()["error"]["code"] == "rate_limited"
    assert "RATE_LIMIT_AUTH_FAILURES" in refused.json()["error"]["message"]
    # a key verified before is answered from the cache and is not affected
    # (a new, unverified key from this address waits like any other)
