"""Aviva's settings (`PM_*`); the persona numbers come from the original implementation."""

from __future__ import annotations

from pydantic import Field

from services.common.knowledge.settings import KnowledgeSettings
from services.common.persona import PersonaSettings
from services.common.registry import persona_registry


class AvivaSettings(PersonaSettings, KnowledgeSettings):
    """What an Aviva replica reads at start-up."""

    temperature: float = Field(
        default_factory=lambda: persona_registry().entries["aviva"].generation.temperature,
        description="Sampling temperature sent to a model backend (default: the persona registry's).",
    )
    directness: float = Field(0.9, description="0..1: higher means shorter answers with no preamble.")
    verify_facts: bool = Field(True, description="Check each claim of the answer against the retrieved knowledge.")
    claim_support_threshold: float = Field(
        0.6, description="Share of a claim's content words a source must contain for the claim to count as verified."
    )
    code_comments: bool = Field(True, description="Put explanatory comments in generated code skeletons.")
