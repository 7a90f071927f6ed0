"""The contract every generation backend meets."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Literal, Protocol

MessageRole = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    """One chat message sent to a model."""

    role: MessageRole
    content: str


@dataclass(frozen=True)
class GenerationRequest:
    """Everything a backend may need; each backend uses the part it understands.

    A model-backed backend sends `system_prompt` + `messages`; the composer
    streams `draft`, the answer the persona assembled from its templates,
    memory and retrieved knowledge. Personas always fill both, so switching
    backends is a setting, never a code change.
    """

    system_prompt: str
    messages: tuple[Message, ...]
    draft: str
    max_tokens: int = 512
    temperature: float = 0.7
    # Seconds this generation may take (the caller's remaining deadline); None = backend default.
    timeout: float | None = None
    user: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class GenerationOutcome:
    """Filled in by the backend during one generation: who answered, after which failures."""

    # Reported in PersonaResponse.backend, e.g. "composer" or "openai:llama3".
    backend: str = ""
    # True when a fallback target answered instead of the primary one.
    fallback: bool = False
    # One line per target that failed before the answer, in order.
    failures: list[str] = field(default_factory=list)
    # Why the text ended: "stop" (complete) or "length" (cut at max_tokens), as OpenAI reports it.
    finish_reason: str = "stop"


class GenerationBackend(Protocol):
    """Streams text for a request; `complete` returns it whole."""

    @property
    def name(self) -> str:
        """The configured backend, e.g. "composer" or "openai:llama3" (the primary target)."""
        ...

    def stream(self, request: GenerationRequest, outcome: GenerationOutcome) -> AsyncGenerator[str, None]:
        """Text deltas in order. Raises GenerationError subclasses on failure."""
        ...

    async def complete(self, request: GenerationRequest, outcome: GenerationOutcome) -> str:
        """The whole text; a target failing part-way is simply replaced by the next one."""
        ...

    async def close(self) -> None: ...
