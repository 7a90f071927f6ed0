"""Abbey's memory across sessions and restarts, the way a user reaches it: `POST /api/v1/chat/abbey`.

Session 1 tells a fact; every service of the mesh is restarted; session 2 (same user, new session id)
gets the fact recalled and a direct question about it answered. Deleting the user's data removes it.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import grpc
import httpx

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from personamesh.v1 import embedding_index_service_pb2_grpc as index_grpc
from tests.conftest import start_mesh
from tests.gateway.support import auth, keys_env
from tests.signing import signed

USER = "user-user"  # the user id the test key carries


async def _chat(url: str, content: str, session: str) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        reply = await http.post(
            "/api/v1/chat/abbey", json={"content": content, "session_id": session}, headers=auth("user")
        )
        assert reply.status_code == 200, reply.text
        body: dict[str, object] = reply.json()
        return body


async def test_a_fact_told_in_one_session_is_recalled_after_every_service_restarted(tmp_path: Path) -> None:
    mesh = await asyncio.to_thread(start_mesh, tmp_path, keys_env())
    try:
        told = await _chat(mesh.http_url, "My old dog Biscuit died last week. We had him for twelve years.", "first")
        assert told["persona"] == "abbey"
        await asyncio.sleep(1.0)  # the fact is written after the answer
        for group in reversed(mesh.layout.start_order()):  # stop everything, then start it again in order
            for name in group:
                mesh.processes[name].stop()
        for group in mesh.layout.start_order():
            for name in group:
                mesh.start(name)
            for name in group:
                mesh.processes[name].wait_serving(180)
        answer: dict[str, object] = {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            answer = await _chat(mesh.http_url, "What was my dog called again?", "second")
            if "Biscuit" in str(answer["content"]):
                break
            await asyncio.sleep(1.0)
        assert answer["persona"] == "abbey"
        assert "Your dog is called Biscuit" in str(answer["content"]), (told, answer)

        def delete() -> index_pb2.DeleteUserDataResponse:
            with grpc.insecure_channel(mesh.addr("embeddings")) as channel:
                stub = index_grpc.EmbeddingIndexServiceStub(channel)
                return stub.DeleteUserData(
                    index_pb2.DeleteUserDataRequest(user_id=USER), metadata=signed(USER), timeout=30
                )

        deleted = await asyncio.to_thread(delete)
        assert deleted.deleted_conversations >= 1
        forgotten = await _chat(mesh.http_url, "What's my dog's name?", "fourth")
        assert "Biscuit" not in str(forgotten["content"])
    finally:
        await asyncio.to_thread(mesh.stop_all)
