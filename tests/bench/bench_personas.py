"""Abbey and Aviva as real processes: Chat latency and throughput, stream timing, memory.

Runs the composer backend against a real embedding index (test knowledge, no
seed), the same with the index down (breaker-guarded degraded path), and the
OpenAI-compatible backend against the stand-in upstream. `make bench` runs it;
alone: `.venv/bin/python -m tests.bench personas`.
"""

from __future__ import annotations

import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import grpc

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from personamesh.v1 import embedding_index_service_pb2_grpc as index_grpc
from personamesh.v1 import persona_pb2, persona_service_pb2_grpc
from services.devmesh.processes import ServiceProcess, free_port
from tests.bench import stats
from tests.personas.support import DEAD_INDEX, KNOWLEDGE, persona_process, running, upstream_process
from tests.signing import signed

MESSAGES = {
    "abbey": [
        "I feel so alone since my dog died last week",
        "I'm stressed about three deadlines this week",
        "How does TCP congestion control work?",
        "I finally got the job I wanted, I'm thrilled!",
    ],
    "aviva": [
        "How do I reverse a list in Python?",
        "What is the highest mountain above sea level?",
        "How does TCP slow start grow the congestion window?",
        "Write a rust function to parse a config file",
    ],
}


async def _measure(target: str, persona: str, *, total: int, concurrency: int) -> dict[str, float]:
    async with grpc.aio.insecure_channel(target) as channel:
        stub = persona_service_pb2_grpc.PersonaServiceStub(channel)
        messages = MESSAGES[persona]

        async def call(i: int) -> None:
            user = f"bench-{i % 16}"
            request = persona_pb2.PersonaRequest(content=messages[i % len(messages)], user_id=user)
            # Signed for the user, as the gateway does: the persona's memory calls carry it to the index.
            await stub.Chat(request, metadata=signed(user), timeout=30)

        return await stats.run_concurrent(call, total=total, concurrency=concurrency)


async def _stream_timing(target: str, content: str, total: int = 100) -> dict[str, float]:
    """Time to the first delta and to the final event of ChatStream, one call at a time."""
    first: list[float] = []
    final: list[float] = []
    async with grpc.aio.insecure_channel(target) as channel:
        stub = persona_service_pb2_grpc.PersonaServiceStub(channel)
        for _ in range(total):
            start = time.perf_counter()
            seen_first = False
            async for _event in stub.ChatStream(persona_pb2.PersonaRequest(content=content), timeout=30):
                if not seen_first:
                    first.append(time.perf_counter() - start)
                    seen_first = True
            final.append(time.perf_counter() - start)
    return {
        "first_delta_p50_ms": stats.summarize(first)["p50_ms"],
        "final_p50_ms": stats.summarize(final)["p50_ms"],
        "final_p99_ms": stats.summarize(final)["p99_ms"],
    }


async def main() -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-personas-") as tmp, ExitStack() as stack:
        root = Path(tmp)
        index = ServiceProcess(
            "embeddings",
            "services.embeddings",
            free_port(),
            {"PM_DATA_DIR": str(root / "data"), "PM_METRICS_PORT": "-1", "PM_KNOWLEDGE_SEED": "off"},
            root / "logs",
        )
        stack.enter_context(running(index, timeout=180))
        with grpc.insecure_channel(index.target) as channel:
            index_grpc.EmbeddingIndexServiceStub(channel).UpsertKnowledge(
                index_pb2.UpsertKnowledgeRequest(documents=KNOWLEDGE), timeout=60
            )
        upstream = stack.enter_context(upstream_process(root / "logs"))
        logs = root / "logs"
        procs = {
            "abbey": persona_process("abbey", "services.abbey", logs, index.target, {"PM_LOG_LEVEL": "WARNING"}),
            "aviva": persona_process("aviva", "services.aviva", logs, index.target, {"PM_LOG_LEVEL": "WARNING"}),
            "abbey-no-index": persona_process(
                "abbey-no-index", "services.abbey", logs, DEAD_INDEX, {"PM_LOG_LEVEL": "ERROR"}
            ),
            "aviva-llm": persona_process(
                "aviva-llm",
                "services.aviva",
                logs,
                index.target,
                {"PM_LOG_LEVEL": "WARNING", "PM_LLM_BASE_URL": upstream.base_url, "PM_LLM_MODEL": "echo-model"},
            ),
        }
        stack.enter_context(running(*procs.values()))

        rows: dict[str, dict[str, float]] = {}
        for persona in ("abbey", "aviva"):
            target = procs[persona].target
            rows[f"{persona} Chat, composer + index, 1 client"] = await _measure(
                target, persona, total=300, concurrency=1
            )
            rows[f"{persona} Chat, composer + index, 8 clients"] = await _measure(
                target, persona, total=800, concurrency=8
            )
        rows["abbey Chat, index down (degraded), 1 client"] = await _measure(
            procs["abbey-no-index"].target, "abbey", total=300, concurrency=1
        )
        rows["aviva Chat, openai backend (stand-in), 1 client"] = await _measure(
            procs["aviva-llm"].target, "aviva", total=200, concurrency=1
        )
        rows["aviva Chat, openai backend (stand-in), 8 clients"] = await _measure(
            procs["aviva-llm"].target, "aviva", total=400, concurrency=8
        )
        stats.print_table("personas: Chat latency (ms) and throughput (req/s)", rows)
        streams = {
            "abbey ChatStream, composer": await _stream_timing(procs["abbey"].target, MESSAGES["abbey"][0]),
            "aviva ChatStream, openai backend": await _stream_timing(procs["aviva-llm"].target, MESSAGES["aviva"][0]),
        }
        stats.print_table("personas: ChatStream timing (ms)", streams)
        memory = {
            name: {"peak_rss_mib": stats.peak_rss_mib(proc.process.pid)}  # type: ignore[union-attr]
            for name, proc in procs.items()
        }
        stats.print_table("personas: peak memory per replica", memory)
        figures = {"chat": rows, "stream": streams, "memory": memory}
    return figures
