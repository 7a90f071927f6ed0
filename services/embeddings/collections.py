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

from collections.abc import Callable
from dataclasses import dataclass

from pymilvus import CollectionSchema, DataType, MilvusClient

from services.common.encoder import DIMENSION

# Milvus VARCHAR lengths are in bytes.
ID_BYTES = 1024
TEXT_BYTES = 65_535
# Weights have no meaningful vector, but every Milvus collection needs one.
PLACEHOLDER_DIM = 2
PLACEHOLDER_VECTOR = [1.0, 0.0]


@dataclass(frozen=True)
class CollectionSpec:
    """A collection's short name, schema builder and vector index."""

    name: str
    build_schema: Callable[[MilvusClient], CollectionSchema]
    index_type: str
    index_params: dict[str, int]
    # Rows are spread over hash partitions by this field and searched in one of them; "" for none.
    partition_field: str = ""
    # Scalar fields every search filters on, given an INVERTED index: milvus-lite then looks the value up
    # per segment instead of evaluating the filter over each row with pyarrow.
    scalar_indexes: tuple[str, ...] = ()


def _conversations(client: MilvusClient) -> CollectionSchema:
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.VARCHAR, max_length=ID_BYTES, is_primary=True)
    schema.add_field("user_id", DataType.VARCHAR, max_length=ID_BYTES)
    schema.add_field("session_id", DataType.VARCHAR, max_length=ID_BYTES)
    schema.add_field("persona", DataType.INT32)
    schema.add_field("created_ms", DataType.INT64)
    schema.add_field("emotion", DataType.VARCHAR, max_length=ID_BYTES)
    schema.add_field("sentiment", DataType.FLOAT)
    schema.add_field("request_id", DataType.VARCHAR, max_length=ID_BYTES)
    schema.add_field("user_message", DataType.VARCHAR, max_length=TEXT_BYTES)
    schema.add_field("response", DataType.VARCHAR, max_length=TEXT_BYTES)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIMENSION)
    return schema


def _knowledge(client: MilvusClient) -> CollectionSchema:
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("chunk_id", DataType.VARCHAR, max_length=ID_BYTES * 2, is_primary=True)
    schema.add_field("source", DataType.VARCHAR, max_length=ID_BYTES)
    schema.add_field("title", DataType.VARCHAR, max_length=ID_BYTES)
    schema.add_field("url", DataType.VARCHAR, max_length=ID_BYTES * 2)
    schema.add_field("text", DataType.VARCHAR, max_length=TEXT_BYTES)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIMENSION)
    return schema


def _profiles(client: MilvusClient) -> CollectionSchema:
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.VARCHAR, max_length=ID_BYTES, is_primary=True)
    schema.add_field("persona", DataType.INT32)
    schema.add_field("kind", DataType.VARCHAR, max_length=64)
    schema.add_field("text", DataType.VARCHAR, max_length=TEXT_BYTES)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIMENSION)
    return schema


def _weights(client: MilvusClient) -> CollectionSchema:
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.VARCHAR, max_length=ID_BYTES * 2, is_primary=True)
    schema.add_field("scope", DataType.VARCHAR, max_length=64)
    schema.add_field("key", DataType.VARCHAR, max_length=ID_BYTES)
    schema.add_field("user_id", DataType.VARCHAR, max_length=ID_BYTES)
    schema.add_field("persona", DataType.INT32)
    schema.add_field("successes", DataType.DOUBLE)
    schema.add_field("failures", DataType.DOUBLE)
    schema.add_field("updated_ms", DataType.INT64)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=PLACEHOLDER_DIM)
    return schema


def _outcomes(client: MilvusClient) -> CollectionSchema:
    """One row per counted feedback (keyed by request id), so a repeat is recognised after a restart."""
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.VARCHAR, max_length=ID_BYTES, is_primary=True)
    schema.add_field("user_id", DataType.VARCHAR, max_length=ID_BYTES)
    schema.add_field("persona", DataType.INT32)
    schema.add_field("recorded_ms", DataType.INT64)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=PLACEHOLDER_DIM)
    return schema


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
            _conversations,
            conversation_index,
            params(conversation_index),
            partition_field="user_id",
            scalar_indexes=("user_id",),
        ),
        CollectionSpec(KNOWLEDGE, _knowledge, knowledge_index, params(knowledge_index)),
        CollectionSpec(PROJECT_DOCS, _knowledge, knowledge_index, params(knowledge_index)),
        CollectionSpec(PROFILES, _profiles, "FLAT", {}),
        CollectionSpec(WEIGHTS, _weights, "FLAT", {}),
        CollectionSpec(OUTCOMES, _outcomes, "FLAT", {}),
    ]
