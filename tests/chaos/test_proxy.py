"""The fault proxy does what each mode says, so the chaos scenarios and the reconnect test measure real faults."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest

from tests.chaos.proxy import FaultProxy


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(1024):
            writer.write(data)
            await writer.drain()
    writer.close()


@pytest.fixture
async def proxy() -> AsyncIterator[FaultProxy]:
    server = await asyncio.start_server(_echo, "127.0.0.1", 0)
    fault = FaultProxy(server.sockets[0].getsockname()[1], piece_bytes=4, delay_s=0.05)
    await fault.start()
    yield fault
    await fault.close()
    server.close()


async def _roundtrip(proxy: FaultProxy, payload: bytes, within: float = 5.0) -> tuple[bytes, float]:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    began = time.monotonic()
    try:
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.readexactly(len(payload)), within), time.monotonic() - began
    finally:
        writer.close()


async def test_pass_and_delay(proxy: FaultProxy) -> None:
    echoed, fast = await _roundtrip(proxy, b"12345678")
    assert echoed == b"12345678" and fast < 0.05
    proxy.set_mode("delay")
    echoed, slow = await _roundtrip(proxy, b"12345678")  # pieces of 4 bytes, each held 50 ms on each way
    assert echoed == b"12345678" and slow >= 0.1


async def test_drop_holds_bytes_until_healed(proxy: FaultProxy) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    proxy.set_mode("drop")
    writer.write(b"held")
    await writer.drain()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.readexactly(4), 0.3)
    proxy.set_mode("pass")
    assert await asyncio.wait_for(reader.readexactly(4), 2) == b"held"
    writer.close()


async def test_refuse_resets_and_records_attempts(proxy: FaultProxy) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(b"up")
    assert await asyncio.wait_for(reader.readexactly(2), 2) == b"up"  # connected through to the service
    proxy.set_mode("refuse")
    try:
        data = await asyncio.wait_for(reader.read(10), 2)
    except ConnectionResetError:
        data = b""
    assert data == b"", "the open connection is reset"
    writer.close()
    for _ in range(2):
        with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
            await _roundtrip(proxy, b"x")
    assert len(proxy.refused_at) == 2
