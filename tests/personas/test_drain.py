"""SIGTERM drain of a persona: NOT_SERVING at once, the in-flight ChatStream completes, exit code 0."""

from __future__ import annotations

import asyncio
import signal
import time

import grpc
import pytest

from personamesh.v1 import persona_pb2
from services.devmesh.processes import health_status
from tests.personas.support import DEAD_INDEX, Upstream, persona_process, stub


async def test_sigterm_drains_in_flight_stream(upstream: Upstream, tmp_path_factory: pytest.TempPathFactory) -> None:
    # The "slow" model answers after 1.5 s, so the stream is in flight when SIGTERM arrives.
    process = persona_process(
        "abbey-drain",
        "services.abbey",
        tmp_path_factory.mktemp("drain"),
        DEAD_INDEX,
        {
            "PM_LLM_BASE_URL": upstream.base_url,
            "PM_LLM_MODEL": "slow",
            "PM_DRAIN_DELAY_SECONDS": "0.5",
            "PM_GRACE_SECONDS": "10",
        },
    )
    process.start()
    try:
        process.wait_serving(60)
        channel, persona = stub(process.target)
        async with channel:
            call = persona.ChatStream(persona_pb2.PersonaRequest(content="Tell me something calm"), timeout=15)
            collect = asyncio.ensure_future(_collect(call))
            await asyncio.sleep(0.4)
            process.signal(signal.SIGTERM)
            statuses: list[str] = []
            started = time.monotonic()
            while time.monotonic() - started < 0.4:
                statuses.append(await asyncio.to_thread(health_status, process.target))
                await asyncio.sleep(0.05)
            assert "NOT_SERVING" in statuses, statuses
            events = await collect
        kinds = [event.WhichOneof("event") for event in events]
        assert kinds[-1] == "final" and kinds.count("final") == 1
        assert events[-1].final.content.startswith("Echo: Tell me something calm")
        code = await asyncio.to_thread(process.process.wait, 20)  # type: ignore[union-attr]
        assert code == 0
    finally:
        process.stop()


async def _collect(
    call: grpc.aio.UnaryStreamCall[persona_pb2.PersonaRequest, persona_pb2.PersonaStreamEvent],
) -> list[persona_pb2.PersonaStreamEvent]:
    return [event async for event in call]
