"""Bad input to either persona gives INVALID_ARGUMENT with a clear reason, on Chat and ChatStream alike."""

from __future__ import annotations

import grpc
import pytest

from personamesh.v1 import persona_pb2
from services.common.errors import error_reason
from tests.personas.conftest import Personas
from tests.personas.support import chat, chat_stream, raw_call

R = persona_pb2.PersonaRequest

BAD_REQUESTS: list[tuple[str, persona_pb2.PersonaRequest, str]] = [
    ("empty", R(content=""), "EMPTY_CONTENT"),
    ("blank", R(content=" \n\t "), "EMPTY_CONTENT"),
    ("invisible", R(content="\u200b\u2060\ufeff"), "EMPTY_CONTENT"),
    ("huge", R(content="x" * 32_001), "CONTENT_TOO_LONG"),
    ("nul", R(content="hello\x00world"), "INVALID_CHARACTERS"),
    ("max_tokens zero", R(content="hi", max_tokens=0), "INVALID_MAX_TOKENS"),
    ("max_tokens negative", R(content="hi", max_tokens=-5), "INVALID_MAX_TOKENS"),
    ("max_tokens huge", R(content="hi", max_tokens=10_000_000), "INVALID_MAX_TOKENS"),
    ("temperature nan", R(content="hi", temperature=float("nan")), "INVALID_TEMPERATURE"),
    ("temperature negative", R(content="hi", temperature=-0.1), "INVALID_TEMPERATURE"),
    ("temperature high", R(content="hi", temperature=2.5), "INVALID_TEMPERATURE"),
    ("forced persona unknown", R(content="hi", forced_persona=99), "UNKNOWN_ENUM_VALUE"),  # type: ignore[arg-type]
    (
        "routing tone unknown",
        R(content="hi", routing=persona_pb2.RoutingDecision(tone=42)),  # type: ignore[arg-type]
        "UNKNOWN_ENUM_VALUE",
    ),
    (
        "moderation action unknown",
        R(content="hi", routing=persona_pb2.RoutingDecision(moderation=persona_pb2.ModerationResult(action=77))),  # type: ignore[arg-type]
        "UNKNOWN_ENUM_VALUE",
    ),
    ("routing confidence", R(content="hi", routing=persona_pb2.RoutingDecision(confidence=2.0)), "INVALID_ROUTING"),
    (
        "emotion score nan",
        R(
            content="hi",
            routing=persona_pb2.RoutingDecision(emotions=[persona_pb2.EmotionScore(label="joy", score=float("nan"))]),
        ),
        "INVALID_ROUTING",
    ),
    (
        "too many turns",
        R(content="hi", recent_turns=[persona_pb2.Turn(role=persona_pb2.ROLE_USER, content="x")] * 51),
        "TOO_MANY_TURNS",
    ),
    (
        "turn role unknown",
        R(content="hi", recent_turns=[persona_pb2.Turn(role=9, content="x")]),  # type: ignore[arg-type]
        "UNKNOWN_ENUM_VALUE",
    ),
    ("user id too long", R(content="hi", user_id="u" * 300), "FIELD_TOO_LONG"),
    ("user id control chars", R(content="hi", user_id="bad\nid"), "INVALID_ID"),
    ("metadata too big", R(content="hi", metadata={"k": "v" * 5000}), "METADATA_TOO_LARGE"),
]


@pytest.mark.parametrize("persona", ["abbey_no_index", "aviva_no_index"])
@pytest.mark.parametrize(("case", "request_", "reason"), BAD_REQUESTS, ids=[case for case, _, _ in BAD_REQUESTS])
async def test_bad_request_is_invalid_argument(
    personas: Personas, persona: str, case: str, request_: persona_pb2.PersonaRequest, reason: str
) -> None:
    target = getattr(personas, persona).target
    with pytest.raises(grpc.aio.AioRpcError) as unary:
        await chat(target, request_)
    assert unary.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(unary.value) == reason
    assert unary.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as streamed:
        await chat_stream(target, request_)
    assert streamed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(streamed.value) == reason


# Field 4 (content), length 3, bytes that are not UTF-8.
INVALID_UTF8 = bytes([0x22, 0x03, 0xFF, 0xFE, 0x41])
# Field 4 announced with 100 bytes but only 2 present.
TRUNCATED = bytes([0x22, 0x64, 0x41, 0x42])


@pytest.mark.parametrize(
    ("payload", "reason"),
    [(INVALID_UTF8, "INVALID_UTF8"), (TRUNCATED, "MALFORMED_REQUEST")],
    ids=["invalid-utf8", "truncated"],
)
@pytest.mark.parametrize("method", ["Chat", "ChatStream"])
async def test_undecodable_bytes_are_invalid_argument(
    personas: Personas, payload: bytes, reason: str, method: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await raw_call(personas.aviva_no_index.target, method, payload, stream=method == "ChatStream")
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(error.value) == reason


async def test_expired_deadline_is_refused_without_work(personas: Personas) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await chat(personas.abbey_no_index.target, R(content="hello"), deadline=0.001)
    assert error.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


async def test_still_serving_after_bad_input(personas: Personas) -> None:
    response = await chat(personas.aviva_no_index.target, R(content="What is a Python list?", max_tokens=8))
    assert response.content
    assert len(response.content.split()) <= 8
