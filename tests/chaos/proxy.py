"""A TCP proxy in front of one service that injects network faults on loopback.

Killing a process shows what a crash looks like; a network fault looks different: the process is
fine, its port answers (or not), and bytes arrive late or never. The proxy stands between a client
(the gateway) and a service and switches between four modes while connections stay open:

- `pass`: bytes flow as they come;
- `delay`: every piece of at most `piece_bytes` is held `delay_s` (a slow link), both ways;
- `drop`: nothing moves either way but connections stay open, as in a partition: TCP would
  retransmit, so the bytes are held, not lost, and flow again once the mode changes;
- `refuse`: every connection is accepted and reset at once (the service is down), open ones too.
  Each refused attempt is recorded in `refused_at`: the client's reconnect backoff, measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from typing import Literal

Mode = Literal["pass", "delay", "drop", "refuse"]


class FaultProxy:
    """Forward 127.0.0.1:<port> to 127.0.0.1:<upstream_port>, with the mode's fault."""

    def __init__(
        self, upstream_port: int, *, piece_bytes: int = 64, delay_s: float = 0.05, mode: Mode = "pass"
    ) -> None:
        self.upstream_port = upstream_port
        self.piece_bytes = piece_bytes
        self.delay_s = delay_s
        self.mode: Mode = mode
        self.port = 0
        # monotonic times of connections refused, and of bytes passed towards the client.
        self.refused_at: list[float] = []
        self.last_delivery = 0.0
        self._moving = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._towards_client: set[asyncio.Queue[bytes]] = set()
        self._delivering = 0  # deliveries to a client under way (a chunk is being passed on in pieces)
        self.set_mode(mode)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def set_mode(self, mode: Mode) -> None:
        self.mode = mode
        if mode == "drop":
            self._moving.clear()
        else:
            self._moving.set()
        if mode == "refuse":
            for writer in list(self._writers):
                _reset(writer)

    def delivering(self, within_s: float = 0.2) -> bool:
        """Whether a service's bytes are on their way to a client (a stream is mid-answer)."""
        pending = self._delivering > 0 or any(not queue.empty() for queue in self._towards_client)
        return pending or time.monotonic() - self.last_delivery < within_s

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            _reset(writer)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "refuse":
            self.refused_at.append(time.monotonic())
            _reset(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            _reset(writer)
            return
        if self.mode == "refuse":  # refused while connecting upstream
            _reset(up_writer)
            _reset(writer)
            return
        to_service: asyncio.Queue[bytes] = asyncio.Queue()
        to_client: asyncio.Queue[bytes] = asyncio.Queue()
        self._towards_client.add(to_client)
        self._writers.update((writer, up_writer))
        tasks = {
            asyncio.create_task(_collect(reader, to_service)),
            asyncio.create_task(_collect(up_reader, to_client)),
            asyncio.create_task(self._deliver(to_service, up_writer, towards_client=False)),
            asyncio.create_task(self._deliver(to_client, writer, towards_client=True)),
        }
        self._tasks.update(tasks)
        try:
            # Either end closing ends the connection at once: bytes not yet delivered are dropped, as a
            # client of a process that died mid-answer never gets what the process had not sent.
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            self._tasks.difference_update(tasks)
            self._towards_client.discard(to_client)
            for end in (writer, up_writer):
                self._writers.discard(end)
                _reset(end)

    async def _deliver(
        self, queue: asyncio.Queue[bytes], writer: asyncio.StreamWriter, *, towards_client: bool
    ) -> None:
        with contextlib.suppress(OSError):
            while True:
                data = await queue.get()
                self._delivering += towards_client
                try:
                    while data:
                        await self._moving.wait()
                        delayed = self.mode == "delay"
                        if delayed:
                            await asyncio.sleep(self.delay_s)
                        size = self.piece_bytes if delayed else len(data)
                        writer.write(data[:size])
                        data = data[size:]
                        await writer.drain()
                        if towards_client:
                            self.last_delivery = time.monotonic()
                finally:
                    self._delivering -= towards_client


async def _collect(reader: asyncio.StreamReader, queue: asyncio.Queue[bytes]) -> None:
    """Read one end's bytes as they come (held in `queue` for delivery); returns when that end closes."""
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            queue.put_nowait(data)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST (SO_LINGER 0): what a peer sees of a dead process or a refused connection."""
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError):
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
