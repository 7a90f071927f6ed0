"""A store whose vectors came from another encoder is re-embedded at start-up, in the background."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np

from personamesh.v1 import embedding_index_service_pb2 as pb
from personamesh.v1 import persona_pb2
from services.common.encoder import DIMENSION, MODEL_NAME
from services.embeddings.collections import CONVERSATIONS, KNOWLEDGE
from services.embeddings.knowledge import STORED_FIELDS
from services.embeddings.memory import FIELDS as CONVERSATION_FIELDS
from services.embeddings.reembed import PROGRESS, RECORD
from services.embeddings.store import VectorStore
from tests.embeddings.conftest import launch
from tests.signing import SignedIndexClient

DOCUMENT = pb.KnowledgeDocument(
    source="kb/kettles.md", title="Kettles", text="# Kettles\n\nDescale a kettle with white vinegar and water."
)
SAID = "my sister Maya moved to Lisbon last spring"
# A page of the documentation corpus (its source prefix): `python -m services.embeddings.corpus` owns its vectors.
CORPUS_PAGE = pb.KnowledgeDocument(source="man/kettle.1", title="kettle(1)", text="kettle -d: descale the kettle now.")


def _record(store_dir: Path) -> str:
    return str(json.loads((store_dir / RECORD).read_text())["model"])


async def _wait_for_record(store_dir: Path) -> None:
    """Until the running model is recorded: the background re-embedding finished (30 s at most)."""
    for _ in range(300):
        if _record(store_dir) == MODEL_NAME:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the re-embedding did not finish")


async def _scores(target: str) -> tuple[float, ...]:
    """How close the stored kettle chunk, the stored exchange and the corpus page are to their own texts."""
    client = SignedIndexClient(target, timeout=30.0)
    try:
        knowledge = await client.stub.SearchKnowledge(
            pb.SearchKnowledgeRequest(query="Descale a kettle with white vinegar and water.", k=1, source_prefix="kb/")
        )
        corpus = await client.stub.SearchKnowledge(
            pb.SearchKnowledgeRequest(query="kettle -d: descale the kettle now.", k=1, source_prefix="man/")
        )
        memory = await client.stub.SearchConversations(
            pb.SearchConversationsRequest(user_id="u-reembed", query=SAID, k=1)
        )
        return knowledge.hits[0].score, memory.hits[0].score, corpus.hits[0].score
    finally:
        await client.close()


async def _scramble(store_dir: Path) -> None:
    """Stand in for an older encoder: every stored vector replaced by an unrelated unit vector."""
    rng = np.random.default_rng(7)
    store = VectorStore(lite_dir=store_dir)
    await store.open()
    try:
        for collection, fields in ((KNOWLEDGE, STORED_FIELDS), (CONVERSATIONS, CONVERSATION_FIELDS)):
            rows = await store.query_all(
                collection, 'id != ""' if collection == CONVERSATIONS else 'chunk_id != ""', fields
            )
            for row in rows:
                vector = rng.normal(size=DIMENSION).astype(np.float32)
                row["vector"] = (vector / np.linalg.norm(vector)).tolist()
            await store.upsert(collection, rows)
    finally:
        await store.close()
    (store_dir / RECORD).write_text(json.dumps({"model": "an-older-encoder"}))


async def test_vectors_of_another_encoder_are_made_again(tmp_path: Path) -> None:
    """Everything but the documentation corpus (its tool ingests it again) is embedded again, then recorded."""
    service = launch(tmp_path)
    store_dir = service.data_dir / "embeddings"
    try:
        assert _record(store_dir) == MODEL_NAME  # a new store records its model at once
        client = SignedIndexClient(service.target, timeout=30.0)
        try:
            await client.stub.UpsertKnowledge(pb.UpsertKnowledgeRequest(documents=[DOCUMENT, CORPUS_PAGE]))
            record = pb.ConversationRecord(user_id="u-reembed", persona=persona_pb2.PERSONA_ABBEY, user_message=SAID)
            await client.stub.StoreConversation(pb.StoreConversationRequest(record=record))
        finally:
            await client.close()
        assert min(await _scores(service.target)) > 0.9
        service.stop()

        await _scramble(store_dir)
        service.start()
        await _wait_for_record(store_dir)
        knowledge, memory, corpus = await _scores(service.target)
        assert knowledge > 0.9 and memory > 0.9
        assert corpus < 0.5, "the corpus page is left to the corpus tool"
    finally:
        service.stop()


async def _memory_scores(target: str, said: list[str]) -> list[float]:
    client = SignedIndexClient(target, timeout=30.0)
    try:
        scores = []
        for text in said:
            found = await client.stub.SearchConversations(
                pb.SearchConversationsRequest(user_id="u-resume", query=text, k=5)
            )
            scores.append(max((hit.score for hit in found.hits if hit.record.user_message == text), default=0.0))
        return scores
    finally:
        await client.close()


async def test_an_interrupted_re_embedding_resumes_where_it_stopped(tmp_path: Path) -> None:
    """With the progress record saying the first exchanges (in id order) were done before a stop, the next start
    re-embeds only the rest: the ones marked done keep the vectors they had, and the record is removed at the end."""
    said = ["my cat Pixel hates the vacuum", "I moved to Porto in May", "my brother Tom plays the cello"]
    service = launch(tmp_path)
    store_dir = service.data_dir / "embeddings"
    try:
        client = SignedIndexClient(service.target, timeout=30.0)
        try:
            for text in said:
                record = pb.ConversationRecord(user_id="u-resume", persona=persona_pb2.PERSONA_ABBEY, user_message=text)
                await client.stub.StoreConversation(pb.StoreConversationRequest(record=record))
        finally:
            await client.close()
        service.stop()

        await _scramble(store_dir)
        store = VectorStore(lite_dir=store_dir)
        await store.open()
        try:
            rows = await store.query_all(CONVERSATIONS, 'id != ""', ["id", "user_message"])
        finally:
            await store.close()
        by_id = sorted((str(row["id"]), str(row["user_message"])) for row in rows)
        first_id, first_said = by_id[0]
        (store_dir / PROGRESS).write_text(json.dumps({"model": MODEL_NAME, "done": {CONVERSATIONS: first_id}}))

        service.start()
        await _wait_for_record(store_dir)
        scores = dict(zip(said, await _memory_scores(service.target, said), strict=True))
        assert scores[first_said] < 0.5, "the exchange marked done was embedded again"
        assert all(scores[text] > 0.9 for _, text in by_id[1:]), scores
        assert not (store_dir / PROGRESS).exists(), "a finished re-embedding leaves no progress record"
    finally:
        service.stop()
