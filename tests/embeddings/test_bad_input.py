"""Every bad input is INVALID_ARGUMENT with a clear reason, and nothing is stored."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable

import grpc
import pytest
from google.protobuf.message import Message

from personamesh.v1 import embedding_index_service_pb2 as pb
from personamesh.v1 import persona_pb2
from services.common.errors import error_reason
from tests.embeddings.conftest import EmbeddingsProcess, expect_invalid

ABBEY, AVIVA = persona_pb2.PERSONA_ABBEY, persona_pb2.PERSONA_AVIVA
HUGE = "x" * 100_000
SERVICE = "/personamesh.v1.EmbeddingIndexService/"
MARKER = "MARKERMARKER"


async def raw_call(target: str, method: str, payload: bytes) -> grpc.aio.AioRpcError:
    """Send hand-made bytes (invalid UTF-8, wrong wire types) that no generated client would produce."""
    async with grpc.aio.insecure_channel(target) as channel:
        call = channel.unary_unary(SERVICE + method, request_serializer=lambda b: b, response_deserializer=lambda b: b)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call(payload, timeout=10)
    return caught.value


def with_bad_utf8(message: Message) -> bytes:
    """The message's bytes with the MARKER string replaced by invalid UTF-8 of the same length."""
    data = message.SerializeToString()
    assert MARKER.encode() in data
    return data.replace(MARKER.encode(), b"\xff\xfe" * (len(MARKER) // 2))


def record(**overrides: object) -> pb.ConversationRecord:
    fields: dict[str, object] = {"user_id": "mallory", "persona": ABBEY, "user_message": "a fine message"}
    fields.update(overrides)
    return pb.ConversationRecord(**fields)  # type: ignore[arg-type]


Call = Callable[[object], Awaitable[object]]

CASES: list[tuple[str, str, Message, str]] = [
    # Embed
    ("embed-no-texts", "Embed", pb.EmbedRequest(), "NO_TEXTS"),
    ("embed-empty", "Embed", pb.EmbedRequest(texts=[""]), "EMPTY_TEXT"),
    ("embed-blank", "Embed", pb.EmbedRequest(texts=["ok", "   \n"]), "EMPTY_TEXT"),
    ("embed-100k", "Embed", pb.EmbedRequest(texts=[HUGE]), "TEXT_TOO_LONG"),
    ("embed-nul", "Embed", pb.EmbedRequest(texts=["a\x00b"]), "INVALID_TEXT"),
    ("embed-too-many", "Embed", pb.EmbedRequest(texts=["t"] * 257), "TOO_MANY_TEXTS"),
    # FindBestPersona
    ("persona-k0", "FindBestPersona", pb.FindBestPersonaRequest(query="hi", top_k=0), "K_OUT_OF_RANGE"),
    ("persona-k1m", "FindBestPersona", pb.FindBestPersonaRequest(query="hi", top_k=1_000_000), "K_OUT_OF_RANGE"),
    ("persona-k-negative", "FindBestPersona", pb.FindBestPersonaRequest(query="hi", top_k=-3), "K_OUT_OF_RANGE"),
    ("persona-empty", "FindBestPersona", pb.FindBestPersonaRequest(query="", top_k=3), "EMPTY_TEXT"),
    ("persona-100k", "FindBestPersona", pb.FindBestPersonaRequest(query=HUGE, top_k=3), "TEXT_TOO_LONG"),
    (
        "persona-dim",
        "FindBestPersona",
        pb.FindBestPersonaRequest(vector=[0.1] * 383, top_k=3),
        "WRONG_VECTOR_DIMENSION",
    ),
    (
        "persona-dim-big",
        "FindBestPersona",
        pb.FindBestPersonaRequest(vector=[0.1] * 768, top_k=3),
        "WRONG_VECTOR_DIMENSION",
    ),
    ("persona-nan", "FindBestPersona", pb.FindBestPersonaRequest(vector=[math.nan] * 384, top_k=3), "INVALID_VECTOR"),
    ("persona-zero", "FindBestPersona", pb.FindBestPersonaRequest(vector=[0.0] * 384, top_k=3), "INVALID_VECTOR"),
    # StoreConversation
    ("store-missing", "StoreConversation", pb.StoreConversationRequest(), "MISSING_RECORD"),
    ("store-no-user", "StoreConversation", pb.StoreConversationRequest(record=record(user_id="")), "MISSING_ID"),
    ("store-empty", "StoreConversation", pb.StoreConversationRequest(record=record(user_message="")), "EMPTY_TEXT"),
    ("store-100k", "StoreConversation", pb.StoreConversationRequest(record=record(user_message=HUGE)), "TEXT_TOO_LONG"),
    (
        "store-response-100k",
        "StoreConversation",
        pb.StoreConversationRequest(record=record(response=HUGE)),
        "TEXT_TOO_LONG",
    ),
    (
        "store-unknown-persona",
        "StoreConversation",
        pb.StoreConversationRequest(record=record(persona=99)),
        "UNKNOWN_PERSONA",
    ),
    ("store-no-persona", "StoreConversation", pb.StoreConversationRequest(record=record(persona=0)), "UNKNOWN_PERSONA"),
    ("store-sentiment", "StoreConversation", pb.StoreConversationRequest(record=record(sentiment=5.0)), "OUT_OF_RANGE"),
    (
        "store-user-newline",
        "StoreConversation",
        pb.StoreConversationRequest(record=record(user_id="a\nb")),
        "INVALID_ID",
    ),
    (
        "store-user-long",
        "StoreConversation",
        pb.StoreConversationRequest(record=record(user_id="u" * 300)),
        "ID_TOO_LONG",
    ),
    # SearchConversations
    (
        "memory-k0",
        "SearchConversations",
        pb.SearchConversationsRequest(user_id="mallory", query="q", k=0),
        "K_OUT_OF_RANGE",
    ),
    (
        "memory-k1m",
        "SearchConversations",
        pb.SearchConversationsRequest(user_id="mallory", query="q", k=1_000_000),
        "K_OUT_OF_RANGE",
    ),
    ("memory-no-user", "SearchConversations", pb.SearchConversationsRequest(query="q", k=3), "MISSING_ID"),
    (
        "memory-empty",
        "SearchConversations",
        pb.SearchConversationsRequest(user_id="mallory", query="", k=3),
        "EMPTY_TEXT",
    ),
    (
        "memory-100k",
        "SearchConversations",
        pb.SearchConversationsRequest(user_id="mallory", query=HUGE, k=3),
        "TEXT_TOO_LONG",
    ),
    (
        "memory-persona",
        "SearchConversations",
        pb.SearchConversationsRequest(user_id="mallory", query="q", k=3, persona=persona_pb2.Persona.ValueType(42)),
        "UNKNOWN_PERSONA",
    ),
    # DeleteUserData
    ("delete-no-user", "DeleteUserData", pb.DeleteUserDataRequest(), "MISSING_ID"),
    # DeleteConversations
    ("forget-no-user", "DeleteConversations", pb.DeleteConversationsRequest(ids=["a"]), "MISSING_ID"),
    ("forget-no-ids", "DeleteConversations", pb.DeleteConversationsRequest(user_id="mallory"), "NO_IDS"),
    (
        "forget-101-ids",
        "DeleteConversations",
        pb.DeleteConversationsRequest(user_id="mallory", ids=[f"id-{i}" for i in range(101)]),
        "TOO_MANY_IDS",
    ),
    (
        "forget-bad-id",
        "DeleteConversations",
        pb.DeleteConversationsRequest(user_id="mallory", ids=["fine", " padded "]),
        "INVALID_ID",
    ),
    # UpsertKnowledge
    ("kb-none", "UpsertKnowledge", pb.UpsertKnowledgeRequest(), "NO_DOCUMENTS"),
    (
        "kb-no-source",
        "UpsertKnowledge",
        pb.UpsertKnowledgeRequest(documents=[pb.KnowledgeDocument(text="t")]),
        "MISSING_ID",
    ),
    (
        "kb-empty",
        "UpsertKnowledge",
        pb.UpsertKnowledgeRequest(documents=[pb.KnowledgeDocument(source="bad/empty", text=" ")]),
        "EMPTY_TEXT",
    ),
    (
        "kb-format",
        "UpsertKnowledge",
        pb.UpsertKnowledgeRequest(documents=[pb.KnowledgeDocument(source="bad/format", text="t", format="pdf")]),
        "UNKNOWN_FORMAT",
    ),
    (
        "kb-duplicate",
        "UpsertKnowledge",
        pb.UpsertKnowledgeRequest(
            documents=[
                pb.KnowledgeDocument(source="bad/dup", text="a"),
                pb.KnowledgeDocument(source="bad/dup", text="b"),
            ]
        ),
        "DUPLICATE_SOURCE",
    ),
    (
        "kb-one-bad-of-two",
        "UpsertKnowledge",
        pb.UpsertKnowledgeRequest(
            documents=[
                pb.KnowledgeDocument(source="bad/good-one", text="fine text"),
                pb.KnowledgeDocument(source="bad/x", text=""),
            ]
        ),
        "EMPTY_TEXT",
    ),
    # SearchKnowledge
    ("kbsearch-k0", "SearchKnowledge", pb.SearchKnowledgeRequest(query="q", k=0), "K_OUT_OF_RANGE"),
    ("kbsearch-k1m", "SearchKnowledge", pb.SearchKnowledgeRequest(query="q", k=1_000_000), "K_OUT_OF_RANGE"),
    ("kbsearch-empty", "SearchKnowledge", pb.SearchKnowledgeRequest(query="", k=3), "EMPTY_TEXT"),
    ("kbsearch-100k", "SearchKnowledge", pb.SearchKnowledgeRequest(query=HUGE, k=3), "TEXT_TOO_LONG"),
    ("kbsearch-score", "SearchKnowledge", pb.SearchKnowledgeRequest(query="q", k=3, min_score=2.0), "OUT_OF_RANGE"),
    ("kbsearch-nan", "SearchKnowledge", pb.SearchKnowledgeRequest(query="q", k=3, min_score=math.nan), "OUT_OF_RANGE"),
    # RecordOutcome / GetWeights
    (
        "outcome-unknown",
        "RecordOutcome",
        pb.RecordOutcomeRequest(persona=persona_pb2.Persona.ValueType(99), success=True, user_id="mallory"),
        "UNKNOWN_PERSONA",
    ),
    ("outcome-none", "RecordOutcome", pb.RecordOutcomeRequest(success=True, user_id="mallory"), "UNKNOWN_PERSONA"),
    (
        "outcome-rating",
        "RecordOutcome",
        pb.RecordOutcomeRequest(persona=AVIVA, rating=1.5, user_id="mallory"),
        "OUT_OF_RANGE",
    ),
    (
        "outcome-rating-nan",
        "RecordOutcome",
        pb.RecordOutcomeRequest(persona=AVIVA, rating=math.nan, user_id="mallory"),
        "OUT_OF_RANGE",
    ),
    (
        "outcome-rating-neg",
        "RecordOutcome",
        pb.RecordOutcomeRequest(persona=AVIVA, rating=-0.1, user_id="mallory"),
        "OUT_OF_RANGE",
    ),
    ("weights-user", "GetWeights", pb.GetWeightsRequest(user_id="a\tb"), "INVALID_ID"),
]


@pytest.mark.parametrize(("method", "request_message", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_bad_request_is_invalid_argument(stub, method: str, request_message: Message, reason: str) -> None:
    await expect_invalid(getattr(stub, method)(request_message), reason)


UTF8_CASES: list[tuple[str, str, Message]] = [
    ("Embed", "embed", pb.EmbedRequest(texts=[MARKER])),
    ("FindBestPersona", "persona", pb.FindBestPersonaRequest(query=MARKER, top_k=3)),
    ("StoreConversation", "store", pb.StoreConversationRequest(record=record(user_message=MARKER))),
    ("SearchConversations", "memory", pb.SearchConversationsRequest(user_id="mallory", query=MARKER, k=3)),
    (
        "UpsertKnowledge",
        "kb",
        pb.UpsertKnowledgeRequest(documents=[pb.KnowledgeDocument(source="bad/utf8", text=MARKER)]),
    ),
    ("SearchKnowledge", "kbsearch", pb.SearchKnowledgeRequest(query=MARKER, k=3)),
    ("RecordOutcome", "outcome", pb.RecordOutcomeRequest(persona=AVIVA, success=True, user_id=MARKER)),
    ("DeleteUserData", "delete", pb.DeleteUserDataRequest(user_id=MARKER)),
    ("DeleteConversations", "forget", pb.DeleteConversationsRequest(user_id="mallory", ids=[MARKER])),
]


@pytest.mark.parametrize(("method", "message"), [(c[0], c[2]) for c in UTF8_CASES], ids=[c[1] for c in UTF8_CASES])
async def test_invalid_utf8_is_invalid_argument(embeddings: EmbeddingsProcess, method: str, message: Message) -> None:
    error = await raw_call(embeddings.target, method, with_bad_utf8(message))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(error) == "INVALID_UTF8"


async def test_wrong_wire_types_are_invalid_argument(embeddings: EmbeddingsProcess) -> None:
    # Field 1 (texts, a string) sent as a varint, then a truncated length-delimited field.
    for payload in (b"\x08\x05", b"\x0a\x05ab"):
        error = await raw_call(embeddings.target, "Embed", payload)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_reason(error) in ("NO_TEXTS", "MALFORMED_REQUEST")


async def test_rejected_requests_stored_nothing(stub) -> None:
    """Runs after the cases above (same module, same service): none of them left a row or a count."""
    hits = (
        await stub.SearchConversations(pb.SearchConversationsRequest(user_id="mallory", query="a fine message", k=100))
    ).hits
    assert hits == []
    bad_sources = (
        await stub.SearchKnowledge(pb.SearchKnowledgeRequest(query="fine text", k=100, source_prefix="bad/"))
    ).hits
    assert bad_sources == []
    weights = (await stub.GetWeights(pb.GetWeightsRequest(user_id="mallory"))).weights
    assert all(w.evidence == 0 and w.weight == 1.0 for w in weights)
    # The service is still healthy and answers normally.
    assert (await stub.Embed(pb.EmbedRequest(texts=["still fine"]))).dimension == 384
