"""The OpenAI-compatible backend against the stand-in upstream (a real HTTP server process)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.common.generation import (
    GenerationInterrupted,
    GenerationOutcome,
    GenerationRequest,
    GenerationUnavailable,
    LLMTarget,
    Message,
    OpenAICompatibleBackend,
)
from services.common.generation.errors import GenerationRejected, GenerationTimeout
from services.common.generation.openai_backend import _chunk_parts, _sse_data
from services.devmesh.processes import free_port
from tests.personas.support import Upstream


def _request(text: str = "hello there world", timeout: float | None = None) -> GenerationRequest:
    return GenerationRequest(
        system_prompt="You are a test.",
        messages=(Message("user", text),),
        draft="unused",
        max_tokens=64,
        temperature=0.2,
        timeout=timeout,
    )


def _backend(upstream: Upstream, *models: str, **options: float) -> OpenAICompatibleBackend:
    targets = [LLMTarget(upstream.base_url, model) for model in models]
    return OpenAICompatibleBackend(targets, **options)  # type: ignore[arg-type]


async def _stream(
    backend: OpenAICompatibleBackend, request: GenerationRequest, outcome: GenerationOutcome
) -> list[str]:
    return [delta async for delta in backend.stream(request, outcome)]


async def test_plain_completion(upstream: Upstream) -> None:
    backend = _backend(upstream, "echo-model")
    outcome = GenerationOutcome()
    text = await backend.complete(_request(), outcome)
    assert text == "Echo: hello there world"
    assert outcome.backend == "openai:echo-model" and not outcome.fallback
    sent = upstream.last_request()
    assert sent["messages"][0] == {"role": "system", "content": "You are a test."}  # type: ignore[index]
    assert sent["temperature"] == 0.2 and sent["max_tokens"] == 64
    await backend.close()


async def test_streaming_completion(upstream: Upstream) -> None:
    backend = _backend(upstream, "echo-model")
    outcome = GenerationOutcome()
    deltas = await _stream(backend, _request(), outcome)
    assert len(deltas) >= 3
    assert "".join(deltas) == "Echo: hello there world"
    assert upstream.last_request()["stream"] is True
    await backend.close()


@pytest.mark.parametrize("streaming", [False, True], ids=["plain", "stream"])
async def test_the_api_key_is_sent_as_a_bearer_token_and_only_when_set(upstream: Upstream, streaming: bool) -> None:
    keyed = OpenAICompatibleBackend([LLMTarget(upstream.base_url, "echo-model", api_key="sk-test-key")])
    keyless = _backend(upstream, "echo-model")
    seen = []
    for backend in (keyed, keyless):
        if streaming:
            await _stream(backend, _request(), GenerationOutcome())
        else:
            await backend.complete(_request(), GenerationOutcome())
        seen.append(upstream.last_authorization())
        await backend.close()
    assert seen == ["Bearer sk-test-key", ""]


async def test_a_4xx_answer_rejects_the_request_without_tripping_the_breaker(upstream: Upstream) -> None:
    backend = _backend(upstream, "fail-422", "echo-model")
    with pytest.raises(GenerationRejected) as error:
        await backend.complete(_request(), GenerationOutcome())
    assert "HTTP 422" in error.value.message
    assert backend.breakers["fail-422@" + upstream.base_url].fail_counter == 0
    await backend.close()


@pytest.mark.parametrize("streaming", [False, True], ids=["plain", "stream"])
async def test_upstream_500_is_a_clear_error(upstream: Upstream, streaming: bool) -> None:
    backend = _backend(upstream, "fail-500")
    with pytest.raises(GenerationUnavailable) as error:
        if streaming:
            await _stream(backend, _request(), GenerationOutcome())
        else:
            await backend.complete(_request(), GenerationOutcome())
    assert "HTTP 500" in error.value.message and "upstream exploded" in error.value.message
    assert error.value.reason == "GENERATION_UNAVAILABLE"
    await backend.close()


@pytest.mark.parametrize("streaming", [False, True], ids=["plain", "stream"])
async def test_upstream_timeout_is_a_clear_error(upstream: Upstream, streaming: bool) -> None:
    backend = _backend(upstream, "slow", timeout=0.4, first_token_timeout=0.4)
    with pytest.raises(GenerationUnavailable) as error:
        if streaming:
            await _stream(backend, _request(), GenerationOutcome())
        else:
            await backend.complete(_request(), GenerationOutcome())
    assert "TIMEOUT" in error.value.message
    await backend.close()


@pytest.mark.parametrize("streaming", [False, True], ids=["plain", "stream"])
async def test_garbage_is_a_clear_error(upstream: Upstream, streaming: bool) -> None:
    backend = _backend(upstream, "garbage")
    with pytest.raises(GenerationUnavailable) as error:
        if streaming:
            await _stream(backend, _request(), GenerationOutcome())
        else:
            await backend.complete(_request(), GenerationOutcome())
    assert "BAD_RESPONSE" in error.value.message
    await backend.close()


async def test_stream_cut_midway_is_interrupted_not_success(upstream: Upstream) -> None:
    backend = _backend(upstream, "cut-stream", "echo-model")
    received: list[str] = []
    with pytest.raises(GenerationInterrupted):
        async for delta in backend.stream(_request("one two three four five"), GenerationOutcome()):
            received.append(delta)
    assert received  # part of the answer was streamed, so no silent switch to the fallback
    await backend.close()


async def test_caller_deadline_is_respected(upstream: Upstream) -> None:
    backend = _backend(upstream, "slow", "echo-model")
    with pytest.raises(GenerationTimeout):
        await backend.complete(_request(timeout=0.3), GenerationOutcome())
    assert backend.breakers["slow@" + upstream.base_url].fail_counter == 0  # the caller's deadline, not the target
    await backend.close()


async def test_breaker_opens_and_stops_calling_the_target(upstream: Upstream) -> None:
    backend = _backend(upstream, "fail-500", breaker_failures=2, breaker_reset_seconds=60)
    before = upstream.calls("fail-500")
    for _ in range(2):
        with pytest.raises(GenerationUnavailable):
            await backend.complete(_request(), GenerationOutcome())
    assert backend.breakers["fail-500@" + upstream.base_url].state == "open"
    with pytest.raises(GenerationUnavailable) as error:
        await backend.complete(_request(), GenerationOutcome())
    assert "circuit breaker open" in error.value.message
    assert upstream.calls("fail-500") - before == 2
    await backend.close()


@pytest.mark.parametrize("streaming", [False, True], ids=["plain", "stream"])
async def test_fallback_model_answers(upstream: Upstream, streaming: bool) -> None:
    backend = _backend(upstream, "fail-500", "echo-model")
    outcome = GenerationOutcome()
    if streaming:
        text = "".join(await _stream(backend, _request(), outcome))
    else:
        text = await backend.complete(_request(), outcome)
    assert text == "Echo: hello there world"
    assert outcome.backend == "openai:echo-model" and outcome.fallback
    assert "HTTP 500" in outcome.failures[0]
    await backend.close()


async def test_fallback_endpoint_answers_when_the_primary_is_down(upstream: Upstream) -> None:
    dead = LLMTarget(f"http://127.0.0.1:{free_port()}/v1", "echo-model")
    backend = OpenAICompatibleBackend([dead, LLMTarget(upstream.base_url, "echo-model")], connect_timeout=0.5)
    outcome = GenerationOutcome()
    text = "".join(await _stream(backend, _request(), outcome))
    assert text == "Echo: hello there world"
    assert outcome.fallback and "CONNECTION" in outcome.failures[0]
    await backend.close()


async def _lines(*lines: str) -> AsyncIterator[str]:
    for line in lines:
        yield line


async def test_the_event_reader_follows_server_sent_events() -> None:
    """Comments and other fields are skipped, multi-line data joins, `[DONE]` ends it, the rest is read."""
    read: list[str] = []

    async def tracked() -> AsyncIterator[str]:
        async for line in _lines(
            ": keep-alive",
            "event: completion",
            'data: {"choices": [{"delta": {"content": "Hel"},',
            'data:  "finish_reason": null}]}',
            "",
            'data: {"choices": [{"delta": {}, "finish_reason": "length"}]}',
            "",
            "data: [DONE]",
            "",
            "trailing",
        ):
            read.append(line)
            yield line

    chunks = [chunk async for chunk in _sse_data(tracked())]
    assert [list(_chunk_parts(chunk)) for chunk in chunks] == [[("Hel", "")], [("", "length")]]
    assert read[-1] == "trailing"  # drained after [DONE], so the connection can be reused


@pytest.mark.parametrize(
    "event",
    ['data: {"error": {"message": "overloaded"}}', "data: [1, 2]", 'data: {"choices": ["x"]}', "data: {not json"],
    ids=["error-event", "not-an-object", "bad-choice", "not-json"],
)
async def test_an_unreadable_event_is_an_error_not_an_empty_answer(event: str) -> None:
    with pytest.raises(ValueError):
        async for chunk in _sse_data(_lines(event, "")):
            list(_chunk_parts(chunk))
