"""Gateway settings (`PM_*` environment variables); the defaults serve the local mesh."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.registry import PersonaRegistry
from services.common.safety.settings import SafetySettings
from services.common.settings import CommonSettings

BalancerName = Literal["p2c", "weighted", "round_robin"]


class GatewaySettings(CommonSettings, SafetySettings):
    """Everything the gateway reads at start-up; docs/gateway.md explains each group."""

    model_config = SettingsConfigDict(env_prefix="PM_", extra="ignore")

    http_port: int = Field(default=8080, description="HTTP port (REST, WebSocket, OpenAI-compatible API, /metrics).")
    # Which personas exist comes from the persona registry; settings only say where their replicas run.
    persona_replicas: dict[str, str] = Field(
        default_factory=dict,
        description=(
            'Replica addresses as JSON, {"name": "host:port,host:port"}; a registry persona not named here '
            "runs on its local ports (port, port + 1, ...)."
        ),
    )
    local_replicas: bool = Field(
        default=True,
        description="Place registry personas not named in persona_replicas or persona_dns on their local ports.",
    )
    persona_dns: dict[str, str] = Field(
        default_factory=dict,
        description='Personas discovered through DNS as JSON, {"name": "headless-service:port"} (Kubernetes).',
    )
    dns_refresh_seconds: float = Field(default=10.0, description="How often DNS-discovered replicas are re-resolved.")
    default_persona: str = Field(
        default="", description="Persona that answers when Abi cannot decide or is down; empty: the registry's."
    )
    support_persona: str = Field(
        default="",
        description="Persona that answers crisis messages (never blocked); empty: the registry's support persona.",
    )
    health_interval_seconds: float = Field(
        default=2.0, description="Health watch reconnect interval; an unhealthy replica leaves rotation within it."
    )
    balancer: BalancerName = Field(
        default="weighted",
        description="Replica choice: weighted (best score), p2c (best of two random) or round_robin.",
    )
    session_affinity: bool = Field(
        default=True,
        description="Keep a session's turns on one replica of a persona while it is serving and not overloaded "
        "(rendezvous hashing with bounded load): personas keep a session's state, such as its mood, in memory.",
    )
    breaker_fail_max: int = Field(default=5, ge=1, description="Consecutive failures that open a replica's breaker.")
    breaker_reset_seconds: float = Field(
        default=30.0, gt=0, description="How long an open breaker waits before a probe."
    )
    breaker_success_threshold: int = Field(
        default=2, ge=1, description="Half-open successes needed to close a breaker."
    )
    max_attempts: int = Field(
        default=3, ge=1, le=10, description="Replica/persona attempts per request (fallback bound)."
    )
    request_timeout_seconds: float = Field(default=30.0, gt=0, description="Deadline of one chat request end to end.")
    attempt_timeout_seconds: float = Field(
        default=15.0,
        gt=0,
        description=(
            "Longest wait on a replica that answers its health probes (a slow model, not a hung process): "
            "for its first event, or between two events."
        ),
    )
    first_token_timeout_seconds: float = Field(
        default=2.0,
        gt=0,
        description=(
            "Wait for a replica's first event after which the request moves to another replica, unless the "
            "replica answers its health probes (then up to attempt_timeout_seconds)."
        ),
    )
    chunk_timeout_seconds: float = Field(
        default=2.0,
        gt=0,
        description="The same for a gap between two events of a stream (continued on another replica).",
    )
    probe_interval_seconds: float = Field(
        default=1.0,
        gt=0,
        description="A replica that answered nothing for this long is sent a health check with a deadline.",
    )
    probe_timeout_seconds: float = Field(
        default=0.5, gt=0, description="Deadline of one health probe; a probe past it counts as a failure."
    )
    outlier_consecutive_failures: int = Field(
        default=3, ge=1, description="Timeouts or errors in a row (calls or probes) that eject a replica."
    )
    outlier_base_ejection_seconds: float = Field(
        default=5.0,
        gt=0,
        description=(
            "Ejection time, times the number of ejections so far; then a successful probe re-admits the replica."
        ),
    )
    outlier_max_ejection_percent: float = Field(
        default=50.0,
        ge=0,
        le=100,
        description="Most of a persona's replicas ejected at once, in percent (one at least).",
    )
    outlier_max_ejection_seconds: float = Field(
        default=60.0,
        gt=0,
        description="Longest ejection; each such period in rotation also takes one ejection off the count.",
    )
    abi_timeout_seconds: float = Field(default=2.0, gt=0, description="Deadline of a call to Abi.")
    rate_limit_per_minute: int = Field(default=100, ge=1, description="Sustained requests per user per minute.")
    rate_limit_burst: int = Field(default=20, ge=1, description="Requests a user may make at once (bucket size).")
    rate_limit_storage: str = Field(
        default="memory://", description="limits storage URI: memory:// or redis://host:port to share across gateways."
    )
    rate_limit_anonymous: bool = Field(default=False, description="Also rate-limit anonymous (local-run) callers.")
    persona_capacity: int = Field(default=64, ge=1, description="Concurrent requests one persona may serve.")
    persona_queue: int = Field(default=256, ge=0, description="Requests that may wait for persona capacity.")
    queue_timeout_seconds: float = Field(default=5.0, gt=0, description="Longest wait for persona capacity.")
    api_keys: str = Field(
        default="", description="Comma-separated hashed keys: sha256:<hex>:<user>:<role> (python -m gateway.keys)."
    )
    api_keys_file: str = Field(
        default="", description="YAML/JSON file with a list of hashed-key entries (same format)."
    )
    allow_anonymous: bool = Field(default=False, description="Let callers without a key in (local runs only).")
    anonymous_role: str = Field(default="user", description="Role of anonymous callers when allowed.")
    feature_flags: dict[str, bool] = Field(
        default_factory=dict, description='Initial feature flags as JSON, e.g. {"output_check": true}.'
    )
    session_turns: int = Field(default=8, ge=0, le=64, description="Recent turns kept per session for routing history.")
    sessions_max: int = Field(default=2000, ge=1, description="Sessions remembered (least recently used dropped).")
    requests_remembered: int = Field(default=50_000, ge=1, description="Answered request ids kept for feedback.")
    ws_heartbeat_seconds: float = Field(default=15.0, gt=0, description="WebSocket heartbeat interval.")
    ws_queue_size: int = Field(default=8, ge=1, description="Chat messages one WebSocket may have waiting.")
    http_keep_alive_seconds: float = Field(
        default=75.0, gt=0, description="Idle HTTP keep-alive; above load balancers' 60 s so they close first."
    )
    cors_origins: str = Field(
        default="", description="Comma-separated origins browsers may call the HTTP API from (CORS); empty: none."
    )
    max_body_bytes: int = Field(default=2 * 1024 * 1024, description="Largest HTTP body accepted (413 above).")

    def static_replicas(self, registry: PersonaRegistry) -> dict[str, list[str]]:
        """Persona name -> replica addresses: the registry's local ports unless settings name others.

        Personas discovered through DNS get none here; a name the registry does not know is refused.
        """
        declared = {name.lower(): value for name, value in self.persona_replicas.items()}
        unknown = sorted(set(declared) - set(registry.answering))
        if unknown:
            raise ValueError(f"persona_replicas names personas the registry does not have: {', '.join(unknown)}")
        local = registry.local_replicas() if self.local_replicas else {}
        replicas = {name: addresses for name, addresses in local.items() if name not in self.persona_dns}
        replicas.update(
            {name: [addr.strip() for addr in value.split(",") if addr.strip()] for name, value in declared.items()}
        )
        return replicas
