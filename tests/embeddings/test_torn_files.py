"""Files torn by a crash must not keep the milvus-lite store from opening, nor lose or resurrect rows."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from services.common.encoder import DIMENSION
from services.embeddings.lite_repair import TornDeleteFile, index_file_intact
from services.embeddings.metrics import STORE_TORN_INDEX_FILES, STORE_TORN_SEGMENTS
from services.embeddings.store import VectorStore
from tests.embeddings.rows import conversation_row


def _vector(i: int) -> list[float]:
    raw = [math.sin(i * 7.0 + d) for d in range(DIMENSION)]
    norm = math.sqrt(sum(v * v for v in raw))
    return [v / norm for v in raw]


def _conversation(i: int) -> dict[str, Any]:
    return conversation_row(i, "torn", _vector(i))


def _chunk(i: int) -> dict[str, Any]:
    return {
        "chunk_id": f"c-{i}",
        "source": "kb/torn.md",
        "title": "",
        "url": "",
        "text": f"chunk {i}",
        "vector": _vector(i),
    }


def _torn_count(collection: str) -> float:
    return STORE_TORN_INDEX_FILES.labels(collection=collection)._value.get()


def _torn_segments(collection: str) -> float:
    return STORE_TORN_SEGMENTS.labels(collection=collection)._value.get()


def _index_files(lite_dir: Path, collection: str) -> list[Path]:
    return sorted((lite_dir / "milvus.db" / "collections" / collection).glob("partitions/*/indexes/*.idx"))


async def _filled_store(lite_dir: Path) -> None:
    store = VectorStore(lite_dir=lite_dir)
    await store.open()
    await store.upsert("conversations", [_conversation(i) for i in range(5)])
    await store.upsert("conversations", [_conversation(i) for i in range(5, 9)])
    await store.upsert("knowledge", [_chunk(i) for i in range(6)])
    await store.close()


async def test_index_files_torn_by_a_crash_are_rebuilt_and_every_row_is_kept(tmp_path: Path) -> None:
    lite_dir = tmp_path / "lite"
    await _filled_store(lite_dir)
    flat = _index_files(lite_dir, "pm_conversations")
    hnsw = _index_files(lite_dir, "pm_knowledge")
    assert len(flat) == 2 and len(hnsw) == 1 and all(index_file_intact(p) for p in flat + hnsw)
    # As a SIGKILL leaves them: one just opened for writing (empty), one cut short mid-write.
    flat[1].write_bytes(b"")
    hnsw[0].write_bytes(hnsw[0].read_bytes()[: hnsw[0].stat().st_size // 2])
    assert index_file_intact(flat[1]) is False and index_file_intact(hnsw[0]) is False
    before = _torn_count("pm_conversations"), _torn_count("pm_knowledge")

    store = VectorStore(lite_dir=lite_dir)
    await store.open()
    try:
        rows = await store.query_all("conversations", 'user_id == "torn"', ["id"])
        assert {row["id"] for row in rows} == {f"torn-{i}" for i in range(9)}
        hits = await store.search("conversations", _vector(7), 1, filter='user_id == "torn"', output_fields=["id"])
        assert hits[0]["entity"]["id"] == "torn-7"
        hits = await store.search("knowledge", _vector(4), 1, output_fields=["chunk_id"])
        assert hits[0]["entity"]["chunk_id"] == "c-4"
    finally:
        await store.close()
    assert (_torn_count("pm_conversations"), _torn_count("pm_knowledge")) == (before[0] + 1, before[1] + 1)
    assert all(index_file_intact(p) for p in flat + hnsw)  # rebuilt from their segments


async def test_a_torn_segment_is_set_aside_and_the_rest_served(tmp_path: Path) -> None:
    lite_dir = tmp_path / "lite"
    await _filled_store(lite_dir)
    segment = sorted((lite_dir / "milvus.db" / "collections" / "pm_conversations").glob("partitions/*/data/*"))[-1]
    lost = set(pq.read_table(segment, columns=["id"]).column("id").to_pylist())
    segment.write_bytes(segment.read_bytes()[:100])  # as a power cut can leave it (milvus-lite does not fsync)
    before = _torn_segments("pm_conversations")

    store = VectorStore(lite_dir=lite_dir)
    await store.open()
    try:
        rows = await store.query_all("conversations", 'user_id == "torn"', ["id"])
        assert {row["id"] for row in rows} == {f"torn-{i}" for i in range(9)} - lost and lost
        assert await store.count("knowledge") == 6
    finally:
        await store.close()
    assert _torn_segments("pm_conversations") == before + 1
    assert [p.name for p in (lite_dir / "quarantine").rglob("*.parquet")] == [segment.name]


async def test_a_torn_delete_file_stops_the_store_rather_than_bring_deleted_rows_back(tmp_path: Path) -> None:
    lite_dir = tmp_path / "lite"
    await _filled_store(lite_dir)
    store = VectorStore(lite_dir=lite_dir)
    await store.open()
    assert await store.delete("conversations", 'id == "torn-1"') == 1
    await store.close()
    deltas = sorted((lite_dir / "milvus.db" / "collections" / "pm_conversations").glob("partitions/*/delta/*"))
    deltas[-1].write_bytes(deltas[-1].read_bytes()[:50])

    store = VectorStore(lite_dir=lite_dir)
    with pytest.raises(TornDeleteFile):
        await store.open()
    await store.close()
