"""A fourth persona defined only in tests (personas.yaml + bard.py here) works end to end.

The mesh runs on the test registry: Abi routes to Bard by a rule added through the config API, the
gateway lists it (/api/v1/personas, /v1/models), balances its two replicas, follows their health and
uses it as Aviva's declared stand-in; an admin registers and deregisters another persona at run time.
No code in the gateway, Abi or the index names Bard.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.common.registry import load_registry
from tests.conftest import RunningMesh, start_mesh
from tests.gateway.support import auth, keys_env
from tests.registry.bard import SIGNATURE

REGISTRY = load_registry(Path(__file__).with_name("personas.yaml"))
VERSE_RULE = """
  - name: verse_to_bard
    description: Requests for poems and songs go to Bard.
    priority: 90
    when:
      keywords: [poem, poems, song, verse]
    then:
      force: bard
"""


@pytest.fixture(scope="module")
def bard_mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMesh]:
    gateway_env = {**keys_env(), "PM_RATE_LIMIT_PER_MINUTE": "10000", "PM_RATE_LIMIT_BURST": "1000"}
    mesh = start_mesh(tmp_path_factory.mktemp("bard"), {"PM_KNOWLEDGE_SEED": "off"}, gateway_env, registry=REGISTRY)
    yield mesh
    mesh.stop_all()


@pytest.fixture(scope="module")
def http(bard_mesh: RunningMesh) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=bard_mesh.http_url, timeout=30.0) as client:
        yield client


def _chat(http: httpx.Client, content: str, persona: str = "") -> dict[str, Any]:
    path = f"/api/v1/chat/{persona}" if persona else "/api/v1/chat"
    reply = http.post(path, json={"content": content}, headers=auth())
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def _persona_health(http: httpx.Client, name: str) -> dict[str, Any]:
    reply = http.get("/api/v1/personas/health", headers=auth())
    assert reply.status_code == 200, reply.text
    health: dict[str, Any] = reply.json()["personas"][name]
    return health


def _wait_for(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.2)


def test_bard_is_listed_with_its_registry_entry(http: httpx.Client) -> None:
    listed = {p["name"]: p for p in http.get("/api/v1/personas", headers=auth()).json()["personas"]}
    assert set(listed) == {"abbey", "aviva", "bard"}
    bard = listed["bard"]
    assert bard["display_name"] == "Bard" and bard["fallback"] == ["abbey"]
    assert bard["replicas_total"] == 2 and bard["status"] == "healthy"
    assert bard["strengths"] == ["short verse"], "Describe reached a Bard replica"
    models = http.get("/v1/models", headers=auth()).json()["data"]
    assert {"auto", "bard"} <= {m["id"] for m in models}


def test_abi_routes_to_bard_by_a_rule_added_at_run_time(http: httpx.Client) -> None:
    before = _chat(http, "Write me a poem about the autumn forest.")
    assert before["persona"] != "bard", "no rule yet: the model alone does not know Bard"
    rules = http.get("/api/v1/config/rules", headers=auth("admin")).json()
    updated = http.put(
        "/api/v1/config/rules",
        json={"yaml": rules["yaml"].rstrip() + "\n" + VERSE_RULE, "expected_version": rules["version"]},
        headers=auth("admin"),
    )
    assert updated.status_code == 200, updated.text
    answer = _chat(http, "Write me a poem about the autumn forest.")
    assert answer["persona"] == "bard" and not answer["fallback"]
    assert answer["content"].endswith(SIGNATURE) and "forest" in answer["content"]
    assert "verse_to_bard" in answer["routing"]["matched_rules"]
    routed = http.post("/api/v1/route", json={"content": "Sing me a song about rain."}, headers=auth()).json()
    assert routed["persona"] == "bard"


def test_bard_replicas_are_balanced(http: httpx.Client, bard_mesh: RunningMesh) -> None:
    """Concurrent requests spread over both replicas (the balancer weighs each replica's in-flight calls)."""
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: _chat(http, f"Tell me about lighthouse number {i}.", "bard"), range(24)))
    assert {a["persona"] for a in answers} == {"bard"}
    assert {a["replica"] for a in answers} == {bard_mesh.addr("bard-1"), bard_mesh.addr("bard-2")}


def test_a_stopped_bard_replica_leaves_rotation_and_returns(http: httpx.Client, bard_mesh: RunningMesh) -> None:
    bard_mesh.processes["bard-1"].stop()
    _wait_for(lambda: _persona_health(http, "bard")["status"] == "degraded")
    replicas = {_chat(http, f"Tell me about harbour number {i}.", "bard")["replica"] for i in range(6)}
    assert replicas == {bard_mesh.addr("bard-2")}
    bard_mesh.restart("bard-1")
    _wait_for(lambda: _persona_health(http, "bard")["status"] == "healthy")


def test_a_user_cannot_register_a_persona(http: httpx.Client) -> None:
    body = {"name": "muse", "display_name": "Muse", "description": "Inspires."}
    reply = http.post("/api/v1/config/personas", json=body, headers=auth())
    assert reply.status_code == 403 and reply.json()["error"]["reason"] == "ROLE_REQUIRED"


def test_an_admin_registers_and_deregisters_a_persona_at_run_time(http: httpx.Client, bard_mesh: RunningMesh) -> None:
    body = {
        "name": "muse",
        "display_name": "Muse",
        "description": "Inspires, in verse.",
        "fallback": ["abbey"],
        "replicas": [bard_mesh.addr("bard-2")],
    }
    created = http.post("/api/v1/config/personas", json=body, headers=auth("admin"))
    assert created.status_code == 201, created.text
    again = http.post("/api/v1/config/personas", json=body, headers=auth("admin"))
    assert again.status_code == 409 and again.json()["error"]["reason"] == "PERSONA_EXISTS"
    _wait_for(lambda: _persona_health(http, "muse")["status"] == "healthy")
    listed = {p["name"]: p for p in http.get("/api/v1/personas", headers=auth()).json()["personas"]}
    assert listed["muse"]["source"] == "api" and listed["muse"]["display_name"] == "Muse"
    assert "muse" in {m["id"] for m in http.get("/v1/models", headers=auth()).json()["data"]}
    answer = _chat(http, "Tell me about the northern lights.", "muse")
    assert answer["persona"] == "muse" and answer["replica"] == bard_mesh.addr("bard-2")

    removed = http.delete("/api/v1/config/personas/muse", headers=auth("admin"))
    assert removed.status_code == 200 and "muse" not in removed.json()["personas"]
    refused = http.post("/api/v1/chat/muse", json={"content": "Still there?"}, headers=auth())
    assert refused.status_code == 400 and refused.json()["error"]["reason"] == "UNKNOWN_PERSONA"
    assert "muse" not in {m["id"] for m in http.get("/v1/models", headers=auth()).json()["data"]}
    required = http.delete("/api/v1/config/personas/abbey", headers=auth("admin"))
    assert required.status_code == 400 and required.json()["error"]["reason"] == "PERSONA_REQUIRED"


def test_bard_stands_in_for_aviva_as_the_registry_declares(http: httpx.Client, bard_mesh: RunningMesh) -> None:
    """Runs last: it stops Aviva's only replica."""
    bard_mesh.processes["aviva-1"].stop()
    answer = _chat(http, "Explain how a hash table handles collisions.", "aviva")
    assert answer["persona"] == "bard" and answer["fallback"]
    assert answer["content"].endswith(SIGNATURE)
