"""Gateway benchmarks on a private mesh (composer backend):

- overhead: a forced-persona chat through the gateway (HTTP and gRPC) vs the persona called directly;
- a routed chat round trip (Abi + persona) through the gateway, p50/p99;
- chat throughput at 64 concurrent clients, and p99 at 16 clients;
- balancing strategies (p2c, weighted, round_robin) with one slow replica;
- a routed HTTP chat at 1 to 64 concurrent clients: throughput and latency against concurrency, with every
  latency kept (`curve_samples_ms`) for the distribution plot of docs/performance.md;
- the gateway's peak memory.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import grpc
import httpx
import psutil

from personamesh.v1 import (
    abi_service_pb2,
    abi_service_pb2_grpc,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
    persona_pb2,
    persona_service_pb2_grpc,
)
from tests.bench.stats import measure_concurrent, peak_rss_mib, print_table, run_concurrent
from tests.chaos.proxy import FaultProxy
from tests.conftest import RunningMesh
from tests.gateway.support import auth, start_gateway, start_private_mesh

QUESTION = "How do I reverse a list in Python?"
ROUTED = "I feel stuck on my project and a bit anxious about the deadline. Any advice?"
# Anonymous callers with one user id per client: many users, as in production (a persona's
# memory of one user who sends thousands of messages would measure the persona, not the gateway).
GATEWAY_ENV = {
    "PM_RATE_LIMIT_PER_MINUTE": "10000000",
    "PM_RATE_LIMIT_BURST": "10000000",
    "PM_LOG_LEVEL": "WARNING",
    "PM_ALLOW_ANONYMOUS": "true",
}


def user(i: int) -> str:
    return f"bench-user-{i % 64}"


async def _overhead(mesh: RunningMesh) -> dict[str, dict[str, float]]:
    rows: dict[str, dict[str, float]] = {}

    def direct_request(i: int) -> persona_pb2.PersonaRequest:
        return persona_pb2.PersonaRequest(content=QUESTION, forced_persona=persona_pb2.PERSONA_AVIVA, user_id=user(i))

    async with grpc.aio.insecure_channel(mesh.addr("aviva-1")) as channel:
        persona = persona_service_pb2_grpc.PersonaServiceStub(channel)
        rows["direct persona.Chat (aviva-1)"] = await run_concurrent(
            lambda i: persona.Chat(direct_request(i), timeout=10), total=300, concurrency=1
        )
    async with grpc.aio.insecure_channel(mesh.addr("abi")) as channel:
        abi = abi_service_pb2_grpc.AbiServiceStub(channel)
        route = abi_service_pb2.RouteRequest(request=direct_request(0))
        check = abi_service_pb2.CheckPolicyRequest(text=QUESTION * 8, direction=abi_service_pb2.DIRECTION_OUTPUT)
        rows["direct abi.Route, forced (moderation only)"] = await run_concurrent(
            lambda i: abi.Route(route, timeout=10), total=300, concurrency=1
        )
        rows["direct abi.CheckPolicy, output"] = await run_concurrent(
            lambda i: abi.CheckPolicy(check, timeout=10), total=300, concurrency=1
        )
    async with grpc.aio.insecure_channel(mesh.gateway_target) as channel:
        gateway = gateway_service_pb2_grpc.GatewayServiceStub(channel)

        def forced(i: int) -> gateway_service_pb2.ChatRequest:
            return gateway_service_pb2.ChatRequest(content=QUESTION, persona=persona_pb2.PERSONA_AVIVA, user_id=user(i))

        rows["gateway gRPC Chat, forced aviva"] = await run_concurrent(
            lambda i: gateway.Chat(forced(i), timeout=10), total=300, concurrency=1
        )
    async with httpx.AsyncClient(base_url=mesh.http_url, timeout=30) as client:

        async def http_forced(i: int) -> None:
            response = await client.post("/api/v1/chat/aviva", json={"content": QUESTION, "user_id": user(i)})
            response.raise_for_status()

        async def http_routed(i: int) -> None:
            response = await client.post("/api/v1/chat", json={"content": ROUTED, "user_id": user(i)})
            response.raise_for_status()

        rows["gateway HTTP chat, forced aviva"] = await run_concurrent(http_forced, total=300, concurrency=1)
        await client.patch("/api/v1/config/flags", json={"output_check": False}, headers=auth("admin"))
        rows["gateway HTTP chat, forced aviva, no output check"] = await run_concurrent(
            http_forced, total=300, concurrency=1
        )
        await client.patch("/api/v1/config/flags", json={"output_check": True}, headers=auth("admin"))
        rows["gateway HTTP chat, routed by Abi (round trip)"] = await run_concurrent(
            http_routed, total=300, concurrency=1
        )
    direct = rows["direct persona.Chat (aviva-1)"]
    for name in (
        "gateway gRPC Chat, forced aviva",
        "gateway HTTP chat, forced aviva",
        "gateway HTTP chat, forced aviva, no output check",
    ):
        rows[name]["added_p50_ms"] = round(rows[name]["p50_ms"] - direct["p50_ms"], 3)
        rows[name]["added_p99_ms"] = round(rows[name]["p99_ms"] - direct["p99_ms"], 3)
    return rows


async def _throughput(mesh: RunningMesh) -> dict[str, dict[str, float]]:
    rows = {}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=mesh.http_url, timeout=60, limits=limits) as client:

        async def routed(i: int) -> None:
            body = {"content": ROUTED if i % 2 else QUESTION, "user_id": user(i)}
            (await client.post("/api/v1/chat", json=body)).raise_for_status()

        async def forced(i: int) -> None:
            body = {"content": QUESTION, "user_id": user(i)}
            (await client.post("/api/v1/chat/abbey", json=body)).raise_for_status()

        gateway = psutil.Process(mesh.processes["gateway"].process.pid)  # type: ignore[union-attr]
        for name, call, total, concurrency in (
            ("routed chat, 64 clients", routed, 1000, 64),
            ("forced chat, 64 clients", forced, 1000, 64),
            ("forced chat, 16 clients", forced, 600, 16),
        ):
            before = sum(gateway.cpu_times()[:2])
            rows[name] = await run_concurrent(call, total=total, concurrency=concurrency)
            # The gateway's own CPU per request (its share of the mesh's work): requests one core serves.
            cpu_ms = (sum(gateway.cpu_times()[:2]) - before) * 1000.0 / (total + 10)
            rows[name]["gateway_cpu_ms_per_request"] = round(cpu_ms, 3)
            rows[name]["gateway_requests_per_core_s"] = round(1000.0 / cpu_ms, 1) if cpu_ms else 0.0
    return rows


CURVE_CLIENTS = (1, 2, 4, 8, 16, 32, 64)


async def _curve(mesh: RunningMesh) -> tuple[dict[str, dict[str, float]], dict[str, list[float]]]:
    """Routed HTTP chats (Abi + persona + output check, the path users take) at growing concurrency."""
    rows: dict[str, dict[str, float]] = {}
    samples: dict[str, list[float]] = {}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=mesh.http_url, timeout=60, limits=limits) as client:

        async def routed(i: int) -> None:
            body = {"content": ROUTED if i % 2 else QUESTION, "user_id": user(i)}
            (await client.post("/api/v1/chat", json=body)).raise_for_status()

        for clients in CURVE_CLIENTS:
            name = f"routed chat, {clients} clients"
            rows[name], samples[name] = await measure_concurrent(
                routed, total=max(200, 20 * clients), concurrency=clients
            )
            rows[name]["clients"] = float(clients)
    return rows, samples


async def _balancing(mesh: RunningMesh, tmp: Path) -> dict[str, dict[str, float]]:
    """Two abbey replicas, one behind a relay that adds ~150 ms to every answer."""
    relay = FaultProxy(mesh.layout.ports["abbey-1"], piece_bytes=65536, delay_s=0.15, mode="delay")
    await relay.start()
    rows: dict[str, dict[str, float]] = {}
    try:
        for strategy in ("round_robin", "p2c", "weighted"):
            gw = await asyncio.to_thread(
                start_gateway,
                mesh.layout,
                tmp / "logs",
                f"gateway-bench-{strategy}",
                {
                    **GATEWAY_ENV,
                    "PM_BALANCER": strategy,
                    **mesh.layout.replicas_env(abbey=[relay.address, mesh.addr("abbey-2")]),
                },
            )
            try:
                async with httpx.AsyncClient(base_url=gw.http_url, timeout=60) as client:

                    async def call(i: int, client: httpx.AsyncClient = client) -> None:
                        body = {"content": QUESTION, "user_id": user(i)}
                        (await client.post("/api/v1/chat/abbey", json=body)).raise_for_status()

                    figures = await run_concurrent(call, total=300, concurrency=8)
                    health = (await client.get("/api/v1/personas/health")).json()
                served = {r["address"]: r["requests"] for r in health["personas"]["abbey"]["replicas"]}
                figures["share_to_slow_replica"] = round(served[relay.address] / max(1, sum(served.values())), 3)
                rows[f"abbey, one slow replica: {strategy}"] = figures
            finally:
                await asyncio.to_thread(gw.process.stop)
    finally:
        await relay.close()
    return rows


async def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmpdir:
        tmp = Path(tmpdir)
        mesh = await asyncio.to_thread(start_private_mesh, tmp, gateway_env=GATEWAY_ENV)
        try:
            overhead = await _overhead(mesh)
            print_table("gateway overhead (1 client, composer backend)", overhead)
            throughput = await _throughput(mesh)
            print_table("gateway throughput", throughput)
            gateway_proc = mesh.processes["gateway"].process
            assert gateway_proc is not None
            memory = {"gateway": {"peak_rss_mib": peak_rss_mib(gateway_proc.pid)}}
            print_table("gateway memory", memory)
            balancing = await _balancing(mesh, tmp)
            print_table("balancing with one slow replica (8 clients)", balancing)
            curve, samples = await _curve(mesh)
            print_table("routed chat against concurrency", curve)
        finally:
            await asyncio.to_thread(mesh.stop_all)
    return {
        "overhead": overhead,
        "throughput": throughput,
        "memory": memory,
        "balancing": balancing,
        "curve": curve,
        "curve_samples_ms": samples,
    }
