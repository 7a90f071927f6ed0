"""The gateway's own CPU per chat, for comparing two checkouts of the project.

`make bench` reports the gateway's CPU per request at saturation, where it also depends on how fast
the rest of the mesh answers (a busier Abi means fewer requests per event-loop turn, and more CPU per
request). This module measures it at a fixed request rate too, so two versions can be compared at
equal load. It uses only `tests.bench.bench_gateway` (its mesh, questions and settings) and helpers
that older checkouts (`69f6d17` on) have as well:

    git worktree add /tmp/before <commit> && (cd /tmp/before && make protos)
    python -m tests.bench.gateway_cpu --mode routed --rate 20        # in each checkout, interleaved

`--alone` puts the gateway in front of stand-ins that answer at once instead of the real mesh: the
gateway is then nearly the only process at work, and the figures vary less from run to run.

It prints one JSON line: requests answered, rate, and the gateway process's CPU ms per request.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil

from services.common.registry import persona_registry
from services.devmesh.processes import ServiceProcess, free_port
from services.devmesh.topology import MeshLayout, free_ports
from tests.bench import bench_gateway as bench
from tests.gateway.support import start_gateway


@contextlib.contextmanager
def full_mesh(tmp: Path, gateway_env: dict[str, str]) -> Iterator[tuple[int, str]]:
    """Every service of the mesh; yields the gateway's pid and HTTP URL."""
    mesh = bench.start_private_mesh(tmp, gateway_env=gateway_env)
    try:
        yield mesh.processes["gateway"].process.pid, mesh.http_url  # type: ignore[union-attr]
    finally:
        mesh.stop_all()


@contextlib.contextmanager
def gateway_alone(tmp: Path, gateway_env: dict[str, str]) -> Iterator[tuple[int, str]]:
    """The gateway in front of stand-ins that answer at once (tests/gateway/echo_persona.py for every persona,
    tests/gateway/fake_abi.py for Abi): the gateway does nearly all the work, so run-to-run noise is smaller."""
    layout = MeshLayout(data_dir=tmp / "data", ports=free_ports(persona_registry()), extra_env={}, metrics=False)
    with contextlib.ExitStack() as started:  # whatever started is stopped, also when a later start fails
        helpers = []
        for name, module in (("echo-persona", "tests.gateway.echo_persona"), ("fake-abi", "tests.gateway.fake_abi")):
            helper = ServiceProcess(name, module, free_port(), layout.common_env(), tmp / "logs")
            helper.start()  # start() and wait_serving(): older checkouts have no start_serving()
            started.callback(helper.stop)
            helper.wait_serving(60)
            helpers.append(helper)
        echo, abi = helpers
        replicas = {name: [echo.target] for name in persona_registry().local_replicas()}
        env = {"PM_ABI_ADDR": abi.target, **layout.replicas_env(**replicas), "PM_ALLOW_ANONYMOUS": "true"}
        env.update(gateway_env)
        gateway = start_gateway(layout, tmp / "logs", "gateway", env)
        started.callback(gateway.process.stop)
        yield gateway.process.process.pid, gateway.http_url  # type: ignore[union-attr]


async def measure(
    mode: str, rate: float, seconds: float, clients: int, env: dict[str, str] | None = None, alone: bool = False
) -> dict[str, float | str]:
    gateway_env = {**bench.GATEWAY_ENV, **(env or {})}
    with (
        tempfile.TemporaryDirectory(prefix="gateway-cpu-") as tmp,
        (gateway_alone if alone else full_mesh)(Path(tmp), gateway_env) as (pid, url),
    ):
        gateway = psutil.Process(pid)
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

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
    parser.add_argument("--alone", action="store_true", help="the gateway in front of instant stand-ins")
    args = parser.parse_args()
    env = dict(item.split("=", 1) for item in args.env)
    print(json.dumps(asyncio.run(measure(args.mode, args.rate, args.seconds, args.clients, env, args.alone))))


if __name__ == "__main__":
    main()
