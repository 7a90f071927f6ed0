"""The production path: a Milvus server by URI (here milvus-lite's own gRPC server mode), same pymilvus code."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymilvus import MilvusClient

from personamesh.v1 import embedding_index_service_pb2 as pb
from personamesh.v1 import persona_pb2
from services.devmesh.processes import free_port
from services.embeddings.partitions import DEFAULT_PARTITIONS
from tests.embeddings.conftest import EmbeddingsProcess
from tests.signing import SignedIndexClient


@pytest.fixture(scope="module")
def milvus_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("milvus-server")
    port = free_port()
    log = (root / "milvus.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(root / "data"), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            MilvusClient(uri, timeout=2).list_collections()
            break
        except Exception:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise
            time.sleep(0.3)
    yield uri
    server.terminate()
    server.wait(15)
    log.close()


async def test_service_runs_on_a_milvus_server_and_keeps_data_across_restarts(milvus_uri: str, tmp_path: Path) -> None:
    env = {"PM_MILVUS_URI": milvus_uri, "PM_COLLECTION_PREFIX": "srv_"}
    service = EmbeddingsProcess(tmp_path / "unused-data", tmp_path / "logs", env)
    service.start()
    try:
        client = SignedIndexClient(service.target, timeout=30.0)
        record = pb.ConversationRecord(
            user_id="uma", persona=persona_pb2.PERSONA_ABBEY, user_message="I adopted a puppy named Biscuit today."
        )
        await client.stub.StoreConversation(pb.StoreConversationRequest(record=record))
        await client.close()
        service.stop()
        service.start()
        client = SignedIndexClient(service.target, timeout=30.0)
        request = pb.SearchConversationsRequest(user_id="uma", query="tell me about my dog", k=3)
        hits = (await client.stub.SearchConversations(request)).hits
        await client.close()
        assert [h.record.user_message for h in hits] == ["I adopted a puppy named Biscuit today."]
    finally:
        service.stop()
    # Nothing was written to the local data dir: the server holds it all, under the configured prefix.
    assert not (tmp_path / "unused-data" / "embeddings" / "milvus.db").exists()
    server = MilvusClient(milvus_uri)
    names = server.list_collections()
    assert {"srv_conversations", "srv_knowledge", "srv_persona_profiles", "srv_persona_weights"} <= set(names)
    # Memory search reads one user's partition and looks the user up in an index, on a server as in milvus-lite.
    assert "user_id" in server.list_indexes("srv_conversations")
    buckets = [name for name in server.list_partitions("srv_conversations") if name.startswith("p")]
    assert len(buckets) == DEFAULT_PARTITIONS
