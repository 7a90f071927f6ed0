"""Abi's Route latency: in process (model + router, and the router alone) and over gRPC at 1 and 32 callers.

The gRPC figures include Abi's GetWeights call to the embedding index (made while the model runs), as
in production; a second set runs against an Abi whose index is unreachable (breaker open) to show
Abi's own cost over the wire.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from personamesh.v1 import abi_service_pb2, persona_pb2
from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from services.abi.model import AbiModel
from services.abi.router import Evidence, PersonaRouter, RouteInput
from services.abi.rules.store import DEFAULT_RULES_PATH, RuleStore
from services.abi.training.fixtures import SHARED
from services.common.clients import AbiClient
from services.devmesh.processes import ServiceProcess, free_port
from tests.bench import stats
from tests.signing import SignedIndexClient

MESSAGES = [json.loads(line)["text"] for line in (SHARED / "eval/routing.jsonl").read_text().splitlines()[:200]]
# Everyday plans the model alone reads as threats: each costs the threat verifier's second reading
# (services/abi/verifier.py), which ordinary messages rarely need.
PLANS = (
    "I'll pick up {name} from school at {hour}",
    "the electrician will be at {name}'s house on wednesday at {hour}",
    "I'm meeting {name} at the station at {hour} tomorrow",
)
NAMES = ("Tom", "Priya", "Sophie", "Marco", "Jess", "Leo", "Amara")


def bench_in_process() -> dict[str, dict[str, float]]:
    """One message at a time on one thread, as the service runs it: the model, then the router."""
    router = PersonaRouter(AbiModel(threads=1))
    rules = RuleStore(DEFAULT_RULES_PATH, router.base_policy, persist=False).active
    texts = MESSAGES[:64]
    total, decide_only = [], []
    for round_ in range(5):
        for text in texts:
            start = time.perf_counter()
            request = RouteInput(text)
            reading = router.read(request, rules.policy)
            middle = time.perf_counter()
            router.decide(request, reading, Evidence(), rules)
            end = time.perf_counter()
            if round_:
                total.append(end - start)
                decide_only.append(end - middle)
    return {
        "Route in process (model + router, 1 thread)": stats.summarize(total),
        "Route in process (router only, scores given)": stats.summarize(decide_only),
    }


def _start(tmp: Path) -> tuple[list[ServiceProcess], str, str]:
    env = {"PM_DATA_DIR": str(tmp / "data"), "PM_METRICS_PORT": "-1"}
    index = ServiceProcess("embeddings", "services.embeddings", free_port(), env, tmp / "logs")
    index.start()
    index.wait_serving(timeout=180)
    abi = ServiceProcess("abi", "services.abi", free_port(), {**env, "PM_EMBEDDINGS_ADDR": index.target}, tmp / "logs")
    dead = ServiceProcess(
        "abi-degraded",
        "services.abi",
        free_port(),
        {**env, "PM_EMBEDDINGS_ADDR": f"127.0.0.1:{free_port()}"},
        tmp / "logs",
    )
    for proc in (abi, dead):
        proc.start()
    for proc in (abi, dead):
        proc.wait_serving(timeout=120)
    return [index, abi, dead], abi.target, dead.target


async def bench_grpc(target: str, label: str, rows: dict[str, dict[str, float]], *, conversation: bool = False) -> None:
    """Route at 1 and 32 callers; with `conversation`, also at 1 caller with two earlier user messages (a message
    that is no crisis alone then costs a second model pass: services/abi/conversation.py), and at 1 caller with
    everyday plans the threat verifier reads a second time."""
    client = AbiClient(target, timeout=10.0)
    offset = len(rows) * 100_000

    def request(i: int, earlier: int = 0) -> abi_service_pb2.RouteRequest:
        # A unique text per call: the index caches vectors of repeated texts, production traffic rarely repeats.
        content = f"{MESSAGES[i % len(MESSAGES)]} (#{offset + i})"
        turns = [
            persona_pb2.Turn(role=persona_pb2.ROLE_USER, content=MESSAGES[(i + j + 1) % len(MESSAGES)])
            for j in range(earlier)
        ]
        return abi_service_pb2.RouteRequest(request=persona_pb2.PersonaRequest(content=content, recent_turns=turns))

    async def call(i: int) -> Any:
        return await client.stub.Route(request(i), timeout=10.0)

    async def call_in_conversation(i: int) -> Any:
        return await client.stub.Route(request(i, earlier=2), timeout=10.0)

    async def call_with_a_plan(i: int) -> Any:
        text = PLANS[i % len(PLANS)].format(name=NAMES[i % len(NAMES)], hour=1 + (offset + i) % 12)
        return await client.stub.Route(
            abi_service_pb2.RouteRequest(request=persona_pb2.PersonaRequest(content=text)), timeout=10.0
        )

    for concurrency, total in ((1, 400), (32, 2000)):
        rows[f"Route over gRPC, {label}, {concurrency} caller(s)"] = await stats.run_concurrent(
            call, total=total, concurrency=concurrency, warmup=20
        )
    if conversation:
        rows[f"Route over gRPC, {label}, 1 caller, two earlier user messages"] = await stats.run_concurrent(
            call_in_conversation, total=400, concurrency=1, warmup=20
        )
        rows[f"Route over gRPC, {label}, 1 caller, plans read a second time"] = await stats.run_concurrent(
            call_with_a_plan, total=400, concurrency=1, warmup=20
        )
    await client.close()


async def bench_index_alone(target: str, rows: dict[str, dict[str, float]]) -> None:
    """The index's share: GetWeights as Abi calls it (signed for the user, as the gateway's token), without Abi."""
    client = SignedIndexClient(target, timeout=10.0)

    async def weights(i: int) -> Any:
        return await client.stub.GetWeights(index_pb2.GetWeightsRequest(user_id=f"u{i % 7}"), timeout=10.0)

    rows["index GetWeights alone, 1 caller"] = await stats.run_concurrent(weights, total=300, concurrency=1)
    await client.close()


async def main() -> dict[str, Any]:
    rows: dict[str, dict[str, float]] = bench_in_process()
    with tempfile.TemporaryDirectory(prefix="bench-abi-") as tmp:
        processes, live, degraded = _start(Path(tmp))
        try:
            await bench_index_alone(processes[0].target, rows)
            await bench_grpc(live, "with embedding index", rows, conversation=True)
            await bench_grpc(degraded, "index down (no learned weights)", rows)
            rows["abi peak RSS MiB"] = {"value": stats.peak_rss_mib(processes[1].process.pid)}  # type: ignore[union-attr]
        finally:
            for proc in reversed(processes):
                proc.stop()
    stats.print_table("abi: Route latency", rows)
    return rows
