"""Conversation memory: each exchange kept per user and persona, searched by meaning within filters.

Defence in depth: whatever a caller sends, the stored texts (and the vector) are
made from the redacted text (`services.common.pii`), so no raw email address,
phone number, card or secret reaches the data dir (parquet, WAL, indexes).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from personamesh.v1 import embedding_index_service_pb2 as pb
from services.common.errors import invalid_argument, permission_denied
from services.common.pii import redact_text
from services.common.reasons import Reason
from services.embeddings import validation
from services.embeddings.collections import CONVERSATIONS
from services.embeddings.embedder import Embedder
from services.embeddings.filters import quote
from services.embeddings.store import VectorStore

FIELDS = [
    "id",
    "user_id",
    "session_id",
    "persona",
    "created_ms",
    "emotion",
    "sentiment",
    "request_id",
    "user_message",
    "response",
]


def now_ms() -> int:
    return int(time.time() * 1000)


def _timestamp(ms: int) -> Timestamp:
    stamp = Timestamp()
    stamp.FromMilliseconds(ms)
    return stamp


def record_from_row(row: dict[str, Any]) -> pb.ConversationRecord:
    return pb.ConversationRecord(
        id=row["id"],
        user_id=row["user_id"],
        session_id=row["session_id"],
        persona=int(row["persona"]),  # type: ignore[arg-type]
        user_message=row["user_message"],
        response=row["response"],
        created_at=_timestamp(int(row["created_ms"])),
        emotion=row["emotion"],
        sentiment=float(row["sentiment"]),
        request_id=row["request_id"],
    )


class ConversationMemory:
    """StoreConversation / SearchConversations / the conversation half of DeleteUserData."""

    def __init__(self, store: VectorStore, embedder: Embedder, *, max_chars: int) -> None:
        self.store = store
        self.embedder = embedder
        self.max_chars = max_chars

    def validate_record(self, record: pb.ConversationRecord) -> None:
        validation.identifier(record.user_id, "record.user_id")
        validation.identifier(record.session_id, "record.session_id", required=False)
        validation.identifier(record.request_id, "record.request_id", required=False)
        validation.identifier(record.id, "record.id", required=False)
        validation.identifier(record.emotion, "record.emotion", required=False)
        validation.persona(record.persona, "record.persona", allow_unspecified=False)
        validation.text(record.user_message, "record.user_message", self.max_chars)
        validation.text(record.response, "record.response", self.max_chars, required=False)
        if not -1.0 <= record.sentiment <= 1.0:
            raise invalid_argument(
                Reason.OUT_OF_RANGE,
                f"record.sentiment must be within [-1, 1], got {record.sentiment}",
                "record.sentiment",
            )
        if record.HasField("created_at"):
            validation.timestamp_ms(record.created_at, "record.created_at")

    async def store_record(self, record: pb.ConversationRecord) -> str:
        """Embed the user's message and keep the exchange; returns its id once it is on disk."""
        self.validate_record(record)
        record_id = record.id or uuid.uuid4().hex
        created = (
            validation.timestamp_ms(record.created_at, "record.created_at")
            if record.HasField("created_at")
            else now_ms()
        )
        user_message = redact_text(record.user_message)
        encoded = await self.embedder.encode_one(user_message)
        row = {
            "id": record_id,
            "user_id": record.user_id,
            "session_id": record.session_id,
            "persona": int(record.persona),
            "created_ms": created,
            "emotion": record.emotion,
            "sentiment": float(record.sentiment),
            "request_id": record.request_id,
            "user_message": validation.fit_stored_text(user_message),
            "response": validation.fit_stored_text(redact_text(record.response)),
            "vector": encoded.vector.tolist(),
        }
        if not await self.store.upsert(CONVERSATIONS, [row]):
            raise permission_denied(Reason.NOT_YOUR_DATA, "record.id is the id of another user's record")
        return record_id

    def search_filter(self, request: pb.SearchConversationsRequest) -> str:
        clauses = [f"user_id == {quote(request.user_id)}"]
        if request.persona:
            clauses.append(f"persona == {int(request.persona)}")
        if request.session_id:
            clauses.append(f"session_id == {quote(request.session_id)}")
        since = validation.timestamp_ms(request.since, "since") if request.HasField("since") else None
        until = validation.timestamp_ms(request.until, "until") if request.HasField("until") else None
        if since is not None and until is not None and since > until:
            raise invalid_argument(Reason.INVALID_TIME_WINDOW, "since is after until", "since")
        if since is not None:
            clauses.append(f"created_ms >= {since}")
        if until is not None:
            clauses.append(f"created_ms <= {until}")
        return " and ".join(clauses)

    async def search(self, user_id: str, query_vector: list[float], filter: str, k: int) -> list[pb.ConversationHit]:
        """The user's `k` nearest exchanges that `filter` (from search_filter, which selects the user) keeps."""
        hits = await self.store.search(
            CONVERSATIONS, query_vector, k, filter=filter, output_fields=FIELDS, partition_value=user_id
        )
        return [
            pb.ConversationHit(
                record=record_from_row({**hit["entity"], "id": hit.get("id", hit["entity"].get("id"))}),
                score=float(hit["distance"]),
            )
            for hit in hits
        ]

    async def delete_user(self, user_id: str) -> int:
        return await self.store.delete(CONVERSATIONS, f"user_id == {quote(user_id)}")

    async def delete_records(self, user_id: str, ids: list[str]) -> int:
        """The records of `user_id` among `ids` (a fact the user asked to be forgotten); others' are left alone."""
        listed = ", ".join(quote(record_id) for record_id in ids)
        return await self.store.delete(CONVERSATIONS, f"user_id == {quote(user_id)} and id in [{listed}]")

    async def count_user(self, user_id: str) -> int:
        return await self.store.count(CONVERSATIONS, f"user_id == {quote(user_id)}", partition_value=user_id)
