"""How a persona searches the documentation and decides which passage answers (`PM_*`), the same for every persona
that answers from it."""

from __future__ import annotations

from pydantic import Field

from services.common.generation.settings import GenerationSettings


class KnowledgeSettings(GenerationSettings):
    """The search and the two rerankers' settings (services/common/knowledge)."""

    knowledge_k: int = Field(20, description="Passages retrieved per question (hybrid search), then reranked.")
    knowledge_min_score: float = Field(
        0.3, description="Similarity below which a passage is ignored, unless BM25 found it too."
    )
    cross_encoder: bool | None = Field(
        None,
        description="Rerank the first passages with the cross-encoder (question and passage read together; 56-107 "
        "ms of CPU per question in two measurements here, docs/performance.md). Off: the linear reranker alone. "
        "Default: on when the composer answers (it decides from the passages itself), off with an LLM backend (the "
        "model reads the passages; measured by `make bench-peers`: the expert's CPU per question 88 -> 13 ms).",
    )
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
        description="Probability the best passage needs to be given as the answer; below it the persona says no "
        "passage answers. Default: the reranker's card (picked so that 70% of off-corpus questions abstain).",
    )
    own_docs_min_similarity: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Similarity a passage of an operator's own documents (`make ingest`) needs to be given as an "
        "answer: the domain gate knows only the built-in documentation, and with a handful of own documents the "
        "rerankers took the one candidate for the answer (rolling back a phone's iOS -> a Kubernetes rollback page at "
        "0.45; topical passages scored 0.32-0.45 here, documented questions 0.59-0.79).",
    )
    domain_gate: bool = Field(
        True,
        description="Say a question is outside the documentation held when the domain gate "
        "(services/common/knowledge/models/domain_gate.json, on the sentence vector the knowledge search returns) "
        "reads it as not about software, instead of answering from the closest passage.",
    )

    @property
    def uses_cross_encoder(self) -> bool:
        """The setting, or its default: the cross-encoder serves the composer, not an LLM that reads passages."""
        return self.cross_encoder if self.cross_encoder is not None else not self.llm_base_url
