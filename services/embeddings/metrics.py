"""Prometheus metrics of the embedding index (the gRPC call metrics come from services.common)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

EMBED_CACHE = Counter("pm_embed_cache_total", "Embedding cache look-ups by outcome.", ["outcome"])
EMBED_BATCH_TEXTS = Histogram(
    "pm_embed_batch_texts",
    "Texts per model run after micro-batching.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
EMBED_TRUNCATED = Counter("pm_embed_truncated_total", "Texts cut to the model's token limit.")
STORE_WRITE_OPS = Histogram(
    "pm_store_group_commit_ops",
    "Writes applied by one group commit (one flush per touched collection).",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 512),
)
STORE_TORN_INDEX_FILES = Counter(
    "pm_store_torn_index_files_total",
    "milvus-lite index files found torn (by a crash mid-write) at load, deleted and rebuilt from their segments.",
    ["collection"],
)
STORE_TORN_SEGMENTS = Counter(
    "pm_store_torn_segments_total",
    "milvus-lite segment files found unreadable at start-up (their rows lost), set aside so the rest is served.",
    ["collection"],
)
