"""Text generation backends behind one streaming interface.

Personas build a `GenerationRequest` (a system prompt and messages for a model,
plus the deterministic draft the composer streams when no model is configured)
and get text deltas back, whichever backend runs.
"""

from services.common.generation.base import GenerationBackend, GenerationOutcome, GenerationRequest, Message
from services.common.generation.composer import ComposerBackend
from services.common.generation.errors import GenerationError, GenerationInterrupted, GenerationUnavailable
from services.common.generation.factory import build_backend
from services.common.generation.openai_backend import LLMTarget, OpenAICompatibleBackend
from services.common.generation.settings import GenerationSettings

__all__ = [
    "ComposerBackend",
    "GenerationBackend",
    "GenerationError",
    "GenerationInterrupted",
    "GenerationOutcome",
    "GenerationRequest",
    "GenerationSettings",
    "GenerationUnavailable",
    "LLMTarget",
    "Message",
    "OpenAICompatibleBackend",
    "build_backend",
]
