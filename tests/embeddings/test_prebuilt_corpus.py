"""The documentation corpus an image carries (ingested at build time) in a new volume, and a volume kept as it is.

The image's `corpus` stage runs `python -m services.embeddings.corpus` into /opt/pm-corpus; here the same command
ingests one man page into a tmp dir, and a real index started on an empty data dir with `PM_CORPUS_SEED_DIR` set
answers from it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from personamesh.v1 import embedding_index_service_pb2 as pb
from personamesh.v1 import persona_pb2
from services.embeddings.corpus import manpages
from tests.embeddings.conftest import launch
from tests.signing import SignedIndexClient

pytestmark = pytest.mark.skipif(
    not (manpages.MAN_ROOT / "man1" / "tar.1.gz").exists(), reason="tar's man page is not installed"
)


def _prebuild(seed: Path) -> None:
    command = [sys.executable, "-m", "services.embeddings.corpus", "--data-dir", str(seed), "--man", "tar"]
    dead_index = {**os.environ, "PM_EMBEDDINGS_ADDR": "127.0.0.1:1"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=dead_index)
    assert result.returncode == 0, result.stderr


async def _sources(target: str, query: str) -> list[str]:
    client = SignedIndexClient(target, timeout=30.0)
    try:
        request = pb.SearchKnowledgeRequest(query=query, k=5, hybrid=True)
        return [hit.source for hit in (await client.stub.SearchKnowledge(request)).hits]
    finally:
        await client.close()


async def test_a_new_data_dir_starts_with_the_prebuilt_corpus_and_keeps_its_own_later(tmp_path: Path) -> None:
    seed = tmp_path / "image-corpus"
    _prebuild(seed)
    index = launch(tmp_path / "volume", PM_CORPUS_SEED_DIR=str(seed))
    try:
        assert any(source.startswith("man/tar") for source in await _sources(index.target, "extract a tar archive"))
        memory = pb.StoreConversationRequest(
            record=pb.ConversationRecord(
                id="m1", user_id="prebuilt-user", persona=persona_pb2.PERSONA_ABBEY, user_message="my cat is Miso"
            )
        )
        writer = SignedIndexClient(index.target, timeout=30.0)
        await writer.stub.StoreConversation(memory)
        await writer.close()
    finally:
        index.stop()
    # The volume has a store now: the next start keeps it (the user's memory too), whatever the image carries.
    index.start()
    try:
        client = SignedIndexClient(index.target, timeout=30.0)
        search = pb.SearchConversationsRequest(user_id="prebuilt-user", query="cat's name", k=3)
        assert [hit.record.id for hit in (await client.stub.SearchConversations(search)).hits] == ["m1"]
        await client.close()
    finally:
        index.stop()
    log = (tmp_path / "volume" / "logs" / "embeddings.log").read_text()
    assert log.count("documentation corpus copied from the image") == 1, log


async def test_without_the_setting_a_new_data_dir_has_no_corpus(tmp_path: Path) -> None:
    index = launch(tmp_path / "volume")
    try:
        assert not any(source.startswith("man/") for source in await _sources(index.target, "extract a tar archive"))
    finally:
        index.stop()
