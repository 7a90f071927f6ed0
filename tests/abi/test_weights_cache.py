"""Abi's learned-weights cache against a real embedding index: reused for its time to live, then fresh, and
never handed to a caller the index would refuse."""

from __future__ import annotations

import asyncio

import grpc

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from personamesh.v1 import embedding_index_service_pb2_grpc as index_grpc
from services.abi.index import IndexEvidenceSource
from services.abi.router import Evidence
from services.common.internal_auth import bind_inbound
from services.devmesh.processes import ServiceProcess
from tests.abi.helpers import PERSONA
from tests.signing import mesh_auth, signed, token

USER = "cache-user"


def _record_failures(target: str, user: str, count: int) -> None:
    with grpc.insecure_channel(target) as channel:
        index = index_grpc.EmbeddingIndexServiceStub(channel)
        for i in range(count):
            index.RecordOutcome(
                index_pb2.RecordOutcomeRequest(
                    request_id=f"{user}-{i}", persona=PERSONA["aviva"], success=False, user_id=user
                ),
                metadata=signed(user),
                timeout=10,
            )


async def _weights_as(source: IndexEvidenceSource, caller_token: str, user: str) -> Evidence:
    """What Route gets for `user` on an inbound call that carried `caller_token` ("" = unsigned)."""

    async def call() -> Evidence:
        bind_inbound(mesh_auth(), caller_token, "")
        return await source.weights(user, "")

    # A task of its own, as each inbound call has: the caller context does not leak between calls.
    return await asyncio.create_task(call())


async def test_a_users_weights_are_reused_for_their_time_to_live_then_fetched_again(
    index_process: ServiceProcess,
) -> None:
    source = IndexEvidenceSource(
        index_process.target, timeout=5.0, breaker_failures=3, breaker_reset=1.0, cache_seconds=1.5
    )
    try:
        before = await _weights_as(source, token(USER), USER)
        assert not before.degraded and before.weights
        await asyncio.to_thread(_record_failures, index_process.target, USER, 12)

        # Within the time to live the index is not asked again: the reply from before the feedback.
        assert (await _weights_as(source, token(USER), USER)).weights == before.weights

        # A call that is not signed for that user is not served from the cache: the index refuses it.
        for caller in ("", token("someone-else")):
            refused = await _weights_as(source, caller, USER)
            assert refused.degraded and not refused.weights, refused

        await asyncio.sleep(1.6)
        after = await _weights_as(source, token(USER), USER)
        assert not after.degraded and after.weights["aviva"] < before.weights["aviva"], (before, after)
    finally:
        await source.close()


async def test_without_a_time_to_live_every_call_asks_the_index(index_process: ServiceProcess) -> None:
    user = "uncached-user"
    source = IndexEvidenceSource(index_process.target, timeout=5.0, breaker_failures=3, breaker_reset=1.0)
    try:
        before = await _weights_as(source, token(user), user)
        await asyncio.to_thread(_record_failures, index_process.target, user, 12)
        after = await _weights_as(source, token(user), user)
        assert after.weights["aviva"] < before.weights["aviva"]
    finally:
        await source.close()
