"""Personas with the OpenAI-compatible backend (the stand-in upstream), as real processes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from personamesh.v1 import persona_pb2, persona_service_pb2
from services.common.errors import error_reason
from services.devmesh.processes import ServiceProcess
from tests.personas.support import DEAD_INDEX, Upstream, chat, chat_stream, persona_process, running, stub


@dataclass
class LLMPersonas:
    with_fallback: ServiceProcess  # aviva: primary model fails, fallback model answers
    composing: ServiceProcess  # abbey: the only model fails, the composer answers (degraded)
    failing: ServiceProcess  # abbey: the only model fails and composing instead is off
    cutting: ServiceProcess  # aviva: the model drops its stream part-way


@pytest.fixture(scope="module")
def llm_personas(upstream: Upstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LLMPersonas]:
    logs: Path = tmp_path_factory.mktemp("llm-personas")
    base = {"PM_LLM_BASE_URL": upstream.base_url, "PM_LLM_API_KEY": "test-key"}
    group = LLMPersonas(
        with_fallback=persona_process(
            "aviva-llm",
            "services.aviva",
            logs,
            DEAD_INDEX,
            {**base, "PM_LLM_MODEL": "fail-500", "PM_LLM_FALLBACKS": "code-model"},
        ),
        composing=persona_process(
            "abbey-llm", "services.abbey", logs, DEAD_INDEX, {**base, "PM_LLM_MODEL": "fail-500"}
        ),
        failing=persona_process(
            "abbey-llm-failing",
            "services.abbey",
            logs,
            DEAD_INDEX,
            {**base, "PM_LLM_MODEL": "fail-500", "PM_LLM_COMPOSER_FALLBACK": "false"},
        ),
        cutting=persona_process(
            "aviva-llm-cutting",
            "services.aviva",
            logs,
            DEAD_INDEX,
            {**base, "PM_LLM_MODEL": "cut-stream", "PM_LLM_FALLBACKS": "echo-model"},
        ),
    )
    with running(group.with_fallback, group.composing, group.failing, group.cutting):
        yield group


async def test_fallback_model_answers_and_code_is_checked(llm_personas: LLMPersonas, upstream: Upstream) -> None:
    request = persona_pb2.PersonaRequest(content="How do I reverse a list in Python?", temperature=0.1)
    response = await chat(llm_personas.with_fallback.target, request)
    assert response.backend == "openai:code-model"
    assert "```python" in response.content
    assert response.code_blocks[0].language == "python" and response.code_blocks[0].valid
    sent = upstream.last_request()
    system = sent["messages"][0]  # type: ignore[index]
    assert system["role"] == "system" and "Aviva" in system["content"]
    assert sent["temperature"] == pytest.approx(0.1)
    assert sent["messages"][-1] == {"role": "user", "content": request.content}  # type: ignore[index]
    assert not sent.get("stream"), "a unary Chat asks the model for the whole answer, not an event stream"


async def test_an_aviva_replica_with_a_model_backend_loads_no_onnxruntime(llm_personas: LLMPersonas) -> None:
    """Her cross-encoder is off with an LLM, so onnxruntime, tokenizers and numpy (~35 MiB) stay out of each
    replica (the mesh's RSS bar, docs/performance.md)."""
    await chat(llm_personas.with_fallback.target, persona_pb2.PersonaRequest(content="How do I sort a dict by value?"))
    process = llm_personas.with_fallback.process
    assert process is not None and process.poll() is None
    mapped = await asyncio.to_thread(Path(f"/proc/{process.pid}/maps").read_text, encoding="utf-8")
    assert "libpython" in mapped or "python" in mapped  # the right process, and its maps were read
    assert not [library for library in ("onnxruntime", "tokenizers", "numpy") if library in mapped]


async def test_system_prompt_carries_the_tone_hint(llm_personas: LLMPersonas, upstream: Upstream) -> None:
    routing = persona_pb2.RoutingDecision(
        persona=persona_pb2.PERSONA_AVIVA, tone=persona_pb2.TONE_WARM, query_type="code_request"
    )
    request = persona_pb2.PersonaRequest(content="Sort a list in Python", routing=routing)
    await chat(llm_personas.with_fallback.target, request)
    system = upstream.last_request()["messages"][0]["content"]  # type: ignore[index]
    assert "Tone hint from the router: warm" in system
    assert "code request" in system


async def test_stream_from_the_model(llm_personas: LLMPersonas, upstream: Upstream) -> None:
    request = persona_pb2.PersonaRequest(content="Reverse a list in Python")
    events = await chat_stream(llm_personas.with_fallback.target, request)
    assert upstream.last_request()["stream"] is True
    final = events[-1].final
    assert [e.WhichOneof("event") for e in events].count("final") == 1
    assert final.content == "".join(e.delta for e in events[:-1])
    assert final.backend == "openai:code-model"
    assert final.code_blocks[0].valid


async def test_describe_names_the_model_backend(llm_personas: LLMPersonas) -> None:
    channel, persona = stub(llm_personas.with_fallback.target)
    async with channel:
        reply = await persona.Describe(persona_service_pb2.DescribeRequest(), timeout=5)
    assert reply.info.backend == "openai:fail-500"


async def test_composer_answers_when_every_model_fails(llm_personas: LLMPersonas) -> None:
    request = persona_pb2.PersonaRequest(content="I feel lonely tonight")
    response = await chat(llm_personas.composing.target, request)
    assert response.backend == "composer"
    assert response.degraded
    assert response.content
    assert any("Model endpoints unavailable" in step.description for step in response.reasoning_steps)
    events = await chat_stream(llm_personas.composing.target, request)
    assert events[-1].final.content == response.content


@pytest.mark.parametrize("streaming", [False, True], ids=["chat", "stream"])
async def test_every_model_failing_is_unavailable_with_a_reason(llm_personas: LLMPersonas, streaming: bool) -> None:
    request = persona_pb2.PersonaRequest(content="Hello")
    with pytest.raises(grpc.aio.AioRpcError) as error:
        if streaming:
            await chat_stream(llm_personas.failing.target, request)
        else:
            await chat(llm_personas.failing.target, request)
    assert error.value.code() == grpc.StatusCode.UNAVAILABLE
    assert error_reason(error.value) == "GENERATION_UNAVAILABLE"
    assert "HTTP 500" in (error.value.details() or "")


async def test_stream_cut_part_way_ends_in_an_error_not_a_final_event(llm_personas: LLMPersonas) -> None:
    channel, persona = stub(llm_personas.cutting.target)
    events: list[persona_pb2.PersonaStreamEvent] = []
    async with channel:
        call = persona.ChatStream(persona_pb2.PersonaRequest(content="one two three four five"), timeout=10)
        with pytest.raises(grpc.aio.AioRpcError) as error:
            async for event in call:
                events.append(event)
    assert events and all(event.WhichOneof("event") == "delta" for event in events)
    assert error.value.code() == grpc.StatusCode.UNAVAILABLE
    assert error_reason(error.value) == "GENERATION_INTERRUPTED"


async def test_a_model_is_told_a_computed_result_and_an_answer_without_it_is_flagged(
    llm_personas: LLMPersonas, upstream: Upstream
) -> None:
    """The fallback model answers with its canned code sample, not the result: the review says so."""
    request = persona_pb2.PersonaRequest(content="how many cm in an inch")
    response = await chat(llm_personas.with_fallback.target, request)
    system = upstream.last_request()["messages"][0]["content"]  # type: ignore[index]
    assert "1 inch = 2.54 cm." in system and "do not recompute" in system
    assert "2.54" not in response.content
    assert response.confidence == pytest.approx(0.3)
    flagged = "The answer does not state the computed result (2.54)"
    assert any(s.description == flagged for s in response.reasoning_steps)
