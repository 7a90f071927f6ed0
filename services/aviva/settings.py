"""Aviva's settings (`PM_*`); the persona numbers come from the original implementation."""

from __future__ import annotations

from pydantic import Field

from services.common.persona import PersonaSettings
from services.common.registry import persona_registry


class AvivaSettings(PersonaSettings):
    """What an Aviva replica reads at start-up."""

    temperature: float = Field(
        default_factory=lambda: persona_registry().entries["aviva"].generation.temperature,
        description="Sampling temperature sent to a model backend (default: the persona registry's).",
    )
    directness: float = Field(0.9, description="0..1: higher means shorter answers with no preamble.")
    verify_facts: bool = Field(True, description="Check each claim of the answer against the retrieved knowledge.")
    knowledge_k: int = Field(20, description="Passages retrieved per question (hybrid search), then reranked.")
    knowledge_min_score: float = Field(
        0.3, description="Similarity below which a passage is ignored, unless BM25 found it too."
    )
    cross_encoder: bool | None = Field(
        None,
        description="Rerank the first passages with the cross-encoder (question and passage read together; 56-107 "
        "ms of CPU per question in two measurements here, services/aviva/README.md). Off: the linear reranker "
        "alone. Default: on when the composer answers (it decides from the passages itself), off with an LLM "
        "backend (the model reads the passages; measured by `make bench-peers`: Aviva's CPU per question 88 -> "
        "13 ms).",
    )

    @property
    def uses_cross_encoder(self) -> bool:
        """The setting, or its default: the cross-encoder serves the composer, not an LLM that reads passages."""
        return self.cross_encoder if self.cross_encoder is not None else not self.llm_base_url

    rerank_depth: int | None = Field(
        None,
        ge=1,
        description="Passages the cross-encoder reads per question (default: the depth its card's threshold was "
        "calibrated at; 5: ~60 ms of CPU per question, 10 doubles it for +0.01 of dev answered).",
    )
    rerank_threads: int = Field(1, ge=1, description="onnxruntime threads of the cross-encoder.")
    answer_threshold: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Probability the best passage needs to be given as the answer; below it Aviva says no passage "
        "answers and lists the closest references. Default: the reranker's card (picked so that 70% of "
        "off-corpus questions abstain).",
    )
    domain_gate: bool = Field(
        True,
        description="Say a question is outside the documentation she holds when the domain gate "
        "(models/domain_gate.json, on the sentence vector the knowledge search returns) reads it as not about "
        "software, instead of answering from the closest passage.",
    )
    claim_support_threshold: float = Field(
        0.6, description="Share of a claim's content words a source must contain for the claim to count as verified."
    )
    code_comments: bool = Field(True, description="Put explanatory comments in generated code skeletons.")
