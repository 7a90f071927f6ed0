"""Helpers for persona tests: real processes on free ports, typed stubs, raw calls."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from personamesh.v1 import persona_pb2, persona_service_pb2_grpc
from services.aviva.classifier import QueryClass
from services.aviva.compose import AvivaMaterial
from services.common.knowledge.passage import read
from services.common.knowledge.rerank import Ranked
from services.devmesh.processes import ServiceProcess, free_port
from tests.signing import signed

# The embedding index "down": port 1 is privileged, so no test service can ever listen there.
DEAD_INDEX = "127.0.0.1:1"

KNOWLEDGE = [
    index_pb2.KnowledgeDocument(
        source="tests-personas/python-lists.md",
        title="Python lists",
        url="https://docs.python.org/3/tutorial/datastructures.html",
        format="markdown",
        text=(
            "# Python lists\n\n"
            "A Python list is a mutable sequence type. Lists keep insertion order and may hold items of "
            "different types. To reverse a list in place, call its reverse() method; reversed() returns an "
            "iterator instead.\n\n"
            "```python\nnumbers = [1, 2, 3]\nnumbers.reverse()\nprint(numbers)\n```\n\n"
            "The sort() method sorts a list in place and is stable. The built-in sorted() returns a new list.\n"
        ),
    ),
    index_pb2.KnowledgeDocument(
        source="tests-personas/tcp.txt",
        title="TCP congestion control",
        url="https://example.org/tcp-congestion",
        format="text",
        text=(
            "TCP congestion control limits how much data a sender puts into the network. TCP slow start "
            "grows the congestion window exponentially until packet loss. After a loss, congestion avoidance "
            "grows the congestion window linearly."
        ),
    ),
    index_pb2.KnowledgeDocument(
        source="tests-personas/mountains.txt",
        title="Mountains of the world",
        url="https://example.org/mountains",
        format="text",
        text=(
            "Mount Everest is the highest mountain above sea level, at 8,849 metres. It stands on the border "
            "between Nepal and China. K2 is the second highest mountain on Earth."
        ),
    ),
]


def persona_process(
    name: str, module: str, log_dir: Path, index_addr: str, env: dict[str, str] | None = None
) -> ServiceProcess:
    """A persona replica on a free port; metrics off so parallel runs never collide."""
    base = {"PM_EMBEDDINGS_ADDR": index_addr, "PM_METRICS_PORT": "-1", "PM_LOG_LEVEL": "INFO"}
    return ServiceProcess(name, module, free_port(), {**base, **(env or {})}, log_dir)


@contextmanager
def running(*processes: ServiceProcess, timeout: float = 120.0) -> Iterator[None]:
    """Start the processes, wait until each is SERVING, stop them (SIGTERM) afterwards."""
    try:
        for process in processes:
            process.start()
        for process in processes:
            process.wait_serving(timeout)
        yield
    finally:
        for process in processes:
            process.stop()


def stub(target: str) -> tuple[grpc.aio.Channel, persona_service_pb2_grpc.PersonaServiceAsyncStub]:
    channel = grpc.aio.insecure_channel(target)
    return channel, persona_service_pb2_grpc.PersonaServiceStub(channel)


async def chat(target: str, request: persona_pb2.PersonaRequest, deadline: float = 10.0) -> persona_pb2.PersonaResponse:
    """A Chat call as the gateway makes it: signed for the request's user (the persona forwards the token
    when it reads or stores that user's memory)."""
    channel, persona = stub(target)
    async with channel:
        return await persona.Chat(request, metadata=signed(request.user_id), timeout=deadline)


async def chat_stream(
    target: str, request: persona_pb2.PersonaRequest, deadline: float = 10.0
) -> list[persona_pb2.PersonaStreamEvent]:
    channel, persona = stub(target)
    async with channel:
        call = persona.ChatStream(request, metadata=signed(request.user_id), timeout=deadline)
        return [event async for event in call]


async def raw_call(target: str, method: str, payload: bytes, stream: bool = False) -> None:
    """Send bytes that are not a valid message (for example invalid UTF-8) straight to a method."""
    async with grpc.aio.insecure_channel(target) as channel:
        path = f"/personamesh.v1.PersonaService/{method}"
        if stream:
            call = channel.unary_stream(path, request_serializer=lambda b: b, response_deserializer=lambda b: b)
            async for _ in call(payload, timeout=5):
                pass
        else:
            unary = channel.unary_unary(path, request_serializer=lambda b: b, response_deserializer=lambda b: b)
            await unary(payload, timeout=5)


@dataclass
class Upstream:
    """The stand-in OpenAI-compatible server, a real HTTP process."""

    port: int
    process: subprocess.Popen[bytes]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def calls(self, model: str) -> int:
        stats = httpx.get(f"http://127.0.0.1:{self.port}/stats", timeout=5).json()
        return int(stats["calls"].get(model, 0))

    def last_request(self) -> dict[str, object]:
        return dict(httpx.get(f"http://127.0.0.1:{self.port}/stats", timeout=5).json()["last_request"])

    def last_authorization(self) -> str:
        """The Authorization header of the last chat request ("" when it had none)."""
        return str(httpx.get(f"http://127.0.0.1:{self.port}/stats", timeout=5).json()["last_authorization"])


def wait_for_http(
    url: str, process: subprocess.Popen[bytes], within: float, log: Path, *, interval: float = 0.5
) -> None:
    """Wait until GET `url` answers 200; fail early when the process exits (see `log` for why)."""
    deadline = time.monotonic() + within
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}; see {log}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} not ready after {within:.0f}s; see {log}")
        time.sleep(interval)


@contextmanager
def upstream_process(log_dir: Path, slow_seconds: float = 1.5) -> Iterator[Upstream]:
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / "openai-upstream.log").open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.fakes.openai_upstream",
                "--port",
                str(port),
                "--slow-seconds",
                str(slow_seconds),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", process, 30, log_dir / "openai-upstream.log", interval=0.1)
        yield Upstream(port, process)
    finally:
        process.terminate()
        process.wait(10)


def answered_from(question: str, hit: index_pb2.KnowledgeHit, query_type: str, score: float = 0.9) -> AvivaMaterial:
    """What Aviva's composer reads when one passage, confident at `score`, answers `question` (no code asked)."""
    return AvivaMaterial(
        content=question,
        query=QueryClass(query_type, 0.9, "routing"),
        knowledge=[hit],
        code=None,
        sentences=2,
        knowledge_available=True,
        ranked=(Ranked(read(hit), score=score, confidence=score),),
        answer_threshold=0.5,
    )
