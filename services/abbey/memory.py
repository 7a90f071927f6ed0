"""Episodic memory through the embedding index: recall this user's earlier exchanges, remember new ones.

The index may be down; recall then returns `available = False` and Abbey
answers anyway (degraded). Writes happen after the answer was sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.timestamp_pb2 import Timestamp

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from personamesh.v1 import persona_pb2
from services.common.generation.grounding import IndexCaller


@dataclass(frozen=True)
class Recollection:
    """One earlier exchange that resembles the current message."""

    user_message: str
    response: str
    emotion: str
    score: float
    session_id: str


@dataclass(frozen=True)
class Recall:
    memories: list[Recollection]
    available: bool


class EpisodicMemory:
    """Abbey's memory of each user, kept in the embedding index."""

    def __init__(self, index: IndexCaller, k: int, min_score: float) -> None:
        self._index = index
        self._k = k
        self._min_score = min_score

    async def recall(self, user_id: str, query: str) -> Recall:
        """Earlier exchanges with this user (any session) similar to `query`, best first."""
        if not user_id:
            return Recall([], True)
        request = index_pb2.SearchConversationsRequest(
            user_id=user_id, persona=persona_pb2.PERSONA_UNSPECIFIED, query=query, k=self._k
        )
        reply = await self._index.call(lambda t: self._index.stub.SearchConversations(request, timeout=t))
        if reply is None:
            return Recall([], False)
        memories = [
            Recollection(
                hit.record.user_message,
                hit.record.response,
                hit.record.emotion,
                float(hit.score),
                hit.record.session_id,
            )
            for hit in reply.hits
            if hit.score >= self._min_score and hit.record.user_message.strip() != query.strip()
        ]
        return Recall(memories, True)

    async def remember(
        self, request: persona_pb2.PersonaRequest, response: persona_pb2.PersonaResponse, emotion: str, polarity: float
    ) -> bool:
        """Store this exchange; False when the index did not take it."""
        if not request.user_id:
            return False
        created = Timestamp()
        created.GetCurrentTime()
        record = index_pb2.ConversationRecord(
            user_id=request.user_id,
            session_id=request.session_id,
            persona=persona_pb2.PERSONA_ABBEY,
            user_message=request.content,
            response=response.content,
            created_at=created,
            emotion=emotion,
            sentiment=polarity,
            request_id=response.request_id,
        )
        store = index_pb2.StoreConversationRequest(record=record)
        reply = await self._index.call(lambda t: self._index.stub.StoreConversation(store, timeout=t))
        return reply is not None
