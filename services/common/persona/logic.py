"""What a persona implements (`PersonaLogic`) and what it hands back (`Plan`, `Review`, reasoning steps)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from personamesh.v1 import persona_pb2, persona_service_pb2


@dataclass
class SystemPrompt:
    """A persona's instructions for a model, built line by line.

    `say` adds the persona's own instructions, which an answer must never repeat; `quote` adds material an
    answer may repeat (retrieved passages, facts the user told, a safe answer to follow). The output guard
    protects only the instruction lines, so it never withholds a quoted title or passage, and it does not
    have to compare every retrieved passage with the prompt to find out which lines are material.
    """

    lines: list[str] = field(default_factory=list)
    quotable: list[str] = field(default_factory=list)

    def say(self, *lines: str) -> None:
        self.lines.extend(lines)

    def quote(self, *lines: str) -> None:
        self.lines.extend(lines)
        self.quotable.extend(lines)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


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
    tone: persona_pb2.Tone.ValueType = persona_pb2.TONE_UNSPECIFIED
    degraded: bool = False
    # Persona-specific values the review and after-answer hooks need.
    notes: dict[str, Any] = field(default_factory=dict)
    # Lines of the system prompt that an answer may quote (SystemPrompt.quotable); the other lines are the
    # persona's instructions, which an answer never repeats.
    quotable: list[str] = field(default_factory=list)


@dataclass
class Review:
    """Adjustments after the text exists (for example a fact check)."""

    confidence: float
    extra_reasoning: list[persona_pb2.ReasoningStep] = field(default_factory=list)


def step(description: str, confidence: float) -> persona_pb2.ReasoningStep:
    """A reasoning step with its confidence clamped to [0, 1]."""
    return persona_pb2.ReasoningStep(description=description, confidence=round(min(1.0, max(0.0, confidence)), 3))


def said_as_is(instruction: str, answer: str, temperature: float, reasoning: persona_pb2.ReasoningStep) -> Plan:
    """A plan whose whole answer is `answer` (small talk, what is kept of a user): the draft, its own source for a
    fact check, and a prompt that has a model backend say it, after `instruction`."""
    prompt = SystemPrompt()
    prompt.say(instruction)
    prompt.quote(answer)
    return Plan(
        system_prompt=prompt.text,
        draft=answer,
        confidence=0.9,
        temperature=temperature,
        reasoning=[reasoning],
        notes={"sources": [answer]},
        quotable=prompt.quotable,
    )


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
