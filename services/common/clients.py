"""Typed async clients for calls between services.

Every channel carries the shared client interceptors (request id, role and
deadline propagation), keepalive, and a service config that retries
`UNAVAILABLE` only — never INVALID_ARGUMENT, DEADLINE_EXCEEDED or CANCELLED —
and only on the methods named in SAFE_TO_RETRY, as grpc's retry example does:
a method that stores or counts something (StoreConversation, RecordOutcome,
UpsertKnowledge, ReplaceRules, Chat) may have run before UNAVAILABLE came back.
Persona channels used by the gateway turn retries off: the gateway falls back
to another replica itself, and a built-in retry would spend the deadline twice.
"""

from __future__ import annotations

import json
from typing import Any

import grpc

from personamesh.v1 import (
    abi_service_pb2_grpc,
    embedding_index_service_pb2_grpc,
    gateway_service_pb2_grpc,
    persona_service_pb2_grpc,
)
from services.common.interceptors import ClientStreamInterceptor, ClientUnaryInterceptor

RETRY_POLICY = {
    "maxAttempts": 3,
    "initialBackoff": "0.05s",
    "maxBackoff": "0.5s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}


# Methods that change nothing (or leave the same state when run twice), by service: the only ones retried.
SAFE_TO_RETRY: dict[str, tuple[str, ...]] = {
    "personamesh.v1.AbiService": ("Route", "AnalyzeSentiment", "CheckPolicy", "GetRules", "ValidateRules"),
    "personamesh.v1.EmbeddingIndexService": (
        "Embed",
        "FindBestPersona",
        "SearchConversations",
        "SearchKnowledge",
        "GetWeights",
        "DeleteUserData",
        "DeleteConversations",
    ),
    "personamesh.v1.PersonaService": ("Describe",),
    "personamesh.v1.GatewayService": ("Route", "ListPersonas", "GetMetrics"),
    "grpc.health.v1.Health": ("Check",),
}


def service_config(retry: bool) -> str:
    """The channel's service config: with `retry`, a retry policy for the SAFE_TO_RETRY methods only."""
    configs: list[dict[str, Any]] = []
    if retry:
        names = [
            {"service": service, "method": method} for service, methods in SAFE_TO_RETRY.items() for method in methods
        ]
        configs.append({"name": names, "retryPolicy": RETRY_POLICY})
    return json.dumps({"methodConfig": configs})


# gRPC's default reconnect backoff grows to 120 s: a service back after a long outage would stay unreachable
# for up to two minutes. In-mesh channels retry the connection every few seconds at most.
MAX_RECONNECT_SECONDS = 3.0
_MAX_MESSAGE_BYTES = 4 * 1024 * 1024


def channel_options(
    *, retry: bool, max_reconnect_seconds: float = MAX_RECONNECT_SECONDS, max_message_bytes: int = _MAX_MESSAGE_BYTES
) -> list[tuple[str, str | int]]:
    """The options of every in-mesh channel: retries by method, keepalive, bounded reconnect backoff."""
    max_backoff_ms = max(100, int(max_reconnect_seconds * 1000))
    first_ms = min(500, max_backoff_ms)
    return [
        ("grpc.enable_retries", 1 if retry else 0),
        ("grpc.service_config", service_config(retry)),
        ("grpc.initial_reconnect_backoff_ms", first_ms),
        ("grpc.min_reconnect_backoff_ms", first_ms),
        ("grpc.max_reconnect_backoff_ms", max_backoff_ms),
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.keepalive_timeout_ms", 10_000),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
    ]


def create_channel(target: str, *, retry: bool = True, max_message_bytes: int = _MAX_MESSAGE_BYTES) -> grpc.aio.Channel:
    """An insecure channel for in-mesh traffic (mTLS belongs to the service mesh in production)."""
    return grpc.aio.insecure_channel(
        target,
        options=channel_options(retry=retry, max_message_bytes=max_message_bytes),
        interceptors=[ClientUnaryInterceptor(), ClientStreamInterceptor()],
    )


class _Client:
    """A channel plus the default deadline for calls made through it."""

    def __init__(self, target: str, *, timeout: float = 5.0, retry: bool = True) -> None:
        self.target = target
        self.timeout = timeout
        self.channel = create_channel(target, retry=retry)

    async def close(self) -> None:
        await self.channel.close()


class AbiClient(_Client):
    def __init__(self, target: str, *, timeout: float = 2.0) -> None:
        super().__init__(target, timeout=timeout)
        self.stub = abi_service_pb2_grpc.AbiServiceStub(self.channel)


class EmbeddingIndexClient(_Client):
    def __init__(self, target: str, *, timeout: float = 2.0) -> None:
        super().__init__(target, timeout=timeout)
        self.stub = embedding_index_service_pb2_grpc.EmbeddingIndexServiceStub(self.channel)


class PersonaClient(_Client):
    """A client of one persona replica; no built-in retries (the gateway falls back itself)."""

    def __init__(self, target: str, *, timeout: float = 30.0) -> None:
        super().__init__(target, timeout=timeout, retry=False)
        self.stub = persona_service_pb2_grpc.PersonaServiceStub(self.channel)


class GatewayClient(_Client):
    def __init__(self, target: str, *, timeout: float = 30.0) -> None:
        super().__init__(target, timeout=timeout)
        self.stub = gateway_service_pb2_grpc.GatewayServiceStub(self.channel)
