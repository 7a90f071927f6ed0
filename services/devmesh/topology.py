"""The local mesh: which processes, on which ports, in which order.

Defaults match the documented ports; tests pass `ports=free_ports()` so that
several runs can share one machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from services.devmesh.processes import ServiceProcess, free_port

DEFAULT_PORTS: dict[str, int] = {
    "embeddings": 50053,
    "abi": 50052,
    "abbey-1": 50061,
    "abbey-2": 50062,
    "aviva-1": 50071,
    "aviva-2": 50072,
    "gateway": 50051,
    "gateway-http": 8080,
}


def free_ports() -> dict[str, int]:
    return {name: free_port() for name in DEFAULT_PORTS}


@dataclass
class MeshLayout:
    """Ports and shared settings of one local mesh."""

    data_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    extra_env: dict[str, str] = field(default_factory=dict)
    # Prometheus ports: gRPC port + 1000 by default; tests turn them off.
    metrics: bool = True

    def addr(self, name: str) -> str:
        return f"127.0.0.1:{self.ports[name]}"

    def replicas(self, persona: str) -> list[str]:
        return [self.addr(name) for name in sorted(self.ports) if name.startswith(persona + "-")]

    def common_env(self) -> dict[str, str]:
        env = {
            "PM_ABI_ADDR": self.addr("abi"),
            "PM_EMBEDDINGS_ADDR": self.addr("embeddings"),
            "PM_ABBEY_REPLICAS": ",".join(self.replicas("abbey")),
            "PM_AVIVA_REPLICAS": ",".join(self.replicas("aviva")),
            "PM_DATA_DIR": str(self.data_dir),
        }
        if not self.metrics:
            env["PM_METRICS_PORT"] = "-1"
        return {**env, **self.extra_env}

    def process(self, name: str, log_dir: Path | None = None, env: dict[str, str] | None = None) -> ServiceProcess:
        """The process for `name` ("embeddings", "abi", "abbey-1", ..., "gateway")."""
        module = "gateway" if name == "gateway" else f"services.{name.split('-')[0]}"
        merged = self.common_env()
        if name == "gateway":
            merged["PM_HTTP_PORT"] = str(self.ports["gateway-http"])
            if self.metrics:
                merged["PM_METRICS_PORT"] = "-1"  # the gateway serves /metrics on its HTTP port
        merged.update(env or {})
        return ServiceProcess(name, module, self.ports[name], merged, log_dir)

    def start_order(self) -> list[list[str]]:
        """Groups started together; each group is SERVING before the next starts."""
        personas = [name for name in sorted(self.ports) if name.startswith(("abbey-", "aviva-"))]
        return [["embeddings"], ["abi", *personas], ["gateway"]]
