"""The EmbeddingIndexService handlers: validate, then delegate to the component that owns the job.

Per-user RPCs (conversation memory, deletion, outcomes, a user's weights) act only for the user the
gateway signed (`internal_auth.require_user`): no valid token, UNAUTHENTICATED; a token for another
user, PERMISSION_DENIED. Embeddings, persona profiles, knowledge and the aggregate weights hold no
one's personal data and stay open to the mesh.
"""

from __future__ import annotations

import time

import numpy as np

from personamesh.v1 import embedding_index_service_pb2 as pb
from personamesh.v1 import persona_pb2
from services.common.errors import invalid_argument
from services.common.internal_auth import require_user
from services.common.reasons import Reason
from services.common.registry import persona_enum
from services.embeddings import validation
from services.embeddings.collections import OUTCOMES, WEIGHTS
from services.embeddings.embedder import Embedder
from services.embeddings.filters import quote
from services.embeddings.knowledge import MAX_SOURCE_CHARS, KnowledgeBase, PreparedDocument
from services.embeddings.learning import AdaptiveWeights, PersonaWeights
from services.embeddings.memory import ConversationMemory, now_ms
from services.embeddings.profiles import PersonaProfiles
from services.embeddings.settings import EmbeddingsSettings
from services.embeddings.store import VectorStore, WriteOp

MAX_DOCUMENTS_PER_REQUEST = 1000
MAX_IDS_PER_DELETE = 100


def _weights_proto(weights: list[PersonaWeights]) -> list[pb.PersonaWeight]:
    return [
        pb.PersonaWeight(
            persona=w.persona,  # type: ignore[arg-type]
            weight=w.weight,
            evidence=w.evidence,
            user_weight=w.user_weight,
            domain_weight=w.domain_weight,
            global_weight=w.global_weight,
        )
        for w in sorted(weights, key=lambda w: w.weight, reverse=True)
    ]


class EmbeddingIndexServicer:
    """One instance per process; `profiles` is set once warm-up has embedded them."""

    def __init__(
        self,
        settings: EmbeddingsSettings,
        embedder: Embedder,
        store: VectorStore,
        memory: ConversationMemory,
        knowledge: KnowledgeBase,
        weights: AdaptiveWeights,
        project_docs: KnowledgeBase,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.memory = memory
        self.knowledge = knowledge
        self.project_docs = project_docs
        self.weights = weights
        self.profiles: PersonaProfiles | None = None

    def _max_chars(self) -> int:
        return self.settings.max_content_chars

    async def _query_vector(self, query: str, field: str = "query") -> list[float]:
        validation.text(query, field, self._max_chars())
        encoded = await self.embedder.encode_one(query)
        return encoded.vector.tolist()

    # --- embeddings and profiles ----------------------------------------

    async def Embed(self, request: pb.EmbedRequest, context: object) -> pb.EmbedResponse:
        texts = list(request.texts)
        if not texts:
            raise invalid_argument(Reason.NO_TEXTS, "texts must hold at least one text", "texts")
        if len(texts) > self.settings.max_texts_per_request:
            raise invalid_argument(
                Reason.TOO_MANY_TEXTS, f"at most {self.settings.max_texts_per_request} texts per call", "texts"
            )
        for i, text in enumerate(texts):
            validation.text(text, f"texts[{i}]", self._max_chars())
        encoded = await self.embedder.encode(texts)
        return pb.EmbedResponse(
            vectors=[
                pb.Vector(values=e.vector.tolist(), truncated=e.truncated, token_count=e.token_count) for e in encoded
            ],
            model=self.embedder.model_name,
            dimension=self.embedder.dimension,
        )

    async def FindBestPersona(self, request: pb.FindBestPersonaRequest, context: object) -> pb.FindBestPersonaResponse:
        top_k = validation.top_k(request.top_k, "top_k", self.settings.max_k)
        if request.vector:
            values = np.asarray(validation.vector(request.vector, "vector"), dtype=np.float32)
            vector = values / np.linalg.norm(values)
        else:
            validation.text(request.query, "query", self._max_chars())
            vector = (await self.embedder.encode_one(request.query)).vector
        if self.profiles is None:
            raise RuntimeError("profiles are not loaded")
        scores = self.profiles.scores(vector)[:top_k]
        return pb.FindBestPersonaResponse(
            scores=[persona_pb2.PersonaScore(persona=persona_enum(p), persona_name=p, score=s) for p, s in scores],
            query_vector=vector.tolist(),
        )

    # --- conversation memory --------------------------------------------

    async def StoreConversation(
        self, request: pb.StoreConversationRequest, context: object
    ) -> pb.StoreConversationResponse:
        if not request.HasField("record"):
            raise invalid_argument(Reason.MISSING_RECORD, "record is required", "record")
        require_user(request.record.user_id, "StoreConversation")
        return pb.StoreConversationResponse(id=await self.memory.store_record(request.record))

    async def SearchConversations(
        self, request: pb.SearchConversationsRequest, context: object
    ) -> pb.SearchConversationsResponse:
        require_user(request.user_id, "SearchConversations")
        validation.identifier(request.user_id, "user_id")
        validation.identifier(request.session_id, "session_id", required=False)
        validation.persona(request.persona, "persona", allow_unspecified=True)
        k = validation.top_k(request.k, "k", self.settings.max_k)
        filter = self.memory.search_filter(request)
        vector = await self._query_vector(request.query)
        return pb.SearchConversationsResponse(hits=await self.memory.search(request.user_id, vector, filter, k))

    async def DeleteUserData(self, request: pb.DeleteUserDataRequest, context: object) -> pb.DeleteUserDataResponse:
        require_user(request.user_id, "DeleteUserData")
        user_id = validation.identifier(request.user_id, "user_id")
        conversations = await self.memory.delete_user(user_id)
        self.weights.forget_user(user_id)
        weights = await self.store.delete(WEIGHTS, f"user_id == {quote(user_id)}")
        await self.store.delete(OUTCOMES, f"user_id == {quote(user_id)}")
        # The cache is keyed by text and may hold this user's messages.
        self.embedder.cache.clear()
        return pb.DeleteUserDataResponse(deleted_conversations=conversations, deleted_weights=weights)

    async def DeleteConversations(
        self, request: pb.DeleteConversationsRequest, context: object
    ) -> pb.DeleteConversationsResponse:
        require_user(request.user_id, "DeleteConversations")
        user_id = validation.identifier(request.user_id, "user_id")
        if not request.ids:
            raise invalid_argument(Reason.NO_IDS, "ids must name at least one record", "ids")
        if len(request.ids) > MAX_IDS_PER_DELETE:
            raise invalid_argument(Reason.TOO_MANY_IDS, f"at most {MAX_IDS_PER_DELETE} ids per call", "ids")
        ids = [validation.identifier(record_id, f"ids[{i}]") for i, record_id in enumerate(request.ids)]
        deleted = await self.memory.delete_records(user_id, ids)
        # The cache is keyed by text and may hold the forgotten sentences.
        self.embedder.cache.clear()
        return pb.DeleteConversationsResponse(deleted_conversations=deleted)

    # --- knowledge -------------------------------------------------------

    async def UpsertKnowledge(self, request: pb.UpsertKnowledgeRequest, context: object) -> pb.UpsertKnowledgeResponse:
        if not request.documents:
            raise invalid_argument(Reason.NO_DOCUMENTS, "documents must hold at least one document", "documents")
        if len(request.documents) > MAX_DOCUMENTS_PER_REQUEST:
            raise invalid_argument(
                Reason.TOO_MANY_DOCUMENTS, f"at most {MAX_DOCUMENTS_PER_REQUEST} documents per call", "documents"
            )
        groups: dict[int, list[PreparedDocument]] = {}
        for i, document in enumerate(request.documents):
            base = self._knowledge_base(document.collection, f"documents[{i}].collection")
            groups.setdefault(document.collection or pb.KNOWLEDGE_COLLECTION_REFERENCE, []).append(
                base.prepare(document, i)
            )
        sources = [(key, p.source) for key, group in groups.items() for p in group]
        if len(set(sources)) != len(sources):
            raise invalid_argument(Reason.DUPLICATE_SOURCE, "each document of one call needs its own source", "source")
        chunks = 0
        for key, group in groups.items():
            base = self._knowledge_base(key, "collection")
            chunks += await base.upsert(group)
            await base.passages.build()  # the caller finds its documents once this call returns
        return pb.UpsertKnowledgeResponse(documents=len(sources), chunks=chunks)

    def _knowledge_base(self, collection: int, field: str) -> KnowledgeBase:
        if collection == pb.KNOWLEDGE_COLLECTION_PROJECT:
            return self.project_docs
        if collection in (pb.KNOWLEDGE_COLLECTION_UNSPECIFIED, pb.KNOWLEDGE_COLLECTION_REFERENCE):
            return self.knowledge
        raise invalid_argument(Reason.UNKNOWN_ENUM_VALUE, f"{field} {collection} is unknown", field)

    async def SearchKnowledge(self, request: pb.SearchKnowledgeRequest, context: object) -> pb.SearchKnowledgeResponse:
        k = validation.top_k(request.k, "k", self.settings.max_k)
        if len(request.source_prefix) > MAX_SOURCE_CHARS:
            raise invalid_argument(Reason.ID_TOO_LONG, "source_prefix is too long", "source_prefix")
        min_score = validation.score_threshold(request.min_score, "min_score")
        base = self._knowledge_base(request.collection, "collection")
        vector = await self._query_vector(request.query)
        if request.hybrid:
            hits = await base.hybrid_search(request.query, vector, k, request.source_prefix, min_score)
        else:
            hits = await base.search(vector, k, request.source_prefix, min_score)
        return pb.SearchKnowledgeResponse(hits=hits, query_vector=vector)

    # --- adaptive learning ----------------------------------------------

    async def RecordOutcome(self, request: pb.RecordOutcomeRequest, context: object) -> pb.RecordOutcomeResponse:
        # Outcomes move the user's, the domain's and the global weights: always a signed caller.
        require_user(request.user_id, "RecordOutcome")
        persona = validation.persona(request.persona, "persona", allow_unspecified=False)
        reward = (
            validation.unit_interval(request.rating, "rating")
            if request.HasField("rating")
            else (1.0 if request.success else 0.0)
        )
        validation.identifier(request.request_id, "request_id", required=False)
        validation.identifier(request.user_id, "user_id", required=False)
        validation.identifier(request.domain, "domain", required=False)
        now = now_ms()
        if not self.weights.already_recorded(request.request_id):
            await self._count_once(request, persona, reward, now)
        return pb.RecordOutcomeResponse(
            weights=_weights_proto(self.weights.weights(request.user_id, request.domain, now))
        )

    async def _count_once(self, request: pb.RecordOutcomeRequest, persona: int, reward: float, now: int) -> None:
        """Count an outcome unless the store says its request id was counted before (e.g. before a restart).

        The id row goes first in the same group commit as the weights: a crash between the two loses the
        outcome rather than counting it twice.
        """
        request_id = request.request_id
        try:
            if request_id and await self.store.query(OUTCOMES, f"id == {quote(request_id)}", ["id"], limit=1):
                return
            snapshot = self.weights.snapshot(self.weights.keys_for(persona, request.user_id, request.domain))
            keys = self.weights.record(persona, reward, request.user_id, request.domain, now)
            ops = [WriteOp(WEIGHTS, rows=[self.weights.to_row(key) for key in keys])]
            if request_id:
                ops.insert(
                    0, WriteOp(OUTCOMES, rows=[self.weights.outcome_row(request_id, persona, request.user_id, now)])
                )
            try:
                await self.store.write(ops)
            except BaseException:
                self.weights.restore(snapshot)
                raise
        except BaseException:
            self.weights.release(request_id)
            raise

    async def GetWeights(self, request: pb.GetWeightsRequest, context: object) -> pb.GetWeightsResponse:
        if request.user_id:  # the domain and global weights alone are aggregates, open to the mesh
            require_user(request.user_id, "GetWeights")
        validation.identifier(request.user_id, "user_id", required=False)
        validation.identifier(request.domain, "domain", required=False)
        return pb.GetWeightsResponse(
            weights=_weights_proto(self.weights.weights(request.user_id, request.domain, int(time.time() * 1000)))
        )
