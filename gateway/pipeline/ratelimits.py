"""Per-user request limits and per-persona concurrency capacity.

User limits use the `limits` library (in memory, or Redis so several gateway
processes share them). A token bucket of R requests a minute with burst B is
expressed as two sliding-window counters that must both allow the request: B
requests per B/R minutes (the burst) and R per minute (the sustained rate).
Counters, not exact moving windows: `limits`' in-memory moving window expires
its per-request timestamps through a worker thread per key after every hit,
which cost the gateway ~0.3 ms of CPU per request.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

from services.common.errors import ServiceError, resource_exhausted
from services.common.reasons import Reason

# The HTTP front door puts an empty dict here per request; the limiter fills it with the caller's quota
# (limit, remaining, reset seconds) and the response carries it as x-ratelimit-* headers.
QUOTA: ContextVar[dict[str, int] | None] = ContextVar("quota", default=None)


class RateLimited(ServiceError):
    """Over a limit; `retry_after` says when to try again (whole seconds, at least 1).

    On gRPC it carries QuotaFailure (`subject`: which limit) and RetryInfo; HTTP sends Retry-After.
    """

    def __init__(self, reason: str, message: str, retry_after: float, subject: str = "") -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        limit = resource_exhausted(reason, message, self.retry_after, subject)
        super().__init__(limit.code, limit.reason, limit.message, limit.metadata, limit.details)


def _storage_uri(uri: str) -> str:
    """limits needs the async+ scheme prefix for its asyncio storages."""
    return uri if uri.startswith("async+") else f"async+{uri}"


class UserRateLimiter:
    """Token-bucket-like limit per user id."""

    def __init__(self, per_minute: int, burst: int, storage_uri: str = "memory://") -> None:
        uri = _storage_uri(storage_uri)
        # redis-py (a project dependency) rather than limits' default coredis client.
        options: dict[str, str] = {"implementation": "redispy"} if uri.startswith("async+redis") else {}
        storage = storage_from_string(uri, **options)
        if not isinstance(storage, Storage):
            raise ValueError(f"{storage_uri!r} is not an asyncio storage")
        self.storage = storage
        self.limiter = SlidingWindowCounterRateLimiter(self.storage)
        burst_seconds = max(1, round(60.0 * burst / per_minute))
        self.items: list[RateLimitItem] = [
            RateLimitItemPerSecond(burst, burst_seconds),
            RateLimitItemPerSecond(per_minute, 60),
        ]

    async def check(self, user_id: str) -> None:
        """Count one request for `user_id`; raise RateLimited when over either window."""
        # Test every window first, so a request refused by one is not counted against the others.
        for step in (self.limiter.test, self.limiter.hit):
            for item in self.items:
                if not await step(item, "user", user_id):
                    raise await self._limited(item, user_id)
        quota = QUOTA.get()
        if quota is not None:
            sustained = self.items[-1]
            stats = await self.limiter.get_window_stats(sustained, "user", user_id)
            quota.update(
                limit=sustained.amount,
                remaining=max(0, stats.remaining),
                reset=max(0, math.ceil(stats.reset_time - time.time())),
            )

    async def _limited(self, item: RateLimitItem, user_id: str) -> RateLimited:
        stats = await self.limiter.get_window_stats(item, "user", user_id)
        return RateLimited(
            Reason.USER_RATE_LIMITED,
            f"rate limit of {item.amount} requests per {item.multiples} s exceeded for this user",
            stats.reset_time - time.time(),
            "user",
        )

    async def ping(self) -> bool:
        return bool(await self.storage.check())


class PersonaCapacity:
    """At most `capacity` concurrent requests on one persona, with a bounded wait queue."""

    def __init__(self, persona: str, capacity: int, queue: int, timeout: float) -> None:
        self.persona = persona
        self.capacity = capacity
        self.queue = queue
        self.timeout = timeout
        self._slots = asyncio.Semaphore(capacity)
        self.waiting = 0
        self.active = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._slots.locked():
            if self.waiting >= self.queue:
                raise RateLimited(
                    Reason.PERSONA_AT_CAPACITY,
                    f"{self.persona} is at capacity and its queue is full",
                    self.timeout,
                    f"persona:{self.persona}",
                )
            self.waiting += 1
            try:
                await asyncio.wait_for(self._slots.acquire(), self.timeout)
            except TimeoutError:
                raise RateLimited(
                    Reason.PERSONA_AT_CAPACITY,
                    f"{self.persona} stayed at capacity for {self.timeout:.0f} s",
                    self.timeout,
                    f"persona:{self.persona}",
                ) from None
            finally:
                self.waiting -= 1
        else:
            await self._slots.acquire()
        self.active += 1
        try:
            yield
        finally:
            self.active -= 1
            self._slots.release()
