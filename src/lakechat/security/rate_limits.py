"""Rate limits per principal (or client IP) and route class, with the `limits` library.

Counters live in memory by default and in Redis when REDIS_URL is set, so every worker
and replica shares one budget. If Redis stops answering, each worker falls back to its
own in-memory counters (and logs it) rather than refusing or waving through traffic.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, RateLimitItemPerMinute, parse
from limits import strategies as sync_strategies
from limits.aio.storage import RedisStorage, Storage
from limits.aio.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.storage import MemoryStorage

from lakechat.errors import RateLimited
from lakechat.observability.metrics import RATE_LIMITED
from lakechat.settings import Settings

log = logging.getLogger(__name__)

#: The bucket that counts failed key checks per client IP.
AUTH_FAILURES = "auth_failures"

_Strategy = MovingWindowRateLimiter | FixedWindowRateLimiter | SlidingWindowCounterRateLimiter
_SyncStrategy = (
    sync_strategies.MovingWindowRateLimiter
    | sync_strategies.FixedWindowRateLimiter
    | sync_strategies.SlidingWindowCounterRateLimiter
)

#: In memory the synchronous strategies are used: no I/O to wait for, half the cost per hit.
SYNC_STRATEGIES: dict[str, type[_SyncStrategy]] = {
    "moving-window": sync_strategies.MovingWindowRateLimiter,
    "fixed-window": sync_strategies.FixedWindowRateLimiter,
    "sliding-window-counter": sync_strategies.SlidingWindowCounterRateLimiter,
}

#: RATE_LIMIT_STRATEGY values and the `limits` algorithm each one selects.
STRATEGIES: dict[
    str, type[MovingWindowRateLimiter | FixedWindowRateLimiter | SlidingWindowCounterRateLimiter]
] = {
    "moving-window": MovingWindowRateLimiter,
    "fixed-window": FixedWindowRateLimiter,
    "sliding-window-counter": SlidingWindowCounterRateLimiter,
}


@dataclass(frozen=True)
class RateDecision:
    """Whether a request may go on, and the budget it was counted against."""

    allowed: bool
    limit: int
    retry_after_seconds: int = 0


class RequestRateLimiter:
    """Counts requests per (route class, identity) against per-minute limits."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limit_enabled
        self._settings = settings
        self._local = SYNC_STRATEGIES[settings.rate_limit_strategy](MemoryStorage())
        self._items: dict[str, RateLimitItem] = {}
        self.backend = "memory"
        self._shared: _Strategy | None = None
        self._storage: Storage | None = None
        self._pool: Any = None
        if settings.redis_url:
            import redis.asyncio

            # our own pool, so close() can release its connections on shutdown
            self._pool = redis.asyncio.ConnectionPool.from_url(
                settings.redis_url, socket_timeout=1.0, socket_connect_timeout=1.0
            )
            scheme, rest = settings.redis_url.split("://", 1)
            self._storage = RedisStorage(
                f"async+{scheme}://{rest}",
                implementation="redispy",
                key_prefix=f"{settings.redis_key_prefix}:ratelimit",
                connection_pool=self._pool,
            )
            self._shared = STRATEGIES[settings.rate_limit_strategy](self._storage)
            self.backend = "redis"
        self._redis_failed_at = 0.0

    def limit_for(self, route_class: str) -> int:
        return self._settings.rate_limit_for(route_class)

    def _item(self, route_class: str) -> RateLimitItem:
        item = self._items.get(route_class)
        if item is None:
            amount = (
                self._settings.rate_limit_auth_failures
                if route_class == AUTH_FAILURES
                else self.limit_for(route_class)
            )
            item = RateLimitItemPerMinute(amount)
            self._items[route_class] = item
        return item

    async def hit(self, route_class: str, identity: str, *, count: bool = True) -> RateDecision:
        """Count one request (or, with count=False, only look); refusals say how long to wait."""
        return await self._hit_item(self._item(route_class), route_class, identity, count=count)

    async def _hit_item(
        self, item: RateLimitItem, route_class: str, identity: str, *, count: bool = True
    ) -> RateDecision:
        shared = self._shared
        if shared is not None and time.monotonic() - self._redis_failed_at >= 5.0:
            try:
                allowed = await (shared.hit if count else shared.test)(item, route_class, identity)
                if allowed:
                    return RateDecision(True, item.amount)
                stats = await shared.get_window_stats(item, route_class, identity)
                return RateDecision(False, item.amount, _retry_after(stats.reset_time))
            except Exception as exc:  # a Redis outage must not take requests down with it
                # use memory for 5 s before trying Redis again
                self._redis_failed_at = time.monotonic()
                log.warning("rate limits fall back to memory, Redis failed: %s", type(exc).__name__)
        local = self._local
        if (local.hit if count else local.test)(item, route_class, identity):
            return RateDecision(True, item.amount)
        stats = local.get_window_stats(item, route_class, identity)
        return RateDecision(False, item.amount, _retry_after(stats.reset_time))

    async def enforce(self, route_class: str, identity: str) -> None:
        """Raise RateLimited (429 with Retry-After) when over the limit."""
        if not self.enabled:
            return
        decision = await self.hit(route_class, identity)
        if not decision.allowed:
            RATE_LIMITED.labels(route_class=route_class).inc()
            raise RateLimited(
                f"rate limit of {decision.limit} requests a minute reached for {route_class} "
                f"requests; retry in {decision.retry_after_seconds} s",
                retry_after_seconds=decision.retry_after_seconds,
            )

    async def enforce_budget(
        self, bucket: str, identity: str, amount: int, per: str, setting: str
    ) -> None:
        """Raise RateLimited past ``amount`` requests a ``per`` ("minute" | "day") for one
        identity (a session, a client IP) in ``bucket``; ``setting`` names the limit."""
        if not self.enabled:
            return
        key = f"{bucket}:{amount}/{per}"
        item = self._items.get(key)
        if item is None:
            item = self._items[key] = parse(f"{amount}/{per}")
        decision = await self._hit_item(item, bucket, identity)
        if not decision.allowed:
            RATE_LIMITED.labels(route_class=bucket).inc()
            raise RateLimited(
                f"{setting}={amount} a {per} reached; retry in {decision.retry_after_seconds} s",
                retry_after_seconds=decision.retry_after_seconds,
            )

    async def check_auth_failures(self, client_ip: str) -> None:
        """Refuse (429) a client that has used up its budget of failed key checks."""
        if not self.enabled:
            return
        decision = await self.hit(AUTH_FAILURES, client_ip, count=False)
        if not decision.allowed:
            RATE_LIMITED.labels(route_class=AUTH_FAILURES).inc()
            raise RateLimited(
                f"too many requests with invalid API keys from this address "
                f"(RATE_LIMIT_AUTH_FAILURES={decision.limit} a minute); retry in "
                f"{decision.retry_after_seconds} s",
                retry_after_seconds=decision.retry_after_seconds,
            )

    async def record_auth_failure(self, client_ip: str) -> None:
        if self.enabled:
            await self.hit(AUTH_FAILURES, client_ip)

    async def close(self) -> None:
        """Release Redis connections (call from the event loop that used them)."""
        if self._pool is not None:
            await self._pool.disconnect()

    async def check_shared(self) -> bool:
        """True when the shared (Redis) store answers."""
        if self._storage is None:
            return False
        return bool(await self._storage.check())


def _retry_after(reset_time: float) -> int:
    return max(1, math.ceil(reset_time - time.time()))
