"""Would hedged unary calls help the p99? `python -m tests.bench.hedging` (not part of `make bench`).

Issue 11 asks for hedging "behind a setting, if measurement shows it helps p99". This measures it on the
real thing: Chat calls to aviva's two replicas of a private mesh, each request sent to one replica, or
hedged: sent to one and, if no answer came within the hedge delay (the unhedged p95 at that
concurrency, the usual choice), also to the other, the first answer winning and the other cancelled.
It prints p50/p95/p99 of both and how many extra calls hedging cost. docs/gateway.md has the figures
and the decision.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import grpc

from personamesh.v1 import persona_pb2, persona_service_pb2_grpc
from tests.bench import stats
from tests.bench.bench_personas import MESSAGES
from tests.conftest import start_mesh
from tests.signing import signed

TOTAL = 400


async def _measure(stubs: list[Any], concurrency: int, hedge_after_s: float | None) -> tuple[dict[str, float], int]:
    """Latency figures of TOTAL calls, and how many hedges were sent."""
    hedges = 0
    chooser = random.Random(7)

    async def one(stub: Any, i: int) -> None:
        user = f"hedge-{i % 16}"
        request = persona_pb2.PersonaRequest(content=MESSAGES["aviva"][i % 4] + f" ({i})", user_id=user)
        await stub.Chat(request, metadata=signed(user), timeout=30)

    async def call(i: int) -> None:
        nonlocal hedges
        first = chooser.randrange(len(stubs))
        primary = asyncio.create_task(one(stubs[first], i))
        if hedge_after_s is None:
            await primary
            return
        done, _ = await asyncio.wait({primary}, timeout=hedge_after_s)
        if done:
            primary.result()
            return
        hedges += 1
        backup = asyncio.create_task(one(stubs[1 - first], i))
        done, pending = await asyncio.wait({primary, backup}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        next(iter(done)).result()

    figures = await stats.run_concurrent(call, total=TOTAL, concurrency=concurrency)
    return figures, hedges


async def measure(targets: list[str]) -> dict[str, Any]:
    channels = [grpc.aio.insecure_channel(target) for target in targets]
    stubs = [persona_service_pb2_grpc.PersonaServiceStub(channel) for channel in channels]
    out: dict[str, Any] = {}
    try:
        for concurrency in (1, 4, 8):
            plain, _ = await _measure(stubs, concurrency, None)
            delay_s = plain["p95_ms"] / 1000.0
            hedged, hedges = await _measure(stubs, concurrency, delay_s)
            out[f"c{concurrency}"] = {
                "plain": plain,
                "hedged": hedged,
                "hedges": hedges,
                "hedge_after_ms": delay_s * 1e3,
            }
            print(
                f"concurrency {concurrency}: plain p50 {plain['p50_ms']:.1f} p95 {plain['p95_ms']:.1f}"
                f" p99 {plain['p99_ms']:.1f} ms ({plain['throughput_per_s']}/s) | hedged after {delay_s * 1e3:.1f} ms:"
                f" p50 {hedged['p50_ms']:.1f} p95 {hedged['p95_ms']:.1f} p99 {hedged['p99_ms']:.1f} ms"
                f" ({hedged['throughput_per_s']}/s), {hedges} hedges ({100 * hedges / TOTAL:.0f}% more calls)",
                flush=True,
            )
    finally:
        for channel in channels:
            await channel.close()
    return out


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="pm-hedging-"))
    began = time.monotonic()
    mesh = start_mesh(tmp)
    print(f"mesh up in {time.monotonic() - began:.0f} s; aviva replicas {mesh.layout.replicas('aviva')}", flush=True)
    try:
        asyncio.run(measure(mesh.layout.replicas("aviva")))
    finally:
        mesh.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
