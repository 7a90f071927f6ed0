"""Acknowledged writes survive a clean restart and a SIGKILL; one process per data dir."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from personamesh.v1 import embedding_index_service_pb2 as pb
from personamesh.v1 import persona_pb2
from services.devmesh.processes import free_port, mesh_secret
from tests.embeddings.conftest import EmbeddingsProcess, launch
from tests.signing import SignedIndexClient

ABBEY, AVIVA = persona_pb2.PERSONA_ABBEY, persona_pb2.PERSONA_AVIVA


def _record(user: str, i: int) -> pb.StoreConversationRequest:
    return pb.StoreConversationRequest(
        record=pb.ConversationRecord(
            id=f"{user}-{i}", user_id=user, persona=ABBEY, user_message=f"memory number {i} of {user}"
        )
    )


async def _memories(target: str, user: str) -> set[str]:
    client = SignedIndexClient(target, timeout=30.0)
    try:
        request = pb.SearchConversationsRequest(user_id=user, query="memory number", k=100)
        return {hit.record.id for hit in (await client.stub.SearchConversations(request)).hits}
    finally:
        await client.close()


async def _aviva_weight(target: str, user: str) -> pb.PersonaWeight:
    client = SignedIndexClient(target, timeout=30.0)
    try:
        weights = (await client.stub.GetWeights(pb.GetWeightsRequest(user_id=user, domain="code"))).weights
        return next(w for w in weights if w.persona == AVIVA)
    finally:
        await client.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory):
    running = launch(tmp_path_factory.mktemp("durability"))
    yield running
    running.stop()


async def test_memory_knowledge_and_weights_survive_a_restart(service: EmbeddingsProcess) -> None:
    client = SignedIndexClient(service.target, timeout=30.0)
    for i in range(3):
        await client.stub.StoreConversation(_record("rita", i))
    for i in range(4):
        outcome = pb.RecordOutcomeRequest(
            request_id=f"rr-{i}", persona=AVIVA, success=True, user_id="rita", domain="code"
        )
        await client.stub.RecordOutcome(outcome)
    document = pb.KnowledgeDocument(source="kb/restart.md", text="# Restart\n\nKnowledge that must survive a restart.")
    await client.stub.UpsertKnowledge(pb.UpsertKnowledgeRequest(documents=[document]))
    before = await _aviva_weight(service.target, "rita")
    await client.close()

    assert service.stop() == 0  # SIGTERM: clean drain, exit 0
    service.start()

    assert await _memories(service.target, "rita") == {"rita-0", "rita-1", "rita-2"}
    after = await _aviva_weight(service.target, "rita")
    assert after.weight > 1.0 and abs(after.weight - before.weight) < 1e-3 and abs(after.evidence - 4.0) < 0.01
    client = SignedIndexClient(service.target, timeout=30.0)
    hits = (await client.stub.SearchKnowledge(pb.SearchKnowledgeRequest(query="survive a restart", k=1))).hits
    await client.close()
    assert hits and hits[0].source == "kb/restart.md"


async def test_sigkill_right_after_acknowledged_writes_loses_nothing(service: EmbeddingsProcess) -> None:
    client = SignedIndexClient(service.target, timeout=30.0)
    acknowledged: set[str] = set()
    half_done = asyncio.Event()

    async def write(i: int) -> None:
        reply = await client.stub.StoreConversation(_record("sam", i))
        acknowledged.add(reply.id)
        if len(acknowledged) >= 20:
            half_done.set()

    # Many concurrent writes (group commits); SIGKILL as soon as half are acknowledged, the rest in flight.
    tasks = [asyncio.create_task(write(i)) for i in range(40)]
    await half_done.wait()
    outcome = pb.RecordOutcomeRequest(request_id="sam-1", persona=AVIVA, rating=1.0, user_id="sam", domain="code")
    await client.stub.RecordOutcome(outcome)
    service.kill()
    await asyncio.gather(*tasks, return_exceptions=True)
    await client.close()
    snapshot = set(acknowledged)

    service.start()
    stored = await _memories(service.target, "sam")
    assert snapshot <= stored, f"lost acknowledged writes: {sorted(snapshot - stored)}"
    assert abs((await _aviva_weight(service.target, "sam")).evidence - 1.0) < 0.01


def test_a_second_process_on_the_same_data_dir_fails_fast(service: EmbeddingsProcess) -> None:
    env = {
        **os.environ,
        "PM_DATA_DIR": str(service.data_dir),
        "PM_PORT": str(free_port()),
        "PM_METRICS_PORT": "-1",
        "PM_KNOWLEDGE_SEED": "off",
        "PM_INTERNAL_SECRET": mesh_secret(),  # as ServiceProcess gives it: the lock, not the secret, must stop it
    }
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "services.embeddings"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "in use by another embeddings process" in result.stdout + result.stderr
    assert time.monotonic() - started < 30


async def test_default_knowledge_base_is_seeded_quickly_from_shipped_vectors(tmp_path: Path) -> None:
    started = time.monotonic()
    seeded = EmbeddingsProcess(tmp_path / "data", tmp_path / "logs", {"PM_KNOWLEDGE_SEED": "blocking"})
    seeded.start()
    try:
        startup = time.monotonic() - started
        client = SignedIndexClient(seeded.target, timeout=30.0)
        hits = (
            await client.stub.SearchKnowledge(pb.SearchKnowledgeRequest(query="what does the yield statement do", k=3))
        ).hits
        await client.close()
        assert hits[0].source == "python-docs/yield", [h.source for h in hits]
        assert hits[0].url == "pydoc:yield" and "yield" in hits[0].text
        assert startup < 60, startup
    finally:
        seeded.stop()
