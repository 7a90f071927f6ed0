"""Shared fixtures: the real services as real processes on loopback, on free ports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from services.common.registry import PersonaRegistry, persona_registry
from services.devmesh.processes import ServiceProcess
from services.devmesh.topology import MeshLayout, free_ports


@dataclass
class RunningMesh:
    """A whole mesh started for the test session."""

    layout: MeshLayout
    log_dir: Path
    processes: dict[str, ServiceProcess] = field(default_factory=dict)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.layout.ports['gateway-http']}"

    @property
    def gateway_target(self) -> str:
        return self.layout.addr("gateway")

    def addr(self, name: str) -> str:
        return self.layout.addr(name)

    def start(self, name: str, env: dict[str, str] | None = None) -> ServiceProcess:
        proc = self.layout.process(name, self.log_dir, env)
        proc.start()
        self.processes[name] = proc
        return proc

    def restart(self, name: str, timeout: float = 120.0) -> ServiceProcess:
        old = self.processes.get(name)
        if old is not None and old.alive():
            old.stop()
        proc = self.start(name)
        proc.wait_serving(timeout)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(list(self.processes.values())):
            proc.stop()


def start_mesh(
    tmp: Path,
    extra_env: dict[str, str] | None = None,
    gateway_env: dict[str, str] | None = None,
    registry: PersonaRegistry | None = None,
) -> RunningMesh:
    """Every service on free ports, each group SERVING before the next; the gateway may get settings of its own.

    `registry` runs the mesh on another persona registry (every process is pointed at its file).
    """
    registry = registry or persona_registry()
    layout = MeshLayout(
        data_dir=tmp / "data",
        ports=free_ports(registry),
        extra_env=extra_env or {},
        metrics=False,
        registry=registry,
    )
    mesh = RunningMesh(layout, tmp / "logs")
    try:
        for group in layout.start_order():
            procs = [mesh.start(name, gateway_env if name == "gateway" else None) for name in group]
            for proc in procs:
                proc.wait_serving(timeout=180)
    except BaseException:
        mesh.stop_all()
        raise
    return mesh


@pytest.fixture(scope="session")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMesh]:
    """The whole mesh (embeddings, abi, 2x abbey, 2x aviva, gateway), shared by the session's tests.

    Tests that kill or restart processes must use their own mesh (`start_mesh`) or restore what they broke.
    """
    running = start_mesh(tmp_path_factory.mktemp("mesh"), {"PM_ALLOW_ANONYMOUS": "true"})
    yield running
    running.stop_all()
