"""A message with hundreds of code blocks: a bounded number is checked, and the replica keeps serving meanwhile.

A real Aviva replica behind the stand-in model (which echoes the message, so the answer carries every block
too). A chat message holds at most 32,000 characters, so the checking of one message costs ~0.2 s here: too
little to tell "off the loop" from "on the loop" across processes on a loaded 2-core machine (a 0.27 s ping
was once seen in CI under coverage). That claim is proven in-process, against the same work done on the loop,
by tests/personas/test_codeblocks.py; this test proves the cap, the checks and that no call waits a second.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from personamesh.v1 import persona_pb2, persona_service_pb2
from services.devmesh.processes import ServiceProcess
from tests.personas.support import DEAD_INDEX, Upstream, chat, persona_process, running, stub

BLOCKS = 300
CAP = 120


@pytest.fixture(scope="module")
def echo_aviva(upstream: Upstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    env = {
        "PM_LLM_BASE_URL": upstream.base_url,
        "PM_LLM_API_KEY": "test-key",
        "PM_LLM_MODEL": "echo-model",
        "PM_CODE_CHECK_MAX_BLOCKS": str(CAP),
    }
    process = persona_process("aviva-echo", "services.aviva", Path(tmp_path_factory.mktemp("echo")), DEAD_INDEX, env)
    with running(process):
        yield process


def _message() -> str:
    # Unlabelled, with no telltale syntax: every block gets a Pygments guess before its parse.
    blocks = [f"```\nvalue_{i} = compute({i}, limit={i + 1})\nresult_{i} = value_{i} * 2\n```" for i in range(BLOCKS)]
    return "Check these:\n" + "\n".join(blocks)


async def test_replica_keeps_serving_while_hundreds_of_blocks_are_checked(echo_aviva: ServiceProcess) -> None:
    channel, persona = stub(echo_aviva.target)
    async with channel:
        await persona.Describe(persona_service_pb2.DescribeRequest(), timeout=5)  # connected and warm
        request = persona_pb2.PersonaRequest(content=_message())
        answer = asyncio.create_task(chat(echo_aviva.target, request, deadline=60))
        pings: list[float] = []
        while not answer.done():
            started = time.perf_counter()
            await persona.Describe(persona_service_pb2.DescribeRequest(), timeout=5)
            pings.append(time.perf_counter() - started)
            await asyncio.sleep(0.01)
        response = await answer
    blocks = response.code_blocks
    assert len(blocks) == BLOCKS, response.content[:200]
    checked = blocks[:CAP]
    assert all(block.check == persona_pb2.CODE_CHECK_VALID and block.valid for block in checked)
    assert {block.language for block in checked} == {"python"}
    assert all(block.check == persona_pb2.CODE_CHECK_UNCHECKED and not block.valid for block in blocks[CAP:])
    # The replica answered other calls all along, none of them held up for anything like a second.
    assert len(pings) >= 5, pings
    assert max(pings) < 1.0, max(pings)
