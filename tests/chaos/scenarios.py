"""The chaos scenarios. Each breaks one thing under load, checks what clients saw, restores it, and times recovery.

Scenarios run one after another on one mesh and each leaves it whole (the gateway SIGTERM comes last).
"Lost" is a request that got no answer, or an error status, from a gateway that was meant to be up.
Recovery is measured from the moment the fault ends (the process SERVING again, SIGCONT, the network
healed) to the answers the scenario waits for.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import httpx

from personamesh.v1 import gateway_service_pb2, gateway_service_pb2_grpc, persona_pb2
from tests.chaos.load import Load, Outcome
from tests.chaos.proxy import FaultProxy
from tests.chaos.report import Result
from tests.conftest import RunningMesh
from tests.gateway.support import KEYS, auth, poll_json

TECH = "Write a Python function that reverses a linked list, and explain its complexity."
FEELING = "I feel really lonely and sad since my friend moved away. What can I do?"
# Defaults are the gateway's own (what an operator runs); only the rate limits are lifted for the load.
GATEWAY_ENV = {"PM_RATE_LIMIT_PER_MINUTE": "1000000", "PM_RATE_LIMIT_BURST": "100000"}
FIRST_TOKEN_TIMEOUT_S = 2.0  # the gateway's default PM_FIRST_TOKEN_TIMEOUT_SECONDS
# Issue 11: Abi or the index back after a long outage -> healthy again within this.
HEALTHY_WITHIN_S = 5.0
# A replica back from a crash or a hang is in rotation again within this (health interval, outlier ejection).
REJOIN_WITHIN_S = 30.0


@dataclass
class Chaos:
    """The mesh under test, a client of its gateway, and how long the long faults last."""

    mesh: RunningMesh
    http: httpx.AsyncClient
    outage_s: float = 120.0
    stop_s: float = 30.0

    async def health(self) -> dict[str, Any]:
        body: dict[str, Any] = (await self.http.get("/api/v1/personas/health")).json()
        return body

    async def wait_replica(self, persona: str, address: str, state: str = "SERVING") -> None:
        def ready(health: dict[str, Any]) -> bool:
            replicas = health["personas"][persona]["replicas"]
            return any(r["address"] == address and r["health"] == state for r in replicas)

        await poll_json(self.mesh.http_url + "/api/v1/personas/health", ready, headers=auth(), within=60)

    async def route_through(self, persona: str, direct: str, via: str) -> None:
        """Send the gateway's traffic for replica `direct` to `via` instead (config API)."""
        admin = auth("admin")
        added = await self.http.post(
            "/api/v1/config/replicas", json={"persona": persona, "address": via}, headers=admin
        )
        assert added.status_code == 200, added.text
        removed = await self.http.delete(f"/api/v1/config/replicas/{persona}/{direct}", headers=admin)
        assert removed.status_code == 200, removed.text
        await self.wait_replica(persona, via)

    async def restart(self, *names: str) -> float:
        """Start the named processes again; the moment all are SERVING."""
        await asyncio.gather(*(asyncio.to_thread(self.mesh.restart, name) for name in names))
        return time.monotonic()


def _count(result: Result, outcomes: list[Outcome]) -> None:
    result.requests = len(outcomes)
    result.lost = sum(not o.answered for o in outcomes)
    result.fallbacks = sum(o.fallback for o in outcomes)
    lost = [o for o in outcomes if not o.answered]
    if lost:
        result.notes.append(f"first lost: {lost[0].status} {lost[0].error[:120]}")
    result.check(result.lost == 0, f"{result.lost} lost")


def _slowest(result: Result, outcomes: list[Outcome]) -> float:
    slowest = max((o.seconds for o in outcomes), default=0.0)
    result.notes.append(f"slowest {slowest:.2f} s")
    return slowest


async def sigkill_replica(chaos: Chaos) -> Result:
    """SIGKILL of abbey-1 under load: no request lost (the other replica answers); restarted, it rejoins."""
    result = Result("SIGKILL of a replica (abbey-1)")
    address = chaos.mesh.addr("abbey-1")
    async with Load(chaos.http, "/api/v1/chat/abbey", [FEELING]) as load:
        await asyncio.sleep(2.0)
        await asyncio.to_thread(chaos.mesh.processes["abbey-1"].kill)
        await asyncio.sleep(5.0)
        back = await chaos.restart("abbey-1")
        result.recovery_s = await load.first(lambda o: o.replica == address, back, REJOIN_WITHIN_S)
    _count(result, load.outcomes)
    result.check(all(o.persona == "abbey" for o in load.outcomes if o.answered), "answered by another persona")
    result.check(result.recovery_s is not None, f"not used again within {REJOIN_WITHIN_S:.0f} s of SERVING")
    return result


async def sigstop_replica(chaos: Chaos) -> Result:
    """aviva-2 SIGSTOPped (port open, answers nothing): no request lost, none waits much past the first-token
    timeout; after SIGCONT it is used again."""
    result = Result(f"SIGSTOP of a replica (aviva-2) for {chaos.stop_s:.0f} s")
    proc = chaos.mesh.processes["aviva-2"]
    assert proc.pid is not None
    address = chaos.mesh.addr("aviva-2")
    async with Load(chaos.http, "/api/v1/chat/aviva", [TECH]) as load:
        await asyncio.sleep(2.0)
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            await asyncio.sleep(chaos.stop_s)
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        resumed = time.monotonic()
        result.recovery_s = await load.first(lambda o: o.replica == address, resumed, REJOIN_WITHIN_S * 2)
    _count(result, load.outcomes)
    bound = FIRST_TOKEN_TIMEOUT_S + 1.5
    result.check(_slowest(result, load.outcomes) < bound, f"an answer took longer than {bound:.1f} s")
    result.check(result.recovery_s is not None, "not used again within 60 s of SIGCONT")
    return result


async def partition(chaos: Chaos) -> Result:
    """aviva-1 behind a proxy: a slow link (5 s), then a partition (10 s, connections open, nothing moves),
    then healed. No request lost; the replica is used again after the partition heals."""
    result = Result("network: slow link, then partition (aviva-1 via proxy)")
    direct = chaos.mesh.addr("aviva-1")
    proxy = FaultProxy(chaos.mesh.layout.ports["aviva-1"], piece_bytes=256, delay_s=0.05)
    await proxy.start()
    try:
        await chaos.route_through("aviva", direct, proxy.address)
        async with Load(chaos.http, "/api/v1/chat/aviva", [TECH]) as load:
            await asyncio.sleep(2.0)
            proxy.set_mode("delay")
            await asyncio.sleep(5.0)
            proxy.set_mode("drop")
            await asyncio.sleep(10.0)
            proxy.set_mode("pass")
            healed = time.monotonic()
            # An answer names the replica by its own address (the proxy is invisible to it).
            result.recovery_s = await load.first(lambda o: o.replica == direct, healed, REJOIN_WITHIN_S * 2)
        if result.recovery_s is None:
            replicas = (await chaos.health())["personas"]["aviva"]["replicas"]
            result.notes.append(f"after: {[r for r in replicas if r['address'] == proxy.address]}")
        await chaos.route_through("aviva", proxy.address, direct)
    finally:
        await proxy.close()
    _count(result, load.outcomes)
    _slowest(result, load.outcomes)
    result.check(result.recovery_s is not None, "not used again within 60 s of the partition healing")
    return result


async def persona_down(chaos: Chaos) -> Result:
    """Both aviva replicas killed: her questions are answered by abbey marked fallback; restarted, aviva answers."""
    result = Result("both replicas of a persona down (aviva)")
    async with Load(chaos.http, "/api/v1/chat", [TECH]) as load:
        await asyncio.sleep(2.0)
        for name in ("aviva-1", "aviva-2"):
            await asyncio.to_thread(chaos.mesh.processes[name].kill)
        killed = time.monotonic()
        await asyncio.sleep(8.0)
        down = load.started_between(killed, time.monotonic())
        back = await chaos.restart("aviva-1", "aviva-2")
        result.recovery_s = await load.settled(
            lambda o: o.persona == "aviva" and not o.fallback, back, HEALTHY_WITHIN_S * 2
        )
    _count(result, load.outcomes)
    routed = [o for o in down if o.answered]
    result.check(bool(routed), "no answer while aviva was down")
    result.check(all(o.routed == "aviva" for o in routed), "Abi routed the question elsewhere: nothing was tested")
    marked = sum(o.persona == "abbey" and o.fallback for o in routed)
    result.notes.append(f"{marked}/{len(routed)} answers while down by abbey with fallback=true")
    result.check(marked == len(routed), "an answer while aviva was down was not marked fallback")
    result.check(result.recovery_s is not None, "aviva did not answer again (not fallback)")
    return result


async def killed_mid_stream(chaos: Chaos) -> Result:
    """abbey-1 (behind a slow proxy, so answers take a while) SIGKILLed while streaming: every stream ends in a
    whole answer (continued elsewhere, the text the client kept equal to the final content) or an explicit
    error event; never a stream that just stops."""
    result = Result("replica killed mid-stream (abbey-1)")
    direct = chaos.mesh.addr("abbey-1")
    proxy = FaultProxy(chaos.mesh.layout.ports["abbey-1"], piece_bytes=32, delay_s=0.02)
    await proxy.start()
    streams: list[str] = []  # per stream: "whole", "continued", "error", or what was wrong
    done, killed = asyncio.Event(), asyncio.Event()
    victim = chaos.mesh.processes["abbey-1"].pid
    assert victim is not None

    def kill_mid_answer() -> None:
        """On a delta: if the proxy is passing the replica's bytes on right now, that answer is cut here."""
        if not killed.is_set() and proxy.delivering(0.0):
            os.kill(victim, signal.SIGKILL)
            killed.set()

    async def streamer(stub: gateway_service_pb2_grpc.GatewayServiceAsyncStub, number: int) -> None:
        metadata = (("authorization", f"Bearer {KEYS['user']}"),)
        turn = 0
        while not done.is_set():
            turn += 1
            request = gateway_service_pb2.ChatRequest(
                content=f"{FEELING} ({number}.{turn})", persona=persona_pb2.PERSONA_ABBEY, user_id=f"chaos{number}"
            )
            streams.append(await _one_stream(stub, request, metadata, kill_mid_answer))

    try:
        await chaos.route_through("abbey", direct, proxy.address)
        async with grpc.aio.insecure_channel(chaos.mesh.gateway_target) as channel:
            stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
            tasks = [asyncio.create_task(streamer(stub, n)) for n in range(3)]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(killed.wait(), 60)
            await asyncio.sleep(3.0)
            done.set()
            await asyncio.gather(*tasks)
        back = await chaos.restart("abbey-1")
        await chaos.wait_replica("abbey", proxy.address)
        result.recovery_s = time.monotonic() - back
        await chaos.route_through("abbey", proxy.address, direct)
    finally:
        await proxy.close()
    result.requests = len(streams)
    broken = [s for s in streams if s not in ("whole", "continued", "error")]
    result.lost = len(broken)
    result.fallbacks = streams.count("continued")
    result.notes.append(f"{streams.count('continued')} continued, {streams.count('error')} ended with an error event")
    result.check(not broken, f"silently truncated or failed: {broken[:3]}")
    result.check(streams.count("continued") + streams.count("error") > 0, "the kill hit no stream: nothing tested")
    return result


async def _one_stream(
    stub: gateway_service_pb2_grpc.GatewayServiceAsyncStub,
    request: gateway_service_pb2.ChatRequest,
    metadata: Any,
    on_delta: Callable[[], None],
) -> str:
    """How one ChatStream ended: "whole", "continued" (restarted elsewhere, text whole), "error", or what broke."""
    text, restarted = "", False
    last: gateway_service_pb2.ChatStreamResponse | None = None
    try:
        async for event in stub.ChatStream(request, metadata=metadata, timeout=30):
            last = event
            if event.HasField("restart"):
                text, restarted = "", True
            text += event.delta
            if event.delta:
                on_delta()
    except grpc.RpcError as error:
        return f"status {error.code().name}"
    if last is None:
        return "no events"
    if last.HasField("error"):
        return "error" if last.error.code and last.error.reason else "error without code or reason"
    if not last.HasField("final"):
        return "ended without final or error"
    if text != last.final.response.content:
        return "text differs from the final answer"
    return "continued" if restarted else "whole"


async def _dependency_outage(chaos: Chaos, name: str, title: str) -> Result:
    """`name` (abi or embeddings) killed for `outage_s` under load: every answer still comes, marked degraded;
    once it is SERVING again, answers are whole (not degraded) within HEALTHY_WITHIN_S."""
    result = Result(title)
    async with Load(chaos.http, "/api/v1/chat", [FEELING, TECH]) as load:
        await asyncio.sleep(2.0)
        await asyncio.to_thread(chaos.mesh.processes[name].kill)
        killed = time.monotonic()
        await asyncio.sleep(chaos.outage_s)
        down = [o for o in load.started_between(killed + 0.5, time.monotonic()) if o.answered]
        back = await chaos.restart(name)
        result.recovery_s = await load.settled(lambda o: not o.degraded, back, HEALTHY_WITHIN_S * 3)
    _count(result, load.outcomes)
    marked = sum(o.degraded for o in down)
    result.notes.append(f"{marked}/{len(down)} answers while down marked degraded")
    result.check(bool(down) and marked == len(down), "an answer while it was down was not marked degraded")
    result.check(
        result.recovery_s is not None and result.recovery_s <= HEALTHY_WITHIN_S,
        f"answers not whole within {HEALTHY_WITHIN_S:.0f} s of SERVING",
    )
    return result


async def index_outage(chaos: Chaos) -> Result:
    return await _dependency_outage(
        chaos, "embeddings", f"embedding index killed, down {chaos.outage_s:.0f} s, restarted"
    )


async def abi_outage(chaos: Chaos) -> Result:
    return await _dependency_outage(chaos, "abi", f"Abi killed (degraded answers), down {chaos.outage_s:.0f} s")


async def gateway_sigterm(chaos: Chaos, gateway_env: dict[str, str]) -> Result:
    """SIGTERM of the gateway under load: every request in flight completes, it exits 0; restarted, it serves."""
    result = Result("gateway SIGTERM under load")
    proc = chaos.mesh.processes["gateway"]
    async with Load(chaos.http, "/api/v1/chat", [FEELING, TECH], clients=8, pause_s=0.05) as load:
        await asyncio.sleep(2.0)
        signalled = time.monotonic()
        proc.signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait_exit, 30)
        exited = time.monotonic()
        await asyncio.sleep(0.5)
    before = load.started_between(0.0, signalled)
    in_flight = [o for o in before if o.ended > signalled]
    after = load.started_between(signalled)
    _count(result, before)
    await asyncio.to_thread(lambda: chaos.mesh.start("gateway", gateway_env).wait_serving(60))
    result.notes.append(
        f"{len(in_flight)} in flight at SIGTERM, all answered: {all(o.answered for o in in_flight)}; "
        f"drained and exited {code} in {exited - signalled:.2f} s; {len(after)} refused after it"
    )
    result.check(bool(in_flight), "no request was in flight at SIGTERM: nothing tested")
    result.check(code == 0, f"exit code {code}")
    return result


Scenario = Callable[[Chaos], Awaitable[Result]]
