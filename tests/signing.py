"""Tests that call a service directly act as the gateway: they sign internal calls with the secret that
services/devmesh gave every process they started (`mesh_secret()`), as the gateway signs its own."""

from __future__ import annotations

import functools
from typing import Any

import grpc
from grpc.aio import ClientCallDetails

from personamesh.v1 import embedding_index_service_pb2_grpc
from services.common.context import AUTH_KEY, REQUEST_ID_KEY
from services.common.internal_auth import InternalAuth
from services.devmesh.processes import mesh_secret


@functools.cache
def mesh_auth() -> InternalAuth:
    return InternalAuth(mesh_secret())


def token(user: str = "", role: str = "user", request_id: str = "", lifetime: float = 60.0) -> str:
    return mesh_auth().sign(role, user, request_id, lifetime)


# What grpc's call signatures take as metadata.
Metadata = tuple[tuple[str, str], ...]


def signed(user: str = "", role: str = "user", request_id: str = "", lifetime: float = 60.0) -> Metadata:
    """Call metadata as the gateway sends it: a token for `role` acting for `user` (and the request id)."""
    metadata = ((AUTH_KEY, token(user, role, request_id, lifetime)),)
    return ((REQUEST_ID_KEY, request_id), *metadata) if request_id else metadata


def admin() -> Metadata:
    """Metadata of an admin's call relayed by the gateway (Abi's rule RPCs)."""
    return signed("test-admin", "admin")


def request_user(request: Any) -> str:
    """The user a request acts for: `user_id`, or that of its record (StoreConversation) or inner request (Route)."""
    for holder in (request, getattr(request, "record", None), getattr(request, "request", None)):
        user = getattr(holder, "user_id", None)
        if isinstance(user, str):
            return user
    return ""


class SignForRequestUser(grpc.aio.UnaryUnaryClientInterceptor):
    """Signs each call for the user its request names, as the gateway does for the user it authenticated."""

    async def intercept_unary_unary(self, continuation: Any, details: ClientCallDetails, request: Any) -> Any:
        metadata = list(details.metadata or [])
        request_id = str(dict(metadata).get(REQUEST_ID_KEY, ""))
        metadata.append((AUTH_KEY, token(request_user(request), request_id=request_id)))
        signed_details = ClientCallDetails(
            details.method, details.timeout, grpc.aio.Metadata(*metadata), details.credentials, details.wait_for_ready
        )
        return await continuation(signed_details, request)


class SignedIndexClient:
    """Like services.common.clients.EmbeddingIndexClient, but every call is signed for its request's user."""

    def __init__(self, target: str, *, timeout: float = 30.0) -> None:
        self.target = target
        self.timeout = timeout
        self.channel = grpc.aio.insecure_channel(target, interceptors=[SignForRequestUser()])
        self.stub = embedding_index_service_pb2_grpc.EmbeddingIndexServiceStub(self.channel)

    async def close(self) -> None:
        await self.channel.close()
