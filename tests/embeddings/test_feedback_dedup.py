"""Issue 9, finding 8: feedback for one request counts once, also after the index restarts
(the counted request ids are kept in the store with the outcome)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from personamesh.v1 import embedding_index_service_pb2 as pb
from personamesh.v1 import persona_pb2
from tests.embeddings.conftest import EmbeddingsProcess, launch
from tests.signing import SignedIndexClient

AVIVA = persona_pb2.PERSONA_AVIVA


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddingsProcess]:
    running = launch(tmp_path_factory.mktemp("feedback-dedup"))
    yield running
    running.stop()


async def _rate(target: str, request_id: str, user: str = "fay") -> float:
    """Send one rating; the evidence behind the user's Aviva weight afterwards."""
    client = SignedIndexClient(target)
    try:
        request = pb.RecordOutcomeRequest(request_id=request_id, persona=AVIVA, rating=1.0, user_id=user, domain="code")
        weights = (await client.stub.RecordOutcome(request)).weights
    finally:
        await client.close()
    return next(w.evidence for w in weights if w.persona == AVIVA)


async def test_feedback_counts_once_across_a_restart(service: EmbeddingsProcess) -> None:
    assert await _rate(service.target, "fb-1") == pytest.approx(1.0, abs=1e-3)
    assert await _rate(service.target, "fb-1") == pytest.approx(1.0, abs=1e-3)  # a double click

    assert service.stop() == 0
    service.start()
    assert await _rate(service.target, "fb-1") == pytest.approx(1.0, abs=1e-3)  # a retry after the restart
    assert await _rate(service.target, "fb-2") == pytest.approx(2.0, abs=1e-3)  # a new request still counts

    service.kill()  # SIGKILL: what was acknowledged is on disk
    service.start()
    assert await _rate(service.target, "fb-2") == pytest.approx(2.0, abs=1e-3)


async def test_concurrent_repeats_count_once(service: EmbeddingsProcess) -> None:
    results = await asyncio.gather(*(_rate(service.target, "fb-burst", user="gus") for _ in range(6)))
    assert max(results) == pytest.approx(1.0, abs=1e-3)
    assert await _rate(service.target, "fb-burst-2", user="gus") == pytest.approx(2.0, abs=1e-3)
