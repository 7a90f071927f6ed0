"""Stored vectors re-embedded after the encoder changed (an upgrade that changes `MODEL_NAME`).

A stored vector is comparable only with query vectors of the model that made it. The store dir records
the model its vectors came from (`encoder.json`, written by whoever first writes to an empty store: the
service or `python -m services.embeddings.corpus`); when the running model differs, or a store from before
that record holds rows, a background task re-embeds every knowledge chunk (from the in-memory mirror)
and every stored conversation (from its stored, redacted text), then records the running model. The
documentation corpus is not among them: its pages' fingerprints include the model, so the corpus tool
ingests them again itself (`make run` runs it before the mesh starts), with its own token limit.
Searches keep answering meanwhile, over vectors of both models (they agree to a cosine of ~0.99: the
checks in the encoder's card). An interrupted run resumes at the next start-up where it stopped: after each
write the progress is recorded (`reembed.json`: the model it re-embeds for, and per collection the last
document source or conversation id done, in sorted order), so a large memory is not embedded twice. Rows
written meanwhile already carry the running model's vectors, so skipping what sorts before the mark is safe.
With Milvus by URI every index replica keeps its own record, so each re-embeds once; the results are the same.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import defaultdict
from pathlib import Path

from services.common.doc_sources import CORPUS_PREFIXES
from services.common.encoder import MODEL_NAME
from services.embeddings.collections import CONVERSATIONS, KNOWLEDGE_COLLECTIONS
from services.embeddings.embedder import Embedder
from services.embeddings.filters import quote
from services.embeddings.knowledge import KnowledgeBase, PreparedDocument
from services.embeddings.memory import FIELDS as CONVERSATION_FIELDS
from services.embeddings.store import VectorStore

log = logging.getLogger(__name__)
RECORD = "encoder.json"
PROGRESS = "reembed.json"
DOCUMENTS_PER_WRITE = 8
CONVERSATIONS_PER_WRITE = 256


def recorded_model(store_dir: Path) -> str | None:
    """The model the stored vectors came from; None when the store dir has no record."""
    try:
        return str(json.loads((store_dir / RECORD).read_text(encoding="utf-8"))["model"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record_model(store_dir: Path) -> None:
    store_dir.mkdir(parents=True, exist_ok=True)
    (store_dir / RECORD).write_text(json.dumps({"model": MODEL_NAME}) + "\n", encoding="utf-8")


class Progress:
    """How far a re-embedding for the running model got: per collection, the last key done (sorted order)."""

    def __init__(self, store_dir: Path) -> None:
        self.path = store_dir / PROGRESS
        self.done: dict[str, str] = {}
        try:
            recorded = json.loads(self.path.read_text(encoding="utf-8"))
            if recorded.get("model") == MODEL_NAME:
                self.done = {str(k): str(v) for k, v in dict(recorded.get("done", {})).items()}
        except (OSError, ValueError, TypeError, AttributeError):
            pass  # none yet, or unreadable: start from the beginning

    def after(self, collection: str) -> str | None:
        """The last key of `collection` already re-embedded; None when nothing is."""
        return self.done.get(collection)

    def mark(self, collection: str, key: str) -> None:
        self.done[collection] = key
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"model": MODEL_NAME, "done": self.done}) + "\n", encoding="utf-8")
        os.replace(temporary, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


async def stored_rows(store: VectorStore) -> int:
    """Rows with vectors in the store (knowledge of every collection, conversations)."""
    return sum([await store.count(collection) for collection in (*KNOWLEDGE_COLLECTIONS, CONVERSATIONS)])


async def record_if_new(store: VectorStore, store_dir: Path) -> None:
    """A store without a record and without rows gets this model's: every vector it will hold comes from it."""
    if recorded_model(store_dir) is None and await stored_rows(store) == 0:
        record_model(store_dir)


async def needs_reembedding(store: VectorStore, store_dir: Path) -> bool:
    """True when stored vectors may come from another model (a new store is recorded first)."""
    await record_if_new(store, store_dir)
    return recorded_model(store_dir) != MODEL_NAME


async def reembed_knowledge(base: KnowledgeBase, progress: Progress) -> int:
    """Every chunk of one knowledge collection embedded again, document by document (the documentation
    corpus excepted) in the order of their sources, from where an earlier run stopped; returns the chunks."""
    by_source: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
    for passage in base.passages.snapshot_rows():
        if not passage.source.startswith(CORPUS_PREFIXES):
            by_source[passage.source].append((passage.chunk_id, passage.title, passage.text, passage.url))
    after = progress.after(base.collection)
    documents = [
        PreparedDocument(source, source, "", [(title, text, url) for _, title, text, url in sorted(chunks)])
        for source, chunks in sorted(by_source.items())
        if after is None or source > after
    ]
    done = 0
    for start in range(0, len(documents), DOCUMENTS_PER_WRITE):
        batch = documents[start : start + DOCUMENTS_PER_WRITE]
        done += await base.upsert(batch)
        progress.mark(base.collection, batch[-1].source)
    await base.passages.build()  # done means searches read the new vectors
    return done


async def reembed_conversations(store: VectorStore, embedder: Embedder, progress: Progress) -> int:
    """Every stored exchange's vector made again from its stored user message, in the order of their ids and
    from where an earlier run stopped; returns the rows.

    The ids are read first and the rows a batch at a time, so a large memory is never all in this process.
    """
    after = progress.after(CONVERSATIONS)
    ids = sorted(str(row["id"]) for row in await store.query_all(CONVERSATIONS, 'id != ""', ["id"]))
    ids = [key for key in ids if after is None or key > after]
    for start in range(0, len(ids), CONVERSATIONS_PER_WRITE):
        keys = ids[start : start + CONVERSATIONS_PER_WRITE]
        listed = ", ".join(quote(key) for key in keys)
        batch = await store.query(CONVERSATIONS, f"id in [{listed}]", CONVERSATION_FIELDS)
        vectors = await embedder.matrix_uncached([str(row["user_message"]) for row in batch])
        fresh = [{**row, "vector": vector.tolist()} for row, vector in zip(batch, vectors, strict=True)]
        await store.upsert(CONVERSATIONS, fresh)
        progress.mark(CONVERSATIONS, keys[-1])
    return len(ids)


async def reembed_all(store_dir: Path, bases: list[KnowledgeBase], store: VectorStore, embedder: Embedder) -> None:
    """Re-embed everything stored, then record the running model (not before: a crash resumes it)."""
    started = time.perf_counter()
    log.warning(
        "stored vectors come from another encoder; re-embedding them in the background",
        extra={"recorded": recorded_model(store_dir) or "none", "model": MODEL_NAME},
    )
    progress = Progress(store_dir)
    if progress.done:
        log.info("resuming an interrupted re-embedding", extra={"done": dict(progress.done)})
    chunks = 0
    for base in bases:
        chunks += await reembed_knowledge(base, progress)
    conversations = await reembed_conversations(store, embedder, progress)
    record_model(store_dir)
    progress.clear()
    log.info(
        "stored vectors re-embedded",
        extra={"chunks": chunks, "conversations": conversations, "seconds": round(time.perf_counter() - started, 1)},
    )
