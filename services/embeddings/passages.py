"""Knowledge search in memory: every chunk of a collection with its vector, searched exactly and by BM25.

The store (milvus-lite or Milvus) stays the durable copy; this mirror answers the searches. Why not the
store's vector search: milvus-lite 3.2 walks every stored row in Python on each search (deduplication by
primary key, tombstones), so one search over the 21k-chunk documentation corpus cost ~15 ms of CPU
(docs/performance.md) while an exact inner product over the same vectors in numpy costs well under one.
BM25 needs every chunk's text in memory anyway (bm25s has no store), so keeping the vector beside it
costs 1.5 KiB per chunk (32 MiB for the corpus) and no second copy of the text. Exact search also finds
the true nearest chunks, which an HNSW graph only approximates.

Vector search finds passages that mean the same; BM25 finds the ones that name the same call, command or
flag (`fromisoformat`, `--soft`), which a small embedding model blurs. The mirror is loaded from the store
at start-up and rebuilt in a thread after writes changed the chunks. Rebuilding the corpus takes seconds, so
a search never waits for one while an earlier snapshot exists: it reads that snapshot (missing only the
writes of the last few seconds) and the rebuild runs in the background. `UpsertKnowledge` waits for the
rebuild before it answers, so a caller finds its own documents as soon as the call returns.

Background rebuilds are spaced out: the next starts no sooner than `REBUILD_GAP_FACTOR` times the last one's
duration after it ended. During a stream of writes (re-embedding after an encoder upgrade: ~95 writes) every
search had started another full rebuild of the 21k-chunk corpus (~3 s, holding the GIL for most of it) the
moment the previous ended, so the index spent the whole stream rebuilding and live knowledge searches missed
their deadlines. Now rebuilding takes at most a quarter of the time, and a search sees a write within about
four rebuilds' time (~12 s for the corpus).
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field, replace

import bm25s
import numpy as np


@dataclass(frozen=True, eq=False)
class Passage:
    """One stored chunk: what a hit returns, and its unit-length vector."""

    chunk_id: str
    source: str
    title: str
    url: str
    text: str
    vector: np.ndarray = field(repr=False)


def _tokens(texts: list[str]) -> list[list[str]]:
    # Identifiers keep their parts too: "datetime.fromisoformat" -> datetime, fromisoformat; "--soft" -> soft.
    tokens: list[list[str]] = bm25s.tokenize(texts, stopwords="en", return_ids=False, show_progress=False)
    return tokens


@dataclass(frozen=True)
class _Snapshot:
    """What searches read: replaced whole after a rebuild, so a search never sees half of one."""

    order: list[Passage]
    matrix: np.ndarray  # (len(order), dimension) float32, row i = order[i].vector
    retriever: bm25s.BM25 | None
    prefix_masks: dict[str, np.ndarray] = field(default_factory=dict)  # source prefix -> which rows match


# A background rebuild waits this many times the last rebuild's duration after it, and at least the minimum.
REBUILD_GAP_FACTOR = 3.0
MIN_REBUILD_GAP_S = 1.0


def _empty() -> _Snapshot:
    return _Snapshot([], np.zeros((0, 0), dtype=np.float32), None)


class PassageIndex:
    """A collection's chunks in memory; `replace_sources` keeps it in step with the store's writes."""

    def __init__(self) -> None:
        self._rows: dict[str, Passage] = {}
        self._snapshot = _empty()
        self._dirty = True
        self._guard = threading.Lock()
        self._rebuild = asyncio.Lock()
        self._background: asyncio.Task[None] | None = None
        self._built_at = float("-inf")  # time.monotonic() when the last rebuild ended
        self._build_seconds = 0.0  # how long it took

    def load(self, rows: list[Passage]) -> None:
        with self._guard:
            self._rows = {row.chunk_id: row for row in rows}
            self._dirty = True

    def replace_sources(self, sources: set[str], rows: list[Passage]) -> None:
        """The chunks of `sources` were replaced by `rows` in the store."""
        with self._guard:
            self._rows = {key: row for key, row in self._rows.items() if row.source not in sources}
            self._rows.update((row.chunk_id, row) for row in rows)
            self._dirty = True

    def __len__(self) -> int:
        return len(self._rows)

    def snapshot_rows(self) -> list[Passage]:
        """Every chunk held now (a copy: writes may go on)."""
        with self._guard:
            return list(self._rows.values())

    def _build(self) -> None:
        started = time.monotonic()
        with self._guard:
            order = list(self._rows.values())
            self._dirty = False
        if not order:
            self._snapshot = _empty()
        else:
            retriever = bm25s.BM25()
            retriever.index(_tokens([f"{row.title}\n{row.text}" for row in order]), show_progress=False)
            matrix = np.ascontiguousarray(np.stack([row.vector for row in order]), dtype=np.float32)
            order = self._share_vectors(order, matrix)
            self._snapshot = _Snapshot(order, matrix, retriever)
        self._built_at = time.monotonic()
        self._build_seconds = self._built_at - started

    def _share_vectors(self, order: list[Passage], matrix: np.ndarray) -> list[Passage]:
        """The chunks again, each vector now a view of its row of `matrix`, and held so where not replaced
        since: otherwise every vector was kept twice (once per chunk, once in the matrix), 32 MiB more for
        the documentation corpus. An older matrix is freed once no chunk points into it."""
        shared = [replace(row, vector=matrix[i]) for i, row in enumerate(order)]
        with self._guard:
            for old, new in zip(order, shared, strict=True):
                if self._rows.get(old.chunk_id) is old:
                    self._rows[old.chunk_id] = new
        return shared

    async def build(self) -> None:
        """Rebuild until the index holds every write so far (in a thread, never on the event loop)."""
        while self._dirty:
            async with self._rebuild:
                if self._dirty:
                    await asyncio.get_running_loop().run_in_executor(None, self._build)

    def next_rebuild_at(self) -> float:
        """The earliest time.monotonic() a background rebuild may start (REBUILD_GAP_FACTOR)."""
        return self._built_at + max(MIN_REBUILD_GAP_S, REBUILD_GAP_FACTOR * self._build_seconds)

    async def _rebuild_in_turn(self) -> None:
        await asyncio.sleep(max(0.0, self.next_rebuild_at() - time.monotonic()))
        await self.build()

    async def _searchable(self) -> _Snapshot:
        """The snapshot to search: the last one built, with a rebuild scheduled behind it if writes came since.

        Only an index never built over its rows (the first write into an empty collection) is waited for.
        """
        if self._dirty:
            if self._snapshot.order or not self._rows:
                if self._background is None or self._background.done():
                    self._background = asyncio.get_running_loop().create_task(
                        self._rebuild_in_turn(), name="passages-rebuild"
                    )
            else:
                await self.build()
        return self._snapshot

    async def by_words(self, query: str, k: int) -> list[tuple[Passage, float]]:
        """The `k` best chunks by BM25 with their scores (best first)."""
        snapshot = await self._searchable()
        if snapshot.retriever is None:
            return []
        tokens = _tokens([query])
        if not tokens or not tokens[0]:
            return []
        limit = min(k, len(snapshot.order))
        retriever = snapshot.retriever
        documents, scores = await asyncio.get_running_loop().run_in_executor(
            None, lambda: retriever.retrieve(tokens, k=limit, show_progress=False, n_threads=0)
        )
        return [
            (snapshot.order[int(index)], float(score))
            for index, score in zip(np.asarray(documents)[0], np.asarray(scores)[0], strict=True)
            if score > 0
        ]

    async def by_vector(self, vector: np.ndarray, k: int, source_prefix: str = "") -> list[tuple[Passage, float]]:
        """The `k` chunks with the largest inner product with `vector` (exact), best first, within the prefix."""
        snapshot = await self._searchable()
        if not snapshot.order or k <= 0:
            return []
        mask = _prefix_mask(snapshot, source_prefix) if source_prefix else None
        return await asyncio.get_running_loop().run_in_executor(None, _nearest, snapshot, vector, k, mask)


def _prefix_mask(snapshot: _Snapshot, prefix: str) -> np.ndarray:
    """Which chunks' sources start with `prefix` (kept with the snapshot: callers reuse a few prefixes)."""
    mask = snapshot.prefix_masks.get(prefix)
    if mask is None:
        mask = np.fromiter((row.source.startswith(prefix) for row in snapshot.order), bool, len(snapshot.order))
        if len(snapshot.prefix_masks) < 64:
            snapshot.prefix_masks[prefix] = mask
    return mask


def _nearest(snapshot: _Snapshot, vector: np.ndarray, k: int, mask: np.ndarray | None) -> list[tuple[Passage, float]]:
    scores = snapshot.matrix @ np.asarray(vector, dtype=np.float32)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(snapshot.order[int(i)], float(scores[i])) for i in top if np.isfinite(scores[i])]


def reciprocal_rank_fusion(rankings: list[list[str]], k: int = 60) -> dict[str, float]:
    """RRF: each ranking adds 1 / (k + rank) to an id's score (Cormack et al. 2009; k = 60 as they chose)."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + rank)
    return fused
