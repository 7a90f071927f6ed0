"""The knowledge store: documents cut into attributed chunks, searched by meaning and, hybrid, by words too.

One `KnowledgeBase` per collection (reference documentation, the project's own docs). The store keeps the
chunks; searches read an in-memory mirror of them (services/embeddings/passages.py says why). A hybrid
search fuses the vector ranking with BM25's by reciprocal rank.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from personamesh.v1 import embedding_index_service_pb2 as pb
from services.common.errors import invalid_argument
from services.common.reasons import Reason
from services.embeddings import validation
from services.embeddings.chunking import FORMATS, Chunk, chunk_text, guess_format
from services.embeddings.collections import ID_BYTES, KNOWLEDGE
from services.embeddings.embedder import Embedder
from services.embeddings.filters import quote
from services.embeddings.passages import Passage, PassageIndex, reciprocal_rank_fusion
from services.embeddings.store import VectorStore, WriteOp

log = logging.getLogger(__name__)
MAX_SOURCE_CHARS = 512
MAX_TITLE_CHARS = 512
FIELDS = ["chunk_id", "source", "title", "url", "text"]
STORED_FIELDS = [*FIELDS, "vector"]


class VectorLookup(Protocol):
    """Vectors computed earlier, by the exact text embedded."""

    def get(self, text: str) -> np.ndarray | None: ...


@dataclass(frozen=True)
class PreparedDocument:
    """A validated document and its chunks, ready to embed."""

    source: str
    title: str
    url: str
    chunks: list[tuple[str, str, str]]  # (chunk title, chunk text, chunk url)


def _chunk_url(url: str, anchor: str) -> str:
    """The document's URL, pointing at the chunk's passage when its heading named an anchor."""
    return f"{url.split('#')[0]}#{anchor}" if anchor and url else url


def _chunk_title(title: str, section: str) -> str:
    """Document title, then the section path without a repeat of the title's own heading."""
    parts = [part for part in section.split(" > ") if part]
    if parts and title.endswith(parts[0]):
        parts = parts[1:]
    return " > ".join([title, *parts])


def titled_chunks(title: str, url: str, chunks: list[Chunk]) -> list[tuple[str, str, str]]:
    """A document's chunks as the index stores them: (chunk title, chunk text, chunk url). The index and the docs QA
    grading (which rebuilds a cited passage from the installed page) name chunks this one way."""
    return [(_chunk_title(title, c.section), c.text, _chunk_url(url, c.anchor)) for c in chunks]


class KnowledgeBase:
    """UpsertKnowledge and SearchKnowledge over the knowledge collection."""

    def __init__(
        self,
        store: VectorStore,
        embedder: Embedder,
        *,
        max_chars: int,
        chunk_chars: int,
        overlap: int,
        collection: str = KNOWLEDGE,
    ):
        self.store = store
        self.embedder = embedder
        self.max_chars = max_chars
        self.chunk_chars = chunk_chars
        self.overlap = overlap
        self.collection = collection
        self.passages = PassageIndex()

    async def load_passages(self) -> None:
        """Mirror the chunks already stored (at start-up, before SERVING)."""
        self.passages.load(await self.store.query_all_as(self.collection, 'chunk_id != ""', STORED_FIELDS, _passage))
        await self.passages.build()  # before SERVING: the first question must not wait seconds for it

    def prepare(self, document: pb.KnowledgeDocument, index: int) -> PreparedDocument:
        """Validate one document and cut it into chunks (no side effects)."""
        where = f"documents[{index}]"
        source = validation.identifier(document.source, f"{where}.source")
        if len(source) > MAX_SOURCE_CHARS:
            raise invalid_argument(Reason.ID_TOO_LONG, f"{where}.source is longer than {MAX_SOURCE_CHARS}", "source")
        if len(source.encode("utf-8")) > ID_BYTES:
            raise invalid_argument(
                Reason.ID_TOO_LONG, f"{where}.source is longer than {ID_BYTES} UTF-8 bytes", "source"
            )
        if len(document.title) > MAX_TITLE_CHARS or len(document.url.encode("utf-8")) > 2 * ID_BYTES:
            raise invalid_argument(Reason.FIELD_TOO_LONG, f"{where}.title or .url is too long", "title")
        validation.text(document.text, f"{where}.text", self.max_chars)
        format = document.format or guess_format(source, document.text)
        if format not in FORMATS:
            raise invalid_argument(
                Reason.UNKNOWN_FORMAT, f"{where}.format must be one of {', '.join(FORMATS)}", "format"
            )
        title = document.title.strip() or source
        chunks = chunk_text(document.text, format, max_chars=self.chunk_chars, overlap=self.overlap)
        if not chunks:
            raise invalid_argument(Reason.EMPTY_TEXT, f"{where}.text has no content to index", "text")
        return PreparedDocument(source, title, document.url, titled_chunks(title, document.url, chunks))

    @staticmethod
    def embedding_texts(document: PreparedDocument) -> list[str]:
        """What is embedded for each chunk: its heading path, then its text."""
        return [f"{title}\n\n{text}" for title, text, _ in document.chunks]

    async def upsert(self, documents: list[PreparedDocument], known: VectorLookup | None = None) -> int:
        """Replace each document's chunks; returns the number of chunks written (flushed).

        `known` supplies vectors computed earlier (the shipped default knowledge base); others are embedded now.
        """
        ops: list[WriteOp] = []
        total = 0
        mirrored: list[Passage] = []
        for document in documents:
            texts = self.embedding_texts(document)
            vectors = await self._vectors(texts, known)
            rows = [
                {
                    "chunk_id": f"{document.source}#{i:05d}",
                    "source": document.source,
                    "title": validation.fit_stored_text(title, ID_BYTES),
                    "url": url,
                    "text": text,
                    "vector": vectors[i].tolist(),
                }
                for i, (title, text, url) in enumerate(document.chunks)
            ]
            ops.append(WriteOp(self.collection, filter=f"source == {quote(document.source)}"))
            ops.append(WriteOp(self.collection, rows=rows))
            mirrored.extend(_passage(row) for row in rows)
            total += len(rows)
        await self.store.write(ops)
        self.passages.replace_sources({document.source for document in documents}, mirrored)
        return total

    async def _vectors(self, texts: list[str], known: VectorLookup | None) -> np.ndarray:
        if known is None:
            return await self.embedder.matrix_uncached(texts)
        found = [known.get(text) for text in texts]
        missing = [text for text, vector in zip(texts, found, strict=True) if vector is None]
        fresh = iter(await self.embedder.matrix_uncached(missing)) if missing else iter(())
        return np.stack([vector if vector is not None else next(fresh) for vector in found])

    async def search(
        self, query_vector: list[float], k: int, source_prefix: str, min_score: float
    ) -> list[pb.KnowledgeHit]:
        """The `k` chunks nearest to the query vector within `source_prefix`, at least `min_score` (if set)."""
        vector = np.asarray(query_vector, dtype=np.float32)
        out: list[pb.KnowledgeHit] = []
        for passage, score in await self.passages.by_vector(vector, k, source_prefix):
            # 0 is proto3's unset value: no threshold then (cosine scores can be negative).
            if min_score and score < min_score:
                continue
            out.append(_hit(passage, score))
        return out

    async def hybrid_search(
        self, query: str, query_vector: list[float], k: int, source_prefix: str, min_score: float, depth: int = 40
    ) -> list[pb.KnowledgeHit]:
        """Vector and BM25 rankings (each `depth` deep) fused by reciprocal rank; the `k` best.

        `min_score` (cosine) drops only hits that BM25 did not find: a passage naming the exact call or
        flag counts even when the small embedding model scores it low.
        """
        if k <= 0:
            return []
        depth = max(depth, k)
        vector = np.asarray(query_vector, dtype=np.float32)
        by_vector = await self.passages.by_vector(vector, depth, source_prefix)
        by_words = [
            (row, score)
            for row, score in await self.passages.by_words(query, depth * 2)
            if row.source.startswith(source_prefix)
        ][:depth]
        fused = reciprocal_rank_fusion([[row.chunk_id for row, _ in by_vector], [row.chunk_id for row, _ in by_words]])
        semantic = {row.chunk_id: (row, score) for row, score in by_vector}
        lexical = {row.chunk_id: (row, score) for row, score in by_words}
        out: list[pb.KnowledgeHit] = []
        # Messages only for the hits returned: building all 2 x `depth` candidates' was 5% of the index's CPU.
        for key in sorted(fused, key=lambda key: -fused[key]):
            row, score = semantic[key] if key in semantic else (lexical[key][0], float(lexical[key][0].vector @ vector))
            if min_score and score < min_score and key not in lexical:
                continue
            hit = _hit(row, score)
            hit.lexical_score = lexical[key][1] if key in lexical else 0.0
            out.append(hit)
            if len(out) == k:
                break
        return out


def _passage(row: dict[str, object]) -> Passage:
    """A stored row as the in-memory mirror keeps it."""
    fields = {name: str(row[name]) for name in FIELDS}
    return Passage(**fields, vector=np.asarray(row["vector"], dtype=np.float32))


def _hit(passage: Passage, score: float) -> pb.KnowledgeHit:
    return pb.KnowledgeHit(
        source=passage.source,
        title=passage.title,
        url=passage.url,
        text=passage.text,
        score=score,
        chunk_id=passage.chunk_id,
    )
