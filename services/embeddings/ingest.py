"""Load a folder of .md / .txt / .rst / .html files into the knowledge store (`make ingest DIR=...`).

Through the running service's gRPC API when it answers at --target (default
$PM_EMBEDDINGS_ADDR), otherwise by opening the data dir directly
($PM_DATA_DIR, milvus-lite allows one opener: stop the service first, or let
this tool talk to it). Each file becomes one document whose source is
<prefix><path relative to DIR>; re-ingesting a file replaces its chunks.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from personamesh.v1 import embedding_index_service_pb2 as pb
from services.common.clients import EmbeddingIndexClient
from services.common.encoder import MAX_TOKENS, SentenceEncoder
from services.embeddings import reembed
from services.embeddings.collections import KNOWLEDGE_COLLECTIONS
from services.embeddings.embedder import Embedder
from services.embeddings.knowledge import KnowledgeBase
from services.embeddings.seed import seed_collection
from services.embeddings.settings import EmbeddingsSettings
from services.embeddings.store import store_from_settings

SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".rst": "text", ".html": "html", ".htm": "html"}
BATCH_CHARS = 1_500_000  # stays well under the 4 MiB gRPC message limit


def service_is_serving(target: str) -> bool:
    with grpc.insecure_channel(target) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2.0)
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def read_documents(root: Path, prefix: str, max_chars: int) -> Iterator[pb.KnowledgeDocument]:
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES):
        text = path.read_text(encoding="utf-8", errors="replace")
        if not text.strip():
            continue
        if len(text) > max_chars:
            print(f"skipped {path}: {len(text)} characters (limit {max_chars})", file=sys.stderr)
            continue
        relative = path.relative_to(root).as_posix()
        yield pb.KnowledgeDocument(
            source=f"{prefix}{relative}",
            title=path.stem.replace("_", " ").replace("-", " "),
            url=relative,
            text=text,
            format=SUFFIXES[path.suffix.lower()],
        )


def batches(documents: Iterator[pb.KnowledgeDocument]) -> Iterator[list[pb.KnowledgeDocument]]:
    batch: list[pb.KnowledgeDocument] = []
    size = 0
    for document in documents:
        if batch and size + len(document.text) > BATCH_CHARS:
            yield batch
            batch, size = [], 0
        batch.append(document)
        size += len(document.text)
    if batch:
        yield batch


async def ingest_over_grpc(target: str, documents: Iterator[pb.KnowledgeDocument]) -> tuple[int, int]:
    client = EmbeddingIndexClient(target, timeout=600.0)
    total_documents = total_chunks = 0
    try:
        for batch in batches(documents):
            reply = await client.stub.UpsertKnowledge(pb.UpsertKnowledgeRequest(documents=batch))
            total_documents += reply.documents
            total_chunks += reply.chunks
    finally:
        await client.close()
    return total_documents, total_chunks


async def ingest_directly(
    settings: EmbeddingsSettings, documents: Iterator[pb.KnowledgeDocument], max_tokens: int = MAX_TOKENS
) -> tuple[int, int]:
    """Into the data dir itself; `max_tokens` < 256 embeds only the start of each chunk (its title first), for
    bulk loads on small machines: lexical search still reads the whole chunk."""
    store = store_from_settings(settings)
    await store.open()
    # A new store records the encoder now; an existing one keeps its record (the service re-embeds it).
    await reembed.record_if_new(store, settings.store_dir)
    embedder = Embedder(SentenceEncoder(threads=settings.encoder_threads, max_tokens=max_tokens), cache_size=0)
    bases = {
        collection: KnowledgeBase(
            store,
            embedder,
            max_chars=settings.max_document_chars,
            chunk_chars=settings.chunk_chars,
            overlap=settings.chunk_overlap_chars,
            collection=collection,
        )
        for collection in KNOWLEDGE_COLLECTIONS
    }
    total_documents = total_chunks = 0
    try:
        for batch in batches(documents):
            for collection, knowledge in bases.items():
                prepared = [
                    knowledge.prepare(document, i)
                    for i, document in enumerate(batch)
                    if seed_collection(document) == collection
                ]
                if prepared:
                    total_chunks += await knowledge.upsert(prepared)
                    total_documents += len(prepared)
    finally:
        await embedder.close()
        await store.close()
    return total_documents, total_chunks


def main(argv: list[str] | None = None) -> int:
    settings = EmbeddingsSettings()
    parser = argparse.ArgumentParser(
        prog="python -m services.embeddings.ingest",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dir", type=Path, help="folder to load (searched recursively)")
    parser.add_argument(
        "--target", default=settings.embeddings_addr, help="embeddings service address (default: %(default)s)"
    )
    parser.add_argument("--prefix", default=None, help="source prefix (default: the folder's name and a slash)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--direct", action="store_true", help="always open the data dir directly")
    mode.add_argument("--grpc", action="store_true", help="always go through the service (fail if it is down)")
    args = parser.parse_args(argv)
    root: Path = args.dir
    if not root.is_dir():
        parser.error(f"{root} is not a folder")
    prefix = args.prefix if args.prefix is not None else f"{root.resolve().name}/"
    documents = read_documents(root, prefix, settings.max_document_chars)
    use_grpc = args.grpc or (not args.direct and service_is_serving(args.target))
    if use_grpc:
        count, chunks = asyncio.run(ingest_over_grpc(args.target, documents))
        how = f"through {args.target}"
    else:
        count, chunks = asyncio.run(ingest_directly(settings, documents))
        how = (
            f"directly into {settings.store_dir}" if not settings.milvus_uri else f"directly into {settings.milvus_uri}"
        )
    print(f"ingested {count} documents as {chunks} chunks {how}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
