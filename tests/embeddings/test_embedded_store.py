"""The embedded index runs on milvus-lite's engine alone: pymilvus and pandas (which pymilvus's ORM imports,
and pyarrow would on the first write) were ~60 MiB of the index's memory (the mesh's memory bar,
docs/performance.md). A Milvus by URI still goes through pymilvus (test_milvus_server.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from personamesh.v1 import embedding_index_service_pb2 as pb
from personamesh.v1 import persona_pb2
from tests.embeddings.conftest import EmbeddingsProcess


def test_the_embedded_store_writes_and_searches_without_pymilvus_or_pandas(tmp_path: Path) -> None:
    probe = f"""
import asyncio, pathlib, sys
from services.embeddings.embedded_milvus import keep_pandas_out
keep_pandas_out()  # what the index's entry point does without a Milvus URI
from services.embeddings.collections import CONVERSATIONS
from services.embeddings.store import VectorStore
from tests.embeddings.rows import conversation_row

async def main():
    store = VectorStore(lite_dir=pathlib.Path({str(tmp_path / "store")!r}))
    await store.open()
    vector = [1.0] + [0.0] * 383
    assert await store.upsert(CONVERSATIONS, [conversation_row(0, "u", vector)]) == 1
    hits = await store.search(CONVERSATIONS, vector, 1, filter='user_id == "u"', output_fields=[], partition_value="u")
    assert [hit["id"] for hit in hits] == ["u-0"], hits
    assert await store.delete(CONVERSATIONS, 'user_id == "u"') == 1
    await store.close()

asyncio.run(main())
print(sorted({{"pymilvus", "pandas"}} & set(sys.modules)))
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


async def test_the_running_index_has_no_pandas_mapped(embeddings: EmbeddingsProcess, stub) -> None:
    record = pb.ConversationRecord(
        user_id="no-pandas", persona=persona_pb2.PERSONA_ABBEY, user_message="My sister's wedding is in June."
    )
    await stub.StoreConversation(pb.StoreConversationRequest(record=record))
    found = await stub.SearchConversations(pb.SearchConversationsRequest(user_id="no-pandas", query="wedding", k=3))
    assert [hit.record.user_message for hit in found.hits] == ["My sister's wedding is in June."]
    assert embeddings.process is not None and embeddings.process.pid is not None
    with open(f"/proc/{embeddings.process.pid}/maps") as handle:  # noqa: ASYNC230 (procfs: never blocks)
        maps = handle.read()
    assert "/pandas/" not in maps and "/numpy/" in maps  # numpy: the check reads the right process's libraries
