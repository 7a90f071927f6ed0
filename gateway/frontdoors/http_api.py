"""The REST API: chat (routed or forced), routing alone, personas, their health and metrics, feedback."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth import Principal, bearer_token
from gateway.frontdoors.convert import response_json, routing_json
from gateway.frontdoors.http_errors import error_responses
from gateway.frontdoors.operations import delete_user_data, feedback, health, metrics, personas
from gateway.frontdoors.schemas import (
    ChatAnswer,
    FeedbackAccepted,
    HealthReport,
    Identity,
    PersonaList,
    PersonaMetrics,
    RoutingDecision,
    UserDataErased,
    documented,
)
from gateway.pipeline.chat_input import ChatInput, validate
from gateway.state import Gateway
from gateway.text import EdgeModel
from personamesh.v1 import persona_pb2
from services.common.errors import invalid_argument
from services.common.registry.wire import set_persona

router = APIRouter(responses=error_responses(400, 401, 403, 429))


class TurnBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str = Field(description="user, assistant or system")
    content: str
    persona: str | None = None


class ChatBody(EdgeModel):
    """One chat message; `persona` forces a persona on /api/v1/chat (the persona paths force it anyway)."""

    content: str = Field(description="The user's message.")
    user_id: str = Field("", max_length=128, description="Caller's user id (keys carry their own).")
    session_id: str = Field("", max_length=128, description="Conversation id; the gateway remembers recent turns.")
    persona: str | None = Field(
        None, description="A persona name to force it (GET /api/v1/personas); auto or empty to route."
    )
    context: dict[str, str] = Field(default_factory=dict)
    max_tokens: int | None = None
    temperature: float | None = None
    recent_turns: list[TurnBody] | None = Field(None, description="Earlier turns, oldest first (else remembered).")


class FeedbackBody(EdgeModel):
    request_id: str = Field(max_length=128)
    rating: float = Field(description="In [0, 1]; 1 is best.")
    comment: str = ""


_ROLES = {"user": persona_pb2.ROLE_USER, "assistant": persona_pb2.ROLE_ASSISTANT, "system": persona_pb2.ROLE_SYSTEM}


async def gateway_of(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


# The two ways to send a key, as OpenAPI security schemes (Swagger UI's Authorize button fills them in).
BEARER = HTTPBearer(auto_error=False, scheme_name="bearer", description="`Authorization: Bearer <API key>`")
API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="apiKey", description="`X-API-Key: <API key>`")


async def principal_of(
    request: Request,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
    x_api_key: Annotated[str | None, Security(API_KEY)] = None,
) -> Principal:
    """The caller, from either header; the raw Authorization header is read here because a bare key
    (no `Bearer `) is accepted too."""
    gateway: Gateway = request.app.state.gateway
    return gateway.keys.authenticate(bearer_token(request.headers.get("authorization")) or x_api_key)


GatewayDep = Annotated[Gateway, Depends(gateway_of)]
PrincipalDep = Annotated[Principal, Depends(principal_of)]


def to_turns(turns: list[TurnBody] | None, known_personas: set[str]) -> list[persona_pb2.Turn] | None:
    """The caller's history as turns; a persona name the gateway does not know is dropped, not trusted."""
    if turns is None:
        return None
    out = []
    for index, turn in enumerate(turns):
        role = _ROLES.get(turn.role)
        if role is None:
            raise invalid_argument("UNKNOWN_ROLE", f"recent_turns[{index}].role must be user, assistant or system")
        converted = persona_pb2.Turn(role=role, content=turn.content)
        persona = (turn.persona or "").strip().lower()
        if persona in known_personas:
            set_persona(converted, persona)
        out.append(converted)
    return out


def chat_input(body: ChatBody, gateway: Gateway, forced: str | None = None) -> ChatInput:
    persona = (forced or body.persona or "").strip().lower()
    known = gateway.pipeline.known_personas()
    chat = ChatInput(
        content=body.content,
        user_id=body.user_id,
        session_id=body.session_id,
        persona="" if persona == "auto" else persona,
        context=body.context,
        max_tokens=body.max_tokens,
        temperature=body.temperature,
        recent_turns=to_turns(body.recent_turns, known),
    )
    validate(chat, max_content_chars=gateway.settings.max_content_chars, known_personas=known)
    return chat


async def _chat(body: ChatBody, gateway: Gateway, principal: Principal, forced: str | None) -> JSONResponse:
    """The answer as a ready response: FastAPI would otherwise walk the returned dict with jsonable_encoder
    (the routes document their models with response_model=None), ~0.1 ms of the gateway's CPU per chat."""
    result = await gateway.pipeline.chat(chat_input(body, gateway, forced), principal)
    return JSONResponse(response_json(result.request_id, result.response, result.decision))


@router.post(
    "/api/v1/chat", tags=["chat"], summary="Chat; Abi routes to the best persona", **documented(ChatAnswer, 413, 503)
)
async def chat(body: ChatBody, gateway: GatewayDep, principal: PrincipalDep) -> JSONResponse:
    return await _chat(body, gateway, principal, None)


@router.post(
    "/api/v1/chat/{persona}",
    tags=["chat"],
    summary="Chat with a forced persona (a listed name)",
    **documented(ChatAnswer, 404, 413, 503),
)
async def chat_with(persona: str, body: ChatBody, gateway: GatewayDep, principal: PrincipalDep) -> JSONResponse:
    return await _chat(body, gateway, principal, persona.lower())


@router.post(
    "/api/v1/route",
    tags=["chat"],
    summary="The routing decision alone (for debugging rules)",
    **documented(RoutingDecision),
)
async def route(body: ChatBody, gateway: GatewayDep, principal: PrincipalDep) -> dict[str, Any]:
    chat = chat_input(body, gateway)
    await gateway.pipeline.admit(principal)
    request = gateway.pipeline.persona_request(chat, principal)
    decision = await gateway.pipeline.moderation.route(request, principal.role)
    return routing_json(decision)


@router.get(
    "/api/v1/personas",
    tags=["personas"],
    summary="Personas and how many replicas serve each",
    **documented(PersonaList),
)
async def list_personas(gateway: GatewayDep, _principal: PrincipalDep) -> dict[str, Any]:
    return {"personas": await personas(gateway)}


@router.get(
    "/api/v1/personas/health",
    tags=["personas"],
    summary="Replica health and breaker states",
    **documented(HealthReport),
)
async def personas_health(gateway: GatewayDep, _principal: PrincipalDep) -> dict[str, Any]:
    return health(gateway)


@router.get(
    "/api/v1/personas/metrics",
    tags=["personas"],
    summary="Requests, errors, p50/p99, satisfaction",
    **documented(PersonaMetrics),
)
async def personas_metrics(gateway: GatewayDep, _principal: PrincipalDep) -> dict[str, Any]:
    return {"personas": metrics(gateway)}


@router.post(
    "/api/v1/feedback",
    tags=["feedback"],
    summary="Rate an answer; feeds the adaptive routing weights",
    **documented(FeedbackAccepted, 404),
)
async def post_feedback(body: FeedbackBody, gateway: GatewayDep, principal: PrincipalDep) -> dict[str, Any]:
    learned = await feedback(gateway, principal, body.request_id, body.rating, body.comment)
    return {"accepted": True, "learning_recorded": learned}


@router.delete(
    "/api/v1/users/{user_id}/data",
    tags=["privacy"],
    summary="Erase everything kept about a user (self or admin)",
    **documented(UserDataErased, 503),
)
async def erase_user_data(
    user_id: Annotated[str, Path(min_length=1, max_length=128)], gateway: GatewayDep, principal: PrincipalDep
) -> dict[str, Any]:
    return await delete_user_data(gateway, principal, user_id)


@router.get("/api/v1/whoami", tags=["auth"], summary="The caller's user and role", **documented(Identity))
async def whoami(principal: PrincipalDep) -> dict[str, Any]:
    return {"user_id": principal.user_id, "role": principal.role, "authenticated": principal.authenticated}
