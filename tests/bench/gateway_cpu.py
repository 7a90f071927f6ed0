"""The gateway's own CPU per chat, for comparing two checkouts of the project.

`make bench` reports the gateway's CPU per request at saturation, where it also depends on how fast
the rest of the mesh answers (a busier Abi means fewer requests per event-loop turn, and more CPU per
request). This module measures it at a fixed request rate too, so two versions can be compared at
equal load. It uses only `tests.bench.bench_gateway` (its mesh, questions and settings), which older
checkouts have as well:

    git worktree add /tmp/before <commit> && (cd /tmp/before && make protos)
    python -m tests.bench.gateway_cpu --mode routed --rate 20        # in each checkout, interleaved

It prints one JSON line: requests answered, rate, and the gateway process's CPU ms per request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from tests.bench import bench_gateway as bench


async def measure(
    mode: str, rate: float, seconds: float, clients: int, env: dict[str, str] | None = None
) -> dict[str, float | str]:
    gateway_env = {**bench.GATEWAY_ENV, **(env or {})}
    with tempfile.TemporaryDirectory(prefix="gateway-cpu-") as tmp:
        mesh = await asyncio.to_thread(bench.start_private_mesh, Path(tmp), gateway_env=gateway_env)
        try:
            gateway = psutil.Process(mesh.processes["gateway"].process.pid)  # type: ignore[union-attr]
            limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
            async with httpx.AsyncClient(base_url=mesh.http_url, timeout=60, limits=limits) as client:

                async def one(i: int) -> None:
                    if mode == "forced":
                        body = {"content": bench.QUESTION, "user_id": bench.user(i)}
                        response = await client.post("/api/v1/chat/abbey", json=body)
                    else:
                        body = {"content": bench.ROUTED if i % 2 else bench.QUESTION, "user_id": bench.user(i)}
                        response = await client.post("/api/v1/chat", json=body)
                    response.raise_for_status()

                await asyncio.gather(*(one(i) for i in range(clients)))  # warm-up: connections, caches
                answered = 0
                issued = 0
                start = time.monotonic()
                stop = start + seconds
                cpu_before = sum(gateway.cpu_times()[:2])

                async def caller() -> None:
                    nonlocal answered, issued
                    while time.monotonic() < stop:
                        i = issued
                        issued += 1
                        if rate:  # open loop: request i is due at start + i / rate
                            await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
                        await one(i)
                        answered += 1

                await asyncio.gather(*(caller() for _ in range(clients)))
                cpu_ms = (sum(gateway.cpu_times()[:2]) - cpu_before) * 1000.0
                elapsed = time.monotonic() - start
        finally:
            await asyncio.to_thread(mesh.stop_all)
    return {
        "mode": mode,
        "requests": answered,
        "per_s": round(answered / elapsed, 1),
        "gateway_cpu_ms_per_request": round(cpu_ms / max(answered, 1), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("routed", "forced"), default="routed")
    parser.add_argument("--rate", type=float, default=0.0, help="requests per second; 0 = as fast as answered")
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="a gateway setting")
    args = parser.parse_args()
    env = dict(item.split("=", 1) for item in args.env)
    print(json.dumps(asyncio.run(measure(args.mode, args.rate, args.seconds, args.clients, env))))


if __name__ == "__main__":
    main()
