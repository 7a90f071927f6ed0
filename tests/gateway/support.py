"""Helpers for gateway tests: API keys, extra gateway processes, private meshes, a TCP relay."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from gateway.auth import key_entry
from services.devmesh.processes import ServiceProcess, free_port
from services.devmesh.topology import MeshLayout
from tests.conftest import RunningMesh, start_mesh

KEYS = {
    "admin": "pm_test_admin_0123456789abcdef",
    "operator": "pm_test_operator_0123456789abcdef",
    "user": "pm_test_user_0123456789abcdef",
    "other": "pm_test_other_0123456789abcdef",
}
ROLES = {"admin": "admin", "operator": "operator", "user": "user", "other": "user"}


def keys_env() -> dict[str, str]:
    entries = [key_entry(key, f"{name}-user", ROLES[name]) for name, key in KEYS.items()]
    return {"PM_API_KEYS": ",".join(entries)}


def auth(name: str = "user") -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[name]}"}


@dataclass
class GatewayProcess:
    process: ServiceProcess
    http_port: int

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def target(self) -> str:
        return self.process.target


def start_gateway(layout: MeshLayout, log_dir: Path, name: str, env: dict[str, str] | None = None) -> GatewayProcess:
    """A gateway process of our own over a mesh's backends (keys configured, no anonymous access)."""
    http_port = free_port()
    merged = {
        **layout.common_env(),
        "PM_HTTP_PORT": str(http_port),
        "PM_METRICS_PORT": "-1",
        "PM_ALLOW_ANONYMOUS": "false",
        "PM_HEALTH_INTERVAL_SECONDS": "0.5",
        **keys_env(),
        **(env or {}),
    }
    process = ServiceProcess(name, "gateway", free_port(), merged, log_dir).start_serving(60)
    return GatewayProcess(process, http_port)


def start_private_mesh(
    tmp: Path, *, extra_env: dict[str, str] | None = None, gateway_env: dict[str, str] | None = None
) -> RunningMesh:
    """Every service of a mesh on free ports; the gateway gets the test keys and its own settings on top."""
    return start_mesh(tmp, extra_env, {**keys_env(), **(gateway_env or {})})


async def poll_json(url: str, check: Callable[[Any], bool], *, within: float = 15.0, headers: dict[str, str]) -> Any:
    """Poll a JSON endpoint until `check(json)` is true; return that JSON."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with httpx.AsyncClient(timeout=5) as client:
        while True:
            body = (await client.get(url, headers=headers)).json()
            if check(body):
                return body
            if loop.time() > deadline:
                raise AssertionError(f"condition not met in {within}s; last: {body}")
            await asyncio.sleep(0.1)


class Relay:
    """A TCP relay in front of a replica, passing the replica's bytes in small, delayed pieces.

    It stands for a slow network link: a replica behind it answers slowly, and
    when the replica dies the relay drops what it has not delivered and resets
    the connection, exactly what a client sees of a replica killed mid-answer.
    """

    def __init__(self, upstream_port: int, *, piece_bytes: int = 64, delay_s: float = 0.0) -> None:
        self.upstream_port = upstream_port
        self.piece_bytes = piece_bytes
        self.delay_s = delay_s
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._pending: set[asyncio.Queue[bytes]] = set()
        self._delivering = 0
        self._flowing = asyncio.Event()
        self._flowing.set()

    def hold(self) -> None:
        """Pass no more bytes either way, keeping the connections open: what a SIGSTOPped replica looks like."""
        self._flowing.clear()

    def release(self) -> None:
        self._flowing.set()

    def active_streams(self) -> bool:
        """Whether the replica's bytes are on their way to the client right now."""
        return self._delivering > 0 or any(not queue.empty() for queue in self._pending)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            _reset(client_writer)
            return
        pending: asyncio.Queue[bytes] = asyncio.Queue()
        self._pending.add(pending)
        tasks = {
            asyncio.create_task(self._forward(client_reader, up_writer)),
            asyncio.create_task(self._collect(up_reader, pending)),
            asyncio.create_task(self._deliver(pending, client_writer)),
        }
        self._tasks.update(tasks)
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        self._pending.discard(pending)
        for task in tasks:
            task.cancel()
        _reset(client_writer)
        _reset(up_writer)

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()

    @staticmethod
    async def _collect(reader: asyncio.StreamReader, pending: asyncio.Queue[bytes]) -> None:
        """Read the replica's bytes as they come; returns (ending the connection) when it dies."""
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                pending.put_nowait(data)

    async def _deliver(self, pending: asyncio.Queue[bytes], writer: asyncio.StreamWriter) -> None:
        while True:
            data = await pending.get()
            pieces: Iterable[bytes] = [data[i : i + self.piece_bytes] for i in range(0, len(data), self.piece_bytes)]
            self._delivering += 1
            try:
                for piece in pieces:
                    await self._flowing.wait()
                    writer.write(piece)
                    await writer.drain()
                    if self.delay_s:
                        await asyncio.sleep(self.delay_s)
            finally:
                self._delivering -= 1

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST (SO_LINGER 0): undelivered bytes are dropped, as when a process dies."""
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError):
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
