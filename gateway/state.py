"""The gateway's parts, built once from settings and shared by every front end."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import grpc

from gateway.auth import KeyStore, load_entries
from gateway.pipeline.chat import ChatPipeline
from gateway.pipeline.memory import AnsweredRequests, SessionTurns
from gateway.pipeline.ratelimits import UserRateLimiter
from gateway.pipeline.stats import REPLICA_HEALTHY, PersonaStats, breaker_changed
from gateway.settings import GatewaySettings
from gateway.upstream.balancer import Balancer
from gateway.upstream.channels import service_channel, sign_calls_with
from gateway.upstream.outlier import OutlierPolicy
from gateway.upstream.registry import BreakerPolicy, Registry
from gateway.upstream.replica import ProbePolicy, Replica
from personamesh.v1 import abi_service_pb2_grpc, embedding_index_service_pb2_grpc, persona_service_pb2
from services.common.internal_auth import InternalAuth
from services.common.registry import persona_registry
from services.common.safety.resources import ResourceTable

log = logging.getLogger(__name__)

DEFAULT_FLAGS = {"output_check": True, "session_history": True, "stream_fallback": True}


def _health_changed(replica: Replica) -> None:
    REPLICA_HEALTHY.labels(replica.persona, replica.address).set(1 if replica.in_rotation else 0)


class Gateway:
    """Registry, clients, limits, memory and the chat pipeline."""

    def __init__(self, settings: GatewaySettings, auth: InternalAuth) -> None:
        self.settings = settings
        # Every call to Abi, a persona or the index carries a token signed for the caller's role and user.
        sign_calls_with(auth)
        self.keys = KeyStore(
            load_entries(settings.api_keys, settings.api_keys_file),
            allow_anonymous=settings.allow_anonymous,
            anonymous_role=settings.anonymous_role,
        )
        self.registry = Registry(
            health_interval=settings.health_interval_seconds,
            breaker=BreakerPolicy(
                settings.breaker_fail_max, settings.breaker_reset_seconds, settings.breaker_success_threshold
            ),
            probe=ProbePolicy(settings.probe_interval_seconds, settings.probe_timeout_seconds),
            outlier=OutlierPolicy(
                settings.outlier_consecutive_failures,
                settings.outlier_base_ejection_seconds,
                settings.outlier_max_ejection_seconds,
                settings.outlier_max_ejection_percent,
            ),
            on_breaker_change=breaker_changed,
            on_health_change=_health_changed,
        )
        personas = persona_registry()
        for name in personas.answering:
            self.registry.declare(name, personas.entries[name])
        self.registry.add_static(settings.static_replicas(personas))
        default_persona = settings.default_persona or personas.default
        support_persona = settings.support_persona or personas.support
        for setting, name in (("default_persona", default_persona), ("support_persona", support_persona)):
            if not personas.is_answering(name):
                raise ValueError(f"{setting} {name!r} is not an answering persona of {personas.source}")
        self._abi_channel = service_channel(settings.abi_addr)
        self._embeddings_channel = service_channel(settings.embeddings_addr)
        self.abi = abi_service_pb2_grpc.AbiServiceStub(self._abi_channel)
        self.embeddings = embedding_index_service_pb2_grpc.EmbeddingIndexServiceStub(self._embeddings_channel)
        self.abi_timeout = settings.abi_timeout_seconds
        self.flags: dict[str, bool] = {**DEFAULT_FLAGS, **settings.feature_flags}
        self.stats = PersonaStats()
        self.answered = AnsweredRequests(settings.requests_remembered)
        self.limiter = UserRateLimiter(
            settings.rate_limit_per_minute, settings.rate_limit_burst, settings.rate_limit_storage
        )
        self.pipeline = ChatPipeline(
            registry=self.registry,
            balancer=Balancer(settings.balancer, session_affinity=settings.session_affinity),
            abi=self.abi,
            abi_timeout=settings.abi_timeout_seconds,
            limiter=self.limiter,
            stats=self.stats,
            sessions=SessionTurns(settings.session_turns, settings.sessions_max),
            answered=self.answered,
            flags=self.flags,
            default_persona=default_persona,
            support_persona=support_persona,
            max_attempts=settings.max_attempts,
            request_timeout=settings.request_timeout_seconds,
            attempt_timeout=settings.attempt_timeout_seconds,
            first_token_timeout=settings.first_token_timeout_seconds,
            chunk_timeout=settings.chunk_timeout_seconds,
            capacity=settings.persona_capacity,
            queue=settings.persona_queue,
            queue_timeout=settings.queue_timeout_seconds,
            limit_anonymous=settings.rate_limit_anonymous,
            resources=ResourceTable(settings.crisis_resources_path, settings.crisis_default_region),
        )
        self.ready = False

    async def start(self) -> None:
        """Start watching replicas and give the first health answers a moment to arrive."""
        self.registry.add_dns(self.settings.persona_dns, self.settings.dns_refresh_seconds)
        self.registry.start()
        for _ in range(50):
            if all(r.health != "UNKNOWN" for r in self.registry.all_replicas()):
                break
            await asyncio.sleep(0.1)
        self.ready = True

    async def describe(self, persona: str) -> persona_service_pb2.PersonaInfo | None:
        """What a persona says about itself (asked of a healthy replica once, then cached)."""
        group = self.registry.group(persona)
        if group is None:
            return None
        if group.info is not None:
            return group.info
        for replica in group.healthy():
            with contextlib.suppress(grpc.RpcError):
                reply = await replica.stub.Describe(persona_service_pb2.DescribeRequest(), timeout=1.0)
                group.info = reply.info
                return group.info
        return None

    async def close(self) -> None:
        await self.registry.close()
        await self._abi_channel.close()
        await self._embeddings_channel.close()
