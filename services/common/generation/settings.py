"""Which generation backend a persona uses, read from `PM_LLM_*` environment variables.

With no `PM_LLM_BASE_URL` the deterministic composer answers (the embedded
default needs no model). Set it to any OpenAI-compatible server (vLLM, Ollama,
llama.cpp server, OpenAI) to stream a model's answer instead.
"""

from __future__ import annotations

from pydantic import Field

from services.common.settings import CommonSettings


class GenerationSettings(CommonSettings):
    """Generation backend settings; every persona's settings extend these."""

    llm_base_url: str = Field(
        "", description="OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1; empty uses the composer."
    )
    llm_model: str = Field("", description="Model name sent to the primary endpoint.")
    llm_api_key: str = Field("", description="API key for the endpoints (empty sends a placeholder).")
    llm_fallbacks: str = Field(
        "",
        description=(
            "Comma-separated fallback targets tried in order when the primary fails: "
            "`model` (same endpoint) or `model@base_url` (another endpoint)."
        ),
    )
    llm_timeout_seconds: float = Field(30.0, description="Longest one model call may take (the deadline may cut it).")
    llm_connect_timeout_seconds: float = Field(2.0, description="TCP connect timeout to an endpoint.")
    llm_first_token_timeout_seconds: float = Field(
        10.0, description="Longest wait for the first streamed delta before trying the next target."
    )
    llm_breaker_failures: int = Field(5, description="Consecutive failures that open a target's breaker.")
    llm_breaker_reset_seconds: float = Field(30.0, description="How long an open breaker waits before one probe.")
    llm_composer_fallback: bool = Field(
        True,
        description="When every model target fails before answering, answer with the composer (marked degraded).",
    )
