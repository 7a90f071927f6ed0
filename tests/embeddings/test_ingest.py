"""`make ingest DIR=...`: through the running service, and directly into a data dir no one has open."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from personamesh.v1 import embedding_index_service_pb2 as pb
from services.common.clients import EmbeddingIndexClient
from tests.embeddings.conftest import EmbeddingsProcess


def _make_folder(root: Path) -> Path:
    docs = root / "handbook"
    (docs / "nested").mkdir(parents=True)
    (docs / "kettle.md").write_text("# Kettle\n\nDescale the kettle monthly with citric acid.\n", encoding="utf-8")
    (docs / "nested" / "lamp.html").write_text(
        "<html><body><h1>Lamp</h1><p>Replace the lamp bulb with a warm white LED.</p></body></html>", encoding="utf-8"
    )
    (docs / "notes.txt").write_bytes(b"Bicycle chains need oil every 300 km. \xff\xfe stray bytes\n")
    (docs / "ignored.pdf").write_bytes(b"%PDF-1.4 not text")
    return docs


def _ingest(folder: Path, *args: str, data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PM_KNOWLEDGE_SEED": "off"}
    if data_dir is not None:
        env["PM_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "services.embeddings.ingest", str(folder), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


async def _search(target: str, query: str) -> list[pb.KnowledgeHit]:
    client = EmbeddingIndexClient(target, timeout=30.0)
    try:
        return list((await client.stub.SearchKnowledge(pb.SearchKnowledgeRequest(query=query, k=3))).hits)
    finally:
        await client.close()


async def test_ingest_through_the_running_service(embeddings: EmbeddingsProcess, tmp_path: Path) -> None:
    result = _ingest(_make_folder(tmp_path), "--target", embeddings.target)
    assert result.returncode == 0, result.stderr
    assert f"ingested 3 documents as 3 chunks through {embeddings.target}" in result.stdout
    hits = await _search(embeddings.target, "how do I descale a kettle")
    assert hits[0].source == "handbook/kettle.md" and hits[0].url == "kettle.md"
    lamp = await _search(embeddings.target, "which light bulb for the lamp")
    assert lamp[0].source == "handbook/nested/lamp.html"


async def test_ingest_directly_then_the_service_serves_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = _ingest(_make_folder(tmp_path), "--direct", "--prefix", "hb:", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert "ingested 3 documents as 3 chunks directly into" in result.stdout
    service = EmbeddingsProcess(data_dir, tmp_path / "logs", {})
    service.start()
    try:
        hits = await _search(service.target, "how often should I oil my bike chain")
        assert hits[0].source == "hb:notes.txt" and "300 km" in hits[0].text
    finally:
        service.stop()


def test_ingest_rejects_a_missing_folder(tmp_path: Path) -> None:
    result = _ingest(tmp_path / "nope")
    assert result.returncode == 2 and "is not a folder" in result.stderr
