"""Outbound channels of the gateway, without client interceptors.

The gateway makes three or four calls per chat request, so it passes request
metadata and deadlines itself (`call_options`) instead of paying grpc.aio's
interceptor machinery on every call. Each call carries a token signed for the
authenticated caller's role and the user the call acts for (`ctx.role_var`,
`ctx.user_var`), valid for the call's deadline: the services trust nothing else.

Replica channels reconnect within one health interval (gRPC's default backoff
grows to two minutes, far too slow for a restarted replica to rejoin) and never
retry: the gateway falls back itself.
"""

from __future__ import annotations

from typing import Any

import grpc

from services.common import context as ctx
from services.common.clients import MAX_RECONNECT_SECONDS, channel_options
from services.common.internal_auth import InternalAuth

# Answers about the request itself, not the callee's health: never retried elsewhere, never held
# against a breaker.
CALLER_CODES = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.OUT_OF_RANGE,
        grpc.StatusCode.CANCELLED,
    }
)


def service_channel(target: str, *, max_message_bytes: int = 4 * 1024 * 1024) -> grpc.aio.Channel:
    """A channel to Abi or the embedding index: retries UNAVAILABLE only, like every mesh client."""
    return grpc.aio.insecure_channel(target, options=channel_options(retry=True, max_message_bytes=max_message_bytes))


def replica_channel(target: str, reconnect_seconds: float) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(
        target,
        options=channel_options(retry=False, max_reconnect_seconds=min(reconnect_seconds, MAX_RECONNECT_SECONDS)),
    )


_signer: InternalAuth | None = None


def sign_calls_with(auth: InternalAuth | None) -> None:
    """Install the key the gateway signs its internal calls with (once, at start-up)."""
    global _signer
    _signer = auth


def call_options(timeout: float) -> dict[str, Any]:
    """Deadline (never past the inbound one), the request's id and a token for its role and user.

    Without a signing key (never in a running gateway) calls go unsigned and the services refuse
    anything that needs a caller.
    """
    remaining = ctx.time_remaining()
    if remaining is not None:
        timeout = min(timeout, remaining)
    timeout = max(0.001, timeout)
    metadata = _signer.call_metadata(timeout) if _signer is not None else ctx.outgoing_metadata()
    return {"timeout": timeout, "metadata": metadata}
