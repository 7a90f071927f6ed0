"""Start, watch and stop one service process on loopback."""

from __future__ import annotations

import fcntl
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

# The settings that carry the mesh's internal secret (services/common/internal_auth.py).
SECRET_SETTINGS = ("PM_INTERNAL_SECRET", "PM_INTERNAL_SECRET_FILE")
_mesh_secret = ""


def mesh_secret() -> str:
    """The internal secret of the meshes this process starts: random, made once per supervisor (or test run).

    Every ServiceProcess gets it unless its own env sets one of SECRET_SETTINGS; tests sign their
    own internal calls with it, as the gateway does.
    """
    global _mesh_secret
    if not _mesh_secret:
        _mesh_secret = secrets.token_urlsafe(32)
    return _mesh_secret


# Ports handed out by free_port, each with its lock file held open for the life of this process.
_reserved: dict[int, IO[bytes]] = {}
PORT_LOCKS = Path(tempfile.gettempdir()) / f"persona-mesh-ports-{os.getuid()}"
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def port_range() -> tuple[int, int] | None:
    """Where free_port picks: below (else above) the kernel's ephemeral range; None when neither has room.

    A port the kernel chose (bind to port 0, or the source port of a connection) was free a moment
    ago, and nothing stops the kernel from giving it to the next process that asks: milvus-lite's
    server, started inside the embedding index, binds port 0, and took ports the harness had just
    handed to a persona (which then could not bind). The kernel chooses only inside its ephemeral
    range, so ports outside it cannot be taken that way.
    """
    try:
        low, high = (int(value) for value in EPHEMERAL_RANGE.read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999  # Linux's default
    if low - 10_000 >= 1000:
        return 10_000, low - 1
    if 65535 - high >= 1000:
        return high + 1, 65535
    return None


def reserve_port(port: int) -> bool:
    """Take the port's lock file (no other process running this code hands the port out while we live)."""
    PORT_LOCKS.mkdir(parents=True, exist_ok=True)
    lock = (PORT_LOCKS / f"{port}.lock").open("ab")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        return False
    _reserved[port] = lock
    return True


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A loopback TCP port nobody listens on, outside the kernel's ephemeral range (port_range), reserved
    for this process: handed out once, and never by another test run or supervisor on the machine."""
    picks = port_range()
    if picks is None:  # no room outside the ephemeral range: let the kernel choose
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])
    chooser = random.SystemRandom()
    for _ in range(1000):
        port = chooser.randint(*picks)
        if port in _reserved or not reserve_port(port):
            continue
        if _bindable(port):
            return port
        _reserved.pop(port).close()
    raise RuntimeError(f"no free port in {picks[0]}-{picks[1]}")


def health_status(target: str, service: str = "", timeout: float = 1.0) -> str:
    """ "SERVING", "NOT_SERVING", "UNKNOWN"... or "UNREACHABLE"."""
    with grpc.insecure_channel(target) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout
            )
        except grpc.RpcError:
            return "UNREACHABLE"
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


@dataclass
class ServiceProcess:
    """One service run as `python -m <module>` with its own environment and log file."""

    name: str
    module: str
    port: int
    env: dict[str, str] = field(default_factory=dict)
    log_dir: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        inherited = {name: value for name, value in os.environ.items() if name not in SECRET_SETTINGS}
        env = {**inherited, "PM_PORT": str(self.port), **self.env}
        if not any(name in self.env for name in SECRET_SETTINGS):
            env["PM_INTERNAL_SECRET"] = mesh_secret()
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            self._log = (self.log_dir / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module],
            env=env,
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if self._log else None,
            start_new_session=True,  # Ctrl-C in a terminal reaches the supervisor only; it stops children itself.
        )

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start_serving(self, timeout: float = 60.0) -> ServiceProcess:
        """Start and wait until SERVING; a process that never gets there is stopped, not left behind."""
        self.start()
        try:
            self.wait_serving(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_serving(self, timeout: float = 60.0, cancelled: Callable[[], bool] = lambda: False) -> bool:
        """Block until the health service says SERVING (True), or `cancelled()` turns true (False).

        Raises if the process dies or time runs out.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cancelled():
                return False
            if not self.alive():
                raise RuntimeError(f"{self.name} exited with {self.returncode()} before serving; {self.log_hint()}")
            if health_status(self.target) == "SERVING":
                return True
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} not SERVING after {timeout:.0f}s; {self.log_hint()}")

    def log_hint(self) -> str:
        return f"see {self.log_dir / (self.name + '.log')}" if self.log_dir else "no log captured"

    def signal(self, signum: int) -> None:
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signum)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, wait for a clean drain, SIGKILL if it does not come."""
        self.signal(signal.SIGTERM)
        return self.wait_exit(timeout)

    def wait_exit(self, timeout: float = 15.0) -> int | None:
        """Wait for the process to end (after a signal sent earlier), SIGKILL after `timeout`."""
        if self.process is None:
            return None
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self._log:
            self._log.close()
            self._log = None
        return self.process.returncode

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()
