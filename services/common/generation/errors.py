"""Generation failures with a stable reason, so callers can map them to gRPC codes."""

from __future__ import annotations


class GenerationError(Exception):
    """A generation failed; `reason` is UPPER_SNAKE, `message` says what happened."""

    reason = "GENERATION_FAILED"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason


class GenerationUnavailable(GenerationError):
    """Every target (model or endpoint) failed or had its breaker open before answering."""

    reason = "GENERATION_UNAVAILABLE"


class GenerationInterrupted(GenerationError):
    """A target failed after text was already streamed; the partial answer must not pass as success."""

    reason = "GENERATION_INTERRUPTED"


class GenerationRejected(GenerationError):
    """The upstream refused the request itself (HTTP 400/422): trying elsewhere would not help."""

    reason = "GENERATION_REJECTED"


class GenerationTimeout(GenerationError):
    """The caller's deadline ran out while generating."""

    reason = "GENERATION_DEADLINE_EXCEEDED"
