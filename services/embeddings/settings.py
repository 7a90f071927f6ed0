"""Settings of the embedding index service (`PM_*` environment variables)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from services.common.settings import CommonSettings
from services.embeddings.partitions import DEFAULT_PARTITIONS, MAX_PARTITIONS

# Texts the embedding cache keeps by default (~2.1 KiB each: 8 MiB when full); services/embeddings/embedder.py.
DEFAULT_EMBED_CACHE_TEXTS = 4096


class EmbeddingsSettings(CommonSettings):
    """Everything the embedding index reads at start-up; every field has a working default."""

    data_dir: Path = Field(
        default=Path("var"), description="Root data folder of the mesh; this service uses <data_dir>/embeddings."
    )
    corpus_seed_dir: Path | None = Field(
        default=None,
        description="A data dir the documentation corpus was ingested into (the image's /opt/pm-corpus): a data dir "
        "with no store yet starts as a copy of it. Unset: the corpus is what `python -m services.embeddings.corpus` "
        "ingested into the data dir.",
    )
    milvus_uri: str = Field(
        default="",
        description="Milvus server URI (http://milvus:19530) for production; empty opens milvus-lite in the data dir.",
    )
    milvus_token: str = Field(default="", description="Milvus token (user:password) when milvus_uri is set.")
    milvus_db: str = Field(
        default="", description="Milvus database name when milvus_uri is set; empty uses the default one."
    )
    collection_prefix: str = Field(
        default="pm_", description="Prefix of every collection name (lets several meshes share one Milvus)."
    )
    conversation_index: Literal["FLAT", "HNSW"] = Field(
        default="FLAT",
        description="Vector index of conversations (always searched within one user: FLAT is exact and faster there).",
    )
    knowledge_index: Literal["HNSW", "FLAT"] = Field(
        default="HNSW", description="Vector index of knowledge chunks (searched across the corpus)."
    )
    memory_partitions: int = Field(
        default=DEFAULT_PARTITIONS,
        ge=1,
        le=MAX_PARTITIONS,
        description="Hash partitions by user of a new conversation collection (a memory search reads one); an "
        "existing collection keeps the count it was created with.",
    )
    hnsw_m: int = Field(default=16, description="HNSW graph degree of the conversation and knowledge indexes.")
    hnsw_ef_construction: int = Field(default=200, description="HNSW build-time candidate list size.")
    hnsw_ef_search: int = Field(default=64, description="HNSW search-time candidate list size (recall vs latency).")
    embed_batching: bool = Field(
        default=True, description="Micro-batch concurrent Embed calls into one executor job (each text runs alone)."
    )
    embed_batch_max_texts: int = Field(
        default=8,
        description=(
            "Most texts gathered into one micro-batch, one executor job (the model runs each text of it alone: a "
            "vector never depends on its batch-mates)."
        ),
    )
    embed_batch_wait_ms: float = Field(
        default=0.0,
        description=(
            "How long a batch waits for more texts once the queue is empty; 0 batches only what queued up while "
            "the model was busy, so a lone caller waits for nothing (measured better on the shared 2-core hosts)."
        ),
    )
    embed_batch_workers: int = Field(
        default=2, description="Micro-batches encoded at the same time (about one per core)."
    )
    embed_cache_size: int = Field(
        default=DEFAULT_EMBED_CACHE_TEXTS,
        description="Texts whose vectors the LRU cache keeps (0 disables it); about 2 KiB each. It serves what "
        "repeats: one request's text asked for again by a persona, common short messages.",
    )
    encoder_threads: int = Field(
        default=1,
        description="onnxruntime intra-op threads of one encoding; 0 uses every core. One: `embed_batch_workers` "
        "already encode in parallel, and a short query cost 7-8 ms of CPU on two threads against 5.7 on one.",
    )
    encoder_spinning: bool = Field(
        default=False,
        description="Let idle onnxruntime threads busy-wait (faster alone; steals CPU from other threads).",
    )
    max_texts_per_request: int = Field(default=256, description="Most texts one Embed call may carry.")
    max_k: int = Field(default=100, description="Largest top_k / k a search accepts.")
    max_document_chars: int = Field(
        default=2_000_000, description="Longest knowledge document accepted, in characters."
    )
    chunk_chars: int = Field(default=1200, description="Target size of a knowledge chunk, in characters.")
    chunk_overlap_chars: int = Field(
        default=150, description="Characters repeated between neighbouring chunks of one section."
    )
    knowledge_seed: Literal["background", "blocking", "off"] = Field(
        default="blocking",
        description=(
            "Load the default knowledge base (CPython pydoc topics + docs/*.md) when the knowledge store is empty: "
            "in the background after SERVING, before SERVING, or never."
        ),
    )
    docs_dir: Path = Field(default=Path("docs"), description="Project docs folder added to the default knowledge base.")
    learning_half_life_days: float = Field(
        default=14.0, description="Age at which an outcome counts half as much in the adaptive persona weights."
    )
    learning_prior_strength: float = Field(
        default=10.0,
        description="Pseudo-outcomes pulling a user's (domain's) weight toward its domain's (global) weight.",
    )
    learning_global_prior_strength: float = Field(
        default=20.0, description="Pseudo-outcomes at the neutral rate 0.5 behind each persona's global weight."
    )
    learning_max_evidence: float = Field(
        default=500.0, description="Evidence cap per persona and scope, so weights stay adaptive."
    )
    feedback_dedup_days: float = Field(
        default=90.0,
        description="How long a counted request id is kept in the store, so repeated feedback for it counts once "
        "even after a restart (0 keeps it forever).",
    )

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "embeddings"
