"""The store's collections: their fields and vector indexes, in one place.

Vector indexes were chosen by measurement. Conversations are always searched
within one user's rows: there milvus-lite's filtered HNSW missed 20% of the
true top 5 (recall@5 0.80 at 20k rows, 100 per user; 1.0 only at ef=256 and
~8x slower) while FLAT is exact and faster (p50 13 ms vs 24 ms), so FLAT.
Knowledge is searched across the whole corpus: HNSW. FLAT for the tiny
collections. Similarity is inner product on unit vectors (cosine).

Conversations are also spread over hash partitions by user (`partition_field`),
and a search names its user's partition: milvus-lite evaluates filters in Python
over every row in scope, so without them a search cost followed the whole
collection (p99 88 ms at 100k rows), not the user's rows. Milvus's own partition
key would prune on the server but milvus-lite does not prune by it, so the store
manages the partitions itself, the same way on both (services/embeddings/partitions.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.common.encoder import DIMENSION

# Milvus VARCHAR lengths are in bytes.
ID_BYTES = 1024
TEXT_BYTES = 65_535
# Weights have no meaningful vector, but every Milvus collection needs one.
PLACEHOLDER_DIM = 2
PLACEHOLDER_VECTOR = [1.0, 0.0]


@dataclass(frozen=True)
class Field:
    """One field of a collection, in words both Milvus clients share: `kind` is a DataType member's name
    ("VARCHAR", "INT32", "FLOAT_VECTOR"...) in pymilvus and in milvus-lite alike, so neither library is
    imported here (the embedded store never loads pymilvus: see `embedded_milvus`)."""

    name: str
    kind: str
    max_length: int | None = None
    dim: int | None = None
    primary: bool = False


def _varchar(name: str, max_length: int = ID_BYTES, *, primary: bool = False) -> Field:
    return Field(name, "VARCHAR", max_length=max_length, primary=primary)


def _vector(dim: int = DIMENSION) -> Field:
    return Field("vector", "FLOAT_VECTOR", dim=dim)


@dataclass(frozen=True)
class CollectionSpec:
    """A collection's short name, fields and vector index."""

    name: str
    fields: tuple[Field, ...]
    index_type: str
    index_params: dict[str, int]
    # Rows are spread over hash partitions by this field and searched in one of them; "" for none.
    partition_field: str = ""
    # Scalar fields every search filters on, given an INVERTED index: milvus-lite then looks the value up
    # per segment instead of evaluating the filter over each row with pyarrow.
    scalar_indexes: tuple[str, ...] = ()

    @property
    def primary_key(self) -> str:
        return next(field.name for field in self.fields if field.primary)


CONVERSATION_FIELDS = (
    _varchar("id", primary=True),
    _varchar("user_id"),
    _varchar("session_id"),
    Field("persona", "INT32"),
    Field("created_ms", "INT64"),
    _varchar("emotion"),
    Field("sentiment", "FLOAT"),
    _varchar("request_id"),
    _varchar("user_message", TEXT_BYTES),
    _varchar("response", TEXT_BYTES),
    _vector(),
)
KNOWLEDGE_FIELDS = (
    _varchar("chunk_id", ID_BYTES * 2, primary=True),
    _varchar("source"),
    _varchar("title"),
    _varchar("url", ID_BYTES * 2),
    _varchar("text", TEXT_BYTES),
    _vector(),
)
PROFILE_FIELDS = (
    _varchar("id", primary=True),
    Field("persona", "INT32"),
    _varchar("kind", 64),
    _varchar("text", TEXT_BYTES),
    _vector(),
)
WEIGHT_FIELDS = (
    _varchar("id", ID_BYTES * 2, primary=True),
    _varchar("scope", 64),
    _varchar("key"),
    _varchar("user_id"),
    Field("persona", "INT32"),
    Field("successes", "DOUBLE"),
    Field("failures", "DOUBLE"),
    Field("updated_ms", "INT64"),
    _vector(PLACEHOLDER_DIM),
)
# One row per counted feedback (keyed by request id), so a repeat is recognised after a restart.
OUTCOME_FIELDS = (
    _varchar("id", primary=True),
    _varchar("user_id"),
    Field("persona", "INT32"),
    Field("recorded_ms", "INT64"),
    _vector(PLACEHOLDER_DIM),
)


CONVERSATIONS = "conversations"
KNOWLEDGE = "knowledge"
# persona-mesh's own docs, apart from the reference documentation (cited only for questions about the project).
PROJECT_DOCS = "project_docs"
KNOWLEDGE_COLLECTIONS = (KNOWLEDGE, PROJECT_DOCS)
PROFILES = "persona_profiles"
WEIGHTS = "persona_weights"
OUTCOMES = "feedback_outcomes"


def collection_specs(
    conversation_index: str, knowledge_index: str, hnsw_m: int, hnsw_ef_construction: int
) -> list[CollectionSpec]:
    def params(index_type: str) -> dict[str, int]:
        return {"M": hnsw_m, "efConstruction": hnsw_ef_construction} if index_type == "HNSW" else {}

    return [
        CollectionSpec(
            CONVERSATIONS,
            CONVERSATION_FIELDS,
            conversation_index,
            params(conversation_index),
            partition_field="user_id",
            scalar_indexes=("user_id",),
        ),
        CollectionSpec(KNOWLEDGE, KNOWLEDGE_FIELDS, knowledge_index, params(knowledge_index)),
        CollectionSpec(PROJECT_DOCS, KNOWLEDGE_FIELDS, knowledge_index, params(knowledge_index)),
        CollectionSpec(PROFILES, PROFILE_FIELDS, "FLAT", {}),
        CollectionSpec(WEIGHTS, WEIGHT_FIELDS, "FLAT", {}),
        CollectionSpec(OUTCOMES, OUTCOME_FIELDS, "FLAT", {}),
    ]
