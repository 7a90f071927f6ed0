"""Read-side operations, feedback and erasing a user's data, shared by the HTTP and gRPC front ends."""

from __future__ import annotations

import logging
from typing import Any

import grpc

from gateway.auth import Principal
from gateway.state import Gateway
from gateway.upstream.channels import call_options
from personamesh.v1 import embedding_index_service_pb2, persona_pb2
from services.common import context as ctx
from services.common.errors import ServiceError, invalid_argument, not_found
from services.common.reasons import Reason
from services.common.registry import persona_enum

log = logging.getLogger(__name__)


async def personas(gateway: Gateway) -> list[dict[str, Any]]:
    """Every persona the gateway serves: its registry entry, what a replica says of itself, its health."""
    out = []
    for name, group in sorted(gateway.registry.personas.items()):
        info = await gateway.describe(name)
        entry = group.entry
        out.append(
            {
                "name": name,
                "display_name": entry.display_name if entry else (info.name if info else name),
                "description": (info.description if info else "") or (entry.description if entry else ""),
                "strengths": list(info.strengths) if info else [],
                "capabilities": {
                    "query_types": list(entry.capabilities.query_types) if entry else [],
                    "emotions": list(entry.capabilities.emotions) if entry else [],
                },
                "fallback": list(group.fallback),
                "source": group.source,
                "backend": info.backend if info else "",
                "temperature": round(float(info.temperature), 3) if info else None,
                "enabled": group.config.enabled,
                "replicas_total": len(group.replicas),
                "replicas_healthy": len(group.healthy()),
                "status": group.status(),
            }
        )
    return out


def health(gateway: Gateway) -> dict[str, Any]:
    groups = {
        name: {
            "status": group.status(),
            "replicas": [replica.snapshot() for replica in group.replicas.values()],
        }
        for name, group in sorted(gateway.registry.personas.items())
    }
    abi = gateway.pipeline.moderation.breaker.state
    return {
        "status": "ok" if any(g["status"] in ("healthy", "degraded") for g in groups.values()) else "down",
        "personas": groups,
        "abi_breaker": abi,
    }


def metrics(gateway: Gateway) -> dict[str, Any]:
    names = sorted(set(gateway.registry.personas) | set(gateway.stats.personas))
    return {name: gateway.stats.figures(name).as_json() for name in names}


async def feedback(gateway: Gateway, principal: Principal, request_id: str, rating: float, comment: str) -> bool:
    """Record a rating of an answered request; returns whether the embedding index learned from it."""
    if not request_id:
        raise invalid_argument(Reason.MISSING_REQUEST_ID, "request_id is required", "request_id")
    if not 0.0 <= rating <= 1.0:
        raise invalid_argument(Reason.RATING_OUT_OF_RANGE, "rating must be in [0, 1]", "rating")
    if len(comment) > 4000:
        raise invalid_argument(Reason.COMMENT_TOO_LONG, "comment is limited to 4000 characters", "comment")
    answered = gateway.answered.get(request_id)
    if answered is None:
        raise not_found(Reason.UNKNOWN_REQUEST_ID, f"no answered request {request_id!r} is known to this gateway")
    if principal.authenticated and answered.user_id != principal.user_id and not principal.has_role("admin"):
        raise ServiceError(grpc.StatusCode.PERMISSION_DENIED, "NOT_YOUR_REQUEST", "only the requester may rate it")
    gateway.stats.rated(answered.persona, rating)
    if persona_enum(answered.persona) == persona_pb2.PERSONA_UNSPECIFIED:
        return False  # learned weights are kept per enum value: the built-in personas only (docs/personas.md)
    # Signed for the rater's role, acting for the user whose request it was (checked above).
    ctx.role_var.set(principal.role)
    ctx.user_var.set(answered.user_id)
    try:
        await gateway.embeddings.RecordOutcome(
            embedding_index_service_pb2.RecordOutcomeRequest(
                request_id=request_id,
                persona=persona_enum(answered.persona),
                success=rating >= 0.5,
                rating=rating,
                user_id=answered.user_id,
                domain=answered.query_type,
            ),
            **call_options(gateway.abi_timeout),
        )
    except grpc.RpcError as error:
        log.warning("feedback not recorded in the index", extra={"code": error.code().name})
        return False
    return True


async def delete_user_data(gateway: Gateway, principal: Principal, user_id: str) -> dict[str, Any]:
    """Erase everything the mesh keeps about a user: the index's memory and facts, learned weights and
    outcomes, and this gateway's recent turns and answered requests.

    A user may erase their own data, an admin anyone's. Anonymous local runs trust the claimed user id,
    as their chat does (docs/gateway.md).
    """
    user_id = user_id.strip()
    if not user_id or len(user_id) > 128:
        raise invalid_argument(Reason.INVALID_ID, "user_id must be 1 to 128 characters", "user_id")
    if principal.authenticated and principal.user_id != user_id and not principal.has_role("admin"):
        raise ServiceError(grpc.StatusCode.PERMISSION_DENIED, Reason.NOT_YOUR_DATA, "only the user or an admin")
    ctx.role_var.set(principal.role)
    ctx.user_var.set(user_id)  # signed for this user: the index erases only the user the token names
    deleted = await gateway.embeddings.DeleteUserData(
        embedding_index_service_pb2.DeleteUserDataRequest(user_id=user_id), **call_options(gateway.abi_timeout)
    )
    sessions = gateway.pipeline.sessions.forget_user(user_id)
    gateway.answered.forget_user(user_id)
    return {
        "user_id": user_id,
        "deleted_conversations": deleted.deleted_conversations,
        "deleted_weights": deleted.deleted_weights,
        "deleted_sessions": sessions,
    }
