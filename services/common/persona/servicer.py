"""PersonaService around a `PersonaLogic`.

`PersonaServicer` implements the PersonaService contract around a
`PersonaLogic`: it validates the request (INVALID_ARGUMENT with a reason for
anything wrong; undecodable bytes never get here, the server interceptor answers them), asks the logic for a `Plan`
(prompt, deterministic draft, references, reasoning, emotional state), streams
the generation backend's deltas, collects the stream for unary Chat, extracts
and checks code blocks, lets the logic review the finished text (fact checks),
fills latency, backend and replica, honours the caller's deadline, and hands the
exchange back to the logic afterwards (memory) without delaying the answer.

Privacy: the logic, the model, memory and logs see only the redacted request
(`redacted_request`: PII replaced by placeholders such as [EMAIL], in the message,
the earlier turns and the routing decision). The raw text is used for one thing
only: finding traces of the user's PII in the answer (`OutputGuard`), which also
removes verbatim copies of the persona's instructions. A request to reveal those
instructions is declined without asking the model.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import replace

import grpc
from prometheus_client import Counter

from personamesh.v1 import persona_pb2, persona_service_pb2, persona_service_pb2_grpc
from services.common import context as ctx
from services.common import pii
from services.common.errors import ServiceError
from services.common.generation import (
    ComposerBackend,
    GenerationBackend,
    GenerationError,
    GenerationOutcome,
    GenerationRequest,
    Message,
)
from services.common.generation.codeblocks import ExtractedBlock, check_blocks
from services.common.generation.composer import chunk_text
from services.common.generation.errors import GenerationRejected, GenerationTimeout, GenerationUnavailable
from services.common.output_guard import CONFIDENTIALITY, REFUSAL, OutputGuard, PromptShield, asks_for_instructions
from services.common.parsers import CodeCheck
from services.common.persona.calculated import review_calculation
from services.common.persona.logic import PersonaLogic, Plan, step
from services.common.persona.privacy import opaque_user, pii_sources, redacted_request
from services.common.persona.settings import PersonaSettings
from services.common.persona.validation import validate_request
from services.common.reasons import Reason
from services.common.registry.wire import set_persona

log = logging.getLogger(__name__)

ANSWERS = Counter(
    "persona_answers_total",
    "Answers given, by persona, backend and whether degraded.",
    ["persona", "backend", "degraded"],
)
GENERATION_FAILURES = Counter(
    "persona_generation_failures_total", "Generations that failed, by persona and reason.", ["persona", "reason"]
)
SERVICE_NAME = "personamesh.v1.PersonaService"


def _as_service_error(error: GenerationError, persona: str = "") -> ServiceError:
    GENERATION_FAILURES.labels(persona, error.reason).inc()
    if isinstance(error, GenerationTimeout):
        return ServiceError(grpc.StatusCode.DEADLINE_EXCEEDED, error.reason, error.message)
    if isinstance(error, GenerationRejected):
        return ServiceError(grpc.StatusCode.FAILED_PRECONDITION, error.reason, error.message)
    return ServiceError(grpc.StatusCode.UNAVAILABLE, error.reason, error.message)


_CHECKS = {
    CodeCheck.VALID: persona_pb2.CODE_CHECK_VALID,
    CodeCheck.INVALID: persona_pb2.CODE_CHECK_INVALID,
    CodeCheck.UNCHECKED: persona_pb2.CODE_CHECK_UNCHECKED,
}


def _code_block(block: ExtractedBlock) -> persona_pb2.CodeBlock:
    return persona_pb2.CodeBlock(
        language=block.language,
        code=block.code,
        valid=block.valid,
        check=_CHECKS[block.check],
        skeleton=block.skeleton,
    )


async def _generated(
    backend: GenerationBackend, request: GenerationRequest, outcome: GenerationOutcome, stream: bool
) -> AsyncGenerator[str, None]:
    """The backend's text as deltas: streamed, or the whole answer as one."""
    if stream:
        async with aclosing(backend.stream(request, outcome)) as deltas:
            async for delta in deltas:
                yield delta
        return
    text = await backend.complete(request, outcome)
    if text:
        yield text


class PersonaServicer(persona_service_pb2_grpc.PersonaServiceServicer):
    """PersonaService (Chat, ChatStream, Describe) around one persona's logic."""

    def __init__(
        self,
        logic: PersonaLogic,
        settings: PersonaSettings,
        backend: GenerationBackend,
        replica: str,
    ) -> None:
        self.logic = logic
        self.settings = settings
        self.backend = backend
        self.replica = replica
        self._composer = ComposerBackend()
        self._name = logic.name
        self._background: set[asyncio.Task[None]] = set()

    # -- contract ---------------------------------------------------------------------------------

    async def Chat(
        self, request: persona_pb2.PersonaRequest, context: grpc.aio.ServicerContext
    ) -> persona_pb2.PersonaResponse:
        """The same path as ChatStream, the model's answer fetched whole (the final event carries the answer)."""
        async with aclosing(self._answer(request, stream=False)) as events:
            async for event in events:
                if event.HasField("final"):
                    return event.final
        raise RuntimeError("the answer stream ended without its final event")

    async def ChatStream(
        self, request: persona_pb2.PersonaRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[persona_pb2.PersonaStreamEvent]:
        async with aclosing(self._answer(request, stream=True)) as events:
            async for event in events:
                yield event

    async def _answer(
        self, request: persona_pb2.PersonaRequest, *, stream: bool
    ) -> AsyncGenerator[persona_pb2.PersonaStreamEvent, None]:
        """Check, redact, plan, generate through the output guard, finish: text deltas, then the final response.

        `stream=False` (Chat) asks the backend for the whole answer at once: nobody reads its deltas, and a
        model endpoint answers a plain request with one JSON body instead of an event per token.
        """
        checked = self._checked(request)
        started = time.perf_counter()
        safe = redacted_request(checked)
        plan, backend = await self._plan(safe)
        generation = self._generation_request(safe, plan)
        guard = self._guard(checked, plan, generation)
        outcome = GenerationOutcome()
        take = guard.feed if stream else guard.hold
        try:
            async with aclosing(_generated(backend, generation, outcome, stream)) as deltas:
                async for delta in deltas:
                    cleaned = take(delta)
                    if cleaned:
                        yield persona_pb2.PersonaStreamEvent(delta=cleaned)
        except GenerationUnavailable as error:
            if guard.raw or not self._may_compose_instead():
                raise _as_service_error(error, self._name) from error
            composed = await self._compose_instead(generation, plan, outcome, error)
            for delta in chunk_text(composed):
                cleaned = take(delta)
                if cleaned:
                    yield persona_pb2.PersonaStreamEvent(delta=cleaned)
        except GenerationError as error:
            raise _as_service_error(error, self._name) from error
        rest = guard.finish()
        if rest:
            yield persona_pb2.PersonaStreamEvent(delta=rest)
        blocks = await check_blocks(
            guard.text, max_blocks=self.settings.code_check_max_blocks, workers=self.settings.code_check_workers
        )
        response = self._finish(safe, plan, guard.text, blocks, outcome, started)
        self._after(safe, plan, response)  # before the last yield: a client may hang up right after it
        yield persona_pb2.PersonaStreamEvent(final=response)

    async def Describe(
        self, request: persona_service_pb2.DescribeRequest, context: grpc.aio.ServicerContext
    ) -> persona_service_pb2.DescribeResponse:
        return persona_service_pb2.DescribeResponse(info=self.logic.info(self.backend.name))

    # -- steps ------------------------------------------------------------------------------------

    def _checked(self, request: persona_pb2.PersonaRequest) -> persona_pb2.PersonaRequest:
        validate_request(request, self.settings)
        remaining = ctx.time_remaining()
        if remaining is not None and remaining <= self.settings.deadline_margin_seconds:
            raise ServiceError(
                grpc.StatusCode.DEADLINE_EXCEEDED, Reason.DEADLINE_TOO_SHORT, "the deadline leaves no time to answer"
            )
        return request

    async def _plan(self, request: persona_pb2.PersonaRequest) -> tuple[Plan, GenerationBackend]:
        """The logic's plan, and the backend to run it; a request for the persona's instructions is declined."""
        plan = await self.logic.plan(request)
        routing = request.routing
        crisis = routing.crisis or routing.moderation.action == persona_pb2.POLICY_ACTION_REDIRECT_TO_SUPPORT
        if crisis or not asks_for_instructions(request.content):  # support comes first; the guard still filters
            return plan, self.backend
        plan.draft = REFUSAL
        plan.references = []
        plan.reasoning.append(step("Asked to reveal my instructions: declined", 1.0))
        return plan, self._composer

    def _guard(self, raw: persona_pb2.PersonaRequest, plan: Plan, generation: GenerationRequest) -> OutputGuard:
        """The output guard of one answer: the instructions it must not repeat, the PII it must not carry."""
        quotable = [plan.draft, *plan.quotable, *(message.content for message in generation.messages)]
        return OutputGuard(PromptShield(generation.system_prompt, quotable), pii_sources(raw))

    def _generation_request(self, request: persona_pb2.PersonaRequest, plan: Plan) -> GenerationRequest:
        messages: list[Message] = []
        for turn in request.recent_turns:
            if turn.role in (persona_pb2.ROLE_USER, persona_pb2.ROLE_ASSISTANT) and turn.content:
                messages.append(Message("user" if turn.role == persona_pb2.ROLE_USER else "assistant", turn.content))
        messages.append(Message("user", request.content))
        remaining = ctx.time_remaining()
        return GenerationRequest(
            system_prompt=f"{plan.system_prompt}\n\n{CONFIDENTIALITY}" if plan.system_prompt else CONFIDENTIALITY,
            messages=tuple(messages),
            draft=plan.draft,
            max_tokens=request.max_tokens if request.HasField("max_tokens") else self.settings.default_max_tokens,
            temperature=request.temperature if request.HasField("temperature") else plan.temperature,
            timeout=None if remaining is None else max(0.0, remaining - self.settings.deadline_margin_seconds),
            user=opaque_user(request.user_id),
        )

    def _may_compose_instead(self) -> bool:
        return self.settings.llm_composer_fallback and not isinstance(self.backend, ComposerBackend)

    async def _compose_instead(
        self, generation: GenerationRequest, plan: Plan, outcome: GenerationOutcome, error: GenerationError
    ) -> str:
        """Every model failed before answering: the persona's own composed answer, marked degraded."""
        log.warning("every model target failed; composing instead", extra={"error": error.message})
        GENERATION_FAILURES.labels(self._name, error.reason).inc()
        plan.degraded = True
        plan.reasoning.append(step("Model endpoints unavailable; answered with the composed draft", 0.5))
        text = await self._composer.complete(replace(generation, timeout=None), outcome)
        outcome.fallback = True
        return text

    def _finish(
        self,
        request: persona_pb2.PersonaRequest,
        plan: Plan,
        text: str,
        blocks: list[ExtractedBlock],
        outcome: GenerationOutcome,
        started: float,
    ) -> persona_pb2.PersonaResponse:
        # A calculated answer is checked for its result; a persona's own review (a fact check) has nothing to say.
        review = review_calculation(plan, text) or self.logic.review(request, plan, text)
        reasoning = [
            step(pii.redact_text(s.description), s.confidence) for s in (*plan.reasoning, *review.extra_reasoning)
        ]
        response = persona_pb2.PersonaResponse(
            request_id=request.request_id or ctx.current_request_id(),
            content=text,
            confidence=round(min(1.0, max(0.0, review.confidence)), 3),
            code_blocks=[_code_block(block) for block in blocks],
            references=plan.references,
            reasoning_steps=reasoning,
            degraded=plan.degraded,
            backend=outcome.backend or self.backend.name,
            finish_reason=outcome.finish_reason,
            latency_ms=round((time.perf_counter() - started) * 1000.0, 3),
            replica=self.replica,
            tone=plan.tone,
        )
        set_persona(response, self._name)
        if plan.emotional_state is not None:
            response.emotional_state.CopyFrom(plan.emotional_state)
        ANSWERS.labels(self._name, response.backend, str(response.degraded).lower()).inc()
        return response

    def _after(self, request: persona_pb2.PersonaRequest, plan: Plan, response: persona_pb2.PersonaResponse) -> None:
        task = asyncio.create_task(self._run_after(request, plan, response))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _run_after(
        self, request: persona_pb2.PersonaRequest, plan: Plan, response: persona_pb2.PersonaResponse
    ) -> None:
        try:
            await self.logic.after_answer(request, plan, response)
        except Exception:
            log.exception("after-answer hook failed")

    async def close(self) -> None:
        """Let pending after-answer work (memory writes) finish, then release the backend."""
        if self._background:
            await asyncio.wait(self._background, timeout=self.settings.grace_seconds)
        await self.backend.close()
        await self.logic.close()
