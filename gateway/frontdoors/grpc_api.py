"""The gRPC `GatewayService`, for clients in any language.

Registered with the generated `add_GatewayServiceServicer_to_server`; a request that
is not valid protobuf is answered by the shared server interceptor (INVALID_UTF8
naming the field, or MALFORMED_REQUEST), as on every service of the mesh.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc

from gateway.auth import Principal, bearer_token
from gateway.frontdoors.operations import feedback, metrics, personas
from gateway.pipeline.chat import DeltaEvent, ErrorEvent, FinalEvent, RestartEvent, RoutingEvent
from gateway.pipeline.chat_input import ChatInput, validate
from gateway.state import Gateway
from personamesh.v1 import (
    abi_service_pb2,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
    persona_pb2,
    persona_service_pb2,
)
from services.common import context as ctx
from services.common.errors import invalid_argument
from services.common.reasons import Reason
from services.common.registry import persona_enum
from services.common.registry.wire import persona_of, set_persona

SERVICE_NAME = "personamesh.v1.GatewayService"


class GatewayServicer(gateway_service_pb2_grpc.GatewayServiceServicer):
    """Chat, streamed chat, routing, personas, metrics and feedback over gRPC."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def _principal(self, context: grpc.aio.ServicerContext) -> Principal:
        metadata = {key: value for key, value in (context.invocation_metadata() or ()) if isinstance(value, str)}
        token = bearer_token(metadata.get("authorization")) or metadata.get("x-api-key")
        principal = self.gateway.keys.authenticate(token)
        # The caller's own x-pm-role metadata means nothing here: the key decides the role.
        ctx.role_var.set(principal.role)
        ctx.user_var.set(principal.user_id)
        return principal

    def _chat_input(self, request: gateway_service_pb2.ChatRequest) -> ChatInput:
        persona = persona_of(request)
        if not persona and request.persona != persona_pb2.PERSONA_UNSPECIFIED:
            raise invalid_argument(Reason.UNKNOWN_PERSONA, f"unknown persona enum value {request.persona}", "persona")
        chat = ChatInput(
            content=request.content,
            user_id=request.user_id,
            session_id=request.session_id,
            persona=persona,
            context=dict(request.context),
            max_tokens=request.max_tokens if request.HasField("max_tokens") else None,
            temperature=request.temperature if request.HasField("temperature") else None,
            recent_turns=list(request.recent_turns) if request.recent_turns else None,
        )
        validate(
            chat,
            max_content_chars=self.gateway.settings.max_content_chars,
            known_personas=self.gateway.pipeline.known_personas(),
        )
        return chat

    async def Chat(self, request: Any, context: grpc.aio.ServicerContext) -> gateway_service_pb2.ChatResponse:
        principal = self._principal(context)
        result = await self.gateway.pipeline.chat(self._chat_input(request), principal)
        return gateway_service_pb2.ChatResponse(
            request_id=result.request_id, response=result.response, routing=result.decision
        )

    async def ChatStream(
        self, request: Any, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[gateway_service_pb2.ChatStreamResponse]:
        principal = self._principal(context)
        chat = self._chat_input(request)
        request_id = ctx.request_id_var.get()
        async for event in self.gateway.pipeline.chat_stream(chat, principal):
            request_id = ctx.request_id_var.get()
            if isinstance(event, RoutingEvent):
                yield gateway_service_pb2.ChatStreamResponse(request_id=request_id, routing=event.decision)
            elif isinstance(event, DeltaEvent):
                yield gateway_service_pb2.ChatStreamResponse(request_id=request_id, delta=event.text)
            elif isinstance(event, RestartEvent):
                yield gateway_service_pb2.ChatStreamResponse(
                    request_id=request_id, restart=gateway_service_pb2.StreamRestart(reason=event.reason)
                )
            elif isinstance(event, FinalEvent):
                result = event.result
                final = gateway_service_pb2.ChatResponse(
                    request_id=result.request_id, response=result.response, routing=result.decision
                )
                yield gateway_service_pb2.ChatStreamResponse(request_id=request_id, final=final)
            elif isinstance(event, ErrorEvent):
                error = gateway_service_pb2.StreamError(code=event.code, reason=event.reason, message=event.message)
                yield gateway_service_pb2.ChatStreamResponse(request_id=request_id, error=error)

    async def Route(self, request: Any, context: grpc.aio.ServicerContext) -> abi_service_pb2.RouteResponse:
        principal = self._principal(context)
        inner = request.request
        chat = self._chat_input(ChatRequestAdapter.from_persona_request(inner))
        await self.gateway.pipeline.admit(principal)
        persona_request = self.gateway.pipeline.persona_request(chat, principal)
        decision = await self.gateway.pipeline.moderation.route(persona_request, principal.role)
        return abi_service_pb2.RouteResponse(decision=decision)

    async def ListPersonas(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        self._principal(context)
        out = gateway_service_pb2.ListPersonasResponse()
        for item in await personas(self.gateway):
            info = persona_service_pb2.PersonaInfo(
                name=str(item["name"]),
                description=str(item["description"]),
                strengths=list(item["strengths"]),
                backend=str(item["backend"]),
            )
            set_persona(info, str(item["name"]))
            out.personas.append(
                gateway_service_pb2.PersonaStatus(
                    info=info,
                    replicas_total=int(item["replicas_total"]),
                    replicas_healthy=int(item["replicas_healthy"]),
                    status=str(item["status"]),
                )
            )
        return out

    async def GetMetrics(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        self._principal(context)
        out = gateway_service_pb2.GetMetricsResponse()
        for name, figures in metrics(self.gateway).items():
            out.personas.append(
                gateway_service_pb2.PersonaMetrics(
                    persona=persona_enum(name),
                    persona_name=name,
                    requests=int(figures["requests"] or 0),
                    errors=int(figures["errors"] or 0),
                    success_rate=float(figures["success_rate"] or 0.0),
                    p50_ms=float(figures["p50_ms"] or 0.0),
                    p99_ms=float(figures["p99_ms"] or 0.0),
                    satisfaction=float(figures["satisfaction"] or 0.0),
                    fallbacks=int(figures["fallbacks"] or 0),
                )
            )
        return out

    async def Feedback(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        principal = self._principal(context)
        learned = await feedback(self.gateway, principal, request.request_id, request.rating, request.comment)
        return gateway_service_pb2.FeedbackResponse(accepted=True, learning_recorded=learned)


class ChatRequestAdapter:
    """Route takes Abi's RouteRequest shape; the gateway validates it as a chat request."""

    @staticmethod
    def from_persona_request(request: persona_pb2.PersonaRequest) -> gateway_service_pb2.ChatRequest:
        chat = gateway_service_pb2.ChatRequest(
            content=request.content,
            user_id=request.user_id,
            session_id=request.session_id,
            persona=request.forced_persona,
            persona_name=request.forced_persona_name,
            context=dict(request.metadata),
            recent_turns=list(request.recent_turns),
        )
        if request.HasField("max_tokens"):
            chat.max_tokens = request.max_tokens
        if request.HasField("temperature"):
            chat.temperature = request.temperature
        return chat


def register(server: grpc.aio.Server, servicer: GatewayServicer) -> None:
    """The generated registration; undecodable bytes are answered by the server interceptor."""
    gateway_service_pb2_grpc.add_GatewayServiceServicer_to_server(servicer, server)
