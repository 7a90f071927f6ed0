"""Response models of the HTTP API: the OpenAPI document's description of every success answer.

The handlers build their JSON themselves (convert.py, operations.py, ...) and keep doing so: these models
only document it (`documented()` sets `response_model=None`, so nothing is re-validated or reshaped on
the way out, and the wire stays exactly what it was). Each model forbids extra fields, so its schema says
`additionalProperties: false`; tests/gateway/test_api.py validates real answers against the served
document, so a field added to a handler but not here fails a test instead of going undocumented.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from gateway.frontdoors.http_errors import error_responses


class Documented(BaseModel):
    """An answer's shape: every field listed, nothing else allowed."""

    model_config = ConfigDict(extra="forbid")


def documented(
    model: type[BaseModel],
    *errors: int,
    status: int = 200,
    openai: bool = False,
    content: dict[str, Any] | None = None,
    also: dict[int, type[BaseModel]] | None = None,
) -> dict[str, Any]:
    """Route keyword arguments: `model` documents the `status` answer, plus these error statuses.

    `response_model=None`: the model documents, it does not serialise (the handler's dict goes out as is).
    `content` adds other media types to the answer (a stream); `also` documents more statuses with a model.
    """
    responses: dict[int | str, dict[str, Any]] = {}
    for code, shape in {status: model, **(also or {})}.items():
        responses[code] = {"model": shape, "description": (shape.__doc__ or "").strip().splitlines()[0]}
    if content:
        responses[status]["content"] = content
    responses.update(error_responses(*errors, openai=openai))
    return {"response_model": None, "status_code": status, "responses": responses}


# -- routing and chat ---------------------------------------------------------------------------------


class LabelScore(Documented):
    label: str
    score: float


class Sentiment(Documented):
    polarity: float = Field(description="-1 (negative) to 1 (positive).")
    intensity: float
    urgency: float
    label: str


class Moderation(Documented):
    action: str = Field(description="allow, warn, block, redirect_to_support, require_human_review (or unspecified).")
    severity: str = Field(description="low, medium, high, critical (or unspecified).")
    categories: list[str]
    reasons: list[str]


class RoutingDecision(Documented):
    """Abi's routing decision: who answers, how sure, what moderation found, and why."""

    persona: str = Field(description="The persona chosen (abi when the message is blocked).")
    confidence: float
    scores: dict[str, float] = Field(description="Score per persona.")
    alternatives: list[str] = Field(description="Fallback order if the chosen persona cannot answer.")
    tone: str
    emotions: list[LabelScore]
    ekman_emotions: list[LabelScore]
    crisis: bool
    crisis_score: float
    sentiment: Sentiment
    moderation: Moderation
    matched_rules: list[str]
    reasons: list[str]
    query_type: str
    degraded: bool = Field(description="Abi (or what it needs) was unreachable: the gateway decided alone.")
    latency_ms: float


class CodeBlock(Documented):
    language: str
    code: str
    valid: bool = Field(description="Parsed cleanly by a real parser for the language.")
    check: str = Field(
        description="valid, invalid (a parser found a syntax error), unchecked (no parser for the language here, or "
        "past the per-message cap) or unspecified."
    )
    skeleton: bool = Field(description="A labelled starting point that does not answer the question.")


class Reference(Documented):
    title: str
    url: str
    snippet: str
    confidence: float


class ReasoningStep(Documented):
    description: str
    confidence: float


class EmotionalState(Documented):
    primary: str
    intensity: float


class ChatAnswer(Documented):
    """The answer, who gave it and how (fallback, degraded), and the routing decision behind it."""

    request_id: str = Field(description="Rate it with POST /api/v1/feedback.")
    content: str
    persona: str = Field(description="The persona that answered.")
    confidence: float
    latency_ms: float
    code_blocks: list[CodeBlock]
    references: list[Reference]
    reasoning_steps: list[ReasoningStep]
    emotional_state: EmotionalState | None
    tone: str | None
    fallback: bool = Field(description="Answered by another persona than the one chosen (or forced).")
    degraded: bool = Field(description="A dependency (Abi, the index) was down: less evidence was used.")
    backend: str = Field(description="The generation backend (composer, or an LLM endpoint's name).")
    replica: str = Field(description="host:port of the replica that answered.")
    routing: RoutingDecision


# -- personas, health, metrics ------------------------------------------------------------------------


PersonaStatus = Literal["healthy", "degraded", "down", "disabled"]


class Capabilities(Documented):
    query_types: list[str]
    emotions: list[str]


class PersonaSummary(Documented):
    name: str
    display_name: str
    description: str
    strengths: list[str]
    capabilities: Capabilities
    fallback: list[str] = Field(description="Personas that answer when this one cannot, in order.")
    source: str = Field(description="file (the persona registry) or api (registered at run time).")
    backend: str
    temperature: float | None
    enabled: bool
    replicas_total: int
    replicas_healthy: int
    status: PersonaStatus


class PersonaList(Documented):
    """Every persona the gateway serves and how many of its replicas are healthy."""

    personas: list[PersonaSummary]


class ReplicaSnapshot(Documented):
    """One replica: health, breaker, outlier ejection and load."""

    address: str
    source: str = Field(description="static, dns or api.")
    health: str = Field(description="UNKNOWN, SERVING, NOT_SERVING or UNREACHABLE.")
    breaker: str = Field(description="closed, open or half-open.")
    in_flight: int
    latency_ema_ms: float | None
    requests: int
    failures: int
    ejected: bool
    ejected_for_s: float | None
    ejections: int
    consecutive_failures: int


class PersonaHealth(Documented):
    status: PersonaStatus
    replicas: list[ReplicaSnapshot]


class HealthReport(Documented):
    """Each persona's replicas: health, breaker and ejection; and Abi's breaker."""

    status: Literal["ok", "down"] = Field(description="ok while some persona has a replica in rotation.")
    personas: dict[str, PersonaHealth]
    abi_breaker: str


class PersonaFigures(Documented):
    requests: int
    errors: int
    success_rate: float
    p50_ms: float | None
    p99_ms: float | None
    satisfaction: float | None = Field(description="Mean rating in [0, 1], or null before any.")
    ratings: int
    fallbacks: int


class PersonaMetrics(Documented):
    """Requests, errors, latency percentiles and satisfaction, per persona."""

    personas: dict[str, PersonaFigures]


# -- feedback, privacy, identity ----------------------------------------------------------------------


class FeedbackAccepted(Documented):
    """The rating was recorded."""

    accepted: bool
    learning_recorded: bool = Field(description="The index learned from it (false when it was unreachable).")


class UserDataErased(Documented):
    """What was erased about the user."""

    user_id: str
    deleted_conversations: int
    deleted_weights: int
    deleted_sessions: int


class Identity(Documented):
    """The caller as the gateway sees it."""

    user_id: str
    role: str
    authenticated: bool


# -- config API ---------------------------------------------------------------------------------------


class PersonaRuntime(Documented):
    enabled: bool
    weight: float
    temperature: float | None


class PersonaSettingsList(Documented):
    """Every persona's runtime settings."""

    personas: dict[str, PersonaRuntime]


class RuleSet(Documented):
    """Abi's active rule set."""

    yaml: str
    version: str
    rule_count: int


class RuleError(Documented):
    path: str
    rule: str
    message: str
    line: int


class RuleValidation(Documented):
    """Whether the rule document is valid, and what is wrong with it."""

    valid: bool
    rule_count: int
    errors: list[RuleError]


class RulesReplaced(Documented):
    """The rule set now active."""

    version: str
    rule_count: int


class FeatureFlags(RootModel[dict[str, bool]]):
    """Every feature flag and its value."""


class ReplicasByPersona(RootModel[dict[str, list[ReplicaSnapshot]]]):
    """Every registered replica, by persona."""


class ReplicaRemoved(Documented):
    """The replica left rotation."""

    removed: str = Field(description="persona/address")


# -- probes -------------------------------------------------------------------------------------------


class Liveness(Documented):
    """The process answers."""

    status: Literal["ok"]


class Readiness(Documented):
    """Warmed up and some persona has a healthy replica (503 with ready false otherwise)."""

    ready: bool


# -- OpenAI-compatible API ----------------------------------------------------------------------------


class OpenAIModel(Documented):
    """A model: auto (Abi routes) or a persona's name."""

    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class OpenAIModelList(Documented):
    """auto and one model per persona."""

    object: Literal["list"]
    data: list[OpenAIModel]


class CompletionMessage(Documented):
    role: Literal["assistant"]
    content: str


class CompletionChoice(Documented):
    index: int
    message: CompletionMessage
    finish_reason: Literal["stop", "length"]


class Usage(Documented):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class MeshDetails(Documented):
    request_id: str
    requested_model: str
    persona: str = Field(description="The persona that answered (also in `model`).")
    fallback: bool
    degraded: bool
    routing: RoutingDecision


class ChatCompletion(Documented):
    """An OpenAI chat completion; with `stream: true`, server-sent `chat.completion.chunk` events instead."""

    id: str
    object: Literal["chat.completion"]
    created: int
    model: str = Field(description="The persona that answered; the requested model is in persona_mesh.")
    choices: list[CompletionChoice]
    usage: Usage
    persona_mesh: MeshDetails
