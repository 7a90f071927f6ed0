"""A PersonaService that answers with exactly what reached it, for tests of what the gateway sends a persona.

Its answer is `echo:` + base64 of a JSON object {content, user_id, session_id, turns[[role, content]]},
so a test can read the conversation history a persona was given. Base64 keeps the text out of the
output check's sight (it cannot redact or withhold what it cannot read). Run as
`python -m tests.gateway.echo_persona` with PM_PORT; it serves health and reflection like any service.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import grpc

from personamesh.v1 import persona_pb2, persona_service_pb2, persona_service_pb2_grpc
from services.common.server import ServiceSpec, run_service
from services.common.settings import CommonSettings

PREFIX = "echo:"


def decode(answer: str) -> dict[str, Any]:
    """The echo persona's answer -> what it received."""
    assert answer.startswith(PREFIX), answer
    received: dict[str, Any] = json.loads(base64.b64decode(answer[len(PREFIX) :]))
    return received


def _answer(request: persona_pb2.PersonaRequest) -> persona_pb2.PersonaResponse:
    received = {
        "content": request.content,
        "user_id": request.user_id,
        "session_id": request.session_id,
        "turns": [[persona_pb2.Role.Name(t.role), t.content] for t in request.recent_turns],
    }
    text = PREFIX + base64.b64encode(json.dumps(received).encode()).decode()
    persona = request.routing.persona or request.forced_persona or persona_pb2.PERSONA_ABBEY
    return persona_pb2.PersonaResponse(request_id=request.request_id, content=text, persona=persona, confidence=1.0)


class EchoPersona(persona_service_pb2_grpc.PersonaServiceServicer):
    async def Chat(
        self, request: persona_pb2.PersonaRequest, context: grpc.aio.ServicerContext
    ) -> persona_pb2.PersonaResponse:
        return _answer(request)

    async def ChatStream(
        self, request: persona_pb2.PersonaRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[persona_pb2.PersonaStreamEvent]:
        answer = _answer(request)
        yield persona_pb2.PersonaStreamEvent(delta=answer.content)
        yield persona_pb2.PersonaStreamEvent(final=answer)

    async def Describe(
        self, request: persona_service_pb2.DescribeRequest, context: grpc.aio.ServicerContext
    ) -> persona_service_pb2.DescribeResponse:
        info = persona_service_pb2.PersonaInfo(name="echo", description="Answers with what it received.")
        return persona_service_pb2.DescribeResponse(info=info)


def build() -> ServiceSpec:
    return ServiceSpec(
        name="echo-persona",
        service_names=[persona_service_pb2.DESCRIPTOR.services_by_name["PersonaService"].full_name],
        register=lambda server: persona_service_pb2_grpc.add_PersonaServiceServicer_to_server(EchoPersona(), server),
    )


if __name__ == "__main__":
    run_service("echo-persona", build, CommonSettings())
