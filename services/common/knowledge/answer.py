"""Which retrieved documentation passages answer a question: the domain gate, then the two rerankers, for a
persona's process (Aviva answers from them; Abbey takes her technical steps from them).

The search (`DocsAnswerer.search`: hybrid, `KnowledgeSettings.knowledge_k` passages) also gives the vector the gate
and the persona's other readings use, so it is done once, before the gate and the rerankers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, replace

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from services.common import languages
from services.common.generation.grounding import IndexCaller, Retrieved, search_knowledge
from services.common.knowledge.domain import DomainGate, built_in_only
from services.common.knowledge.passage import read, shows_something
from services.common.knowledge.rerank import Intent, Ranked, Reranker
from services.common.knowledge.settings import KnowledgeSettings


@dataclass(frozen=True)
class Ranking:
    intent: Intent
    ranked: list[Ranked]  # best first
    threshold: float  # the confidence a passage needs to be given as an answer
    # Passages of an operator's own documents under the similarity floor: never an answer, nor the closest page.
    too_far: frozenset[str] = frozenset()

    @property
    def confident(self) -> list[Ranked]:
        """The passages confident enough to answer from, best first."""
        return [r for r in self.ranked if r.confidence >= self.threshold]

    @property
    def answering(self) -> list[index_pb2.KnowledgeHit]:
        return [r.passage.hit for r in self.confident]

    def answer_first(self, question: str) -> list[index_pb2.KnowledgeHit]:
        """The answering passages with the one to answer from (`answer_of`) first; none when no passage has
        something to show."""
        answering = self.confident
        best = answer_of(question, answering)
        ordered = ([best] if best is not None else []) + [r for r in answering if r is not best]
        return [r.passage.hit for r in ordered] if best is not None else []

    def closest(self, limit: int = 3) -> list[index_pb2.KnowledgeHit]:
        """The closest passages, one per citation, for an answer that says none answers."""
        near = [r for r in self.ranked if r.passage.citation not in self.too_far]
        return [r.passage.hit for r in distinct(near)[:limit]]


def answer_of(question: str, answering: Iterable[Ranked]) -> Ranked | None:
    """The passage to answer from: the first confident one, in the rerankers' order, with something to show (a
    lead, an example that parses, a sentence sharing the question's words). A passage of prose with none would make
    an answer of a citation alone ("TypeError: 'NoneType' object is not subscriptable" got one)."""
    return next((r for r in answering if shows_something(question, r.passage)), None)


def distinct(ranked: list[Ranked]) -> list[Ranked]:
    """One entry per citation: a long passage is stored as several chunks under one URL and heading."""
    seen: set[str] = set()
    out: list[Ranked] = []
    for r in ranked:
        if r.passage.citation not in seen:
            seen.add(r.passage.citation)
            out.append(r)
    return out


class DocsAnswerer:
    """The gate and the rerankers of one process. `lazy`: the cross-encoder (~50 MiB) loads on the first ranking,
    for a persona that answers from the documentation only now and then."""

    def __init__(self, settings: KnowledgeSettings, *, lazy: bool = False) -> None:
        self.settings = settings
        self.gate = DomainGate.load() if settings.domain_gate else None
        self._reranker: Reranker | None = None if lazy else self._load()
        self._loading = asyncio.Lock()

    def _load(self) -> Reranker:
        return Reranker(
            cross_encoder=self.settings.uses_cross_encoder,
            depth=self.settings.rerank_depth,
            threads=self.settings.rerank_threads,
        )

    async def reranker(self) -> Reranker:
        if self._reranker is None:
            async with self._loading:
                if self._reranker is None:
                    self._reranker = await asyncio.to_thread(self._load)
        return self._reranker

    async def search(
        self,
        index: IndexCaller,
        question: str,
        collection: index_pb2.KnowledgeCollection.ValueType = index_pb2.KNOWLEDGE_COLLECTION_REFERENCE,
    ) -> Retrieved:
        """The candidates the rerankers read: the hybrid search, `knowledge_k` passages (its vector serves the gate
        and the persona's other readings, so it is done once)."""
        return await search_knowledge(
            index,
            question,
            k=self.settings.knowledge_k,
            min_score=self.settings.knowledge_min_score,
            hybrid=True,
            collection=collection,
        )

    def outside_software(self, content: str, retrieved: Retrieved, *, exempt: bool = False) -> float | None:
        """The gate's probability that the question is not about software; None when the gate does not apply: no
        gate or no vector, a message naming a programming language (about software whatever it reads: "debounce in
        JavaScript"), or candidates from an operator's own documents (it knows only the built-in documentation's
        domain)."""
        if self.gate is None or not retrieved.vector or exempt or not built_in_only(retrieved.hits):
            return None
        if languages.asked_for(content) or languages.mentioned(content):
            return None
        return self.gate.probability(retrieved.vector)

    def off_domain(self, content: str, retrieved: Retrieved, *, exempt: bool = False) -> float | None:
        """The gate's probability when it reads the question as outside software (at its own line), else None."""
        probability = self.outside_software(content, retrieved, exempt=exempt)
        return probability if self.gated(probability) else None

    def gated(self, probability: float | None) -> bool:
        """The gate's probability (`outside_software`) reaches its line."""
        return probability is not None and self.gate is not None and probability >= self.gate.threshold

    async def rank(self, question: str, hits: Iterable[index_pb2.KnowledgeHit]) -> Ranking:
        """The passages best first. One of an operator's own documents under `own_docs_min_similarity` keeps its
        place but cannot answer (confidence 0) nor be the closest page: the domain gate does not read those."""
        reranker = await self.reranker()
        intent, ranked = await reranker.rank(question, [read(hit) for hit in hits])
        floor = self.settings.own_docs_min_similarity
        too_far = frozenset(
            r.passage.citation for r in ranked if not built_in_only([r.passage.hit]) and r.passage.hit.score < floor
        )
        ranked = [replace(r, confidence=0.0) if r.passage.citation in too_far else r for r in ranked]
        threshold = self.settings.answer_threshold
        threshold = threshold if threshold is not None else reranker.answer_threshold
        return Ranking(intent, ranked, threshold, too_far)
