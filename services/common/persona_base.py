"""What every persona shares, so a new persona is only its own logic.

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
import hashlib
import logging
import math
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import grpc
from prometheus_client import Counter, Gauge
from pydantic import Field

from personamesh.v1 import persona_pb2, persona_service_pb2, persona_service_pb2_grpc
from services.common import context as ctx
from services.common import pii
from services.common.clients import EmbeddingIndexClient
from services.common.errors import ServiceError, invalid_argument
from services.common.generation import (
    ComposerBackend,
    GenerationBackend,
    GenerationError,
    GenerationOutcome,
    GenerationRequest,
    GenerationSettings,
    Message,
    build_backend,
)
from services.common.generation.codeblocks import extract_code_blocks
from services.common.generation.composer import chunk_text
from services.common.generation.errors import GenerationRejected, GenerationTimeout, GenerationUnavailable
from services.common.generation.grounding import IndexCaller
from services.common.output_guard import CONFIDENTIALITY, REFUSAL, OutputGuard, PromptShield, asks_for_instructions
from services.common.reasons import Reason
from services.common.registry.wire import set_persona
from services.common.server import ServiceSpec, run_service

log = logging.getLogger(__name__)

ANSWERS = Counter(
    "persona_answers_total",
    "Answers given, by persona, backend and whether degraded.",
    ["persona", "backend", "degraded"],
)
GENERATION_FAILURES = Counter(
    "persona_generation_failures_total", "Generations that failed, by persona and reason.", ["persona", "reason"]
)
LLM_BREAKER_STATE = Gauge(
    "persona_llm_breaker_state", "Breaker of each model target: 0 closed, 1 half-open, 2 open.", ["target"]
)
_BREAKER_LEVELS = {"closed": 0, "half-open": 1, "open": 2}


def _record_breaker(name: str, old: str, new: str) -> None:
    """Breaker listener: a metric and a log line per state change of a model target."""
    LLM_BREAKER_STATE.labels(name).set(_BREAKER_LEVELS.get(new, 0))
    log.warning("llm breaker state changed", extra={"target": name, "from": old, "to": new})


SERVICE_NAME = "personamesh.v1.PersonaService"
T = TypeVar("T")


class PersonaSettings(GenerationSettings):
    """Settings every persona process reads (`PM_*`)."""

    index_timeout_seconds: float = Field(0.8, description="Deadline of one call to the embedding index.")
    max_turns: int = Field(50, description="Most earlier turns accepted in recent_turns.")
    max_id_chars: int = Field(256, description="Longest request_id, user_id or session_id accepted.")
    max_tokens_limit: int = Field(8192, description="Largest max_tokens a caller may ask for.")
    default_max_tokens: int = Field(512, description="max_tokens when the caller sets none.")
    max_metadata_entries: int = Field(64, description="Most metadata entries accepted.")
    max_metadata_chars: int = Field(2048, description="Longest metadata key or value accepted.")
    deadline_margin_seconds: float = Field(
        0.05, description="Time kept back from the caller's deadline to send the final event."
    )


@dataclass
class Plan:
    """What a persona decided before generating: the prompt, the draft and the answer's metadata."""

    system_prompt: str
    draft: str
    confidence: float
    temperature: float
    references: list[persona_pb2.Reference] = field(default_factory=list)
    reasoning: list[persona_pb2.ReasoningStep] = field(default_factory=list)
    emotional_state: persona_pb2.EmotionalState | None = None
    degraded: bool = False
    # Persona-specific values the review and after-answer hooks need.
    notes: dict[str, Any] = field(default_factory=dict)
    # Text the system prompt carries that an answer may quote (retrieved knowledge, memories); the rest of
    # the prompt is the persona's instructions, which an answer never repeats.
    quotable: list[str] = field(default_factory=list)


@dataclass
class Review:
    """Adjustments after the text exists (for example a fact check)."""

    confidence: float
    extra_reasoning: list[persona_pb2.ReasoningStep] = field(default_factory=list)


def step(description: str, confidence: float) -> persona_pb2.ReasoningStep:
    """A reasoning step with its confidence clamped to [0, 1]."""
    return persona_pb2.ReasoningStep(description=description, confidence=round(min(1.0, max(0.0, confidence)), 3))


class PersonaLogic(ABC):
    """One persona's own behaviour; `PersonaServicer` does the rest."""

    # The persona's registry name: what its answers, metrics and Describe carry.
    name: str

    @abstractmethod
    def info(self, backend_name: str) -> persona_service_pb2.PersonaInfo:
        """What Describe returns."""

    @abstractmethod
    async def plan(self, request: persona_pb2.PersonaRequest) -> Plan:
        """Read the request, gather memory and knowledge, compose the draft and the prompt."""

    def review(self, request: persona_pb2.PersonaRequest, plan: Plan, text: str) -> Review:
        """Check the finished text; the default trusts it."""
        return Review(confidence=plan.confidence)

    async def after_answer(
        self, request: persona_pb2.PersonaRequest, plan: Plan, response: persona_pb2.PersonaResponse
    ) -> None:
        """Runs after the answer was sent (store memory); failures are logged, never surfaced."""
        return None

    async def warmup(self) -> None:
        return None

    async def close(self) -> None:
        return None


def _enum_ok(enum: Any, value: int) -> bool:
    return value in enum.values()


def _check_unit(value: float, name: str, low: float = 0.0, high: float = 1.0) -> None:
    if not math.isfinite(value) or not low <= value <= high:
        raise invalid_argument(Reason.INVALID_ROUTING, f"{name} must be a number in [{low}, {high}], got {value}", name)


def validate_routing(routing: persona_pb2.RoutingDecision) -> None:
    """The routing decision comes from Abi, but a persona trusts nothing it cannot check."""
    if not _enum_ok(persona_pb2.Persona, routing.persona):
        raise invalid_argument(
            Reason.UNKNOWN_ENUM_VALUE, f"routing.persona {routing.persona} is unknown", "routing.persona"
        )
    if not _enum_ok(persona_pb2.Tone, routing.tone):
        raise invalid_argument(Reason.UNKNOWN_ENUM_VALUE, f"routing.tone {routing.tone} is unknown", "routing.tone")
    moderation = routing.moderation
    if not _enum_ok(persona_pb2.PolicyAction, moderation.action):
        raise invalid_argument(
            Reason.UNKNOWN_ENUM_VALUE,
            f"routing.moderation.action {moderation.action} is unknown",
            "routing.moderation.action",
        )
    if not _enum_ok(persona_pb2.Severity, moderation.severity):
        raise invalid_argument(
            Reason.UNKNOWN_ENUM_VALUE,
            f"routing.moderation.severity {moderation.severity} is unknown",
            "routing.moderation.severity",
        )
    for alternative in routing.alternatives:
        if not _enum_ok(persona_pb2.Persona, alternative):
            raise invalid_argument(
                Reason.UNKNOWN_ENUM_VALUE,
                f"routing.alternatives has unknown persona {alternative}",
                "routing.alternatives",
            )
    for score in routing.scores:
        if not _enum_ok(persona_pb2.Persona, score.persona):
            raise invalid_argument(
                Reason.UNKNOWN_ENUM_VALUE, f"routing.scores has unknown persona {score.persona}", "routing.scores"
            )
        if not math.isfinite(score.score):
            raise invalid_argument(Reason.INVALID_ROUTING, "routing.scores must be finite", "routing.scores")
    _check_unit(routing.confidence, "routing.confidence")
    for emotion in routing.emotions:
        _check_unit(emotion.score, f"routing.emotions[{emotion.label}].score")
    _check_unit(routing.sentiment.polarity, "routing.sentiment.polarity", -1.0, 1.0)
    _check_unit(routing.sentiment.intensity, "routing.sentiment.intensity")
    _check_unit(routing.sentiment.urgency, "routing.sentiment.urgency")


def validate_request(request: persona_pb2.PersonaRequest, settings: PersonaSettings) -> None:
    """INVALID_ARGUMENT with an UPPER_SNAKE reason for anything a persona cannot answer."""
    content = request.content
    if not content.strip():
        raise invalid_argument(Reason.EMPTY_CONTENT, "content must contain some text", "content")
    if len(content) > settings.max_content_chars:
        raise invalid_argument(
            Reason.CONTENT_TOO_LONG,
            f"content has {len(content)} characters; the limit is {settings.max_content_chars}",
            "content",
        )
    if "\x00" in content:
        raise invalid_argument(Reason.INVALID_CHARACTERS, "content must not contain NUL characters", "content")
    for name in ("request_id", "user_id", "session_id"):
        value = getattr(request, name)
        if len(value) > settings.max_id_chars:
            raise invalid_argument(
                Reason.FIELD_TOO_LONG, f"{name} is longer than {settings.max_id_chars} characters", name
            )
        if value and (not value.isprintable() or value != value.strip()):
            raise invalid_argument(Reason.INVALID_ID, f"{name} must be printable with no surrounding blanks", name)
    if not _enum_ok(persona_pb2.Persona, request.forced_persona):
        raise invalid_argument(
            Reason.UNKNOWN_ENUM_VALUE, f"forced_persona {request.forced_persona} is unknown", "forced_persona"
        )
    if request.HasField("max_tokens") and not 1 <= request.max_tokens <= settings.max_tokens_limit:
        raise invalid_argument(
            Reason.INVALID_MAX_TOKENS,
            f"max_tokens must be between 1 and {settings.max_tokens_limit}, got {request.max_tokens}",
            "max_tokens",
        )
    if request.HasField("temperature") and (
        not math.isfinite(request.temperature) or not 0.0 <= request.temperature <= 2.0
    ):
        raise invalid_argument(
            Reason.INVALID_TEMPERATURE, f"temperature must be in [0, 2], got {request.temperature}", "temperature"
        )
    if len(request.recent_turns) > settings.max_turns:
        raise invalid_argument(
            Reason.TOO_MANY_TURNS, f"at most {settings.max_turns} recent turns are accepted", "recent_turns"
        )
    for index, turn in enumerate(request.recent_turns):
        if not _enum_ok(persona_pb2.Role, turn.role) or not _enum_ok(persona_pb2.Persona, turn.persona):
            raise invalid_argument(
                Reason.UNKNOWN_ENUM_VALUE, f"recent_turns[{index}] has an unknown enum value", "recent_turns"
            )
        if len(turn.content) > settings.max_content_chars:
            raise invalid_argument(
                Reason.CONTENT_TOO_LONG, f"recent_turns[{index}].content is too long", "recent_turns"
            )
    if len(request.metadata) > settings.max_metadata_entries:
        raise invalid_argument(
            Reason.METADATA_TOO_LARGE, f"at most {settings.max_metadata_entries} metadata entries", "metadata"
        )
    for key, value in request.metadata.items():
        if len(key) > settings.max_metadata_chars or len(value) > settings.max_metadata_chars:
            raise invalid_argument(Reason.METADATA_TOO_LARGE, f"metadata entry {key[:40]!r} is too long", "metadata")
    if request.HasField("routing"):
        validate_routing(request.routing)


def redacted_request(request: persona_pb2.PersonaRequest) -> persona_pb2.PersonaRequest:
    """A copy of the request with PII replaced by placeholders wherever text reaches a model, a store or a log."""
    safe = persona_pb2.PersonaRequest()
    safe.CopyFrom(request)
    safe.content = pii.redact_text(request.content)
    for turn in safe.recent_turns:
        turn.content = pii.redact_text(turn.content)
    for key, value in request.metadata.items():
        safe.metadata[key] = pii.redact_text(value)
    if safe.HasField("routing"):
        safe.routing.moderation.redacted_text = pii.redact_text(safe.routing.moderation.redacted_text)
    return safe


def pii_sources(request: persona_pb2.PersonaRequest) -> list[str]:
    """The raw texts whose PII must leave no trace in the answer."""
    return [request.content, *(turn.content for turn in request.recent_turns if turn.role == persona_pb2.ROLE_USER)]


def opaque_user(user_id: str) -> str:
    """A stable stand-in for the user id sent to model endpoints (it may be an email address)."""
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:24] if user_id else ""


def _as_service_error(error: GenerationError, persona: str = "") -> ServiceError:
    GENERATION_FAILURES.labels(persona, error.reason).inc()
    if isinstance(error, GenerationTimeout):
        return ServiceError(grpc.StatusCode.DEADLINE_EXCEEDED, error.reason, error.message)
    if isinstance(error, GenerationRejected):
        return ServiceError(grpc.StatusCode.FAILED_PRECONDITION, error.reason, error.message)
    return ServiceError(grpc.StatusCode.UNAVAILABLE, error.reason, error.message)


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
        checked = self._checked(request)
        started = time.perf_counter()
        safe = redacted_request(checked)
        plan, backend = await self._plan(safe)
        generation = self._generation_request(safe, plan)
        guard = self._guard(checked, plan, generation)
        outcome = GenerationOutcome()
        try:
            text = await backend.complete(generation, outcome)
        except GenerationUnavailable as error:
            if not self._may_compose_instead():
                raise _as_service_error(error, self._name) from error
            text = await self._compose_instead(generation, plan, outcome, error)
        except GenerationError as error:
            raise _as_service_error(error, self._name) from error
        response = self._finish(safe, plan, guard.clean(text), outcome, started)
        self._after(safe, plan, response)
        return response

    async def ChatStream(
        self, request: persona_pb2.PersonaRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[persona_pb2.PersonaStreamEvent]:
        checked = self._checked(request)
        started = time.perf_counter()
        safe = redacted_request(checked)
        plan, backend = await self._plan(safe)
        generation = self._generation_request(safe, plan)
        guard = self._guard(checked, plan, generation)
        outcome = GenerationOutcome()
        try:
            async with aclosing(backend.stream(generation, outcome)) as deltas:
                async for delta in deltas:
                    cleaned = guard.feed(delta)
                    if cleaned:
                        yield persona_pb2.PersonaStreamEvent(delta=cleaned)
        except GenerationUnavailable as error:
            if guard.raw or not self._may_compose_instead():
                raise _as_service_error(error, self._name) from error
            composed = await self._compose_instead(generation, plan, outcome, error)
            for delta in chunk_text(composed):
                cleaned = guard.feed(delta)
                if cleaned:
                    yield persona_pb2.PersonaStreamEvent(delta=cleaned)
        except GenerationError as error:
            raise _as_service_error(error, self._name) from error
        rest = guard.finish()
        if rest:
            yield persona_pb2.PersonaStreamEvent(delta=rest)
        response = self._finish(safe, plan, guard.text, outcome, started)
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
        outcome: GenerationOutcome,
        started: float,
    ) -> persona_pb2.PersonaResponse:
        review = self.logic.review(request, plan, text)
        blocks = extract_code_blocks(text)
        reasoning = [
            step(pii.redact_text(s.description), s.confidence) for s in (*plan.reasoning, *review.extra_reasoning)
        ]
        response = persona_pb2.PersonaResponse(
            request_id=request.request_id or ctx.current_request_id(),
            content=text,
            confidence=round(min(1.0, max(0.0, review.confidence)), 3),
            code_blocks=[persona_pb2.CodeBlock(language=b.language, code=b.code, valid=b.valid) for b in blocks],
            references=plan.references,
            reasoning_steps=reasoning,
            degraded=plan.degraded,
            backend=outcome.backend or self.backend.name,
            finish_reason=outcome.finish_reason,
            latency_ms=round((time.perf_counter() - started) * 1000.0, 3),
            replica=self.replica,
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


def persona_spec(
    name: str,
    logic: PersonaLogic,
    settings: PersonaSettings,
    backend: GenerationBackend | None = None,
) -> ServiceSpec:
    """The ServiceSpec of a persona process: its servicer, warm-up and clean close."""
    servicer = PersonaServicer(
        logic,
        settings,
        backend if backend is not None else build_backend(settings, on_breaker_change=_record_breaker),
        replica=f"{settings.host}:{settings.grpc_port(name)}",
    )

    async def warmup() -> None:
        await logic.warmup()

    return ServiceSpec(
        name=name,
        service_names=[SERVICE_NAME],
        register=lambda server: persona_service_pb2_grpc.add_PersonaServiceServicer_to_server(servicer, server),
        warmup=warmup,
        close=servicer.close,
    )


SettingsT = TypeVar("SettingsT", bound=PersonaSettings)


def run_persona(name: str, settings: SettingsT, make_logic: Callable[[SettingsT, IndexCaller], PersonaLogic]) -> None:
    """Process entry point of a persona: its index client, its logic, the shared runtime."""

    def build() -> ServiceSpec:
        client = EmbeddingIndexClient(settings.embeddings_addr, timeout=settings.index_timeout_seconds)
        index = IndexCaller(client, settings.index_timeout_seconds)
        return persona_spec(name, make_logic(settings, index), settings)

    run_service(name, build, settings)
