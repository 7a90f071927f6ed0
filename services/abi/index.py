"""Evidence from the embedding index: the message vector, persona-profile similarity, learned weights.

Behind a circuit breaker and a tight deadline: when the index is down or slow,
Abi routes without it (degraded) instead of waiting on every request.
"""

from __future__ import annotations

import asyncio
import logging

import grpc
import numpy as np

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from personamesh.v1 import persona_pb2
from services.abi.router import Evidence
from services.common.breaker import AsyncCircuitBreaker, BreakerOpenError
from services.common.clients import EmbeddingIndexClient
from services.common.encoder import DIMENSION

log = logging.getLogger(__name__)

PERSONA_NAMES = {persona_pb2.PERSONA_ABBEY: "abbey", persona_pb2.PERSONA_AVIVA: "aviva", persona_pb2.PERSONA_ABI: "abi"}


class IndexEvidenceSource:
    def __init__(self, target: str, *, timeout: float, breaker_failures: int, breaker_reset: float) -> None:
        self.client = EmbeddingIndexClient(target, timeout=timeout)
        self.timeout = timeout
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

    async def for_route(self, text: str, user_id: str, domain: str) -> Evidence:
        """Vector and similarity (FindBestPersona) and learned weights (GetWeights), fetched together."""
        if not self.breaker.allows_call():
            return Evidence(problem="circuit open after repeated failures")
        weights_task = asyncio.create_task(self._weights(user_id, domain))
        try:
            async with self.breaker.guard():
                reply = await self.client.stub.FindBestPersona(
                    index_pb2.FindBestPersonaRequest(query=text, top_k=3), timeout=self.timeout
                )
        except (TimeoutError, grpc.RpcError, BreakerOpenError) as error:
            weights_task.cancel()
            return Evidence(problem=_describe(error))
        vector = _vector(reply.query_vector)
        similarity = {PERSONA_NAMES[s.persona]: float(s.score) for s in reply.scores if s.persona in PERSONA_NAMES}
        weights = await weights_task
        return Evidence(vector, similarity, weights, "" if vector is not None else "index returned no query vector")

    async def vector(self, text: str) -> Evidence:
        """The vector alone (Embed), for CheckPolicy and AnalyzeSentiment."""
        if not self.breaker.allows_call():
            return Evidence(problem="circuit open after repeated failures")
        try:
            async with self.breaker.guard():
                reply = await self.client.stub.Embed(index_pb2.EmbedRequest(texts=[text]), timeout=self.timeout)
        except (TimeoutError, grpc.RpcError, BreakerOpenError) as error:
            return Evidence(problem=_describe(error))
        vector = _vector(reply.vectors[0].values) if reply.vectors else None
        return Evidence(vector, problem="" if vector is not None else "index returned no vector")

    async def _weights(self, user_id: str, domain: str) -> dict[str, float]:
        try:
            reply = await self.client.stub.GetWeights(
                index_pb2.GetWeightsRequest(user_id=user_id, domain=domain), timeout=self.timeout
            )
        except (TimeoutError, grpc.RpcError):
            return {}
        return {PERSONA_NAMES[w.persona]: float(w.weight) for w in reply.weights if w.persona in PERSONA_NAMES}


def _is_slow(error: BaseException) -> bool:
    return isinstance(error, grpc.aio.AioRpcError) and error.code() == grpc.StatusCode.DEADLINE_EXCEEDED


def _vector(values: object) -> np.ndarray | None:
    vector = np.asarray(values, dtype=np.float32)
    if vector.shape != (DIMENSION,) or not np.all(np.isfinite(vector)):
        return None
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else None


def _describe(error: BaseException) -> str:
    if isinstance(error, grpc.aio.AioRpcError):
        return f"{error.code().name}: {error.details()}"
    if isinstance(error, BreakerOpenError):
        return "circuit open after repeated failures"
    return type(error).__name__
