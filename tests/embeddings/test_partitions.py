"""Conversations spread over hash partitions by user: a search reads one user's partition, finds exactly what a
scan of every row would, and rows written before partitioning are still found after the upgrade.

A real milvus-lite dir, the service's VectorStore, no model (vectors are random unit vectors).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pymilvus import MilvusClient

from services.embeddings import partitions
from services.embeddings.collections import CONVERSATIONS
from services.embeddings.filters import quote
from services.embeddings.milvus_server import server_schema
from services.embeddings.store import VectorStore
from tests.embeddings.rows import conversation_row

USERS = [f"user-{i}" for i in range(40)]


def _vectors(n: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, 384)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _rows(vectors: np.ndarray, offset: int = 0) -> list[dict]:
    return [conversation_row(offset + i, USERS[i % len(USERS)], v.tolist()) for i, v in enumerate(vectors)]


async def _search(store: VectorStore, user: str, query: np.ndarray, k: int) -> list[dict]:
    """The user's k nearest rows, as the memory service asks: the user's filter and partition."""
    return await store.search(
        CONVERSATIONS,
        query.tolist(),
        k,
        filter=f"user_id == {quote(user)}",
        output_fields=["user_id"],
        partition_value=user,
    )


def test_the_partition_of_a_user_never_changes() -> None:
    # Stored rows are found only in the partition this names: a change would hide every user's memories.
    assert partitions.partition_of("alice", 64) == "p047"
    assert partitions.partition_of("bob", 64) == "p026"
    assert partitions.bucket_count(["_default", *partitions.partition_names(8)]) == 8


async def test_a_search_reads_one_partition_and_matches_a_full_scan(tmp_path: Path) -> None:
    store = VectorStore(lite_dir=tmp_path / "store")
    await store.open()
    try:
        vectors = _vectors(2000, seed=1)
        rows = _rows(vectors)
        await store.upsert(CONVERSATIONS, rows)
        backend = store._backend()
        name = store.full_name(CONVERSATIONS)
        for user in USERS[:5]:
            (home,) = store.partitions_for(CONVERSATIONS, user) or []
            held = backend.partition_rows(name, home)
            mine = [i for i, row in enumerate(rows) if row["user_id"] == user]
            assert held >= len(mine)  # the user's rows are in the home partition...
            assert held < len(rows) // 8  # ...which holds a small share of the collection
            query = _vectors(1, seed=hash(user) % 1000)[0]
            hits = await _search(store, user, query, 5)
            truth = sorted(mine, key=lambda i: -float(vectors[i] @ query))[:5]
            assert [hit["id"] for hit in hits] == [rows[i]["id"] for i in truth]
    finally:
        await store.close()


async def test_rows_from_before_partitioning_are_still_found(tmp_path: Path) -> None:
    lite_dir = tmp_path / "store"
    old_vectors = _vectors(200, seed=2)
    # The data dir as an earlier release left it, written through pymilvus and milvus-lite's server as that
    # release did: the same collection without partitions, rows in _default.
    old = VectorStore(lite_dir=lite_dir)
    spec = old.specs[CONVERSATIONS]
    lite_dir.mkdir(parents=True)
    client = MilvusClient(str(lite_dir / "milvus.db"))
    index = client.prepare_index_params()
    index.add_index("vector", index_type=spec.index_type, metric_type="IP", params=spec.index_params)
    client.create_collection(old.full_name(CONVERSATIONS), schema=server_schema(client, spec), index_params=index)
    client.insert(old.full_name(CONVERSATIONS), _rows(old_vectors))
    client.flush(old.full_name(CONVERSATIONS))
    client.close()
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(str(lite_dir / "milvus.db"))

    store = VectorStore(lite_dir=lite_dir)
    await store.open()
    try:
        user = USERS[3]
        assert store.partitions_for(CONVERSATIONS, user) == [
            partitions.partition_of(user, partitions.DEFAULT_PARTITIONS),
            "_default",
        ]
        # The release that wrote it had no index on user_id: opening builds one over the old rows.
        assert "user_id" in store._backend().list_indexes(store.full_name(CONVERSATIONS))
        new_vectors = _vectors(200, seed=3)
        await store.upsert(CONVERSATIONS, _rows(new_vectors, offset=1000))
        query = old_vectors[3]  # user-3's first old row
        hits = await _search(store, user, query, 3)
        assert hits[0]["id"] == f"{user}-3" and hits[0]["distance"] == pytest.approx(1.0, abs=1e-4)
        assert await store.count(CONVERSATIONS, f"user_id == {quote(user)}", partition_value=user) == 10
        # An old row written again under its id (Abbey's fact ids are fixed) moves to the user's partition:
        # one copy, the new one.
        again = conversation_row(3, user, new_vectors[0].tolist())
        again["user_message"] = "rewritten"
        await store.upsert(CONVERSATIONS, [again])
        hits = await _search(store, user, new_vectors[0], 10)
        assert [hit["id"] for hit in hits].count(f"{user}-3") == 1 and hits[0]["id"] == f"{user}-3"
        assert await store.count(CONVERSATIONS, f"user_id == {quote(user)}", partition_value=user) == 10
    finally:
        await store.close()


async def test_an_existing_partition_count_is_kept(tmp_path: Path) -> None:
    lite_dir = tmp_path / "store"
    store = VectorStore(lite_dir=lite_dir, partitions=8)
    await store.open()
    await store.upsert(CONVERSATIONS, _rows(_vectors(100, seed=4)))
    await store.close()

    store = VectorStore(lite_dir=lite_dir)  # the default is more: the collection keeps its 8
    await store.open()
    try:
        user = USERS[7]
        assert store.partitions_for(CONVERSATIONS, user) == [partitions.partition_of(user, 8)]
        assert await store.count(CONVERSATIONS, f"user_id == {quote(user)}", partition_value=user) == 3
    finally:
        await store.close()
