"""The lexical half of hybrid knowledge search: BM25 (bm25s) over every chunk's title and text.

Vector search finds passages that mean the same; BM25 finds the ones that name the same call, command or
flag (`fromisoformat`, `--soft`), which a small embedding model blurs. The index lives in memory, built
from the store at start-up and rebuilt (in a thread, on the next search) after writes changed the chunks.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

import bm25s
import numpy as np


@dataclass(frozen=True)
class LexicalRow:
    """What a hit needs, kept in memory so a BM25-only hit costs no store read."""

    chunk_id: str
    source: str
    title: str
    url: str
    text: str


def _tokens(texts: list[str]) -> list[list[str]]:
    # Identifiers keep their parts too: "datetime.fromisoformat" -> datetime, fromisoformat; "--soft" -> soft.
    tokens: list[list[str]] = bm25s.tokenize(texts, stopwords="en", return_ids=False, show_progress=False)
    return tokens


class LexicalIndex:
    """BM25 over a collection's chunks; `replace_sources` keeps it in step with the store's writes."""

    def __init__(self) -> None:
        self._rows: dict[str, LexicalRow] = {}
        self._order: list[LexicalRow] = []
        self._retriever: bm25s.BM25 | None = None
        self._dirty = True
        self._guard = threading.Lock()
        self._rebuild = asyncio.Lock()

    def load(self, rows: list[LexicalRow]) -> None:
        with self._guard:
            self._rows = {row.chunk_id: row for row in rows}
            self._dirty = True

    def replace_sources(self, sources: set[str], rows: list[LexicalRow]) -> None:
        """The chunks of `sources` were replaced by `rows` in the store."""
        with self._guard:
            self._rows = {key: row for key, row in self._rows.items() if row.source not in sources}
            self._rows.update((row.chunk_id, row) for row in rows)
            self._dirty = True

    def __len__(self) -> int:
        return len(self._rows)

    def _build(self) -> None:
        with self._guard:
            order = list(self._rows.values())
            self._dirty = False
        retriever: bm25s.BM25 | None = None
        if order:
            retriever = bm25s.BM25()
            retriever.index(_tokens([f"{row.title}\n{row.text}" for row in order]), show_progress=False)
        self._order, self._retriever = order, retriever

    async def build(self) -> None:
        """Rebuild the index if writes changed the chunks (a thread; searches wait for it, not the event loop)."""
        if self._dirty:
            async with self._rebuild:
                if self._dirty:
                    await asyncio.get_running_loop().run_in_executor(None, self._build)

    async def search(self, query: str, k: int) -> list[tuple[LexicalRow, float]]:
        """The `k` best chunks by BM25 with their scores (best first); rebuilds first when writes changed them."""
        await self.build()
        retriever, order = self._retriever, self._order
        if retriever is None or not order:
            return []
        tokens = _tokens([query])
        if not tokens or not tokens[0]:
            return []
        limit = min(k, len(order))
        documents, scores = await asyncio.get_running_loop().run_in_executor(
            None, lambda: retriever.retrieve(tokens, k=limit, show_progress=False, n_threads=1)
        )
        return [
            (order[int(index)], float(score))
            for index, score in zip(np.asarray(documents)[0], np.asarray(scores)[0], strict=True)
            if score > 0
        ]


def reciprocal_rank_fusion(rankings: list[list[str]], k: int = 60) -> dict[str, float]:
    """RRF: each ranking adds 1 / (k + rank) to an id's score (Cormack et al. 2009; k = 60 as they chose)."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + rank)
    return fused
