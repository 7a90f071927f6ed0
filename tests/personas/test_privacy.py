"""Issue 9, finding 4: PII is redacted for real, as real processes.

Models get only redacted text; Abbey's memory, through the real index, leaves no raw
phone number or email address in any file of the data dir (parquet, WAL, indexes);
Aviva names no code after an email address.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from personamesh.v1 import persona_pb2
from services.devmesh.processes import ServiceProcess, free_port
from tests.personas.support import DEAD_INDEX, Upstream, persona_process, running, stub
from tests.signing import SignedIndexClient, signed
from tests.stored_text import file_texts

EMAIL, PHONE = "jane.doe@example.com", "555-123-4567"
# Every way the raw values could have been written down.
RAW = (EMAIL, "jane.doe", PHONE, "555 123 4567", "5551234567", "555.123.4567")
MARKER = "zebracactus"  # not PII: proves the scan below does see what was stored


async def _chat(target: str, request: persona_pb2.PersonaRequest) -> persona_pb2.PersonaResponse:
    """A Chat call signed for the request's user and id, as the gateway makes it."""
    channel, persona = stub(target)
    async with channel:
        metadata = signed(request.user_id, request_id=request.request_id)
        return await persona.Chat(request, metadata=metadata, timeout=20)


async def _stream(target: str, request: persona_pb2.PersonaRequest) -> list[persona_pb2.PersonaStreamEvent]:
    channel, persona = stub(target)
    async with channel:
        metadata = signed(request.user_id, request_id=request.request_id)
        return [event async for event in persona.ChatStream(request, metadata=metadata, timeout=20)]


def _assert_no_raw_pii(text: str, where: str) -> None:
    for raw in RAW:
        assert raw not in text, f"{raw!r} in {where}: {text[:400]!r}"


@dataclass
class LLMPersonas:
    abbey: ServiceProcess
    aviva: ServiceProcess


@pytest.fixture(scope="module")
def llm_personas(upstream: Upstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LLMPersonas]:
    logs = tmp_path_factory.mktemp("privacy-llm")
    env = {"PM_LLM_BASE_URL": upstream.base_url, "PM_LLM_MODEL": "echo-model"}
    group = LLMPersonas(
        abbey=persona_process("abbey-privacy-llm", "services.abbey", logs, DEAD_INDEX, env),
        aviva=persona_process("aviva-privacy-llm", "services.aviva", logs, DEAD_INDEX, env),
    )
    with running(group.abbey, group.aviva):
        yield group


@pytest.mark.parametrize("persona", ["abbey", "aviva"])
async def test_models_get_only_redacted_text(llm_personas: LLMPersonas, upstream: Upstream, persona: str) -> None:
    target = getattr(llm_personas, persona).target
    request = persona_pb2.PersonaRequest(
        request_id=f"privacy-llm-{persona}",
        user_id=EMAIL,  # user ids may be email addresses too
        content=f"Please write to {EMAIL} or call {PHONE} about my order.",
        recent_turns=[persona_pb2.Turn(role=persona_pb2.ROLE_USER, content=f"My number is {PHONE}.")],
        # Abi says "warn, redacted"; the persona must not rely on anyone having redacted anything.
        routing=persona_pb2.RoutingDecision(
            persona=persona_pb2.PERSONA_ABBEY,
            moderation=persona_pb2.ModerationResult(
                action=persona_pb2.POLICY_ACTION_WARN,
                categories=["pii.email", "pii.phone"],
                redacted_text="Please write to [EMAIL] or call [PHONE] about my order.",
            ),
        ),
    )
    response = await _chat(target, request)
    sent = json.dumps(upstream.last_request())
    _assert_no_raw_pii(sent, "the model request")
    assert "[EMAIL]" in sent and "[PHONE]" in sent
    _assert_no_raw_pii(response.content, "the answer")
    events = await _stream(target, request)
    _assert_no_raw_pii(json.dumps(upstream.last_request()), "the streamed model request")
    _assert_no_raw_pii("".join(e.delta for e in events) + events[-1].final.content, "the streamed answer")


async def test_aviva_names_no_code_after_an_email_address(tmp_path: Path) -> None:
    aviva = persona_process("aviva-privacy", "services.aviva", tmp_path, DEAD_INDEX)
    routing = persona_pb2.RoutingDecision(persona=persona_pb2.PERSONA_AVIVA, confidence=0.9, query_type="code_request")
    request = persona_pb2.PersonaRequest(
        request_id="privacy-aviva",
        # Go: a skeleton (it quotes the question in a comment) is offered in a language the documentation does not
        # cover; in Python the documentation's pages are the answer.
        content=f"Write a Go function that sends a welcome email to {EMAIL}",
        routing=routing,
    )
    with running(aviva):
        response = await _chat(aviva.target, request)
    assert response.code_blocks and response.code_blocks[0].valid
    for text in (response.content, *(block.code for block in response.code_blocks)):
        _assert_no_raw_pii(text, "Aviva's answer")
        assert "jane" not in text.lower() and "doe" not in text.lower(), text


async def _memories(index: SignedIndexClient, user: str, wanted: int) -> list[index_pb2.ConversationHit]:
    """The user's stored exchanges, once `wanted` of them are there (Abbey stores after answering)."""
    request = index_pb2.SearchConversationsRequest(user_id=user, query="zebracactus phone email", k=20)
    for _ in range(100):
        hits = list((await index.stub.SearchConversations(request)).hits)
        if len(hits) >= wanted:
            return hits
        await asyncio.sleep(0.1)
    raise AssertionError(f"only {len(hits)} of {wanted} memories were stored")


async def test_abbeys_memory_leaves_no_raw_pii_in_the_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    index = ServiceProcess(
        "embeddings",
        "services.embeddings",
        free_port(),
        {"PM_DATA_DIR": str(data_dir), "PM_METRICS_PORT": "-1", "PM_KNOWLEDGE_SEED": "off"},
        tmp_path / "logs",
    )
    abbey = persona_process("abbey-privacy", "services.abbey", tmp_path / "logs", index.target)
    user = "privacy-pat"
    with running(index, abbey, timeout=180):
        unary = persona_pb2.PersonaRequest(
            request_id="privacy-1",
            user_id=user,
            session_id="privacy-session",
            content=f"I'm anxious. My phone is {PHONE} and my email is {EMAIL}; my password hint is {MARKER}.",
        )
        response = await _chat(abbey.target, unary)
        _assert_no_raw_pii(response.content, "Abbey's answer")
        streamed = persona_pb2.PersonaRequest(
            request_id="privacy-2",
            user_id=user,
            session_id="privacy-session",
            content=f"Please remember to call me on 555 123 4567 or mail {EMAIL} about the {MARKER}.",
        )
        events = await _stream(abbey.target, streamed)
        _assert_no_raw_pii("".join(e.delta for e in events), "Abbey's streamed answer")
        client = SignedIndexClient(index.target)
        try:
            # Defence in depth: a caller that skips the persona's redaction still stores none.
            direct = index_pb2.ConversationRecord(
                user_id=user, persona=persona_pb2.PERSONA_ABBEY, user_message=f"text {MARKER} to {PHONE}",
                response=f"Sure, I will write to {EMAIL}.",
            )  # fmt: skip
            await client.stub.StoreConversation(index_pb2.StoreConversationRequest(record=direct))
            hits = await _memories(client, user, 3)
        finally:
            await client.close()
        for hit in hits:
            _assert_no_raw_pii(hit.record.user_message + hit.record.response, "a stored memory")
        assert any("[PHONE]" in hit.record.user_message for hit in hits)
        assert any("[EMAIL]" in hit.record.user_message for hit in hits)
        _scan_data_dir(data_dir)  # while running: WAL files, if any, are still there
    _scan_data_dir(data_dir)  # stopped: whatever the store wrote is on disk now


def _scan_data_dir(data_dir: Path) -> None:
    """No raw PII in any file under the data dir; the marker proves the scan reads what was stored."""
    files = [path for path in data_dir.rglob("*") if path.is_file()]
    assert any(path.suffix == ".parquet" for path in files)
    seen_marker = False
    for path in files:
        for text in file_texts(path):
            _assert_no_raw_pii(text, str(path.relative_to(data_dir)))
            seen_marker = seen_marker or MARKER in text
    assert seen_marker, "the scan never saw the stored text; it would miss raw PII too"
