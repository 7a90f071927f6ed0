"""Pick the backend the settings describe."""

from __future__ import annotations

from collections.abc import Callable

from services.common.generation.base import GenerationBackend
from services.common.generation.composer import ComposerBackend
from services.common.generation.openai_backend import LLMTarget, OpenAICompatibleBackend, parse_fallbacks
from services.common.generation.settings import GenerationSettings


def build_backend(
    settings: GenerationSettings, on_breaker_change: Callable[[str, str, str], None] | None = None
) -> GenerationBackend:
    """The composer unless `PM_LLM_BASE_URL` names an OpenAI-compatible endpoint."""
    if not settings.llm_base_url:
        return ComposerBackend()
    if not settings.llm_model:
        raise ValueError("PM_LLM_MODEL must be set when PM_LLM_BASE_URL is")
    primary = LLMTarget(settings.llm_base_url.rstrip("/"), settings.llm_model, settings.llm_api_key)
    return OpenAICompatibleBackend(
        [primary, *parse_fallbacks(settings.llm_fallbacks, primary)],
        timeout=settings.llm_timeout_seconds,
        connect_timeout=settings.llm_connect_timeout_seconds,
        first_token_timeout=settings.llm_first_token_timeout_seconds,
        breaker_failures=settings.llm_breaker_failures,
        breaker_reset_seconds=settings.llm_breaker_reset_seconds,
        on_breaker_change=on_breaker_change,
    )
