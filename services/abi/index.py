"""Evidence from the embedding index: the learned persona weights (from users' feedback).

Behind a circuit breaker and a tight deadline, fetched while the model runs: when the index is down
or slow, Abi decides without the weights (marked degraded) instead of waiting on every request.

Weights move only with feedback, so a reply is reused for a few seconds (`PM_ABI_WEIGHTS_CACHE_SECONDS`):
a user's next messages skip a gRPC round trip to the index. An entry is keyed by the caller the gateway
signed as well as the user and domain asked for, and only replies the index gave are kept, so a call
without a valid token for that user can never read what a signed one fetched.
"""

from __future__ import annotations

import logging

import grpc
from cachetools import TTLCache

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from services.abi.router import Evidence
from services.common import context as ctx
from services.common.breaker import AsyncCircuitBreaker, BreakerOpenError
from services.common.clients import EmbeddingIndexClient
from services.common.registry import persona_label

log = logging.getLogger(__name__)


class IndexEvidenceSource:
    def __init__(
        self,
        target: str,
        *,
        timeout: float,
        breaker_failures: int,
        breaker_reset: float,
        cache_seconds: float = 0.0,
        cache_entries: int = 10_000,
    ) -> None:
        self.client = EmbeddingIndexClient(target, timeout=timeout)
        self.timeout = timeout
        self._cache: TTLCache[tuple[str, str, str], Evidence] | None = (
            TTLCache(maxsize=cache_entries, ttl=cache_seconds) if cache_seconds > 0 else None
        )
        # Only "down" counts against the breaker; a slow answer costs that one request its deadline,
        # and a burst of slow answers under load must not stop every later request from using the index.
        self.breaker = AsyncCircuitBreaker(
            "embedding-index",
            fail_max=breaker_failures,
            reset_timeout=breaker_reset,
            success_threshold=1,
            exclude=[_is_slow],
        )

    async def close(self) -> None:
        await self.client.close()

    async def weights(self, user_id: str, domain: str) -> Evidence:
        """Learned persona weights for this user and domain (GetWeights), or the reason there are none."""
        key = (ctx.user_var.get(), user_id, domain)
        if self._cache is not None and (cached := self._cache.get(key)) is not None:
            return cached
        if not self.breaker.allows_call():
            return Evidence(problem="circuit open after repeated failures")
        try:
            async with self.breaker.guard():
                reply = await self.client.stub.GetWeights(
                    index_pb2.GetWeightsRequest(user_id=user_id, domain=domain), timeout=self.timeout
                )
        except (TimeoutError, grpc.RpcError, BreakerOpenError) as error:
            return Evidence(problem=_describe(error))
        evidence = Evidence(
            {persona_label(w.persona): float(w.weight) for w in reply.weights if persona_label(w.persona)}
        )
        if self._cache is not None:
            self._cache[key] = evidence
        return evidence


# Not outages: a slow answer, or the index refusing a call that carried no valid token for the user
# (an unsigned Route naming a user must not open the breaker for everyone else).
_NOT_OUTAGES = (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)


def _is_slow(error: BaseException) -> bool:
    return isinstance(error, grpc.aio.AioRpcError) and error.code() in _NOT_OUTAGES


def _describe(error: BaseException) -> str:
    if isinstance(error, grpc.aio.AioRpcError):
        return f"{error.code().name}: {error.details()}"
    if isinstance(error, BreakerOpenError):
        return "circuit open after repeated failures"
    return type(error).__name__
