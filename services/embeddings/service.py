"""Wiring of the embedding index: components, gRPC registration, warm-up, seeding and shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import grpc

from personamesh.v1 import embedding_index_service_pb2_grpc as pb_grpc
from services.common.encoder import SentenceEncoder
from services.common.errors import unavailable
from services.common.reasons import Reason
from services.common.registry import persona_enum
from services.common.server import ServiceSpec
from services.embeddings import reembed
from services.embeddings.collections import CONVERSATIONS, KNOWLEDGE_COLLECTIONS, OUTCOMES, PROFILES, WEIGHTS
from services.embeddings.corpus import prebuilt
from services.embeddings.embedder import Embedder
from services.embeddings.filters import quote
from services.embeddings.knowledge import KnowledgeBase
from services.embeddings.learning import AdaptiveWeights
from services.embeddings.memory import ConversationMemory
from services.embeddings.profiles import PersonaProfiles, load_profile_texts
from services.embeddings.seed import default_documents, seed_collection
from services.embeddings.seed_vectors import SeedVectors
from services.embeddings.servicer import EmbeddingIndexServicer
from services.embeddings.settings import EmbeddingsSettings
from services.embeddings.store import WriteOp, store_from_settings

log = logging.getLogger(__name__)
SERVICE_NAME = "personamesh.v1.EmbeddingIndexService"
SEED_DOCUMENTS_PER_CALL = 8


class EmbeddingIndex:
    """The whole service: what `ServiceSpec` starts, warms and closes."""

    def __init__(self, settings: EmbeddingsSettings) -> None:
        self.settings = settings
        self.store = store_from_settings(settings)
        self.embedder: Embedder | None = None
        self.servicer: EmbeddingIndexServicer | None = None
        self.seeding: asyncio.Task[None] | None = None
        self.reembedding: asyncio.Task[None] | None = None

    def spec(self) -> ServiceSpec:
        return ServiceSpec(
            name="embeddings",
            service_names=[SERVICE_NAME],
            register=self._register,
            warmup=self.warmup,
            close=self.close,
        )

    def _register(self, server: grpc.aio.Server) -> None:
        pb_grpc.add_EmbeddingIndexServiceServicer_to_server(_LateServicer(self), server)  # type: ignore[arg-type]

    async def warmup(self) -> None:
        """Load the model, open the store, embed profiles, load weights; SERVING only after this."""
        started = time.perf_counter()
        settings = self.settings
        loop = asyncio.get_running_loop()
        encoder = await loop.run_in_executor(
            None, lambda: SentenceEncoder(threads=settings.encoder_threads, allow_spinning=settings.encoder_spinning)
        )
        self.embedder = Embedder(
            encoder,
            batching=settings.embed_batching,
            max_batch=settings.embed_batch_max_texts,
            max_wait_s=settings.embed_batch_wait_ms / 1000.0,
            cache_size=settings.embed_cache_size,
            workers=settings.embed_batch_workers,
        )
        if settings.corpus_seed_dir is not None and not settings.milvus_uri:
            await asyncio.to_thread(prebuilt.seed_from, settings.corpus_seed_dir, settings)
        await self.store.open()
        profile_texts = load_profile_texts()
        vectors = await self.embedder.matrix([t.text for t in profile_texts])
        profiles = PersonaProfiles(profile_texts, vectors)
        await self._save_profiles(profiles)
        weights = AdaptiveWeights(
            # Learned weights are stored per enum value: kept for the built-in personas only (docs/personas.md).
            [value for value in map(persona_enum, profiles.personas) if value],
            half_life_days=settings.learning_half_life_days,
            prior_strength=settings.learning_prior_strength,
            global_prior_strength=settings.learning_global_prior_strength,
            max_evidence=settings.learning_max_evidence,
        )
        weights.load_rows(
            await self.store.query_all(
                WEIGHTS, 'id != ""', ["scope", "key", "persona", "successes", "failures", "updated_ms"]
            )
        )
        if settings.feedback_dedup_days > 0:
            cutoff = int(time.time() * 1000 - settings.feedback_dedup_days * 86_400_000)
            await self.store.delete(OUTCOMES, f"recorded_ms < {cutoff}")
        memory = ConversationMemory(self.store, self.embedder, max_chars=settings.max_content_chars)
        knowledge, project_docs = (
            KnowledgeBase(
                self.store,
                self.embedder,
                max_chars=settings.max_document_chars,
                chunk_chars=settings.chunk_chars,
                overlap=settings.chunk_overlap_chars,
                collection=collection,
            )
            for collection in KNOWLEDGE_COLLECTIONS
        )
        for base in (knowledge, project_docs):
            await base.load_passages()
        servicer = EmbeddingIndexServicer(settings, self.embedder, self.store, memory, knowledge, weights, project_docs)
        servicer.profiles = profiles
        # The first search loads the memory collection's index; pay that here, not on a user's request.
        # (Knowledge is searched in memory: services/embeddings/passages.py.)
        await self.store.search(CONVERSATIONS, vectors[0].tolist(), 1, output_fields=[])
        self.servicer = servicer
        await self._start_reembedding([knowledge, project_docs])
        await self._start_seeding(knowledge, project_docs)
        log.info(
            "embedding index warm",
            extra={"seconds": round(time.perf_counter() - started, 2), "weights_rows": len(weights.state)},
        )

    async def _save_profiles(self, profiles: PersonaProfiles) -> None:
        """Keep the current profile vectors in the store too (inspection, other tools); served from memory."""
        rows: list[dict[str, Any]] = [
            {
                "id": f"{t.persona}:{i}",
                "persona": persona_enum(t.persona),
                "kind": t.kind,
                "text": t.text,
                "vector": profiles.matrix[i].tolist(),
            }
            for i, t in enumerate(profiles.texts)
        ]
        await self.store.write([WriteOp(PROFILES, filter='id != ""'), WriteOp(PROFILES, rows=rows)])

    async def _start_reembedding(self, bases: list[KnowledgeBase]) -> None:
        """Vectors of another encoder in the store are made again in the background (services/embeddings/reembed.py)."""
        assert self.embedder is not None
        store_dir = self.settings.store_dir
        if not await reembed.needs_reembedding(self.store, store_dir):
            return
        self.reembedding = asyncio.get_running_loop().create_task(
            reembed.reembed_all(store_dir, bases, self.store, self.embedder), name="reembed"
        )

    async def _start_seeding(self, knowledge: KnowledgeBase, project_docs: KnowledgeBase) -> None:
        mode = self.settings.knowledge_seed
        if mode == "off":
            return
        # Each collection is seeded while it lacks the default documents (a corpus ingested before the first start
        # does not count; a data dir from before the split gets the project's docs in their own collection).
        defaults = default_documents(self.settings.docs_dir)
        bases = []
        for base in (knowledge, project_docs):
            mine = [d.source for d in defaults if seed_collection(d) == base.collection]
            if mine and await self.store.count(base.collection, f"source == {quote(mine[0])}") == 0:
                bases.append(base)
        if not bases:
            return
        if mode == "blocking":
            await self._seed(bases)
        else:
            self.seeding = asyncio.get_running_loop().create_task(self._seed(bases), name="knowledge-seed")

    async def _seed(self, bases: list[KnowledgeBase]) -> None:
        started = time.perf_counter()
        wanted = {base.collection for base in bases}
        known = SeedVectors.load()
        chunks = 0
        documents = [
            (base, document)
            for base in bases
            for document in default_documents(self.settings.docs_dir)
            if seed_collection(document) == base.collection and base.collection in wanted
        ]
        try:
            for start in range(0, len(documents), SEED_DOCUMENTS_PER_CALL):
                batch = documents[start : start + SEED_DOCUMENTS_PER_CALL]
                for base in bases:
                    mine = [base.prepare(d, i) for i, (b, d) in enumerate(batch) if b is base]
                    if mine:
                        chunks += await base.upsert(mine, known)
            for base in bases:
                await base.passages.build()  # here, rather than behind a user's first search
        except asyncio.CancelledError:
            log.info("knowledge seeding interrupted; it resumes when the store is empty at the next start")
            raise
        except Exception:
            log.exception("knowledge seeding failed")
            return
        log.info(
            "default knowledge base loaded",
            extra={"documents": len(documents), "chunks": chunks, "seconds": round(time.perf_counter() - started, 1)},
        )

    async def close(self) -> None:
        for task in (self.seeding, self.reembedding):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self.embedder is not None:
            await self.embedder.close()
        await self.store.close()


class _LateServicer:
    """Forwards calls to the servicer built in warm-up (the server registers handlers before warm-up runs)."""

    def __init__(self, index: EmbeddingIndex) -> None:
        self._index = index

    def __getattr__(self, name: str) -> Any:
        async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
            servicer = self._index.servicer
            if servicer is None:
                raise unavailable(Reason.NOT_READY, "the embedding index is still warming up")
            return await getattr(servicer, name)(request, context)

        return call


def build(settings: EmbeddingsSettings) -> ServiceSpec:
    return EmbeddingIndex(settings).spec()
