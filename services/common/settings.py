"""Settings shared by every service, read from `PM_*` environment variables.

Every field has a default that works for the embedded local mesh, so
`make run` needs no configuration. docs/configuration.md lists them all.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.registry import persona_registry

# The mesh's own services; each answering persona's default port is in the persona registry.
DEFAULT_PORTS = {
    "gateway": 50051,
    "abi": 50052,
    "embeddings": 50053,
}


class CommonSettings(BaseSettings):
    """What every service process reads at start-up."""

    model_config = SettingsConfigDict(env_prefix="PM_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="Interface the gRPC server binds to (0.0.0.0 in a container).")
    port: int = Field(default=0, description="gRPC port; 0 takes the service's default port.")
    metrics_port: int = Field(
        default=0, description="Prometheus /metrics port; 0 means gRPC port + 1000, -1 disables it."
    )
    log_level: str = Field(default="INFO", description="Python log level name.")
    grace_seconds: float = Field(default=10.0, description="How long SIGTERM waits for in-flight calls.")
    drain_delay_seconds: float = Field(
        default=0.0,
        description="Time between reporting NOT_SERVING and refusing new calls (lets load balancers notice).",
    )
    max_message_bytes: int = Field(default=4 * 1024 * 1024, description="Largest gRPC message accepted or sent.")
    native_threads: int = Field(
        default=1,
        ge=1,
        description="Threads of the native math libraries in each process (numpy's OpenBLAS, OpenMP in faiss). "
        "Several processes share few cores, and these libraries' idle threads busy-wait after each call.",
    )
    memory_trim_seconds: float = Field(
        default=1.0,
        ge=0.0,
        description="How often freed heap memory is handed back to the system (glibc malloc_trim); 0 never. "
        "Model batches free large blocks that glibc would otherwise keep.",
    )
    malloc_arenas: int = Field(
        default=2,
        ge=0,
        description="glibc malloc arenas per process; 0 keeps glibc's default (8 per core). Freed memory stays "
        "in the arena of the thread that allocated it, so fewer arenas hold less of it.",
    )
    abi_addr: str = Field(default="127.0.0.1:50052", description="Abi (router) service address.")
    embeddings_addr: str = Field(default="127.0.0.1:50053", description="Embedding index service address.")
    call_timeout_seconds: float = Field(default=5.0, description="Default deadline of a call to another service.")
    max_content_chars: int = Field(default=32_000, description="Longest chat message accepted, in characters.")
    internal_secret: SecretStr = Field(
        default=SecretStr(""),
        description="Secret (at least 32 characters) that signs and verifies the gateway's tokens on internal calls; "
        "the same in every process of one mesh. Required: without it or PM_INTERNAL_SECRET_FILE a process "
        "refuses to start (`make run` and the tests generate one per run).",
    )
    internal_secret_file: str = Field(
        default="",
        description="File holding that secret (a mounted Kubernetes Secret); use it or PM_INTERNAL_SECRET, not both.",
    )
    internal_token_max_seconds: float = Field(
        default=120.0,
        gt=0,
        description="Longest lifetime of an internal token: the gateway signs each call for its deadline, "
        "at most this long, and services refuse tokens that claim to live longer.",
    )
    internal_token_skew_seconds: float = Field(
        default=5.0, ge=0, description="Clock difference between machines that a token's expiry tolerates."
    )

    def grpc_port(self, service: str) -> int:
        """PM_PORT, else the service's default (a persona's first port from the registry)."""
        if self.port:
            return self.port
        if service in DEFAULT_PORTS:
            return DEFAULT_PORTS[service]
        return persona_registry().entries[service].port

    def prometheus_port(self, service: str) -> int | None:
        if self.metrics_port < 0:
            return None
        return self.metrics_port or self.grpc_port(service) + 1000
