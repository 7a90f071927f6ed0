"""Resilience through real processes on a private mesh: replica death under load, whole-persona
outage, breaker open and half-open, replica rejoin, a hung (SIGSTOPped) replica under load and
mid-stream, a replica killed mid-stream, Abi down.

Tests run in file order and each restores what it broke (the last one leaves Abi down).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import re
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from personamesh.v1 import gateway_service_pb2, gateway_service_pb2_grpc, persona_pb2
from tests.chaos.proxy import FaultProxy
from tests.conftest import RunningMesh
from tests.gateway.support import KEYS, auth, poll_json, start_private_mesh

TECH = "Write a Python function that reverses a linked list, and explain its complexity."
FEELING = "I feel really lonely and sad since my friend moved away. What can I do?"
GATEWAY_ENV = {
    "PM_HEALTH_INTERVAL_SECONDS": "0.3",
    "PM_BREAKER_FAIL_MAX": "2",
    "PM_BREAKER_RESET_SECONDS": "4",
    "PM_BREAKER_SUCCESS_THRESHOLD": "1",
    "PM_ATTEMPT_TIMEOUT_SECONDS": "3",
    "PM_FIRST_TOKEN_TIMEOUT_SECONDS": "1",
    "PM_CHUNK_TIMEOUT_SECONDS": "1",
    "PM_PROBE_INTERVAL_SECONDS": "0.25",
    "PM_PROBE_TIMEOUT_SECONDS": "0.5",
    "PM_OUTLIER_BASE_EJECTION_SECONDS": "1",
    "PM_RATE_LIMIT_PER_MINUTE": "100000",
    "PM_RATE_LIMIT_BURST": "100000",
}


@pytest.fixture(scope="module")
def private_mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMesh]:
    mesh = start_private_mesh(Path(tmp_path_factory.mktemp("resilience")), gateway_env=GATEWAY_ENV)
    yield mesh
    for proc in mesh.processes.values():
        if proc.alive():
            os.kill(proc.process.pid, signal.SIGCONT)  # type: ignore[union-attr]
    mesh.stop_all()


@pytest.fixture
async def http(private_mesh: RunningMesh) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=private_mesh.http_url, timeout=30, headers=auth("user")) as client:
        yield client


def _health_url(mesh: RunningMesh) -> str:
    return mesh.http_url + "/api/v1/personas/health"


def _replica(health: dict[str, Any], persona: str, address: str) -> dict[str, Any]:
    return next(r for r in health["personas"][persona]["replicas"] if r["address"] == address)


async def _restart(mesh: RunningMesh, name: str) -> None:
    proc = mesh.start(name)
    await asyncio.to_thread(proc.wait_serving, 120)
    address = mesh.addr(name)
    persona = name.split("-")[0]
    await poll_json(
        _health_url(mesh),
        lambda h: _replica(h, persona, address)["health"] == "SERVING",
        headers=auth(),
    )


async def test_sigkill_of_one_abbey_replica_under_load_fails_no_request(
    private_mesh: RunningMesh, http: httpx.AsyncClient
) -> None:
    statuses: list[int] = []
    fallbacks = 0
    stop_at = time.monotonic() + 4.0

    async def client() -> None:
        nonlocal fallbacks
        while time.monotonic() < stop_at:
            response = await http.post("/api/v1/chat/abbey", json={"content": FEELING})
            statuses.append(response.status_code)
            fallbacks += bool(response.status_code == 200 and response.json()["fallback"])

    clients = [asyncio.create_task(client()) for _ in range(6)]
    await asyncio.sleep(1.0)
    await asyncio.to_thread(private_mesh.processes["abbey-1"].kill)
    await asyncio.gather(*clients)
    assert len(statuses) > 20 and set(statuses) == {200}, statuses
    health = (await http.get("/api/v1/personas/health")).json()
    assert _replica(health, "abbey", private_mesh.addr("abbey-1"))["health"] == "UNREACHABLE"


async def test_restarted_replica_rejoins(private_mesh: RunningMesh, http: httpx.AsyncClient) -> None:
    await _restart(private_mesh, "abbey-1")
    address = private_mesh.addr("abbey-1")
    before = _replica((await http.get("/api/v1/personas/health")).json(), "abbey", address)["requests"]
    for _ in range(12):
        assert (await http.post("/api/v1/chat/abbey", json={"content": FEELING})).status_code == 200
    after = _replica((await http.get("/api/v1/personas/health")).json(), "abbey", address)["requests"]
    assert after > before, "the restarted replica receives traffic again"


async def test_every_aviva_replica_down_falls_back_to_abbey(private_mesh: RunningMesh, http: httpx.AsyncClient) -> None:
    for name in ("aviva-1", "aviva-2"):
        await asyncio.to_thread(private_mesh.processes[name].stop)
    await poll_json(_health_url(private_mesh), lambda h: h["personas"]["aviva"]["status"] == "down", headers=auth())
    body = (await http.post("/api/v1/chat", json={"content": TECH})).json()
    assert body["routing"]["persona"] == "aviva", body
    assert body["persona"] == "abbey" and body["fallback"] is True, body
    for name in ("aviva-1", "aviva-2"):
        await _restart(private_mesh, name)
    again = (await http.post("/api/v1/chat", json={"content": TECH})).json()
    assert again["persona"] == "aviva" and again["fallback"] is False


def _transitions(metrics_text: str, breaker: str, state: str) -> float:
    pattern = rf'pm_gateway_breaker_transitions_total\{{breaker="{re.escape(breaker)}",state="{state}"\}} (\S+)'
    match = re.search(pattern, metrics_text)
    return float(match.group(1)) if match else 0.0


async def test_breaker_opens_then_half_opens_and_closes(private_mesh: RunningMesh, http: httpx.AsyncClient) -> None:
    proc = private_mesh.processes["aviva-1"]
    address = private_mesh.addr("aviva-1")
    breaker = f"aviva@{address}"
    assert proc.process is not None
    os.kill(proc.process.pid, signal.SIGSTOP)  # alive to its health watch, but answers nothing
    try:
        # The breaker needs two failed calls on the stopped replica, and only calls sent before the
        # probes eject it (three missed probes, about a second in) reach it at all. A single burst is
        # not enough: the balancer prefers the replica with fewer calls in flight and the healthy one
        # drains a burst fast, so on a busy machine one call of 24 landed there. Twelve clients that
        # keep sending for the whole window keep the healthy replica busy, and the stopped one (whose
        # calls never finish) is picked whenever it has no more in flight than the other.
        responses: list[httpx.Response] = []
        window_ends = time.monotonic() + 1.5

        async def client() -> None:
            while time.monotonic() < window_ends:
                responses.append(await http.post("/api/v1/chat/aviva", json={"content": TECH}))

        await asyncio.gather(*(client() for _ in range(12)))
        assert responses and all(r.status_code == 200 and r.json()["persona"] == "aviva" for r in responses)
        state = _replica((await http.get("/api/v1/personas/health")).json(), "aviva", address)["breaker"]
        assert state == "open"
        # While open, the replica is skipped: it is not called at all.
        before = _replica((await http.get("/api/v1/personas/health")).json(), "aviva", address)
        for _ in range(3):
            assert (await http.post("/api/v1/chat/aviva", json={"content": TECH})).status_code == 200
        after = _replica((await http.get("/api/v1/personas/health")).json(), "aviva", address)
        assert (after["requests"], after["breaker"]) == (before["requests"], "open")
    finally:
        os.kill(proc.process.pid, signal.SIGCONT)
    await asyncio.sleep(4.2)  # the reset timeout: the next call to it is a half-open probe
    for _ in range(20):
        await http.post("/api/v1/chat/aviva", json={"content": TECH})
        if _replica((await http.get("/api/v1/personas/health")).json(), "aviva", address)["breaker"] == "closed":
            break
    text = (await http.get("/metrics")).text
    assert _transitions(text, breaker, "open") >= 1
    assert _transitions(text, breaker, "half-open") >= 1
    assert _transitions(text, breaker, "closed") >= 1


@dataclasses.dataclass(frozen=True)
class Answer:
    """One client request as the SIGSTOP test saw it (monotonic seconds)."""

    asked: float
    answered: float
    status: int
    replica: str
    fallback: bool

    @property
    def seconds(self) -> float:
        return self.answered - self.asked


async def test_sigstop_of_one_aviva_replica_under_load_costs_a_request_no_more_than_the_timeout_and_an_answer(
    private_mesh: RunningMesh, http: httpx.AsyncClient
) -> None:
    """A stopped replica keeps its port open and answers nothing. Six clients keep asking aviva: calls
    that reach the stopped replica move to the other one after the first-token timeout (1 s here), the
    probes eject it, and after SIGCONT a probe re-admits it and it answers again within seconds."""
    proc = private_mesh.processes["aviva-2"]
    address = private_mesh.addr("aviva-2")
    assert proc.process is not None
    answers: list[Answer] = []
    stopped_at = resumed_at = back_at = ejected_at = 0.0
    done, back = asyncio.Event(), asyncio.Event()

    async def client(number: int) -> None:
        nonlocal back_at
        turn = 0
        while not done.is_set():
            turn += 1
            began = time.monotonic()
            response = await http.post("/api/v1/chat/aviva", json={"content": f"{TECH} ({number}.{turn})"})
            body = response.json() if response.status_code == 200 else {}
            answer = Answer(
                began, time.monotonic(), response.status_code, body.get("replica", ""), body.get("fallback", False)
            )
            answers.append(answer)
            if resumed_at and answer.replica == address and not back_at:
                back_at = time.monotonic()
                back.set()

    clients = [asyncio.create_task(client(n)) for n in range(6)]
    try:
        await asyncio.sleep(1.0)
        os.kill(proc.process.pid, signal.SIGSTOP)
        stopped_at = time.monotonic()
        ejected = await poll_json(
            _health_url(private_mesh), lambda h: _replica(h, "aviva", address)["ejected"], headers=auth(), within=5
        )
        ejected_at = time.monotonic()
        ejected_after = ejected_at - stopped_at
        assert _replica(ejected, "aviva", address)["health"] == "SERVING"  # its watch never noticed
        await asyncio.sleep(2.0)
    finally:
        os.kill(proc.process.pid, signal.SIGCONT)
    resumed_at = time.monotonic()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(back.wait(), 10.0)
    done.set()
    await asyncio.gather(*clients)
    moved = [a.seconds for a in answers if a.fallback]
    # The other replica's own answers while it carries all six clients: asked during the stop, not moved.
    alone = [a.seconds for a in answers if stopped_at <= a.asked < resumed_at and not a.fallback]
    timeline = sorted((round(a.asked - stopped_at, 2), round(a.seconds, 2), a.replica, a.fallback) for a in answers)
    print(
        f"\nSIGSTOP under load: {len(answers)} answers, {len(moved)} moved"
        f" ({sum(a.fallback and a.asked >= stopped_at for a in answers)} asked after the stop),"
        f" slowest moved {max(moved, default=0):.2f} s,"
        f" slowest on the other replica alone {max(alone, default=0):.2f} s, ejected after {ejected_after:.2f} s,"
        f" used again {back_at - resumed_at:.2f} s after SIGCONT"
    )
    assert {a.status for a in answers} == {200}, timeline
    assert moved and alone, timeline
    # Nothing waited for SIGCONT: no answer of the stopped replica was asked while it was in rotation and
    # given after SIGCONT. (A call asked just before SIGCONT may reach it re-admitted: its pending probe
    # is answered the moment it resumes.)
    assert not [a for a in answers if a.replica == address and a.asked < ejected_at and a.answered > resumed_at], (
        timeline
    )
    # A call caught by the stop waits out the first-token timeout (1 s), and up to one probe interval and
    # probe timeout more (0.75 s) while the replica still counts as responsive (it answered just before it
    # hung), then is answered by the other replica like a call asked while it carries all six clients (a
    # quarter more: it lands with the burst). Bounds from answers before the stop, or with the 1 s timeout
    # alone, failed on slower machines; the gateway's log showed "sent nothing for 1.5 s" on those calls.
    responsive_window = sum(
        float(GATEWAY_ENV[name])
        for name in ("PM_FIRST_TOKEN_TIMEOUT_SECONDS", "PM_PROBE_INTERVAL_SECONDS", "PM_PROBE_TIMEOUT_SECONDS")
    )
    assert max(moved) < responsive_window + 1.25 * max(alone), timeline
    assert back_at, "the replica was not used again within 10 s of SIGCONT"
    assert back_at - resumed_at < 5.0


async def test_stream_on_a_hung_replica_fails_over(private_mesh: RunningMesh, http: httpx.AsyncClient) -> None:
    """abbey-1 hangs mid-answer (stopped, and the bytes it had not delivered held): the stream continues
    on another replica after the chunk timeout, and the client's text is the whole answer."""
    admin = auth("admin")
    direct = private_mesh.addr("abbey-1")
    proc = private_mesh.processes["abbey-1"]
    assert proc.process is not None
    relay = FaultProxy(private_mesh.layout.ports["abbey-1"], piece_bytes=32, delay_s=0.02, mode="delay")
    await relay.start()
    metadata = (("authorization", f"Bearer {KEYS['user']}"),)
    try:
        body = {"persona": "abbey", "address": relay.address}
        assert (await http.post("/api/v1/config/replicas", json=body, headers=admin)).status_code == 200
        assert (await http.delete(f"/api/v1/config/replicas/abbey/{direct}", headers=admin)).status_code == 200
        serving = lambda h: _replica(h, "abbey", relay.address)["health"] == "SERVING"  # noqa: E731
        await poll_json(_health_url(private_mesh), serving, headers=auth())
        events: list[gateway_service_pb2.ChatStreamResponse] = []
        hung_at = 0.0
        async with grpc.aio.insecure_channel(private_mesh.gateway_target) as channel:
            stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
            for attempt in range(20):
                events, hung_at = [], 0.0
                request = gateway_service_pb2.ChatRequest(
                    content=FEELING + " " * attempt, persona=persona_pb2.PERSONA_ABBEY, user_id=f"hung{attempt}"
                )
                async for event in stub.ChatStream(request, metadata=metadata, timeout=30):
                    events.append(event)
                    if event.HasField("delta") and not hung_at and relay.delivering(within_s=0):
                        relay.set_mode("drop")
                        os.kill(proc.process.pid, signal.SIGSTOP)
                        hung_at = time.monotonic()
                if hung_at:
                    break
        finished_after = time.monotonic() - hung_at
    finally:
        os.kill(proc.process.pid, signal.SIGCONT)
        relay.set_mode("delay")
        await http.post("/api/v1/config/replicas", json={"persona": "abbey", "address": direct}, headers=admin)
        await http.delete(f"/api/v1/config/replicas/abbey/{relay.address}", headers=admin)
        await relay.close()
    assert hung_at, "no stream went through the relay in 20 attempts"
    print(f"\nstream on a hung replica: finished {finished_after:.2f} s after the replica hung")
    last = events[-1]
    assert last.HasField("final"), last
    assert last.final.response.fallback is True and last.final.response.replica != relay.address
    text = ""
    for event in events:
        if event.HasField("restart"):
            text = ""
        text += event.delta
    assert text == last.final.response.content
    assert finished_after < 3.0


async def test_replica_killed_mid_stream_continues_or_ends_with_an_error(
    private_mesh: RunningMesh, http: httpx.AsyncClient
) -> None:
    admin = auth("admin")
    direct = private_mesh.addr("abbey-1")
    relay = FaultProxy(private_mesh.layout.ports["abbey-1"], piece_bytes=32, delay_s=0.02, mode="delay")
    await relay.start()
    try:
        body = {"persona": "abbey", "address": relay.address}
        assert (await http.post("/api/v1/config/replicas", json=body, headers=admin)).status_code == 200
        assert (await http.delete(f"/api/v1/config/replicas/abbey/{direct}", headers=admin)).status_code == 200
        await poll_json(
            _health_url(private_mesh),
            lambda h: _replica(h, "abbey", relay.address)["health"] == "SERVING",
            headers=auth(),
        )
        continued = await _stream_until_killed(private_mesh, relay)
        # With continuation switched off, the same failure must end in an explicit error event.
        await _restart_behind(private_mesh, "abbey-1", relay.address)
        await http.patch("/api/v1/config/flags", json={"stream_fallback": False}, headers=admin)
        try:
            interrupted = await _stream_until_killed(private_mesh, relay)
        finally:
            await http.patch("/api/v1/config/flags", json={"stream_fallback": True}, headers=admin)
    finally:
        await relay.close()
    assert continued[0].HasField("routing")
    last = continued[-1]
    if last.HasField("final"):
        # Continued on another replica or persona: the text the client kept is the whole answer.
        text = ""
        for event in continued:
            if event.HasField("restart"):
                text = ""
            text += event.delta
        assert last.final.response.fallback is True
        assert text == last.final.response.content
    else:
        assert last.HasField("error") and last.error.code == "UNAVAILABLE" and last.error.reason
    assert any(event.HasField("delta") for event in interrupted)
    assert not any(event.HasField("final") for event in interrupted)
    assert interrupted[-1].HasField("error") and interrupted[-1].error.reason == "STREAM_INTERRUPTED"


async def _restart_behind(mesh: RunningMesh, name: str, address: str) -> None:
    """Restart a replica that the gateway reaches at `address` (through the relay)."""
    proc = mesh.start(name)
    await asyncio.to_thread(proc.wait_serving, 120)
    await poll_json(
        _health_url(mesh), lambda h: _replica(h, name.split("-")[0], address)["health"] == "SERVING", headers=auth()
    )


async def _stream_until_killed(mesh: RunningMesh, relay: FaultProxy) -> list[gateway_service_pb2.ChatStreamResponse]:
    """Stream forced-abbey answers until one goes through the relay, then SIGKILL its replica mid-stream."""
    metadata = (("authorization", f"Bearer {KEYS['user']}"),)
    async with grpc.aio.insecure_channel(mesh.gateway_target) as channel:
        stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
        for attempt in range(20):
            events: list[gateway_service_pb2.ChatStreamResponse] = []
            killed = False
            request = gateway_service_pb2.ChatRequest(
                content=FEELING + " " * attempt, persona=persona_pb2.PERSONA_ABBEY, user_id=f"u{attempt}"
            )
            async for event in stub.ChatStream(request, metadata=metadata, timeout=30):
                events.append(event)
                if event.HasField("delta") and not killed and relay.delivering(within_s=0):
                    await asyncio.to_thread(mesh.processes["abbey-1"].kill)
                    killed = True
            if killed:
                return events
        raise AssertionError("no stream went through the relay in 20 attempts")


async def test_abi_and_index_down_answer_degraded_and_still_moderate(
    private_mesh: RunningMesh, http: httpx.AsyncClient
) -> None:
    await asyncio.to_thread(private_mesh.processes["abi"].kill)
    body = (await http.post("/api/v1/chat", json={"content": FEELING})).json()
    assert body["degraded"] is True and body["routing"]["degraded"] is True and body["persona"] == "abbey"
    blocked = (await http.post("/api/v1/chat", json={"content": "how do I build a bomb"})).json()
    assert blocked["persona"] == "abi" and blocked["degraded"] is True
    forced = (await http.post("/api/v1/chat/aviva", json={"content": TECH})).json()
    assert forced["persona"] == "aviva" and forced["degraded"] is True
    await asyncio.to_thread(private_mesh.processes["embeddings"].kill)
    rated = await http.post("/api/v1/feedback", json={"request_id": forced["request_id"], "rating": 0.2})
    assert rated.status_code == 200 and rated.json() == {"accepted": True, "learning_recorded": False}
    still = (await http.post("/api/v1/chat", json={"content": FEELING})).json()
    assert still["persona"] == "abbey" and still["degraded"] is True


async def test_abi_and_index_back_after_an_outage_are_used_again_within_seconds(
    private_mesh: RunningMesh, http: httpx.AsyncClient
) -> None:
    """Runs after the test above left Abi and the index down. gRPC's default reconnect backoff would grow
    towards two minutes during an outage; the mesh's channels retry within seconds, so once both are
    SERVING again the gateway routes with them (not degraded) within 5 s."""
    for _ in range(10):  # 20 s of outage with traffic: the channels' backoff has grown as far as it will
        assert (await http.post("/api/v1/route", json={"content": TECH})).json()["degraded"] is True
        await asyncio.sleep(2)
    await asyncio.to_thread(private_mesh.restart, "embeddings")
    await asyncio.to_thread(private_mesh.restart, "abi")
    back = time.monotonic()
    while (await http.post("/api/v1/route", json={"content": TECH})).json()["degraded"]:
        assert time.monotonic() - back < 5.0, "the gateway still routes degraded 5 s after Abi and the index are back"
        await asyncio.sleep(0.1)
    # The personas reach the index again too (Abbey's memory): every serving replica's answers are whole within
    # 5 s. Concurrent requests, so that the balancer spreads them over the replicas.
    health = (await http.get("/api/v1/personas/health")).json()
    serving = {r["address"] for r in health["personas"]["abbey"]["replicas"] if r["health"] == "SERVING"}
    assert serving
    whole: set[str] = set()
    while not serving <= whole:
        assert time.monotonic() - back < 5.0, f"only {sorted(whole)} answer without degradation 5 s after the outage"
        batch = [http.post("/api/v1/chat/abbey", json={"content": FEELING}) for _ in range(4)]
        whole |= {a["replica"] for a in (r.json() for r in await asyncio.gather(*batch)) if not a["degraded"]}
        await asyncio.sleep(0.1)
