"""Erasing a user's data through the gateway: the facts Abbey remembers and the gateway's session turns go."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from gateway.sdk import Client, PersonaMeshError
from tests.conftest import RunningMesh
from tests.gateway.support import KEYS, GatewayProcess, auth, start_gateway


@pytest.fixture(scope="module")
def keyed(mesh: RunningMesh) -> Iterator[GatewayProcess]:
    process = start_gateway(mesh.layout, mesh.log_dir, "gateway-user-data")
    yield process
    process.process.stop()


def _recalls_biscuit(client: httpx.Client, session: str) -> bool:
    answer = client.post("/api/v1/chat/abbey", json={"content": "What was my dog called again?", "session_id": session})
    assert answer.status_code == 200, answer.text
    return "biscuit" in answer.json()["content"].lower()


def test_a_user_erases_their_own_data_and_abbey_forgets(keyed: GatewayProcess) -> None:
    with httpx.Client(base_url=keyed.http_url, headers=auth("user"), timeout=60) as client:
        told = client.post(
            "/api/v1/chat/abbey",
            json={"content": "My old dog Biscuit died last week and I miss him", "session_id": "erase-1"},
        )
        assert told.status_code == 200, told.text
        # Facts are stored after the answer is sent: give the write a moment.
        deadline = time.monotonic() + 15
        while not _recalls_biscuit(client, "erase-2") and time.monotonic() < deadline:
            time.sleep(1)
        assert _recalls_biscuit(client, "erase-2"), "the fact is recalled in another session before erasure"
        erased = client.delete("/api/v1/users/user-user/data")
        assert erased.status_code == 200, erased.text
        assert erased.json()["deleted_conversations"] >= 1 and erased.json()["deleted_sessions"] >= 1
        assert not _recalls_biscuit(client, "erase-3")


def test_only_the_user_or_an_admin_may_erase(keyed: GatewayProcess) -> None:
    with Client(keyed.http_url, api_key=KEYS["other"]) as other:
        with pytest.raises(PersonaMeshError) as refused:
            other.delete_user_data("user-user")
        assert refused.value.status == 403 and refused.value.reason == "NOT_YOUR_DATA"
    with Client(keyed.http_url, api_key=KEYS["admin"]) as admin:
        assert admin.delete_user_data("user-user")["user_id"] == "user-user"
    with httpx.Client(base_url=keyed.http_url, timeout=30) as anonymous:
        assert anonymous.delete("/api/v1/users/user-user/data").status_code == 401
