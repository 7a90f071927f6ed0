"""OpenAI-compatible chat completions (vLLM, Ollama, llama.cpp server, OpenAI) with fallbacks.

Targets (a model at an endpoint) are tried in order. Each has its own circuit
breaker, so a dead endpoint is skipped at once instead of costing every request
a timeout. A target that fails before its first delta is replaced by the next
one; one that fails after text was streamed raises GenerationInterrupted, so a
truncated answer never passes as a complete one. `complete` (unary) buffers
each attempt and simply moves on.

The requests go out through aiohttp, not the `openai` client library. What the mesh uses of the API is
one call (`POST {base}/chat/completions`, plain or as server-sent events) and three fields of the answer
(`choices[].message.content` or `.delta.content`, `finish_reason`); the library wraps it in pydantic
models of the whole API. Measured under `make profile --upstream`, its `create` was 13% of an Aviva
replica's CPU samples (more than the cross-encoder) and its import 20 MiB of each persona process's memory.
httpx, which came next, cost 1.9 ms of the caller's CPU per plain call against aiohttp's 0.37 (its HTTP/1.1
machinery is pure Python; aiohttp parses in C), 17% of an Aviva replica's samples under the same load.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Sequence
from contextlib import aclosing, contextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from services.common.breaker import AsyncCircuitBreaker, BreakerOpenError
from services.common.generation.base import GenerationOutcome, GenerationRequest
from services.common.generation.errors import (
    GenerationInterrupted,
    GenerationRejected,
    GenerationTimeout,
    GenerationUnavailable,
)

log = logging.getLogger(__name__)

# Upstream statuses that mean "this request is wrong", not "this target is broken".
_REJECTED_STATUSES = {400, 413, 422}


@dataclass(frozen=True)
class LLMTarget:
    """One model at one endpoint."""

    base_url: str
    model: str
    api_key: str = ""

    @property
    def name(self) -> str:
        return f"{self.model}@{self.base_url}"


class _TargetFailed(Exception):
    """This target is broken for now (counted by its breaker); the next one may work."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


def parse_fallbacks(spec: str, primary: LLMTarget) -> list[LLMTarget]:
    """`model` or `model@base_url`, comma-separated, into targets sharing the primary's key."""
    targets: list[LLMTarget] = []
    for entry in (part.strip() for part in spec.split(",")):
        if not entry:
            continue
        model, _, base_url = entry.partition("@")
        targets.append(LLMTarget(base_url.strip() or primary.base_url, model.strip(), primary.api_key))
    return targets


def _status_failure(status: int, body: str) -> Exception:
    """An HTTP error answer: the request's fault (not counted against the target) or the target's."""
    described = f"HTTP {status} {body[:200]}".strip()
    if status in _REJECTED_STATUSES:
        return GenerationRejected(f"the model endpoint rejected the request: {described}")
    return _TargetFailed("HTTP_STATUS", described)


async def _raise_for_status(response: aiohttp.ClientResponse) -> None:
    if response.status >= 400:
        body = await response.read()
        raise _status_failure(response.status, body.decode("utf-8", "replace"))


async def _lines(response: aiohttp.ClientResponse) -> AsyncIterator[str]:
    """The body's lines without their line ends (server-sent events end lines with LF, CRLF or CR)."""
    async for raw in response.content:
        yield raw.decode("utf-8").rstrip("\r\n")


@contextmanager
def _client_errors(target: LLMTarget, what: str) -> Iterator[None]:
    """Translate transport and decoding errors into this target's failure kinds (timeouts are the caller's)."""
    try:
        yield
    except (aiohttp.ServerTimeoutError, aiohttp.ConnectionTimeoutError) as error:
        raise _TargetFailed("TIMEOUT", "request timed out") from error
    except (aiohttp.ClientConnectionError, aiohttp.InvalidURL) as error:
        raise _TargetFailed("CONNECTION", f"cannot reach {target.base_url}: {type(error).__name__}: {error}") from error
    except (aiohttp.ClientError, ValueError, TypeError, AttributeError, KeyError, IndexError) as error:
        raise _TargetFailed("BAD_RESPONSE", f"unreadable {what}: {type(error).__name__}: {error}") from error


async def _sse_data(lines: AsyncIterator[str]) -> AsyncGenerator[dict[str, Any], None]:
    """The JSON objects of a chat-completions event stream, until `[DONE]`.

    Why not a client library's stream: the `openai` one built a pydantic model of every chunk, a third of
    the persona's own CPU per streamed answer in `make profile`. Server-sent events are simple (a `data:`
    field per line, a blank line ends an event), and the chunks need only `choices[].delta.content` and
    `finish_reason`.
    """
    data: list[str] = []
    async for line in lines:
        if line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
            continue
        if line or not data:
            continue  # other fields (event:, id:, comments) or a blank line with no event
        payload, data = "\n".join(data), []
        if payload.startswith("[DONE]"):
            async for _ in lines:
                pass  # read the body to its end: an HTTP/1.1 connection is reused only then
            return
        chunk = json.loads(payload)
        if not isinstance(chunk, dict):
            raise ValueError("a stream event is not a JSON object")
        if chunk.get("error"):
            error = chunk["error"]
            message = error.get("message") if isinstance(error, dict) else None
            raise ValueError(f"the model endpoint reported an error mid-stream: {message or error}")
        yield chunk


def _chunk_parts(chunk: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(text delta, finish reason) of each choice of one stream chunk; empty strings where absent."""
    for choice in chunk.get("choices") or ():
        if not isinstance(choice, dict):
            raise ValueError("a stream choice is not a JSON object")
        delta = choice.get("delta") or {}
        content = delta.get("content") if isinstance(delta, dict) else None
        yield (content if isinstance(content, str) else ""), str(choice.get("finish_reason") or "")


class OpenAICompatibleBackend:
    """Streams chat completions from the first target that works."""

    def __init__(
        self,
        targets: Sequence[LLMTarget],
        *,
        timeout: float = 30.0,
        connect_timeout: float = 2.0,
        first_token_timeout: float = 10.0,
        breaker_failures: int = 5,
        breaker_reset_seconds: float = 30.0,
        on_breaker_change: Callable[[str, str, str], None] | None = None,
    ) -> None:
        if not targets:
            raise ValueError("at least one LLM target is needed")
        self._targets = list(targets)
        self._timeout = timeout
        self._first_token_timeout = first_token_timeout
        # The budget of a whole call is enforced around it (`asyncio.wait_for`); these bound each step.
        self._http_timeout = aiohttp.ClientTimeout(total=None, connect=connect_timeout, sock_read=timeout)
        # One connection pool per endpoint, kept for the process (not one session per call).
        self._clients: dict[str, aiohttp.ClientSession] = {}
        self.breakers: dict[str, AsyncCircuitBreaker] = {
            target.name: AsyncCircuitBreaker(
                f"llm:{target.name}",
                fail_max=breaker_failures,
                reset_timeout=breaker_reset_seconds,
                exclude=[GenerationRejected, GenerationTimeout, GeneratorExit],
                on_state_change=on_breaker_change,
            )
            for target in self._targets
        }

    @property
    def name(self) -> str:
        return f"openai:{self._targets[0].model}"

    @property
    def targets(self) -> list[LLMTarget]:
        return list(self._targets)

    def _client(self, target: LLMTarget) -> aiohttp.ClientSession:
        """The endpoint's session, made on first use inside the running loop (aiohttp binds it to one)."""
        client = self._clients.get(target.base_url)
        if client is None or client.closed:
            # No retries here: fallbacks and breakers decide what happens next, not blind retries.
            # read_bufsize bounds one line of a stream: 1 MiB lets an endpoint send a whole answer as one event.
            client = aiohttp.ClientSession(
                timeout=self._http_timeout, headers={"user-agent": "persona-mesh"}, read_bufsize=2**20
            )
            self._clients[target.base_url] = client
        return client

    @staticmethod
    def _url(target: LLMTarget) -> str:
        return target.base_url.rstrip("/") + "/chat/completions"

    @staticmethod
    def _headers(target: LLMTarget) -> dict[str, str]:
        return {"authorization": f"Bearer {target.api_key}"} if target.api_key else {}

    def _budget(self, request: GenerationRequest, started: float) -> tuple[float, bool]:
        """Seconds left for this attempt, and whether the caller's deadline (not ours) is the limit."""
        elapsed = asyncio.get_running_loop().time() - started
        if request.timeout is not None and request.timeout - elapsed < self._timeout:
            return request.timeout - elapsed, True
        return self._timeout, False

    @staticmethod
    def _messages(request: GenerationRequest) -> list[dict[str, str]]:
        messages = [{"role": "system", "content": request.system_prompt}] if request.system_prompt else []
        messages.extend({"role": m.role, "content": m.content} for m in request.messages)
        return messages

    def _call_args(self, target: LLMTarget, request: GenerationRequest) -> dict[str, Any]:
        args: dict[str, Any] = {
            "model": target.model,
            "messages": self._messages(request),
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if request.user:
            args["user"] = request.user
        return args

    async def stream(self, request: GenerationRequest, outcome: GenerationOutcome) -> AsyncGenerator[str, None]:
        started = asyncio.get_running_loop().time()
        for index, target in enumerate(self._targets):
            budget, caller_limited = self._budget(request, started)
            if budget <= 0:
                raise GenerationTimeout(f"deadline exceeded before trying {target.name}")
            emitted = False
            try:
                async with (
                    self.breakers[target.name].guard(),
                    aclosing(self._stream_target(target, request, budget, caller_limited, outcome)) as deltas,
                ):
                    async for delta in deltas:
                        if not emitted:
                            emitted = True
                            outcome.backend = f"openai:{target.model}"
                            outcome.fallback = index > 0
                        yield delta
                return
            except BreakerOpenError:
                outcome.failures.append(f"{target.name}: circuit breaker open")
            except _TargetFailed as error:
                log.warning("llm target failed", extra={"target": target.name, "error": str(error)})
                if emitted:
                    message = f"{target.name} failed after streaming part of the answer: {error}"
                    raise GenerationInterrupted(message) from error
                outcome.failures.append(f"{target.name}: {error}")
        raise GenerationUnavailable("every LLM target failed: " + "; ".join(outcome.failures))

    async def _stream_target(
        self,
        target: LLMTarget,
        request: GenerationRequest,
        budget: float,
        caller_limited: bool,
        outcome: GenerationOutcome,
    ) -> AsyncGenerator[str, None]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        finished = False
        first = True
        opening = self._client(target).post(
            self._url(target),
            json={**self._call_args(target, request), "stream": True},
            headers=self._headers(target),
        )
        try:
            async with contextlib.AsyncExitStack() as stack:
                with _client_errors(target, "stream"):
                    response = await asyncio.wait_for(
                        stack.enter_async_context(opening), timeout=min(budget, self._first_token_timeout)
                    )
                    await _raise_for_status(response)
                    events = aiter(_sse_data(_lines(response)))
                    while True:
                        wait = deadline - loop.time()
                        if first:
                            wait = min(wait, self._first_token_timeout)
                        try:
                            chunk = await asyncio.wait_for(anext(events), timeout=max(wait, 0.0))
                        except StopAsyncIteration:
                            break
                        for content, finish_reason in _chunk_parts(chunk):
                            if content:
                                first = False
                                yield content
                            if finish_reason:
                                finished = True
                                outcome.finish_reason = "length" if finish_reason == "length" else "stop"
        except TimeoutError as error:
            if caller_limited and loop.time() >= deadline - 0.01:
                raise GenerationTimeout(f"deadline exceeded while {target.name} was answering") from error
            what = "no first token" if first else "answer too slow"
            raise _TargetFailed("TIMEOUT", f"{what} within the time limit") from error
        if not finished:
            raise _TargetFailed("TRUNCATED", "the stream ended without a finish reason")

    async def complete(self, request: GenerationRequest, outcome: GenerationOutcome) -> str:
        started = asyncio.get_running_loop().time()
        for index, target in enumerate(self._targets):
            budget, caller_limited = self._budget(request, started)
            if budget <= 0:
                raise GenerationTimeout(f"deadline exceeded before trying {target.name}")
            try:
                async with self.breakers[target.name].guard():
                    text, finish_reason = await self._complete_target(target, request, budget, caller_limited)
            except BreakerOpenError:
                outcome.failures.append(f"{target.name}: circuit breaker open")
                continue
            except _TargetFailed as error:
                log.warning("llm target failed", extra={"target": target.name, "error": str(error)})
                outcome.failures.append(f"{target.name}: {error}")
                continue
            outcome.backend = f"openai:{target.model}"
            outcome.fallback = index > 0
            outcome.finish_reason = "length" if finish_reason == "length" else "stop"
            return text
        raise GenerationUnavailable("every LLM target failed: " + "; ".join(outcome.failures))

    async def _complete_target(
        self, target: LLMTarget, request: GenerationRequest, budget: float, caller_limited: bool
    ) -> tuple[str, str]:
        """The answer's text and the upstream's finish reason."""
        try:
            with _client_errors(target, "answer"):
                answer = await asyncio.wait_for(self._answer(target, request), timeout=budget)
                choices = answer.get("choices") if isinstance(answer, dict) else None
                if not choices or not isinstance(choices[0], dict):
                    raise _TargetFailed("BAD_RESPONSE", "the answer has no choices")
                content = (choices[0].get("message") or {}).get("content")
                if not isinstance(content, str) or not content:
                    raise _TargetFailed("BAD_RESPONSE", "the answer has no text")
                return content, str(choices[0].get("finish_reason") or "stop")
        except TimeoutError as error:
            if caller_limited:
                raise GenerationTimeout(f"deadline exceeded while {target.name} was answering") from error
            raise _TargetFailed("TIMEOUT", "no answer within the time limit") from error

    async def _answer(self, target: LLMTarget, request: GenerationRequest) -> Any:
        """The decoded JSON body of one plain call (the connection goes back to the pool once it is read)."""
        async with self._client(target).post(
            self._url(target), json={**self._call_args(target, request), "stream": False}, headers=self._headers(target)
        ) as response:
            await _raise_for_status(response)
            return json.loads(await response.read())

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()
