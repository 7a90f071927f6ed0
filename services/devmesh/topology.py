"""The local mesh: which processes, on which ports, in which order.

The answering personas and their replicas come from the persona registry (replica i of a persona
is process "<name>-<i>" on the registry's port + i - 1). Defaults match the documented ports; tests
pass `ports=free_ports()` so that several runs can share one machine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from services.common.registry import REGISTRY_ENV, PersonaRegistry, persona_registry
from services.common.settings import DEFAULT_PORTS as SERVICE_PORTS
from services.devmesh.processes import ServiceProcess, free_port

HTTP_PORT = 8080


def default_ports(registry: PersonaRegistry | None = None) -> dict[str, int]:
    """Process name -> port: the mesh's services, every local replica of every persona, the gateway's HTTP."""
    registry = registry or persona_registry()
    ports = {name: port for name, port in SERVICE_PORTS.items()}
    for name, entry in registry.entries.items():
        if entry.role == "answering":
            ports.update({f"{name}-{i + 1}": entry.port + i for i in range(entry.local_replicas)})
    ports["gateway-http"] = HTTP_PORT
    return ports


DEFAULT_PORTS: dict[str, int] = default_ports()


def free_ports(registry: PersonaRegistry | None = None) -> dict[str, int]:
    return {name: free_port() for name in default_ports(registry)}


def free_metrics_ports(ports: dict[str, int]) -> dict[str, int]:
    """A reserved Prometheus port for each gRPC service of a free-port layout (the gateway serves /metrics on
    its HTTP port). The documented default, gRPC port + 1000, is only safe on the documented ports: among
    free ports it can be another service's gRPC port (the index's metrics took 17215 from abbey-2 in CI)."""
    return {name: free_port() for name in ports if name not in ("gateway", "gateway-http")}


@dataclass
class MeshLayout:
    """Ports and shared settings of one local mesh."""

    data_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    extra_env: dict[str, str] = field(default_factory=dict)
    # Prometheus ports: gRPC port + 1000 unless `metrics_ports` names one; tests turn them off.
    metrics: bool = True
    metrics_ports: dict[str, int] = field(default_factory=dict)
    registry: PersonaRegistry = field(default_factory=persona_registry)

    def addr(self, name: str) -> str:
        return f"127.0.0.1:{self.ports[name]}"

    def replicas(self, persona: str) -> list[str]:
        return [self.addr(name) for name in sorted(self.ports) if name.startswith(persona + "-")]

    def replicas_env(self, **overrides: list[str]) -> dict[str, str]:
        """PM_PERSONA_REPLICAS for the gateway: this layout's replicas, with some personas pointed elsewhere."""
        replicas = {name: self.replicas(name) for name in self.registry.answering}
        replicas.update(overrides)
        return {"PM_PERSONA_REPLICAS": json.dumps({name: ",".join(addrs) for name, addrs in replicas.items()})}

    def common_env(self) -> dict[str, str]:
        env = {
            "PM_ABI_ADDR": self.addr("abi"),
            "PM_EMBEDDINGS_ADDR": self.addr("embeddings"),
            **self.replicas_env(),
            "PM_DATA_DIR": str(self.data_dir),
        }
        if self.registry.source:
            env[REGISTRY_ENV] = str(Path(self.registry.source).resolve())
        if not self.metrics:
            env["PM_METRICS_PORT"] = "-1"
        return {**env, **self.extra_env}

    def process(self, name: str, log_dir: Path | None = None, env: dict[str, str] | None = None) -> ServiceProcess:
        """The process for `name` ("embeddings", "abi", "<persona>-1", ..., "gateway")."""
        persona = self.registry.get(name.rpartition("-")[0])
        module = persona.module if persona else ("gateway" if name == "gateway" else f"services.{name}")
        merged = self.common_env()
        if name == "gateway":
            merged["PM_HTTP_PORT"] = str(self.ports["gateway-http"])
            if self.metrics:
                merged["PM_METRICS_PORT"] = "-1"  # the gateway serves /metrics on its HTTP port
        elif self.metrics and name in self.metrics_ports:
            merged["PM_METRICS_PORT"] = str(self.metrics_ports[name])
        merged.update(env or {})
        return ServiceProcess(name, module, self.ports[name], merged, log_dir)

    def start_order(self) -> list[list[str]]:
        """Groups started together; each group is SERVING before the next starts."""
        prefixes = tuple(f"{name}-" for name in self.registry.answering)
        personas = [name for name in sorted(self.ports) if name.startswith(prefixes)]
        return [["embeddings"], ["abi", *personas], ["gateway"]]
